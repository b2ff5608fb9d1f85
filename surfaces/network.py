"""Small neural networks as loss surfaces: the 2-D lessons in a few hundred dimensions.

A :class:`Network` is a multilayer perceptron (e.g. 2 → 16 → 16 → 1, tanh or ReLU) on 2-D data
generated here in NumPy (two moons, circles, a spiral; fixed seeds), with the square loss
``L(w) = 1/(2N) Σ_n (f_w(x_n) − y_n)²`` on labels ``y = ±1``. It keeps the engine's contract:
``f(w)`` and ``grad(w)`` take ``w`` of shape ``(R, P)`` (``R`` runs of ``P`` parameters) and return
``(R,)`` and ``(R, P)``; ``f_batch``/``grad_batch`` take example indices for minibatches. Backprop
is analytic and vectorized over runs; :meth:`Network.hvp` gives exact Hessian-vector products
(forward over reverse), and :func:`sharpness` the top Hessian eigenvalue by Lanczos on them.

Batch normalization (Ioffe & Szegedy 2015), as a layer: with ``batchnorm=True`` each hidden layer
computes ``z = aW``, normalizes it over the examples of the batch the loss sees,
``ẑ = (z − μ)/√(σ² + ε)``, then scales and shifts it with learnable ``γ`` and ``β`` (its bias is β:
a bias before the normalization would cancel). The loss is then blind to each hidden ``W``'s scale
(up to ε): ``L(cW) = L(W)``, so its gradient is orthogonal to ``W`` and its curvature along ``W``'s
directions falls like ``1/c²``. New points are evaluated with the training data's ``μ`` and ``σ``.

Initialization (note 004 and the usual practice; biases start at zero):

* ``xavier_uniform``: ``U(−a, a)``, ``a = √6/√(n_in + n_out)`` (Glorot & Bengio 2010);
* ``xavier_normal``: ``N(0, 2/(n_in + n_out))``;
* ``he_uniform``: ``U(−a, a)``, ``a = √6/√n_in``; ``he_normal``: ``N(0, 2/n_in)`` (He et al. 2015);
* ``note004``: note 004's printed bound ``6/√(n_in + n_out)``, √6 ≈ 2.45× too wide (its erratum);
* ``too_large`` and ``too_small``: Xavier uniform × 4 and × 0.05 (saturated tanh units, and a
  signal that dies away through the layers);
* note 004's heuristics table: ``fan_in_uniform``, ``U(−1/√n_in, 1/√n_in)`` (its first line);
  the sigmoid row, ``sigmoid_uniform`` ``r = 4√(6/(n_in + n_out))`` and ``sigmoid_normal``
  ``σ = 4√(2/(n_in + n_out))``; the ReLU row, ``relu_uniform`` ``r = √2·√(6/(n_in + n_out))`` and
  ``relu_normal`` ``σ = √2·√(2/(n_in + n_out))`` (its tanh row is Xavier's).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, NamedTuple

import numpy as np

__all__ = [
    "ACTIVATIONS",
    "CURVES",
    "DATASETS",
    "EOS_PRESET",
    "INITS",
    "Elbows",
    "Network",
    "elbows",
    "lanczos_top",
    "make_data",
    "network",
    "regression",
    "shared_plane",
    "sharpness",
]

DATASETS = {"moons": "two moons", "circles": "circles", "spiral": "two spirals"}
# The edge of stability at the Network lab's defaults: GD's sharpness starts below 2/η, rises
# to it and stays near it while the loss keeps falling, going up at many steps. The figures are
# measured, never written here: docs/design.md's sentence is held to the run by tests/library/test_network.py.
EOS_PRESET = {
    "network": {"dataset": "circles", "width": 16, "depth": 2, "activation": "tanh"},
    "init": "xavier_uniform",
    "seed": 0,
    "lr": 0.5,
    "steps": 600,
}
ACTIVATIONS = {"tanh": "tanh", "relu": "ReLU"}
# 1-D targets on [−1, 1] for the sum-of-elbows view (note 001: a ReLU network is piecewise linear)
CURVES = {
    "sine": ("sin(πx)", lambda x: np.sin(np.pi * x)),
    "parabola": ("2x² − 1", lambda x: 2 * x * x - 1),
    "step": ("tanh(6x), almost a step", lambda x: np.tanh(6 * x)),
    "zigzag": (
        "a zigzag, 1 − 4·|x − ½| clipped",
        lambda x: np.clip(1 - 4 * np.abs(np.abs(x) - 0.5), -1, 1),
    ),
}
INITS = {
    "xavier_uniform": "Xavier/Glorot uniform",
    "xavier_normal": "Xavier/Glorot normal",
    "he_uniform": "He uniform",
    "he_normal": "He normal",
    "note004": "note 004's bound 6/√(n_in+n_out) (erratum: √6)",
    "too_large": "too large (Xavier × 4)",
    "too_small": "too small (Xavier × 0.05)",
    "fan_in_uniform": "U(±1/√n_in) (note 004)",
    "sigmoid_uniform": "note 004's sigmoid row: uniform, 4 × Xavier",
    "sigmoid_normal": "note 004's sigmoid row: normal, 4 × Xavier",
    "relu_uniform": "note 004's ReLU row: uniform, √2 × Xavier",
    "relu_normal": "note 004's ReLU row: normal, √2 × Xavier",
}
# note 004's table scales Xavier's variance 2/(n_in + n_out) by the square of its row's factor
ROW_GAIN = {"sigmoid": 4.0, "relu": math.sqrt(2.0)}


def make_data(name: str, n: int = 200, noise: float = 0.1, seed: int = 0):
    """``(X (n, 2), y (n,) in {−1, +1})`` for ``"moons"``, ``"circles"`` or ``"spiral"``.

    >>> X, y = make_data("moons", 10)
    >>> X.shape, sorted(set(y.tolist()))
    ((10, 2), [-1.0, 1.0])
    """
    if name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; choose from {', '.join(DATASETS)}.")
    rng = np.random.default_rng(seed)
    half = n // 2
    y = np.concatenate([-np.ones(half), np.ones(n - half)])
    if name == "moons":
        t = rng.uniform(0, np.pi, n)
        X = np.where(
            (y > 0)[:, None],
            np.stack([1 - np.cos(t), 0.5 - np.sin(t)], -1),
            np.stack([np.cos(t), np.sin(t)], -1),
        )
        X = X - np.array([0.5, 0.25])
    elif name == "circles":
        t = rng.uniform(0, 2 * np.pi, n)
        r = np.where(y > 0, 0.5, 1.0)
        X = r[:, None] * np.stack([np.cos(t), np.sin(t)], -1)
    else:
        t = np.sqrt(rng.uniform(0.05, 1.0, n)) * 2.5 * np.pi
        sign = np.where(y > 0, 1.0, -1.0)
        X = sign[:, None] * np.stack([t * np.cos(t), t * np.sin(t)], -1) / (2.5 * np.pi)
    X = X + noise * rng.standard_normal(X.shape)
    return X, y


@dataclass(frozen=True, eq=False)
class Network:
    """An MLP's square loss on a fixed dataset, as a surface over its ``dim`` parameters.

    Parameters are one flat vector per run: for each layer its weights ``(n_in, n_out)`` row-major,
    then its biases. ``bound`` is where a run counts as diverged.
    """

    name: str
    title: str
    X: np.ndarray
    y: np.ndarray
    widths: tuple[int, ...] = (2, 16, 16, 1)
    activation: str = "tanh"
    bound: float = 1e4
    f_min: float | None = None
    minima: tuple = ()
    kind: str = "network"
    params: dict = field(default_factory=dict)
    batchnorm: bool = False  # batch normalization after each hidden layer's weights
    bn_eps: float = 1e-5  # PyTorch's BatchNorm1d default

    # -- shapes -----------------------------------------------------------------------------------
    @cached_property
    def layers(self) -> list[tuple[int, int]]:
        return list(zip(self.widths[:-1], self.widths[1:]))

    @cached_property
    def dim(self) -> int:
        bn = sum(o for _, o in self.layers[:-1]) if self.batchnorm else 0
        return sum(i * o + o for i, o in self.layers) + bn

    @property
    def n_data(self) -> int:
        return len(self.y)

    def matrix_blocks(self, output: bool = False) -> tuple[tuple[int, int, int], ...]:
        """Each weight matrix's place in the flat vector, ``(offset, n_in, n_out)``: the hidden
        layers' (Muon's), and the output layer's too with ``output``."""
        out, at, last = [], 0, len(self.layers) - 1
        for li, (i, o) in enumerate(self.layers):
            if li < last or output:
                out.append((at, i, o))
            at += i * o + o + (o if self.batchnorm and li < last else 0)
        return tuple(out)

    def unpack(self, w: np.ndarray) -> list[tuple[np.ndarray, np.ndarray, np.ndarray | None]]:
        """``w (R, P)`` → per layer ``(W (R, n_in, n_out), b (R, n_out), γ)`` (views, no copies).

        With batch norm a hidden layer's ``b`` is its shift β and ``γ (R, n_out)`` its scale, stored
        after it (the bias before a batch norm would cancel); otherwise ``γ`` is None."""
        out, at, last = [], 0, len(self.layers) - 1
        for li, (i, o) in enumerate(self.layers):
            W = w[:, at : at + i * o].reshape(-1, i, o)
            at += i * o
            b = w[:, at : at + o]
            at += o
            g = None
            if self.batchnorm and li < last:
                g = w[:, at : at + o]
                at += o
            out.append((W, b, g))
        return out

    # -- initialization ---------------------------------------------------------------------------
    def init(self, scheme: str = "xavier_uniform", seed: int = 0) -> np.ndarray:
        """One parameter vector ``(P,)`` drawn with ``scheme`` (see the module's docstring)."""
        if scheme not in INITS:
            raise ValueError(f"unknown initialization {scheme!r}; choose from {', '.join(INITS)}.")
        rng = np.random.default_rng(seed)
        parts, last = [], len(self.layers) - 1
        for li, (i, o) in enumerate(self.layers):
            if scheme in ("he_uniform", "he_normal"):
                var = 2.0 / i
            elif scheme == "fan_in_uniform":
                var = 1.0 / (3 * i)  # U(±1/√n_in): variance (1/√n_in)²/3
            else:
                var = 2.0 / (i + o) * ROW_GAIN.get(scheme.split("_")[0], 1.0) ** 2
            if scheme.endswith("normal"):
                W = rng.normal(0.0, math.sqrt(var), (i, o))
            else:
                a = math.sqrt(3 * var)  # U(−a, a) has variance a²/3
                if scheme == "note004":
                    a = 6 / math.sqrt(i + o)
                W = rng.uniform(-a, a, (i, o))
                if scheme == "too_large":
                    W *= 4.0
                elif scheme == "too_small":
                    W *= 0.05
            parts += [W.ravel(), np.zeros(o)]
            if self.batchnorm and li < last:
                parts.append(np.ones(o))  # γ = 1, β = 0: the layer starts as plain normalization
        return np.concatenate(parts)

    # -- forward and backward ---------------------------------------------------------------------
    def _act(self, z):
        if self.activation == "tanh":
            if np.iscomplexobj(z):  # a complex step (hvp_complex): tanh(a + ib) to first order in
                t = np.tanh(z.real)  # b ~ 1e-20, exact to rounding, ~19× cheaper than complex tanh
                return t + 1j * (z.imag * (1.0 - t * t))
            return np.tanh(z)
        return np.where(z.real > 0, z, 0.0)  # max(z, 0), and a complex step through it (hvp)

    def _dact(self, z, a):
        return 1.0 - a * a if self.activation == "tanh" else (z.real > 0).astype(float)

    def _forward(self, w: np.ndarray, X: np.ndarray, stats: list | None = None):
        """Layer by layer; ``cache[l] = (h, a, ẑ, s, μ)``: pre-activation, activation and, with batch
        norm, the normalized ``ẑ = (z − μ)/s`` with ``s = √(σ² + ε)`` over the examples (the batch
        the loss sees; ``stats``, another pass's ``(μ, s)`` per layer, to evaluate new points)."""
        w = np.atleast_2d(np.asarray(w))
        w = w if np.iscomplexobj(w) else w.astype(float, copy=False)
        a = np.broadcast_to(X, (w.shape[0], *X.shape))
        cache: list[tuple] = [(None, a, None, None, None)]
        layers = self.unpack(w)
        last = len(layers) - 1
        for li, (W, b, g) in enumerate(layers):
            z = a @ W  # batched matmul: far faster than einsum at these sizes
            zh = s = mu = None
            if g is not None:
                if stats is None:  # sums over the batch / n: numpy's mean costs more at this size
                    n = z.shape[1]
                    mu = z.sum(axis=1, keepdims=True) / n
                    zc = z - mu
                    s = np.sqrt((zc * zc).sum(axis=1, keepdims=True) / n + self.bn_eps)
                else:
                    mu, s = stats[li]
                    zc = z - mu
                zh = zc / s
                h = g[:, None, :] * zh + b[:, None, :]
            else:
                h = z + b[:, None, :]
            a = h if li == last else self._act(h)
            cache.append((h, a, zh, s, mu))
        return layers, cache

    def pre_activations(self, w: Any, X: Any = None) -> list[np.ndarray]:
        """Each hidden layer's pre-activations (``Wa + b``, or ``γẑ + β`` with batch norm) at ``X``
        (the data if None), ``(R, N, width)``: how far the points lie from a ReLU's kink."""
        return [h for h, *_ in self._cache_at(w, X)[1:-1]]

    def _cache_at(self, w: Any, X: Any = None) -> list:
        """A forward pass at ``X``; with batch norm, normalized by the training data's statistics
        (what full-batch training used: the evaluation mode of a trained batch-norm network)."""
        w = np.atleast_2d(np.asarray(w, dtype=float))
        stats = None
        if X is None or X is self.X or self.batchnorm:  # the training data's pass (its statistics)
            _, cache = self._forward(w, self.X)
            if X is None or X is self.X:  # the data itself (accuracy): that pass is the answer
                return cache
            stats = [(mu, s) for *_, s, mu in cache[1:]]
        _, cache = self._forward(w, np.asarray(X, dtype=float), stats)
        return cache

    def predict(self, w: Any, X: Any) -> np.ndarray:
        """The network's outputs ``(R, M)`` at points ``X (M, d)`` (batch norm: the training
        data's statistics)."""
        with np.errstate(all="ignore"):
            return self._cache_at(w, X)[-1][1][..., 0]

    def _loss_grad(self, w: np.ndarray, idx=None, grad: bool = True):
        X, y = (self.X, self.y) if idx is None else (self.X[idx], self.y[idx])
        layers, cache = self._forward(w, X)
        r = cache[-1][1][..., 0] - y  # (R, N) residuals
        loss = 0.5 * np.mean(r * r, axis=1)
        if not grad:
            return loss, None
        n = len(y)
        delta = (r / n)[..., None]  # dL/dh of the output layer, (R, N, 1)
        parts: list[np.ndarray] = []
        for li in range(len(layers) - 1, -1, -1):
            W, _, g = layers[li]
            a_prev = cache[li][1]
            if g is not None:  # batch norm: through ẑ = (z − μ)/s, whose μ and s depend on z
                _, _, zh, s, _ = cache[li + 1]
                dg = (delta * zh).sum(axis=1)  # γ
                db = delta.sum(axis=1)  # β
                parts += [dg, db]
                # ∂L/∂ẑ = δγ, and its batch means mean(δγ) = γ·β̄ and mean(δγẑ) = γ·γ̄ (bars: the
                # two gradients just taken, over n): no more passes over the batch
                m = delta.shape[1]
                gs = g[:, None, :] / s
                dz = gs * (delta - (db[:, None, :] + zh * dg[:, None, :]) / m)
            else:
                parts.append(delta.sum(axis=1))  # biases
                dz = delta
            parts.append((a_prev.transpose(0, 2, 1) @ dz).reshape(len(w), -1))
            if li:
                h, a, *_ = cache[li]
                delta = (dz @ W.transpose(0, 2, 1)) * self._dact(h, a)
        return loss, np.concatenate(parts[::-1], axis=1)

    def f(self, w: Any) -> np.ndarray:
        """Full-batch loss ``(R,)`` of ``w (R, P)`` (or ``(P,)`` → a scalar array), a block of
        :meth:`rows` networks per forward pass: a loss grid (the lab's plane: 1296 networks) keeps
        its temporaries in cache and its memory bounded (one pass over all of them at once cost
        0.225 s of CPU in a fresh process, by blocks 0.09 s, the same losses)."""
        w = np.asarray(w, dtype=float)
        flat, r = w.reshape(-1, self.dim), self.rows()
        with np.errstate(all="ignore"):
            parts = [
                self._loss_grad(flat[i : i + r], grad=False)[0] for i in range(0, len(flat), r)
            ]
        return np.concatenate(parts or [np.empty(0)]).reshape(w.shape[:-1])

    def rows(self, budget: int = 2**21) -> int:
        """How many networks one forward pass over the data takes so that a layer's activations
        stay within ``budget`` bytes (2 MB: a cache's worth)."""
        return max(1, budget // (8 * self.n_data * max(self.widths)))

    def grad(self, w: Any) -> np.ndarray:
        """Full-batch gradient ``(R, P)`` by backprop."""
        with np.errstate(all="ignore"):
            return self.grad_quiet(w)

    def grad_quiet(self, w: Any) -> np.ndarray:
        w = np.asarray(w, dtype=float)
        return self._loss_grad(w.reshape(-1, self.dim))[1].reshape(w.shape)

    def value_and_grad(self, w: Any) -> tuple[np.ndarray, np.ndarray]:
        """Full-batch loss ``(R,)`` and gradient ``(R, P)`` from one forward and backward pass
        (the engine records the loss along a run from its gradient calls: no second forward)."""
        w = np.asarray(w, dtype=float)
        with np.errstate(all="ignore"):
            return self._loss_grad(w.reshape(-1, self.dim))

    def f_batch(self, w: Any, idx: Any) -> np.ndarray:
        with np.errstate(all="ignore"):
            return self._loss_grad(np.atleast_2d(w), np.asarray(idx), grad=False)[0]

    def grad_batch(self, w: Any, idx: Any) -> np.ndarray:
        with np.errstate(all="ignore"):
            return self._loss_grad(np.atleast_2d(w), np.asarray(idx))[1]

    def accuracy(self, w: Any) -> np.ndarray:
        """Fraction of the examples on the right side of 0, per run."""
        out = self.predict(w, self.X)
        return np.mean(np.sign(out) == self.y, axis=-1)

    def hvp(self, w: Any, v: Any) -> np.ndarray:
        r"""Exact Hessian-vector products ``∇²L(w_r) v_r`` for every run, forward over reverse
        (Pearlmutter's R-operator): the forward pass carries the tangents ``ż = ȧW + a·dW + db``,
        ``ȧ = φ'(z)ż``; the backward pass differentiates backprop along them,
        ``δ̇ = (δ̇_next Wᵀ + δ_next dWᵀ)φ'(z) + (δ_next Wᵀ)φ''(z)ż``.

        tanh: ``φ'' = −2a(1 − a²)``. ReLU: ``φ'' = 0``; the kinks (a pre-activation exactly at 0,
        where the Hessian has a Dirac part) are left out, so this is the Hessian of the piece of
        the loss the point lies in, what a step of a few ``η`` actually meets. A central difference
        of the gradient (this method's former form) crosses kinks: 9.5× the true sharpness at a
        ReLU run's point where this gives it exactly.

        With batch norm, a complex step of the gradient instead, ``Im ∇L(w + ihv)/h``
        (:meth:`hvp_complex`): exact to rounding, as every operation of the pass is analytic
        (ReLU on its piece).
        """
        w = np.atleast_2d(np.asarray(w, dtype=float))
        v = np.atleast_2d(np.asarray(v, dtype=float))
        if self.batchnorm:
            return self.hvp_complex(w, v)
        with np.errstate(all="ignore"):
            layers, cache = self._forward(w, self.X)
            tangents = self.unpack(v)
            n, last = len(self.y), len(layers) - 1
            dz: list[np.ndarray | None] = [None]
            da = np.zeros_like(cache[0][1])
            for li, ((W, _, _), (dW, db, _)) in enumerate(zip(layers, tangents)):
                a_prev = cache[li][1]
                zdot = da @ W + a_prev @ dW + db[:, None, :]
                z, a, *_ = cache[li + 1]
                da = zdot if li == last else self._dact(z, a) * zdot
                dz.append(zdot)
            r = cache[-1][1][..., 0] - self.y
            delta, ddelta = (r / n)[..., None], (da[..., 0] / n)[..., None]
            parts: list[np.ndarray] = []
            for li in range(last, -1, -1):
                W, _, _ = layers[li]
                dW, _, _ = tangents[li]
                a_prev = cache[li][1]
                a_dot = np.zeros_like(a_prev) if li == 0 else self._dact(*cache[li][:2]) * dz[li]
                parts.append(ddelta.sum(axis=1))
                parts.append(
                    (a_dot.transpose(0, 2, 1) @ delta + a_prev.transpose(0, 2, 1) @ ddelta).reshape(
                        len(w), -1
                    )
                )
                if li:
                    z, a, *_ = cache[li]
                    back = delta @ W.transpose(0, 2, 1)
                    ddelta = (
                        ddelta @ W.transpose(0, 2, 1) + delta @ dW.transpose(0, 2, 1)
                    ) * self._dact(z, a) + back * self._ddact(z, a) * dz[li]
                    delta = back * self._dact(z, a)
        return np.concatenate(parts[::-1], axis=1)

    def hvp_complex(self, w: Any, v: Any, h: float = 1e-20) -> np.ndarray:
        """``∇²L(w) v`` as ``Im ∇L(w + ihv)/h``: the complex step (Squire & Trapp 1998) has no
        difference to cancel, so a tiny ``h`` gives the product to rounding error (and only a
        tiny one: the pass keeps first order in ``h`` where that is exact to rounding, tanh)."""
        w = np.atleast_2d(np.asarray(w, dtype=float))
        v = np.atleast_2d(np.asarray(v, dtype=float))
        with np.errstate(all="ignore"):
            return self._loss_grad(w + 1j * h * v)[1].imag / h

    def _ddact(self, z, a):
        return -2.0 * a * (1.0 - a * a) if self.activation == "tanh" else np.zeros_like(z)


def lanczos_top(
    matvec, dim: int, runs: int, k: int = 30, seed: int = 0, top: int = 1, tol: float = 1e-6
) -> np.ndarray:
    """The largest eigenvalue of a symmetric operator per run, by at most ``k`` Lanczos steps with
    full reorthogonalization; ``matvec(V (R, P)) → (R, P)``. Returns ``(R,)``, or ``(R, top)`` (the
    ``top`` largest, largest first) when ``top > 1``.

    It stops early once every run's ``top`` Ritz pairs ``(θ, y)`` have residuals
    ``‖Ay − θy‖ = β_j·|last entry of the small eigenvector|`` of at most ``tol·max|θ|``: an
    eigenvalue then lies within that of each θ (Kahan's bound), and the top one's error is
    about the residual squared over the gap (measured at ``tol = 1e-3`` on the Network lab's GD
    run, 31 points: 9 steps of 12, 10 with batch norm; the sharpness to 1e-7 relative)."""
    rng = np.random.default_rng(seed)
    k = min(k, dim)
    Q = np.zeros((runs, k + 1, dim))
    q = rng.standard_normal((runs, dim))
    Q[:, 0] = q / np.linalg.norm(q, axis=1, keepdims=True)
    alpha = np.zeros((runs, k))
    beta = np.zeros((runs, k))
    m = k
    for j in range(k):
        v = matvec(Q[:, j])
        alpha[:, j] = np.einsum("rp,rp->r", Q[:, j], v)
        v = v - np.einsum("rkp,rk->rp", Q[:, : j + 1], np.einsum("rkp,rp->rk", Q[:, : j + 1], v))
        v = v - np.einsum("rkp,rk->rp", Q[:, : j + 1], np.einsum("rkp,rp->rk", Q[:, : j + 1], v))
        beta[:, j] = np.linalg.norm(v, axis=1)
        if np.all(beta[:, j] < 1e-10) or (
            j + 1 >= top + 2 and _converged(alpha, beta, j, top, tol)
        ):
            m = j + 1
            break
        Q[:, j + 1] = v / np.where(beta[:, j : j + 1] > 0, beta[:, j : j + 1], 1.0)
    out = np.full((runs, top), np.nan)  # a run at a non-finite point has no sharpness
    for r in range(runs):
        T = _tridiagonal(alpha[r], beta[r], m)
        if np.isfinite(T).all():
            ev = np.linalg.eigvalsh(T)[::-1][:top]
            out[r, : len(ev)] = ev
    return out[:, 0] if top == 1 else out


def _tridiagonal(alpha: np.ndarray, beta: np.ndarray, m: int) -> np.ndarray:
    return np.diag(alpha[:m]) + np.diag(beta[: m - 1], 1) + np.diag(beta[: m - 1], -1)


def _converged(alpha: np.ndarray, beta: np.ndarray, j: int, top: int, tol: float) -> bool:
    """Whether every run's ``top`` Ritz pairs after step ``j`` have converged (see
    :func:`lanczos_top`); a run at a non-finite point never holds the others back."""
    for r in range(len(alpha)):
        T = _tridiagonal(alpha[r], beta[r], j + 1)
        if not np.isfinite(T).all() or not np.isfinite(beta[r, j]):
            continue
        theta, S = np.linalg.eigh(T)
        resid = np.abs(beta[r, j] * S[-1, -top:])
        if np.any(resid > tol * np.max(np.abs(theta))):
            return False
    return True


def sharpness(
    net: Network, w: Any, precondition: Any = None, k: int = 30, top: int = 1, tol: float = 1e-6
) -> np.ndarray:
    """Top Hessian eigenvalue ``λ_max(∇²L(w_r))`` per run (``w (R, P)``), by Lanczos on
    :meth:`Network.hvp`. With ``precondition`` ``(R, P)`` (Adam's ``(1 − β₁ᵗ)(√v̂ + ε)``), the
    preconditioned sharpness ``λ_max(P⁻¹∇²L)`` of Cohen et al. (2022), computed on the symmetric
    ``P^{−1/2} H P^{−1/2}``. With ``top > 1``, the ``top`` largest eigenvalues ``(R, top)``;
    ``tol``: :func:`lanczos_top`'s early stop."""
    w = np.atleast_2d(np.asarray(w, dtype=float))
    if precondition is None:
        return lanczos_top(lambda V: net.hvp(w, V), net.dim, len(w), k, top=top, tol=tol)
    s = 1.0 / np.sqrt(np.atleast_2d(np.asarray(precondition, dtype=float)))
    return lanczos_top(lambda V: s * net.hvp(w, s * V), net.dim, len(w), k, top=top, tol=tol)


def shared_plane(paths: list[np.ndarray]) -> dict[str, Any]:
    """One plane for every run: PCA of all runs' parameter paths together (each ``(S_i, P)``).

    Returns the centre, two orthonormal directions, each path's coordinates in the plane, the
    share of the paths' variance the plane explains, and each path's mean distance off the plane
    (what the picture leaves out), so a reader can tell how faithful it is.
    """
    pts = np.concatenate([p[np.isfinite(p).all(axis=1)] for p in paths])
    centre = pts.mean(axis=0)
    _, sv, vt = np.linalg.svd(pts - centre, full_matrices=False)
    dirs = vt[:2]
    total = float(np.sum(sv**2)) or 1.0
    coords, off = [], []
    for p in paths:
        d = p - centre
        c = d @ dirs.T
        coords.append(c)
        with np.errstate(all="ignore"):
            off.append(float(np.nanmean(np.linalg.norm(d - c @ dirs, axis=1))))
    return {
        "centre": centre,
        "dirs": dirs,
        "coords": coords,
        "explained": float(np.sum(sv[:2] ** 2) / total),
        "off_plane": off,
        "spread": float(np.sqrt(total / max(len(pts), 1))),
    }


def network(
    dataset: str = "circles",
    width: int = 16,
    depth: int = 2,
    activation: str = "tanh",
    n: int = 200,
    noise: float = 0.1,
    batchnorm: bool = False,
) -> Network:
    """The catalog's network: ``depth`` hidden layers of ``width`` units on ``dataset`` (with
    ``batchnorm``, each hidden layer normalized over the batch, then scaled by γ and shifted by β)."""
    if activation not in ACTIVATIONS:
        raise ValueError(f"unknown activation {activation!r}; choose from tanh, relu.")
    if not (1 <= width <= 64 and 1 <= depth <= 4):
        raise ValueError("width must be 1–64 and depth 1–4.")
    X, y = make_data(dataset, n, noise)
    widths = (2, *([width] * depth), 1)
    bn = ", batch norm" if batchnorm else ""
    title = (
        f"MLP {' → '.join(map(str, widths))} ({ACTIVATIONS[activation]}{bn}) on {DATASETS[dataset]}"
    )
    return Network(
        name=f"mlp_{dataset}",
        title=title,
        X=X,
        y=y,
        widths=widths,
        activation=activation,
        params={"dataset": dataset, "width": width, "depth": depth, "activation": activation},
        batchnorm=bool(batchnorm),
    )


def regression(curve: str = "sine", units: int = 8, n: int = 41) -> Network:
    """A one-hidden-layer ReLU network ``1 → units → 1`` fitting ``CURVES[curve]`` at ``n`` evenly
    spaced points of [−1, 1] (square loss): ``f(x) = c + Σ_j v_j max(0, w_j x + b_j)``."""
    if curve not in CURVES:
        raise ValueError(f"unknown curve {curve!r}; choose from {', '.join(CURVES)}.")
    if not 1 <= units <= 64:
        raise ValueError("units must be 1–64.")
    X = np.linspace(-1.0, 1.0, n)[:, None]
    name, target = CURVES[curve]
    return Network(
        name=f"relu_{curve}",
        title=f"ReLU network 1 → {units} → 1 fitting {name}",
        X=X,
        y=target(X[:, 0]),
        widths=(1, units, 1),
        activation="relu",
        params={"curve": curve, "units": units},
    )


class Elbows(NamedTuple):
    """A ``1 → K → 1`` ReLU network's output drawn as its sum: each unit's elbow
    ``v_j max(0, w_j x + b_j)`` and their sum plus the output bias ``c``, on ``[lo, hi]``, all
    as exact polylines (a unit is straight on either side of its kink ``−b_j/w_j``)."""

    unit_x: np.ndarray  # (K, 3): lo, the kink (clipped into [lo, hi]), hi
    unit_y: np.ndarray  # (K, 3)
    fit_x: np.ndarray  # lo, the kinks inside (sorted), hi
    fit_y: np.ndarray
    kinks: np.ndarray  # the kinks inside (lo, hi), sorted
    c: float


def elbows(net: Network, w: Any, lo: float, hi: float) -> Elbows:
    """The pieces of a ``1 → K → 1`` ReLU network at parameters ``w (P,)`` (see :class:`Elbows`).

    >>> net = regression("parabola", units=3)
    >>> w = net.init("he_uniform", 0)
    >>> e = elbows(net, w, -1.0, 1.0)
    >>> x = np.linspace(-1, 1, 7)
    >>> bool(np.allclose(np.interp(x, e.fit_x, e.fit_y), net.predict(w[None], x[:, None])[0]))
    True
    """
    if net.widths[0] != 1 or len(net.widths) != 3 or net.activation != "relu" or net.batchnorm:
        raise ValueError("elbows are drawn for a 1 → K → 1 ReLU network.")
    (W1, b1, _), (W2, b2, _) = net.unpack(np.asarray(w, dtype=float)[None])
    a, b, v, c = W1[0, 0], b1[0], W2[0, :, 0], float(b2[0, 0])
    with np.errstate(divide="ignore", invalid="ignore"):
        kink = np.where(a != 0, -b / a, np.inf)
    mid = np.clip(np.nan_to_num(kink, posinf=hi, neginf=lo), lo, hi)
    ux = np.stack([np.full_like(mid, lo), mid, np.full_like(mid, hi)], axis=1)
    uy = v[:, None] * np.maximum(a[:, None] * ux + b[:, None], 0.0)
    inside = np.sort(kink[(kink > lo) & (kink < hi)])
    fx = np.concatenate([[lo], inside, [hi]])
    fy = c + np.sum(v[:, None] * np.maximum(a[:, None] * fx + b[:, None], 0.0), axis=0)
    return Elbows(ux, uy, fx, fy, inside, c)
