"""What every view of a run draws, computed once (pure NumPy): the window test, where a diverged
run's ✕ goes, a 3D ball's height, the curves' series.

The race view (``viz/race.js``), the 3D figure and the GIF all read these; none of them redoes the
geometry (the browser receives the numbers as fields of the run: ``div_xy``, ``z``, ``series``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["Box", "Heights", "divergence_points", "inside", "series", "short_label"]

Box = tuple[tuple[float, float], tuple[float, float]]
FLOOR = 1e-16  # a log axis's floor: L − L* or a distance of 0 is drawn at 1e-16


def inside(p: np.ndarray, window: Box) -> np.ndarray:
    """Which points ``(…, 2)`` are finite and inside ``window``.

    >>> inside(np.array([[0.0, 0.0], [5.0, 0.0], [np.nan, 0.0]]), ((-1, 1), (-1, 1))).tolist()
    [True, False, False]
    """
    (x0, x1), (y0, y1) = window
    with np.errstate(invalid="ignore"):
        return (
            np.isfinite(p).all(-1)
            & (p[..., 0] >= x0)
            & (p[..., 0] <= x1)
            & (p[..., 1] >= y0)
            & (p[..., 1] <= y1)
        )


def divergence_points(
    xy: np.ndarray, ks: np.ndarray, diverged_at: np.ndarray, window: Box
) -> np.ndarray:
    """Where each diverged path's ✕ is drawn: its last point inside ``window`` at a kept step
    ``ks ≤`` its divergence step (the start if none); NaN for a path that did not diverge.

    ``xy`` is ``(G, F, 2)`` at the steps ``ks`` (``(F,)``), ``diverged_at`` ``(G,)`` (−1: never).

    >>> xy = np.array([[[0.0, 0.0], [0.5, 0.0], [9.0, 0.0], [np.inf, 0.0]]])
    >>> divergence_points(xy, np.arange(4), np.array([3]), ((-1, 1), (-1, 1))).tolist()
    [[0.5, 0.0]]
    """
    xy = np.asarray(xy, dtype=float)
    out = np.full((xy.shape[0], 2), np.nan)
    ok = inside(xy, window)
    for g, d in enumerate(np.asarray(diverged_at).reshape(-1)):
        if d < 0:
            continue
        n = int(np.searchsorted(ks, d, side="right")) - 1
        hits = np.flatnonzero(ok[g, : n + 1])
        out[g] = xy[g, hits[-1]] if hits.size else xy[g, 0]
    return out


def series(values: np.ndarray, log: bool, offset: float | None = None) -> np.ndarray:
    """A curve's y values as drawn: ``values − offset``, on a log axis floored at 1e-16 and NaN
    where not finite.

    >>> series(np.array([1.0, 0.5, np.inf]), True, offset=0.5).tolist()
    [0.5, 1e-16, nan]
    """
    y = np.asarray(values, dtype=float) - (offset or 0.0)
    if log:
        with np.errstate(invalid="ignore"):
            y = np.where(np.isfinite(y), np.maximum(y, FLOOR), np.nan)
    return y


def short_label(label: str) -> str:
    """A run's name without its settings: the scrubber's run picker, a scrubbed legend entry.

    XX
        ('2. momentum (pytorch)', '1. GD')
    """
    return re.split(r" [ηαγ] ?=", label)[0]


@dataclass(frozen=True)
class Heights:
    """How a loss becomes a height in the 3D view: the loss itself, or log₁₀(L − L_min + δ) on a
    surface whose loss spans decades, clipped to the drawn surface's range and lifted a little so
    a ball sits on the surface, not in it. The one formula of the 3D height."""

    log: bool
    raw_min: float
    delta: float
    zlo: float
    zhi: float
    lift: float
    title: str

    @classmethod
    def of(cls, surface: Any, z: np.ndarray) -> Heights:
        """The heights of ``surface`` drawn over the mesh values ``z``."""
        finite = z[np.isfinite(z)]
        raw_min = float(finite.min()) if finite.size else 0.0
        span = float(finite.max() - raw_min) if finite.size else 1.0
        delta = 1e-3 * (span or 1.0)
        log = bool(surface.log_scale)
        h = cls(log, raw_min, delta, 0.0, 1.0, 0.0, "")
        drawn = h.display(z)
        ok = drawn[np.isfinite(drawn)]
        zlo, zhi = (float(ok.min()), float(ok.max())) if ok.size else (0.0, 1.0)
        zhi = zhi if zhi > zlo else zlo + 1.0
        title = "log₁₀(L − L_min + δ)" if log else "L(x, y)"
        return cls(log, raw_min, delta, zlo, zhi, 0.01 * (zhi - zlo), title)

    def display(self, loss: np.ndarray) -> np.ndarray:
        """The height drawn for a loss, unclipped (the surface's own mesh)."""
        if not self.log:
            return np.asarray(loss, dtype=float)
        with np.errstate(all="ignore"):
            return np.log10(np.asarray(loss, dtype=float) - self.raw_min + self.delta)

    def __call__(self, loss: np.ndarray) -> np.ndarray:
        """A ball's or a path's height: clipped to the surface's range, lifted."""
        with np.errstate(invalid="ignore"):
            return np.clip(self.display(loss), self.zlo, self.zhi) + self.lift

    def path(self, xy: np.ndarray, loss: np.ndarray, window: Box) -> np.ndarray:
        """Heights along a path ``(…, F, 2)``: NaN where it leaves the window."""
        return np.where(inside(xy, window), self(loss), np.nan)

    def at_divergence(
        self, loss: np.ndarray, ks: np.ndarray, diverged_at: np.ndarray
    ) -> np.ndarray:
        """The ✕'s height per path ``(G,)``: its last finite loss at a kept step ≤ its divergence."""
        loss = np.atleast_2d(np.asarray(loss, dtype=float))
        out = np.full(loss.shape[0], np.nan)
        for g, d in enumerate(np.asarray(diverged_at).reshape(-1)):
            if d < 0:
                continue
            n = int(np.searchsorted(ks, d, side="right")) - 1
            finite = np.flatnonzero(np.isfinite(loss[g, : n + 1]))
            if finite.size:
                out[g] = self(loss[g, finite[-1]])
        return out
