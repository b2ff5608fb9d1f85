r"""AdaGrad and RMSProp: a per-coordinate step ``η/(√v + ε)`` from squared gradients."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..blocks import accumulate_squares, ema, rms_scale
from ..record import BETA, EPS, Optimizer, lr_param


class AccumulatorState(NamedTuple):
    v: np.ndarray  # (R, D): sum (AdaGrad) or EMA (RMSProp) of squared gradients


def accumulator_init(params, hp) -> AccumulatorState:
    return AccumulatorState(np.zeros_like(params))


def step_size(v, lr, hp):
    """The effective per-coordinate step ``η/(√v + ε)``: the update's and the views' one formula."""
    return lr * rms_scale(v, hp["eps"])


def adagrad_update(g, state, params, lr, k, hp):
    r"""AdaGrad, Goodfellow Alg. 8.4 (ε outside the root, called δ there).

    ``r ← r + g⊙g``; ``w ← w − η g/(δ + √r)``. The first step moves every coordinate by
    ``η·sign(g)`` (up to δ); under a constant gradient the k-th step has size ``η/√k``: the step
    dies out, which is what RMSProp fixes.
    """
    v = accumulate_squares(state.v, g)
    return params - step_size(v, lr, hp) * g, AccumulatorState(v)


def rmsprop_update(g, state, params, lr, k, hp):
    r"""RMSProp (Hinton; NPTEL; ``torch.optim.RMSprop`` with ``alpha = β``), ε outside the root.

    ``v ← βv + (1−β)g²``; ``w ← w − η g/(√v + ε)``. No bias correction, so the first step is
    ``η/√(1−β)·sign(g)``: about 3.16η at β = 0.9.
    """
    v = ema(state.v, g * g, hp["beta"])
    return params - step_size(v, lr, hp) * g, AccumulatorState(v)


def derive(rec, grad, lr, t, hp):
    """Effective per-coordinate step of AdaGrad and RMSProp along a whole record."""
    return {"eff_lr": step_size(rec["v"], lr, hp)}


RMSPROP_ERRATA = (
    "19CSE437 (NPTEL) RMSProp slide expands V₃ = (0.9)²(0.1)∇ω₁² + (0.9)(0.1)∇ω₂² and drops "
    "the newest term: V₃ = (0.9)²(0.1)∇ω₁² + (0.9)(0.1)∇ω₂² + (0.1)∇ω₃² (its V₄ has it).",
)
ADAGRAD_FORMULA = (
    r"\begin{aligned} r_{k+1} &= r_k + g_k \odot g_k \\ "
    r"w_{k+1} &= w_k - \frac{\eta}{\delta + \sqrt{r_{k+1}}} \odot g_k \end{aligned}"
)
RMSPROP_FORMULA = (
    r"\begin{aligned} v_{k+1} &= \beta\, v_k + (1-\beta)\, g_k^2 \\ "
    r"w_{k+1} &= w_k - \frac{\eta\, g_k}{\sqrt{v_{k+1}} + \epsilon} \end{aligned}"
)

ENTRIES = (
    Optimizer(
        "adagrad",
        "AdaGrad",
        accumulator_init,
        adagrad_update,
        (lr_param(0.5, ui_high=5.0), EPS),
        {None: ADAGRAD_FORMULA},
        "Duchi et al. (2011); Goodfellow Alg. 8.4; NPTEL",
        notes="The accumulated r only grows: the step η/(δ+√r) dies out (NPTEL).",
        records={"v": "v"},
        derive=derive,
        family="adaptive",
    ),
    Optimizer(
        "rmsprop",
        "RMSProp",
        accumulator_init,
        rmsprop_update,
        (lr_param(0.05, ui_high=2.0), BETA, EPS),
        {None: RMSPROP_FORMULA},
        "Hinton (2012) lecture 6e; NPTEL; Deep Learning Refresher; torch.optim.RMSprop",
        errata=RMSPROP_ERRATA,
        records={"v": "v"},
        derive=derive,
        family="adaptive",
    ),
)
