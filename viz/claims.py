"""The labs' number-bearing sentences, each generated with its numbers from the dynamics it speaks of.

Every function returns Markdown built from values it computes (or is given measured), never from
remembered figures; the tests sample each page's controls and check every number and word here
against an independent computation (iteration-matrix eigenvalues, the run itself).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from optim import dynamics, theory

__all__ = [
    "conditioning_row",
    "dance_walk_sentence",
    "dead_units_sentence",
    "decay_sentence",
    "direction",
    "momentum_limit",
    "momentum_says",
    "optimum_share",
    "rate_sentence",
    "sharpness_lines",
    "steep_direction",
    "two_directions",
]


def direction(lam: float, lams: Any) -> str:
    """``"shallow"``, ``"steep"`` or ``"both"`` (a round bowl) for curvature λ of the spectrum.

    >>> direction(1.0, [0.02, 1.0]), direction(1.0, [1.0, 1.0])
    ('steep', 'both')
    """
    lams = np.asarray(lams, dtype=float)
    lo, hi = float(lams.min()), float(lams.max())
    if hi - lo <= 1e-12 * hi:
        return "both"
    return "steep" if abs(lam - hi) <= abs(lam - lo) else "shallow"


def momentum_limit(optimizer: str, mu: float) -> float:
    """The largest stable αλ of a method (PyTorch's α, μ): 2, 2 + 2μ, 2(1 + μ)/(1 + 2μ)."""
    if optimizer == "gd":
        return 2.0
    if optimizer == "momentum":
        return 2.0 + 2.0 * mu
    return float(theory.nesterov_limit(mu, 1.0))


def _where(b: dynamics.Block, lams: Any) -> str:
    d = direction(b.lam, lams)
    return "in both directions" if d == "both" else f"the {d} direction"


def _motion_phrase(b: dynamics.Block, lams: Any) -> str:
    where = _where(b, lams)
    along = where if where.startswith("in ") else f"along {where}"
    across = where if where.startswith("in ") else f"across {where}"
    if b.motion == "glides":
        return f"glides in {along} without overshooting"
    if b.motion == "zig-zags":
        return f"zig-zags {across}, flipping sign every step"
    lead = max(b.roots, key=abs)
    return (
        f"overshoots and swings back {along}, a full turn every "
        f"~{dynamics.period_of(lead):.0f} steps"
    )


def momentum_says(optimizer: str, modes: dynamics.Modes, alpha: float, mu: float) -> str:
    """What one run of the Momentum lab's race does, from the modes its start excites: the motion
    of the leading root (both, when two directions tie), its rate ρ and steps per decade, or why
    it diverges or bounces.

    >>> H = np.diag([0.02, 1.0])
    >>> m = dynamics.linear_modes("nesterov", {"lr": 1.33, "beta": 0.9}, H, [-2.5, 1.2], [0, 0])
    >>> momentum_says("nesterov", m, 1.33, 0.9)
    'zig-zags across the steep direction, flipping sign every step; rate **0.9422**, about 39 steps per decade'
    """
    lams = [b.lam for b in modes.blocks]
    limit = momentum_limit(optimizer, mu)
    out = ""
    if modes.regime == "diverge":
        b = max(modes.leading, key=lambda x: x.lam)
        where = _where(b, lams)
        out = (
            f"**diverges**: its error grows ×{modes.excited_rate:.4g} per step "
            f"{where if where.startswith('in ') else 'along ' + where}, where αλ = "
            f"{alpha * b.lam:.3g} is beyond its limit {limit:.3g}"
        )
    elif modes.regime == "oscillate":
        b = max(modes.leading, key=lambda x: x.lam)
        out = (
            f"**bounces for ever** (period 2): αλ = {alpha * b.lam:.3g} is exactly its limit "
            f"{limit:.3g}, so the error {_where(b, lams).replace('the ', 'along the ')} flips sign at the same size every step "
            "(note 004 calls this divergence; it neither grows nor shrinks)"
        )
    elif modes.excited_rate == 0.0:
        out = "lands exactly on the minimum and stays there (every root it excites is 0)"
    else:
        phrases = []
        lead = sorted(modes.leading, key=lambda x: x.lam)
        if len(lead) == 2 and all(b.motion == "oscillates" for b in lead):
            turns = [dynamics.period_of(max(b.roots, key=abs)) for b in lead]
            phrases.append(  # both directions swing at one rate: say it once
                "overshoots and swings back in both directions at the same rate, a full turn "
                f"every ~{turns[0]:.0f} steps along the shallow one and every ~{turns[1]:.0f} "
                "steps along the steep one"
            )
            lead = []
        for b in lead:
            p = _motion_phrase(b, lams)
            if p not in phrases:
                phrases.append(p)
        out = (
            " and, at the same rate, ".join(phrases)
            + f"; rate **{modes.excited_rate:.4f}**, {_per_decade(modes.steps_per_decade)}"
        )
    for b in modes.dormant if modes.regime != "diverge" else ():
        out += (
            f" (its start never excites {_where(b, lams)}, unstable at this step: move the "
            "start off the axis and it diverges)"
        )
    return out


def _per_decade(n: float) -> str:
    """``about 39 steps per decade``; under one step: ``under a step per decade``."""
    if n < 0.5:
        return "under a step per decade"
    k = round(n)
    return f"about {k} step{'s' if k != 1 else ''} per decade"


def rate_sentence(check: dynamics.RateCheck, worst: float, name: str = "heavy-ball") -> str:
    """The measured rate beside the exact one, and the reason where they differ."""
    if not np.isfinite(check.measured):
        return (
            f"The {name} run is too short to measure its rate: its windows must each span a "
            f"full turn of its slowest oscillation (ρ = {check.exact:.4f} from its start)."
        )
    head = (
        f"Measured on the {name} run: **{check.measured:.4f}** per step (the largest distance "
        "in its last window over the window before, each at least one full turn long), against "
        f"ρ = **{check.exact:.4f}** for the directions its start excites"
        + (
            f" (theory's worst case over every direction: {worst:.4f})"
            if worst > check.exact * (1 + 1e-9)
            else ""
        )
        + "."
    )
    if check.agree:
        return head + f" They agree to within {dynamics.RATE_TOL:g}."
    why = {
        "double root": "its slow block has a double root, so the error falls like k·ρᵏ and a "
        "finite window sees a slower decay than ρ (Goh's optimum is such a point)",
        "second direction": "a second direction, decaying at a rate close to ρ, has not died "
        "out within the run: the error is a sum of two geometric terms",
        "too few steps": "the run holds too few full turns of its oscillation to measure it "
        "well; give it more steps",
    }[check.reason or "too few steps"]
    return head + f" They differ by {abs(check.measured - check.exact):.3g}: {why}."


def optimum_share(kappa: float) -> tuple[float, str]:
    """How far inside heavy ball's stability limit Goh's optimum lies, as a share of the limit:
    ``1 − α*λ_max/(2 + 2μ*)``, which is ``1/(κ + 1)`` (2 % at κ = 50), and the sentence.

    >>> round(optimum_share(50.0)[0], 6) == round(1 / 51, 6)
    True
    """
    a, mu, _ = theory.momentum_optimal(1.0 / kappa, 1.0)
    share = 1.0 - a * 1.0 / (2.0 + 2.0 * mu)
    return share, f"only {share:.2%} of the step inside the stability limit (1/(κ + 1))"


def sharpness_lines(labels: Any, sharp: dict, checks: Any, names: Any = ()) -> list[str]:
    """The Network lab's sentence per run: where its sharpness starts against its threshold, when
    it first reaches 0.9×, its peak, and from when it stays within ±5 % (all measured); with the
    runs' optimizer ``names``, SAM against GD (:func:`sam_sharpness_line`)."""
    checks = np.asarray(checks)
    lines = []
    for i, (s, limit, formula, _) in sharp.items():
        if limit is None:  # SAM, Muon: no threshold of their own; where their sharpness goes
            lines.append(_unbounded_line(labels[i], np.asarray(s, dtype=float), checks))
            continue
        r = np.asarray(s, dtype=float) / limit
        ok = np.isfinite(r)
        if not ok.any():
            continue
        hit = np.flatnonzero(r >= 0.9)
        if hit.size:
            peak = int(np.nanargmax(r))
            near = np.abs(r - 1.0) <= 0.05
            settled = next((j for j in range(len(r)) if ok[j:].all() and near[j:].all()), None)
            last = int(np.flatnonzero(ok)[-1])
            line = (
                f"**{labels[i]}** starts at {r[ok][0]:.2f}× its threshold {formula} = "
                f"{limit:.3g}, reaches 0.9× at step {int(checks[hit[0]])}"
            )
            if not ok[-1]:  # the run diverged: no sharpness after its last finite point
                line += (
                    f" and blows up: its last measurement, at step {int(checks[last])}, is "
                    f"{r[last]:.2f}× the threshold."
                )
            else:
                line += f", peaks at {r[peak]:.2f}× (step {int(checks[peak])})"
                if settled is not None:
                    line += f" and stays within ±5 % of it from step {int(checks[settled])} on."
                else:
                    line += f" and ends at {r[ok][-1]:.2f}× of it."
            lines.append(line)
        else:
            end = (
                f", until it blows up after step {int(checks[np.flatnonzero(ok)[-1]])}"
                if not ok[-1]
                else ""
            )
            lines.append(
                f"**{labels[i]}** stays below its threshold {formula} = {limit:.3g} "
                f"(at most {np.nanmax(r):.2f}× of it){end}."
            )
    sam = sam_sharpness_line(labels, names, sharp)
    return [*lines, sam] if sam else lines


def _unbounded_line(label: str, s: np.ndarray, checks: np.ndarray) -> str:
    ok = np.flatnonzero(np.isfinite(s))
    if not ok.size:
        return f"**{label}** has no finite sharpness to show (it diverged at once)."
    peak = int(ok[np.argmax(s[ok])])
    return (
        f"**{label}** has no stability threshold of its own (its step is normalized): its "
        f"sharpness goes from {s[ok[0]]:.3g} to {s[ok[-1]]:.3g} at step {int(checks[ok[-1]])} "
        f"(peak {s[peak]:.3g} at step {int(checks[peak])})."
    )


def sam_sharpness_line(labels: Any, names: Any, sharp: dict) -> str | None:
    """SAM against GD at the same η, when the lab runs both: their final sharpness, measured."""
    names = list(names)
    if "sam" not in names or "gd" not in names:
        return None
    i, j = names.index("gd"), names.index("sam")
    if i not in sharp or j not in sharp:
        return None
    gd, sam = (np.asarray(sharp[k][0], dtype=float) for k in (i, j))
    if not (np.isfinite(gd[-1]) and np.isfinite(sam[-1])):
        return None
    ratio = sam[-1] / gd[-1]
    word = "flatter" if ratio < 0.95 else ("sharper" if ratio > 1.05 else "about as sharp")
    return (
        f"**SAM against GD:** SAM ends {word} than GD: λ_max {sam[-1]:.3g} against {gd[-1]:.3g} "
        f"(×{ratio:.2f}) at the last measurement. SAM descends with the gradient of the worst "
        "point within ρ of its iterate (Foret et al. 2021)."
    )


def decay_sentence(
    d_const: float, d_decay: float, budget: float, steps: int, fate: tuple[str, float]
) -> str:
    """The SGD lab's comparison of constant η and a decay, measured (mean distance to w* over the
    last quarter), with what the decay does for ever (``optim.schedules.fate``): a floor shrinks
    the dance to that size but never stops it; 1/t damps it out; a summable decay freezes SGD.

    >>> decay_sentence(0.2, 0.05, 110.0, 600, ("floor", 0.01))[:52]
    'Decay ends 4.0× closer to w* on average over the las'
    """
    kind, floor = fate
    after = {
        "floor": f"then small enough to shrink the dance, which never stops: η stays at "
        f"{floor:g} η₀ and every step still adds noise of that size",
        "robbins_monro": "then small enough to damp the dance out (Σ η_k² < ∞: the noise it "
        "adds is finite in total)",
        "summable": "then η runs out (Σ η_k < ∞): SGD freezes wherever it is",
    }[kind]
    if d_decay < d_const:
        return (
            f"Decay ends {d_const / d_decay:.1f}× closer to w* on average over the last quarter. "
            f"Its steps add up to Σ η_k = {budget:.0f} η₀ (constant: {steps} η₀): enough to "
            f"arrive, {after}."
        )
    return (
        f"Here decay ends **farther** from w*: its steps add up to only Σ η_k = {budget:.0f} η₀ "
        f"(constant: {steps} η₀), so η shrank before SGD arrived. Robbins–Monro promises "
        "convergence in the limit, not in a given number of steps: give it more steps or a "
        "larger η₀."
    )


def two_directions(eta: float, s1: float, s2: float) -> dict[str, Any]:
    """The Learning-rate lab's section-2 figures for GD on ``(1 − σ₁w₁)² + (1 − σ₂w₂)²`` from 0:
    each direction's error factor ``|1 − 2ησ_i²|``, the slowest of them (which direction), and
    the steps until every direction's error is 10⁶× smaller (None: it never is).

    >>> d = two_directions(0.98, 1.0, 0.3)
    >>> round(d["slowest"], 4), d["which"], d["steps"]
    (0.96, 'steep (σ_max)', 339)
    """
    smax, smin = max(s1, s2), min(s1, s2)
    fast = abs(1.0 - 2.0 * eta * smax**2)
    slow = abs(1.0 - 2.0 * eta * smin**2)
    worst = max(fast, slow)
    which = "steep (σ_max)" if fast > slow else "flat (σ_min)"
    if smax == smin:
        which = "both (σ₁ = σ₂)"
    steps = None
    if worst < 1.0:
        steps = math.ceil(math.log(1e-6) / math.log(worst)) if worst > 0 else 1
    return {"fast": fast, "slow": slow, "slowest": worst, "which": which, "steps": steps}


def steep_direction(eta: float, sigma_max: float, diverged_at: int) -> tuple[str, str] | None:
    """What the two-direction run's steep direction does at ``eta``, when it is not converging:
    ``("info", …)`` at η = 1/σ_max² exactly (period 2), ``("warning", …)`` beyond; None below.

    >>> steep_direction(0.5, 1.0, -1) is None, steep_direction(1.0, 1.0, -1)[0]
    (True, 'info')
    """
    unit = theory.scalar_limit(sigma_max)
    fast = float(theory.scalar_contraction(eta, sigma_max))
    if theory.scalar_regime(eta, sigma_max) == "period-2" and diverged_at < 0:
        return "info", (
            f"η = 1/σ_max² = {unit:.4g} exactly: the steep direction's error flips sign with the "
            "same size every step (factor |1 − 2ησ_max²| = 1), a period-2 bounce that neither "
            "grows nor shrinks, while the flat direction converges. Any larger η diverges."
        )
    if fast < 1 and diverged_at < 0:
        return None
    where = (
        f"GD diverged at step {diverged_at}"
        if diverged_at >= 0
        else f"GD is diverging (the steep direction's error grows ×{fast:.3g} per step)"
    )
    return "warning", (
        f"{where}: η is at or above 1/σ_max² = {unit:.4g}, so the steep direction blows up even "
        "though the flat one alone would be fine."
    )


def conditioning_row(label: str, c: Any) -> dict[str, Any]:
    """One row of the Adaptive lab's normalization table (``optim.experiments.Conditioning``)."""
    return {
        "inputs": label,
        "κ": f"{c.kappa:.3g}",
        "GD's best η*": f"{c.eta_star:.3g}",
        "GD rate (κ−1)/(κ+1)": f"{c.rate:.3g}" if c.rate > 1e-12 else "0",
        "GD steps to L − L* ≤ 1e-6": c.gd_steps if c.gd_steps >= 0 else "> 2000",
        "Adam (η = 0.1) steps": c.adam_steps if c.adam_steps >= 0 else "> 2000",
    }


def dead_units_sentence(d: Any) -> str:
    """Note 001's "b/w is Cauchy" as measured on the unit's own examples (``optim.experiments.
    dead_at_init``)."""
    return (
        f"**Why units start dead (note 001):** with w and b drawn from N(0, 1), the elbow −b/w is "
        f"Cauchy-distributed (a ratio of two normals), so it often lands far from the data. Of "
        f"{d.units:,} units drawn here, **{d.outside:.1%}** put their elbow outside the examples' "
        f"range [{d.lo:g}, {d.hi:g}] (Cauchy: {d.outside_cauchy:.1%}), and **{d.dead:.1%}** are dead "
        f"on every example, their gradient exactly 0 in the engine (Cauchy: half of those, "
        f"{d.dead_cauchy:.1%}): gradient descent can never move them."
    )


def dance_walk_sentence(w: Any) -> str:
    """What :func:`optim.experiments.dance_and_walk` measured, in note 001's words."""
    half, end = len(w.lags) // 2 - 1, len(w.lags) - 1
    grow_dance = w.dance[end] / w.dance[half]
    grow_walk = w.walk[end] / w.walk[half]
    return (
        f"**A dance, not a walk (note 001):** over its last {w.tail} steps the constant-η run "
        f"moves {np.sqrt(w.step2):.3g} a step. The same steps with random signs make a random "
        f"walk: its squared distance after τ steps grows like τ × {w.step2:.3g} "
        f"({w.walk[end]:.3g} at τ = {w.lags[end]}, ×{grow_walk:.2f} from τ = {w.lags[half]}). "
        f"Over the same lags the dance's goes ×{grow_dance:.2f}, to {w.dance[end]:.3g}: "
        f"{w.walk[end] / w.dance[end]:.1f}× less. The noise kicks it like a random walk; the "
        "gradient keeps pulling it back towards w*, so it stays in a cloud (GD with too large a "
        "step oscillates instead, deterministically)."
    )


def _g(x: float | None) -> str:
    return "none" if x is None or not np.isfinite(x) else f"{x:.3g}"


def batchnorm_table(effect: dict) -> Any:
    """The Network lab's batch-norm comparison (``ui.network.batchnorm_effect``): a quantity a
    row, without and with batch norm a column (a ``pandas.DataFrame``)."""
    import pandas as pd

    a, b = effect[False], effect[True]
    steps = a.scan.steps
    rows = [
        "parameters",
        "sharpness λ_max at the start",
        "a quadratic's step limit 2/λ_max there",
        f"largest stable η of GD ({steps} steps, √2 grid)",
        "smallest unstable η above it",
        f"loss after {steps} steps at η = {a.eta:.3g}",
        f"λ_max there (2/η = {2 / a.eta:.3g})",
    ]
    cols = {"without batch norm": [_cell(a, k) for k in range(7)]}
    cols["with batch norm"] = [_cell(b, k) for k in range(7)]
    return pd.DataFrame(cols, index=rows)


def _cell(s: Any, k: int) -> str:
    return [
        str(s.dim),
        _g(s.sharp0),
        _g(2 / s.sharp0 if s.sharp0 > 0 else None),
        _g(s.scan.largest),
        _g(s.scan.first_unstable) if s.scan.first_unstable is not None else "> 8",
        _g(s.loss_at) if np.isfinite(s.loss_at) else "diverged",
        _g(s.sharp_at),
    ][k]


def batchnorm_sentence(effect: dict) -> str:
    """What the comparison measured, in words built from its numbers only."""
    a, b = effect[False], effect[True]
    la, lb = a.scan.largest, b.scan.largest
    if la is None or lb is None:
        return (
            f"**Batch norm, measured:** {'without' if la is None else 'with'} batch norm no step "
            f"size of the grid ({_g(a.scan.etas[0])}–{_g(a.scan.etas[-1])}) trains stably from "
            "this start."
        )
    if lb > la:
        verb = f"batch norm raises it ×{lb / la:.2g}"
    elif lb < la:
        verb = f"batch norm lowers it ×{lb / la:.2g}"
    else:
        verb = "the same on this grid"
    sharper = b.sharp0 / a.sharp0
    first = (
        f"**Batch norm, measured here** (full-batch GD from the same start, {a.scan.steps} steps "
        f"at each η of a √2 grid): the largest stable step is **{_g(la)}** without batch norm and "
        f"**{_g(lb)}** with it ({verb}). At the start batch norm makes the loss "
        f"{sharper:.3g}× {'sharper' if sharper >= 1 else 'flatter'} (λ_max {_g(a.sharp0)} → "
        f"{_g(b.sharp0)})."
    )
    quad = 2 / b.sharp0
    if lb > 1.2 * quad:
        first += (
            f" A quadratic that sharp would diverge above 2/λ_max = {_g(quad)}; the network with "
            f"batch norm trains at {_g(lb)}, {lb / quad:.2g}× that: its curvature is not fixed"
        )
        if np.isfinite(b.sharp_at) and b.sharp_at < b.sharp0:
            first += (
                f" and falls as it trains (λ_max {_g(b.sharp0)} → {_g(b.sharp_at)} after "
                f"{b.scan.steps} steps at η = {_g(b.eta)}). The normalization makes the loss "
                "blind to each hidden layer's weight scale, so its curvature along those weights "
                "falls like 1/‖W‖² as they grow"
            )
        first += "."
    if np.isfinite(b.loss_at) and np.isfinite(a.loss_at):
        first += (
            f" After {a.scan.steps} steps at η = {_g(a.eta)} the loss is {_g(a.loss_at)} without "
            f"and {_g(b.loss_at)} with batch norm."
        )
    return first


def elbows_sentence(fit: Any) -> str:
    """Note 001's universal approximation by sums of ReLU elbows, as measured on
    ``ui.network.elbow_fit``'s run."""
    first, last = fit.pieces[0], fit.pieces[-1]
    units = len(last.unit_x)
    at_zero = int(np.sum(np.abs(first.kinks) < 1e-12))
    inside = int(np.sum(np.abs(last.kinks) <= 1.0))
    start, end = fit.dead
    dead = (
        "no unit is off on every point"
        if end == 0
        else f"{end} unit{'s are' if end > 1 else ' is'} off on every point (a flat elbow: "
        "its gradient is 0, so it never moves again)"
    )
    return (
        "**A sum of elbows (note 001):** a ReLU unit v·max(0, wx + b) is an elbow, flat on one "
        "side of its kink x = −b/w and straight on the other; the network's output is c plus "
        f"{units} of them, a piecewise-linear curve with at most {units} kinks: more units, "
        "more corners to follow any continuous curve (universal approximation). "
        f"All biases start at 0, so {at_zero} of the {units} kinks start at x = 0; training "
        f"moves them to where the curve bends. At step {fit.frames[-1]}, {inside} of {units} "
        f"kinks lie inside the data's [−1, 1] and {dead} (at the start: {start}); the loss fell "
        f"from {fit.loss[0]:.3g} to {fit.loss[-1]:.3g}. The drawing is the network itself: its "
        f"output and the drawn sum differ by at most {fit.gap:.1e} over every frame."
    )


def _further(along: Any) -> str:
    """Where WSD and cosine are along the valley's floor at the decay's start (medians)."""
    wsd, cos = float(along[2]), float(along[1])
    if abs(wsd - cos) <= 0.1 * max(wsd, cos, 1e-12):
        return f"Along the floor they are about as far from the sea ({wsd:.3g} and {cos:.3g} in x)."
    word = "further down" if wsd < cos else "further up"
    return (
        f"Along the floor WSD is {word} the valley: {wsd:.3g} from the sea in x, cosine {cos:.3g}."
    )


def schedule_race_sentence(r: Any, eta: float, noise: float) -> str:
    """What ``optim.experiments.schedule_race`` measured, in the river-valley picture's words; the
    WSD-against-cosine verdict is declined when the draws split."""
    draws = r.final.shape[1]
    med = np.median(r.final, axis=1)
    at = np.median(r.at_decay, axis=1)
    along = np.median(r.along_at_decay, axis=1)
    T = r.trajs[0].steps
    wins = r.wsd_wins
    if wins >= 0.8 * draws:
        verdict = f"WSD ended below cosine in **{wins} of {draws}** noise draws"
    elif wins <= 0.2 * draws:
        verdict = f"cosine ended below WSD in **{draws - wins} of {draws}** noise draws"
    else:
        verdict = (
            f"WSD ended below cosine in {wins} of {draws} noise draws: **too close to call** "
            "between those two here"
        )
    fall = at[2] / med[2] if med[2] > 0 else float("inf")
    return (
        f"**One budget** (η₀ = {eta:g}, {T} steps, gradient noise σ = {noise:g}, the same draws "
        f"for all three): median L − L* after the last step over {draws} draws: constant "
        f"**{med[0]:.3g}**, cosine **{med[1]:.3g}**, WSD **{med[2]:.3g}**; {verdict}. "
        f"Until its decay starts at step {r.decay_start}, WSD runs at η₀ like the constant run: "
        f"its loss there is {at[2]:.3g} (cosine's, at a smaller η by then, {at[1]:.3g}). "
        f"{_further(along)} Its steps add up to "
        f"{r.travel[2] / T:.2f}·η₀T, cosine's to {r.travel[1] / T:.2f}·η₀T. In its last "
        f"{T - r.decay_start} steps its loss falls ×{fall:.3g}; over the same steps the constant "
        f"run's goes from {at[0]:.3g} to {med[0]:.3g}."
    )


def matrix_race_sentence(r: Any, freq: Any) -> str:
    """What ``optim.experiments.matrix_race`` measured: the rare keys' error of each optimizer at
    its best η of its grid (and whether that η is the grid's edge)."""
    keys = r.key_errors.shape[1]
    rare = np.argsort(freq)[: keys // 2]
    err = r.key_errors[:, rare].mean(axis=1)
    names = {"gd": "GD", "adam": "Adam", "muon": "Muon"}

    def eta(i: int) -> str:
        name, v, grid = r.names[i], r.etas[i], r.grids[i]
        edge = (
            " (its grid's largest: more might do better)"
            if v == max(grid)
            else (" (its grid's smallest)" if v == min(grid) else "")
        )
        return f"{names[name]} η = {v:.3g}{edge}"

    best = int(np.argmin(err))
    ratio = sorted(err)[1] / err[best] if err[best] > 0 else float("inf")
    steps = r.trajs[0].steps
    return (
        f"**Measured** (from W = 0, {steps} steps, cosine to 0, each optimizer at the η of its "
        f"grid with the lowest final loss: {', '.join(eta(i) for i in range(len(r.names)))}): "
        f"the rarer half of the {keys} keys ends off by **{err[0]:.3g}** (GD), **{err[1]:.3g}** "
        f"(Adam) and **{err[2]:.3g}** (Muon) on average; {names[r.names[best]]} is "
        f"{ratio:.3g}× closer than the next. GD moves key i's error by η·c_i a step, and its η "
        "is capped by the most frequent key (η < 2/c_max). Adam rescales coordinates, but the "
        "keys' directions are rotated away from the coordinates. Muon orthogonalizes the "
        "gradient matrix: every singular direction, rare or common, moves alike."
    )


def edge_lines(runs: Any, agreements: Any) -> list[str]:
    """The edge-of-stability section's bullets: each run's regime with its measured reason, then
    how closely neighbouring step sizes follow one curve on the time axis."""
    lines = [f"**η = {r.eta:g}: {r.regime}.** {r.why[0].upper()}{r.why[1:]}." for r in runs]
    for (a, b), (t_star, diff) in agreements:
        if np.isfinite(diff) and t_star > 0:
            lines.append(
                f"On the time axis, η = {a.eta:g} and η = {b.eta:g} follow one sharpness curve "
                f"(within {diff:.0%}) until t = η·k = {t_star:.3g}, where η = {b.eta:g} meets "
                f"its threshold 2/η = {2 / b.eta:.3g}."
            )
    return lines
