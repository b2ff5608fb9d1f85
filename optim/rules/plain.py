r"""Gradient descent, and SGD: the same rule fed a minibatch or noisy gradient."""

from __future__ import annotations

from ..record import Empty, Optimizer, lr_param


def gd_init(params, hp) -> Empty:
    return Empty()


def gd_update(g, state, params, lr, k, hp):
    r"""Gradient descent, ``w_{k+1} = w_k − η_k g_k``.

    With full gradients this is GD (EECS 182 eq. 2); with minibatch or noisy gradients it is SGD
    (Goodfellow Alg. 8.1). The optimizer is the same: only where ``g`` comes from changes.
    """
    return params - lr * g, state


ERRATA = (
    "Note 004 (Gradient Descent IV) says γ ≥ 2γ_opt diverges; at γ = 2γ_opt (η = 1/σ² on the "
    "scalar problem, 2/λ on a quadratic) GD neither converges nor diverges: it bounces between "
    "two points forever (period 2). It diverges for γ > 2γ_opt.",
    "Note 004 (Gradient Descent IV) calls γ > γ_opt “a good setting” without its bound: it "
    "converges only for γ_opt < γ < 2γ_opt (oscillating in, each overshoot smaller), and at "
    "γ ≥ 2γ_opt it does not.",
)
GD_FORMULA = r"\begin{aligned} g_k &= \nabla L(w_k) \\ w_{k+1} &= w_k - \eta_k\, g_k \end{aligned}"


ENTRIES = (
    Optimizer(
        "gd",
        "GD (gradient descent; SGD on minibatches)",
        gd_init,
        gd_update,
        (lr_param(0.1),),
        {None: GD_FORMULA},
        "EECS 182 eq. (2); Goodfellow Alg. 8.1 (SGD)",
        notes="GD and SGD are the same rule: SGD feeds it a minibatch (or noisy) gradient.",
        errata=ERRATA,
    ),
)
