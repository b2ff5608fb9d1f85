"""Network lab: the 2-D lessons in a small neural network, edge of stability included.

Cohen et al., "Gradient descent on neural networks typically occurs at the edge of stability"
(ICLR 2021) and "Adaptive gradient methods at the edge of stability" (2022); note 004 (Xavier, He).
"""

from __future__ import annotations

import streamlit as st

from optim import grids
from surfaces.network import ACTIVATIONS, DATASETS, EOS_PRESET, INITS
from ui import link, race
from ui.frame import chart, page
from ui.network import (
    BUDGET,
    DEFAULT_LR,
    batchnorm_section,
    edge_section,
    elbows_section,
    lab,
    learning_rates,
    muon_section,
    optimizers,
)
from viz import claims
from viz import network as figs

P = "nn"
look = page(
    "Network lab",
    "🧠",
    "A small neural network on 2-D data: the same optimizers, a few hundred dimensions. GD's "
    "step limit 2/η from the quadratic still rules: watch the sharpness climb to it and stay.",
    prefix=P,
)
race.preload()  # plotly.js for the decision boundary (the race view), fetched while the page runs
STEPS = grids.NETWORK_STEPS

net_cfg = EOS_PRESET["network"]
c1, c2, c3, c4 = st.columns(4)
dataset = link.selectbox(
    "data",
    list(DATASETS),
    format_func=DATASETS.get,
    key=f"{P}_data",
    where=c1,
    index=list(DATASETS).index(net_cfg["dataset"]),
)
width = link.select_slider(
    "width (units per hidden layer)", grids.NETWORK_WIDTHS, 16, key=f"{P}_width", where=c2
)
activation = link.selectbox(
    "activation", list(ACTIVATIONS), format_func=ACTIVATIONS.get, key=f"{P}_act", where=c3
)
init = link.selectbox(
    "initialization",
    list(INITS),
    format_func=INITS.get,
    key=f"{P}_init",
    where=c4,
    help="Biases start at 0. Note 004 prints Xavier's bound as 6/√(n_in+n_out); the right one "
    "is √6/√(n_in+n_out): its choice here shows what √6 ≈ 2.45× too wide does.",
)
c1, c2, c3, c4 = st.columns([2, 1, 1, 1])
names = optimizers(P, c1)
steps = link.select_slider("steps", STEPS, EOS_PRESET["steps"], key=f"{P}_steps", where=c2)
batch = link.select_slider(
    "batch",
    grids.NETWORK_BATCHES,
    "full",
    key=f"{P}_batch",
    where=c3,
    help="Full batch: the gradient of the whole loss (the edge-of-stability setting). A number: "
    "minibatches of that size, shuffled each epoch.",
)
bn = link.toggle(
    "batch norm",
    key=f"{P}_bn",
    where=c4,
    help="Each hidden layer normalizes its inputs' weighted sums over the batch, then scales them "
    "by a learnable γ and shifts them by a learnable β (Ioffe & Szegedy 2015).",
)
if not names:
    st.info("Choose at least one optimizer.")
    link.stop()

runs = learning_rates(P, names)  # η of each optimizer (and momentum's β = 0.9)

if len(runs) * int(steps) > BUDGET:  # bounded work: a class shares one small server
    fit = max(s for s in STEPS if len(runs) * s <= BUDGET)
    st.warning(
        f"{len(runs)} runs × {steps} steps is more than one page may train on a shared server "
        f"(at most {BUDGET} run-steps): showing {fit} steps.",
        icon="⏱️",
    )
    steps = fit
key = (("dataset", dataset), ("width", int(width)), ("depth", 2), ("activation", activation))
with st.spinner("Training and measuring the sharpness (a few seconds the first time)…"):
    bn_key = (*key, ("batchnorm", True)) if bn else key
    res = lab(bn_key, init, 0, tuple(runs), int(steps), None if batch == "full" else int(batch))

st.caption(
    f"{res.net.title}: {res.net.dim} parameters, {res.net.n_data} examples, square loss "
    "on labels ±1; every run starts from the same initialization."
)
for i, d in enumerate(res.diverged_at):
    if d >= 0:
        st.warning(f"{res.labels[i]} diverged at step {int(d)}.", icon="💥")

# -- (a) loss and accuracy -----------------------------------------------------------------------
left, right = st.columns(2)
chart(
    figs.curves_figure(res.steps, list(zip(res.labels, res.loss.T)), "L(w_k)", log=True, look=look),
    "Training loss against step for each optimizer, on a log scale",
    where=left,
    key=f"{P}_loss",
)
chart(
    figs.curves_figure(res.checks, list(zip(res.labels, res.accuracy.T)), "accuracy", look=look),
    "Training accuracy against step for each optimizer",
    where=right,
    key=f"{P}_acc",
)

# -- (d) sharpness ----------------------------------------------------------------------------------
st.subheader("Sharpness against each method's stability threshold")
series = []
for i, (s, limit, formula, pre) in res.sharp.items():
    what = "λ_max(P⁻¹H)" if pre else "λ_max(H)"
    series.append((f"{res.labels[i]}: {what}", s, limit, formula))
if series:
    chart(
        figs.sharpness_figure(res.checks, series, look=look),
        "Sharpness (top Hessian eigenvalue) along each run, with its stability threshold dotted",
        key=f"{P}_sharp",
    )
    lines = claims.sharpness_lines(res.labels, res.sharp, res.checks, names)
    st.markdown(
        "On a quadratic, GD is stable only while the curvature λ < 2/η (the lecture's η < 1/σ², "
        "with λ = 2σ²). A network's curvature changes as it trains: with full-batch GD it rises "
        "(*progressive sharpening*) until it reaches 2/η, then hovers there while the loss keeps "
        "falling, up and down (*the edge of stability*, Cohen et al. 2021). Each method's "
        "threshold is where its iteration on a quadratic of that curvature stops being stable: "
        "heavy ball's (2 + 2μ)/α, Nesterov's 2(1 + μ)/((1 + 2μ)α) (its look-ahead sees the "
        "curvature twice), Adam's (2 + 2β₁)/((1 − β₁)η) on the preconditioned curvature (Cohen "
        "et al. 2022). The sharpness is the top eigenvalue of the exact Hessian (Lanczos on "
        "forward-over-reverse Hessian-vector products); for ReLU it is the Hessian of the piece "
        "of the loss the point lies in, away from the kinks.\n\n"
        + "\n".join(f"- {x}" for x in lines)
    )
else:
    st.info(
        "None of these optimizers has a stability threshold to draw (GD, momentum, Nesterov "
        "and the Adam family do)."
    )

if bn:  # the same network without and with batch norm, GD from the same start
    batchnorm_section(P, key, init, dict(dict(runs).get("gd", ())).get("lr", DEFAULT_LR["gd"]))

edge_section(P, look, bn_key, init)  # GD at five step sizes: regimes and the time axis η·k

# -- (b) decision boundary, (c) the shared plane ------------------------------------------------
st.subheader("The decision boundary, and every path on one plane")
left, right = st.columns(2)
with left:
    who = link.selectbox(
        "run", list(range(len(res.labels))), format_func=lambda i: res.labels[i], key=f"{P}_who"
    )
    boundary = (res.net.X, res.net.y, res.box, res.outputs[who], res.frames, res.labels[who])
    race.mount(
        figs.boundary_spec(*boundary, look=look),
        key=f"{P}_boundary",
        alt="The sign of the network's output over the plane as it trains; ▶ Play animates it",
    )
with right:
    pl = res.plane
    chart(
        figs.plane_figure(pl, res.plane_grid, res.labels, look=look),
        "Every run's parameter path projected on one shared plane, over the loss on that plane",
        key=f"{P}_plane",
    )
    off = ", ".join(f"{d:.2g}" for d in pl["off_plane"])
    st.caption(
        f"One plane for all runs: the two principal directions of all their paths together "
        f"(PCA), through the paths' mean. It explains **{pl['explained']:.0%}** of the paths' "
        f"variance; the paths lie on average {off} off it (their spread is {pl['spread']:.2g}). "
        "The shading is the loss *on the plane*: a path off the plane can be lower than the "
        "shading under it; the loss curves above are the truth."
    )
elbows_section(P, look)  # (e) one input: a ReLU network as its sum of elbows
muon_section(P, look)  # (f) Muon on a weight matrix
link.finish()
