"""The Momentum lab's controls and state: one motion (PyTorch's α, μ) written in three notations.

Switching the notation keeps the motion (η and β are converted and snapped to the new grids); a
click on the rate map or "Go to the optimum" sets the motion before the widgets are drawn (a
pending action); Goh's optimum is offered exactly, off the grid. The page only reads the
:class:`Motion` this returns.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import streamlit as st

import optim
from optim import dynamics, grids, theory
from surfaces import get_surface
from viz import claims

from . import link, view
from .cache import surface_key
from .runs import Axis

__all__ = [
    "CONVENTIONS",
    "DEFAULT_MOTION",
    "Motion",
    "buffer_scale",
    "controls",
    "go_to",
    "labels",
    "modes",
    "notation_table",
    "race_axes",
    "race_request",
    "rate_grid",
    "runs",
    "settings",
]

CONVENTIONS = {name: c.label for name, c in optim.CONVENTIONS.items()}
WHO = {name: c.who for name, c in optim.CONVENTIONS.items()}  # a notation's name in legends
# A fresh page opens in PyTorch's notation, where β is the momentum (more β, more momentum);
# EECS 182's, where β weighs the new gradient, is one click away with the mapping in a table.
# A link with η or β names its notation; one without (made when EECS 182's was the default)
# still means EECS 182's.
DEFAULT_CONV = "pytorch"
LINK_CONV = "ema"
# which way is more momentum, in the β slider's label (a select_slider keeps its value by key)
MORE = {
    "ema": "→ 0: more momentum",  # β weighs the new gradient
    "heavy_ball": "→ 1: more momentum",
    "pytorch": "→ 1: more momentum",
}
ETAS = list(grids.MOMENTUM_ETAS)
# A fresh page's motion (PyTorch's α, μ): GD at the same α zig-zags (αλ_max > 1), heavy ball
# oscillates in at √μ, Nesterov (stable up to αλ_max < 1.357 at μ = 0.9) turns around sooner.
DEFAULT_MOTION = (1.3, 0.9)


@dataclass(frozen=True)
class Motion:
    """The lab's settings: the notation, κ, (η, β) in it, PyTorch's (α, μ), steps, the optimum."""

    conv: str
    kappa: float
    eta: float
    beta: float
    steps: int
    eta_opt: float
    beta_opt: float
    etas: tuple[float, ...]  # the η slider's values (the grid and this κ's optimum)
    betas: tuple[float, ...]

    @property
    def alpha_mu(self) -> tuple[float, float]:
        return theory.to_pytorch(self.eta, self.beta, self.conv)

    @property
    def hp(self) -> dict:
        return {"lr": self.eta, "beta": self.beta, "convention": self.conv}

    @property
    def surface(self):
        return get_surface("quadratic", kappa=float(self.kappa), angle_deg=0.0, scale=1.0)

    @property
    def key(self):
        return surface_key("quadratic", kappa=self.kappa)


def _set(prefix: str, alpha: float, mu: float, conv: str) -> None:
    """Set the η and β widgets to the grid point nearest PyTorch's (α, μ) in the notation."""
    ss = st.session_state
    ss[f"{prefix}_eta"], ss[f"{prefix}_beta"] = theory.momentum_on_grid(
        alpha, mu, conv, ETAS, grids.momentum_betas(conv)
    )


def optimum(conv: str, kappa: float) -> tuple[float, float]:
    """Goh's optimum for this κ (λ_max = 1) in the notation ``conv``: exactly, not snapped (it lies
    only 1/(κ + 1) of the way inside the stability limit, and the nearest grid point diverged at
    κ = 1000)."""
    a_opt, b_opt, _ = theory.momentum_optimal(1.0 / kappa, 1.0)
    eta_opt, beta_opt = theory.from_pytorch(a_opt, b_opt, conv)
    lo, hi = grids.MOMENTUM_BETA_RANGE[conv]  # κ = 1: μ* = 0, EECS 182's β = 1 (off the slider)
    return float(eta_opt), float(min(max(beta_opt, lo), hi))


def default_motion(conv: str) -> tuple[float, float]:
    """A fresh page's η and β in ``conv``: :data:`DEFAULT_MOTION` set in the EECS 182 form."""
    ema = theory.momentum_on_grid(*DEFAULT_MOTION, "ema", ETAS, grids.momentum_betas("ema"))
    return theory.momentum_on_grid(
        *theory.to_pytorch(*ema, "ema"), conv, ETAS, grids.momentum_betas(conv)
    )


def _motion(prefix: str, conv: str) -> tuple[float, float]:
    """The (η, β) the widgets hold in ``conv``, the default motion for any they lack (a client
    that sent no value for one: it must not break the page)."""
    ss = st.session_state
    eta0, beta0 = default_motion(conv)
    return ss.get(f"{prefix}_eta", eta0), ss.get(f"{prefix}_beta", beta0)


def go_to(prefix: str, target: tuple[float, float] | str) -> None:
    """Ask for a motion on the next run: PyTorch's ``(α, μ)``, or ``"optimum"``."""
    st.session_state[f"{prefix}_pending"] = target


def controls(prefix: str) -> Motion:
    """The notation, κ, η, β and steps widgets, with the state carried between reruns applied
    before they are drawn (a notation switch converts, a pending action sets, a value left over
    from another κ's optimum snaps back to the grid)."""
    ss = st.session_state
    if f"{prefix}_eta" not in ss:
        _set(prefix, *DEFAULT_MOTION, "ema")
    if f"{prefix}_conv" not in ss:  # a fresh page: PyTorch's, unless an older link's η or β
        old = {"eta", "beta"} & set(st.query_params) and "conv" not in st.query_params
        ss[f"{prefix}_conv"] = LINK_CONV if old else DEFAULT_CONV
    conv = link.selectbox(
        "Notation",
        list(CONVENTIONS),
        list(CONVENTIONS).index(DEFAULT_CONV),
        key=f"{prefix}_conv",
        help="The same motion written three ways: switching keeps the motion and converts η and β.",
        format_func=CONVENTIONS.get,
    )
    previous = ss.get(f"{prefix}_conv_prev", "ema")
    if previous != conv:  # keep the motion: convert the current (η, β) into the new notation
        _set(prefix, *theory.to_pytorch(*_motion(prefix, previous), previous), conv)
    ss[f"{prefix}_conv_prev"] = conv
    pending = ss.pop(f"{prefix}_pending", None)
    if pending == "optimum":
        ss[f"{prefix}_eta"], ss[f"{prefix}_beta"] = optimum(conv, ss.get(f"{prefix}_kappa", 50))
    elif pending is not None:
        _set(prefix, *pending, conv)
    c1, c2, c3, c4 = st.columns(4)
    kappa = link.select_slider(
        "condition number κ", list(grids.MOMENTUM_KAPPAS), value=50, key=f"{prefix}_kappa", where=c1
    )
    # the sliders offer the grids plus this κ's optimum, exactly; a value left over from another
    # κ's optimum goes back to the nearest grid point
    eta_opt, beta_opt = optimum(conv, kappa)
    etas, betas = sorted({*ETAS, eta_opt}), sorted({*grids.momentum_betas(conv), beta_opt})
    if ss.get(f"{prefix}_eta") not in etas or ss.get(f"{prefix}_beta") not in betas:
        _set(prefix, *theory.to_pytorch(*_motion(prefix, conv), conv), conv)
    eta0, beta0 = default_motion(conv)
    eta = link.select_slider(
        "η", etas, eta0, format_func=lambda v: f"{v:.4g}", key=f"{prefix}_eta", where=c2
    )
    beta = link.select_slider(
        f"β  ({MORE[conv]})",
        betas,
        beta0,
        format_func=lambda v: f"{v:.4g}",
        key=f"{prefix}_beta",
        where=c3,
        describe="β",
    )
    link.alongside("conv", "eta", "beta")
    steps = link.slider("steps", 20, 400, 120, step=10, key=f"{prefix}_steps", where=c4)
    return Motion(conv, kappa, eta, beta, steps, eta_opt, beta_opt, tuple(etas), tuple(betas))


def runs(m: Motion) -> list[tuple[str, tuple]]:
    """The race's three runs as cache keys: GD at momentum's α, heavy ball, Nesterov."""
    alpha, _ = m.alpha_mu
    hp = (("beta", float(m.beta)), ("convention", m.conv), ("lr", float(m.eta)))
    return [("gd", (("lr", float(alpha)),)), ("momentum", hp), ("nesterov", hp)]


def race_axes(prefix: str, m: Motion) -> list[Axis]:
    """The race's scrubbers: η moves all three runs (GD runs at momentum's α), β the two momentum
    runs (and GD too in EECS 182's notation, where α = ηβ). The β values a bank keeps are dense
    where the memory is long (β → 1, or β → 0 in EECS 182's form)."""
    conv, eta, beta = m.conv, m.eta, m.beta
    bank = {0.01, *(round(1 - b, 3) if conv == "ema" else b for b in grids.BETA_BANK)} - {1.0}
    axes = [
        Axis(
            0,
            "lr",
            "α",
            m.etas,
            f"{prefix}_eta",
            eta,
            param="lr",
            group="eta",
            convert=lambda e: theory.to_pytorch(e, beta, conv)[0],
        ),
        *(Axis(i, "lr", "η", m.etas, f"{prefix}_eta", eta, group="eta") for i in (1, 2)),
    ]
    beta_grid = tuple(b for b in m.betas if b in bank or b == beta)
    if conv == "ema":
        axes.append(
            Axis(
                0,
                "beta",
                "α",
                beta_grid,
                f"{prefix}_beta",
                beta,
                param="lr",
                group="beta",
                convert=lambda b: theory.to_pytorch(eta, b, conv)[0],
            )
        )
    axes += [Axis(i, "beta", "β", beta_grid, f"{prefix}_beta", beta, group="beta") for i in (1, 2)]
    return axes


def heavy_ball_two_step(traj: optim.Trajectory, alpha: float, mu: float) -> float:
    """Note 004's two-step form w_{k+1} = w_k − γ∇L(w_k) + β(w_k − w_{k−1}) replayed on the heavy
    ball run: the largest difference from the run (w_{−1} = w_0: the buffer starts at zero)."""
    xy, g = traj.xy[:, 0], traj.grad[:, 0]
    if len(xy) < 2:
        return 0.0
    w_prev = np.vstack([xy[:1], xy[:-2]])
    two_step = theory.heavy_ball_two_step(w_prev, xy[:-1], g, alpha, mu)
    with np.errstate(all="ignore"):
        return float(np.nanmax(np.abs(two_step - xy[1:])))


def settings(m: Motion) -> list[tuple[str, dict]]:
    """The race's three runs as (optimizer, hyperparameters): GD at momentum's α, heavy ball,
    Nesterov."""
    alpha, _ = m.alpha_mu
    return [("gd", {"lr": alpha}), ("momentum", m.hp), ("nesterov", m.hp)]


def labels(m: Motion) -> list[str]:
    alpha, _ = m.alpha_mu
    return [
        f"1. GD η = {alpha:.4g} (momentum's α)",
        f"2. Momentum ({WHO[m.conv]}) η = {m.eta:.4g}, β = {m.beta:.3g}",
        f"3. Nesterov ({WHO[m.conv]}) η = {m.eta:.4g}, β = {m.beta:.3g}",
    ]


def modes(m: Motion) -> dict:
    """The exact iteration of each run from its start (``optim.dynamics.linear_modes``): what
    the page's sentences say."""
    s = m.surface
    hess = s.constant_hessian()
    return {n: dynamics.linear_modes(n, h, hess, s.starts[0], s.minima[0]) for n, h in settings(m)}


def notation_table(m: Motion) -> pd.DataFrame:
    """The same motion in each notation, the one shown marked."""
    alpha, mu = m.alpha_mu
    rows = []
    for c, label in CONVENTIONS.items():
        e, b = theory.from_pytorch(alpha, mu, c)
        rows.append(
            {
                "notation": label,
                "η": f"{e:.4g}",
                "β": f"{b:.4g}",
                "showing": "◀" if c == m.conv else "",
            }
        )
    return pd.DataFrame(rows)


def buffer_scale(m: Motion) -> float:
    """What turns this notation's buffer into an average of gradients (EECS 182's a)."""
    _, mu = m.alpha_mu
    return {"ema": 1.0, "pytorch": 1.0 - mu, "heavy_ball": (1.0 - mu) / m.eta}[m.conv]


def race_request(prefix: str, m: Motion, views: list) -> view.Request:
    """Section 2's race view: the three runs, scrubbed together, their curves beside the map."""
    return view.Request(
        m.surface,
        m.key,
        views,
        f"{prefix}_race",
        "Top view of the quadratic with the paths of GD, heavy ball and Nesterov, their player, "
        "scrubbers for η and β, and their loss and distance curves",
        runs=runs(m),
        axes=race_axes(prefix, m),
        start=tuple(m.surface.starts[0]),
        steps=m.steps,
        side=True,
        main=False,
        pick=1,
    )


def race_story(m: Motion, modes: dict) -> str:
    """What each run of the race does from its start (the leading root of the directions it
    excites, ``viz.claims.momentum_says``), and why Nesterov turns sooner at a lower limit."""
    alpha, mu = m.alpha_mu
    says = {n: claims.momentum_says(n, modes[n], alpha, mu) for n in ("gd", "momentum", "nesterov")}
    return (
        "What each run does from this start (the leading root of the directions it excites):\n"
        f"1. **GD** {says['gd']};\n"
        f"2. **Momentum** (heavy ball) {says['momentum']};\n"
        f"3. **Nesterov** {says['nesterov']}. It looks ahead before it steps, so it turns "
        "around sooner (smaller U-turns), at the price of a lower stability limit, "
        f"2(1 + μ)/(1 + 2μ) = {claims.momentum_limit('nesterov', mu):.3g} against heavy ball's "
        f"2 + 2μ = {claims.momentum_limit('momentum', mu):.3g}."
    )


def rate_grid(kappa: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The rate map's axes (αλ_max, β in PyTorch's notation, λ_max = 1) and the worst rate over
    λ ∈ {1/κ, 1} at each point (``optim.theory.momentum_rate``)."""
    a_grid, b_grid = np.linspace(0.0, 4.5, 91)[1:], np.linspace(0.0, 0.99, 100)
    return a_grid, b_grid, theory.momentum_rate(a_grid[None, :], b_grid[:, None], [1 / kappa, 1.0])
