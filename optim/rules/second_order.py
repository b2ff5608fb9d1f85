r"""Second-order references: Newton's method with the surface's exact Hessian."""

from __future__ import annotations

import numpy as np

from ..base import Param
from ..record import Optimizer, lr_param
from .plain import gd_init


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


NEWTON_FORMULA = r"w_{k+1} = w_k - \eta\,\big(\nabla^2 L(w_k) + \delta I\big)^{-1} \nabla L(w_k)"
DAMPING = Param(
    "damping",
    "damping δ",
    0.0,
    low=0.0,
    high=1e6,
    ui_high=10.0,
    help="Adds δI to the Hessian (Levenberg–Marquardt style).",
    symbol="δ",
)

ENTRIES = (
    Optimizer(
        "newton",
        "Newton's method (reference)",
        gd_init,
        newton_update,
        (lr_param(1.0, ui_high=2.0), DAMPING),
        {None: NEWTON_FORMULA},
        "Nocedal & Wright, Numerical Optimization, ch. 3",
        needs_hessian=True,
        family="second-order",
    ),
)
