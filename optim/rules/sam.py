r"""Sharpness-aware minimization (Foret et al. 2021): descend with the gradient of the worst
nearby point.

Each step takes two gradients: at ``w``, to find the ascent ``ε̂ = ρ ∇L(w)/‖∇L(w)‖`` (the first-order
worst point of the ball of radius ρ), then at ``w + ε̂``, which the base optimizer (SGD here) uses:

.. math:: w_{k+1} = w_k - \eta\, \nabla L\big(w_k + \rho\, \nabla L(w_k)/\lVert \nabla L(w_k) \rVert\big)

On a minibatch both gradients use the same examples (Foret et al.). A flat minimum's neighbourhood
is as low as its centre, a sharp one's is not: SAM prefers the flat. The engine records the ascent
point as the gradient's point (a view draws it).
"""

from __future__ import annotations

import numpy as np

from ..base import Param
from ..record import Empty, Optimizer, lr_param


def sam_init(params, hp) -> Empty:
    return Empty()


def sam_ascent(params, state, lr, hp, gradient):
    """``w + ρ g/‖g‖`` with ``g = ∇L(w)`` (``gradient``: the step's own batch); at a stationary
    point ``w`` itself."""
    g = gradient(params)
    norm = np.linalg.norm(g, axis=-1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        unit = np.where(norm > 0, g / norm, 0.0)
    return params + hp["rho"] * unit


def sam_update(g, state, params, lr, k, hp):
    r"""SAM with SGD as its base: ``w ← w − η∇L(w + ε̂)`` (``g`` is taken at the ascent point)."""
    return params - lr * g, state


RHO = Param(
    "rho",
    "neighbourhood radius ρ",
    0.05,
    low=0.0,
    high=1e3,
    ui_low=0.0,
    ui_high=2.0,
    help="How far SAM looks uphill before it steps: the radius of the ball whose worst point's "
    "gradient it descends (Foret et al.: 0.05 on image networks).",
    symbol="ρ",
)
FORMULA = (
    r"\begin{aligned} \hat\epsilon_k &= \rho\, \frac{\nabla L(w_k)}{\lVert \nabla L(w_k) "
    r"\rVert} \\ w_{k+1} &= w_k - \eta\, \nabla L(w_k + \hat\epsilon_k) \end{aligned}"
)

ENTRIES = (
    Optimizer(
        "sam",
        "SAM (sharpness-aware, SGD base)",
        sam_init,
        sam_update,
        (lr_param(0.1), RHO),
        {None: FORMULA},
        "Foret et al. (2021)",
        notes="Two gradients a step; the gradient's point drawn is the ascent point w + ε̂.",
        lookahead=sam_ascent,
        lookahead_grad=True,
        lookahead_name="ascent point",
        records={"lookahead": ""},
    ),
)
