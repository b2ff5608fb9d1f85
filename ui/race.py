"""The race view in the page: a Streamlit component (v2, no iframe) that draws ``viz.race_spec``.

Why a component, not ``st.plotly_chart`` (measured, see docs/design.md, "Interaction"):

* Streamlit 1.67 remounts a plotly chart whose spec changed (a full redraw, the 3D camera lost,
  streamlit #8882). The component is mounted once per key; a rerun hands it new data and it
  updates its plots in place (``Plotly.react``), so the 3D camera and the zoom survive.
* The browser animates and scrubs by itself: one set of controls (▶, ⏸, a step back or forward,
  reset, a step slider, the keys Space, ←, →, Home, End) drives the top view, the 3D balls and a
  cursor on the loss and distance curves; the η and β scrubbers redraw a run from its bank with no
  round trip, and tell the server the value once the slider is let go.
* Chunks (the field image, the banks) are sent once per browser session: the server remembers the
  names it sent in ``st.session_state``, the browser keeps them in a bounded cache and asks again
  for any it lacks.

plotly.js comes from Streamlit's static file serving (``static/``): the cartesian bundle
(``static/plotly-cartesian.min.js``: scatter, bar and heatmap traces, 1.5 MB, vendored from npm at
the version the ``plotly`` package bundles) draws the map and curves, and every figure of
:mod:`ui.figure`; the full bundle the ``plotly`` package ships (copied to ``static/plotly.min.js``
on first use, ignored by git) draws a 3D view.
"""

from __future__ import annotations

import functools
import shutil
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import streamlit as st

import optim
from optim.grids import thin_grid
from viz.export import CSS, JS  # the browser side of viz.race: viz/race.js, viz/race.css
from viz.race import Bank, bank_steps

from .cache import RunKey, SurfaceKey, surface_of
from .runs import Axis

__all__ = [
    "Axis",
    "bank",
    "banks_for",
    "clicked",
    "missing",
    "mount",
    "plotly_js",
    "preload",
    "scrubbed",
]  # Axis: ui.runs

ROOT = Path(__file__).resolve().parent.parent
SENT = "_race_sent"  # names of the chunks this session's browser has been sent
WANTED = "_race_wanted"  # banks the browser asked for, sent by the next run
MAX_SENT = 400
BANK_BUDGET = 120_000  # rows × steps of one bank: ≤ ~0.3 s of CPU on a data surface
MAX_ROWS = 64  # rows of one bank: ~80 kB of paths at 150 steps


@functools.lru_cache(maxsize=1)
def plotly_js() -> bool:
    """Put the plotly package's full ``plotly.min.js`` in the app's ``static/`` folder (once),
    for the 3D view. False if it cannot be written (a read-only checkout): the view then says so.
    """
    import plotly

    source = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    target = ROOT / "static" / "plotly.min.js"
    try:
        if not target.exists() or target.stat().st_size != source.stat().st_size:
            target.parent.mkdir(exist_ok=True)
            tmp = target.with_suffix(".tmp")
            shutil.copyfile(source, tmp)
            tmp.replace(target)
        return True
    except OSError:
        return False


# The component's code is served once, as static files, not inside every update: its element
# carries only this loader (0.85 kB against 28.6 kB of race.js + race.css). The browser imports
# the module once per page (its module map) and revalidates the file on a new page load.
LOADER = """const js = new URL("app/static/%(js)s", document.baseURI).href;
const css = new URL("app/static/%(css)s", document.baseURI).href;
export default function (component) {
  if (!document.querySelector(`link[href="${css}"]`)) {
    const link = document.createElement("link");
    link.rel = "stylesheet";
    link.href = css;
    document.head.appendChild(link);
  }
  const code = (window.__raceCode = window.__raceCode || import(js));
  let gone = false, cleanup = null;
  code
    .then((m) => { if (!gone) cleanup = m.%(entry)s(component); })
    .catch((err) => {
      window.__raceCode = null;  // the next update tries again
      component.parentElement.textContent = `This view could not load: ${err.message || err}`;
    });
  return () => { gone = true; if (typeof cleanup === "function") cleanup(); };
}
"""


@functools.lru_cache(maxsize=1)
def served_code() -> tuple[str, str] | None:
    """Write ``viz/race.js`` and ``viz/race.css`` to ``static/`` under names that hold a hash of
    their bytes (once per process; older copies are removed): their (js, css) file names, or None
    if the folder cannot be written (the component then carries its code inline, as before)."""
    import hashlib

    folder = ROOT / "static"
    names = []
    try:
        for text, ext in ((JS, "js"), (CSS, "css")):
            digest = hashlib.sha256(text.encode()).hexdigest()[:12]
            name = f"race-{digest}.{ext}"
            target = folder / name
            if not target.exists() or target.read_text(encoding="utf-8") != text:
                tmp = target.with_suffix(".tmp")
                tmp.write_text(text, encoding="utf-8")
                tmp.replace(target)
            for old in folder.glob(f"race-*.{ext}"):
                if old.name != name:
                    old.unlink(missing_ok=True)
            names.append(name)
    except OSError:
        return None
    return names[0], names[1]


@functools.lru_cache(maxsize=1)
def _component():
    files = served_code()
    if files is None:
        return st.components.v2.component("descent_lab.race", js=JS, css=CSS, isolate_styles=False)
    js = LOADER % {"js": files[0], "css": files[1], "entry": "default"}
    return st.components.v2.component("descent_lab.race", js=js, isolate_styles=False)


@functools.lru_cache(maxsize=48)
def bank(
    key: SurfaceKey,
    run: RunKey,
    name: str,
    values: tuple[float, ...],
    start: tuple[float, float],
    steps: int,
    options: optim.RunOptions = optim.RunOptions(),  # noqa: B008 - frozen record
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Run ``run`` at every value of parameter ``name`` in one engine call (``optim.run_paths``).

    Returns float32 ``xy (G, F, 2)`` and ``loss (G, F)`` at :func:`viz.race.bank_steps` and the
    divergence steps ``(G,)``, read-only. Cached on primitives, once per process (every session
    shares it: a bank over η does not depend on η, so moving η reuses it). A process cache, not
    ``st.cache_data``: hashing these arguments for Streamlit's cache and unpickling the arrays
    took ~3 ms a bank, 15 ms of a Playground run's ~60 ms, on every run of every session.
    """
    optimizer, hp = run
    hp = dict(hp)
    hp[name] = np.asarray(values, dtype=float)
    x0 = np.tile(np.asarray(start, dtype=float), (len(values), 1))
    paths = optim.run_paths(
        surface_of(key), [optim.RunSpec(optimizer, x0, hp)], steps, options=options
    )
    ks = bank_steps(steps)
    with np.errstate(all="ignore"):
        xy = paths.xy[ks].transpose(1, 0, 2).astype(np.float32)
        loss = paths.loss[ks].T.astype(np.float32)
    out = (xy, loss, paths.diverged_at.astype(int))
    for a in out:  # shared by every session: nobody may write into them
        a.flags.writeable = False
    return out


BANK_CPU = 1.0  # seconds of CPU all of a page's banks may take, cold (they are cached after)
MIN_ROWS = 8  # fewer values than this is no scrubber: the axis goes without a bank


@functools.lru_cache(maxsize=256)
def row_step_cost(key: SurfaceKey, optimizer: str, options: optim.RunOptions) -> float:
    """CPU seconds one bank row costs per step on this surface (a 16-row, 20-step probe, once
    per surface and optimizer): data surfaces cost ~15× an analytic one."""
    import time

    s = surface_of(key)
    x0 = np.tile(np.asarray(s.starts[0] if s.starts else (0.0, 0.0), dtype=float), (16, 1))
    t = time.process_time()
    try:
        optim.run_paths(s, [optim.RunSpec(optimizer, x0, {})], 20, options=options)
    except ValueError:
        return float("inf")
    return max(time.process_time() - t, 1e-6) / (16 * 20)


def plan_rows(costs: Sequence[float], steps: int, budget: float = BANK_CPU) -> list[int]:
    """Rows each bank may have so that all of them together cost ≤ ``budget`` seconds:
    an equal share each, rounded down to 64, 32, 16 or 8 rows; 0 (no bank) below 8.

    >>> plan_rows([1e-6, 1e-6], 150), plan_rows([1e-4, 2e-5], 1000)
    ([64, 64], [0, 16])
    """
    share = budget / max(len(costs), 1)
    fits = [share / max(c * max(steps, 1), 1e-12) for c in costs]
    # a few sizes only, so a busy moment on the server rarely changes the scrubber's values
    return [next((n for n in (MAX_ROWS, 32, 16, MIN_ROWS) if n <= f), 0) for f in fits]


def banks_for(
    key: SurfaceKey,
    runs: Sequence[RunKey],
    axes: Sequence[Axis],
    start: tuple[float, float],
    steps: int,
    options: optim.RunOptions,
) -> list[list[Bank]]:
    """Each run's banks for ``axes``, all of them within ``BANK_CPU`` seconds (``plan_rows``).

    The grid is thinned evenly (always keeping the widget's value); axes of one group thin the
    same grid the same way, so their rows line up. An axis too costly for even ``MIN_ROWS``
    values gets no bank (its run does not scrub).
    """
    out: list[list[Bank]] = [[] for _ in runs]
    costs = [row_step_cost(key, runs[ax.run][0], options) for ax in axes]
    plan = plan_rows(costs, steps)
    groups: dict[str, int] = {}
    for ax, rows in zip(axes, plan):  # a group's axes share one size (their rows line up)
        if ax.group is not None:
            groups[ax.group] = min(groups.get(ax.group, rows), rows)
    for ax, rows in zip(axes, plan):
        most = groups.get(ax.group, rows) if ax.group is not None else rows
        most = min(most, max(4, BANK_BUDGET // max(steps, 1)))
        if most < MIN_ROWS:
            continue
        widget = thin_grid(ax.grid, ax.value, most, ax.marks)
        convert = ax.convert or float
        values = tuple(float(convert(w)) for w in widget)
        param = ax.param or ax.name
        optimizer, hp = runs[ax.run]  # the scrubbed value is the bank's own: not in its key
        run = (optimizer, tuple((k, v) for k, v in hp if k != param))
        try:
            xy, loss, div = bank(key, run, param, values, start, steps, options)
        except ValueError:  # a grid value the optimizer refuses: this axis does not scrub
            continue
        index = widget.index(float(ax.value))
        ident = (key, run, param, values, start, steps, options)
        bank_ = Bank(
            ax.name, ax.symbol, values, index, xy, loss, div, widget, ax.key, ax.group, ident
        )
        out[ax.run].append(bank_)
    return out


def missing(state_key: str) -> None:
    """The browser lacks these chunks (its cache dropped them, or a scrubber wants its bank):
    the next run sends them."""
    names = (st.session_state.get(state_key) or {}).get("missing")
    sent = st.session_state.get(SENT)
    if names and isinstance(sent, dict) and isinstance(names, list):
        wanted = st.session_state.setdefault(WANTED, set())
        wanted.clear()  # only the view on screen's banks: nothing piles up
        for n in names[:200]:
            sent.pop(str(n), None)
            wanted.add(str(n)[:64])


def scrubbed(state_key: str, targets: Mapping[tuple[int, str], tuple[str, tuple]]) -> None:
    """The browser let go of a scrubber at grid position ``index``: set that widget to it."""
    value = (st.session_state.get(state_key) or {}).get("scrub")
    try:
        run, name, index = int(value["run"]), str(value["name"]), int(value["index"])
    except (TypeError, KeyError, ValueError):
        return
    widget, grid = targets.get((run, name), (None, ()))
    if widget is not None and 0 <= index < len(grid):
        st.session_state[widget] = grid[index]


def clicked(state_key: str, on_start: Callable[[float, float], None] | None) -> None:
    value = (st.session_state.get(state_key) or {}).get("start")
    try:
        x, y = (float(v) for v in value)
    except (TypeError, ValueError):
        return
    if on_start is not None and np.isfinite(x) and np.isfinite(y):
        on_start(round(x, 4), round(y, 4))


def wire(view: dict[str, Any]) -> list[dict[str, Any]]:
    """A view as a component's ``data``: inside a one-element list (the JS unpacks it,
    ``{ data: [data] }``). Streamlit scans a dict's values for dataframes, and its first scan
    imports pandas and pyarrow (~0.4 s of CPU, on a server's first page with a view, even one
    that shows no table); a list goes to JSON as it is."""
    return [view]


def preload() -> None:
    """Start fetching plotly.js now (call it first on a page with a race view): the browser
    loads and compiles it while the server still runs the page's script."""
    _component()(data=wire({"preload": True}), key="race_preload", height=0)


def mount(
    spec: dict[str, Any],
    key: str,
    *,
    on_start: Callable[[float, float], None] | None = None,
    alt: str = "",
) -> None:
    """Draw ``spec`` (from :func:`viz.race_spec`) as the race view under ``key``.

    Chunks already sent to this browser are left out (only their names travel); a released
    scrubber sets the widget its bank names (``Bank.key``); ``on_start(x, y)`` receives a click
    on the map.
    """
    if spec.get("surface3d") and not plotly_js():  # the full bundle could not be written
        spec = {k: v for k, v in spec.items() if k != "surface3d"}
        spec["note"] = "The 3D view needs static/plotly.min.js, which this server cannot write."
    sent = st.session_state.setdefault(SENT, {})
    if len(sent) > MAX_SENT:
        sent.clear()
    chunks = spec.get("chunks", {})
    # the banks (most of a view's bytes: 470 kB of the Momentum lab's 490) go only when the
    # browser asks, as a hand nears a scrubber: a slider step sends none
    banks = {a["chunk"] for run in spec.get("runs", []) for a in run.get("axes", [])}
    wanted = st.session_state.setdefault(WANTED, set())
    data = {k: v for k, v in spec.items() if k not in ("chunks", "targets")}
    data["chunks"] = {
        n: c for n, c in chunks.items() if n not in sent and (n not in banks or n in wanted)
    }
    data["need"] = sorted(set(chunks) - banks)
    data["alt"] = alt
    for n in data["chunks"]:
        sent[n] = True
    wanted.difference_update(data["chunks"])
    targets = {  # the widget each scrubber sets when let go, as the spec names it
        (int(k.split(":")[0]), k.split(":", 1)[1]): (w, tuple(g))
        for k, (w, g) in spec.get("targets", {}).items()
    }
    state_key = f"{key}_race"
    _component()(
        data=wire(data),
        key=state_key,
        on_missing_change=lambda: missing(state_key),
        on_scrub_change=lambda: scrubbed(state_key, targets),
        on_start_change=lambda: clicked(state_key, on_start),
    )
