"""Momentum lab: the buffer as a low-pass filter, GD against heavy ball against Nesterov, the rate map.

EECS 182 §1.1 (a ← (1−β)a + β∇L), Goodfellow Alg. 8.2 / NPTEL (heavy ball), PyTorch SGD;
Goh, "Why momentum really works" (Distill, 2017) for the rate map and the optimum.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

import optim
import viz
from optim import dynamics, grids, theory
from surfaces import get_surface
from ui import link, predict
from ui import race as race_view
from ui.cache import field_background, surface_key
from ui.controls import clicked_point
from ui.frame import chart, map_size, page
from viz import claims, labs

P = "mo"
CONVENTIONS = {name: c.label for name, c in optim.CONVENTIONS.items()}
ETA_GRID = list(grids.MOMENTUM_ETAS)
look = page(
    "Momentum lab",
    "🏃",
    "Momentum averages the gradients it has seen: it smooths the zig-zag of an ill-conditioned "
    "valley and lets a larger step through.",
    prefix=P,
)


def _set_motion(alpha: float, mu: float, conv: str) -> None:
    """Set the η and β widgets to the grid point nearest PyTorch's (α, μ) in the chosen notation."""
    st.session_state[f"{P}_eta"], st.session_state[f"{P}_beta"] = theory.momentum_on_grid(
        alpha, mu, conv, ETA_GRID, grids.momentum_betas(conv)
    )


def _optimum(conv: str, kappa: float) -> tuple[float, float]:
    """Goh's optimum for this κ (λ_max = 1) in the notation ``conv``: exactly, not snapped (it lies
    only 1/(κ + 1) of the way inside the stability limit, and the nearest grid point diverged at κ = 1000)."""
    a_opt, b_opt, _ = theory.momentum_optimal(1.0 / kappa, 1.0)
    eta_opt, beta_opt = theory.from_pytorch(a_opt, b_opt, conv)
    lo, hi = grids.MOMENTUM_BETA_RANGE[
        conv
    ]  # κ = 1: μ* = 0, which EECS 182 writes β = 1 (outside the slider)
    return float(eta_opt), float(min(max(beta_opt, lo), hi))


# A fresh page's motion (PyTorch's α, μ): GD at the same α zig-zags (αλ_max > 1), heavy ball
# oscillates in at √μ, Nesterov (stable up to αλ_max < 1.357 at μ = 0.9) turns around sooner.
DEFAULT_MOTION = (1.3, 0.9)


def default_motion(conv: str) -> tuple[float, float]:
    """A fresh page's η and β in ``conv``: :data:`DEFAULT_MOTION` set in the EECS 182 form, converted."""
    grid = ETA_GRID, grids.momentum_betas("ema")
    ema = theory.momentum_on_grid(*DEFAULT_MOTION, "ema", *grid)
    return theory.momentum_on_grid(
        *theory.to_pytorch(*ema, "ema"), conv, ETA_GRID, grids.momentum_betas(conv)
    )


race_view.preload()  # plotly.js for the race view, fetched while the page runs
ask = predict.begin(P)  # a question link about the race (section 2)

# -- state carried between reruns, applied before the widgets are drawn -------------------------
if f"{P}_eta" not in st.session_state:
    _set_motion(*DEFAULT_MOTION, "ema")
conv = link.selectbox(
    "Notation",
    list(CONVENTIONS),
    format_func=CONVENTIONS.get,
    key=f"{P}_conv",
    help="The same motion written three ways: switching keeps the motion and converts η and β.",
)
previous = st.session_state.get(f"{P}_conv_prev", "ema")
if previous != conv:  # keep the motion: convert the current (η, β) into the new notation
    a, m = theory.to_pytorch(st.session_state[f"{P}_eta"], st.session_state[f"{P}_beta"], previous)
    _set_motion(a, m, conv)
st.session_state[f"{P}_conv_prev"] = conv
pending = st.session_state.pop(f"{P}_pending", None)
if pending == "optimum":
    st.session_state[f"{P}_eta"], st.session_state[f"{P}_beta"] = _optimum(
        conv, st.session_state.get(f"{P}_kappa", 50)
    )
elif pending is not None:
    _set_motion(*pending, conv)

c1, c2, c3, c4 = st.columns(4)
kappa = link.select_slider(
    "condition number κ",
    grids.MOMENTUM_KAPPAS,
    value=50,
    key=f"{P}_kappa",
    where=c1,
)
# The sliders offer the grids plus this κ's optimum, exactly; a value left over from another κ's
# optimum goes back to the nearest grid point.
eta_opt, beta_opt = _optimum(conv, kappa)
eta_options, beta_options = (
    sorted({*ETA_GRID, eta_opt}),
    sorted({*grids.momentum_betas(conv), beta_opt}),
)
if st.session_state.get(f"{P}_eta") not in eta_options or (
    st.session_state.get(f"{P}_beta") not in beta_options
):
    _set_motion(
        *theory.to_pytorch(st.session_state[f"{P}_eta"], st.session_state[f"{P}_beta"], conv), conv
    )
eta0, beta0 = default_motion(conv)
eta = link.select_slider(
    "η", eta_options, eta0, format_func=lambda v: f"{v:.4g}", key=f"{P}_eta", where=c2
)
beta = link.select_slider(
    "β", beta_options, beta0, format_func=lambda v: f"{v:.4g}", key=f"{P}_beta", where=c3
)
steps = link.slider("steps", 20, 400, 120, step=10, key=f"{P}_steps", where=c4)

lam_min, lam_max = 1.0 / kappa, 1.0
alpha, mu = theory.to_pytorch(eta, beta, conv)
st.latex(optim.OPTIMIZERS["momentum"].formula(convention=conv))
table = pd.DataFrame(
    [
        {
            "notation": CONVENTIONS[c],
            "η": f"{e:.4g}",
            "β": f"{b:.4g}",
            "showing": "◀" if c == conv else "",
        }
        for c in CONVENTIONS
        for e, b in [theory.from_pytorch(alpha, mu, c)]
    ]
)
st.caption("The same motion in each notation (α = ηβ, μ = 1 − β maps EECS 182 to PyTorch):")
st.dataframe(table, hide_index=True)

surface = get_surface("quadratic", kappa=float(kappa), angle_deg=0.0, scale=1.0)
start = surface.starts[0]
hp = {"lr": eta, "beta": beta, "convention": conv}
trajs = optim.run_many(
    surface,
    [
        optim.RunSpec("gd", [start], {"lr": alpha}),
        optim.RunSpec("momentum", [start], hp),
        optim.RunSpec("nesterov", [start], hp),
    ],
    steps,
)
hess = surface.constant_hessian()
modes = {  # the exact iteration of each run from its start: what the sentences below say
    name: dynamics.linear_modes(name, h, hess, start, surface.minima[0])
    for name, h in (("gd", {"lr": alpha}), ("momentum", hp), ("nesterov", hp))
}
labels = [
    f"1. GD η = {alpha:.4g} (momentum's α)",
    f"2. heavy ball ({conv}) η = {eta:.4g}, β = {beta:.3g}",
    f"3. Nesterov ({conv}) η = {eta:.4g}, β = {beta:.3g}",
]
views = viz.run_views(trajs, surface, labels)
question = predict.View(
    ask,
    views,
    surface,
    labels,
    P,
    kinds=("first", "regime", "next"),
    rules=[
        predict.rule("gd", {"lr": alpha}),
        predict.rule("momentum", hp),
        predict.rule("nesterov", hp),
    ],
    look=look,
)
question.offer()

# -- 2. the race ----------------------------------------------------------------------------------


def race_section() -> None:
    """Section 2: the race of GD, heavy ball and Nesterov (a question's view, if the link asks)."""
    st.subheader("2 · Zig-zag against smooth, heavy ball against Nesterov")
    says = {
        name: claims.momentum_says(name, modes[name], alpha, mu)
        for name in ("gd", "momentum", "nesterov")
    }

    def _theory_says() -> None:
        st.markdown(
            f"Same valley, same start, same step α = {alpha:.4g} (αλ_max = {alpha * lam_max:.3g}). "
            "What each run does from this start (the leading root of the directions it excites):\n"
            f"1. **GD** {says['gd']};\n"
            f"2. **heavy ball** {says['momentum']};\n"
            f"3. **Nesterov** {says['nesterov']}. It looks ahead before it steps, so it turns "
            "around sooner (smaller U-turns), at the price of a lower stability limit, "
            f"2(1 + μ)/(1 + 2μ) = {claims.momentum_limit('nesterov', mu):.3g} against heavy ball's "
            f"2 + 2μ = {claims.momentum_limit('momentum', mu):.3g}."
        )

    if question.hidden:
        st.markdown(
            f"Same valley (κ = {kappa}), same start, same step α = {alpha:.4g} "
            f"(αλ_max = {alpha * lam_max:.3g}), momentum β = {beta:.4g} in the rule above."
        )
    else:
        _theory_says()
    where = question.placed()  # beside the question while it waits
    show = question.views
    if not question.hidden:
        for msg in viz.divergence_messages(views):
            st.warning(msg, icon="💥")
    key = surface_key("quadratic", kappa=kappa)
    # The three runs scrub together: η moves all three (GD runs at momentum's α), β the two
    # momentum runs (and GD too in EECS 182's notation, where α = ηβ).
    runs = [
        ("gd", (("lr", float(alpha)),)),
        ("momentum", (("beta", float(beta)), ("convention", conv), ("lr", float(eta)))),
        ("nesterov", (("beta", float(beta)), ("convention", conv), ("lr", float(eta)))),
    ]
    # the β values a bank keeps: dense where the memory is long (β → 1, or β → 0 in EECS 182's form)
    BANK_BETAS = {0.01, *(round(1 - b, 3) if conv == "ema" else b for b in grids.BETA_BANK)} - {1.0}
    axes = [
        race_view.Axis(
            0,
            "lr",
            "α",
            tuple(eta_options),
            f"{P}_eta",
            eta,
            param="lr",
            group="eta",
            convert=lambda e: theory.to_pytorch(e, beta, conv)[0],
        ),
        *(
            race_view.Axis(i, "lr", "η", tuple(eta_options), f"{P}_eta", eta, group="eta")
            for i in (1, 2)
        ),
    ]
    beta_grid = tuple(b for b in beta_options if b in BANK_BETAS or b == beta)
    if conv == "ema":
        axes.append(
            race_view.Axis(
                0,
                "beta",
                "α",
                beta_grid,
                f"{P}_beta",
                beta,
                param="lr",
                group="beta",
                convert=lambda b: theory.to_pytorch(eta, b, conv)[0],
            )
        )
    axes += [
        race_view.Axis(i, "beta", "β", beta_grid, f"{P}_beta", beta, group="beta") for i in (1, 2)
    ]
    with where:
        question.mount(
            race_view.mount,
            viz.race_spec(
                surface,
                show,
                field_background(key),
                banks=None
                if question.hidden
                else race_view.banks_for(key, runs, axes, tuple(start), steps, optim.RunOptions()),
                look=look,
                **map_size(look, main=False),
                curves=not question.hidden,
                **question.race_args(),
                side=True,
                pick=1,
            ),
            key=f"{P}_race",
            axes=[] if question.hidden else axes,
            on_start=question.on_start(),
            alt="Top view of the quadratic with the paths of GD, heavy ball and Nesterov, their player, "
            "scrubbers for η and β, and their loss and distance curves",
        )
        if not question.hidden:  # (no scrubbers while a question waits)
            st.caption(
                "▶ Play (or Space) animates the map and the curves' cursor together; **Scrub** η "
                "or β to redraw all three runs at once, and the sliders above follow when you let "
                "go."
            )


if question.hidden:  # the question first: nothing else on the page may give the outcome away
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
vel = trajs[1].velocity[:, 0, 1]
scale = {"ema": 1.0, "pytorch": 1.0 - mu, "heavy_ball": (1.0 - mu) / eta}[conv]
left, right = st.columns(2)
chart(
    labs.impulse_figure(weights, window, look=look),
    "The momentum buffer's weights on past gradients: an exponential window",
    where=left,
    key=f"{P}_impulse",
)
chart(
    labs.filter_figure(trajs[1].grad[:, 0, 1], vel * scale, look=look),
    "A noisy gradient coordinate and the momentum buffer's smoothed version of it",
    where=right,
    key=f"{P}_filter",
)

with st.expander("Two more ways to write it: note 004's two-step form and note 000's RC filter"):
    # note 004: w_{k+1} = w_k − γ∇L(w_k) + β(w_k − w_{k−1}), checked on this page's heavy-ball run
    hb_xy, hb_g = trajs[1].xy[:, 0], trajs[1].grad[:, 0]
    w_prev = np.vstack([hb_xy[:1], hb_xy[:-2]])  # w_{−1} = w_0: the buffer starts at zero
    two_step = theory.heavy_ball_two_step(w_prev, hb_xy[:-1], hb_g, alpha, mu)
    with np.errstate(all="ignore"):
        residual = float(np.nanmax(np.abs(two_step - hb_xy[1:]))) if steps else 0.0
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

race_section()

# -- 3. the rate map ------------------------------------------------------------------------------
st.subheader("3 · Where momentum converges, and how fast")
st.markdown(
    "Each eigen-direction λ of the quadratic follows a 2×2 linear recursion; its spectral "
    "radius is the rate. The map shows the worst rate over λ ∈ {λ_min, λ_max} for every "
    "(αλ_max, β) in PyTorch coordinates. **Click the map** to run there."
)
a_grid = np.linspace(0.0, 4.5, 91)[1:]
b_grid = np.linspace(0.0, 0.99, 100)
rates = theory.momentum_rate(a_grid[None, :] / lam_max, b_grid[:, None], [lam_min, lam_max])
a_opt, b_opt, r_opt = theory.momentum_optimal(lam_min, lam_max)
event = chart(
    labs.rate_map_figure(
        a_grid, b_grid, rates, (alpha * lam_max, mu), (a_opt * lam_max, b_opt), look=look
    ),
    "The convergence rate over (step α·λ_max, β): darker converges faster; click to choose a point",
    key=f"{P}_map",
    on_select="rerun",
    selection_mode="points",
)
clicked = clicked_point(event, f"{P}_clicked")
if clicked is not None:
    st.session_state[f"{P}_pending"] = (clicked[0] / lam_max, clicked[1])
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
st.button(
    "Go to the optimum",
    key=f"{P}_optimum",
    on_click=lambda: st.session_state.update({f"{P}_pending": "optimum"}),
)
st.caption(
    f"Optimum: α* = {a_opt:.4g}, β* = {b_opt:.4g} (η = {eta_opt:.6g}, β = {beta_opt:.6g} in this "
    f"notation), {claims.optimum_share(kappa)[1]}, so “Go to the optimum” sets it exactly, off "
    "the sliders' grid."
    + (" There each block has a double root, so the error falls like k·rᵏ." if kappa > 1 else "")
)

link.finish()
