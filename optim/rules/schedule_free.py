r"""Schedule-Free SGD and AdamW (Defazio et al. 2024, "The Road Less Scheduled"): no schedule.

Three sequences share one run. ``z`` is a plain SGD (or Adam-scaled) sequence with a constant
step; ``x``, the point that is evaluated and reported, is a running average of the ``z``'s
(weighted by η_max², so later, larger-step iterates count more during a warm-up); ``y``, where the
gradient is taken, interpolates them:

.. math:: y_k = (1-\beta) z_k + \beta x_k,\quad z_{k+1} = z_k - \eta\, g(y_k),\quad
          x_{k+1} = (1 - c_{k+1}) x_k + c_{k+1} z_{k+1},\ c_{k+1} = w_{k+1}/\textstyle\sum_{i\le k+1} w_i

with ``w_k = k^r · η_max²`` (``r = 0``: a uniform average, the default). The engine's iterate is
``x``; its look-ahead is ``y`` (recorded as the gradient's point) and ``z`` is recorded too, so a
view can draw all three. Equal step for step to the ``schedulefree`` package's reference classes
(``SGDScheduleFreeReference``, ``AdamWScheduleFreeReference``), checked against data they wrote in
float64 (``tests/data/schedulefree_reference.json``, from ``bench/schedulefree_reference.py``).
"""

from __future__ import annotations

import dataclasses
from typing import NamedTuple

import numpy as np

from ..base import Param
from ..record import BETA2, EPS, WEIGHT_DECAY, Optimizer, lr_param


class SFState(NamedTuple):
    z: np.ndarray  # (R, D) the base sequence
    v: np.ndarray  # (R, D) AdamW's second moment (zeros for SGD)
    weight_sum: np.ndarray | float  # Σ w_i so far (per run when η is)
    lr_max: np.ndarray | float  # the largest η so far


def sf_init(params, hp) -> SFState:
    return SFState(params.copy(), np.zeros_like(params), 0.0, -1.0)


def sf_lookahead(params, state, lr, hp):
    """``y = (1 − β)z + βx``: where the gradient is taken (``params`` is ``x``)."""
    return (1.0 - hp["beta"]) * state.z + hp["beta"] * params


def _average_weight(state: SFState, lr, k: int, hp):
    lr_max = np.maximum(lr, state.lr_max)
    weight = (k + 1) ** hp["r"] * lr_max ** hp["weight_lr_power"]
    weight_sum = state.weight_sum + weight
    with np.errstate(divide="ignore", invalid="ignore"):
        c = np.where(weight_sum > 0, weight / weight_sum, 0.0)
    return c, weight_sum, lr_max


def sf_sgd_update(g, state, params, lr, k, hp):
    r"""Schedule-Free SGD: ``z ← z − η(g + λy)``; ``x ← (1 − c)x + cz`` (``g`` is ∇L(y))."""
    c, weight_sum, lr_max = _average_weight(state, lr, k, hp)
    y = sf_lookahead(params, state, lr, hp)
    z = state.z - lr * (g + hp["weight_decay"] * y)
    x = (1.0 - c) * params + c * z
    return x, SFState(z, state.v, weight_sum, lr_max)


def sf_adamw_update(g, state, params, lr, k, hp):
    r"""Schedule-Free AdamW: ``v ← β₂v + (1 − β₂)g²``; ``z ← z − ηλy − ηg/(√(v/(1 − β₂ᵗ)) + ε)``;
    ``x ← (1 − c)x + cz``. Its β (the package's β₁) interpolates ``y``; there is no first moment:
    the averaging in ``x`` is the momentum."""
    c, weight_sum, lr_max = _average_weight(state, lr, k, hp)
    y = sf_lookahead(params, state, lr, hp)
    v = hp["beta2"] * state.v + (1.0 - hp["beta2"]) * g * g
    denom = np.sqrt(v / (1.0 - hp["beta2"] ** (k + 1))) + hp["eps"]
    z = state.z - lr * hp["weight_decay"] * y - lr * g / denom
    x = (1.0 - c) * params + c * z
    return x, SFState(z, v, weight_sum, lr_max)


INTERPOLATION = Param(
    "beta",
    "interpolation β",
    0.9,
    low=0.0,
    high=1.0,
    low_open=True,
    high_open=True,
    ui_low=0.05,
    ui_high=0.99,
    help="Where the gradient is taken: y = (1 − β)z + βx. β → 1: at the average x (more "
    "momentum-like); β → 0: at the SGD point z (plain averaged SGD). The package's momentum / β₁.",
    symbol="β",
)
R_POWER = Param(
    "r",
    "average weight power r",
    0.0,
    low=0.0,
    high=10.0,
    ui_low=0.0,
    ui_high=4.0,
    help="x averages the z's with weights k^r·η_max²: r = 0 is a uniform average.",
    symbol="r",
    legend_if_default=False,
)
LR_POWER = Param(
    "weight_lr_power",
    "average weight η power",
    2.0,
    low=0.0,
    high=10.0,
    ui_low=0.0,
    ui_high=4.0,
    help="The weights' power of the largest η so far (2 in the paper).",
    symbol="p",
    legend_if_default=False,
)

FORMULA_SGD = (
    r"\begin{aligned} y_k &= (1-\beta) z_k + \beta x_k \\ z_{k+1} &= z_k - \eta\,\nabla L(y_k) \\ "
    r"x_{k+1} &= (1 - c_{k+1})\, x_k + c_{k+1} z_{k+1},\quad c_{k+1} = \tfrac{1}{k+1} "
    r"\end{aligned}"
)
FORMULA_ADAMW = (
    r"\begin{aligned} y_k &= (1-\beta) z_k + \beta x_k,\quad g_k = \nabla L(y_k) \\ v_{k+1} &= "
    r"\beta_2 v_k + (1-\beta_2)\, g_k^2 \\ z_{k+1} &= z_k - \eta\lambda y_k - \eta\, "
    r"\frac{g_k}{\sqrt{v_{k+1}/(1-\beta_2^{k+1})} + \epsilon} \\ x_{k+1} &= (1 - c_{k+1})\, x_k + "
    r"c_{k+1} z_{k+1} \end{aligned}"
)
_NO_DECAY = dataclasses.replace(WEIGHT_DECAY, default=0.0, legend_if_default=False)

ENTRIES = (
    Optimizer(
        "sf_sgd",
        "Schedule-Free SGD (Defazio et al. 2024)",
        sf_init,
        sf_sgd_update,
        (lr_param(0.1), INTERPOLATION, _NO_DECAY, R_POWER, LR_POWER),
        {None: FORMULA_SGD},
        "Defazio et al. (2024); schedulefree.SGDScheduleFreeReference",
        notes="The path drawn is x (the average: what is evaluated); the gradient is taken at y.",
        lookahead=sf_lookahead,
        lookahead_name="gradient point y",
        records={"lookahead": "", "z": "z"},
    ),
    Optimizer(
        "sf_adamw",
        "Schedule-Free AdamW (Defazio et al. 2024)",
        sf_init,
        sf_adamw_update,
        (lr_param(0.0025, ui_high=1.0), INTERPOLATION, BETA2, EPS, _NO_DECAY, R_POWER, LR_POWER),
        {None: FORMULA_ADAMW},
        "Defazio et al. (2024); schedulefree.AdamWScheduleFreeReference",
        notes="The path drawn is x (the average: what is evaluated); the gradient is taken at y.",
        lookahead=sf_lookahead,
        lookahead_name="gradient point y",
        records={"lookahead": "", "z": "z", "v": "v"},
        family="adaptive",
    ),
)
