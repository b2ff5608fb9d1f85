r"""Lion: the sign of an interpolated momentum, so every coordinate moves by exactly η."""

from __future__ import annotations

import dataclasses
from typing import NamedTuple

import numpy as np

from ..blocks import ema
from ..record import BETA1, BETA2, WEIGHT_DECAY, Optimizer, lr_param


class LionState(NamedTuple):
    m: np.ndarray  # (R, D) EMA of gradients with β₂


def lion_init(params, hp) -> LionState:
    return LionState(np.zeros_like(params))


def lion_update(g, state, params, lr, k, hp):
    r"""Lion, Chen et al. (2023) "Symbolic Discovery of Optimization Algorithms".

    ``c = β₁m + (1−β₁)g``; ``w ← w − η(sign(c) + λw)``; ``m ← β₂m + (1−β₂)g``. Every coordinate
    moves by exactly η (plus decay): use a learning rate 3–10× smaller than Adam's.
    """
    c = ema(state.m, g, hp["beta1"])
    new = params - lr * (np.sign(c) + hp["weight_decay"] * params)
    return new, LionState(ema(state.m, g, hp["beta2"]))


FORMULA = (
    r"\begin{aligned} c_t &= \beta_1 m_{t-1} + (1-\beta_1) g_t \\ w_t &= w_{t-1} - "
    r"\eta\,\big(\operatorname{sign}(c_t) + \lambda w_{t-1}\big) \\ m_t &= \beta_2 m_{t-1} + "
    r"(1-\beta_2) g_t \end{aligned}"
)

ENTRIES = (
    Optimizer(
        "lion",
        "Lion (sign momentum)",
        lion_init,
        lion_update,
        (
            lr_param(0.02, ui_high=1.0),
            # Lion's β₁ interpolates the step's sign, β₂ tracks the momentum (Chen et al.)
            dataclasses.replace(BETA1, ui_low=None, help=""),
            dataclasses.replace(BETA2, default=0.99, ui_low=None, help=""),
            dataclasses.replace(WEIGHT_DECAY, default=0.0, ui_low=None),
        ),
        {None: FORMULA},
        "Chen et al. (2023)",
        records={"m": "m"},
        family="adaptive",
        lr_scale=0.2,  # sign steps move every coordinate by η: a fifth of Adam's hint
    ),
)
