"""Predict, then reveal: what a question about a view asks, its true answer, and how to grade one.

Four kinds of question fit the race view (``KINDS``):

- ``first``: which run reaches L − L* ≤ 10⁻⁶ first (runs tied at the same step are all right);
- ``regime``: will run r converge, oscillate forever (bounded, never settling) or diverge. On a
  quadratic with GD, heavy ball or Nesterov (no schedule, no noise) theory decides, from the
  spectral radius ρ of the method on the surface's Hessian (ρ < 1, = 1, > 1); elsewhere the run
  itself does (:func:`classify`), and a run whose outcome is not clear-cut is no question;
- ``next``: where run r's step k+1 lands, as a click on the map: right within a radius of
  max(25 % of that step's length, 2 % of the view's diagonal);
- ``max_lr``: the largest η on run r's slider that still converges, measured on every value of
  the slider (:func:`converges`), answered as a number and snapped to the slider.

Everything here is pure (no Streamlit): the truth is a JSON-ready dict, so a page can keep it in
its session and grade an answer in a callback. The explanations quote the notes' numbers: GD is
stable for η < 2/λ_max (η < 1/σ² on σw ≈ y), heavy ball for α < (2 + 2μ)/λ_max.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from optim import theory

from .style import GRID, Look, base_layout

__all__ = [
    "KINDS",
    "REGIMES",
    "TOL",
    "Unaskable",
    "classify",
    "converges",
    "explain",
    "grade",
    "parse_answer",
    "prediction_traces",
    "prompt",
    "steps_to",
    "tally_figure",
    "truth",
]

TOL = 1e-6  # "reaches the tolerance": L − L* ≤ TOL, as the finish line says
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


def converges(loss: np.ndarray, f_min: float | None, diverged_at: int) -> bool:
    """Whether a run still converges: finite, its gap L − L* at least halved by its end, and
    still shrinking (the largest gap of the last eighth of the run below that of the eighth
    before). A run at the stability limit bounces with a constant gap; above it the gap grows.

    >>> k = np.arange(61.0)
    >>> converges(0.9**k, 0.0, -1), converges(1 + 0.5**k, 0.0, -1), converges(1.01**k, 0.0, -1)
    (True, False, False)
    """
    loss = np.asarray(loss, dtype=float)
    if diverged_at >= 0 or not np.all(np.isfinite(loss)):
        return False
    base = float(f_min) if f_min is not None else float(np.min(loss))
    gap = loss - base
    if gap[-1] <= 1e-10 * max(float(gap[0]), 1e-300):
        return True
    w = max((len(gap) - 1) // 8, 2)
    if len(gap) < 2 * w + 1:
        return bool(gap[-1] <= 0.5 * gap[0])
    tail, before = float(np.max(gap[-w:])), float(np.max(gap[-2 * w : -w]))
    return bool(gap[-1] <= 0.5 * gap[0] and tail < before * (1 - 1e-6))


def classify(xy: np.ndarray, loss: np.ndarray, f_min: float | None, diverged_at: int) -> str | None:
    """What a run did, measured: ``converge``, ``oscillate``, ``diverge``, or None (not clear).

    Diverge: it left the bounded region, or its gap grew tenfold. Converge: its steps died out
    (the last five under 10⁻³ of the largest) or its gap fell 1000×. Oscillate: in its last
    quarter the steps keep ≥ 10 % of their early size and at least a third of them turn back.

    >>> k = np.arange(41.0)
    >>> bounce = np.stack([(-1.0) ** k, 0 * k], 1)
    >>> classify(bounce, bounce[:, 0] ** 2, 0.0, -1)
    'oscillate'
    >>> settle = np.stack([0.5**k, 0 * k], 1)
    >>> classify(settle, settle[:, 0] ** 2, 0.0, -1), classify(settle, settle[:, 0], 0.0, 7)
    ('converge', 'diverge')
    """
    xy, loss = np.asarray(xy, dtype=float), np.asarray(loss, dtype=float)
    if diverged_at >= 0 or not np.all(np.isfinite(loss)):
        return "diverge"
    steps = np.diff(xy, axis=0)
    n = len(steps)
    if n < 4:
        return None
    base = float(f_min) if f_min is not None else float(np.min(loss))
    gap0, gap1 = loss[0] - base, loss[-1] - base
    if gap0 > 0 and gap1 > 10 * gap0:
        return "diverge"
    size = np.linalg.norm(steps, axis=1)
    top = float(np.max(size))
    if top == 0 or float(np.mean(size[-5:])) <= 1e-3 * top or (gap0 > 0 and gap1 <= 1e-3 * gap0):
        return "converge"
    tail = steps[-max(n // 4, 3) :]
    early = float(np.median(size[: max(n // 4, 3)]))
    turns = np.mean(np.sum(tail[1:] * tail[:-1], axis=1) < 0)
    if float(np.median(np.linalg.norm(tail, axis=1))) >= 0.1 * early and turns >= 1 / 3:
        return "oscillate"
    return None


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
) -> dict[str, Any]:
    """The true answer to ``kind`` about ``views`` (run index ``run``, step ``at``), JSON-ready.

    ``rules[i]`` describes run i for theory (``{"optimizer", "lr", "beta", "convention", "plain"}``,
    ``plain`` False with a schedule, noise or clipping); ``sweep`` is run ``run`` at every value of
    its η slider (``{"values", "loss" (G, F), "diverged" (G,), "grid", "symbol"}``), for ``max_lr``.
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
            "kind": kind,
            "steps": steps,
            "winners": [i for i, s in enumerate(steps) if s == min(hits)],
            "labels": [v.label for v in views],
            "total": max(v.steps for v in views),
        }
    if not 0 <= run < len(views):
        raise Unaskable(f"there is no run {run + 1}")
    v = views[run]
    if kind == "regime":
        rule = (rules or [None] * len(views))[run]
        th = _theory_regime(rule, surface)
        measured = classify(v.xy, v.loss, f_min, v.diverged_at)
        if th is None and measured is None:
            raise Unaskable(
                f"run {run + 1} neither settles, bounces nor blows up clearly within {v.steps} "
                "steps: give it more steps, or ask about another run"
            )
        base = f_min if f_min is not None else float(np.nanmin(v.loss))
        return {
            "kind": kind,
            "run": run,
            "label": v.label,
            "regime": th["regime"] if th else measured,
            "measured": measured,
            "theory": th,
            "gap0": float(v.loss[0] - base),
            "gap1": float(v.loss[-1] - base) if np.isfinite(v.loss[-1]) else None,
            "diverged_at": int(v.diverged_at),
            "steps": int(v.steps),
            "noisy": bool(rule and rule.get("plain") is False),
        }
    if kind == "next":
        if not 0 <= at < v.steps:
            raise Unaskable(f"run {run + 1} has no step {at + 1} (it runs {v.steps} steps)")
        a, b = np.asarray(v.xy[at], float), np.asarray(v.xy[at + 1], float)
        if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
            raise Unaskable(f"run {run + 1} has left the map by step {at + 1}")
        (x0, x1), (y0, y1) = surface.plot_window
        diag = math.hypot(x1 - x0, y1 - y0)
        length = float(np.linalg.norm(b - a))
        out = {
            "kind": kind,
            "run": run,
            "at": at,
            "label": v.label,
            "from": a.tolist(),
            "point": b.tolist(),
            "length": length,
            "radius": max(0.25 * length, 0.02 * diag),
            "window": [[x0, x1], [y0, y1]],
        }
        rule = (rules or [None] * len(views))[run]
        if rule and rule.get("optimizer") == "gd" and rule.get("plain", True):
            out["gradient"] = np.asarray(surface.grad(a), float).tolist()
        return out
    # max_lr
    if not sweep:
        raise Unaskable("checking every η on this slider would cost more than a page may spend")
    values = [float(x) for x in sweep["values"]]
    ok = [
        converges(row, f_min, int(d))
        for row, d in zip(np.asarray(sweep["loss"]), np.asarray(sweep["diverged"]))
    ]
    if not any(ok):
        raise Unaskable(f"run {run + 1} converges at no η of its slider")
    if all(ok):
        raise Unaskable(f"run {run + 1} converges at every η of its slider: no limit to find")
    best = max(i for i, good in enumerate(ok) if good)
    above = next((values[i] for i in range(best + 1, len(values)) if not ok[i]), None)
    rule = (rules or [None] * len(views))[run]
    th = _theory_regime(rule, surface)
    return {
        "kind": kind,
        "run": run,
        "label": v.label,
        "values": values,
        "ok": ok,
        "best": values[best],
        "above": above,
        "symbol": sweep.get("symbol", "η"),
        "theory": th,
        "steps": int(v.steps),
    }


# -- answers --------------------------------------------------------------------------------------
def parse_answer(kind: str, raw: Any, t: dict[str, Any]) -> tuple[str, Any]:
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
    i = int(np.argmin([abs(math.log(v / value)) if value > 0 else abs(v - value) for v in values]))
    return f"{values[i]:.6g}", float(values[i])


def grade(kind: str, t: dict[str, Any], value: Any) -> bool:
    """Whether an answer (as :func:`parse_answer` returned it) is right."""
    if kind == "first":
        return int(value) in t["winners"]
    if kind == "regime":
        return value == t["regime"]
    if kind == "next":
        return math.dist(value, t["point"]) <= t["radius"]
    return math.isclose(float(value), t["best"], rel_tol=1e-9)


def prompt(kind: str, t: dict[str, Any] | None, run: int, at: int, labels: Sequence[str]) -> str:
    """The question as the student reads it (Markdown)."""
    name = labels[run] if 0 <= run < len(labels) else f"run {run + 1}"
    if kind == "first":
        return (
            f"**Which run reaches L − L\\* ≤ {TOL:g} first?** Every run starts at the marked "
            "point; their paths are hidden until you answer."
        )
    if kind == "regime":
        return f"**Will {name} converge, oscillate forever or diverge?** Its path is hidden until you answer."
    if kind == "next":
        return (
            f"**Click on the map where {name}'s step {at + 1} lands.** Its path so far "
            f"(steps 0 to {at}) is drawn; the rest is hidden until you answer."
        )
    return (
        f"**What is the largest η on {name}'s slider that still converges?** Type a value; it is "
        "snapped to the slider's nearest value."
    )


def _fmt(x: float) -> str:
    return f"{x:.4g}"


def explain(kind: str, t: dict[str, Any], value: Any) -> str:
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
        if th:
            sym, step = th["step"]
            rel = (
                "below"
                if step < th["limit"] * (1 - 1e-9)
                else ("at" if step <= th["limit"] * (1 + 1e-9) else "above")
            )
            limit = f"{th['rule'].split('<')[0].strip()} < {_fmt(th['limit'])}"
            out.append(
                f"Theory (a quadratic, curvature λ_max = {_fmt(th['lam_max'])}): the method is stable "
                f"for {th['rule']}, here {limit}; {sym} = {_fmt(step)} is **{rel}** it, and the "
                f"error shrinks by ρ = {th['rho']:.4g} per step (ρ < 1 converges, ρ = 1 bounces for "
                "ever, ρ > 1 grows)."
            )
            if th.get("sigma_w") and sym == "η":
                out.append(
                    f"On σw ≈ y this is EECS 182's η < 1/σ_max² = {_fmt(th['limit'])} (λ_max = 2σ_max²); "
                    "at exactly 1/σ² the steep direction's error flips sign with the same size: "
                    "period 2 (note 004 says it diverges; it does not)."
                )
        if t.get("noisy") and t["regime"] == "oscillate":
            out.append(
                "Each minibatch gradient is the full gradient plus noise, so at a constant η "
                "every step adds fresh noise of size ~η: SGD reaches the optimum's "
                "neighbourhood and keeps dancing around it (EECS 182 note 2); a decaying η, "
                "with Σ η_k = ∞ and Σ η_k² < ∞, lets it settle."
            )
        if t["diverged_at"] >= 0:
            out.append(f"Measured: it left the bounded region at step {t['diverged_at']}.")
        elif t["gap1"] is not None:
            out.append(
                f"Measured: L − L\\* went from {_fmt(t['gap0'])} to {_fmt(t['gap1'])} in {t['steps']} steps"
                + (
                    "."
                    if t["measured"] in (None, t["regime"])
                    else f" (over these steps it looks like {t['measured']}; theory says where it goes in the end)."
                )
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
    out = (
        f"Measured on all {len(t['values'])} values of the slider: {t['label'].split('. ', 1)[-1]} still converges "
        f"at {t['symbol']} = **{t['best']:.6g}**"
        + (f" and no longer at {above:.6g}." if above is not None else ".")
    )
    if th:
        sym, _ = th["step"]
        out += f" Theory: {th['rule']} = {_fmt(th['limit'])} (λ_max = {_fmt(th['lam_max'])})"
        if th.get("sigma_w") and sym == "η":
            out += f", which on σw ≈ y is EECS 182's η < 1/σ_max² = {_fmt(th['limit'])}"
        out += (
            "; at the limit itself GD bounces for ever (period 2), so the answer is just below it."
        )
    return out


# -- the reveal on the map ------------------------------------------------------------------------
def prediction_traces(
    kind: str,
    t: dict[str, Any],
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
