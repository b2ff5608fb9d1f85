"""Learning-rate lab: GD on the scalar (y − σw)², its five regimes, then two singular values.

EECS 182/282 lecture of 15 Sept 2022, eq. (1)–(3) and Fig. 1; the Deep Learning Refresher's γ_opt.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

import optim
import viz
from optim import grids, theory
from ui import lab, link, predict, race, view
from ui.cache import surface_key, surface_of
from ui.frame import chart, page, phone
from ui.runs import Axis
from viz import claims, labs
from viz.style import REGIME_COLORS

P = "lr"
look = page(
    "Learning-rate lab",
    "📏",
    "How big can a step be? On the simplest loss there is, the answer is exact.",
    prefix=P,
)
race.preload()  # plotly.js for the race view, fetched while the page runs
ask = predict.begin(P)  # a question link about the two-direction map (section 2)


# -- one weight -------------------------------------------------------------------------------------
@link.fragment  # its controls drive only this section: a step reruns and resends it alone
def one_weight() -> None:
    st.markdown(
        "Fit one weight $w$ so that $\\sigma w \\approx y$. Gradient descent on "
        "$L(w) = (y-\\sigma w)^2$ multiplies the error by the same factor every step "
        "(EECS 182, eq. 3):"
    )
    st.latex(
        r"w_{k+1} = w_k + 2\eta\sigma\,(y - \sigma w_k) \;\Longrightarrow\; "
        r"w_k - \tfrac{y}{\sigma} = (1 - 2\eta\sigma^2)^k \big(w_0 - \tfrac{y}{\sigma}\big)"
    )
    st.markdown(
        "So the error shrinks iff $|1-2\\eta\\sigma^2| < 1$, i.e. $\\eta < 1/\\sigma^2$, and "
        "vanishes in one step at $\\eta = 1/(2\\sigma^2)$."
    )

    c1, c2, c3, c4 = st.columns(4)
    sigma = link.slider("σ", 0.25, 3.0, 1.0, step=0.05, key=f"{P}_sigma", where=c1)
    y = link.slider("y", -3.0, 3.0, 1.0, step=0.1, key=f"{P}_y", where=c2)
    w0 = link.slider("w₀", -3.0, 3.0, 0.0, step=0.1, key=f"{P}_w0", where=c3)
    steps = link.slider("steps", 5, 100, 30, key=f"{P}_steps", where=c4)

    unit = theory.scalar_limit(sigma)
    MARKS = [
        (0.25, "0.25/σ²"),
        (0.5, "1/(2σ²)"),
        (0.99, "0.99/σ²"),
        (1.0, "1/σ²"),
        (1.01, "1.01/σ²"),
    ]
    eta = lab.scaled_eta_slider(f"{P}_eta", unit, 0.3, (sigma,), "step size η", MARKS, f"{P}_to")

    regime = theory.scalar_regime(eta, sigma)
    factor = float(theory.scalar_contraction(eta, sigma))
    st.badge(regime, color=REGIME_COLORS[regime], icon=None)
    st.markdown(
        f"**{theory.REGIMES[regime]}.** Error factor per step $|1-2\\eta\\sigma^2|$ = {factor:.4g}; "
        f"landmarks here: $1/(2\\sigma^2)$ = {0.5 * unit:.4g} (note 004's $\\gamma_{{opt}}$, the "
        f"one-step size), $1/\\sigma^2 = 2\\gamma_{{opt}}$ = {unit:.4g}."
    )
    with st.popover("Erratum in the lecture notes at 2γ_opt"):
        for e in optim.OPTIMIZERS["gd"].errata:
            st.markdown(f"- {e}")
    fig1 = link.toggle(
        "Add Fig. 1 of the lecture: a slow, an oscillating and a diverging step size",
        key=f"{P}_fig1",
    )

    etas = [eta] + ([0.1 * unit, 0.8 * unit, 1.05 * unit] if fig1 else [])
    names = ["yours"] + (
        ["slow, 0.1/σ²", "oscillating, 0.8/σ²", "diverging, 1.05/σ²"] if fig1 else []
    )
    race1 = lab.scalar(sigma, y, w0, tuple(etas), tuple(names), steps)
    runs_w, runs_l = race1.w, race1.loss
    left, mid, right = st.columns(3)
    with left:
        chart(
            labs.iterates_figure(runs_w, y / sigma, "w_k", look=look),
            "The iterate w_k against step k for each learning rate, with the target y/σ",
            key=f"{P}_w",
        )
        st.caption("Dots: the engine's GD. Dotted: eq. (3). Dashed: the answer y/σ.")
    with mid:
        chart(
            labs.iterates_figure(runs_l, 0.0, "L(w_k)", log=True, look=look),
            "Loss against step for each run, on a log scale",
            key=f"{P}_loss",
        )
    with right:
        chart(
            labs.contraction_figure(eta, sigma, look=look),
            "The contraction factor |1 − 2ησ²| against η, with the chosen η marked",
            key=f"{P}_factor",
        )
    for name, k_div in zip(names, race1.diverged_at):
        if k_div >= 0:
            st.warning(
                f"{name} diverged at step {k_div}: the iterate left the bounded "
                "region (the error grows by the factor above each step).",
                icon="💥",
            )


# while a question waits, the screen is the question's (section 2): the text above it folds away
section1 = predict.fold(ask, "The page so far: one weight, then two singular values")
# -- two singular values ----------------------------------------------------------------------------
with section1:  # right after section 1 (folded with it while a question waits)
    one_weight()
    st.divider()
    st.subheader("Two singular values")
    st.markdown(
        "Now $L(w) = (y_1-\\sigma_1 w_1)^2 + (y_2-\\sigma_2 w_2)^2$: each direction is the "
        "problem above with its own factor $|1-2\\eta\\sigma_i^2|$. One η serves both, so the "
        "**largest** σ sets the usable step ($\\eta < 1/\\sigma_{max}^2$) and the **smallest** σ "
        "sets the speed."
    )
c1, c2, c3 = st.columns(3)
s1 = link.slider("σ₁", 0.1, 3.0, 1.0, step=0.05, key=f"{P}_s1", where=c1)
s2 = link.slider("σ₂", 0.1, 3.0, 0.3, step=0.05, key=f"{P}_s2", where=c2)
steps2 = link.slider("steps ", 10, 300, 60, key=f"{P}_steps2", where=c3)
smax, smin = max(s1, s2), min(s1, s2)
unit2 = theory.scalar_limit(smax)
eta2 = lab.scaled_eta_slider(f"{P}_eta2", unit2, 0.9, (s1, s2), "step size η (both directions)")
key2 = surface_key("sigma_w", sigma1=s1, sigma2=s2, y1=1.0, y2=1.0)
surface2, label2, run = surface_of(key2), f"GD η = {eta2:.4g}", ("gd", (("lr", float(eta2)),))
(traj2,) = lab.runs(key2, ["gd"], [{"lr": eta2}], steps2, (0.0, 0.0))
errors = np.abs(traj2.xy[:, 0, :] - np.array([1.0 / s1, 1.0 / s2]))
views2 = viz.run_views([traj2], surface2, [label2])
# the η slider's own values (a step of unit2/200), on which "the largest η" is measured
grid = grids.scaled(unit2)
question = predict.View(
    ask,
    views2,
    surface2,
    [label2],
    P,
    kinds=("regime", "next", "max_lr"),
    rules=[predict.rule("gd", {"lr": eta2})],
    sweep=lambda i: predict.sweep(key2, run, grid, (0.0, 0.0), steps2, optim.RunOptions()),
    look=look,
)
question.offer()

left, right = st.columns([2, 3] if question.active else 2)  # the map wide enough for its player
question.panel(where=left)  # beside the map, so both fit a projector's screen
errors_fig = labs.direction_errors_figure(errors, (s1, s2), eta2, look=look)
errors_alt = "The error along each singular direction against step: measured and theory"
with left:
    if question.hidden:
        st.info("The error along each direction is shown with the outcome.", icon="🙈")
    elif not phone():  # (a phone stacks the columns: there it comes after the map)
        chart(errors_fig, errors_alt, key=f"{P}_dirs")
with right:
    # η scrubs in the browser over the slider's own values, the landmarks always among them
    marks = tuple(round(f * unit2, 12) for f in (0.5, 0.99, 1.0, 1.01))
    view.show(
        view.Request(
            surface2,
            key2,
            views2,
            f"{P}_path",
            "Top view of the two-direction quadratic (σ₁, σ₂) with the run's path, its player "
            "and an η scrubber",
            runs=[run],
            axes=[Axis(0, "lr", "η", grid, f"{P}_eta2", eta2, marks=marks)],
            start=(0.0, 0.0),
            steps=steps2,
            curves=False,
            main=False,
        ),
        look,
        question,
    )
    if not question.hidden:
        st.caption(
            f"Scrub η: the path redraws at once; 1/σ_max² = {unit2:.4g} is on the scrubber "
            "(period 2), and the charts follow when you let go."
        )
        if phone():
            chart(errors_fig, errors_alt, key=f"{P}_dirs")
if not question.hidden:  # the limit and the regime are the answers a question asks for
    lab.two_directions(eta2, s1, s2)  # under the map: a question's reveal plays where it was
said = None if question.hidden else claims.steep_direction(eta2, smax, int(traj2.diverged_at[0]))
if said is not None:  # at the limit: period 2; beyond it: diverging
    (st.info if said[0] == "info" else st.warning)(said[1], icon="↔️" if said[0] == "info" else "💥")

link.finish()
