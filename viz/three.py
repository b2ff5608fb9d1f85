"""The 3D view's still part: the surface, its minima and the scene (the race view moves the
balls over it in the browser)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .encode import b64
from .geometry import Heights
from .map import minimum_traces
from .style import GRID, Look, base_layout

__all__ = ["surface_base"]


def surface_base(
    surface: Any, mesh: tuple[np.ndarray, np.ndarray, np.ndarray], look: Look, height: int
) -> tuple[dict[str, Any], list[dict[str, Any]], dict[str, Any], Heights]:
    """The 3D view's still part: the surface trace, its minima, the scene's layout, and the
    :class:`viz.geometry.Heights` that put a loss on it (the race view's 3D view draws its runs
    over this in the browser)."""
    xs, ys, z = mesh
    (x0, x1), (y0, y1) = surface.plot_window
    heights = Heights.of(surface, z)
    trace = {
        "type": "surface",
        "x": b64(xs),
        "y": b64(ys),
        "z": b64(np.clip(heights.display(z), heights.zlo, heights.zhi)),
        "colorscale": [
            [0.0, "#fffbe8"],
            [0.35, "#e4f2e1"],
            [0.7, "#cbdde8"],
            [1.0, "#aeb8d3"],
        ],
        "showscale": False,
        "opacity": 0.92,
        "hoverinfo": "skip",
        "contours": {"z": {"show": True, "usecolormap": False, "color": "#8a93a6"}},
        "lighting": {"ambient": 0.8, "diffuse": 0.5, "specular": 0.05},
    }
    minima = minimum_traces(surface, look, z_of=lambda p: heights(surface.f(p)))
    axis = {"backgroundcolor": "white", "gridcolor": GRID, "showspikes": False}
    layout = base_layout(
        look,
        height,
        scene={
            "xaxis": {**axis, "range": [x0, x1], "title": {"text": surface.axes[0]}},
            "yaxis": {**axis, "range": [y0, y1], "title": {"text": surface.axes[1]}},
            "zaxis": {
                **axis,
                "range": [heights.zlo, heights.zhi + 2 * heights.lift],
                "title": {"text": heights.title},
                "nticks": 4,  # the short z axis: more ticks overlapped
                "tickformat": ".3~g",
            },
            "aspectmode": "manual",
            "aspectratio": {"x": 1, "y": 1, "z": 0.6},
            "camera": {"eye": {"x": 1.5, "y": -1.5, "z": 1.1}},
            "uirevision": "keep",
        },
        uirevision="keep",
        showlegend=False,
        margin={"l": 0, "r": 0, "t": 10, "b": 170},
    )
    return trace, minima, layout, heights
