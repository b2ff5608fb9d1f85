"""An animated GIF of the runs, drawn on the server with Pillow (no browser): for slides.

The field is the same PNG as the app's background; each frame draws every run's path so far in its
colour, the current point as a dot (an ✕ once the run diverged), and the step number.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from .figures import RunView, divergence_point, plan_frames
from .raster import field_png

__all__ = ["animated_gif"]


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    h = hex_colour.lstrip("#")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


def animated_gif(
    surface: Any,
    views: Sequence[RunView],
    *,
    size: int = 480,
    max_frames: int = 60,
    duration_ms: int = 80,
    hold_ms: int = 1500,
) -> bytes:
    """GIF bytes: ≤ ``max_frames`` frames of ``size × size`` pixels, the last one held longer.

    >>> import optim
    >>> from surfaces import get_surface
    >>> s = get_surface("booth")
    >>> from viz import run_views
    >>> gif = animated_gif(s, run_views([optim.run(s, "gd", np.zeros((1, 2)), 30, lr=0.05)], s))
    >>> Image.open(io.BytesIO(gif)).n_frames
    31
    """
    (x0, x1), (y0, y1) = surface.plot_window
    _, _, z = surface.mesh(size)
    background = Image.open(io.BytesIO(field_png(z, surface.log_scale))).convert("RGB")
    steps = max((v.steps for v in views), default=0)
    plan = plan_frames(steps, max(len(views), 1), max_frames, budget=10**9)

    def pixel(p: np.ndarray) -> np.ndarray:
        """Data → pixel coordinates (row 0 at the top); non-finite stays NaN."""
        px = (p[..., 0] - x0) / (x1 - x0) * (size - 1)
        py = (y1 - p[..., 1]) / (y1 - y0) * (size - 1)
        return np.stack([px, py], axis=-1)

    font = ImageFont.load_default()
    radius = max(3, size // 90)
    width = max(2, size // 160)
    # each run's finite pixel points once, and how many of them lie within the first k steps
    tracks = []
    for v in views:
        path = pixel(v.xy)
        ok = np.isfinite(path).all(axis=-1) & (np.abs(np.nan_to_num(path, nan=1e9)) < 1e5).all(-1)
        tracks.append(([tuple(map(float, q)) for q in path[ok]], np.cumsum(ok)))
    frames = []
    for k in plan.steps:
        img = background.copy()
        draw = ImageDraw.Draw(img)
        for v, (points, upto) in zip(views, tracks):
            kk = int(min(k, v.steps))
            colour = _rgb(v.color)
            pts = points[: int(upto[kk])]  # finite points only; Pillow clips far-away ones
            if len(pts) > 1:
                draw.line(pts, fill=colour, width=width, joint="curve")
            if v.diverged and kk >= v.diverged_at:
                cx, cy = pixel(divergence_point(v, surface.plot_window))
                r = radius * 1.6
                draw.line([(cx - r, cy - r), (cx + r, cy + r)], fill=colour, width=width + 1)
                draw.line([(cx - r, cy + r), (cx + r, cy - r)], fill=colour, width=width + 1)
            elif pts:
                cx, cy = pts[-1]
                draw.ellipse(
                    [(cx - radius, cy - radius), (cx + radius, cy + radius)],
                    fill=colour,
                    outline=(255, 255, 255),
                )
        draw.rectangle([(4, 4), (86, 20)], fill=(255, 255, 255))
        draw.text((8, 6), f"step {int(k)}", fill=(0, 0, 0), font=font)
        frames.append(img.convert("P", palette=Image.ADAPTIVE, colors=64))
    buf = io.BytesIO()
    durations = [duration_ms] * (len(frames) - 1) + [hold_ms]
    frames[0].save(
        buf,
        format="GIF",
        save_all=True,
        append_images=frames[1:],
        duration=durations,
        loop=0,
        optimize=True,
    )
    return buf.getvalue()
