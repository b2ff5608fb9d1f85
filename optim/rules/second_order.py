r"""Second-order methods: Newton's method with the surface's exact Hessian, and L-BFGS, which
builds a Newton-like step from the last m gradient differences (no Hessian)."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..base import Param, Switch
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
        "Newton (reference, exact Hessian)",
        gd_init,
        newton_update,
        (lr_param(1.0, ui_high=2.0), DAMPING),
        {None: NEWTON_FORMULA},
        "Nocedal & Wright, Numerical Optimization, ch. 3",
        needs_hessian=True,
        family="second-order",
    ),
)


# ---------------------------------------------------------------------------------------------------
# L-BFGS
TOL_GRAD = 1e-7  # torch.optim.LBFGS's tolerance_grad: no step once max |g| is below it
TOL_CHANGE = 1e-9  # its tolerance_change: no step along a direction with gᵀd > −TOL_CHANGE
ARMIJO_C = 1e-4  # sufficient decrease: L(w + t d) ≤ L(w) + c t gᵀd
ARMIJO_HALVINGS = 30


class LBFGSState(NamedTuple):
    S: np.ndarray  # (R, m, D) steps s_i, oldest first, the valid ones right-aligned
    Y: np.ndarray  # (R, m, D) gradient changes y_i
    rho: np.ndarray  # (R, m) 1 / (y_iᵀ s_i)
    count: np.ndarray  # (R,) how many pairs are stored
    d: np.ndarray  # (R, D) the last direction
    t: np.ndarray  # (R, 1) the last step length
    prev_g: np.ndarray  # (R, D) the gradient at the last step
    n_iter: np.ndarray  # (R,) iterations done (torch's state["n_iter"])
    s: np.ndarray  # (R, D) the newest pair, for the views
    y: np.ndarray  # (R, D)
    h0: np.ndarray  # (R, D) the initial inverse-Hessian scale sᵀy / yᵀy, broadcast


def lbfgs_init(params, hp) -> LBFGSState:
    r, d = params.shape
    m = int(hp["history"])
    z = np.zeros_like(params)
    return LBFGSState(
        np.zeros((r, m, d)),
        np.zeros((r, m, d)),
        np.zeros((r, m)),
        np.zeros(r, dtype=int),
        z.copy(),
        np.zeros((r, 1)),
        z.copy(),
        np.zeros(r, dtype=int),
        z.copy(),
        z.copy(),
        np.ones_like(params),
    )


def two_loop(g, S, Y, rho, count, h0):
    """L-BFGS's two-loop recursion, vectorized over runs: ``−H g`` from the stored pairs (oldest
    first, the valid ones right-aligned), with ``H₀ = h0 · I``. The order of operations is
    ``torch.optim.LBFGS``'s, so the float64 results agree to round-off."""
    m = S.shape[1]
    q = -g
    al = np.zeros(rho.shape)
    for i in range(m - 1, -1, -1):
        valid = i >= m - count
        a = np.where(valid, rho[:, i] * np.sum(S[:, i] * q, axis=1), 0.0)
        al[:, i] = a
        q = q - a[:, None] * Y[:, i]
    r = q * h0
    for i in range(m):
        valid = i >= m - count
        be = rho[:, i] * np.sum(Y[:, i] * r, axis=1)
        r = r + np.where(valid, al[:, i] - be, 0.0)[:, None] * S[:, i]
    return r


def lbfgs_update(g, state, params, lr, k, hp, loss=None, gradient=None):
    r"""L-BFGS (Nocedal 1980; Nocedal & Wright Alg. 7.4 and 7.5), as ``torch.optim.LBFGS``.

    One engine step is one ``optimizer.step(closure)`` of ``torch.optim.LBFGS(params, lr=η,
    max_iter=1, history_size=m, line_search_fn=None)`` with its default tolerances
    (``tolerance_grad = 1e-7``, ``tolerance_change = 1e-9``), in float64:

    * from the second step on, the pair ``s = t d`` (the last step), ``y = g − g_prev`` is stored
      when ``yᵀs > 1e-10`` (the oldest is dropped beyond ``m``), and ``H₀ = (yᵀs / yᵀy) I``;
    * the direction is ``d = −H g`` by the two-loop recursion (``d = −g`` at the first step);
    * the step length is ``t = η · min(1, 1/‖g‖₁)`` at the first step, then ``t = η``;
    * no step when ``max |g| ≤ 1e-7`` (the state is kept), or when ``gᵀd > −1e-9`` (the state is
      updated, the point is not).

    ``line_search="armijo"`` (ours; torch offers only strong Wolfe) halves ``t`` from η until
    ``L(w + t d) ≤ L(w) + 10⁻⁴ t gᵀd`` (at most 30 times). ``line_search="secant"`` takes
    ``t = η · (−gᵀd) / dᵀ(∇L(w + d) − ∇L(w))`` from one extra gradient: the exact minimizer along
    ``d`` on a quadratic, where L-BFGS then ends on the minimum of a 2-D bowl in two steps from
    anywhere (conjugate directions); elsewhere, or if the curvature along ``d`` is not positive,
    ``t = η``. On a quadratic the secant pairs are exact curvature (``y = H s``), which is what lets
    L-BFGS approach Newton's step without a Hessian.
    """
    R = params.shape[0]
    m = state.S.shape[1]
    lr_col = np.asarray(lr, dtype=float)
    lr_col = np.full((R, 1), float(lr_col)) if lr_col.ndim == 0 else lr_col[:, :1]
    active = np.max(np.abs(g), axis=1) > TOL_GRAD
    first = state.n_iter == 0

    S, Y, rho, count = state.S.copy(), state.Y.copy(), state.rho.copy(), state.count.copy()
    h0, s_new, y_new = state.h0.copy(), state.s.copy(), state.y.copy()
    y = g - state.prev_g
    s = state.d * state.t
    ys = np.sum(y * s, axis=1)
    add = active & ~first & (ys > 1e-10)
    if add.any():
        S[add] = np.roll(S[add], -1, axis=1)
        Y[add] = np.roll(Y[add], -1, axis=1)
        rho[add] = np.roll(rho[add], -1, axis=1)
        S[add, -1], Y[add, -1], rho[add, -1] = s[add], y[add], 1.0 / ys[add]
        count[add] = np.minimum(count[add] + 1, m)
        h0[add] = (ys[add] / np.sum(y[add] * y[add], axis=1))[:, None]
        s_new[add], y_new[add] = s[add], y[add]
    d = np.where(first[:, None], -g, two_loop(g, S, Y, rho, count, h0))
    t = np.where(first[:, None], np.minimum(1.0, 1.0 / np.sum(np.abs(g), axis=1))[:, None], 1.0)
    t = t * lr_col
    gtd = np.sum(g * d, axis=1)
    step = active & (gtd <= -TOL_CHANGE)
    if hp.get("line_search") == "armijo" and loss is not None and step.any():
        f0 = np.asarray(loss(params), dtype=float)
        t = lr_col.copy()
        todo = step.copy()
        for _ in range(ARMIJO_HALVINGS):
            f1 = np.asarray(loss(params + t * d), dtype=float)
            ok = np.isfinite(f1) & (f1 <= f0 + ARMIJO_C * t[:, 0] * gtd)
            todo &= ~ok
            if not todo.any():
                break
            t = np.where(todo[:, None], 0.5 * t, t)
    if hp.get("line_search") == "secant" and gradient is not None and step.any():
        curv = np.sum(d * (np.asarray(gradient(params + d), dtype=float) - g), axis=1)
        exact = np.where(curv > 0, -gtd / np.where(curv > 0, curv, 1.0), 1.0)
        t = lr_col * np.where(np.isfinite(exact), exact, 1.0)[:, None]
    new_params = np.where(step[:, None], params + t * d, params)

    keep = ~active[:, None]  # torch returned before touching its state
    new_state = LBFGSState(
        np.where(keep[:, :, None], state.S, S),
        np.where(keep[:, :, None], state.Y, Y),
        np.where(keep, state.rho, rho),
        np.where(active, count, state.count),
        np.where(keep, state.d, d),
        np.where(keep, state.t, t),
        np.where(keep, state.prev_g, g),
        state.n_iter + active,
        np.where(keep, state.s, s_new),
        np.where(keep, state.y, y_new),
        np.where(keep, state.h0, h0),
    )
    return new_params, new_state


LBFGS_FORMULA = (
    r"\begin{aligned} s_i &= w_{i+1} - w_i,\quad y_i = \nabla L(w_{i+1}) - \nabla L(w_i)"
    r"\quad (\text{the last } m) \\ d_k &= -H_k \nabla L(w_k),\quad H_k^0 = "
    r"\tfrac{s^\top y}{y^\top y} I \text{ (two-loop recursion)} \\ w_{k+1} &= w_k + t_k d_k,"
    r"\quad t_0 = \eta \min(1, 1/\lVert g_0\rVert_1),\ t_k = \eta \text{ (or Armijo)} \end{aligned}"
)
HISTORY = Switch(
    "history",
    "history size m",
    10,
    (1, 2, 3, 5, 10, 20, 50, 100),
    help="How many curvature pairs (s, y) are kept (torch's history_size; its default is 100).",
)
LINE_SEARCH = Switch(
    "line_search",
    "line search",
    "none",
    ("none", "armijo", "secant"),
    help="none: t = η, as torch.optim.LBFGS(line_search_fn=None); armijo: halve t from η until "
    "the loss drops enough; secant: the step that is exact on a quadratic, from one extra "
    "gradient.",
    labels={
        "none": "none (t = η)",
        "armijo": "backtracking (Armijo)",
        "secant": "secant (exact on a quadratic)",
    },
)

ENTRIES += (
    Optimizer(
        "lbfgs",
        "L-BFGS (quasi-Newton)",
        lbfgs_init,
        lbfgs_update,
        (lr_param(1.0, ui_high=2.0),),
        {None: LBFGS_FORMULA},
        "Nocedal (1980); Nocedal & Wright Alg. 7.4–7.5; torch.optim.LBFGS(max_iter=1); EECS note 004",
        switches=(HISTORY, LINE_SEARCH),
        notes="Note 004: “Don't use GD for full-size batch. Use L-BFGS.” A Newton-like step from "
        "the last m gradient differences, with no Hessian.",
        needs_loss=True,
        records={"s": "s", "y": "y", "h0": "h0"},
        family="second-order",
    ),
)
