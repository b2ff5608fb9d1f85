"""The field's iso-lines as vectors, computed with contourpy (the library Matplotlib draws with).

The race view draws them as one line trace over the shaded PNG (``viz.raster.field_png`` with
``lines=False``), under the runs: smooth at any zoom and on a projector, where a raster of a coarse
grid read as stripes. The levels: equal steps of the loss, equal-area steps (quantiles) on a surface
whose loss spans decades, and geometric steps above the minimum on an ill-conditioned bowl
(``Surface.bowl``), so it shows its nested ellipses.
"""

from __future__ import annotations

import numpy as np

from .raster import LEVELS

__all__ = ["contour_lines", "levels_of"]


SPAN = 1e-4  # a bowl's lowest level, as a share of its highest above the minimum


def levels_of(
    z: np.ndarray, log: bool = False, levels: int = LEVELS, floor: float | None = None
) -> np.ndarray:
    """The loss values of the iso-lines: ``levels − 1`` of them.

    Equal steps of the loss (the shading's bands); equal-area steps (quantiles) with ``log``; and
    for a bowl whose minimum value ``floor`` is known, geometric steps above it, from the top 2 %
    down to ``SPAN`` of it: on a quadratic each level's ellipse is a fixed ratio smaller than the
    last, so an ill-conditioned bowl shows its nested ellipses, not only the stripes of its walls.

    >>> levels_of(np.linspace(0.0, 1.0, 101), levels=4).round(2).tolist()
    [0.24, 0.49, 0.74]
    >>> levels_of(np.linspace(0.0, 1.0, 101), levels=4, floor=0.0).round(4).tolist()
    [0.0001, 0.0098, 0.98]
    """
    v = np.asarray(z, dtype=float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return np.zeros(0)
    if floor is not None and not log:
        top = float(np.quantile(v, 0.98)) - floor
        if top > 0:
            return floor + top * SPAN ** (np.arange(levels - 1)[::-1] / max(levels - 2, 1))
    k = np.arange(1, levels) / levels
    if log:  # equal-area bands: the field_levels rank, as loss values
        return np.unique(np.quantile(v, k))
    lo, hi = float(np.min(v)), float(np.quantile(v, 0.98))
    if hi <= lo:
        hi = float(np.max(v)) if np.max(v) > lo else lo + 1.0
    return lo + k * (hi - lo)


def contour_lines(
    xs: np.ndarray,
    ys: np.ndarray,
    z: np.ndarray,
    log: bool = False,
    levels: int = LEVELS,
    floor: float | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Every iso-line of ``z[i, j] = f(xs[j], ys[i])`` at :func:`levels_of` (``floor``: a bowl's
    minimum value), as one polyline (``x``, ``y``) with NaN between lines (one Plotly trace).
    Undefined points (NaN, inf) are masked: no line crosses them.

    >>> xs = ys = np.linspace(-1, 1, 41)
    >>> x, y = contour_lines(xs, ys, np.add.outer(ys**2, xs**2), levels=2)
    >>> r = np.hypot(x, y)[np.isfinite(x)]
    >>> bool(np.allclose(r, np.sqrt(levels_of(np.add.outer(ys**2, xs**2), levels=2)[0]), atol=0.01))
    True
    """
    import contourpy

    z = np.asarray(z, dtype=float)
    mask = ~np.isfinite(z)
    field = np.ma.masked_array(np.where(mask, 0.0, z), mask=mask) if mask.any() else z
    gen = contourpy.contour_generator(
        np.asarray(xs, dtype=float), np.asarray(ys, dtype=float), field, line_type="Separate"
    )
    parts: list[np.ndarray] = []
    gap = np.full((1, 2), np.nan)
    for level in levels_of(z, log, levels, floor):
        for line in gen.lines(float(level)):
            parts.extend((line, gap))
    if not parts:
        return np.zeros(0), np.zeros(0)
    xy = np.concatenate(parts[:-1])
    return xy[:, 0], xy[:, 1]
