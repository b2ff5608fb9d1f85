"""Pure figure builders: trajectories and surfaces in, Plotly figure dicts out (no Streamlit).

Every builder returns a plain ``dict`` (``data``, ``layout``, optional ``frames``) whose arrays are
float32 typed arrays (:func:`viz.encode.b64`). The tests validate each against Plotly's schema once;
pages wrap them in :class:`viz.encode.PrebuiltFigure` so reruns skip that validation.

Animation design (sizes measured in PLATFORM_NOTES and ``python -m bench.engine``):

- the field is a PNG in ``layout.images`` (a contour trace vanishes while frames play);
- frames name the traces they update (``traces``) and carry only those: each run's *trail* (the path
  so far) and *head* (the current point, an ✕ once the run has diverged);
- at most ``max_frames`` frames; a trail holds every step while the total fits ``budget`` points
  (scaled by 3/runs beyond 3 runs),
  beyond that older points are thinned (every ``stride``-th step plus the current one) and the exact
  full path is drawn underneath as a faint *ghost*; the last frame and the initial view are exact.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from . import style
from .encode import b64
from .geometry import Box, Heights, divergence_points, inside
from .style import GRID, MINIMUM, Look, base_layout, color

__all__ = [
    "FramePlan",
    "RunView",
    "contour_figure",
    "distance_figure",
    "divergence_messages",
    "divergence_point",
    "legend_rows",
    "loss_figure",
    "map_layout",
    "plan_frames",
    "pole_crossing",
    "run_views",
    "schedule_figure",
    "surface_figure",
]

DEFAULT_LOOK = Look()


@dataclass(frozen=True)
class RunView:
    """One run as the figures see it: its colour, dash and marker, legend label and exact path."""

    label: str
    color: str
    xy: np.ndarray  # (S+1, 2); NaN after divergence
    loss: np.ndarray  # (S+1,)
    diverged_at: int  # -1 if the run stayed finite and bounded
    dist: np.ndarray | None = None  # (S+1,) distance to the nearest known minimum
    dash: str = "solid"  # colour is never the only carrier: each run has its dash and marker
    symbol: str = "circle"

    @property
    def steps(self) -> int:
        return len(self.xy) - 1

    @property
    def diverged(self) -> bool:
        return self.diverged_at >= 0


def run_views(trajectories: Sequence[Any], surface: Any, labels: Sequence[str] | None = None):
    """One :class:`RunView` per run of each trajectory, coloured in order."""
    views: list[RunView] = []
    for traj in trajectories:
        for r in range(traj.xy.shape[1]):
            i = len(views)
            xy = traj.xy[:, r, :]
            views.append(
                RunView(
                    label=labels[i] if labels is not None else f"{i + 1}. {traj.label(r)}",
                    color=color(i),
                    dash=style.dash(i),
                    symbol=style.symbol(i),
                    xy=xy,
                    loss=traj.loss[:, r],
                    diverged_at=int(traj.diverged_at[r]),
                    dist=surface.distance_to_min(xy) if surface.minima else None,
                )
            )
    return views


@dataclass(frozen=True)
class FramePlan:
    """Which steps become frames, and how trails are thinned to fit the budget."""

    steps: np.ndarray  # (F,) increasing step numbers, first 0, last S
    stride: int  # 1: trails hold every step; n: every n-th step plus the current one

    @property
    def exact(self) -> bool:
        return self.stride == 1


def plan_frames(steps: int, runs: int, max_frames: int = 150, budget: int = 40_000) -> FramePlan:
    """Choose ≤ ``max_frames`` frame steps and a trail stride so trails total ≤ ~``budget`` points.

    >>> p = plan_frames(100, 3)
    >>> len(p.steps), p.stride
    (101, 1)
    >>> p = plan_frames(1000, 8)
    >>> len(p.steps), int(p.steps[-1]), p.stride
    (150, 1000, 16)
    """
    n = int(min(max_frames, steps + 1))
    ks = np.unique(np.round(np.linspace(0, steps, max(n, 2))).astype(int)) if steps else np.zeros(1)
    total = runs * float(np.sum(ks + 1))
    stride = max(1, int(np.ceil(total / budget)))
    return FramePlan(ks.astype(int), stride)


def trail(xy: np.ndarray, k: int, stride: int) -> np.ndarray:
    if stride == 1:
        return xy[: k + 1]
    idx = np.arange(0, k + 1, stride)
    if idx[-1] != k:
        idx = np.append(idx, k)
    return xy[idx]


def divergence_point(view: RunView, window: Box) -> np.ndarray | None:
    """Where to draw a diverged run's ✕: its last point inside the window before it diverged."""
    if not view.diverged:
        return None
    ks = np.arange(view.steps + 1)
    return divergence_points(view.xy[None], ks, np.array([view.diverged_at]), window)[0]


def _point(p: np.ndarray) -> tuple[list[float], list[float]]:
    """One point as short lists (a typed array costs ~30 bytes more than a 1-number list)."""
    return [float(np.float32(p[0]))], [float(np.float32(p[1]))]


def _head(view: RunView, k: int, window: Box, look: Look, full: bool = True) -> dict[str, Any]:
    """The head trace's data at step ``k``: a dot, or an ✕ with the step once the run diverged.

    Frames of a run that never diverges carry only the point (``full=False``): its style is set once.
    """
    if view.diverged and k >= view.diverged_at:
        x, y = _point(divergence_point(view, window))
        (x0, x1), (y0, y1) = window
        # the label grows away from the nearest edges, so it is never cut off by the plot area
        side = "left" if x[0] > (x0 + x1) / 2 else "right"
        level = "bottom" if y[0] > (y0 + y1) / 2 else "top"
        return {
            "x": x,
            "y": y,
            "mode": "markers+text",
            "text": [f"diverged at step {view.diverged_at}"],
            "textposition": f"{level} {side}",
            "marker": {"symbol": "x", "size": look.marker * 1.6},
        }
    x, y = _point(view.xy[k])
    if not full:
        return {"x": x, "y": y}
    return {
        "x": x,
        "y": y,
        "mode": "markers",
        "text": [""],
        "marker": {"symbol": "circle", "size": look.marker},
    }


def _field_image(background: str, window: Box) -> dict[str, Any]:
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


def _animation_controls(
    plan: FramePlan,
    look: Look,
    duration: int,
    redraw: bool,
    below: tuple[float, float] | None = None,
) -> dict:
    """Play / Pause / Resume buttons and a step slider for ``layout``.

    With ``below`` (from :func:`map_layout`: the distance from the plot area's bottom edge to the
    buttons, as a fraction of the plot's height; then the slider's row below them, or, negative,
    minus the slider's x on the buttons' row), the controls sit under the x-axis title and never
    cover a tick label; without it they sit at fixed fractions.
    """
    frame = {"duration": duration, "redraw": redraw}
    play = {"frame": frame, "transition": {"duration": 0}, "mode": "immediate"}
    buttons = [
        {"label": "▶ Play", "method": "animate", "args": [None, {**play, "fromcurrent": False}]},
        {
            "label": "⏸ Pause",
            "method": "animate",
            "args": [[None], {"frame": {"duration": 0, "redraw": redraw}, "mode": "immediate"}],
        },
        {"label": "⏯ Resume", "method": "animate", "args": [None, {**play, "fromcurrent": True}]},
    ]
    step_args = {"frame": {"duration": 0, "redraw": redraw}, "mode": "immediate"}
    slider_steps = [
        {"label": str(int(k)), "method": "animate", "args": [[str(i)], step_args]}
        for i, k in enumerate(plan.steps)
    ]
    menu = {
        "type": "buttons",
        "direction": "left",
        "showactive": False,
        "x": 0.0,
        "xanchor": "left",
        "y": -0.07,
        "yanchor": "top",
        "pad": {"t": 0, "r": 10},
        "font": {"size": look.font},
        "buttons": buttons,
    }
    slider = {
        "active": len(plan.steps) - 1,
        "x": 0.0,
        "len": 1.0,
        "y": -0.15,
        "yanchor": "top",
        "pad": {"t": 30, "b": 0},
        "currentvalue": {"prefix": "step ", "font": {"size": look.font}},
        "font": {"size": max(look.font - 4, 8)},
        "transition": {"duration": 0},
        "steps": slider_steps,
    }
    if below is not None:  # y is in units of the plot area's height: fractions of it
        buttons_at, slider_at = below
        menu.update(y=-buttons_at, yanchor="top")
        if slider_at < 0:  # one row: the buttons, then the slider beside them from x = −slider_at
            x = -slider_at
            slider.update(x=x, len=1 - x, y=-buttons_at, yanchor="top", pad={"t": 0, "b": 0})
        else:
            slider.update(x=0.0, len=1.0, y=-slider_at, yanchor="top", pad={"t": 0, "b": 0})
    return {
        "updatemenus": [menu],
        "sliders": [slider],
        # which step each frame shows, as data (for builders that add panels beside the frames)
        "meta": {"frame_steps": [int(k) for k in plan.steps]},
    }


def _minimum_traces(surface: Any, look: Look, z_of=None) -> list[dict[str, Any]]:
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
    """How many rows a horizontal legend of ``labels`` takes in ``width`` pixels (an estimate:
    a symbol and gap of ~3 em, ~0.55 em per character)."""
    rows, used = 1, 0.0
    for label in labels:
        w = look.font * (3.0 + 0.55 * len(label))
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
    controls: bool = True,
) -> tuple[dict[str, Any], tuple[float, float] | None]:
    """Axes, margins and legend of a top-view map, and where its animation controls go.

    * Equal scale: one unit of x is as long on screen as one unit of y (``scaleanchor``), so the
      conditioning and the zig-zag angles are what the lesson says. A window more than 3:1 is
      drawn stretched instead, and says so ("y stretched ×k") under the plot.
    * The legend sits above the plot in a top margin sized for its rows at ``width`` pixels, so a
      long legend makes the figure taller, never the plot smaller.
    * Axis titles x and y; with ``controls``, Play/Pause and the step slider go under the x title,
      on one row when ``width`` leaves the slider room beside the buttons, else on two; the second
      value places them (see :func:`_animation_controls`).
    """
    (x0, x1), (y0, y1) = window
    rows = legend_rows(legend, look, width) if legend else 0
    top = 16 + rows * (int(look.font * 1.6) + 9)  # a legend row: 31 px at 14 px (measured)
    tick, title = int(look.font * 1.5), int(look.font * 1.7)
    # Play / Pause / Resume take about this many pixels; the step slider starts after them, or
    # gets its own row when the plot is too narrow for both (a phone, a half-width column)
    buttons = sum(len(t) * 0.6 * look.font + 26 for t in ("▶ Play", "⏸ Pause", "⏯ Resume"))
    paper = max(width - 76, 1)
    slider_x = (buttons + 16) / paper
    narrow = slider_x > 0.6
    row = int(look.font * 3.6) + 26
    bottom = tick + title + ((2 * row if narrow else row) if controls else -6)
    plot = max(height - (16 + int(look.font * 1.9)) - bottom, 120)  # as if one legend row
    aspect = (y1 - y0) / (x1 - x0) if x1 > x0 else 1.0
    equal = 1 / 3 <= aspect <= 3
    if equal and not controls:  # no room left unused above the map: as tall as its width allows
        plot = max(min(plot, int(paper * aspect)), 120)
    axis = {"autorange": False, "showgrid": False, "zeroline": False, "constrain": "domain"}
    xaxis: dict[str, Any] = {**axis, "range": [x0, x1], "title": {"text": "x", "standoff": 4}}
    yaxis: dict[str, Any] = {
        **axis,
        "range": [y0, y1],
        "title": {"text": "y", "standoff": 4},
        "constraintoward": "bottom",  # a narrow screen: the map stays on its axis and controls
    }
    if equal:
        yaxis.update(scaleanchor="x", scaleratio=1)
    else:
        xaxis["title"]["text"] = f"x   (not to scale: y stretched ×{1 / aspect:.3g})"
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
    if not controls:
        return layout, None
    below = (tick + title + 6) / plot
    return layout, (below, (below + row / plot) if narrow else -slider_x)


def contour_figure(
    surface: Any,
    views: Sequence[RunView],
    background: str,
    *,
    start: tuple[float, float] | None = None,
    window: Box | None = None,
    look: Look = DEFAULT_LOOK,
    height: int = 560,
    width: int = 640,
    duration: int = 60,
    max_frames: int = 150,
    budget: int = 40_000,
    click_grid: int = 41,
    trails: dict[int, np.ndarray] | None = None,
) -> dict[str, Any]:
    """The animated top view: the field as a PNG ``background`` (a data URI), every run's path.

    Drawn to scale (see :func:`map_layout`); ``height`` is the figure's height before its legend
    rows, estimated at ``width`` pixels, are added above the plot. ``trails`` maps a run's index to
    points drawn as faint open diamonds in its colour (Nesterov's look-ahead points, ``(S, 2)``).

    Trace order: the click grid (invisible markers that make a click choose the start point), then
    per run ghost (only when trails are thinned), trail and head, then minima and the start marker.
    """
    window = window or surface.plot_window
    (x0, x1), (y0, y1) = window
    steps = max((v.steps for v in views), default=0)
    # Beyond 3 runs the trail budget shrinks with the run count, so the largest playground (8 runs
    # × 1000 steps) stays near 1 MB in all: every run also carries 3 exact copies of its path.
    runs = max(len(views), 1)
    plan = plan_frames(steps, runs, max_frames, budget * 3 // max(runs, 3))
    data: list[dict[str, Any]] = []

    gx, gy = np.meshgrid(np.linspace(x0, x1, click_grid), np.linspace(y0, y1, click_grid))
    with np.errstate(all="ignore"):
        gz = surface.f(np.stack([gx, gy], -1)).ravel()
    data.append(
        {
            "type": "scatter",
            "x": b64(gx.ravel()),
            "y": b64(gy.ravel()),
            "customdata": b64(gz),
            "mode": "markers",
            "name": "click to start here",
            "showlegend": False,
            "marker": {"size": 14, "opacity": 0, "color": "#000000"},
            "hovertemplate": "(%{x:.3g}, %{y:.3g})  L = %{customdata:.4g}"
            "<br>click: start here<extra></extra>",
        }
    )

    animated: list[int] = []
    for i, v in enumerate(views):
        group = f"run{i}"
        if not plan.exact:
            data.append(
                {
                    "type": "scatter",
                    "x": b64(v.xy[:, 0]),
                    "y": b64(v.xy[:, 1]),
                    "mode": "lines",
                    "legendgroup": group,
                    "showlegend": False,
                    "hoverinfo": "skip",
                    "line": {"color": v.color, "width": look.line * 0.6},
                    "opacity": look.ghost_opacity,
                }
            )
        animated.append(len(data))
        data.append(
            {
                "type": "scatter",
                "x": b64(v.xy[:, 0]),
                "y": b64(v.xy[:, 1]),
                "mode": "lines+markers",
                "name": v.label,
                "legendgroup": group,
                "line": {"color": v.color, "width": look.line, "dash": v.dash},
                "marker": {"size": look.marker * 0.6, "color": v.color, "symbol": v.symbol},
                "hovertemplate": f"{v.label}<br>(%{{x:.4g}}, %{{y:.4g}})<extra></extra>",
            }
        )
        animated.append(len(data))
        head = _head(v, v.steps, window, look)
        head["marker"].update({"color": v.color, "line": {"color": "white", "width": 1.5}})
        if not v.diverged:
            head["marker"]["symbol"] = v.symbol
        data.append(
            {
                "type": "scatter",
                "textposition": "top center",
                **head,
                "legendgroup": group,
                "showlegend": False,
                "hoverinfo": "skip",
                "textfont": {"color": v.color, "size": look.font},
                "cliponaxis": False,
            }
        )

    for i, points in (trails or {}).items():  # e.g. Nesterov's look-ahead points, not animated
        v = views[i]
        data.append(
            {
                "type": "scatter",
                "x": b64(points[:, 0]),
                "y": b64(points[:, 1]),
                "mode": "markers",
                "name": f"look-ahead points of run {i + 1}",
                "legendgroup": f"run{i}",
                "marker": {
                    "symbol": "diamond-open",
                    "size": look.marker * 0.8,
                    "color": v.color,
                    "opacity": 0.55,
                },
                "hovertemplate": "look-ahead point (%{x:.4g}, %{y:.4g})<extra></extra>",
            }
        )
    data.extend(_minimum_traces(surface, look))
    if start is not None:
        data.append(start_trace(start, look))

    frames = []
    for fi, k in enumerate(plan.steps):
        fdata = []
        for v in views:
            kk = int(min(k, v.steps))
            last = fi == len(plan.steps) - 1
            t = v.xy if last else trail(v.xy, kk, plan.stride)
            fdata.append({"x": b64(t[:, 0]), "y": b64(t[:, 1])})
            fdata.append(_head(v, kk, window, look, full=v.diverged))
        frames.append({"name": str(fi), "data": fdata, "traces": animated})

    names = [d["name"] for d in data if d.get("name") and d.get("showlegend", True)]
    geometry, below = map_layout(window, look, height, names, width)
    layout = base_layout(
        look,
        height,
        images=[_field_image(background, window)],
        clickmode="event+select",
        dragmode=False,  # a touch drag scrolls the page on a phone; zoom and pan stay in the bar
        hovermode="closest",
        uirevision=f"{surface.name}",
    )
    layout.update(geometry)
    layout.update(_animation_controls(plan, look, duration, redraw=False, below=below))
    return {"data": data, "layout": layout, "frames": frames}


def surface_base(
    surface: Any, mesh: tuple[np.ndarray, np.ndarray, np.ndarray], look: Look, height: int
) -> tuple[dict[str, Any], list[dict[str, Any]], dict[str, Any], Heights]:
    """The 3D view's still part: the surface trace, its minima, the scene's layout, and the
    :class:`viz.geometry.Heights` that put a loss on it (the race view's 3D view draws its runs
    over this in the browser; :func:`surface_figure` adds Plotly frames)."""
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
    minima = _minimum_traces(surface, look, z_of=lambda p: heights(surface.f(p)))
    axis = {"backgroundcolor": "white", "gridcolor": GRID, "showspikes": False}
    layout = base_layout(
        look,
        height,
        scene={
            "xaxis": {**axis, "range": [x0, x1], "title": {"text": "x"}},
            "yaxis": {**axis, "range": [y0, y1], "title": {"text": "y"}},
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


def surface_figure(
    surface: Any,
    views: Sequence[RunView],
    mesh: tuple[np.ndarray, np.ndarray, np.ndarray],
    *,
    look: Look = DEFAULT_LOOK,
    height: int = 560,
    duration: int = 60,
    max_frames: int = 150,
) -> dict[str, Any]:
    """3D view: the surface, each exact path on it, and a ball per run moved by the animation.

    The camera survives reruns (``scene.uirevision``). Only the balls are in the frames
    (3D frames need ``redraw=True``, the costly part, so they carry 3 numbers per run).
    """
    trace, minima, layout, heights = surface_base(surface, mesh, look, height)
    window = surface.plot_window

    def height_of(p: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):
            return heights(surface.f(p))

    data: list[dict[str, Any]] = [trace]
    steps = max((v.steps for v in views), default=0)
    plan = plan_frames(steps, max(len(views), 1), max_frames)
    heads: list[int] = []
    head_z: list[np.ndarray] = []
    for i, v in enumerate(views):
        path = np.where(inside(v.xy, window)[:, None], v.xy, np.nan)
        pz = height_of(path)
        data.append(
            {
                "type": "scatter3d",
                "x": b64(path[:, 0]),
                "y": b64(path[:, 1]),
                "z": b64(pz),
                "mode": "lines",
                "name": v.label,
                "legendgroup": f"run{i}",
                "line": {"color": v.color, "width": look.line * 2, "dash": v.dash},
                "hovertemplate": f"{v.label}<br>(%{{x:.4g}}, %{{y:.4g}})<extra></extra>",
            }
        )
        ks = np.minimum(plan.steps, v.steps)
        pts = v.xy[ks].copy()
        if v.diverged:
            pts[ks >= v.diverged_at] = divergence_point(v, window)
        hz = height_of(pts)
        head_z.append(hz)
        heads.append(len(data))
        data.append(
            {
                "type": "scatter3d",
                "x": b64(pts[-1:, 0]),
                "y": b64(pts[-1:, 1]),
                "z": b64(hz[-1:]),
                "mode": "markers",
                "legendgroup": f"run{i}",
                "showlegend": False,
                "hoverinfo": "skip",
                "marker": {
                    "size": look.marker * 0.7,
                    "color": v.color,
                    "symbol": "x" if v.diverged else "circle",
                },
            }
        )
    data.extend(minima)

    frames = []
    for fi, k in enumerate(plan.steps):
        fdata = []
        for v, hz in zip(views, head_z):
            kk = int(min(k, v.steps))
            p = v.xy[kk]
            if v.diverged and kk >= v.diverged_at:
                p = divergence_point(v, window)
            x, y = _point(p)
            fdata.append({"type": "scatter3d", "x": x, "y": y, "z": [float(np.float32(hz[fi]))]})
        frames.append({"name": str(fi), "data": fdata, "traces": heads})
    layout.update(_animation_controls(plan, look, duration, redraw=True))
    return {"data": data, "layout": layout, "frames": frames}


def _log_series(values: np.ndarray, floor: float = 1e-16) -> np.ndarray:
    with np.errstate(all="ignore"):
        return np.where(np.isfinite(values), np.maximum(values, floor), np.nan)


def _curve_figure(
    views: Sequence[RunView],
    series: Sequence[np.ndarray],
    ytitle: str,
    look: Look,
    height: int,
    log: bool = True,
) -> dict[str, Any]:
    data = []
    for i, (v, y) in enumerate(zip(views, series)):
        y = _log_series(y) if log else y
        data.append(
            {
                "type": "scatter",
                "x0": 0,
                "dx": 1,
                "y": b64(y),
                "mode": "lines",
                "name": v.label,
                "legendgroup": f"run{i}",
                "line": {"color": v.color, "width": look.line, "dash": v.dash},
                "hovertemplate": f"{v.label}<br>step %{{x}}: %{{y:.4g}}<extra></extra>",
            }
        )
        if v.diverged:
            k = v.diverged_at
            finite = np.flatnonzero(np.isfinite(y[: k + 1]))
            yk = float(y[finite[-1]]) if finite.size else 1.0
            data.append(
                {
                    "type": "scatter",
                    "x": [k],
                    "y": [yk],
                    "mode": "markers+text",
                    "text": [f"diverged at {k}"],
                    "textposition": "top left",
                    "textfont": {"color": v.color, "size": look.font},
                    "legendgroup": f"run{i}",
                    "showlegend": False,
                    "marker": {"symbol": "x", "size": look.marker * 1.4, "color": v.color},
                    "hovertemplate": f"{v.label}<br>diverged at step {k}<extra></extra>",
                }
            )
    return {"data": data, "layout": curve_layout(look, height, ytitle, log, showlegend=False)}


def curve_layout(
    look: Look, height: int, ytitle: str, log: bool = True, **extra: Any
) -> dict[str, Any]:
    """A curve's layout: the step k across, ``ytitle`` up (log axis with powers of ten)."""
    return base_layout(
        look,
        height,
        xaxis={"title": {"text": "step k"}, "gridcolor": GRID, "zeroline": False},
        yaxis={
            "title": {"text": ytitle},
            "type": "log" if log else "linear",
            "gridcolor": GRID,
            "exponentformat": "power",
        },
        hovermode="closest",
        **extra,
    )


def loss_figure(
    views: Sequence[RunView], f_min: float | None, *, look: Look = DEFAULT_LOOK, height: int = 340
) -> dict[str, Any]:
    """Loss against step on a log axis: ``L − L*`` when the minimum value is known."""
    if f_min is not None:
        series = [v.loss - f_min for v in views]
        title = "L(w_k) − L*"
    else:
        finite = np.concatenate([v.loss[np.isfinite(v.loss)] for v in views] or [np.zeros(1)])
        positive = finite.size == 0 or float(np.min(finite)) > 0
        series = [v.loss for v in views]
        title = "L(w_k)"
        if not positive:
            return _curve_figure(views, series, title, look, height, log=False)
    return _curve_figure(views, series, title, look, height)


def distance_figure(
    views: Sequence[RunView], *, look: Look = DEFAULT_LOOK, height: int = 340
) -> dict[str, Any] | None:
    """Distance to the nearest known global minimum against step (None if none is known)."""
    if not views or views[0].dist is None:
        return None
    return _curve_figure(
        views, [v.dist for v in views], "‖w_k − w*‖ (nearest minimum)", look, height
    )


def schedule_figure(
    factors: np.ndarray, *, look: Look = DEFAULT_LOOK, height: int = 180
) -> dict[str, Any]:
    """The schedule's multiplier s(k) = η_k / η₀ against the step."""
    layout = base_layout(
        look,
        height,
        margin={"l": 45, "r": 10, "t": 10, "b": 35},
        xaxis={"title": {"text": "step k"}, "gridcolor": GRID},
        yaxis={"title": {"text": "η_k / η₀"}, "gridcolor": GRID, "rangemode": "tozero"},
        showlegend=False,
    )
    return {
        "data": [
            {
                "type": "scatter",
                "x0": 0,
                "dx": 1,
                "y": b64(factors),
                "mode": "lines",
                "line": {"color": "#444444", "width": look.line},
                "hovertemplate": "step %{x}: ×%{y:.3g}<extra></extra>",
            }
        ],
        "layout": layout,
    }


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


class Inspected(NamedTuple):
    """One run for the step inspector: its view, η per step and, for Nesterov in the EECS 182 and
    NPTEL forms, the look-ahead points where its gradients were taken."""

    view: RunView
    lr: np.ndarray  # (S,)
    lookahead: np.ndarray | None = None  # (S, 2)


# The inspector's three arrows: what each is, its dash and width (× the look's line width).
ARROWS = (
    ("step taken w_{k+1} − w_k", "solid", 1.2),
    ("plain gradient step −η_k∇L(w_k)", "dash", 0.7),
    ("added by momentum / scaling / look-ahead", "dot", 0.7),
)


def _arrow(tail, head, color: str, dash: str, width: float, name: str, group: str, look: Look):
    """A real dashed (or dotted) arrow: a line trace with an arrowhead marker at its head
    (layout annotations draw only solid arrows)."""
    return {
        "type": "scatter",
        "x": [float(tail[0]), float(head[0])],
        "y": [float(tail[1]), float(head[1])],
        "mode": "lines+markers",
        "line": {"color": color, "width": width, "dash": dash},
        "marker": {
            "symbol": "arrow",
            "angleref": "previous",
            "size": [0, look.marker * 1.3],
            "color": color,
        },
        "name": name,
        "legendgroup": group,
        "showlegend": False,
        "hovertemplate": f"{name}<br>(%{{x:.4g}}, %{{y:.4g}})<extra></extra>",
    }


def inspector_figure(
    surface: Any,
    runs: Sequence[Inspected],
    k: int,
    background: str,
    *,
    look: Look = DEFAULT_LOOK,
    height: int = 520,
) -> dict[str, Any]:
    """Step ``k`` of every run, with arrows: the step taken, the plain GD step, and the difference.

    The actual step ``w_{k+1} − w_k`` (solid) splits into the GD step ``−η_k ∇L(w_k)`` (dashed, the
    exact gradient at ``w_k``) and what momentum, adaptive scaling, noise or a look-ahead added
    (dotted). A Nesterov run's look-ahead point is drawn as a hollow diamond joined to ``w_k``, with
    its own gradient step −η_k∇L(look-ahead) as a thin arrow. Arrows are traces, so the dashes are
    real.
    """
    (x0, x1), (y0, y1) = surface.plot_window
    data: list[dict[str, Any]] = []
    for i, run in enumerate(runs):
        v, lr = run.view, run.lr
        group = f"run{i}"
        data.append(
            {
                "type": "scatter",
                "x": b64(v.xy[: k + 1, 0]),  # the path so far (small at early steps)
                "y": b64(v.xy[: k + 1, 1]),
                "mode": "lines",
                "name": v.label,
                "legendgroup": group,
                "line": {"color": v.color, "width": look.line * 0.6, "dash": v.dash},
                "opacity": 0.5,
                "hoverinfo": "skip",
            }
        )
        if k >= len(lr) or not np.all(np.isfinite(v.xy[k : k + 2])):
            continue
        w, w_next = v.xy[k], v.xy[k + 1]
        with np.errstate(all="ignore"):
            gd_step = -lr[k] * np.asarray(surface.grad(w), dtype=float)
        data.append(
            {
                "type": "scatter",
                "x": [float(w[0])],
                "y": [float(w[1])],
                "mode": "markers",
                "legendgroup": group,
                "showlegend": False,
                "marker": {
                    "size": look.marker * 1.2,
                    "color": v.color,
                    "symbol": v.symbol,
                    "line": {"color": "white", "width": 1.5},
                },
                "hovertemplate": f"{v.label}<br>w_{k} = (%{{x:.4g}}, %{{y:.4g}})<extra></extra>",
            }
        )
        ends = ((w, w_next), (w, w + gd_step), (w + gd_step, w_next))
        for (tail, head), (name, dash, width) in zip(ends, ARROWS):
            if np.all(np.isfinite([tail, head])) and not np.allclose(tail, head):
                data.append(_arrow(tail, head, v.color, dash, width * look.line, name, group, look))
        if run.lookahead is not None and k < len(run.lookahead):
            q = run.lookahead[k]
            if np.all(np.isfinite(q)) and not np.allclose(q, w):
                data.append(
                    {
                        "type": "scatter",
                        "x": [float(w[0]), float(q[0])],
                        "y": [float(w[1]), float(q[1])],
                        "mode": "lines+markers",
                        "line": {"color": v.color, "width": 1, "dash": "dot"},
                        "marker": {
                            "symbol": "diamond-open",
                            "size": [0, look.marker * 1.4],
                            "color": v.color,
                            "line": {"width": 2},
                        },
                        "name": f"look-ahead point of {v.label}",
                        "legendgroup": group,
                        "showlegend": False,
                        "hovertemplate": "look-ahead point (%{x:.4g}, %{y:.4g})<extra></extra>",
                    }
                )
                with np.errstate(all="ignore"):
                    g_q = -lr[k] * np.asarray(surface.grad(q), dtype=float)
                if np.all(np.isfinite(g_q)) and not np.allclose(g_q, 0):
                    data.append(
                        _arrow(
                            q,
                            q + g_q,
                            v.color,
                            "solid",
                            0.5 * look.line,
                            "−η_k∇L(look-ahead)",
                            group,
                            look,
                        )
                    )
    layout = base_layout(
        look,
        height,
        xaxis={"range": [x0, x1], "autorange": False, "showgrid": False, "zeroline": False},
        yaxis={"range": [y0, y1], "autorange": False, "showgrid": False, "zeroline": False},
        images=[_field_image(background, surface.plot_window)],
        hovermode="closest",
    )
    return {"data": data, "layout": layout}
