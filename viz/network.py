"""Figures of the Network lab: curves, the decision boundary over training, one shared plane for
every run's path, and sharpness against each optimizer's stability threshold (pure builders)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

import numpy as np
from PIL import Image

from .curves import curve_layout
from .encode import b64
from .map import field_image, map_layout, start_trace
from .race import chunk
from .raster import field_png, png_data_uri
from .style import GRID, Look, base_layout, color, dash

__all__ = [
    "boundary_spec",
    "curves_figure",
    "edge_figure",
    "elbows_spec",
    "key_errors_figure",
    "plane_figure",
    "sharpness_figure",
    "top_eigen_figure",
]

DEFAULT_LOOK = Look()


def curves_figure(
    steps: np.ndarray,
    series: Sequence[tuple[str, np.ndarray]],
    ytitle: str,
    *,
    log: bool = False,
    look: Look = DEFAULT_LOOK,
    height: int = 320,
) -> dict[str, Any]:
    """One line per run against the step (``series``: (label, values at ``steps``))."""
    data = []
    for i, (label, y) in enumerate(series):
        y = np.asarray(y, dtype=float)
        if log:
            y = np.where(np.isfinite(y) & (y > 0), y, np.nan)
        data.append(
            {
                "type": "scatter",
                "x": b64(steps),
                "y": b64(y),
                "mode": "lines",
                "name": label,
                "line": {"color": color(i), "width": look.line, "dash": dash(i)},
                "hovertemplate": f"{label}<br>step %{{x}}: %{{y:.4g}}<extra></extra>",
            }
        )
    layout = curve_layout(look, height, ytitle, log)
    if log:
        layout["yaxis"]["dtick"] = 1  # one label a decade, no 2s and 5s between
    return {"data": data, "layout": layout}


def _boundary_png(values: np.ndarray) -> str:
    """The network's output on a grid as a two-colour ramp: blue < 0 < orange, pale near 0."""
    v = np.clip(np.nan_to_num(values), -1.0, 1.0)
    blue, orange, white = np.array([86, 180, 233]), np.array([230, 159, 0]), np.array([250] * 3)
    a = np.abs(v)[..., None] ** 0.6
    rgb = np.where(v[..., None] < 0, white + (blue - white) * a, white + (orange - white) * a)
    img = Image.fromarray(np.flipud(rgb).astype(np.uint8), "RGB")
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=True)
    return png_data_uri(buf.getvalue())


def boundary_spec(
    X: np.ndarray,
    y: np.ndarray,
    box: tuple[tuple[float, float], tuple[float, float]],
    outputs: Sequence[np.ndarray],
    steps: Sequence[int],
    label: str,
    *,
    look: Look = DEFAULT_LOOK,
    height: int = 460,
    width: int = 520,
    duration: int = 250,
) -> dict[str, Any]:
    """The decision boundary over training, as a raster per checkpoint (TensorFlow Playground's
    picture), in the race view (the app's one player): ``outputs[i]`` is the network's output
    on a grid over ``box`` at ``steps[i]``; each frame swaps the image only (``frame_images``,
    one chunk each). The data are drawn on top, coloured by class."""
    chunks: dict[str, Any] = {}

    def add(payload: dict[str, Any]) -> str:
        name, body = chunk(payload)
        chunks[name] = body
        return name

    frames = [add({"png": _boundary_png(o)}) for o in outputs]
    data = []
    for cls, name, sym, col in (
        (-1, "class −1", "circle", "#0072B2"),
        (1, "class +1", "x", "#D55E00"),
    ):
        m = y == cls
        data.append(
            {
                "type": "scatter",
                "x": b64(X[m, 0]),
                "y": b64(X[m, 1]),
                "mode": "markers",
                "name": name,
                "marker": {"symbol": sym, "size": look.marker * 0.8, "color": col},
                "hoverinfo": "skip",
            }
        )
    layout = base_layout(look, height, dragmode=False, hovermode=False, uirevision="boundary")
    layout.update(map_layout(box, look, height, ["class −1", "class +1"], width))
    layout["xaxis"]["title"]["text"], layout["yaxis"]["title"]["text"] = "x₁", "x₂"
    layout["title"] = {"text": f"{label}: sign of the output", "font": {"size": look.font}}
    layout["margin"]["t"] += int(look.font * 2)
    image = field_image("", box)
    image.pop("source")
    spec = _played(layout, data, box, steps, chunks, look, duration)
    spec["map"]["image"] = {**image, "chunk": frames[-1]}
    spec["frame_images"] = frames
    return spec


def _played(
    layout: dict[str, Any],
    static: list[dict[str, Any]],
    box: tuple[tuple[float, float], tuple[float, float]],
    steps: Sequence[int],
    chunks: dict[str, Any],
    look: Look,
    duration: int,
) -> dict[str, Any]:
    """A race-view spec with no runs: ``static`` traces on ``layout``, played over ``steps``
    (each frame's picture or lines come from ``chunks``; see the callers)."""
    (x0, x1), (y0, y1) = box
    return {
        "map": {
            "layout": layout,
            "static": static,
            "extra": [],
            "image": None,
            "window": [[x0, x1], [y0, y1]],
            "clicks": False,
            "click_label": "",
        },
        "frames": {"steps": [int(k) for k in steps], "stride": 1},
        "bank_steps": [int(k) for k in steps],
        "runs": [],
        "f_min": None,
        "duration": int(duration),
        "font": look.font,
        "line": look.line,
        "marker": look.marker,
        "note": None,
        "side": False,
        "pick": None,
        "autoplay": None,
        "chunks": chunks,
        "targets": {},
    }


def elbows_spec(
    X: np.ndarray,
    y: np.ndarray,
    pieces: Sequence[Any],
    steps: Sequence[int],
    window: tuple[float, float],
    *,
    look: Look = DEFAULT_LOOK,
    height: int = 440,
    width: int = 640,
    duration: int = 200,
) -> dict[str, Any]:
    """A ``1 → K → 1`` ReLU network's fit as its sum of elbows while it trains, in the race view:
    the data (dots), each unit's elbow ``v_j max(0, w_j x + b_j)`` (thin), their sum plus ``c``
    (the fit, thick) with its kinks marked; ``pieces[i]`` (``surfaces.network.Elbows``) at
    ``steps[i]``. Each frame moves the lines only (``frame_lines``: one chunk a frame)."""
    chunks: dict[str, Any] = {}
    units = len(pieces[-1].unit_x)

    def r(a: np.ndarray) -> list[float]:
        return [round(float(v), 5) for v in a]

    def lines(p: Any) -> str:
        xs = [r(p.unit_x[j]) for j in range(units)] + [r(p.fit_x), r(p.kinks)]
        at = np.interp(p.kinks, p.fit_x, p.fit_y)
        ys = [r(p.unit_y[j]) for j in range(units)] + [r(p.fit_y), r(at)]
        name, body = chunk({"idx": list(range(1, units + 3)), "x": xs, "y": ys})
        chunks[name] = body
        return name

    frames = [lines(p) for p in pieces]
    last = pieces[-1]
    ink, fit = "rgba(0, 114, 178, 0.55)", "#D55E00"
    data: list[dict[str, Any]] = [
        {
            "type": "scatter",
            "x": b64(X[:, 0]),
            "y": b64(y),
            "mode": "markers",
            "name": "data",
            "marker": {"size": look.marker * 0.7, "color": "#222"},
            "hoverinfo": "skip",
        }
    ]
    for j in range(units):
        data.append(
            {
                "type": "scatter",
                "x": r(last.unit_x[j]),
                "y": r(last.unit_y[j]),
                "mode": "lines",
                "name": f"{units} elbows v·max(0, wx + b)",
                "legendgroup": "elbows",
                "showlegend": j == 0,
                "line": {"color": ink, "width": max(1.5, look.line * 0.5)},
                "hoverinfo": "skip",
            }
        )
    data.append(
        {
            "type": "scatter",
            "x": r(last.fit_x),
            "y": r(last.fit_y),
            "mode": "lines",
            "name": "the fit: c + their sum",
            "line": {"color": fit, "width": look.line * 1.3},
            "hovertemplate": "f(%{x:.3g}) = %{y:.3g}<extra></extra>",
        }
    )
    data.append(
        {
            "type": "scatter",
            "x": r(last.kinks),
            "y": r(np.interp(last.kinks, last.fit_x, last.fit_y)),
            "mode": "markers",
            "name": "its kinks",
            "marker": {"symbol": "diamond", "size": look.marker * 0.9, "color": fit},
            "hovertemplate": "kink at x = %{x:.3g}<extra></extra>",
        }
    )
    lo, hi = window
    ys = np.concatenate([y, *(p.fit_y for p in pieces)])
    pad = 0.1 * (ys.max() - ys.min() + 1e-9)
    box = ((lo, hi), (float(ys.min() - pad), float(ys.max() + pad)))
    legend = [f"{units} elbows v·max(0, wx + b)", "the fit: c + their sum", "its kinks", "data"]
    layout = base_layout(look, height, dragmode=False, hovermode="closest", uirevision="elbows")
    layout.update(map_layout(box, look, height, legend, width, axes=("x", "f(x)")))
    for name in ("scaleanchor", "scaleratio"):  # a curve, not a map: as wide as its column
        layout["yaxis"].pop(name, None)
    layout["yaxis"]["zeroline"], layout["yaxis"]["zerolinecolor"] = True, GRID
    layout["xaxis"]["title"]["text"], layout["height"] = "x", height
    spec = _played(layout, data, box, steps, chunks, look, duration)
    spec["frame_lines"] = frames
    return spec


def plane_figure(
    plane: dict[str, Any],
    grid: tuple[np.ndarray, np.ndarray, np.ndarray],
    labels: Sequence[str],
    *,
    look: Look = DEFAULT_LOOK,
    height: int = 460,
) -> dict[str, Any]:
    """Every run's path on one shared plane (``shared_plane``), over the loss on that plane.

    ``grid`` is ``(a, b, L)``: the plane's coordinates and the loss at ``centre + a·d₁ + b·d₂``.
    """
    a, b, z = grid
    finite = z[np.isfinite(z)]
    src = png_data_uri(field_png(z, log=bool(finite.size and finite.min() > 0)))
    data = []
    for i, (c, label) in enumerate(zip(plane["coords"], labels)):
        data.append(
            {
                "type": "scatter",
                "x": b64(c[:, 0]),
                "y": b64(c[:, 1]),
                "mode": "lines",
                "name": label,
                "line": {"color": color(i), "width": look.line, "dash": dash(i)},
                "hovertemplate": f"{label}<extra></extra>",
            }
        )
        data.append(
            {
                "type": "scatter",
                "x": [float(c[-1, 0])],
                "y": [float(c[-1, 1])],
                "mode": "markers",
                "showlegend": False,
                "marker": {
                    "color": color(i),
                    "size": look.marker,
                    "line": {"color": "white", "width": 1},
                },
                "hoverinfo": "skip",
            }
        )
    data.append(start_trace(plane["coords"][0][0], look))
    layout = base_layout(
        look,
        height,
        images=[field_image(src, ((float(a[0]), float(a[-1])), (float(b[0]), float(b[-1]))))],
        xaxis={
            "range": [float(a[0]), float(a[-1])],
            "title": {"text": "first direction d₁"},
            "showgrid": False,
            "zeroline": False,
        },
        yaxis={
            "range": [float(b[0]), float(b[-1])],
            "title": {"text": "second direction d₂"},
            "showgrid": False,
            "zeroline": False,
        },
        hovermode="closest",
    )
    return {"data": data, "layout": layout}


def _level(
    x: tuple[float, float],
    y: float,
    name: str,
    col: str,
    look: Look,
    *,
    text: bool = False,
    legend: bool = True,
) -> dict[str, Any]:
    """A threshold as a dotted level line across ``x`` (``text``: its name written at its end)."""
    trace: dict[str, Any] = {
        "type": "scatter",
        "x": [float(x[0]), float(x[1])],
        "y": [y, y],
        "mode": "lines",
        "name": name,
        "line": {"color": col, "width": 1.5, "dash": "dot"},
        "hoverinfo": "skip",
    }
    if text:
        trace.update(mode="lines+text", text=["", name], textposition="top left")
        trace["textfont"] = {"color": col, "size": look.font - 2}
    if not legend:
        trace["showlegend"] = False
    return trace


def sharpness_figure(
    steps: np.ndarray,
    series: Sequence[tuple[str, np.ndarray, float | None, str | None]],
    *,
    look: Look = DEFAULT_LOOK,
    height: int = 380,
) -> dict[str, Any]:
    """Sharpness against the step, each with its threshold as a dotted line of its colour.

    ``series``: (label, sharpness at ``steps``, threshold, what the threshold is); a threshold of
    None draws none.
    """
    data = []
    for i, (label, s, limit, what) in enumerate(series):
        data.append(
            {
                "type": "scatter",
                "x": b64(steps),
                "y": b64(s),
                "mode": "lines+markers",
                "name": label,
                "line": {"color": color(i), "width": look.line, "dash": dash(i)},
                "marker": {"size": look.marker * 0.4, "color": color(i)},
                "hovertemplate": f"{label}<br>step %{{x}}: %{{y:.4g}}<extra></extra>",
            }
        )
        if limit is None:  # no threshold of its own (SAM)
            continue
        data.append(
            _level((steps[0], steps[-1]), limit, f"{what} = {limit:.3g}", color(i), look, text=True)
        )
    layout = base_layout(
        look,
        height,
        xaxis={"title": {"text": "step k"}, "gridcolor": GRID, "zeroline": False},
        yaxis={
            "title": {"text": "sharpness λ_max"},
            "type": "log",
            "gridcolor": GRID,
            "dtick": 1,
            "exponentformat": "power",
        },
        hovermode="closest",
    )
    return {"data": data, "layout": layout}


def key_errors_figure(
    freq: np.ndarray,
    errors: Sequence[tuple[str, np.ndarray]],
    *,
    look: Look = DEFAULT_LOOK,
    height: int = 360,
) -> dict[str, Any]:
    """Each key's final error against its frequency (log–log), one line per optimizer: the rare
    keys on the left."""
    data = []
    for i, (label, err) in enumerate(errors):
        y = np.where(np.asarray(err) > 0, err, np.nan)
        data.append(
            {
                "type": "scatter",
                "x": b64(np.asarray(freq, dtype=float)),
                "y": b64(np.asarray(y, dtype=float)),
                "mode": "lines+markers",
                "name": label,
                "line": {"color": color(i), "width": look.line, "dash": dash(i)},
                "marker": {"size": look.marker * 0.6, "color": color(i)},
                "hovertemplate": f"{label}<br>frequency %{{x:.3g}}: error %{{y:.3g}}<extra></extra>",
            }
        )
    layout = base_layout(
        look,
        height,
        xaxis={
            "title": {"text": "key frequency (its share of the examples)"},
            "type": "log",
            "gridcolor": GRID,
            "exponentformat": "power",
        },
        yaxis={
            "title": {"text": "‖q_i W − v_i‖ after the last step"},
            "type": "log",
            "gridcolor": GRID,
            "exponentformat": "power",
        },
        hovermode="closest",
    )
    return {"data": data, "layout": layout}


def edge_figure(
    runs: Sequence[Any],
    *,
    time: bool = True,
    look: Look = DEFAULT_LOOK,
    height: int = 380,
) -> dict[str, Any]:
    """Each GD run's sharpness (``optim.experiments.EdgeRun``) with its threshold 2/η dotted, on
    the time axis η·k (or the step k): on it the runs follow one curve until each meets its
    own threshold."""
    data = []
    for i, r in enumerate(runs):
        x = np.asarray(r.checks, dtype=float) * (r.eta if time else 1.0)
        label = f"η = {r.eta:g}: {r.regime}"
        data.append(
            {
                "type": "scatter",
                "x": b64(x),
                "y": b64(np.asarray(r.sharp, dtype=float)),
                "mode": "lines+markers",
                "name": label,
                "line": {"color": color(i), "width": look.line, "dash": dash(i)},
                "marker": {"size": look.marker * 0.4, "color": color(i)},
                "hovertemplate": f"{label}<br>%{{x:.4g}}: λ_max %{{y:.4g}}<extra></extra>",
            }
        )
        data.append(
            _level((x[0], x[-1]), 2 / r.eta, f"2/η = {2 / r.eta:.3g}", color(i), look, legend=False)
        )
    layout = base_layout(
        look,
        height,
        xaxis={
            "title": {"text": "time η·k" if time else "step k"},
            "gridcolor": GRID,
            "zeroline": False,
        },
        yaxis={
            "title": {"text": "sharpness λ_max"},
            "type": "log",
            "gridcolor": GRID,
            "dtick": "D2",  # 1, 2, 5 a decade: no unlabelled 3s and 4s to misread
        },
        hovermode="closest",
    )
    return {"data": data, "layout": layout}


def top_eigen_figure(
    checks: np.ndarray,
    eigs: np.ndarray,
    eta: float,
    *,
    look: Look = DEFAULT_LOOK,
    height: int = 320,
) -> dict[str, Any]:
    """The top three Hessian eigenvalues of one run against the step, with 2/η dotted."""
    data = []
    for j in range(eigs.shape[1]):
        data.append(
            {
                "type": "scatter",
                "x": b64(np.asarray(checks, dtype=float)),
                "y": b64(eigs[:, j]),
                "mode": "lines+markers",
                "name": f"λ{'₁₂₃'[j]}",
                "line": {"color": color(j), "width": look.line, "dash": dash(j)},
                "marker": {"size": look.marker * 0.4, "color": color(j)},
                "hovertemplate": f"λ{'₁₂₃'[j]}<br>step %{{x}}: %{{y:.4g}}<extra></extra>",
            }
        )
    data.append(_level((checks[0], checks[-1]), 2 / eta, f"2/η = {2 / eta:.3g}", "#444444", look))
    layout = base_layout(
        look,
        height,
        xaxis={"title": {"text": "step k"}, "gridcolor": GRID, "zeroline": False},
        yaxis={
            "title": {"text": "Hessian eigenvalue"},
            "type": "log",
            "gridcolor": GRID,
            "dtick": "D2",
        },
        hovermode="closest",
    )
    return {"data": data, "layout": layout}
