"""What happened to the runs, in sentences: divergence (and a pole crossed), the finish line."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .views import RunView

__all__ = ["divergence_messages", "finish_line", "pole_crossing"]


def divergence_messages(views: Sequence[RunView], surface: Any | None = None) -> list[str]:
    """One sentence per run that diverged or crossed a singularity, for the page to show.

    A run whose start is where the loss is undefined is told so (a smaller η would not help); with
    a ``surface`` that may have poles (a typed formula), a step that jumps across one (the loss
    between its ends is undefined or more than 1000× larger than at both) is flagged even when
    the run goes on finite. Other surfaces are not searched: they have no poles, and the search
    costs ~2.5 s on a data surface at 8 runs × 1000 steps.
    """
    poles = surface is not None and getattr(surface, "may_have_poles", True)
    out = []
    for v in views:
        if v.diverged and v.diverged_at == 0 and not np.isfinite(v.loss[0]):
            x, y = v.xy[0]
            out.append(
                f"**{v.label}** cannot start: the loss is undefined at the start "
                f"({x:.4g}, {y:.4g}) (not a real number there). Pick a start where the formula is "
                "defined; a smaller learning rate would not help."
            )
        elif v.diverged:
            out.append(
                f"**{v.label}** diverged at step {v.diverged_at}: the iterate left the region "
                "where the loss is finite and bounded, so the run stops there (✕ on the plots). "
                "A smaller learning rate, or gradient clipping, keeps it stable."
            )
        if poles:
            k = pole_crossing(surface, v.xy)
            if k is not None:
                out.append(
                    f"**{v.label}** jumped across a singularity at step {k}: between w_{k} and "
                    f"w_{k + 1} the loss is undefined or blows up, so the path crosses a pole the "
                    "plot cannot show. Its later steps are on the other side."
                )
    return out


def pole_crossing(surface: Any, xy: np.ndarray, samples: int = 9, rounds: int = 4) -> int | None:
    """The first step whose segment ``w_k → w_{k+1}`` crosses a pole of the loss, or None.

    The loss is sampled at ``samples`` interior points of every segment, then ``rounds`` times
    again around each segment's largest |L| (vectorized over segments): near a pole |L| grows
    without bound as the samples close in, near a smooth bump it settles at the bump's height. A
    crossing is a non-finite value, or one above 1000× the larger end (and above 1000).

    >>> from types import SimpleNamespace
    >>> s = SimpleNamespace(f=lambda w: 1 / w[..., 0] + w[..., 1] ** 2)  # 1/x + y², a pole at x = 0
    >>> pole_crossing(s, np.array([[-0.5, 1.0], [-0.3, 0.9], [0.256, 0.81]]))
    1
    >>> pole_crossing(s, np.array([[0.5, 0.0], [0.6, 0.0]])) is None
    True
    """
    pts = np.asarray(xy, dtype=float)
    ok = np.all(np.isfinite(pts), axis=1)
    seg = np.flatnonzero(ok[:-1] & ok[1:])
    if seg.size == 0:
        return None
    a, b = pts[seg], pts[seg + 1]
    with np.errstate(all="ignore"):
        ends = np.maximum(np.abs(surface.f(a)), np.abs(surface.f(b)))
    lo, hi = np.zeros(seg.size), np.ones(seg.size)
    bad = np.zeros(seg.size, dtype=bool)
    for _ in range(rounds + 1):
        t = lo[:, None] + (hi - lo)[:, None] * (np.arange(1, samples + 1) / (samples + 1))[None, :]
        mid = a[:, None, :] + t[..., None] * (b - a)[:, None, :]
        with np.errstate(all="ignore"):
            val = np.abs(np.asarray(surface.f(mid.reshape(-1, 2)), dtype=float)).reshape(t.shape)
        val = np.where(np.isfinite(val), val, np.inf)
        bad |= np.any((val > 1e3 * ends[:, None]) & (val > 1e3), axis=1)
        peak = np.take_along_axis(t, np.argmax(val, axis=1)[:, None], axis=1)[:, 0]
        half = (hi - lo) / (samples + 1)
        lo, hi = np.clip(peak - half, 0.0, 1.0), np.clip(peak + half, 0.0, 1.0)
    hit = np.flatnonzero(bad & np.isfinite(ends))
    return int(seg[hit[0]]) if hit.size else None


def finish_line(views: Sequence[RunView], f_min: float | None, tol: float = 1e-6) -> str | None:
    """The race's result in one line: the step at which each run first got within ``tol`` of the
    minimum's loss, or why it did not (None when the surface has no known minimum).

    >>> v = RunView("1. GD", "#000", np.zeros((3, 2)), np.array([1.0, 1e-3, 1e-7]), -1)
    >>> finish_line([v], 0.0)
    '🏁 Steps to reach L − L* ≤ 1e-06: **1. GD**: step 2.'
    """
    if f_min is None:
        return None
    parts = []
    for v in views:
        if v.diverged:
            parts.append(f"**{v.label}**: diverged at step {v.diverged_at}")
            continue
        hit = np.flatnonzero(np.asarray(v.loss) - f_min <= tol)
        parts.append(
            f"**{v.label}**: step {int(hit[0])}"
            if hit.size
            else f"**{v.label}**: not within {v.steps} steps"
        )
    return f"🏁 Steps to reach L − L* ≤ {tol:g}: " + "; ".join(parts) + "."
