"""The optimizer record and the vocabulary its entries share (η, β, ε, β₁, β₂, λ).

An optimizer is a record: ``init(params, hp) -> state`` and
``update(g, state, params, lr, k, hp) -> (new_params, new_state)``, where ``hp`` maps each numeric
hyperparameter to a Python float (the same for every run) or an ``(R, D)`` array (one per run) and
each switch to a Python value. The state is an immutable NamedTuple of ``(R, D)`` arrays; ``records``
names the fields the views show, and ``derive`` computes quantities that follow from them
(bias-corrected moments, the effective per-coordinate step) for a whole trajectory at once, with the
same helper functions the update uses. Optimizers that evaluate the gradient somewhere other than at
``w_k`` (Nesterov in the EECS 182 and NPTEL forms, Schedule-Free's ``y``) give a
``lookahead(params, state, lr, hp)`` (SAM's also takes ``gradient=``, the step's own ∇L);
``newton`` asks the engine for the Hessian.

Each family lives in one module of :mod:`optim.rules` (state, update, derive, formula, parameters and
registry entry side by side); :mod:`optim.optimizers` gathers them into the registry.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np

from .base import Param, Switch, run_value

__all__ = [
    "BETA",
    "BETA1",
    "BETA2",
    "EPS",
    "OTHER_ERRATA",
    "STATE_LABELS",
    "WEIGHT_DECAY",
    "Empty",
    "Optimizer",
    "lr_param",
]

# Errata in the notes that belong to no optimizer (the others are each entry's ``errata``).
OTHER_ERRATA = (
    "Note 004 writes Xavier initialisation as w_ij ~ U(−6/√(n_in + n_out), 6/√(n_in + n_out)); "
    "Glorot & Bengio (2010), and the note's own table, have U(−√(6/(n_in + n_out)), "
    "√(6/(n_in + n_out))).",
    "EECS 182 Note 2 (§1.2) says an η at which full-batch GD does not diverge can “generally” be "
    "expected not to diverge for SGD. On this app's own regression data (linear_regression, 60 "
    "points) batch-1 SGD at 0.8 × GD's limit 2/λ_max diverged in 16 of 20 seeds sampling with "
    "replacement and 4 of 20 reshuffling each epoch (1000 steps): one example's curvature "
    "x² + 1 reaches 9.94, three times λ_max = 3.32, so a step that is stable on average is not "
    "stable on that example (optim.experiments.sgd_at_gd_limit).",
)

# What each recorded quantity means, for tables, legends and the step inspector.
STATE_LABELS = {
    "m": "momentum / first moment (in the optimizer's own convention)",
    "v": "second moment / squared-gradient accumulator",
    "m_hat": "bias-corrected first moment",
    "v_hat": "bias-corrected second moment",
    "eff_lr": "effective per-coordinate step size",
    "lookahead": "point where the gradient was evaluated",
    "z": "Schedule-Free's base sequence z (y interpolates it with the average x)",
    "s": "newest curvature pair: s = w_k − w_{k−1}",
    "y": "newest curvature pair: y = ∇L(w_k) − ∇L(w_{k−1})",
    "h0": "initial inverse-Hessian scale sᵀy / yᵀy (per run)",
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
    lookahead_grad: bool = False  # lookahead(..., gradient=∇L on the step's batch): SAM's ascent
    lookahead_name: str = "look-ahead point"  # what a view calls the gradient's point
    needs_hessian: bool = False
    needs_loss: bool = False  # update(..., loss=f, gradient=∇f): for a line search
    records: Mapping[str, str] = field(default_factory=dict)  # record name -> state field
    derive: Callable[..., dict[str, np.ndarray]] | None = None
    family: str = "sgd"
    lr_scale: float = 1.0  # × the surface's η hint for its family (Lion's sign steps are larger)

    @property
    def short(self) -> str:
        """The name legends, labs and questions use: the title up to its parenthesis, so a
        selector's "Momentum (heavy ball)" is a legend's "Momentum".

        >>> from optim import OPTIMIZERS
        >>> [OPTIMIZERS[n].short for n in ("gd", "momentum", "nesterov", "lbfgs")]
        ['GD', 'Momentum', 'Nesterov', 'L-BFGS']
        """
        return self.title.split(" (")[0]

    @property
    def param_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.params) + tuple(s.name for s in self.switches)

    def defaults(self) -> dict[str, Any]:
        """Default hyperparameters, numeric and switches.

        >>> from optim import OPTIMIZERS
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


class Empty(NamedTuple):
    """No state (GD, Newton)."""


def lr_param(default: float, ui_low: float = 1e-4, ui_high: float = 10.0) -> Param:
    """The learning rate η, with a per-optimizer default and slider span."""
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


BETA = Param(
    "beta",
    "momentum β",
    0.9,
    low=0.0,
    high=1.0,
    high_open=True,
    ui_low=0.0,
    ui_high=0.999,
    help=(
        "How much of the past is kept: a larger β is more momentum (a longer memory). In EECS "
        "182's notation β weighs the NEW gradient: there a smaller β is more momentum."
    ),
    symbol="β",
)
EPS = Param(
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
BETA1 = Param(
    "beta1",
    "β₁",
    0.9,
    low=0.0,
    high=1.0,
    high_open=True,
    ui_low=0.0,
    ui_high=0.999,
    help="Decay of the first-moment EMA: a larger β₁ is more momentum (EECS 182's β = 1 − β₁).",
    symbol="β₁",
)
BETA2 = Param(
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
WEIGHT_DECAY = Param(
    "weight_decay",
    "weight decay λ",
    0.01,
    low=0.0,
    high=1e3,
    ui_low=0.0,
    ui_high=0.5,
    symbol="λ",
)
