"""Momentum lab: the buffer as a low-pass filter, GD against heavy ball against Nesterov, the rate map.

EECS 182 §1.1 (a ← (1−β)a + β∇L), Goodfellow Alg. 8.2 / NPTEL (heavy ball), PyTorch SGD;
Goh, "Why momentum really works" (Distill, 2017) for the rate map and the optimum.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

import optim
import viz
from optim import dynamics, theory
from ui import link, momentum, predict, race, view
from ui.cache import simulate
from ui.frame import chart, page
from viz import claims, labs

P = "mo"
look = page(
    "Momentum lab",
    "🏃",
    "Momentum averages the gradients it has seen: it smooths the zig-zag of an ill-conditioned "
    "valley and lets a larger step through.",
    prefix=P,
)
race.preload()  # plotly.js for the race view, fetched while the page runs
ask = predict.begin(P)  # a question link about the race (section 2)
m = momentum.controls(P)  # notation, κ, η, β, steps: one motion, converted between notations
conv, kappa, eta, beta, steps = m.conv, m.kappa, m.eta, m.beta, m.steps
alpha, mu = m.alpha_mu
lam_min, lam_max = 1.0 / kappa, 1.0
intro = predict.fold(ask, "The rule, in the three notations")  # folded while a question waits
intro.latex(optim.OPTIMIZERS["momentum"].formula(convention=conv))
intro.caption("The same motion in each notation (α = ηβ, μ = 1 − β maps EECS 182 to PyTorch):")
# a static table, not a data grid (its canvas redrew last on every step)
intro.table(momentum.notation_table(m), hide_index=True, border="horizontal")

surface, labels = m.surface, momentum.labels(m)
trajs = simulate(m.key, tuple(momentum.runs(m)), tuple(surface.starts[0]), steps)
modes = momentum.modes(m)  # the exact iteration of each run from its start: what the page says
views = viz.run_views(trajs, surface, labels)
question = predict.View(
    ask,
    views,
    surface,
    labels,
    P,
    kinds=("first", "regime", "next"),
    rules=[predict.rule(n, h) for n, h in momentum.settings(m)],
    look=look,
)
question.offer()

# -- 2. the race ----------------------------------------------------------------------------------


def race_section() -> None:
    """Section 2: the race of GD, heavy ball and Nesterov (a question's view, if the link asks)."""
    (intro if question.active else st).subheader(
        "2 · Zig-zag against smooth, heavy ball against Nesterov"
    )
    what = momentum.race_story(m, modes)  # under the view on a question's screen (it stays put)
    st.markdown(
        f"Same valley (κ = {kappa}), same start, same step α = {alpha:.4g} "
        f"(αλ_max = {alpha * lam_max:.3g}), momentum β = {beta:.4g} in the rule above. "
        + ("" if question.active else what)
    )
    where = question.placed()  # beside the question on its screen
    if not question.hidden:
        for msg in viz.divergence_messages(views):
            st.warning(msg, icon="💥")
    with where:
        view.show(momentum.race_request(P, m, views), look, question)
        if not question.hidden:  # (no scrubbers while a question waits)
            st.caption(
                "▶ Play (or Space) animates the map and the curves' cursor together; **Scrub** η or "
                "β to redraw all three runs at once; the sliders above follow when you let go."
            )
    if question.active and not question.hidden:
        st.markdown(what)


if question.active:  # the question first: nothing else may give the outcome away or move it
    race_section()
    question.end()

# -- 1. a low-pass filter -------------------------------------------------------------------------
st.subheader("1 · The buffer is a low-pass filter (EECS 182, Fig. 2)")
window = 1.0 / (1.0 - mu) if mu < 1 else np.inf
tau = np.arange(int(min(max(3 * window, 10), 200)) + 1)
weights = theory.momentum_weights(tau, eta, beta, conv)
st.markdown(
    f"Unrolled, the buffer is a weighted sum of past gradients: in this notation the gradient "
    f"from τ steps ago has weight **{optim.CONVENTIONS[conv].weight}**, "
    f"so it remembers about 1/(1 − μ) = **{window:.3g} steps**. Oscillating components cancel, "
    "the steady downhill component adds up."
)
left, right = st.columns(2)
chart(
    labs.impulse_figure(weights, window, look=look),
    "The momentum buffer's weights on past gradients: an exponential window",
    where=left,
    key=f"{P}_impulse",
)
chart(
    labs.filter_figure(
        trajs[1].grad[:, 0, 1], trajs[1].velocity[:, 0, 1] * momentum.buffer_scale(m), look=look
    ),
    "A noisy gradient coordinate and the momentum buffer's smoothed version of it",
    where=right,
    key=f"{P}_filter",
)

with st.expander("Two more ways to write it: note 004's two-step form and note 000's RC filter"):
    residual = momentum.heavy_ball_two_step(trajs[1], alpha, mu)  # note 004's form, replayed
    st.latex(
        r"w_{k+1} = w_k - \gamma\,\nabla L(w_k) + \beta\,(w_k - w_{k-1})"
        r"\qquad (\gamma = \alpha,\ \beta = \mu \text{ in PyTorch's notation})"
    )
    st.markdown(
        f"The same heavy ball, written with the last step instead of a buffer (note 004, “SGD "
        f"with momentum II”): with γ = {alpha:.4g} and β = {mu:.4g} it reproduces the run above "
        f"to **{residual:.1e}** (largest difference over its {steps} steps)."
    )
    rc = theory.rc_time_constant(mu)
    st.latex(
        r"V_{out}(t) = \int_{-\infty}^{t} V_{in}(\tau)\,\frac{e^{-(t-\tau)/RC}}{RC}\,d\tau"
        r"\qquad \text{(note 000, eq. 4)}"
    )
    st.markdown(
        f"The RC circuit's kernel e^(−τ/RC)/RC is the continuous version of the weights in the "
        f"chart above: they decay like μ^τ, which is e^(−τ/RC) with **RC = −1/ln μ = {rc:.3g} "
        f"steps** (the window 1/(1 − μ) = {window:.3g} steps is its approximation). A larger RC "
        "averages over more gradients: a lower cut-off frequency."
    )
    for e in optim.OPTIMIZERS["momentum"].errata:
        st.caption(f"Erratum: {e}")

if not question.active:
    race_section()

# -- 3. the rate map ------------------------------------------------------------------------------
st.subheader("3 · Where momentum converges, and how fast")
st.markdown(
    "Each eigen-direction λ of the quadratic follows a 2×2 linear recursion; its spectral "
    "radius is the rate. The map shows the worst rate over λ ∈ {λ_min, λ_max} for every "
    "(αλ_max, β) in PyTorch coordinates. **Click the map** to run there."
)
a_grid, b_grid, rates = momentum.rate_grid(kappa)  # λ_max = 1
a_opt, b_opt, r_opt = theory.momentum_optimal(lam_min, lam_max)
clicked = chart(
    labs.rate_map_figure(
        a_grid, b_grid, rates, (alpha * lam_max, mu), (a_opt * lam_max, b_opt), look=look
    ),
    "The convergence rate over (step α·λ_max, β): darker converges faster; click to choose a point",
    key=f"{P}_map",
    clicks=True,
)
if clicked is not None:
    momentum.go_to(P, (clicked[0] / lam_max, clicked[1]))
    st.rerun()

rate_theory = float(theory.momentum_rate(alpha, mu, [lam_min, lam_max]))
# envelopes over windows of at least one turn (the distance oscillates), down to 1e-250: the
# minimum is at the origin, where float64 has no round-off floor
check = dynamics.rate_check(views[1].dist, modes["momentum"])
diverged = modes["momentum"].regime != "converge"
m1, m2, m3 = st.columns(3)
m1.metric("rate from theory (worst eigenvalue)", f"{rate_theory:.4f}")
m2.metric(
    "heavy ball's rate measured (envelopes)",
    "does not converge"
    if diverged
    else (f"{check.measured:.4f}" if np.isfinite(check.measured) else "too few steps"),
)
m3.metric("optimum (Goh): rate (√κ−1)/(√κ+1)", f"{r_opt:.4f}")
if not diverged:
    st.caption(claims.rate_sentence(check, rate_theory))
st.button("Go to the optimum", key=f"{P}_optimum", on_click=momentum.go_to, args=(P, "optimum"))
st.caption(
    f"Optimum: α* = {a_opt:.4g}, β* = {b_opt:.4g} (η = {m.eta_opt:.6g}, β = {m.beta_opt:.6g} in this "
    f"notation), {claims.optimum_share(kappa)[1]}, so “Go to the optimum” sets it exactly, off "
    "the sliders' grid."
    + (" There each block has a double root, so the error falls like k·rᵏ." if kappa > 1 else "")
)

link.finish()
