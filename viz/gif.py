"""An animated GIF of the runs, drawn on the server with Pillow (no browser): for slides.

The field is the same PNG as the app's background; each frame draws every run's path so far in its
colour, the current point as a dot (an ✕ once the run diverged), and the step number. Around the
map: x and y axes with ticks, the start (a black ring) and the minima (gold stars), and a legend
with each run's colour and label, so a slide carries its own key.
"""

from __future__ import annotations

import io
import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from .raster import field_png
from .views import RunView, divergence_point, plan_frames

__all__ = ["animated_gif", "geometry"]


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    h = hex_colour.lstrip("#")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


_FONTS = (  # fonts with Greek letters (η, β, ε, λ), where a Debian image has them
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
)
_GREEK = str.maketrans(
    {
        "η": "eta ",
        "β": "beta",
        "ε": "eps",
        "λ": "lambda",
        "δ": "delta",
        "₁": "1",
        "₂": "2",
        "α": "alpha",
        "μ": "mu",
        "σ": "sigma",
    }
)


def _font(size: int) -> tuple[Any, bool]:
    """A TrueType font with Greek letters, or Pillow's own (then labels are spelt out)."""
    for path in _FONTS:
        try:
            return ImageFont.truetype(path, size), True
        except OSError:
            continue
    return ImageFont.load_default(size=size), False


def _sizes(size: int) -> tuple[int, int]:
    """The legend's and the ticks' font sizes on a ``size``-pixel map: the legend is read from
    the back of a room (18 px at 480; it was 14, Pillow's ~11 px cap height)."""
    return max(14, size // 26), max(11, size // 36)


# Each run's dash on the GIF, as (on, off, …) lengths in line widths: the dashes that tell runs
# apart in greyscale (Plotly's names, ``viz.style.DASHES``)
PATTERNS = {
    "solid": (),
    "dash": (5, 3),
    "dot": (1, 2),
    "dashdot": (5, 2, 1, 2),
    "longdash": (9, 3),
    "longdashdot": (9, 2, 1, 2),
}


def _dashed(
    draw: ImageDraw.ImageDraw,
    points: Sequence[tuple[float, float]],
    fill: tuple[int, int, int],
    width: int,
    dash: str,
) -> None:
    """A polyline in ``dash``'s pattern (continued across vertices, as Plotly draws it)."""
    pattern = [max(1.0, n * width * 1.3) for n in PATTERNS.get(dash, ())]
    if not pattern:
        draw.line(list(points), fill=fill, width=width, joint="curve")
        return
    i, left, on = 0, pattern[0], True
    for (ax, ay), (bx, by) in itertools.pairwise(points):
        seg = float(np.hypot(bx - ax, by - ay))
        pos = 0.0
        while pos < seg:
            step = min(left, seg - pos)
            if on and step > 0:
                t0, t1 = pos / seg, (pos + step) / seg
                draw.line(
                    [
                        (ax + (bx - ax) * t0, ay + (by - ay) * t0),
                        (ax + (bx - ax) * t1, ay + (by - ay) * t1),
                    ],
                    fill=fill,
                    width=width,
                )
            pos += step
            left -= step
            if left <= 1e-9:
                i = (i + 1) % len(pattern)
                left, on = pattern[i], i % 2 == 0


def geometry(size: int, runs: int) -> tuple[int, int, int, int, tuple[int, int]]:
    """Where the map sits on a GIF frame: its left and top offsets, the x-axis band's height, a
    legend line's height and the canvas size (the legend has one line per run under the map).

    >>> geometry(480, 3)[-1]
    (536, 612)
    """
    font, small = _sizes(size)
    line_h = int(font * 1.5)
    left, top, bottom = int(small * 3.4), 8, int(small * 2.6)
    return left, top, bottom, line_h, (left + size + 12, top + size + bottom + line_h * runs + 10)


def _ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    """Round tick values inside ``[lo, hi]``, about ``n`` of them.

    >>> _ticks(-3.0, 3.0), _ticks(-2.0, 5.3)
    ([-2.0, 0.0, 2.0], [-2.0, 0.0, 2.0, 4.0])
    """
    raw = (hi - lo) / n
    mag = 10 ** np.floor(np.log10(raw))
    step = min((m * mag for m in (1, 2, 5, 10) if m * mag >= raw), default=10 * mag)
    first = np.ceil(lo / step - 1e-9) * step
    return [round(float(t), 10) + 0.0 for t in np.arange(first, hi + step * 1e-9, step)]


def _star(draw: ImageDraw.ImageDraw, centre: np.ndarray, r: float) -> None:
    """A gold five-pointed star with a dark outline (the minima, as on the maps)."""
    cx, cy = float(centre[0]), float(centre[1])
    if not (np.isfinite(cx) and np.isfinite(cy)):
        return
    pts = [
        (
            cx + (r if i % 2 == 0 else r * 0.45) * np.sin(i * np.pi / 5),
            cy - (r if i % 2 == 0 else r * 0.45) * np.cos(i * np.pi / 5),
        )
        for i in range(10)
    ]
    draw.polygon(pts, fill=(255, 215, 0), outline=(60, 60, 60))


def animated_gif(
    surface: Any,
    views: Sequence[RunView],
    *,
    size: int = 480,
    max_frames: int = 60,
    duration_ms: int = 80,
    hold_ms: int = 1500,
) -> bytes:
    """GIF bytes: ≤ ``max_frames`` frames, a ``size × size`` map with its axes and legend, the last
    frame held longer.

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
    field = Image.open(io.BytesIO(field_png(z, surface.log_scale))).convert("RGB")
    steps = max((v.steps for v in views), default=0)
    plan = plan_frames(steps, max(len(views), 1), max_frames, budget=10**9)
    font_px, small_px = _sizes(size)
    font, greek = _font(font_px)
    small, _ = _font(small_px)
    left, top, bottom, line_h, canvas = geometry(size, len(views))

    def pixel(p: np.ndarray) -> np.ndarray:
        """Data → pixel coordinates on the canvas (row 0 at the top); non-finite stays NaN."""
        px = left + (p[..., 0] - x0) / (x1 - x0) * (size - 1)
        py = top + (y1 - p[..., 1]) / (y1 - y0) * (size - 1)
        return np.stack([px, py], axis=-1)

    # the still parts, drawn once: field, axes with ticks, minima, start, legend
    background = Image.new("RGB", canvas, (255, 255, 255))
    background.paste(field, (left, top))
    draw = ImageDraw.Draw(background)
    draw.rectangle([(left, top), (left + size - 1, top + size - 1)], outline=(90, 90, 90))
    for t in _ticks(x0, x1):
        px = float(pixel(np.array([t, y0]))[0])
        draw.line([(px, top + size), (px, top + size + 4)], fill=(60, 60, 60))
        draw.text((px, top + size + 6), f"{t:g}", fill=(0, 0, 0), font=small, anchor="mt")
    for t in _ticks(y0, y1):
        py = float(pixel(np.array([x0, t]))[1])
        draw.line([(left - 4, py), (left, py)], fill=(60, 60, 60))
        draw.text((left - 6, py), f"{t:g}", fill=(0, 0, 0), font=small, anchor="rm")
    xname, yname = getattr(surface, "axes", ("x", "y"))
    if not greek:
        xname, yname = xname.translate(_GREEK), yname.translate(_GREEK)
    draw.text(
        (left + size / 2, top + size + bottom - 2), xname, fill=(0, 0, 0), font=small, anchor="mb"
    )
    draw.text((2, top + size / 2), yname, fill=(0, 0, 0), font=small, anchor="lm")
    radius = max(3, size // 90)
    width = max(2, size // 160)
    stars = [pixel(np.asarray(m, dtype=float)) for m in surface.minima]
    if views and np.all(np.isfinite(views[0].xy[0])):
        cx, cy = pixel(views[0].xy[0])
        r = radius * 2
        draw.ellipse([(cx - r, cy - r), (cx + r, cy + r)], outline=(0, 0, 0), width=2)
    y = top + size + bottom + 6
    for v in views:
        colour = _rgb(v.color)
        sample = [(left, y + line_h / 2), (left + 34, y + line_h / 2)]
        _dashed(draw, sample, colour, width + 1, v.dash)
        draw.ellipse(
            [
                (left + 17 - radius, y + line_h / 2 - radius),
                (left + 17 + radius, y + line_h / 2 + radius),
            ],
            fill=colour,
        )
        text = v.label if greek else v.label.translate(_GREEK)
        draw.text((left + 42, y + line_h / 2), text, fill=(0, 0, 0), font=font, anchor="lm")
        y += line_h
    # each run's finite pixel points once, and how many of them lie within the first k steps
    tracks = []
    for v in views:
        path = pixel(v.xy)
        ok = np.isfinite(path).all(axis=-1) & (np.abs(np.nan_to_num(path, nan=1e9)) < 1e5).all(-1)
        tracks.append(([tuple(map(float, q)) for q in path[ok]], np.cumsum(ok)))

    def frame(k: int) -> Image.Image:
        """The map at step ``k`` (RGB)."""
        img = background.copy()
        draw = ImageDraw.Draw(img)
        for v, (points, upto) in zip(views, tracks):
            kk = int(min(k, v.steps))
            colour = _rgb(v.color)
            pts = points[: int(upto[kk])]  # finite points only; Pillow clips far-away ones
            if len(pts) > 1:
                _dashed(draw, pts, colour, width, v.dash)
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
        for star in stars:  # over the runs' heads: a run that arrived does not hide the minimum
            _star(draw, star, radius * 2.2)
        # paths leaving the map are cut at its frame: the margins are redrawn from the still image
        for box in (
            (0, 0, canvas[0], top),
            (0, 0, left, canvas[1]),
            (left + size, 0, canvas[0], canvas[1]),
            (0, top + size, canvas[0], canvas[1]),
        ):
            img.paste(background.crop(box), box[:2])
        label = f"step {int(k)}"
        draw.rectangle(
            [(left + 4, top + 4), (left + 8 + font.getlength(label) + 4, top + 6 + font.size + 4)],
            fill=(255, 255, 255),
        )
        draw.text((left + 8, top + 6), label, fill=(0, 0, 0), font=font)
        return img

    # one palette for every frame, from the last (it holds every colour the animation uses): a
    # frame maps to it ~16× faster than it gets its own median cut (0.24 ms against 3.97 ms for a
    # gallery picture's frame), and the colours differ by at most the same 8 levels
    last = frame(plan.steps[-1])
    palette = last.convert("P", palette=Image.ADAPTIVE, colors=96)
    frames = [frame(k) for k in plan.steps[:-1]] + [last]
    frames = [f.quantize(palette=palette, dither=Image.Dither.NONE) for f in frames]
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
