"""The race view's spec: maps, curves, banks of paths and one player, for the browser to animate.

:func:`race_spec` turns the runs of a page into one JSON document that ``viz/race.js`` draws with
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
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .encode import b64, q16
from .geometry import divergence_points, series, short_label
from .map import field_image, late_inset, map_layout, minimum_traces, start_trace
from .style import GRID, Look, base_layout
from .three import surface_base
from .views import RunView, plan_frames

__all__ = ["Bank", "bank_steps", "chunk", "race_spec"]

DEFAULT_LOOK = Look()

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
    key: str | None = None  # the page's widget a released scrubber sets
    group: str | None = None  # banks of one group move together (the Momentum lab's η)
    ident: Any = None  # what made it (hashable): names its chunk without encoding it (``bodies``)


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


_EXTREMES: OrderedDict[Any, np.ndarray] = OrderedDict()  # a bank's curve → its range's ends
MAX_EXTREMES = 512
_EXTREMES_LOCK = threading.Lock()


def _loss_rows(b: Bank, log: bool, f_min: float | None, ok: np.ndarray) -> np.ndarray:
    return series(b.loss, log, f_min)[ok]


def _dist_rows(surface: Any, b: Bank, ok: np.ndarray) -> np.ndarray:
    g, f = b.loss.shape
    return series(surface.distance_to_min(b.xy.reshape(-1, 2)).reshape(g, f), True)[ok]


def _extremes(key: Any, log: bool, rows: Callable[..., np.ndarray], *args: Any) -> np.ndarray:
    """What :func:`_finite_range` needs of a bank's rows (``rows(*args)``): their smallest and
    largest drawable values (a bank not sent yet: cached by what made the bank, so a page's run
    does not redo its distances)."""
    out = _EXTREMES.get(key)
    if out is None:
        v = np.ravel(rows(*args))
        v = v[np.isfinite(v)]
        if log:
            v = v[v > 0]
        out = np.array([v.min(), v.max()]) if v.size else np.zeros(0)
        with _EXTREMES_LOCK:  # sessions share it (threads)
            _EXTREMES[key] = out
            while len(_EXTREMES) > MAX_EXTREMES:
                _EXTREMES.popitem(last=False)
    return out


def _axis(b: Bank, chunk_name: str) -> dict[str, Any]:
    """A bank's scrubber as the browser reads it (its rows are the chunk ``chunk_name``)."""
    return {
        "name": b.name,
        "symbol": b.symbol,
        "values": [float(x) for x in b.values],
        "widget": [float(x) for x in (b.widget or b.values)],
        "index": int(b.index),
        "group": b.group,
        "chunk": chunk_name,
    }


def _pair(p: np.ndarray) -> list[float] | None:
    """A point as a JSON pair, None if it is not finite (a path that did not diverge)."""
    return [float(p[0]), float(p[1])] if np.isfinite(p).all() else None


def _num(v: float) -> float | None:
    return float(v) if np.isfinite(v) else None


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
    trails: dict[int, tuple[np.ndarray, str, np.ndarray | None]] | None = None,
    mesh: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
    curves: bool = True,
    clicks: bool = True,
    note: str | None = None,
    side: bool = False,
    pick: int | None = None,
    extra: Sequence[dict[str, Any]] = (),
    click_label: str = "click: start here",
    autoplay: str | None = None,
    schedule: Sequence[np.ndarray] | None = None,
    schedule_title: str = "η_k / η₀",
    lines: dict[str, Any] | None = None,
    bodies: Callable[[str], bool] | None = None,
    inset: int = 0,
) -> dict[str, Any]:
    """The race view of ``views``: everything ``viz/race.js`` needs, as JSON.

    ``banks[i]`` are run ``i``'s scrubbable parameters; ``mesh`` adds the 3D view (the slowest
    to draw, so only on request); ``curves`` adds the loss and distance curves; ``clicks`` lets a
    click on the map choose the start point; ``note`` is shown above the scrubbers (why a run
    cannot be scrubbed, e.g. with gradient noise); ``side`` puts the curves beside the map on a
    wide screen; ``pick`` is the run the scrubbers show first. ``extra`` are more traces for the
    map (a prediction and the true point, after a question's answer), ``click_label`` what the
    pointer's read-out says a click does, ``autoplay`` a token: when it changes, the view plays
    from step 0 (the reveal of a question). ``schedule[i]`` is run ``i``'s learning-rate factor at
    each step: a third curve, under ``schedule_title``, with the same cursor. ``lines`` are the
    field's iso-lines as vectors (``ui.cache.field_lines``), drawn under the runs. With
    ``bodies``, a bank that has an ``ident`` is named from it and encoded only if
    ``bodies(name)`` (the browser asked for it): a page's run sends no bank, and need not encode
    one either. ``inset > 0`` magnifies every run's last ``inset`` iterates about w* in an empty
    corner of the map (:func:`viz.map.late_inset`), where the map shows them as one blob.
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
    geometry = map_layout(window, look, height, legend, width, surface.axes)
    layout = base_layout(
        look,
        height,
        dragmode=False,  # a click chooses the start; a touch drag scrolls the page
        hovermode="closest",
        uirevision=str(surface.name),
    )
    layout.update(geometry)
    static = minimum_traces(surface, look)
    if start is not None:
        static.append(start_trace(start, look))
    if inset > 0:
        clouds = [(v.label, v.color, v.symbol, v.xy[-inset:]) for v in views]
        card = late_inset(clouds, surface, window, [v.xy for v in views], look)
        if card is not None:
            static += card.traces
            layout["shapes"] = card.shapes
            layout["annotations"] = card.annotations
    image = field_image("", window)
    image.pop("source")

    f_min = surface.f_min
    if f_min is not None:
        loss_title, loss_log = "L(w_k) − L*", True
    else:  # a log axis only if every loss drawn is positive
        loss_title = "L(w_k)"
        every = [v.loss for v in views] + [b.loss for bs in banks for b in bs]
        finite = np.concatenate([np.ravel(a)[np.isfinite(np.ravel(a))] for a in every] or [[]])
        loss_log = finite.size == 0 or float(np.min(finite)) > 0
    # the 3D view's still part and the one height formula its runs' heights use
    three = surface_base(surface, mesh, look, 520) if mesh is not None else None
    heights = three[3] if three is not None else None
    has_dist = bool(surface.minima)

    def geometry(xy: np.ndarray, loss: np.ndarray, ks: np.ndarray, div: np.ndarray) -> dict:
        """What the browser draws of ``G`` paths at steps ``ks``: the curves' series, the ✕'s
        place (and height), the 3D heights; computed here once (``viz.geometry``)."""
        g, f = loss.shape
        out: dict[str, Any] = {
            "loss": series(loss, loss_log, f_min),
            "div_xy": divergence_points(xy, ks, div, window),
        }
        if has_dist:
            out["dist"] = series(surface.distance_to_min(xy.reshape(-1, 2)).reshape(g, f), True)
        if heights is not None:
            out["z"] = heights.path(xy, loss, window)
            out["div_z"] = heights.at_divergence(loss, ks, div)
        return out

    runs = []
    series_loss, series_dist = [], []
    for i, v in enumerate(views):
        ks = np.arange(v.steps + 1)
        geo = geometry(v.xy[None], v.loss[None], ks, np.array([v.diverged_at]))
        run: dict[str, Any] = {
            "label": v.label,
            "short": short_label(v.label),
            "color": v.color,
            "dash": v.dash,
            "symbol": v.symbol,
            "steps": v.steps,
            "diverged_at": v.diverged_at,
            "div_xy": _pair(geo["div_xy"][0]),
            "xy": b64(v.xy),
            "series": {k: b64(geo[k][0]) for k in ("loss", "dist") if k in geo},
            "axes": [],
        }
        if heights is not None:
            run["z"] = b64(geo["z"][0])
            run["div_z"] = _num(geo["div_z"][0])
        if schedule is not None:
            run["series"]["lr"] = b64(np.asarray(schedule[i], dtype=float))
        series_loss.append(geo["loss"])
        if "dist" in geo:
            series_dist.append(geo["dist"])
        if trails and i in trails:  # (gradient points, their name, z or None)
            points, what, base = trails[i]
            run["trail"], run["trail_name"] = b64(points), what
            if base is not None:
                run["base"] = b64(base)
        for b in banks[i]:
            g, f = b.loss.shape
            ok = b.diverged_at < 0
            name = None
            if bodies is not None and b.ident is not None:
                how = (b.ident, loss_log, f_min, has_dist, heights is not None, window, look.marker)
                name = "b" + hashlib.sha1(repr(how).encode()).hexdigest()[:15]
            if name is not None and not bodies(name):  # not asked for: its curves' range only
                key = (b.ident, "loss", loss_log, f_min)
                series_loss.append(_extremes(key, loss_log, _loss_rows, b, loss_log, f_min, ok))
                if has_dist:
                    key = (b.ident, "dist")
                    series_dist.append(_extremes(key, True, _dist_rows, surface, b, ok))
                run["axes"].append(_axis(b, name))
                continue
            bgeo = geometry(b.xy, b.loss, bank_steps(steps), b.diverged_at)
            body: dict[str, Any] = {  # the rows' curves and heights at 16 bits (viz.encode.q16)
                "xy": b64(b.xy),
                "loss": q16(bgeo["loss"], loss_log),
                "div": [int(d) for d in b.diverged_at],
                "div_xy": [_pair(p) for p in bgeo["div_xy"]],
                "G": int(g),
                "F": int(f),
            }
            if "dist" in bgeo:
                body["dist"] = q16(bgeo["dist"], True)
            if heights is not None:
                body["z"] = q16(bgeo["z"])
                body["div_z"] = [_num(z) for z in bgeo["div_z"]]
            if name is None:
                name = add(body)
            else:
                chunks[name] = body
            run["axes"].append(_axis(b, name))
            series_loss.append(bgeo["loss"][ok])
            if "dist" in bgeo:
                series_dist.append(bgeo["dist"][ok])
        runs.append(run)

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
            # three panels (with the schedule) share the map's height, beside it on a wide screen
            (300 if look.font <= 14 else 280)
            if schedule is None
            else (230 if look.font <= 14 else 220),
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
            "extra": list(extra),  # a question's layer: the prediction, the class's clicks
            "lines": add(dict(lines)) if lines else None,
            "image": {**image, "chunk": add({"png": background})},
            "window": [[x0, x1], [y0, y1]],
            "clicks": bool(clicks),
            "click_label": click_label,
        },
        "frames": {"steps": [int(k) for k in plan.steps], "stride": int(plan.stride)},
        "bank_steps": [int(k) for k in bank_steps(steps)],
        "runs": runs,
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
        # the page's widget a released scrubber sets, per (run, axis): the server's, not sent
        "targets": {
            f"{i}:{b.name}": [b.key, [float(x) for x in (b.widget or b.values)]]
            for i, bs in enumerate(banks)
            for b in bs
            if b.key
        },
    }
    if curves:
        spec["curves"] = {
            "loss": curve(loss_title, _finite_range(series_loss, loss_log), loss_log),
            "loss_log": loss_log,
            "dist": curve("‖w_k − w*‖", _finite_range(series_dist, True), True)
            if series_dist
            else None,
            "lr": None
            if schedule is None
            else curve(
                schedule_title, _finite_range([np.asarray(a) for a in schedule], False), False
            ),
        }
    if three is not None:  # the runs' 3D heights are in the runs
        trace, minima, layout, _ = three
        spec["surface3d"] = {
            "layout": {**layout, "margin": {"l": 0, "r": 0, "t": 10, "b": 10}},
            "surface": add({"trace": trace}),
            "static": minima,
            "line": look.line * 2,
            "ball": look.marker * 0.7,
        }
    return spec
