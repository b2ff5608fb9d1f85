r"""Every update rule of the lecture notes, as pure ``init``/``update`` pairs over ``(R, D)`` arrays.

Conventions used throughout (they matter, the notes disagree):

* ``k`` counts steps from 0; ``g_k`` is the gradient used at step ``k`` (full, minibatch or noisy,
  after clipping); ``t = k + 1`` counts updates for bias corrections.
* ``η`` (``lr``) is the learning rate at step ``k`` after the schedule.
* Every buffer (momentum, moments, accumulators) starts at zero.

An optimizer is a record: ``init(params, hp) -> state`` and
``update(g, state, params, lr, k, hp) -> (new_params, new_state)``, where ``hp`` maps each numeric
hyperparameter to a Python float (the same for every run) or an ``(R, D)`` array (one per run) and
each switch to a Python value. The state is an immutable NamedTuple of ``(R, D)`` arrays; ``records``
names the fields the views show, and ``derive`` computes quantities that follow from them
(bias-corrected moments, the effective per-coordinate step) for a whole trajectory at once.
Optimizers that evaluate the gradient somewhere other than at ``w_k`` (Nesterov in the EECS 182 and
NPTEL forms) give a ``lookahead(params, state, lr, hp)``; ``newton`` asks the engine for the Hessian.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np

from .base import Param, Switch, run_value
from .blocks import accumulate_squares, bias_correction, ema, rms_scale, trace

__all__ = [
    "CONVENTIONS",
    "OPTIMIZERS",
    "STATE_LABELS",
    "Convention",
    "Optimizer",
    "get_optimizer",
    "lr_range",
]

# What each recorded quantity means, for tables, legends and the step inspector.
STATE_LABELS = {
    "m": "momentum / first moment (in the optimizer's own convention)",
    "v": "second moment / squared-gradient accumulator",
    "m_hat": "bias-corrected first moment",
    "v_hat": "bias-corrected second moment",
    "eff_lr": "effective per-coordinate step size",
    "lookahead": "point where the gradient was evaluated",
}


@dataclass(frozen=True)
class Optimizer:
    """A registry entry: the pure functions, hyperparameter specs, formula and provenance."""

    name: str
    title: str
    init: Callable[..., Any]
    update: Callable[..., tuple[np.ndarray, Any]]  # (new parameters, new state)
    params: tuple[Param, ...]
    formulas: Mapping[Any, str]
    source: str
    switches: tuple[Switch, ...] = ()
    formula_key: Callable[[Mapping[str, Any]], Any] = lambda hp: None
    notes: str = ""
    errata: tuple[str, ...] = ()
    lookahead: Callable[..., np.ndarray] | None = None
    lookahead_if: Callable[[Mapping[str, Any]], bool] = lambda hp: True
    needs_hessian: bool = False
    records: Mapping[str, str] = field(default_factory=dict)  # record name -> state field
    derive: Callable[..., dict[str, np.ndarray]] | None = None
    family: str = "sgd"
    lr_scale: float = 1.0  # × the surface's η hint for its family (Lion's sign steps are larger)

    @property
    def param_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.params) + tuple(s.name for s in self.switches)

    def defaults(self) -> dict[str, Any]:
        """Default hyperparameters, numeric and switches.

        >>> OPTIMIZERS["adam"].defaults()["beta2"]
        0.999
        """
        out: dict[str, Any] = {p.name: p.default for p in self.params}
        out.update({s.name: s.default for s in self.switches})
        return out

    def lookahead_fn(self, hp: Mapping[str, Any]) -> Callable[..., np.ndarray] | None:
        """The look-ahead function for these switches, or None when ∇L is taken at ``w_k``."""
        return self.lookahead if self.lookahead is not None and self.lookahead_if(hp) else None

    def formula(self, **hp: Any) -> str:
        """LaTeX of the update rule for the given switches (defaults where not given)."""
        merged = self.defaults() | hp
        return self.formulas[self.formula_key(merged)]

    def resolve(self, hp: Mapping[str, Any], runs: int, dim: int = 2) -> dict[str, Any]:
        """Validate hyperparameters; keep scalars as Python floats (the fast path) and broadcast
        per-run ``(R,)`` arrays to contiguous ``(R, D)`` arrays (same-shape NumPy ops are cheapest).
        """
        unknown = set(hp) - set(self.param_names)
        if unknown:
            allowed = ", ".join(self.param_names)
            raise ValueError(
                f"{self.name}: unknown hyperparameter(s) {', '.join(sorted(unknown))}; "
                f"it takes {allowed}."
            )
        out: dict[str, Any] = {}
        for p in self.params:
            value = p.check(hp.get(p.name, p.default), self.name)
            out[p.name] = run_value(value, runs, dim, f"{self.name}.{p.name}")
        for s in self.switches:
            out[s.name] = s.check(hp.get(s.name, s.default), self.name)
        return out


def _lr_param(default: float, ui_low: float = 1e-4, ui_high: float = 10.0) -> Param:
    return Param(
        "lr",
        "learning rate η",
        default,
        low=0.0,
        high=1e6,
        low_open=True,
        ui_low=ui_low,
        ui_high=ui_high,
        log=True,
        help="Step size η (ε in Goodfellow, γ in some notes). Scaled by the schedule.",
        symbol="η",
    )


_BETA = Param(
    "beta",
    "momentum β",
    0.9,
    low=0.0,
    high=1.0,
    high_open=True,
    ui_low=0.0,
    ui_high=0.999,
    help="How much of the past is kept. In the EECS 182 (ema) convention β weights the NEW gradient.",
    symbol="β",
)
_EPS = Param(
    "eps",
    "ε",
    1e-8,
    low=0.0,
    high=1.0,
    ui_low=1e-10,
    ui_high=1e-1,
    log=True,
    help="Numerical-stability constant added to the denominator.",
    symbol="ε",
    legend_if_default=False,
)


@dataclass(frozen=True)
class Convention:
    """One textbook way to write momentum: who writes it so, the rule, and what it weighs."""

    name: str
    who: str  # short: "EECS 182"
    rule: str  # plain text, for labels and tables
    latex: str
    source: str
    weight: str  # the weight of the gradient from τ steps ago in the buffer, in this notation

    @property
    def label(self) -> str:
        return f"{self.who}: {self.rule}"


# The one source of the three notations: the switch below, the pages, the README (checked by a test).
CONVENTIONS: dict[str, Convention] = {
    c.name: c
    for c in (
        Convention(
            "ema",
            "EECS 182",
            "a ← (1−β)a + β∇L, w ← w − ηa",
            r"a \leftarrow (1-\beta)a + \beta\nabla L,\ w \leftarrow w - \eta a",
            "EECS 182 (15 Sept 2022) eq. 6–7",
            "β(1−β)^τ",
        ),
        Convention(
            "heavy_ball",
            "Goodfellow / NPTEL",
            "v ← βv + η∇L, w ← w − v",
            r"v \leftarrow \beta v + \eta\nabla L,\ w \leftarrow w - v",
            "Goodfellow Alg. 8.2, NPTEL",
            "ηβ^τ",
        ),
        Convention(
            "pytorch",
            "PyTorch",
            "v ← βv + ∇L, w ← w − ηv",
            r"v \leftarrow \beta v + \nabla L,\ w \leftarrow w - \eta v",
            "torch.optim.SGD",
            "β^τ",
        ),
    )
}
_CONVENTION = Switch(
    "convention",
    "convention",
    "pytorch",
    tuple(CONVENTIONS),
    help="Which textbook form of momentum.",
    labels={name: c.label for name, c in CONVENTIONS.items()},
)


# ---------------------------------------------------------------------------------------------------
# Gradient descent
class Empty(NamedTuple):
    """No state."""


def gd_init(params: np.ndarray, hp: Mapping[str, Any]) -> Empty:
    return Empty()


def gd_update(g, state, params, lr, k, hp):
    r"""Gradient descent, ``w_{k+1} = w_k − η_k g_k``.

    With full gradients this is GD (EECS 182 eq. 2); with minibatch or noisy gradients it is SGD
    (Goodfellow Alg. 8.1). The optimizer is the same: only where ``g`` comes from changes.
    """
    return params - lr * g, state


# ---------------------------------------------------------------------------------------------------
# Momentum (three textbook conventions) and Nesterov
class MomentumState(NamedTuple):
    buf: np.ndarray  # (R, D): a (ema), v (heavy_ball, pytorch)


def momentum_init(params, hp) -> MomentumState:
    return MomentumState(np.zeros_like(params))


def momentum_update(g, state, params, lr, k, hp):
    r"""Heavy-ball momentum in the convention ``hp["convention"]``.

    * ``"ema"`` — EECS 182, 15 Sept 2022, eq. (6)–(7): ``a ← (1−β)a + β g``, ``w ← w − η a``.
      β weights the *new* gradient; ``β = 1`` is plain GD, small β averages over ~1/β steps.
    * ``"heavy_ball"`` — Goodfellow Alg. 8.2 (``v ← αv − εg; θ ← θ + v``, written here with the sign
      of ``v`` flipped) and NPTEL (``v_t = γ v_{t−1} + η ∇w_t; w ← w − v_t``).
    * ``"pytorch"`` — ``torch.optim.SGD(momentum=β, dampening=0)``: ``v ← βv + g``, ``w ← w − ηv``.

    With a constant η, heavy_ball(η, β) and pytorch(η, β) give identical iterates (``v_hb = η v_pt``);
    ema(η, β) equals pytorch(ηβ, 1−β) (``a = β v_pt``). They differ when η changes over time:
    heavy_ball scales only the new gradient by the new η, pytorch rescales the whole buffer.
    """
    beta, conv = hp["beta"], hp["convention"]
    if conv == "ema":
        buf = ema(state.buf, g, 1.0 - beta)
        return params - lr * buf, MomentumState(buf)
    if conv == "heavy_ball":
        buf = trace(state.buf, g, beta, lr)
        return params - buf, MomentumState(buf)
    buf = trace(state.buf, g, beta)
    return params - lr * buf, MomentumState(buf)


def nesterov_lookahead(params, state, lr, hp):
    """Where the EECS 182 and NPTEL forms evaluate the gradient (PyTorch's form needs none)."""
    beta, conv = hp["beta"], hp["convention"]
    if conv == "ema":
        return params - lr * (1.0 - beta) * state.buf
    if conv == "heavy_ball":
        return params - beta * state.buf
    return params


def nesterov_update(g, state, params, lr, k, hp):
    r"""Nesterov momentum in the convention ``hp["convention"]``.

    * ``"ema"`` — EECS 182 eq. (8): the gradient is taken at ``w − η(1−β)a`` (where the known part
      of the next step leads), then ``a ← (1−β)a + βg``, ``w ← w − ηa``.
    * ``"heavy_ball"`` — NPTEL NAG: ``w_temp = w − βv``; ``v ← βv + η∇L(w_temp)``; ``w ← w − v``.
    * ``"pytorch"`` — ``torch.optim.SGD(nesterov=True)``: ``g = ∇L(w)``; ``v ← βv + g``;
      ``w ← w − η(g + βv)``. This tracks the look-ahead point instead of ``w``, so its iterates differ
      from the other two while sharing their rate on a quadratic.

    With a constant η, ema(η, β) and heavy_ball(ηβ, 1−β) give identical iterates.
    ``g`` passed in has already been evaluated at :func:`nesterov_lookahead`.
    """
    beta, conv = hp["beta"], hp["convention"]
    if conv == "pytorch":
        buf = trace(state.buf, g, beta)
        return params - lr * (g + beta * buf), MomentumState(buf)
    return momentum_update(g, state, params, lr, k, hp)


# ---------------------------------------------------------------------------------------------------
# Adaptive methods
class AccumulatorState(NamedTuple):
    v: np.ndarray  # (R, D): sum (AdaGrad) or EMA (RMSProp) of squared gradients


def accumulator_init(params, hp) -> AccumulatorState:
    return AccumulatorState(np.zeros_like(params))


def adagrad_update(g, state, params, lr, k, hp):
    r"""AdaGrad, Goodfellow Alg. 8.4 (ε outside the root, called δ there).

    ``r ← r + g⊙g``; ``w ← w − η g/(δ + √r)``. The first step moves every coordinate by
    ``η·sign(g)`` (up to δ); under a constant gradient the k-th step has size ``η/√k``: the step
    dies out, which is what RMSProp fixes.
    """
    v = accumulate_squares(state.v, g)
    return params - lr * g * rms_scale(v, hp["eps"]), AccumulatorState(v)


def rmsprop_update(g, state, params, lr, k, hp):
    r"""RMSProp (Hinton; NPTEL; ``torch.optim.RMSprop`` with ``alpha = β``), ε outside the root.

    ``v ← βv + (1−β)g²``; ``w ← w − η g/(√v + ε)``. No bias correction, so the first step is
    ``η/√(1−β)·sign(g)``: about 3.16η at β = 0.9.
    """
    v = ema(state.v, g * g, hp["beta"])
    return params - lr * g * rms_scale(v, hp["eps"]), AccumulatorState(v)


def _derive_rms(rec, grad, lr, t, hp):
    """Effective per-coordinate step ``η/(√v + ε)`` of AdaGrad and RMSProp, from the record."""
    return {"eff_lr": lr * rms_scale(rec["v"], hp["eps"])}


class AdamState(NamedTuple):
    m: np.ndarray  # (R, D) first moment, EMA of g
    v: np.ndarray  # (R, D) second moment, EMA of g²
    v_max: np.ndarray  # (R, D) running max of v (AMSGrad only; zeros otherwise)


def adam_init(params, hp) -> AdamState:
    z = np.zeros_like(params)
    return AdamState(z, z.copy(), z.copy())


def adam_update(g, state, params, lr, k, hp):
    r"""Adam, Kingma & Ba (2015) = Goodfellow Alg. 8.7 (ρ₁, ρ₂, δ there = β₁, β₂, ε here).

    ``m ← β₁m + (1−β₁)g``; ``v ← β₂v + (1−β₂)g²``; ``m̂ = m/(1−β₁ᵗ)``; ``v̂ = v/(1−β₂ᵗ)``;
    ``w ← w − η m̂/(√v̂ + ε)``.

    Variants: ``bias_correction=False`` uses m, v directly (the first step is then
    ``η(1−β₁)/√(1−β₂)`` ≈ 3.16η at the defaults instead of η); ``eps_inside=True`` uses
    ``√(v̂ + ε)`` as the Deep Learning Refresher note writes.

    Errata in the notes (the engine implements the correct form):

    * EECS 182 (15 Sept 2022) eq. (10) divides by ``1 − β^k``, but in that note's convention β
      weights the new gradient (``a ← (1−β)a + βg``), so the correction is ``1 − (1−β)^t``; in the
      standard β₁, β₂ form that is ``1 − β₁ᵗ``. Its eq. (9) also writes ``∇_w((∂L/∂w_i)²)`` where the
      squared gradient itself is meant.
    * COSI 165B (after Goodfellow Alg. 8.7) writes ``r̂ ← r̂/(1−ρ₂ᵗ)``; it is ``r̂ ← r/(1−ρ₂ᵗ)``.
    * 19CSE437 (NPTEL) writes ``m_t = β₁ v_{t−1} + (1−β₁)∇w_t``; it is ``β₁ m_{t−1}``, and its update
      line must use the bias-corrected ``m̂_t, v̂_t`` computed after it.
    """
    b1, b2 = hp["beta1"], hp["beta2"]
    m = ema(state.m, g, b1)
    v = ema(state.v, g * g, b2)
    if hp.get("bias_correction", True):
        t = k + 1
        step, v_hat = lr / (1.0 - b1**t), v / (1.0 - b2**t)
    else:
        step, v_hat = lr, v
    new = params - step * m * rms_scale(v_hat, hp["eps"], hp.get("eps_inside", False))
    return new, AdamState(m, v, state.v_max)


def _derive_adam(rec, grad, lr, t, hp):
    """Bias-corrected moments and effective step ``η/(√v̂ + ε)`` of Adam/AdamW, from the record."""
    b1, b2 = hp["beta1"], hp["beta2"]
    m, v = rec["m"], rec["v"]
    if hp.get("bias_correction", True):
        m_hat, v_hat = m / (1.0 - b1**t), v / (1.0 - b2**t)
    else:
        m_hat, v_hat = m, v
    eff = lr * rms_scale(v_hat, hp["eps"], hp.get("eps_inside", False))
    return {"m_hat": m_hat, "v_hat": v_hat, "eff_lr": eff}


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
    b1, b2 = hp["beta1"], hp["beta2"]
    t = k + 1
    m = ema(state.m, g, b1)
    v = ema(state.v, g * g, b2)
    m_hat = b1 * m / (1.0 - b1 ** (t + 1)) + (1.0 - b1) * g / (1.0 - b1**t)
    v_hat = bias_correction(v, b2, t)
    return params - lr * m_hat * rms_scale(v_hat, hp["eps"]), AdamState(m, v, state.v_max)


def _derive_nadam(rec, grad, lr, t, hp):
    b1, b2 = hp["beta1"], hp["beta2"]
    m_hat = b1 * rec["m"] / (1.0 - b1 ** (t + 1)) + (1.0 - b1) * grad / (1.0 - b1**t)
    v_hat = rec["v"] / (1.0 - b2**t)
    return {"m_hat": m_hat, "v_hat": v_hat, "eff_lr": lr * rms_scale(v_hat, hp["eps"])}


def amsgrad_update(g, state, params, lr, k, hp):
    r"""AMSGrad, Reddi et al. (2018), as ``torch.optim.Adam(amsgrad=True)``.

    ``v_max ← max(v_max, v)``; ``w ← w − η m̂ / (√(v_max/(1−β₂ᵗ)) + ε)``: the per-coordinate step
    can only shrink, which repairs Adam's non-convergence counter-examples.
    """
    b1, b2 = hp["beta1"], hp["beta2"]
    t = k + 1
    m = ema(state.m, g, b1)
    v = ema(state.v, g * g, b2)
    v_max = np.maximum(state.v_max, v)
    m_hat = bias_correction(m, b1, t)
    v_hat = bias_correction(v_max, b2, t)
    return params - lr * m_hat * rms_scale(v_hat, hp["eps"]), AdamState(m, v, v_max)


def _derive_amsgrad(rec, grad, lr, t, hp):
    b1, b2 = hp["beta1"], hp["beta2"]
    m_hat, v_hat = rec["m"] / (1.0 - b1**t), rec["v"] / (1.0 - b2**t)
    return {"m_hat": m_hat, "v_hat": v_hat, "eff_lr": lr * rms_scale(v_hat, hp["eps"])}


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


# ---------------------------------------------------------------------------------------------------
# Newton's method (reference)
def newton_update(g, state, params, lr, k, hp, hess=None):
    r"""Damped Newton step ``w ← w − η (H + δI)⁺ g`` with the surface's exact Hessian.

    On a quadratic with η = 1 it lands on the minimum in one step whatever the condition number:
    the reference that shows what ill-conditioning costs first-order methods. It is attracted by
    saddles too (H is not positive definite there). The pseudo-inverse keeps singular H finite.
    """
    d = params.shape[-1]
    damping = hp["damping"]
    damping = damping if np.ndim(damping) == 0 else damping[:, :1, None]
    h = np.where(np.isfinite(hess), hess, 0.0) + damping * np.eye(d)
    direction = np.einsum("rij,rj->ri", np.linalg.pinv(h), g)
    return params - lr * direction, state


# ---------------------------------------------------------------------------------------------------
# Formulas (KaTeX), one per switch combination
_G = r"g_k = \nabla L(w_k)"
_F = {
    "gd": r"\begin{aligned} g_k &= \nabla L(w_k) \\ w_{k+1} &= w_k - \eta_k\, g_k \end{aligned}",
    "momentum": {
        "ema": r"\begin{aligned} a_{k+1} &= (1-\beta)\,a_k + \beta\,\nabla L(w_k) \\ "
        r"w_{k+1} &= w_k - \eta\, a_{k+1} \end{aligned}",
        "heavy_ball": r"\begin{aligned} v_{k+1} &= \beta\, v_k + \eta\,\nabla L(w_k) \\ "
        r"w_{k+1} &= w_k - v_{k+1} \end{aligned}",
        "pytorch": r"\begin{aligned} v_{k+1} &= \beta\, v_k + \nabla L(w_k) \\ "
        r"w_{k+1} &= w_k - \eta\, v_{k+1} \end{aligned}",
    },
    "nesterov": {
        "ema": r"\begin{aligned} a_{k+1} &= (1-\beta)\,a_k + \beta\,\nabla L\big(w_k - "
        r"\eta(1-\beta)\,a_k\big) \\ w_{k+1} &= w_k - \eta\, a_{k+1} \end{aligned}",
        "heavy_ball": r"\begin{aligned} v_{k+1} &= \beta\, v_k + \eta\,\nabla L(w_k - \beta v_k) "
        r"\\ w_{k+1} &= w_k - v_{k+1} \end{aligned}",
        "pytorch": r"\begin{aligned} v_{k+1} &= \beta\, v_k + \nabla L(w_k) \\ "
        r"w_{k+1} &= w_k - \eta\,\big(\nabla L(w_k) + \beta\, v_{k+1}\big) \end{aligned}",
    },
    "adagrad": r"\begin{aligned} r_{k+1} &= r_k + g_k \odot g_k \\ "
    r"w_{k+1} &= w_k - \frac{\eta}{\delta + \sqrt{r_{k+1}}} \odot g_k \end{aligned}",
    "rmsprop": r"\begin{aligned} v_{k+1} &= \beta\, v_k + (1-\beta)\, g_k^2 \\ "
    r"w_{k+1} &= w_k - \frac{\eta\, g_k}{\sqrt{v_{k+1}} + \epsilon} \end{aligned}",
}


def _adam_formula(bc: bool, inside: bool, decay: str = "") -> str:
    moments = r"m_{t} &= \beta_1 m_{t-1} + (1-\beta_1)\, g_t \\ v_{t} &= \beta_2 v_{t-1} + (1-\beta_2)\, g_t^2"
    if bc:
        corr = r" \\ \hat m_t &= \frac{m_t}{1-\beta_1^{\,t}}, \quad \hat v_t = \frac{v_t}{1-\beta_2^{\,t}}"
        mm, vv = r"\hat m_t", r"\hat v_t"
    else:
        corr, mm, vv = "", "m_t", "v_t"
    denom = rf"\sqrt{{{vv} + \epsilon}}" if inside else rf"\sqrt{{{vv}}} + \epsilon"
    step = rf"w_{{t}} &= w_{{t-1}} - \eta \left(\frac{{{mm}}}{{{denom}}}{decay}\right)"
    return rf"\begin{{aligned}} {moments}{corr} \\ {step} \end{{aligned}}"


_F["adam"] = {(bc, ins): _adam_formula(bc, ins) for bc in (True, False) for ins in (True, False)}
_F["adamw"] = _adam_formula(True, False, r" + \lambda\, w_{t-1}")
_F["nadam"] = (
    r"\begin{aligned} m_t &= \beta_1 m_{t-1} + (1-\beta_1) g_t,\quad v_t = \beta_2 v_{t-1} + "
    r"(1-\beta_2) g_t^2 \\ \hat m_t &= \frac{\beta_1 m_t}{1-\beta_1^{\,t+1}} + "
    r"\frac{(1-\beta_1) g_t}{1-\beta_1^{\,t}},\quad \hat v_t = \frac{v_t}{1-\beta_2^{\,t}} \\ "
    r"w_t &= w_{t-1} - \eta\,\frac{\hat m_t}{\sqrt{\hat v_t} + \epsilon} \end{aligned}"
)
_F["amsgrad"] = (
    r"\begin{aligned} m_t &= \beta_1 m_{t-1} + (1-\beta_1) g_t,\quad v_t = \beta_2 v_{t-1} + "
    r"(1-\beta_2) g_t^2 \\ v^{\max}_t &= \max(v^{\max}_{t-1}, v_t) \\ "
    r"w_t &= w_{t-1} - \eta\,\frac{m_t/(1-\beta_1^{\,t})}{\sqrt{v^{\max}_t/(1-\beta_2^{\,t})} + "
    r"\epsilon} \end{aligned}"
)
_F["lion"] = (
    r"\begin{aligned} c_t &= \beta_1 m_{t-1} + (1-\beta_1) g_t \\ w_t &= w_{t-1} - "
    r"\eta\,\big(\operatorname{sign}(c_t) + \lambda w_{t-1}\big) \\ m_t &= \beta_2 m_{t-1} + "
    r"(1-\beta_2) g_t \end{aligned}"
)
_F["newton"] = r"w_{k+1} = w_k - \eta\,\big(\nabla^2 L(w_k) + \delta I\big)^{-1} \nabla L(w_k)"

_BETA1 = Param(
    "beta1",
    "β₁",
    0.9,
    low=0.0,
    high=1.0,
    high_open=True,
    ui_low=0.0,
    ui_high=0.999,
    help="Decay of the first-moment EMA (EECS 182's β = 1 − β₁).",
    symbol="β₁",
)
_BETA2 = Param(
    "beta2",
    "β₂",
    0.999,
    low=0.0,
    high=1.0,
    high_open=True,
    ui_low=0.5,
    ui_high=0.9999,
    help="Decay of the second-moment EMA (EECS 182's β′ = 1 − β₂).",
    symbol="β₂",
    legend_if_default=False,
)
_BC = Switch(
    "bias_correction",
    "bias correction",
    True,
    (True, False),
    help="Divide the moments by 1 − βᵗ so the first steps are not too small/large.",
)
_EPS_IN = Switch(
    "eps_inside",
    "ε inside the root",
    False,
    (False, True),
    help="√(v̂ + ε) as the Deep Learning Refresher writes, instead of √v̂ + ε.",
)
_WD = Param(
    "weight_decay",
    "weight decay λ",
    0.01,
    low=0.0,
    high=1e3,
    ui_low=0.0,
    ui_high=0.5,
    symbol="λ",
)

_ADAM_SOURCE = (
    "Kingma & Ba (2015); Goodfellow et al., Deep Learning, Alg. 8.7; EECS 182 eq. (9)–(10)"
)
_ADAM_ERRATA = (
    "EECS 182 (15 Sept 2022) eq. (10) divides by 1 − β^k although β weights the new gradient in "
    "that note (a ← (1−β)a + β∇L): the correct divisor is 1 − (1−β)^t, i.e. 1 − β₁ᵗ with β₁ = 1 − β.",
    "EECS 182 eq. (9) writes ∇_w((∂L/∂w_i)²) in the V update; V averages the squared gradient itself.",
    "COSI 165B Alg. 8.7 writes r̂ ← r̂/(1−ρ₂ᵗ); it is r̂ ← r/(1−ρ₂ᵗ).",
    "19CSE437 (NPTEL) writes m_t = β₁ v_{t−1} + (1−β₁)∇w_t; it is β₁ m_{t−1}, and the update uses "
    "the bias-corrected m̂_t, v̂_t.",
)

_ADAM_RECORDS = {"m": "m", "v": "v"}

OPTIMIZERS: dict[str, Optimizer] = {
    o.name: o
    for o in [
        Optimizer(
            "gd",
            "Gradient descent (SGD with minibatches)",
            gd_init,
            gd_update,
            (_lr_param(0.1),),
            {None: _F["gd"]},
            "EECS 182 eq. (2); Goodfellow Alg. 8.1 (SGD)",
            notes="GD and SGD are the same rule: SGD feeds it a minibatch (or noisy) gradient.",
        ),
        Optimizer(
            "momentum",
            "Momentum (heavy ball)",
            momentum_init,
            momentum_update,
            (_lr_param(0.05), _BETA),
            _F["momentum"],
            "EECS 182 eq. (6)–(7); Goodfellow Alg. 8.2; NPTEL; torch.optim.SGD",
            switches=(_CONVENTION,),
            formula_key=lambda hp: hp["convention"],
            notes="ema(η, β) ≡ pytorch(ηβ, 1−β) ≡ heavy_ball(ηβ, 1−β) at constant η.",
            records={"m": "buf"},
        ),
        Optimizer(
            "nesterov",
            "Nesterov accelerated gradient",
            momentum_init,
            nesterov_update,
            (_lr_param(0.05), _BETA),
            _F["nesterov"],
            "EECS 182 eq. (8); NPTEL NAG; torch.optim.SGD(nesterov=True)",
            switches=(_CONVENTION,),
            formula_key=lambda hp: hp["convention"],
            lookahead=nesterov_lookahead,
            records={"m": "buf", "lookahead": ""},
            lookahead_if=lambda hp: hp["convention"] != "pytorch",
        ),
        Optimizer(
            "adagrad",
            "AdaGrad",
            accumulator_init,
            adagrad_update,
            (_lr_param(0.5, ui_high=5.0), _EPS),
            {None: _F["adagrad"]},
            "Duchi et al. (2011); Goodfellow Alg. 8.4; NPTEL",
            notes="The accumulated r only grows: the step η/(δ+√r) dies out (NPTEL).",
            records={"v": "v"},
            derive=_derive_rms,
            family="adaptive",
        ),
        Optimizer(
            "rmsprop",
            "RMSProp",
            accumulator_init,
            rmsprop_update,
            (_lr_param(0.05, ui_high=2.0), _BETA, _EPS),
            {None: _F["rmsprop"]},
            "Hinton (2012) lecture 6e; NPTEL; Deep Learning Refresher; torch.optim.RMSprop",
            records={"v": "v"},
            derive=_derive_rms,
            family="adaptive",
        ),
        Optimizer(
            "adam",
            "Adam",
            adam_init,
            adam_update,
            (_lr_param(0.1, ui_high=2.0), _BETA1, _BETA2, _EPS),
            {(bc, ins): f for (bc, ins), f in _F["adam"].items()},
            _ADAM_SOURCE,
            switches=(_BC, _EPS_IN),
            formula_key=lambda hp: (hp["bias_correction"], hp["eps_inside"]),
            errata=_ADAM_ERRATA,
            records=_ADAM_RECORDS,
            derive=_derive_adam,
            family="adaptive",
        ),
        Optimizer(
            "adamw",
            "AdamW (decoupled weight decay)",
            adam_init,
            adamw_update,
            (_lr_param(0.1, ui_high=2.0), _BETA1, _BETA2, _EPS, _WD),
            {None: _F["adamw"]},
            "Loshchilov & Hutter (2019); torch.optim.AdamW",
            records=_ADAM_RECORDS,
            derive=_derive_adam,
            family="adaptive",
        ),
        Optimizer(
            "nadam",
            "NAdam (Nesterov Adam)",
            adam_init,
            nadam_update,
            (_lr_param(0.1, ui_high=2.0), _BETA1, _BETA2, _EPS),
            {None: _F["nadam"]},
            "Dozat (2016); optax.nadam",
            records=_ADAM_RECORDS,
            derive=_derive_nadam,
            family="adaptive",
        ),
        Optimizer(
            "amsgrad",
            "AMSGrad",
            adam_init,
            amsgrad_update,
            (_lr_param(0.1, ui_high=2.0), _BETA1, _BETA2, _EPS),
            {None: _F["amsgrad"]},
            "Reddi et al. (2018); torch.optim.Adam(amsgrad=True)",
            records={"m": "m", "v": "v_max"},
            derive=_derive_amsgrad,
            family="adaptive",
        ),
        Optimizer(
            "lion",
            "Lion (sign momentum)",
            lion_init,
            lion_update,
            (
                _lr_param(0.02, ui_high=1.0),
                # Lion's β₁ interpolates the step's sign, β₂ tracks the momentum (Chen et al.)
                dataclasses.replace(_BETA1, ui_low=None, help=""),
                dataclasses.replace(_BETA2, default=0.99, ui_low=None, help=""),
                dataclasses.replace(_WD, default=0.0, ui_low=None),
            ),
            {None: _F["lion"]},
            "Chen et al. (2023)",
            records={"m": "m"},
            family="adaptive",
            lr_scale=0.2,
        ),
        Optimizer(
            "newton",
            "Newton's method (reference)",
            gd_init,
            newton_update,
            (
                _lr_param(1.0, ui_high=2.0),
                Param(
                    "damping",
                    "damping δ",
                    0.0,
                    low=0.0,
                    high=1e6,
                    ui_high=10.0,
                    help="Adds δI to the Hessian (Levenberg–Marquardt style).",
                    symbol="δ",
                ),
            ),
            {None: _F["newton"]},
            "Nocedal & Wright, Numerical Optimization, ch. 3",
            needs_hessian=True,
            family="second-order",
        ),
    ]
}


def lr_range(
    surface: Any, optimizer: str | Optimizer, convention: str | None = None
) -> tuple[float, float, float]:
    """The η range ``(low, default, high)`` that makes a good demo of ``optimizer`` on ``surface``.

    The one authority on an optimizer's η range: the surface gives a hint per family (``lr_gd``
    for plain and momentum methods, ``lr_adaptive`` for adaptive ones), the optimizer its family
    and scale; second-order methods take steps of about 1. With a momentum ``convention``,
    heavy ball and PyTorch sum gradients and step about η/(1−β) once the buffer fills, so their
    low end and default are the GD suggestion × (1 − β) at the default β = 0.9; the EECS 182 form
    averages them and keeps the GD suggestion.

    >>> from surfaces import get_surface
    >>> s = get_surface("rosenbrock")
    >>> lr_range(s, "gd") == s.lr_gd, lr_range(s, "lion")[1] == s.lr_adaptive[1] * 0.2
    (True, True)
    >>> lr_range(s, "momentum", "pytorch")[1] == s.lr_gd[1] * 0.1
    True
    """
    opt = optimizer if isinstance(optimizer, Optimizer) else get_optimizer(optimizer)
    if opt.family == "second-order":
        return (0.01, 1.0, 2.0)
    lo, default, hi = surface.lr_adaptive if opt.family == "adaptive" else surface.lr_gd
    k = opt.lr_scale
    if convention in ("pytorch", "heavy_ball"):
        return (lo * k * 0.1, default * k * 0.1, hi * k)
    return (lo * k, default * k, hi * k)


def get_optimizer(name: str) -> Optimizer:
    """Look up a registry entry with a helpful error.

    >>> get_optimizer("adam").title
    'Adam'
    """
    try:
        return OPTIMIZERS[name]
    except KeyError:
        raise ValueError(
            f"Unknown optimizer {name!r}; choose one of {', '.join(OPTIMIZERS)}."
        ) from None
