"""The top view's still parts: the field image, minima, start, legend rows and the map's layout.

The race view (:func:`viz.race_spec`) draws its runs over these in the browser; the field is a PNG
in ``layout.images`` (a contour trace vanishes while the paths move).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

from .encode import b64
from .geometry import Box
from .style import MINIMUM, Look

__all__ = [
    "Inset",
    "field_image",
    "late_inset",
    "legend_rows",
    "map_layout",
    "minimum_traces",
    "start_trace",
]


def field_image(background: str, window: Box) -> dict[str, Any]:
    """The field PNG stretched over the plot window, under the traces."""
    (x0, x1), (y0, y1) = window
    return {
        "source": background,
        "xref": "x",
        "yref": "y",
        "x": x0,
        "y": y1,
        "sizex": x1 - x0,
        "sizey": y1 - y0,
        "sizing": "stretch",
        "layer": "below",
    }


def minimum_traces(surface: Any, look: Look, z_of=None) -> list[dict[str, Any]]:
    traces = []
    groups = [
        ("global minimum", surface.minima, "star", MINIMUM),
        ("local minimum", surface.local_minima, "star-open", "#444444"),
        ("saddle point", surface.saddles, "x-thin-open", "#444444"),
    ]
    for name, points, symbol, fill in groups:
        if not points:
            continue
        p = np.asarray(points, dtype=float)
        trace = {
            "type": "scatter" if z_of is None else "scatter3d",
            "x": b64(p[:, 0]),
            "y": b64(p[:, 1]),
            "mode": "markers",
            "name": name,
            "hovertemplate": f"{name} (%{{x:.4g}}, %{{y:.4g}})<extra></extra>",
            "marker": {
                "symbol": symbol if z_of is None else "diamond",
                "size": look.marker * (1.8 if z_of is None else 0.8),
                "color": fill,
                "line": {"color": "#222222", "width": 1},
            },
        }
        if z_of is not None:
            trace["z"] = b64(z_of(p))
            trace["marker"].pop("line")
        traces.append(trace)
    return traces


def start_trace(start: tuple[float, float], look: Look) -> dict[str, Any]:
    """The start point: an open ring, in the legend as "start"."""
    return {
        "type": "scatter",
        "x": [float(start[0])],
        "y": [float(start[1])],
        "mode": "markers",
        "name": "start",
        "hovertemplate": "start (%{x:.4g}, %{y:.4g})<extra></extra>",
        "marker": {
            "symbol": "circle-open",
            "size": look.marker * 1.6,
            "color": "#222222",
            "line": {"width": 2},
        },
    }


def legend_rows(labels: Sequence[str], look: Look, width: int) -> int:
    """How many rows a horizontal legend of ``labels`` takes in ``width`` pixels (an estimate,
    a little over what Chromium draws: a symbol and gap of ~2.6 em, ~0.48 em per character;
    measured 2.2 em and 0.43 em at 20 px)."""
    rows, used = 1, 0.0
    for label in labels:
        w = look.font * (2.6 + 0.48 * len(label))
        if used and used + w > width:
            rows, used = rows + 1, 0.0
        used += w
    return rows


def map_layout(
    window: Box,
    look: Look,
    height: int,
    legend: Sequence[str] = (),
    width: int = 640,
    axes: tuple[str, str] = ("x", "y"),
) -> dict[str, Any]:
    """Axes, margins and legend of a top-view map (the race view's; its player is under it).

    * Equal scale: one unit of x is as long on screen as one unit of y (``scaleanchor``), so the
      conditioning and the zig-zag angles are what the lesson says. A window more than 3:1 is
      drawn stretched instead, and says so ("y stretched ×k") under the plot.
    * The legend sits above the plot in a top margin sized for its rows at ``width`` pixels, so a
      long legend makes the figure taller, never the plot smaller.
    * Axis titles are the surface's own names for its coordinates (``axes``: w and b for a
      neuron, as the text says); the map is as tall as its width allows.
    """
    (x0, x1), (y0, y1) = window
    rows = legend_rows(legend, look, width) if legend else 0
    top = 16 + rows * (int(look.font * 1.6) + 9)  # a legend row: 31 px at 14 px (measured)
    tick, title = int(look.font * 1.5), int(look.font * 1.7)
    paper = max(width - 76, 1)
    bottom = tick + title - 6
    plot = max(height - (16 + int(look.font * 1.9)) - bottom, 120)  # as if one legend row
    aspect = (y1 - y0) / (x1 - x0) if x1 > x0 else 1.0
    equal = 1 / 3 <= aspect <= 3
    if equal:  # no room left unused above the map: as tall as its width allows
        plot = max(min(plot, int(paper * aspect)), 120)
    axis = {"autorange": False, "showgrid": False, "zeroline": False, "constrain": "domain"}
    xname, yname = axes
    xaxis: dict[str, Any] = {**axis, "range": [x0, x1], "title": {"text": xname, "standoff": 4}}
    yaxis: dict[str, Any] = {
        **axis,
        "range": [y0, y1],
        "title": {"text": yname, "standoff": 4},
        "constraintoward": "bottom",  # a narrow screen: the map stays on its axis and controls
    }
    if equal:
        yaxis.update(scaleanchor="x", scaleratio=1)
    else:
        xaxis["title"]["text"] = f"{xname}   (not to scale: {yname} stretched ×{1 / aspect:.3g})"
    layout = {
        "height": plot + top + bottom,
        "margin": {"l": 60, "r": 16, "t": top, "b": bottom},
        "legend": {
            "orientation": "h",
            "yref": "container",
            "y": 1.0,
            "yanchor": "top",
            "x": 0,
            "font": {"size": look.font},
        },
        "xaxis": xaxis,
        "yaxis": yaxis,
    }
    return layout


class Inset(NamedTuple):
    """Runs' late iterates magnified ``zoom``× about the minimum, drawn in an empty corner of the
    map itself (main-axis coordinates, so it stays in place at any screen size): ``traces`` (a
    white card, each run's cloud, the star), ``shapes`` (the card's frame and the small square
    it magnifies), ``annotations`` (its title)."""

    traces: list[dict[str, Any]]
    shapes: list[dict[str, Any]]
    annotations: list[dict[str, Any]]
    zoom: float
    centre: tuple[float, float]  # where w* is drawn in the card
    half: float  # the card's half side


def late_inset(
    clouds: Sequence[tuple[str, str, str, np.ndarray]],
    surface: Any,
    window: Box,
    paths: Sequence[np.ndarray],
    look: Look,
    side: float = 0.36,
) -> Inset | None:
    """A magnifier for what the map draws as one blob on its star: ``clouds`` are ``(label,
    colour, symbol, xy (n, 2))``, each run's late iterates. The card, ``side`` of the window's
    shorter span, goes to the corner that the ``paths`` cross least (never over w*); each point
    ``p`` is drawn at ``centre + zoom·(p − w*)`` and hovers with its true coordinates. None if
    it would magnify less than 2× (no blob to undo)."""
    if not surface.minima:
        return None
    c = np.asarray(surface.minima[0], dtype=float)
    pts = [p[np.isfinite(p).all(axis=1)] for p in (np.asarray(xy, float) for *_, xy in clouds)]
    reach = max((float(np.max(np.abs(p - c))) for p in pts if len(p)), default=0.0)
    (x0, x1), (y0, y1) = window
    half = side * min(x1 - x0, y1 - y0) / 2
    zoom = 0.85 * half / reach if reach > 0 else 0.0
    if zoom < 2:
        return None
    pad = 0.04 * min(x1 - x0, y1 - y0)
    every = np.concatenate(
        [np.asarray(p, float).reshape(-1, 2) for p in paths] or [np.zeros((0, 2))]
    )
    every = every[np.isfinite(every).all(axis=1)]
    best = None
    for cx, cy in (  # top right, bottom right, top left, bottom left
        (x1 - pad - half, y1 - pad - half),
        (x1 - pad - half, y0 + pad + half),
        (x0 + pad + half, y1 - pad - half),
        (x0 + pad + half, y0 + pad + half),
    ):
        inside = np.all(np.abs(every - (cx, cy)) <= half, axis=1).sum()
        if np.all(np.abs(c - (cx, cy)) <= half + reach):
            continue  # never over the star and the square it magnifies
        if best is None or inside < best[0]:
            best = (inside, cx, cy)
    if best is None:
        return None
    _, cx, cy = best
    card = {
        "type": "scatter",
        "x": [cx - half, cx + half, cx + half, cx - half, cx - half],
        "y": [cy - half, cy - half, cy + half, cy + half, cy - half],
        "mode": "lines",
        "fill": "toself",
        "fillcolor": "rgba(255, 255, 255, 0.93)",
        "line": {"width": 0},
        "hoverinfo": "skip",
        "showlegend": False,
    }
    traces = [card]
    for (label, colour, symbol, _), p in zip(clouds, pts):
        q = (cx, cy) + zoom * (p - c)
        traces.append(
            {
                "type": "scatter",
                "x": [round(float(v), 6) for v in q[:, 0]],
                "y": [round(float(v), 6) for v in q[:, 1]],
                "customdata": [[round(float(a), 6), round(float(b), 6)] for a, b in p],
                "mode": "markers",
                "name": f"{label} (zoomed)",
                "showlegend": False,
                "marker": {"color": colour, "symbol": symbol, "size": look.marker * 0.55},
                "hovertemplate": f"{label}<br>(%{{customdata[0]:.4g}}, %{{customdata[1]:.4g}})"
                "<extra></extra>",
            }
        )
    star = next(t for t in minimum_traces(surface, look) if t["name"] == "global minimum")
    small = {**star["marker"], "size": look.marker * 1.1}
    star = {**star, "x": [cx], "y": [cy], "marker": small, "showlegend": False, "hoverinfo": "skip"}
    traces.insert(1, star)  # under the clouds: the decaying run's sits on it
    frame = {"type": "rect", "xref": "x", "yref": "y", "line": {"color": "#444", "width": 1}}
    r = half / zoom
    shapes = [
        {**frame, "x0": cx - half, "x1": cx + half, "y0": cy - half, "y1": cy + half},
        {**frame, "x0": c[0] - r, "x1": c[0] + r, "y0": c[1] - r, "y1": c[1] + r},
    ]
    title = {
        "x": cx,
        "y": cy + half,
        "xref": "x",
        "yref": "y",
        "yanchor": "bottom",
        "showarrow": False,
        "text": f"last {min(len(p) for p in pts)} steps, ×{zoom:.3g} around w*",
        "font": {"size": max(11, int(look.font * 0.85)), "color": "#333"},
        "bgcolor": "rgba(255, 255, 255, 0.93)",
    }
    return Inset(traces, shapes, [title], float(zoom), (float(cx), float(cy)), float(half))
