"""The loss field as a small PNG: the background of the animated contour plot.

A Plotly contour or heatmap trace disappears as soon as an animation plays (plotly.js issues 4491 and
4596; see PLATFORM_NOTES). An image in ``layout.images`` is not a trace, so frames never touch it. The
field is drawn here with NumPy and Pillow: pale filled bands, darker iso-lines between them, and the
region where the loss is undefined (NaN or inf) hatched in light grey.
"""

from __future__ import annotations

import base64
import io

import numpy as np
from PIL import Image

__all__ = ["LEVELS", "field_levels", "field_png", "png_data_uri"]

LEVELS = 24
# Pale ramp from low loss (white) to high loss (grey-blue): coloured paths stay the strongest ink.
_STOPS = np.array([0.0, 0.35, 0.7, 1.0])
_RGB = np.array(
    [[255, 251, 232], [228, 242, 225], [203, 221, 232], [174, 184, 211]], dtype=float
)  # cream, pale green, pale blue, slate lavender
_LINE = np.array([90, 98, 115], dtype=float)
_UNDEFINED = np.array([245, 226, 226], dtype=float)


def field_levels(z: np.ndarray, log: bool = False) -> np.ndarray:
    """Map loss values to ``[0, 1]`` (NaN where undefined): log-spaced above the minimum if ``log``.

    Linear levels clip the top 2 % so one huge corner does not flatten the rest; ``log`` (for
    surfaces whose structure spans decades: Rosenbrock, Goldstein–Price) uses equal-area levels.

    >>> field_levels(np.array([[0.0, 1.0], [2.0, np.inf]])).round(2).tolist()
    [[0.0, 0.51], [1.0, nan]]
    """
    z = np.asarray(z, dtype=float)
    ok = np.isfinite(z)
    out = np.full(z.shape, np.nan)
    if not ok.any():
        return out
    v = z[ok]
    if log:
        # Equal-area bands: the level of a value is its rank, so a valley spanning decades gets as
        # many lines as the walls around it (what a log colour scale is for, with no offset to tune).
        ranks = np.argsort(np.argsort(v, kind="stable"), kind="stable")
        out[ok] = ranks / max(v.size - 1, 1)
        return out
    lo, hi = float(np.min(v)), float(np.quantile(v, 0.98))
    if hi <= lo:
        hi = float(np.max(v)) if np.max(v) > lo else lo + 1.0
    out[ok] = np.clip((v - lo) / (hi - lo), 0.0, 1.0)
    return out


def field_png(z: np.ndarray, log: bool = False, levels: int = LEVELS, lines: bool = True) -> bytes:
    """PNG bytes of the field ``z[i, j] = f(xs[j], ys[i])`` (row 0 at the bottom, as on the axes).

    With ``lines`` (the GIF): pale bands and iso-lines drawn in the raster. Without (the race view,
    which draws the iso-lines as vectors, ``viz.contours``): a smooth shading only.
    """
    t = field_levels(z, log)
    undefined = ~np.isfinite(t)
    band = np.floor(np.where(undefined, 0.0, t) * levels).clip(0, levels - 1)
    mid = (band + 0.5) / levels if lines else np.where(undefined, 0.0, t)
    rgb = np.stack([np.interp(mid, _STOPS, _RGB[:, c]) for c in range(3)], axis=-1)
    # An iso-line wherever a pixel's band differs from its right or upper neighbour.
    edge = np.zeros(band.shape, dtype=bool)
    edge[:, :-1] |= band[:, :-1] != band[:, 1:]
    edge[:-1, :] |= band[:-1, :] != band[1:, :]
    edge &= ~undefined & lines
    rgb[edge] = 0.45 * rgb[edge] + 0.55 * _LINE
    hatch = (np.add.outer(np.arange(z.shape[0]), np.arange(z.shape[1])) // 3) % 2 == 0
    rgb[undefined] = np.where(hatch[undefined, None], _UNDEFINED, 255.0)
    img = Image.fromarray(np.flipud(rgb).round().astype(np.uint8), mode="RGB")
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=True)
    return buf.getvalue()


def png_data_uri(png: bytes) -> str:
    """``data:image/png;base64,…`` for ``layout.images[].source``."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")
