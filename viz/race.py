"""The race view's spec: maps, curves, banks of paths and one player, for the browser to animate.

:func:`race_spec` turns the runs of a page into one JSON document that ``ui/race.js`` draws with
plotly.js in the browser: the top view (field PNG, minima, start, each run's trail and head), the loss
and distance curves with a step cursor, the 3D view on request, and one set of controls for all of
them (play, pause, a step back or forward, reset, a step slider).

A run may carry *banks* (:class:`Bank`): its path recomputed at every value of one parameter's grid
(η, β), sampled at the frame steps. The browser then redraws the run at another value of that
parameter without asking the server, while the slider is dragged.

Large arrays travel as *chunks* named by a hash of their bytes (``spec["chunks"]``): the page sends
a chunk once per browser session and afterwards only its name (see ``ui.race``), so a rerun that
changes one run's η does not resend the field image or the other runs' banks.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .encode import b64
from .figures import (
    DEFAULT_LOOK,
    RunView,
    _display_z,
    _field_image,
    _minimum_traces,
    map_layout,
    plan_frames,
    start_trace,
    surface_figure,
)
from .style import GRID, Look, base_layout

__all__ = ["Bank", "bank_steps", "chunk", "race_spec"]

MAX_FRAMES = 151  # every step of the default 150-step run is a frame


@dataclass(frozen=True)
class Bank:
    """One run's path at every value of one parameter's grid (the others held at their values).

    ``xy`` is ``(G, F, 2)`` and ``loss`` ``(G, F)`` at the frame steps of :func:`bank_steps`;
    ``index`` is the value the page runs now (``values[index]``), ``key`` the widget it belongs to.
    """

    name: str  # the registry's parameter name: "lr", "beta"
    symbol: str  # "η", "β"
    values: tuple[float, ...]
    index: int
    xy: np.ndarray
    loss: np.ndarray
    diverged_at: np.ndarray  # (G,) the step each grid value's run diverged at, −1 if never
    widget: tuple[float, ...] | None = None  # the widget's value at each row, if not ``values``


def bank_steps(steps: int) -> np.ndarray:
    """The steps a bank keeps: the frame steps of the top view (every step up to 150 steps).

    >>> bank_steps(150).size, int(bank_steps(1000)[-1]), bank_steps(1000).size
    (151, 1000, 151)
    """
    return plan_frames(steps, 1, MAX_FRAMES).steps


def chunk(payload: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """A chunk and its name: the first 16 hex digits of the SHA-1 of its JSON-ready content."""
    h = hashlib.sha1(repr(sorted(payload.items())).encode()).hexdigest()[:16]
    return h, payload


def _finite_range(arrays: Sequence[np.ndarray], log: bool) -> list[float] | None:
    vals = np.concatenate([np.ravel(a) for a in arrays] or [np.zeros(0)])
    vals = vals[np.isfinite(vals)]
    if log:
        vals = vals[vals > 0]
    if not vals.size:
        return None
    lo, hi = float(np.min(vals)), float(np.max(vals))
    if log:
        lo, hi = np.log10(max(lo, 1e-16)), np.log10(hi)
        pad = 0.04 * max(hi - lo, 1.0)
        return [lo - pad, hi + pad]
    pad = 0.05 * max(hi - lo, 1e-9)
    return [lo - pad, hi + pad]


def race_spec(
    surface: Any,
    views: Sequence[RunView],
    background: str,
    *,
    banks: Sequence[Sequence[Bank]] | None = None,
    start: tuple[float, float] | None = None,
    look: Look = DEFAULT_LOOK,
    height: int = 560,
    width: int = 640,
    duration: int = 60,
    trails: dict[int, np.ndarray] | None = None,
    mesh: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
    curves: bool = True,
    clicks: bool = True,
    note: str | None = None,
    side: bool = False,
    pick: int | None = None,
    extra: Sequence[dict[str, Any]] = (),
    click_label: str = "click: start here",
    autoplay: str | None = None,
) -> dict[str, Any]:
    """The race view of ``views``: everything ``ui/race.js`` needs, as JSON.

    ``banks[i]`` are run ``i``'s scrubbable parameters; ``mesh`` adds the 3D view (the slowest
    to draw, so only on request); ``curves`` adds the loss and distance curves; ``clicks`` lets a
    click on the map choose the start point; ``note`` is shown above the scrubbers (why a run
    cannot be scrubbed, e.g. with gradient noise); ``side`` puts the curves beside the map on a
    wide screen; ``pick`` is the run the scrubbers show first. ``extra`` are more traces for the
    map (a prediction and the true point, after a question's answer), ``click_label`` what the
    pointer's read-out says a click does, ``autoplay`` a token: when it changes, the view plays
    from step 0 (the reveal of a question).
    """
    banks = banks or [() for _ in views]
    window = surface.plot_window
    (x0, x1), (y0, y1) = window
    steps = max((v.steps for v in views), default=0)
    plan = plan_frames(steps, max(len(views), 1), MAX_FRAMES, 40_000 * 3 // max(len(views), 3))
    chunks: dict[str, Any] = {}

    def add(payload: dict[str, Any]) -> str:
        name, body = chunk(payload)
        chunks[name] = body
        return name

    legend = [v.label for v in views] + (["global minimum"] if surface.minima else [])
    legend += [t["name"] for t in extra if t.get("name") and t.get("showlegend", True)]
    if start is not None:
        legend.append("start")
    geometry, _ = map_layout(window, look, height, legend, width, controls=False)
    layout = base_layout(
        look,
        height,
        dragmode=False,  # a click chooses the start; a touch drag scrolls the page
        hovermode="closest",
        uirevision=str(surface.name),
    )
    layout.update(geometry)
    static = _minimum_traces(surface, look)
    if start is not None:
        static.append(start_trace(start, look))
    static.extend(extra)
    image = _field_image("", window)
    image.pop("source")

    runs = []
    series_loss, series_dist = [], []
    for i, v in enumerate(views):
        run: dict[str, Any] = {
            "label": v.label,
            "color": v.color,
            "dash": v.dash,
            "symbol": v.symbol,
            "steps": v.steps,
            "diverged_at": v.diverged_at,
            "xy": b64(v.xy),
            "loss": b64(v.loss),
            "axes": [],
        }
        series_loss.append(v.loss)
        if v.dist is not None:
            series_dist.append(v.dist)
        if trails and i in trails:
            run["trail"] = b64(trails[i])
        for b in banks[i]:
            g, f = b.loss.shape
            run["axes"].append(
                {
                    "name": b.name,
                    "symbol": b.symbol,
                    "values": [float(x) for x in b.values],
                    "widget": [float(x) for x in (b.widget or b.values)],
                    "index": int(b.index),
                    "chunk": add(
                        {
                            "xy": b64(b.xy),
                            "loss": b64(b.loss),
                            "div": [int(d) for d in b.diverged_at],
                            "G": int(g),
                            "F": int(f),
                        }
                    ),
                }
            )
            ok = b.diverged_at < 0
            series_loss.append(b.loss[ok])
            if surface.minima:
                series_dist.append(surface.distance_to_min(b.xy[ok].reshape(-1, 2)))
        runs.append(run)

    f_min = surface.f_min
    loss_log = True
    if f_min is not None:
        series_loss = [s - f_min for s in series_loss]
        loss_title = "L(w_k) − L*"
    else:
        loss_title = "L(w_k)"
        finite = np.concatenate([np.ravel(s)[np.isfinite(np.ravel(s))] for s in series_loss])
        loss_log = finite.size == 0 or float(np.min(finite)) > 0

    def curve(title: str, rng: list[float] | None, log: bool) -> dict[str, Any]:
        yaxis: dict[str, Any] = {
            "title": {"text": title},
            "type": "log" if log else "linear",
            "gridcolor": GRID,
            "exponentformat": "power",
        }
        if rng is not None:
            yaxis.update(range=rng, autorange=False)
        return base_layout(
            look,
            300 if look.font <= 14 else 280,
            xaxis={
                "title": {"text": "step k"},
                "gridcolor": GRID,
                "zeroline": False,
                "range": [0, max(steps, 1)],
                "autorange": False,
            },
            yaxis=yaxis,
            showlegend=False,
            hovermode="closest",
            margin={"l": int(look.font * 5.2), "r": 16, "t": 16, "b": int(look.font * 3.6)},
        )

    spec: dict[str, Any] = {
        "map": {
            "layout": layout,
            "static": static,
            "image": {**image, "chunk": add({"png": background})},
            "window": [[x0, x1], [y0, y1]],
            "clicks": bool(clicks),
            "click_label": click_label,
        },
        "frames": {"steps": [int(k) for k in plan.steps], "stride": int(plan.stride)},
        "bank_steps": [int(k) for k in bank_steps(steps)],
        "runs": runs,
        "minima": [[float(a), float(b)] for a, b in (surface.minima or [])],
        "f_min": f_min,
        "duration": int(duration),
        "font": look.font,
        "line": look.line,
        "marker": look.marker,
        "note": note,
        "side": bool(side),
        "pick": pick,
        "autoplay": autoplay,
        "chunks": chunks,
    }
    if curves:
        spec["curves"] = {
            "loss": curve(loss_title, _finite_range(series_loss, loss_log), loss_log),
            "loss_log": loss_log,
            "dist": curve("‖w_k − w*‖", _finite_range(series_dist, True), True)
            if series_dist
            else None,
        }
    if mesh is not None:
        spec["surface3d"] = _three_d(surface, views, mesh, look, add)
    return spec


def _three_d(surface: Any, views: Sequence[RunView], mesh, look: Look, add) -> dict[str, Any]:
    """The 3D view's base figure (surface, minima, layout) and how a loss becomes a height."""
    fig = surface_figure(surface, views, mesh, look=look, height=520)
    layout = fig["layout"]
    for k in ("updatemenus", "sliders", "meta"):
        layout.pop(k, None)
    layout["margin"] = {"l": 0, "r": 0, "t": 10, "b": 10}
    z = mesh[2]
    zd, _ = _display_z(surface, z)  # as surface_figure: the heights drawn, and their range
    finite = zd[np.isfinite(zd)]
    zlo, zhi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    zhi = zhi if zhi > zlo else zlo + 1.0
    finite_z = z[np.isfinite(z)]
    raw_min = float(finite_z.min()) if finite_z.size else 0.0
    span = float(finite_z.max() - raw_min) if finite_z.size else 1.0
    surface_trace = fig["data"][0]
    minima = [t for t in fig["data"] if t.get("type") == "scatter3d" and "name" in t]
    minima = [t for t in minima if t["name"] in ("global minimum", "local minimum", "saddle point")]
    return {
        "layout": layout,
        "surface": add({"trace": surface_trace}),
        "static": minima,
        # a ball's height: clip(log10(L − raw_min + delta) or L, zlo, zhi) + lift
        "log": bool(surface.log_scale),
        "raw_min": raw_min,
        "delta": 1e-3 * (span or 1.0),
        "zlo": zlo,
        "zhi": zhi,
        "lift": 0.01 * (zhi - zlo),
        "line": look.line * 2,
        "ball": look.marker * 0.7,
    }
