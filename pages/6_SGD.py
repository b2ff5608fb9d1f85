"""SGD lab: minibatch noise, the dance around the optimum, decay, epochs, warm-up–stable–decay.

EECS 182 note 2 §1.1–1.2; COSI 165B Alg. 8.1 (linear decay); Deep Learning Refresher "Stochastic GD".
"""

from __future__ import annotations

import numpy as np
import streamlit as st

import optim
import viz
from optim import experiments, grids
from optim.experiments import DECAYS
from surfaces import get_surface
from ui import lab, link, predict, race, view
from ui.cache import surface_key
from ui.frame import chart, page
from viz import labs

P = "sg"
look = page(
    "SGD lab",
    "🎲",
    # a question link's page does not open by telling its answer
    None
    if "ask" in st.query_params
    else "A minibatch gradient is a noisy estimate of the full one. Noise keeps SGD dancing "
    "around the optimum at a constant step; a decaying step lets it settle.",
    prefix=P,
)
race.preload()  # plotly.js for the race view, fetched while the page runs
ask = predict.begin(P)  # a question link about the dance (section 2)
DATA = {
    "linear_regression": "linear regression (60 points)",
    "sigmoid_neuron": "sigmoid neuron (40 points)",
}
c1, c2 = st.columns([3, 1])
name = link.selectbox(
    "Data-driven surface", list(DATA), format_func=DATA.get, key=f"{P}_surface", where=c1
)
seed = int(link.number_input("seed of the minibatches", 0, 10**6, 0, key=f"{P}_seed", where=c2))
surface = get_surface(name)
n = surface.n_data
skey = surface_key(name)
start, w_star = (np.asarray(p, dtype=float) for p in (surface.starts[0], surface.minima[0]))
# -- 1. the gradient cloud --------------------------------------------------------------------------
# On a question's screen this section (it says why a constant step cannot settle) and section 2's
# introduction stay unwritten (they tell the answer); "Change the settings" brings them back.
pending = ask is not None and (ask.hidden or not ask.explore)


@link.fragment  # batch size and point redraw this section alone
def gradient_cloud() -> None:
    if not pending:
        st.subheader("1 · A minibatch gradient is the full gradient plus noise")
        st.markdown(
            "Draw B examples at random (with replacement) and average their gradients: the "
            "estimate is unbiased, and its covariance is the per-example covariance Σ divided by "
            "B, so its spread shrinks like 1/√B."
        )
    c1, c2 = st.columns(2)
    batch = link.select_slider(
        "batch size B", [*grids.SGD_BATCHES, 32, n], value=4, key=f"{P}_batch", where=c1
    )
    where = link.selectbox(
        "at the point",
        ["start", "halfway", "at the optimum"],
        key=f"{P}_where",
        help="At the optimum: note 2, Fig. 1–2 — the full gradient balances to zero, a "
        "minibatch's does not.",
        where=c2,
    )
    w = {"start": start, "halfway": 0.5 * (start + w_star), "at the optimum": w_star}[where]
    if not pending:
        cloud = lab.cloud(name, tuple(map(float, w)), batch, seed)
        left, right = st.columns([3, 2])
        chart(
            labs.gradient_cloud_figure(cloud.samples, cloud.full, look=look),
            "Minibatch gradients around the full gradient, with the covariance ellipse Σ/B",
            where=left,
            key=f"{P}_cloud",
        )
        with right:
            st.metric("spread measured: tr Cov over 400 draws", f"{cloud.spread:.4g}")
            st.metric("theory: tr Σ / B", f"{cloud.predicted_spread:.4g}")
            st.metric("‖mean of the draws − ∇L(w)‖", f"{cloud.bias:.3g}")
            st.caption(
                f"‖∇L(w)‖ = {np.linalg.norm(cloud.full):.3g}. At the optimum the contributions "
                "of all the examples balance and the full gradient vanishes, but a minibatch's "
                "do not (EECS 182 note 2, Fig. 1–2): that is why a constant step cannot settle."
            )


gradient_cloud()

# -- 2. dancing around the optimum ------------------------------------------------------------------
section2 = predict.fold(ask, "2 · Dancing around the optimum, and how decay stops it")
section2.divider()
section2.subheader("2 · Dancing around the optimum, and how decay stops it (note 2, Fig. 3)")
if not pending:
    st.markdown(
        "With a constant η, SGD reaches the optimum's neighbourhood and then keeps jumping around "
        "it, because every step adds fresh noise of size ~η. Shrinking η over time damps the "
        "dance (Robbins–Monro: Σ η_k = ∞, Σ η_k² < ∞). Both runs below see the same minibatches."
    )
c1, c2, c3, c4 = st.columns(4)
DEFAULT_LR = {"linear_regression": 0.1, "sigmoid_neuron": 3.9}  # a dance visible in 600 steps
if st.session_state.get(f"{P}_lr__surface") != name:
    st.session_state[f"{P}_lr__surface"] = name
    st.session_state[f"{P}_lr"] = DEFAULT_LR[name]
lr = link.select_slider(
    "η₀", grids.SGD_ETAS, DEFAULT_LR[name], format_func=lambda v: f"{v:g}", key=f"{P}_lr", where=c1
)
b2 = link.select_slider("batch size", grids.SGD_BATCHES, value=1, key=f"{P}_b2", where=c2)
steps = link.slider("steps", 100, 1000, 600, step=50, key=f"{P}_steps", where=c3)
decay = link.selectbox("decay", list(DECAYS), format_func=DECAYS.get, key=f"{P}_decay", where=c4)
sched = experiments.decay_over(decay, steps)
labels = [f"constant η = {lr:g}", f"decaying from η₀ = {lr:g}"]


def dance(x0, n: int = steps) -> list:
    """The constant-η and the decaying run from ``x0`` over ``n`` steps (the same minibatches)."""
    opts = [optim.RunOptions(batch_size=b2, seed=seed, schedule=s) for s in (None, sched)]
    trajs = [lab.runs(skey, ["gd"], [{"lr": lr}], n, x0, o)[0] for o in opts]
    return viz.run_views(trajs, surface, labels)


views = dance(start)
question = predict.View(
    ask,
    views,
    surface,
    labels,
    P,
    kinds=("regime", "next", "first"),
    rules=[  # minibatches: measured, with what each η does for ever
        predict.rule("gd", {"lr": lr}, False, optim.RunOptions(batch_size=b2)),
        predict.rule("gd", {"lr": lr}, False, optim.RunOptions(batch_size=b2, schedule=sched)),
    ],
    rerun=dance,
    look=look,
)
question.offer()
with question.placed():  # beside the question on its screen
    view.show(
        view.Request(
            surface,
            skey,
            views,
            f"{P}_dance_race",
            "Top view of the regression loss with SGD's path at a constant η and with decay, their "
            "player, their loss and distance curves and their learning-rate schedules",
            side=True,
            main=False,
            schedule=[np.ones(steps + 1), sched.factors(steps + 1)],
            inset=steps // 4,  # the two last quarters, magnified: the map's blob on the star
        ),
        look,
        question,
    )
question.end()
st.caption(
    "▶ Play: the map and the cursors on the curves and on the two schedules (constant, and "
    f"{DECAYS[decay]}) move together."
)
for msg in viz.divergence_messages(views):
    st.warning(msg, icon="💥")
lab.dance_numbers(views, sched, steps, look)  # measured: distances, walk
with st.expander("Erratum in EECS 182 Note 2: a step that is stable for GD may not be for SGD"):
    st.markdown(next(e for e in optim.ERRATA if "Note 2 (§1.2)" in e))


# -- 3. epochs against replacement ------------------------------------------------------------------
@link.fragment
def epochs(lr: float) -> None:
    st.divider()
    st.subheader("3 · Epochs with reshuffling against sampling with replacement")
    st.markdown(
        f"Reshuffled epochs use every example exactly once per pass. Sampling with replacement "
        f"leaves (1 − 1/N)ᴺ ≈ {(1 - 1 / n) ** n:.1%} of the examples unseen in a pass of N draws "
        "and sees others twice, so its noise is a little larger. Over 20 seeds, same η and "
        "batch size:"
    )
    epochs = link.slider("epochs", 1, 20, 5, key=f"{P}_epochs")
    steps3 = epochs * int(np.ceil(n / 4))  # batches of 4
    finals, curves = lab.sampling(name, tuple(map(float, start)), lr, 4, steps3)
    chart(
        labs.sampling_figure(curves, look=look),
        "Distance to the optimum against epoch: reshuffled epochs against sampling with replacement",
        key=f"{P}_epochs_fig",
    )
    m1, m2 = st.columns(2)
    for col, mode in zip((m1, m2), ("shuffle", "replacement")):
        col.metric(f"final L − L*, {mode} (median of 20)", f"{np.median(finals[mode]):.3g}")


epochs(lr)
lab.schedule_race(P, look)  # 4. warm-up–stable–decay on the river valley
link.finish()
