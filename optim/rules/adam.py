r"""Adam and its variants (AdamW, NAdam, AMSGrad): bias-corrected first and second moments.

The update and the views (``derive``: m̂, v̂ and the effective step along a whole trajectory) share
:func:`corrected`, :func:`nadam_first` and :func:`step_size`, so the numbers the step inspector shows
are the numbers the update used. The notes' errata about Adam are :data:`ERRATA`, the one source the
Adaptive lab and the README show (a test holds the README to it).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..base import Switch
from ..blocks import ema, rms_scale
from ..record import BETA1, BETA2, EPS, WEIGHT_DECAY, Optimizer, lr_param


class AdamState(NamedTuple):
    m: np.ndarray  # (R, D) first moment, EMA of g
    v: np.ndarray  # (R, D) second moment, EMA of g²
    v_max: np.ndarray  # (R, D) running max of v (AMSGrad only; zeros otherwise)


def adam_init(params, hp) -> AdamState:
    z = np.zeros_like(params)
    return AdamState(z, z.copy(), z.copy())


def moments(state, g, hp):
    """``m ← β₁m + (1−β₁)g``, ``v ← β₂v + (1−β₂)g²``."""
    return ema(state.m, g, hp["beta1"]), ema(state.v, g * g, hp["beta2"])


def corrected(m, v, t, hp):
    """``(m̂, v̂) = (m/(1−β₁ᵗ), v/(1−β₂ᵗ))``, or ``(m, v)`` when bias correction is off.

    ``t`` counts updates from 1: an int in the update, a ``(T, 1, 1)`` column along a record.
    """
    if not hp.get("bias_correction", True):
        return m, v
    return m / (1.0 - hp["beta1"] ** t), v / (1.0 - hp["beta2"] ** t)


def nadam_first(m, g, t, hp):
    """NAdam's look-ahead first moment ``β₁m/(1−β₁^{t+1}) + (1−β₁)g/(1−β₁ᵗ)``."""
    b1 = hp["beta1"]
    return b1 * m / (1.0 - b1 ** (t + 1)) + (1.0 - b1) * g / (1.0 - b1**t)


def step_size(v_hat, lr, hp):
    """The effective per-coordinate step ``η/(√v̂ + ε)`` (``η/√(v̂ + ε)`` with ε inside)."""
    return lr * rms_scale(v_hat, hp["eps"], hp.get("eps_inside", False))


def adam_update(g, state, params, lr, k, hp):
    r"""Adam, Kingma & Ba (2015) = Goodfellow Alg. 8.7 (ρ₁, ρ₂, δ there = β₁, β₂, ε here).

    ``m ← β₁m + (1−β₁)g``; ``v ← β₂v + (1−β₂)g²``; ``m̂ = m/(1−β₁ᵗ)``; ``v̂ = v/(1−β₂ᵗ)``;
    ``w ← w − η m̂/(√v̂ + ε)``.

    Variants: ``bias_correction=False`` uses m, v directly (the first step is then
    ``η(1−β₁)/√(1−β₂)`` ≈ 3.16η at the defaults instead of η); ``eps_inside=True`` uses
    ``√(v̂ + ε)`` as the Deep Learning Refresher note writes.

    Several notes write this rule wrongly; the engine implements the correct form, and the errata
    are listed once, in :data:`ERRATA`.
    """
    m, v = moments(state, g, hp)
    m_hat, v_hat = corrected(m, v, k + 1, hp)
    return params - step_size(v_hat, lr, hp) * m_hat, AdamState(m, v, state.v_max)


def adamw_update(g, state, params, lr, k, hp):
    r"""AdamW, Loshchilov & Hutter (2019): Adam plus *decoupled* weight decay.

    ``w ← w − η(m̂/(√v̂ + ε) + λw)``, as ``torch.optim.AdamW`` (the decay is scaled by η; the paper
    scales it by the schedule multiplier only). The decay acts on ``w`` directly, not through ``g``,
    so it is not divided by ``√v̂``: unlike L2 regularisation added to the loss.
    """
    new, state = adam_update(g, state, params, lr, k, hp)
    return new - lr * hp["weight_decay"] * params, state


def nadam_update(g, state, params, lr, k, hp):
    r"""NAdam, Dozat (2016), in the form of ``optax.nadam`` (no momentum-decay schedule).

    ``m̂ = β₁ m/(1−β₁^{t+1}) + (1−β₁) g/(1−β₁ᵗ)`` — Nesterov's look-ahead applied to Adam's first
    moment; ``w ← w − η m̂/(√v̂ + ε)``. ``torch.optim.NAdam`` additionally ramps β₁ with
    ``momentum_decay = 0.004``, which changes the first steps slightly.
    """
    t = k + 1
    m, v = moments(state, g, hp)
    _, v_hat = corrected(m, v, t, hp)  # NAdam has no switch: always corrected
    return params - step_size(v_hat, lr, hp) * nadam_first(m, g, t, hp), AdamState(
        m, v, state.v_max
    )


def amsgrad_update(g, state, params, lr, k, hp):
    r"""AMSGrad, Reddi et al. (2018), as ``torch.optim.Adam(amsgrad=True)``.

    ``v_max ← max(v_max, v)``; ``w ← w − η m̂ / (√(v_max/(1−β₂ᵗ)) + ε)``: the per-coordinate step
    can only shrink, which repairs Adam's non-convergence counter-examples.
    """
    m, v = moments(state, g, hp)
    v_max = np.maximum(state.v_max, v)
    m_hat, v_hat = corrected(m, v_max, k + 1, hp)
    return params - step_size(v_hat, lr, hp) * m_hat, AdamState(m, v, v_max)


def derive(rec, grad, lr, t, hp):
    """m̂, v̂ and the effective step of Adam, AdamW and AMSGrad (whose ``v`` record is ``v_max``)."""
    m_hat, v_hat = corrected(rec["m"], rec["v"], t, hp)
    return {"m_hat": m_hat, "v_hat": v_hat, "eff_lr": step_size(v_hat, lr, hp)}


def derive_nadam(rec, grad, lr, t, hp):
    """NAdam's look-ahead m̂, v̂ and effective step along a record."""
    _, v_hat = corrected(rec["m"], rec["v"], t, hp)
    m_hat = nadam_first(rec["m"], grad, t, hp)
    return {"m_hat": m_hat, "v_hat": v_hat, "eff_lr": step_size(v_hat, lr, hp)}


def formula(bc: bool = True, inside: bool = False, decay: str = "") -> str:
    """Adam's LaTeX for the switches (and AdamW's with ``decay``)."""
    moments_ = r"m_{t} &= \beta_1 m_{t-1} + (1-\beta_1)\, g_t \\ v_{t} &= \beta_2 v_{t-1} + (1-\beta_2)\, g_t^2"
    if bc:
        corr = r" \\ \hat m_t &= \frac{m_t}{1-\beta_1^{\,t}}, \quad \hat v_t = \frac{v_t}{1-\beta_2^{\,t}}"
        mm, vv = r"\hat m_t", r"\hat v_t"
    else:
        corr, mm, vv = "", "m_t", "v_t"
    denom = rf"\sqrt{{{vv} + \epsilon}}" if inside else rf"\sqrt{{{vv}}} + \epsilon"
    step = rf"w_{{t}} &= w_{{t-1}} - \eta \left(\frac{{{mm}}}{{{denom}}}{decay}\right)"
    return rf"\begin{{aligned}} {moments_}{corr} \\ {step} \end{{aligned}}"


NADAM_FORMULA = (
    r"\begin{aligned} m_t &= \beta_1 m_{t-1} + (1-\beta_1) g_t,\quad v_t = \beta_2 v_{t-1} + "
    r"(1-\beta_2) g_t^2 \\ \hat m_t &= \frac{\beta_1 m_t}{1-\beta_1^{\,t+1}} + "
    r"\frac{(1-\beta_1) g_t}{1-\beta_1^{\,t}},\quad \hat v_t = \frac{v_t}{1-\beta_2^{\,t}} \\ "
    r"w_t &= w_{t-1} - \eta\,\frac{\hat m_t}{\sqrt{\hat v_t} + \epsilon} \end{aligned}"
)
AMSGRAD_FORMULA = (
    r"\begin{aligned} m_t &= \beta_1 m_{t-1} + (1-\beta_1) g_t,\quad v_t = \beta_2 v_{t-1} + "
    r"(1-\beta_2) g_t^2 \\ v^{\max}_t &= \max(v^{\max}_{t-1}, v_t) \\ "
    r"w_t &= w_{t-1} - \eta\,\frac{m_t/(1-\beta_1^{\,t})}{\sqrt{v^{\max}_t/(1-\beta_2^{\,t})} + "
    r"\epsilon} \end{aligned}"
)

BIAS_CORRECTION = Switch(
    "bias_correction",
    "bias correction",
    True,
    (True, False),
    help="Divide the moments by 1 − βᵗ so the first steps are not too small/large.",
)
EPS_INSIDE = Switch(
    "eps_inside",
    "ε inside the root",
    False,
    (False, True),
    help="√(v̂ + ε) as the Deep Learning Refresher writes, instead of √v̂ + ε.",
)

SOURCE = "Kingma & Ba (2015); Goodfellow et al., Deep Learning, Alg. 8.7; EECS 182 eq. (9)–(10)"
ERRATA = (
    "EECS 182 (15 Sept 2022) eq. (10) divides â by 1 − β^k although β weights the new gradient "
    "in that note (a ← (1−β)a + β∇L): the correct divisor is 1 − (1−β)^{k+1}, i.e. 1 − β₁ᵗ with "
    "β₁ = 1 − β and t = k + 1. The V̂ line has the same slip (1 − (β′)^k for 1 − (1−β′)^{k+1}), "
    "and the exponent k instead of k + 1 divides by 1 − β⁰ = 0 at the first step (k = 0).",
    "EECS 182 eq. (9) writes ∇_w((∂L/∂w_i)²) in the V update; V averages the squared gradient itself.",
    "COSI 165B Alg. 8.7 writes r̂ ← r̂/(1−ρ₂ᵗ); it is r̂ ← r/(1−ρ₂ᵗ).",
    "19CSE437 (NPTEL) writes m_t = β₁ v_{t−1} + (1−β₁)∇w_t; it is β₁ m_{t−1}, and the update uses "
    "the bias-corrected m̂_t, v̂_t.",
)
_RECORDS = {"m": "m", "v": "v"}
_LR = lr_param(0.1, ui_high=2.0)

ENTRIES = (
    Optimizer(
        "adam",
        "Adam",
        adam_init,
        adam_update,
        (_LR, BETA1, BETA2, EPS),
        {(bc, ins): formula(bc, ins) for bc in (True, False) for ins in (True, False)},
        SOURCE,
        switches=(BIAS_CORRECTION, EPS_INSIDE),
        formula_key=lambda hp: (hp["bias_correction"], hp["eps_inside"]),
        errata=ERRATA,
        records=_RECORDS,
        derive=derive,
        family="adaptive",
    ),
    Optimizer(
        "adamw",
        "AdamW (decoupled weight decay)",
        adam_init,
        adamw_update,
        (_LR, BETA1, BETA2, EPS, WEIGHT_DECAY),
        {None: formula(True, False, r" + \lambda\, w_{t-1}")},
        "Loshchilov & Hutter (2019); torch.optim.AdamW",
        records=_RECORDS,
        derive=derive,
        family="adaptive",
    ),
    Optimizer(
        "nadam",
        "NAdam (Nesterov Adam)",
        adam_init,
        nadam_update,
        (_LR, BETA1, BETA2, EPS),
        {None: NADAM_FORMULA},
        "Dozat (2016); optax.nadam",
        records=_RECORDS,
        derive=derive_nadam,
        family="adaptive",
    ),
    Optimizer(
        "amsgrad",
        "AMSGrad",
        adam_init,
        amsgrad_update,
        (_LR, BETA1, BETA2, EPS),
        {None: AMSGRAD_FORMULA},
        "Reddi et al. (2018); torch.optim.Adam(amsgrad=True)",
        records={"m": "m", "v": "v_max"},
        derive=derive,
        family="adaptive",
    ),
)
