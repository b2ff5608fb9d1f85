r"""Muon (Jordan et al. 2024; ``torch.optim.Muon``): momentum, orthogonalized, for weight matrices.

For a weight matrix ``W`` (torch's shape ``A × B``, fan-out × fan-in) with gradient ``G``:

.. math:: B_t = \mu B_{t-1} + (1-\mu) G_t,\quad \tilde B_t = (1-\mu) G_t + \mu B_t
          \ \text{(Nesterov)},\quad O_t = \mathrm{NS}_5(\tilde B_t),\quad
          W_t = (1 - \eta\lambda) W_{t-1} - \eta \sqrt{\max(1, A/B)}\; O_t

``NS₅`` is five steps of the quintic Newton–Schulz iteration ``X ← aX + (bXXᵀ + c(XXᵀ)²)X`` with
``(a, b, c) = (3.4445, −4.7750, 2.0315)``, started from ``X = B̃/‖B̃‖_F``: it maps every singular
value ``σ`` of ``B̃/‖B̃‖_F`` to ``p₅(σ)`` (``p`` the quintic, composed five times) and keeps the
singular vectors, so ``O = U p₅(Σ) Vᵀ``, near the polar factor ``UVᵀ`` (``p₅(σ) ∈ [0.68, 1.13]``
for ``σ ∈ [0.1, 1]``; it is not meant to converge to 1). The momentum is an EMA, as PyTorch's code
has it (``buf.lerp_(grad, 1 − μ)``; its docstring writes ``B_t = μB_{t−1} + g_t``, which differs
only in scale, and the orthogonalization removes scale). ``torch.optim.Muon`` iterates in bfloat16;
this engine in float64.

On a vector (the 2-D surfaces: one ``1 × D`` matrix) Muon is normalized Nesterov momentum: every
step has length ``η·p₅(1) = 0.70η`` (five quintic steps from 1), whatever the gradient's size.
:func:`hybrid` makes the network form: Muon on the hidden layers' weight matrices, AdamW on biases,
batch-norm scales and the output layer (as Jordan et al. and ``torch.optim.Muon``'s docs advise).
"""

from __future__ import annotations

import dataclasses
import math
from typing import NamedTuple

import numpy as np

from ..base import Param, Switch
from ..record import BETA2, EPS, WEIGHT_DECAY, Optimizer, lr_param

NS_COEFFICIENTS = (3.4445, -4.7750, 2.0315)  # torch.optim._muon.DEFAULT_A, _B, _C
NS_STEPS = 5
NS_EPS = 1e-7


def newton_schulz(G: np.ndarray, steps: int = NS_STEPS, eps: float = NS_EPS) -> np.ndarray:
    """``NS₅`` of a stack of matrices ``G (R, m, n)``, as ``torch.optim.Muon`` computes it (in
    float64): transposed to wide, divided by its Frobenius norm (at least ``eps``), five quintic
    steps, transposed back.

    >>> G = np.random.default_rng(0).standard_normal((1, 4, 3))
    >>> U, s, Vt = np.linalg.svd(G[0], full_matrices=False)
    >>> x = s / np.linalg.norm(G[0])
    >>> for _ in range(5):
    ...     x = 3.4445 * x - 4.7750 * x**3 + 2.0315 * x**5
    >>> bool(np.allclose(newton_schulz(G)[0], U @ np.diag(x) @ Vt, rtol=0, atol=1e-12))
    True
    """
    a, b, c = NS_COEFFICIENTS
    tall = G.shape[-2] > G.shape[-1]
    X = np.swapaxes(G, -1, -2) if tall else G
    norm = np.linalg.norm(X, axis=(-2, -1), keepdims=True)
    X = X / np.maximum(norm, eps)
    for _ in range(steps):
        A = X @ np.swapaxes(X, -1, -2)
        X = a * X + (b * A + c * A @ A) @ X
    return np.swapaxes(X, -1, -2) if tall else X


def vector_factor(steps: int = NS_STEPS) -> float:
    """``p₅(1)``: the length of Muon's update on a vector (a one-row matrix) of any size."""
    a, b, c = NS_COEFFICIENTS
    x = 1.0
    for _ in range(steps):
        x = a * x + b * x**3 + c * x**5
    return x


class MuonState(NamedTuple):
    buf: np.ndarray  # (R, D) momentum (an EMA of gradients)


def muon_init(params, hp) -> MuonState:
    return MuonState(np.zeros_like(params))


def _direction(g, buf, hp):
    """The new buffer and the Nesterov (or plain) buffer to orthogonalize."""
    mu = hp["beta"]
    buf = mu * buf + (1.0 - mu) * g
    return buf, ((1.0 - mu) * g + mu * buf) if hp["nesterov"] else buf


def muon_update(g, state, params, lr, k, hp):
    r"""Muon on each run's whole vector as one ``1 × D`` matrix: normalized Nesterov momentum
    (see the module): ``w ← (1 − ηλ)w − η·NS₅(B̃)``."""
    buf, d = _direction(g, state.buf, hp)
    O = newton_schulz(d[:, None, :])[:, 0, :]
    return (1.0 - lr * hp["weight_decay"]) * params - lr * O, MuonState(buf)


class HybridState(NamedTuple):
    buf: np.ndarray  # (R, P) Muon's momentum (on the matrices' coordinates)
    m: np.ndarray  # (R, P) AdamW's moments (on the other coordinates)
    v: np.ndarray


def hybrid(matrices: tuple[tuple[int, int, int], ...]) -> Optimizer:
    """The network form of Muon: Muon on each ``(offset, rows, cols)`` block of the flat parameter
    vector (a layer's ``W``, stored ``n_in × n_out`` row-major: torch's ``A × B`` is its transpose,
    ``A = n_out``, ``B = n_in``), AdamW (its own ``adam_lr``, β₁ = 0.9, ``beta2``, ``eps``, the same
    decoupled weight decay) on every other coordinate."""
    mask_cache: dict[int, np.ndarray] = {}

    def on_matrices(dim: int) -> np.ndarray:
        if dim not in mask_cache:
            m = np.zeros(dim, dtype=bool)
            for at, r, c in matrices:
                m[at : at + r * c] = True
            mask_cache[dim] = m
        return mask_cache[dim]

    def init(params, hp) -> HybridState:
        z = np.zeros_like(params)
        return HybridState(z, z.copy(), z.copy())

    def update(g, state, params, lr, k, hp):
        buf, d = _direction(g, state.buf, hp)
        new = (1.0 - lr * hp["weight_decay"]) * params
        for at, r, c in matrices:  # Muon, matrix by matrix
            block = slice(at, at + r * c)
            O = newton_schulz(d[:, block].reshape(-1, r, c)).reshape(len(g), -1)
            scale = math.sqrt(max(1.0, c / r))  # √max(1, A/B), A = n_out = c, B = n_in = r
            new[:, block] -= (lr[:, block] if np.ndim(lr) == 2 else lr) * scale * O
        rest = ~on_matrices(g.shape[1])
        b1, b2, eps, alr = 0.9, hp["beta2"], hp["eps"], hp["adam_lr"]
        m = b1 * state.m + (1 - b1) * g
        v = b2 * state.v + (1 - b2) * g * g
        t = k + 1
        step = alr * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps)
        adam = (1.0 - alr * hp["weight_decay"]) * params - step
        new[:, rest] = adam[:, rest]
        return new, HybridState(buf, m, v)

    entry = ENTRIES[0]
    return dataclasses.replace(
        entry,
        title="Muon (hidden matrices; AdamW on the rest)",
        init=init,
        update=update,
        params=(*entry.params, ADAM_LR, BETA2, EPS),
        records={"m": "buf"},
    )


MOMENTUM = Param(
    "beta",
    "momentum μ",
    0.95,
    low=0.0,
    high=1.0,
    high_open=True,
    ui_low=0.0,
    ui_high=0.99,
    help="Muon's momentum (torch.optim.Muon's default 0.95): a larger μ is more momentum.",
    symbol="μ",
)
ADAM_LR = Param(
    "adam_lr",
    "AdamW's η (biases, output layer)",
    0.01,
    low=0.0,
    high=10.0,
    low_open=True,
    ui_low=1e-4,
    ui_high=1.0,
    log=True,
    symbol="η_AdamW",
    legend_if_default=False,
)
NESTEROV = Switch(
    "nesterov",
    "Nesterov",
    True,
    (True, False),
    help="Orthogonalize (1 − μ)G + μB, the look-ahead form (torch.optim.Muon's default), or B.",
)
FORMULA = (
    r"\begin{aligned} B_t &= \mu B_{t-1} + (1-\mu) G_t,\quad \tilde B_t = (1-\mu) G_t + \mu B_t "
    r"\\ O_t &= \mathrm{NS}_5\big(\tilde B_t / \lVert \tilde B_t \rVert_F\big) \\ W_t &= "
    r"(1 - \eta\lambda) W_{t-1} - \eta \sqrt{\max(1, A/B)}\, O_t \end{aligned}"
)

ENTRIES = (
    Optimizer(
        "muon",
        "Muon (orthogonalized momentum)",
        muon_init,
        muon_update,
        (
            lr_param(0.02, ui_high=1.0),
            MOMENTUM,
            dataclasses.replace(WEIGHT_DECAY, default=0.0, legend_if_default=False),
        ),
        {None: FORMULA},
        "Jordan et al. (2024); torch.optim.Muon",
        switches=(NESTEROV,),
        notes="On a vector Muon is normalized Nesterov momentum: every step is 0.70η long "
        "(p₅(1)); its point is on weight matrices (the Network lab).",
        records={"m": "buf"},
        family="adaptive",
        lr_scale=0.2,  # a fixed step length, like Lion's sign steps
    ),
)
