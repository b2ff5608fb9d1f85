"""Sweep lab: one optimizer over a grid of (log η × β) or (log η × start), in one engine call per row.

Each cell is a full run; the engine steps all of a row block's runs together (``optim.run_summary``,
O(runs) memory). On quadratics the stability limit from ``optim.theory`` is drawn on top.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

import optim
from optim import grids, theory
from ui import controls, link
from ui.frame import chart, page
from ui.sweep import AUTO_CPU, START_X, axes, estimate, priced_out, shared_already, sweep
from viz import labs

P = "sw"
look = page(
    "Sweep lab",
    "🗺️",
    "Every cell is a run: where does this optimizer converge, how fast, and where does it blow up?",
    prefix=P,
)


def open_in_playground(key, opt, hp, start, steps) -> None:
    """Open a cell's run in the playground: a link with its surface, optimizer, η, β, start, steps."""
    link.open_page(
        "pages/1_Playground.py",
        controls.playground_query(key, [(opt, hp)], start=start, steps=steps),
    )


# -- controls ---------------------------------------------------------------------------------------
key, surface = controls.sidebar_surface(P)
usable = controls.usable_optimizers(surface)
c1, c2, c3, c4 = st.columns(4)
opt_name = link.selectbox(
    "Optimizer",
    usable,
    index=usable.index("momentum"),
    format_func=lambda n: optim.OPTIMIZERS[n].title,
    key=f"{P}_opt",
    where=c1,
)
opt = optim.OPTIMIZERS[opt_name]
numeric = [p.name for p in opt.params if p.name != "lr"]
yaxis = link.selectbox(
    "Vertical axis",
    [*numeric, START_X],
    format_func=lambda n: next((p.label for p in opt.params if p.name == n), n),
    key=f"{P}_y",
    where=c2,
)
n = link.select_slider("grid (cells per side)", grids.SWEEP_SIDES, value=60, key=f"{P}_n", where=c3)
steps = link.slider("steps per run", 50, 1000, 200, step=10, key=f"{P}_steps", where=c4)
c1, c2, c3 = st.columns(3)
metric = link.radio(
    "Colour",
    ["final", "steps"],
    format_func={"final": "final loss", "steps": "steps to tolerance"}.get,
    key=f"{P}_metric",
    horizontal=True,
    where=c1,
)
tol = link.select_slider(
    "tolerance on L − L*",
    grids.TOLERANCES,
    value=1e-6,
    format_func=lambda v: f"{v:g}",
    key=f"{P}_tol",
    where=c2,
)
fixed: dict = {}
with c3.popover("Other hyperparameters (fixed)"):
    for sw in opt.switches:
        fixed[sw.name] = controls.param_widget(sw, f"{P}_{opt_name}_{sw.name}", url=sw.name)
    for p in opt.params:
        if p.name not in ("lr", yaxis):
            fixed[p.name] = float(controls.param_widget(p, f"{P}_{opt_name}_{p.name}", url=p.name))

start = surface.starts[0] if surface.starts else controls.centre(surface)
lrs, ys, ytitle = axes(surface, opt, yaxis, fixed, n, start)  # on the widgets' own values

# -- the sweep: priced first, then one shared job with a progress bar -------------------------------
args = (
    key,
    opt_name,
    tuple(sorted(fixed.items())),
    yaxis,
    tuple(lrs.tolist()),
    tuple(ys.tolist()),
    tuple(map(float, start)),
    steps,
    float(tol),
)
cells = lrs.size * ys.size
size = f"{lrs.size}×{ys.size} = {cells:,} runs × {steps} steps"
try:  # a sweep someone already ran (or is running) is shown at no extra cost
    cost = 0.0 if shared_already(*args) else estimate(*args)
except ValueError as err:
    st.error(f"This sweep cannot run: {link.escape(str(err))}")
    link.stop()
if cost > AUTO_CPU and st.session_state.get(f"{P}_confirmed") != args:
    why, text = priced_out(cost, size, cells, steps)
    if why == "refused":
        st.warning(text, icon="⏳")
    else:
        st.info(text, icon="⏳")
        st.button(
            f"▶ Run this sweep (about {cost:.0f} s)",
            key=f"{P}_run",
            type="primary",
            on_click=lambda: st.session_state.__setitem__(f"{P}_confirmed", args),
        )
    link.stop()

text = f"Running {size}…"
bar = st.progress(0.0, text=text)


def show(job) -> None:
    queued = job.state == "queued"
    bar.progress(
        job.progress,
        text="Waiting for another sweep on this server to finish…" if queued else text,
    )


try:
    result = sweep(*args, on_wait=show)
except ValueError as err:
    bar.empty()
    st.error(f"This sweep cannot run: {link.escape(str(err))}")
    link.stop()
bar.empty()
final, hit, diverged = result["final"], result["hit"], result["diverged"]
if metric == "final":
    f_min = surface.f_min if surface.f_min is not None else 0.0
    with np.errstate(all="ignore"):
        values = np.log10(np.maximum(final - f_min, 1e-16))
    ztitle = "log₁₀(L − L*)" if surface.f_min is not None else "log₁₀ L"
else:
    values = np.where(hit >= 0, hit, np.nan).astype(float)
    ztitle = "steps to tol"

boundary = theory.stable_lr_curve(
    surface.constant_hessian(), opt_name, fixed, None if yaxis == START_X else yaxis, ys
)
clicked = chart(
    labs.sweep_figure(
        lrs, ys, values, diverged, ytitle=ytitle, ztitle=ztitle, boundary=boundary, look=look
    ),
    "Heatmap of runs over log η and the vertical axis: colour is the final loss or steps to tolerance, red diverged; click a cell to open it in the playground",
    key=f"{P}_map",
    clicks=True,
)
share = diverged.mean()
grey = np.isnan(values) & ~diverged  # (in "steps" mode: finite, never within the tolerance)
st.caption(
    f"{cells:,} runs of {steps} steps. Orange-red: diverged ({share:.0%} of cells)."
    + (f" Grey: finite, never within {tol:g} of the minimum." if grey.any() else "")
    + " Hover a cell for its value; click it to open that run in the playground."
    + (" Dashed black: the stability limit from theory." if boundary is not None else "")
)
if clicked is not None:  # the cell's own values: the browser sends float32 (0.860000014 for 0.86)
    eta, y = grids.snap(10 ** clicked[0], lrs.tolist()), grids.snap(clicked[1], ys.tolist())
    hp = {**fixed, "lr": eta} | ({} if yaxis == START_X else {yaxis: y})
    cell_start = (y, start[1]) if yaxis == START_X else start
    open_in_playground(key, opt_name, hp, cell_start, steps)

link.finish()
