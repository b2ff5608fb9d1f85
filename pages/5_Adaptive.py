"""Adaptive lab: per-coordinate step sizes (AdaGrad, RMSProp, Adam), where they help, bias correction.

Goodfellow Alg. 8.4 / 8.5 / 8.7; NPTEL AdaGrad and RMSProp lectures; EECS 182 eq. (9)–(10).
"""

from __future__ import annotations

import numpy as np
import streamlit as st

import viz
from optim import experiments, grids, theory
from surfaces import get_surface
from surfaces.data import FEATURES
from ui import lab, link, predict, race
from ui.cache import surface_key
from ui.frame import chart, page, phone
from viz import labs

P = "ad"
look = page(
    "Adaptive lab",
    "🎚️",
    "Adaptive methods give every coordinate its own step, η/(√v + ε), from the squared gradients "
    "it has seen. That rescues rare features and flat directions; it cannot undo a rotation.",
    prefix=P,
)
ETAS = grids.ADAPTIVE_ETAS
race.preload()  # plotly.js for the race view, fetched while the page runs
ask = predict.begin(P)  # a question link about the race of section 1

# -- 1. AdaGrad's step dies out ---------------------------------------------------------------------
intro = predict.fold(ask, "1 · AdaGrad's step only shrinks; RMSProp and Adam forget")
intro.subheader("1 · AdaGrad's step only shrinks; RMSProp and Adam forget")
intro.markdown(
    "AdaGrad divides by the root of the **sum** of all squared gradients, so its effective "
    "step can only shrink, and on a long plateau it starves. RMSProp and Adam use a moving "
    "**average** instead, so the step recovers once the gradients change (NPTEL's sigmoid neuron)."
)
intro.latex(
    r"\text{AdaGrad: } v_k = v_{k-1} + g_k^2 \qquad \text{RMSProp: } v_k = \beta v_{k-1} + "
    r"(1-\beta) g_k^2 \qquad w_{k+1} = w_k - \frac{\eta}{\sqrt{v_k} + \epsilon}\, g_k"
)
c1, c2 = st.columns(2)
eta1 = lab.eta_slider("η (all three)", ETAS, 0.1, f"{P}_eta1")
steps1 = link.slider("steps", 50, 1000, 400, step=50, key=f"{P}_steps1", where=c2)
DATA = {"nptel": "NPTEL's two points", "noisy": "40 noisy points"}
dataset = link.radio(
    "data", [*DATA], format_func=DATA.get, key=f"{P}_data", where=c1, horizontal=True
)
key1 = surface_key("sigmoid_neuron", dataset=dataset)
names, hps1, kinds = ["adagrad", "rmsprop", "adam"], [{"lr": eta1}] * 3, ("first", "regime", "next")
trajs = lab.runs(key1, names, hps1, steps1)
labels1 = [f"{i + 1}. {t.label()}" for i, t in enumerate(trajs)]
question = lab.question(ask, P, look, key1, names, hps1, steps1, labels1, kinds)
question.offer()
left, right = st.columns([3, 2] if question.active else 2)  # the map wide enough for its player
question.panel(where=left if phone() else right)  # beside the map; first on a phone
with left:
    alt = "Top view of the sigmoid neuron's loss over (w, b) with AdaGrad, RMSProp and Adam"
    lab.lab_map(P, look, key1, question.views, "race1", alt, question)
if question.hidden:
    right.info("Each run's effective step is shown with the outcome.", icon="🙈")
    question.end()
chart(
    labs.effective_steps_figure([(n, t.eff_lr[:, 0]) for n, t in zip(names, trajs)], look=look),
    "Each coordinate's effective step η/(√v + ε) against step, on a log scale",
    where=right,
    key=f"{P}_eff",
)
final = ", ".join(f"{n} {float(t.loss[-1, 0]):.3g}" for n, t in zip(names, trajs))
st.caption(
    f"Final loss: {final}. AdaGrad's effective step (solid/dotted per coordinate) never rises."
)


# -- 2. axis-aligned against rotated ----------------------------------------------------------------
@link.fragment  # its controls drive this section alone
def valleys() -> None:
    st.divider()
    st.subheader("2 · An axis-aligned valley against a rotated one")
    st.markdown(
        "Per-coordinate scaling is a **diagonal** preconditioner. When the valley runs along an axis, "
        "dividing each coordinate by its own gradient scale undoes the ill-conditioning. Rotate the "
        "same valley by 45° and no diagonal scaling can: the steep direction mixes both coordinates."
    )
    c1, c2, c3 = st.columns(3)
    kappa = link.select_slider("κ", grids.KAPPAS, value=100, key=f"{P}_kappa", where=c1)
    angle = link.slider(
        "rotation of the second valley (°)", 0, 90, 45, step=5, key=f"{P}_angle", where=c2
    )
    opt2 = link.selectbox(
        "adaptive method", ["rmsprop", "adam", "adagrad"], key=f"{P}_opt2", where=c3
    )
    lab.valleys(P, look, kappa, angle, opt2, steps=300)


valleys()


# -- 3. bias correction -----------------------------------------------------------------------------
@link.fragment
def bias_correction() -> None:
    st.divider()
    st.subheader("3 · Adam's bias correction")
    st.markdown(
        "Both moments start at zero, so early on they are too small: m by a factor 1 − β₁ᵗ, v by "
        "1 − β₂ᵗ. Without correction the first step is η(1−β₁)/√(1−β₂) per coordinate — about "
        "**3.16 η** for the defaults (0.9, 0.999) — instead of η."
    )
    st.latex(
        r"\hat m_t = \frac{m_t}{1-\beta_1^t},\quad \hat v_t = \frac{v_t}{1-\beta_2^t},\quad "
        r"w_t = w_{t-1} - \eta\,\frac{\hat m_t}{\sqrt{\hat v_t} + \epsilon}"
    )
    c1, c2, c3 = st.columns(3)
    eta3 = lab.eta_slider("η", ETAS, 0.01, f"{P}_eta3", where=c1)
    b1 = link.select_slider("β₁", grids.ADAM_BETA1, value=0.9, key=f"{P}_b1", where=c2)
    b2 = link.select_slider("β₂", grids.ADAM_BETA2, value=0.999, key=f"{P}_b2", where=c3)
    ts = lab.runs(
        surface_key("quadratic", kappa=10.0, angle_deg=0.0, scale=1.0),
        ["adam", "adam"],
        [{"lr": eta3, "beta1": b1, "beta2": b2, "bias_correction": bc} for bc in (True, False)],
        30,
    )
    steps_taken = [np.abs(np.diff(t.xy[:, 0, 0])) / eta3 for t in ts]
    first = theory.adam_first_step(b1, b2, bias_correction=False)
    chart(
        labs.bias_correction_figure(*steps_taken, first, look=look),
        "Adam's first steps with and without bias correction: step size against step",
        key=f"{P}_bias",
    )
    st.caption(
        f"First step: {steps_taken[0][0]:.3g} η with correction, {steps_taken[1][0]:.3g} η without "
        f"(theory {first:.3g} η)."
    )
    title = "Errata in the lecture notes (the engine implements the correct math)"
    lab.errata(("rmsprop", "adam"), title)


bias_correction()


# -- 4. sparse features -----------------------------------------------------------------------------
@link.fragment
def rare_feature() -> None:
    st.divider()
    st.subheader("4 · A rare feature")
    s4 = get_surface("logistic_sparse")
    rare = int(np.count_nonzero(s4.X[:, 1]))
    st.markdown(
        f"Logistic regression where feature 2 is non-zero in only {rare} of the {s4.n_data} "
        f"examples ({rare / s4.n_data:.0%}). Its gradient is rare, so with one global η GD's w₂ "
        "lags behind its w₁; AdaGrad divides each coordinate by its own gradient history, so the "
        "rare coordinate gets the larger step."
    )
    c1, c2 = st.columns(2)
    eta4 = lab.eta_slider("η (GD and AdaGrad)", ETAS, 1.0, f"{P}_eta4", where=c1)
    steps4 = link.slider("steps ", 20, 300, 100, step=10, key=f"{P}_steps4", where=c2)
    key4 = surface_key("logistic_sparse")
    ts4 = lab.runs(key4, ["gd", "adagrad"], [{"lr": eta4}] * 2, steps4)
    v4 = viz.run_views(ts4, s4, [f"GD η = {eta4:g}", f"AdaGrad η = {eta4:g}"])
    left, right = st.columns(2)
    alt = "Top view of the sparse logistic loss with each run"
    with left:
        lab.lab_map(P, look, key4, v4, "sparse", alt)
    table4 = experiments.tenfold_table(ts4, s4.minima[0], ("GD", "AdaGrad"), steps4)
    st.dataframe(table4, hide_index=True)
    chart(
        labs.sparse_steps_figure(ts4[0].eff_lr[:, 0], ts4[1].eff_lr[:, 0], look=look),
        "The rare feature's effective step against step for each optimizer, on a log scale",
        where=right,
        key=f"{P}_sparse_eff",
    )


rare_feature()

# -- 5. normalization as conditioning ---------------------------------------------------------------
st.divider()
st.subheader("5 · Normalize the inputs: conditioning by hand (note 004, batch norm's motivation)")
st.markdown(
    "The same 60-point regression y ≈ a·x + b, three ways of feeding it x. The loss is a quadratic "
    "in (a, b) whose Hessian is the inputs' second-moment matrix, so **the data set κ**: inputs "
    "that are not centred couple slope and intercept into a tilted valley; centring decouples "
    "them; standardizing also equalizes their scales. Batch normalization does this to every "
    "layer's inputs, batch by batch. Each run below is GD at its own best step η* = 2/(λ_min + "
    "λ_max) and Adam at η = 0.1, from the same corner of each map."
)
rows = lab.normalization_maps(P, look)
st.dataframe(rows, hide_index=True)
raw, _, std = (lab.normalized(f)[0] for f in FEATURES)
st.caption(
    f"Standardizing cuts κ from {raw.kappa:.3g} to {std.kappa:.3g} and GD's steps from "
    f"{raw.gd_steps} to {std.gd_steps}. Adam, the other cure, rescales each coordinate by its own "
    "gradient history: it cannot undo the coupling of raw inputs (a rotation, §2), so here it "
    f"needs {raw.adam_steps} steps on raw inputs and {std.adam_steps} on standardized ones at "
    "η = 0.1; normalizing the data helps every optimizer."
)

link.finish()
