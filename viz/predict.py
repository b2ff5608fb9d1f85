"""Predict, then reveal: what a question about a view asks, its true answer, and how to grade one.

Four kinds of question fit the race view (``KINDS``):

- ``first``: which run reaches L − L* ≤ 10⁻⁶ first (runs tied at the same step are all right);
- ``regime``: will run r converge, oscillate forever (bounded, never settling) or diverge
  (:data:`optim.dynamics.RULE`). GD, heavy ball and Nesterov on a quadratic (no schedule, noise,
  clipping or minibatches) are decided by their exact iteration from the run's own start
  (:func:`optim.dynamics.linear_modes`: the directions the start excites, so a start on the
  shallow axis converges at a step that would blow up the steep one); every other run by its own
  path (:func:`optim.dynamics.classify`). Declined, with the reason: a linear run whose answer
  flips within ±1 % of its η (too close to its stability limit to call; exactly at the limit,
  ρ = 1, it is asked: it bounces for ever), a run whose
  floating-point path disagrees with its exact iteration, a measured run that is not clear-cut,
  or one whose answer changes when its start moves by 10⁻⁹ of the map (chaotic: round-off
  decides);
- ``next``: where run r's step k+1 lands, as a click on the map: right within a radius of
  max(25 % of that step's length, 2 % of the view's diagonal); declined when that point (or
  w_k) lies off the map, where no click can reach, or when moving the start by 10⁻⁹ of the map
  moves it by a tenth of that radius (a chaotic run: round-off decides);
- ``max_lr``: the largest η on run r's slider at which it converges, decided the same way on
  every value of the slider (exactly for a linear run), answered as a number: right when it is
  within half a grid step of the answer (it snaps to the answer's slider value).

Everything here is pure (no Streamlit): the truth is a JSON-ready dict, so a page can keep it in
its session and grade an answer in a callback. The explanations quote the notes' numbers: GD is
stable for η < 2/λ_max (η < 1/σ² on σw ≈ y), heavy ball for α < (2 + 2μ)/λ_max.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Literal, NotRequired, TypedDict

import numpy as np

from optim import dynamics, theory
from optim.dynamics import classify

from .style import GRID, Look, base_layout

__all__ = [
    "KINDS",
    "REGIMES",
    "TOL",
    "FirstTruth",
    "MaxLrTruth",
    "NextTruth",
    "RegimeTruth",
    "Truth",
    "Unaskable",
    "classify",
    "explain",
    "grade",
    "parse_answer",
    "prediction_traces",
    "prompt",
    "snap",
    "steps_to",
    "tally_figure",
    "truth",
]

TOL = 1e-6  # "reaches the tolerance": L − L* ≤ TOL, as the finish line says


# -- the truth of a question: one typed record per kind, plain JSON (it is kept in the session) ---
class FirstTruth(TypedDict):
    """Which run first reaches L − L* ≤ :data:`TOL`: every run's step (−1: never), the winners."""

    kind: Literal["first"]
    steps: list[int]
    winners: list[int]
    labels: list[str]
    total: int


class ModesRecord(TypedDict):
    """``optim.dynamics.Modes`` as the truth keeps it: ρ, the excited ρ, the motion, eigenvalues."""

    rate: float
    excited_rate: float
    motion: str
    dormant: list[float]
    excited: list[float]


class RegimeTruth(TypedDict):
    """What run ``run`` does: converge, oscillate or diverge; how it was decided (``modes`` for a
    linear run's exact iteration, else the path's ``measured`` verdict), and η's fate if noisy."""

    kind: Literal["regime"]
    run: int
    label: str
    regime: str
    measured: str | None
    theory: str | None
    modes: ModesRecord | None
    gap0: float
    gap1: float | None
    diverged_at: int
    steps: int
    noisy: bool
    fate: list


# "from" is a Python keyword: this record is declared in TypedDict's call form.
NextTruth = TypedDict(
    "NextTruth",
    {
        "kind": Literal["next"],
        "run": int,
        "at": int,
        "label": str,
        "from": list[float],  # w_k
        "point": list[float],  # w_{k+1}, the answer
        "length": float,
        "radius": float,  # how near counts as right
        "window": list[list[float]],
        "gradient": NotRequired[list[float]],  # plain GD: −η∇L(w_k) is the whole step
    },
)


class MaxLrTruth(TypedDict):
    """The largest η of the slider's grid at which run ``run`` still converges, from the paths at
    every grid value (or the exact iteration), and what the next value up does."""

    kind: Literal["max_lr"]
    run: int
    label: str
    values: list[float]
    ok: list[bool]
    said: list[str | None]
    best: float
    above: float | None
    above_says: str | None
    exact: bool
    symbol: str
    theory: str | None
    steps: int


Truth = FirstTruth | RegimeTruth | NextTruth | MaxLrTruth  # one typed record, stored once
KINDS: dict[str, str] = {
    "first": "Which run reaches the tolerance first?",
    "regime": "Will this run converge, oscillate or diverge?",
    "next": "Click where the next step lands",
    "max_lr": "The largest η on the slider that still converges",
}
REGIMES: dict[str, str] = {
    "converge": "converge: settle at the minimum",
    "oscillate": "oscillate forever: bounded, never settles",
    "diverge": "diverge: blow up",
}
MAX_ANSWER_CHARS = 40  # a typed number longer than this is refused, not parsed


class Unaskable(ValueError):
    """This view cannot carry this question (the message says why, for the teacher)."""


# -- measuring a run ------------------------------------------------------------------------------
def steps_to(loss: np.ndarray, f_min: float | None, tol: float = TOL) -> int:
    """The first step with L − L* ≤ ``tol`` (−1 if none, or no known minimum).

    >>> steps_to(np.array([1.0, 1e-3, 1e-7, 0.0]), 0.0)
    2
    """
    if f_min is None:
        return -1
    with np.errstate(invalid="ignore"):
        hit = np.flatnonzero(np.asarray(loss, dtype=float) - f_min <= tol)
    return int(hit[0]) if hit.size else -1


def _theory_regime(rule: dict | None, surface: Any) -> dict[str, Any] | None:
    """Theory's verdict for GD, heavy ball and Nesterov on a constant Hessian: ρ and the limit."""
    if not rule or rule.get("optimizer") not in ("gd", "momentum", "nesterov"):
        return None
    if rule.get("plain") is False:
        return None
    hess = surface.constant_hessian() if hasattr(surface, "constant_hessian") else None
    if hess is None:
        return None
    lams = np.linalg.eigvalsh(np.asarray(hess, dtype=float))
    if float(lams.min()) <= 0:
        return None
    lam_max = float(lams.max())
    opt, lr = rule["optimizer"], float(rule["lr"])
    if opt == "gd":
        rho = float(theory.gd_rate(lr, lams))
        limit, what = 2.0 / lam_max, "η < 2/λ_max"
        step = ("η", lr)
    else:
        conv = rule.get("convention") or "pytorch"
        beta = float(rule.get("beta", 0.9))
        alpha, mu = (float(v) for v in theory.to_pytorch(lr, beta, conv))
        if opt == "momentum":
            rho = float(theory.momentum_rate(alpha, mu, lams))
            limit, what = (2.0 + 2.0 * mu) / lam_max, "α < (2 + 2μ)/λ_max"
        else:
            rho = float(theory.nesterov_rate(alpha, mu, lams))
            limit, what = float(theory.nesterov_limit(mu, lam_max)), "α < 2(1 + μ)/((1 + 2μ)λ_max)"
        step = ("α", alpha)
    if abs(rho - 1.0) <= 1e-9:
        regime = "oscillate"
    else:
        regime = "converge" if rho < 1.0 else "diverge"
    return {
        "regime": regime,
        "rho": rho,
        "lam_max": lam_max,
        "limit": limit,
        "rule": what,
        "step": list(step),
        "sigma_w": getattr(surface, "name", "") == "sigma_w",
    }


# -- the truth ------------------------------------------------------------------------------------
def truth(
    kind: str,
    views: Sequence[Any],
    surface: Any,
    run: int = 0,
    at: int = 0,
    *,
    rules: Sequence[dict | None] | None = None,
    sweep: dict | None = None,
    nearby: Sequence[Any] | None = None,
) -> Truth:
    """The true answer to ``kind`` about ``views`` (run index ``run``, step ``at``), JSON-ready.

    ``rules[i]`` describes run i (``{"optimizer", "lr", "beta", "convention", "plain"}``,
    ``plain`` False with a schedule, noise, clipping or minibatches); ``sweep`` is run ``run`` at
    every value of its η slider, for ``max_lr`` (``{"values", "symbol", "paths"}``, ``paths`` a
    callable giving ``(xy (G, S+1, 2), loss (G, S+1), diverged (G,))`` or None when too costly,
    called only when the run is not linear); ``nearby`` are run ``run`` from
    :func:`nudged_starts` and, last, the same run over ``LONGER`` × its steps, for a ``regime``
    question theory cannot decide: the round-off check, and whether its verdict lasts.
    Raises :class:`Unaskable` with the reason when the view cannot carry the question.
    """
    f_min = surface.f_min
    if kind not in KINDS:
        raise Unaskable(f"there is no question kind {kind!r}")
    if kind == "first":
        if f_min is None:
            raise Unaskable("this surface has no known minimum, so no run can reach L − L*")
        if len(views) < 2:
            raise Unaskable("a race needs at least two runs")
        steps = [steps_to(v.loss, f_min) if not v.diverged else -1 for v in views]
        hits = [s for s in steps if s >= 0]
        if not hits:
            raise Unaskable(f"no run reaches L − L* ≤ {TOL:g} within these steps")
        return {
            "kind": "first",
            "steps": steps,
            "winners": [i for i, s in enumerate(steps) if s == min(hits)],
            "labels": [v.label for v in views],
            "total": max(v.steps for v in views),
        }
    if not 0 <= run < len(views):
        raise Unaskable(f"there is no run {run + 1}")
    v = views[run]
    rule = (rules or [None] * len(views))[run]
    if kind == "regime":
        return _regime_truth(run, v, surface, rule, nearby)
    if kind == "next":
        return _next_truth(run, at, v, surface, rule, nearby)
    return _max_lr_truth(run, v, surface, rule, sweep)


def linear_modes(rule: dict | None, surface: Any, start: Any) -> dynamics.Modes | None:
    """The exact iteration of run ``rule`` from ``start`` when it is linear: GD, heavy ball or
    Nesterov, plain (no schedule, noise, clipping or minibatches), on a quadratic with a
    positive definite Hessian and a listed minimum; else None."""
    if not rule or rule.get("optimizer") not in dynamics.LINEAR or rule.get("plain") is False:
        return None
    hess = surface.constant_hessian() if hasattr(surface, "constant_hessian") else None
    if hess is None or not getattr(surface, "minima", None):
        return None
    if float(np.linalg.eigvalsh(np.asarray(hess, dtype=float)).min()) <= 0:
        return None
    start = np.asarray(start, dtype=float)
    if not np.all(np.isfinite(start)):
        return None
    hp = {k: rule[k] for k in ("lr", "beta", "convention") if k in rule}
    return dynamics.linear_modes(rule["optimizer"], hp, hess, start, surface.minima[0])


def _regime_truth(run: int, v: Any, surface: Any, rule: dict | None, nearby: Any) -> RegimeTruth:
    f_min = surface.f_min
    measured = classify(v.xy, v.loss, f_min, v.diverged_at)
    modes = linear_modes(rule, surface, v.xy[0])
    th = _theory_regime(rule, surface)
    who = f"run {run + 1}"
    if modes is not None:
        regime = modes.regime
        if regime != "oscillate":  # exactly at the limit (ρ = 1) is a fair question: period 2
            for f in (1.0 - NEAR, 1.0 + NEAR):
                other = linear_modes({**rule, "lr": float(rule["lr"]) * f}, surface, v.xy[0])
                if other is not None and other.regime != regime:
                    raise Unaskable(
                        f"too close to call: {who}'s step is within {NEAR:.0%} of its stability "
                        f"limit (at {f:g} × this η it would {other.regime}; here ρ = "
                        f"{modes.excited_rate:.6g}), closer than the eye can tell; move η away "
                        "from the limit, or set it exactly on it"
                    )
        if measured is not None and measured != regime:
            raise Unaskable(
                f"round-off: the exact iteration from {who}'s start would {regime}, but the run "
                f"drawn, in floating point, looks like it will {measured}"
            )
    else:
        regime = _measured_regime(who, v, surface, rule, measured)
        *nearby, longer = nearby or [None]
        by_noise = bool((rule or {}).get("noisy"))  # the noise and η's fate decide, not the path
        if longer is not None and not by_noise and not _lasts(regime, v, longer, f_min):
            later = classify(
                longer.xy[v.steps :], longer.loss[v.steps :], f_min, longer.diverged_at
            )
            raise Unaskable(
                f"what {who}'s {v.steps} steps show does not last: over {longer.steps} steps it "
                f"{ {'converge': 'settles', 'oscillate': 'keeps moving', 'diverge': 'blows up'}.get(later, 'changes again (it settles, then spikes: Adam and RMSProp at a constant η can)') }, "
                f"so its answer is not what the student can see; ask about a shorter η or another run"
            )
        others = [classify(n.xy, n.loss, f_min, n.diverged_at) for n in (nearby or [])]
        if any(o != measured for o in others):
            raise Unaskable(
                f"sensitive to its start: moving {who}'s start by {NUDGE:g} of the map changes "
                f"what its path shows ({', '.join(str(o) for o in others)} against "
                f"{measured}), so round-off decides, not the settings"
            )
    base = f_min if f_min is not None else float(np.nanmin(v.loss))
    return {
        "kind": "regime",
        "run": run,
        "label": v.label,
        "regime": regime,
        "measured": measured,
        "theory": th,
        "modes": _modes_json(modes),
        "gap0": float(v.loss[0] - base),
        "gap1": float(v.loss[-1] - base) if np.isfinite(v.loss[-1]) else None,
        "diverged_at": int(v.diverged_at),
        "steps": int(v.steps),
        "noisy": bool(rule and rule.get("noisy", rule.get("plain") is False)),
        "fate": list((rule or {}).get("fate") or ("floor", 1.0)),
    }


# optimizers that divide by a running average of g² (it shrinks with the gradient): no settling
NORMALIZED = ("rmsprop", "adam", "adamw", "nadam")
LONGER = 4  # a measured verdict must still hold over this many times the run's steps


def _lasts(regime: str, v: Any, longer: Any, f_min: float | None) -> bool:
    """Whether ``longer`` (the same run over ``LONGER`` × its steps) keeps the verdict read from
    its first ``v.steps``: a converging run stays settled (its steps no larger than at the end
    of the shown run, or below ``dynamics.SETTLED`` of its largest), an oscillating one keeps
    moving (its steps at least a quarter of the shown tail's) without blowing up, a diverging
    one blows up."""
    n = int(v.steps)
    if regime == "diverge":
        later = classify(longer.xy[n:], longer.loss[n:], f_min, longer.diverged_at)
        return longer.diverged_at >= 0 or later == "diverge"
    if longer.diverged_at >= 0 or not np.all(np.isfinite(longer.xy)):
        return False
    shown = np.linalg.norm(np.diff(np.asarray(v.xy, float), axis=0), axis=-1)
    after = np.linalg.norm(np.diff(np.asarray(longer.xy[n:], float), axis=0), axis=-1)
    if not len(after) or not len(shown):
        return True
    tail = shown[-max(n // 4, 1) :]
    if regime == "converge":
        return float(after[-max(n // 4, 1) :].max()) <= max(
            float(tail.max()), dynamics.SETTLED * float(shown.max())
        )
    return float(after[-max(n // 4, 1) :].max()) >= 0.25 * float(tail.max())


def _measured_regime(
    who: str, v: Any, surface: Any, rule: dict | None, measured: str | None
) -> str:
    """The answer for a run theory cannot decide: its own path, and what its η does for ever.

    A noisy run (gradient noise, minibatches) whose η settles at a floor keeps dancing around
    the optimum at a size ~η∞ (EECS 182 note 2), even while its path is still shrinking with the
    decay; with a 1/t decay (Σ η = ∞, Σ η² < ∞) it settles. A run whose η sums to a finite total
    freezes wherever it is when η runs out, which is none of the three answers.
    """
    f_min = surface.f_min
    kind = ((rule or {}).get("fate") or ("floor", 1.0))[0]
    if measured == "diverge":
        return "diverge"
    gap = float(v.loss[-1] - f_min) if f_min is not None else None
    reached = gap is not None and gap <= 1e-12 * max(float(v.loss[0] - f_min), 1e-300)
    if kind == "summable" and not reached:
        raise Unaskable(
            f"{who}'s η sums to a finite total (its schedule decays geometrically or to 0), so "
            "it freezes wherever it is when η runs out: it neither reaches the minimum nor keeps "
            "moving; ask with a constant η, a floor or a 1/t decay"
        )
    if (rule or {}).get("noisy") and not _interpolates(surface):
        if kind == "floor" and measured in ("oscillate", "converge"):
            return "oscillate"  # fresh noise of size ~η∞ every step, for ever
        if kind == "robbins_monro":  # Robbins–Monro: the dance shrinks to 0 (slowly)
            return "converge"
    if measured == "converge" and (rule or {}).get("optimizer") in NORMALIZED and kind == "floor":
        raise Unaskable(
            f"{who} looks settled, but Adam and RMSProp at a constant η divide the gradient by "
            "its own running size, so their step does not shrink with it: near a minimum they "
            "keep moving at a scale set by η and ε, and can sit still for hundreds of steps "
            "and then spike; what these steps show does not decide 'converge' (ask with a "
            "decaying η, or about GD, momentum or AdaGrad)"
        )
    if measured is None:
        raise Unaskable(
            f"{who} neither settles, keeps bouncing at a steady size nor blows up clearly "
            f"within {v.steps} steps: give it more steps, or ask about another run"
        )
    return measured


def _interpolates(surface: Any) -> bool:
    """Whether every example's gradient vanishes at the minimum (then minibatches add no noise
    there, and constant-η SGD can settle)."""
    grad_batch = getattr(surface, "grad_batch", None)
    n = getattr(surface, "n_data", None)
    if grad_batch is None or not n or not getattr(surface, "minima", None):
        return False
    w = np.asarray(surface.minima[0], dtype=float)[None]
    try:
        g = np.stack([np.asarray(grad_batch(w, np.array([i])), float).ravel() for i in range(n)])
    except Exception:
        return False
    return bool(np.all(np.abs(g) <= 1e-10 * max(1.0, float(np.max(np.abs(w))))))


NEAR = 0.01  # a linear run whose verdict flips within ±1 % of its η is too close to call
NUDGE = 1e-9  # how far (a share of the map's diagonal) the nearby starts of the round-off check lie


def nudged_starts(start: Any, surface: Any) -> list[tuple[float, float]]:
    """Two starts a hair (``NUDGE`` × the map's diagonal) from ``start``, for the round-off check
    of a run that theory cannot decide: a chaotic run changes its answer between them."""
    (x0, x1), (y0, y1) = surface.plot_window
    h = NUDGE * math.hypot(x1 - x0, y1 - y0)
    sx, sy = (float(c) for c in start)
    return [(sx + h, sy), (sx, sy - h)]


def _modes_json(modes: dynamics.Modes | None) -> ModesRecord | None:
    if modes is None:
        return None
    return {
        "rate": modes.rate,
        "excited_rate": modes.excited_rate,
        "motion": modes.motion,
        "dormant": [b.lam for b in modes.dormant],
        "excited": [b.lam for b in modes.blocks if b.share > dynamics.EXCITED],
    }


def _next_truth(
    run: int, at: int, v: Any, surface: Any, rule: dict | None, nearby: Any = None
) -> NextTruth:
    if not 0 <= at < v.steps:
        raise Unaskable(f"run {run + 1} has no step {at + 1} (it runs {v.steps} steps)")
    a, b = np.asarray(v.xy[at], float), np.asarray(v.xy[at + 1], float)
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
        raise Unaskable(f"run {run + 1} has left the map by step {at + 1}")
    (x0, x1), (y0, y1) = surface.plot_window
    for name, p in ((f"w_{at}", a), (f"step {at + 1}", b)):
        if not (x0 <= p[0] <= x1 and y0 <= p[1] <= y1):
            raise Unaskable(
                f"run {run + 1}'s {name} lies off the map, at ({_fmt(p[0])}, {_fmt(p[1])}): no "
                "click could answer it; pick an earlier step"
            )
    diag = math.hypot(x1 - x0, y1 - y0)
    length = float(np.linalg.norm(b - a))
    radius = max(0.25 * length, 0.02 * diag)
    for n in nearby or ():  # a chaotic run: round-off moves where this step lands
        if at + 1 >= len(n.xy):
            continue
        moved = float(np.linalg.norm(np.asarray(n.xy[at + 1], float) - b))
        if not moved <= 0.1 * radius:
            raise Unaskable(
                f"round-off decides where run {run + 1}'s step {at + 1} lands: moving its start "
                f"by {NUDGE:g} of the map moves that point by {_fmt(moved)} (a right answer is "
                f"within {_fmt(radius)}); pick an earlier step"
            )
    out: NextTruth = {
        "kind": "next",
        "run": run,
        "at": at,
        "label": v.label,
        "from": a.tolist(),
        "point": b.tolist(),
        "length": length,
        "radius": radius,
        "window": [[x0, x1], [y0, y1]],
    }
    if rule and rule.get("optimizer") == "gd" and rule.get("plain", True):
        out["gradient"] = np.asarray(surface.grad(a), float).tolist()
    return out


def _max_lr_truth(
    run: int, v: Any, surface: Any, rule: dict | None, sweep: dict | None
) -> MaxLrTruth:
    if not sweep:
        raise Unaskable("checking every η on this slider would cost more than a page may spend")
    values = [float(x) for x in sweep["values"]]
    start = v.xy[0]
    exact = linear_modes(rule, surface, start) is not None
    if exact:  # every value from the same start, by the exact iteration
        said = [
            linear_modes({**rule, "lr": x}, surface, start).regime  # type: ignore[union-attr]
            for x in values
        ]
    else:
        paths = sweep["paths"]() if callable(sweep.get("paths")) else sweep.get("paths")
        if paths is None:
            raise Unaskable(
                "running the run at every η of its slider would cost more than a page may spend"
            )
        xy, loss, div = paths
        said = [classify(xy[i], loss[i], surface.f_min, int(div[i])) for i in range(len(values))]
    ok = [s == "converge" for s in said]
    if not any(ok):
        raise Unaskable(f"run {run + 1} converges at no η of its slider")
    if all(ok):
        raise Unaskable(f"run {run + 1} converges at every η of its slider: no limit to find")
    best = max(i for i, good in enumerate(ok) if good)
    above_i = best + 1 if best + 1 < len(values) else None
    if above_i is not None and said[above_i] is None:
        raise Unaskable(
            f"at {sweep.get('symbol', 'η')} = {values[above_i]:.6g}, just above the last value "
            f"that converges, run {run + 1} neither settles nor clearly fails in its {v.steps} "
            "steps: too close to call"
        )
    above = values[above_i] if above_i is not None else None
    return {
        "kind": "max_lr",
        "run": run,
        "label": v.label,
        "values": values,
        "ok": ok,
        "said": said,
        "best": values[best],
        "above": above,
        "above_says": said[above_i] if above_i is not None else None,
        "exact": exact,
        "symbol": sweep.get("symbol", "η"),
        "theory": _theory_regime(rule, surface),
        "steps": int(v.steps),
    }


# -- answers --------------------------------------------------------------------------------------
def parse_answer(kind: str, raw: Any, t: Truth) -> tuple[str, Any]:
    """``raw`` as ``(text to count, value to grade)``, or ValueError with a message for the student.

    >>> t = {"kind": "max_lr", "values": [0.1, 0.2, 0.4]}
    >>> parse_answer("max_lr", " 0.21 ", t)
    ('0.2', 0.2)
    >>> parse_answer("max_lr", "1e999", t)
    Traceback (most recent call last):
    ...
    ValueError: 1e999 is not a finite number
    """
    if kind == "first":
        n = len(t["steps"])
        i = int(raw) if isinstance(raw, (int, np.integer)) else -1
        if not 0 <= i < n:
            raise ValueError(f"pick one of the {n} runs")
        return f"run {i + 1}", i
    if kind == "regime":
        if raw not in REGIMES:
            raise ValueError("pick converge, oscillate or diverge")
        return str(raw), str(raw)
    if kind == "next":
        try:
            x, y = (float(c) for c in raw)
        except (TypeError, ValueError):
            raise ValueError("a point needs two numbers, x and y") from None
        (x0, x1), (y0, y1) = t["window"]
        if not (math.isfinite(x) and math.isfinite(y)):
            raise ValueError("the point must be finite")
        if not (x0 <= x <= x1 and y0 <= y <= y1):
            raise ValueError(
                f"the point must be on the map: x in [{x0:g}, {x1:g}], y in [{y0:g}, {y1:g}]"
            )
        return f"{x:.4g}, {y:.4g}", (x, y)
    # max_lr: a typed number, snapped to the slider's values
    text = str(raw).strip()
    if not text:
        raise ValueError("type a number")
    if len(text) > MAX_ANSWER_CHARS:
        raise ValueError(
            f"that is {len(text)} characters; a number needs fewer than {MAX_ANSWER_CHARS}"
        )
    try:
        value = float(text.replace(",", ".").replace("−", "-"))
    except ValueError:
        raise ValueError(f"{text} is not a number") from None
    if not math.isfinite(value):
        raise ValueError(f"{text} is not a finite number")
    values = t["values"]
    lo, hi = min(values), max(values)
    if not lo / 2 <= value <= hi * 2:
        raise ValueError(f"{text} is outside the slider, which runs from {lo:.4g} to {hi:.4g}")
    i = snap(values, value)
    return f"{values[i]:.6g}", float(values[i])


def snap(values: Sequence[float], x: float) -> int:
    """The index of the slider value whose half-grid-step cell holds ``x``: cells end halfway
    between neighbours, in the grid's own spacing (arithmetic on an evenly spaced grid, like the
    Learning-rate lab's; geometric on a log grid, like the Playground's).

    >>> snap([0.1, 0.2, 0.3], 0.249), snap([0.1, 0.2, 0.3], 0.251)
    (1, 2)
    >>> snap([0.01, 0.1, 1.0], 0.3), snap([0.01, 0.1, 1.0], 0.4)
    (1, 2)
    """
    v = np.asarray(values, dtype=float)
    if len(v) < 2:
        return 0
    gaps = np.diff(v)
    even = bool(np.all(np.abs(gaps - gaps.mean()) <= 1e-6 * abs(gaps.mean())))
    if even or np.any(v <= 0) or x <= 0:
        mids = (v[1:] + v[:-1]) / 2.0
    else:
        mids = np.sqrt(v[1:] * v[:-1])
    return int(np.searchsorted(mids, x))


def grade(kind: str, t: Truth, value: Any) -> bool:
    """Whether an answer (as :func:`parse_answer` returned it) is right."""
    if kind == "first":
        return int(value) in t["winners"]
    if kind == "regime":
        return value == t["regime"]
    if kind == "next":
        return math.dist(value, t["point"]) <= t["radius"]
    return math.isclose(float(value), t["best"], rel_tol=1e-9)


def prompt(kind: str, t: Truth | None, run: int, at: int, labels: Sequence[str]) -> str:
    """The question as the student reads it (Markdown)."""
    name = labels[run] if 0 <= run < len(labels) else f"run {run + 1}"
    if kind == "first":
        return (
            f"**Which run reaches L − L\\* ≤ {TOL:g} first?** Every run starts at the marked "
            "point; their paths are hidden until the reveal."
        )
    if kind == "regime":
        return (
            f"**Will {name} converge, oscillate forever or diverge?** Its path is hidden until the "
            f"reveal. {dynamics.RULE}"
        )
    if kind == "next":
        return (
            f"**Click on the map where {name}'s step {at + 1} lands.** Its path so far "
            f"(steps 0 to {at}) is drawn; the rest is hidden until the reveal."
        )
    return (
        f"**What is the largest η on {name}'s slider at which it still converges** (its error "
        "and its steps shrink to 0, from the same start)? Type a value: anything within half a "
        "grid step of the answer counts."
    )


def _fmt(x: float) -> str:
    return f"{x:.4g}"


def explain(kind: str, t: Truth, value: Any) -> str:
    """Why the true answer is what it is, in the notes' numbers (Markdown), after an answer."""
    if kind == "first":
        parts = []
        for i, (label, s) in enumerate(zip(t["labels"], t["steps"])):
            when = f"step **{s}**" if s >= 0 else f"not within {t['total']} steps"
            parts.append(f"{label}: {when}" + (" 🏁" if i in t["winners"] else ""))
        return f"Steps to reach L − L\\* ≤ {TOL:g}: " + "; ".join(parts) + "."
    if kind == "regime":
        th = t["theory"]
        said = REGIMES[t["regime"]].split(":")[0]
        out = [f"{t['label']} will **{said}**."]
        modes = t.get("modes")
        if th and modes:
            sym, step = th["step"]
            rel = (
                "below"
                if step < th["limit"] * (1 - 1e-9)
                else ("at" if step <= th["limit"] * (1 + 1e-9) else "above")
            )
            limit = f"{th['rule'].split('<')[0].strip()} < {_fmt(th['limit'])}"
            out.append(
                f"Theory (a quadratic, curvature λ_max = {_fmt(th['lam_max'])}): the method is stable "
                f"for {th['rule']}, here {limit}; {sym} = {_fmt(step)} is **{rel}** it."
            )
            rho = modes["excited_rate"]
            if modes["dormant"] and t["regime"] != "diverge":
                out.append(
                    "But this start lies exactly on the shallow axis: the direction that would "
                    f"blow up (curvature {', '.join(_fmt(x) for x in modes['dormant'])}) is never "
                    f"excited, so the run only feels the directions it starts in, and there its "
                    f"error changes by ρ = {rho:.4g} per step. Move the start off the axis and it "
                    "diverges."
                )
            else:
                out.append(
                    f"From this start its error changes by ρ = {rho:.4g} per step (ρ < 1 "
                    "converges, ρ = 1 bounces for ever, ρ > 1 grows)."
                )
            if th.get("sigma_w") and sym == "η":
                out.append(
                    f"On σw ≈ y this is EECS 182's η < 1/σ_max² = {_fmt(th['limit'])} (λ_max = 2σ_max²); "
                    "at exactly 1/σ² the steep direction's error flips sign with the same size: "
                    "period 2 (note 004 says it diverges; it does not)."
                )
        elif t["regime"] != "diverge" or t["diverged_at"] < 0:
            out.append(f"Measured from its own path: {_RULE_USED[t['regime']]}")
        fate, floor = t.get("fate") or ("floor", 1.0)
        if t.get("noisy") and t["regime"] == "oscillate":
            out.append(
                "Each minibatch gradient is the full gradient plus noise, so at a constant η "
                "every step adds fresh noise of size ~η: SGD reaches the optimum's "
                "neighbourhood and keeps dancing around it (EECS 182 note 2); a decaying η, "
                "with Σ η_k = ∞ and Σ η_k² < ∞, lets it settle."
            )
            if fate == "floor" and floor < 1.0:
                out.append(
                    f"This η decays, but to a floor of {floor:.3g} × η₀ and stays there: the "
                    "dance shrinks to that size and never stops."
                )
        if t.get("noisy") and t["regime"] == "converge" and fate == "robbins_monro":
            out.append(
                "Its η decays like 1/t: Σ η_k = ∞ (it can still travel anywhere) and Σ η_k² < ∞ "
                "(the noise it adds is finite in total), so the dance shrinks to 0 and SGD "
                "settles (Robbins–Monro, EECS 182 note 2), slowly."
            )
        if t["diverged_at"] >= 0:
            out.append(f"Measured: it left the bounded region at step {t['diverged_at']}.")
        elif t["gap1"] is not None:
            out.append(
                f"Measured: L − L\\* went from {_fmt(t['gap0'])} to {_fmt(t['gap1'])} in {t['steps']} steps"
                + "."
            )
        return " ".join(out)
    if kind == "next":
        px, py = t["point"]
        out = (
            f"Step {t['at'] + 1} of {t['label']} lands at ({_fmt(px)}, {_fmt(py)}), "
            f"{_fmt(t['length'])} from w_{t['at']}."
        )
        if value is not None:
            d = math.dist(value, t["point"])
            share = f" ({d / t['length']:.0%} of the step)" if t["length"] > 0 else ""
            out += (
                f" Your point is {_fmt(d)} away{share}; within {_fmt(t['radius'])} counts as right."
            )
        if "gradient" in t:
            gx, gy = t["gradient"]
            out += (
                f" GD steps straight down the gradient: ∇L(w_{t['at']}) = ({_fmt(gx)}, {_fmt(gy)}), "
                "so the step is −η∇L, perpendicular to the contour line."
            )
        return out
    th = t["theory"]
    above = t["above"]
    how = (
        "by the exact iteration from its start"
        if t.get("exact")
        else "by running it at each, read by the rule above"
    )
    out = (
        f"Checked on all {len(t['values'])} values of the slider, {how}: "
        f"{t['label'].split('. ', 1)[-1]} still converges at {t['symbol']} = **{t['best']:.6g}**"
        + (
            f", and at {above:.6g} it would {t.get('above_says') or 'not converge'}."
            if above is not None
            else "."
        )
    )
    if th:
        out += f" Theory: {th['rule']} = {_fmt(th['limit'])} (λ_max = {_fmt(th['lam_max'])})"
        if th.get("sigma_w") and th["step"][0] == "η":
            out += f", which on σw ≈ y is EECS 182's η < 1/σ_max² = {_fmt(th['limit'])}"
        lo, hi = t["best"], above if above is not None else math.inf
        if th["step"][0] == "η" and lo < th["limit"] <= hi:
            out += "; at the limit itself the run bounces for ever without settling, so the answer is the last value below it"
        out += "."
    return out


_RULE_USED = {
    "converge": "its steps and its error shrink to 0.",
    "oscillate": "over the second half of its steps it keeps moving at a steady size and keeps "
    "coming back: bounded, never settling.",
    "diverge": "its steps grow while its loss rises.",
}


# -- the reveal on the map ------------------------------------------------------------------------
def prediction_traces(
    kind: str,
    t: Truth,
    value: Any,
    look: Look,
    class_points: Sequence[tuple[float, float]] = (),
) -> list[dict[str, Any]]:
    """Markers for the map after a ``next`` answer: the student's point (a star), the true point
    (a ring with the radius that counts as right) and, for the teacher, the class's points."""
    if kind != "next":
        return []
    out: list[dict[str, Any]] = []
    if class_points:
        xs, ys = zip(*class_points)
        out.append(
            {
                "type": "scatter",
                "x": list(xs),
                "y": list(ys),
                "mode": "markers",
                "name": f"the class's clicks ({len(xs)})",
                "marker": {
                    "symbol": "x-thin-open",
                    "size": look.marker * 1.2,
                    "color": "#444",
                    "line": {"width": 2, "color": "#444"},
                },
                "hovertemplate": "a student's click (%{x:.3g}, %{y:.3g})<extra></extra>",
            }
        )
    px, py = t["point"]
    ang = np.linspace(0, 2 * np.pi, 49)
    out.append(
        {
            "type": "scatter",
            "x": (px + t["radius"] * np.cos(ang)).tolist(),
            "y": (py + t["radius"] * np.sin(ang)).tolist(),
            "mode": "lines",
            "name": "counts as right",
            "showlegend": False,
            "line": {"color": "#1a7f37", "width": look.line, "dash": "dot"},
            "fill": "toself",
            "fillcolor": "rgba(26, 127, 55, 0.12)",
            "hoverinfo": "skip",
        }
    )
    out.append(
        {
            "type": "scatter",
            "x": [px],
            "y": [py],
            "mode": "markers",
            "name": f"step {t['at'] + 1}: where it lands",
            "marker": {
                "symbol": "circle",
                "size": look.marker * 1.3,
                "color": "#1a7f37",
                "line": {"width": 2, "color": "#ffffff"},
            },
            "hovertemplate": f"step {t['at'] + 1} lands at (%{{x:.4g}}, %{{y:.4g}})<extra></extra>",
        }
    )
    if value is not None:
        out.append(
            {
                "type": "scatter",
                "x": [float(value[0])],
                "y": [float(value[1])],
                "mode": "markers+text",
                "name": "your prediction",
                "text": ["your prediction"],
                "textposition": "top center",
                "textfont": {"size": look.font, "color": "#b35900"},
                "marker": {
                    "symbol": "star",
                    "size": look.marker * 2.2,
                    "color": "#ff9f1c",
                    "line": {"width": 1.5, "color": "#7a3d00"},
                },
                "hovertemplate": "your prediction (%{x:.4g}, %{y:.4g})<extra></extra>",
            }
        )
    return out


def tally_figure(rows: Sequence[tuple[str, int, bool]], look: Look) -> dict[str, Any]:
    """The class's answers as horizontal bars, one per answer (students), the right ones green.

    >>> f = tally_figure([("converge", 3, False), ("oscillate", 9, True)], Look())
    >>> f["data"][0]["x"], f["data"][0]["marker"]["color"]
    ([3, 9], ['#9aa0a6', '#1a7f37'])
    """
    names = [r[0] for r in rows]
    counts = [int(r[1]) for r in rows]
    right = [bool(r[2]) for r in rows]
    total = max(sum(counts), 1)
    return {
        "data": [
            {
                "type": "bar",
                "orientation": "h",
                "y": names,
                "x": counts,
                "text": [
                    f"{n} ({n / total:.0%})" + (" ✓" if ok else "") for n, ok in zip(counts, right)
                ],
                "textposition": "auto",
                "marker": {"color": ["#1a7f37" if ok else "#9aa0a6" for ok in right]},
                "hovertemplate": "%{y}: %{x} students<extra></extra>",
            }
        ],
        "layout": base_layout(
            look,
            int(70 + (look.font * 2.6) * max(len(rows), 1)),
            showlegend=False,
            margin={"l": 10, "r": 10, "t": 10, "b": 30},
            xaxis={
                "title": {"text": "students"},
                "gridcolor": GRID,
                "rangemode": "tozero",
                "dtick": max(1, total // 5),
            },
            yaxis={"autorange": "reversed", "automargin": True},
        ),
    }
