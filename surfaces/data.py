"""Data-driven losses over two parameters, with true minibatch gradients.

The loss is the *mean* of per-example losses (plus an optional ridge term), so a minibatch gradient
is an unbiased estimate of the full gradient (EECS 182 note 2 §1.1) and the average of the minibatch
gradients over one epoch equals the full gradient. ``f``/``grad``/``hess`` are full-batch (for
contours); ``f_batch``/``grad_batch`` take example indices (the engine draws them, seeded).
Datasets are generated once from fixed seeds, so every machine sees the same data.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cache
from typing import Any

import numpy as np

from vocab import Switch

from .base import Surface, SurfaceEntry, polish

_CHUNK_ELEMENTS = 2_000_000  # bound on (points × examples) per pass, to keep mesh evaluation small


@dataclass(frozen=True, eq=False)
class DataSurface(Surface):
    """A :class:`Surface` whose loss is a mean over examples ``X`` (N, F) with targets ``Y`` (N,)."""

    X: np.ndarray = field(default_factory=lambda: np.zeros((0, 1)))
    Y: np.ndarray = field(default_factory=lambda: np.zeros(0))
    sample_terms: Callable[..., tuple] | None = None  # (w, b, X, Y, order) -> per-example tuples
    # Optional full-batch loss/gradient by matrix products, (xy, X, Y, order) -> list of means;
    # must equal the mean of ``sample_terms`` (tested). Minibatches and Hessians always use the terms.
    full_fast: Callable[..., list] | None = None
    ridge: float = 0.0
    predict_fn: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None
    data_kind: str = "regression"

    @property
    def n_data(self) -> int:
        return int(self.Y.shape[0])

    @property
    def data(self) -> dict[str, np.ndarray]:
        """The examples, to draw the fit: ``{"X": (N, F), "Y": (N,)}``."""
        return {"X": self.X, "Y": self.Y}

    def predict(self, params: Any, X: Any) -> np.ndarray:
        """Model output at inputs ``X`` of shape ``(N, F)`` for parameters ``params = (p0, p1)``."""
        return self.predict_fn(np.asarray(params, dtype=float), np.asarray(X, dtype=float))

    def _mean(self, xy: np.ndarray, idx: np.ndarray, order: int) -> list[np.ndarray]:
        xy = np.asarray(xy, dtype=float)
        w, b = xy[..., 0, None], xy[..., 1, None]
        idx = np.asarray(idx)
        n = idx.shape[0]
        if n == 0:
            raise ValueError("a minibatch needs at least one example.")
        per_pass = max(1, _CHUNK_ELEMENTS // max(1, w.size))
        totals: list[np.ndarray] | None = None
        with np.errstate(all="ignore"):
            for start in range(0, n, per_pass):
                part = idx[start : start + per_pass]
                terms = self.sample_terms(w, b, self.X[part], self.Y[part], order)
                sums = [np.sum(t, axis=-1) for t in terms]
                totals = sums if totals is None else [a + s for a, s in zip(totals, sums)]
        return [t / n for t in totals]

    def f_batch(self, xy: Any, idx: Any) -> np.ndarray:
        """Mean loss over the examples ``idx`` (plus the ridge term)."""
        xy = np.asarray(xy, dtype=float)
        (loss,) = self._mean(xy, idx, 0)
        return loss + 0.5 * self.ridge * np.sum(xy * xy, axis=-1)

    def grad_batch(self, xy: Any, idx: Any) -> np.ndarray:
        """Mean gradient over the examples ``idx``, shape ``(..., 2)``."""
        xy = np.asarray(xy, dtype=float)
        gw, gb = self._mean(xy, idx, 1)
        return np.stack([gw, gb], axis=-1) + self.ridge * xy


def _full(surface_ref: list, order: int):
    """Full-batch fn/grad_fn/hess_fn for the base record (bound after construction)."""

    def fn(x, y):
        s = surface_ref[0]
        xy = np.stack([x, y], axis=-1)
        if s.full_fast is not None and order < 2:
            with np.errstate(all="ignore"):
                out = s.full_fast(xy, s.X, s.Y, order)
        else:
            out = s._mean(xy, np.arange(s.n_data), order)
        r = s.ridge
        if order == 0:
            return out[0] + 0.5 * r * (x * x + y * y)
        if order == 1:
            return out[0] + r * x, out[1] + r * y
        return out[0] + r, out[1], out[2] + r

    return fn


def _make(**kwargs) -> DataSurface:
    # fn/grad_fn/hess_fn need the record they belong to; `replace` copies keep the same data,
    # so closures bound to the first instance stay correct.
    ref: list = []
    s = DataSurface(fn=_full(ref, 0), grad_fn=_full(ref, 1), hess_fn=_full(ref, 2), **kwargs)
    ref.append(s)
    return s


def _sigmoid(z):
    return 0.5 * (1.0 + np.tanh(0.5 * z))  # σ(z) without overflow


# --- per-example models ------------------------------------------------------------------------


def _neuron_terms(w, b, X, Y, order):
    x, y = X[:, 0], Y
    s = _sigmoid(w * x + b)
    r = s - y
    if order == 0:
        return (0.5 * r * r,)
    d = s * (1 - s)
    if order == 1:
        return r * d * x, r * d
    c = d * d + r * d * (1 - 2 * s)
    return c * x * x, c * x, c


def _linear_terms(a, b, X, Y, order):
    x = X[:, 0]
    r = a * x + b - Y
    if order == 0:
        return (0.5 * r * r,)
    if order == 1:
        return r * x, r
    one = np.ones_like(r)
    return one * x * x, one * x, one


def _logistic_terms(w1, w2, X, Y, order):
    x1, x2 = X[:, 0], X[:, 1]
    z = w1 * x1 + w2 * x2
    if order == 0:
        # softplus(z) = log(1 + eᶻ), stably; ~4× faster than np.logaddexp(0, z)
        return (np.maximum(z, 0.0) + np.log1p(np.exp(-np.abs(z))) - Y * z,)
    s = _sigmoid(z)
    if order == 1:
        return (s - Y) * x1, (s - Y) * x2
    d = s * (1 - s)
    return d * x1 * x1, d * x1 * x2, d * x2 * x2


def _relu_terms(w, b, X, Y, order):
    """½(relu(w x + b) − y)² per example. At the kink (w x + b = 0) the unit counts as inactive:
    relu′(0) = 0, the subgradient PyTorch's backward uses, so a dead unit's gradient is exactly 0."""
    x = X[:, 0]
    z = w * x + b
    on = z > 0
    r = np.where(on, z, 0.0) - Y
    if order == 0:
        return (0.5 * r * r,)
    a = on.astype(float)
    if order == 1:
        return r * a * x, r * a
    return a * x * x, a * x, a


def _logistic_full(xy, X, Y, order):
    """Mean logistic loss (order 0) or gradient (order 1) of all examples at once.

    ``z = w·Xᵀ`` and the gradient's sum over examples are matrix products, and the elementwise work
    is done in place: ~2.5× faster than the per-example terms on a 3600-run sweep.
    """
    shape = xy.shape[:-1]
    p = xy.reshape(-1, 2)
    n = Y.shape[0]
    rows = max(1, _CHUNK_ELEMENTS // max(n, 1))
    parts: list[list[np.ndarray]] = []
    for start in range(0, p.shape[0], rows):
        z = p[start : start + rows] @ X.T  # (M, N)
        if order == 0:
            a = np.abs(z)
            np.negative(a, out=a)
            np.exp(a, out=a)
            np.log1p(a, out=a)
            a += np.maximum(z, 0.0)  # softplus(z), stably
            parts.append([(a.sum(axis=-1) - z @ Y) / n])
        else:
            t = np.multiply(z, 0.5)
            np.tanh(t, out=t)
            t *= 0.5
            t += 0.5  # σ(z)
            t -= Y
            g = t @ X / n
            parts.append([g[:, 0], g[:, 1]])
    return [np.concatenate([q[i] for q in parts]).reshape(shape) for i in range(len(parts[0]))]


# --- the three surfaces ------------------------------------------------------------------------


def _global_min(s: DataSurface, n: int = 121) -> tuple[float, float]:
    xs, ys, z = s.mesh(n, s.domain)
    i, j = np.unravel_index(np.nanargmin(z), z.shape)
    return polish(s, (xs[j], ys[i]))


@cache
def sigmoid_neuron(dataset: str) -> DataSurface:
    if dataset == "nptel":
        X, Y = np.array([[0.5], [2.5]]), np.array([0.2, 0.9])
    else:
        rng = np.random.default_rng(7)
        x = np.sort(rng.uniform(-4.0, 4.0, 40))
        Y = np.clip(_sigmoid(1.2 * x - 0.8) + 0.08 * rng.standard_normal(40), 0.0, 1.0)
        X = x[:, None]
    s = _make(
        name="sigmoid_neuron",
        axes=("w", "b"),
        title="Sigmoid neuron (NPTEL)",
        domain=((-6.0, 6.0), (-6.0, 6.0)),
        latex=r"L(w, b) = \frac{1}{N}\sum_{i=1}^{N} \tfrac12\big(\sigma(w x_i + b) - y_i\big)^2",
        reference="19CSE437 (after NPTEL Deep Learning): one sigmoid neuron fitted over (w, b)",
        notes=(
            "Flat plateaus where the sigmoid saturates, a steep drop near the fit. This loss is the "
            "mean over examples, whose gradient NPTEL's GD code applies (η·Σ∇/N); its Momentum "
            "and NAG code adds the gradients without dividing, so reproduce those with η × N "
            f"(N = {len(Y)} here)."
        ),
        params={"dataset": dataset},
        starts=((-2.0, -2.0), (-5.0, 5.0), (4.0, 4.0)),
        lr_gd=(0.1, 3.0, 30.0),
        lr_adaptive=(1e-3, 0.1, 1.0),
        X=X,
        Y=Y,
        sample_terms=_neuron_terms,
        predict_fn=lambda p, X: _sigmoid(p[0] * X[..., 0] + p[1]),
        data_kind="regression",
        kind="data",
    )
    m = _global_min(s)
    return replace(s, minima=(m,), f_min=float(s.f(np.array(m))))


FEATURES = {
    "raw": "raw x ∈ [0, 3]",
    "centred": "centred x − x̄",
    "standardized": "standardized (x − x̄)/s",
}


@cache
def linear_regression(features: str = "raw") -> DataSurface:
    """Slope and intercept on 60 noisy points; ``features`` centres or standardizes the input
    first, which is what makes the valley round (batch norm's motivation, note 004)."""
    rng = np.random.default_rng(11)
    raw = np.sort(rng.uniform(0.0, 3.0, 60))
    Y = 2.0 * raw + 1.0 + 0.5 * rng.standard_normal(60)
    x = {
        "raw": raw,
        "centred": raw - raw.mean(),
        "standardized": (raw - raw.mean()) / raw.std(),
    }[features]
    X = x[:, None]
    A = np.stack([x, np.ones_like(x)], axis=1)
    coef = np.linalg.lstsq(A, Y, rcond=None)[0]
    ev = np.linalg.eigvalsh(A.T @ A / len(x))
    a0, b0 = float(coef[0]), float(coef[1])
    domain = (
        ((-2.0, 6.0), (-3.0, 5.0))
        if features == "raw"
        else ((round(a0) - 4.0, round(a0) + 4.0), (round(b0) - 4.0, round(b0) + 4.0))
    )
    (dx0, dx1), (dy0, dy1) = domain
    starts = ((dx0 + 0.5, dy1 - 1.0), (dx1 - 1.0, dy0 + 0.5))
    what = {
        "raw": "Inputs x ∈ [0, 3] are not centred, so slope and intercept are coupled: a tilted "
        "valley",
        "centred": "Centred inputs decouple slope and intercept: an axis-aligned bowl, stretched "
        "only by var(x)",
        "standardized": "Standardized inputs (mean 0, variance 1): a round bowl",
    }[features]
    s = _make(
        name="linear_regression",
        axes=("a", "b"),
        title="Linear regression (slope, intercept)",
        domain=domain,
        latex=r"L(a, b) = \frac{1}{N}\sum_{i=1}^{N} \tfrac12\,(a x_i + b - y_i)^2",
        reference="EECS 182 note 2 (SGD on least squares); Deep Learning Refresher week 5; "
        "note 004 (normalization)",
        notes=f"{what} with κ = {ev[1] / ev[0]:.1f}. GD is stable for η < {2 / ev[1]:.3f}.",
        params={"features": features},
        starts=starts,
        lr_gd=(1e-3, 0.2, 0.6)
        if features == "raw"
        else (1e-3, float(f"{1 / ev[1]:.2g}"), float(f"{2.5 / ev[1]:.2g}")),
        lr_adaptive=(1e-3, 0.1, 1.0),
        X=X,
        Y=Y,
        sample_terms=_linear_terms,
        predict_fn=lambda p, X: p[0] * X[..., 0] + p[1],
        minima=((a0, b0),),
        kind="data",
    )
    return replace(s, f_min=float(s.f(coef)))


@cache
def relu_neuron() -> DataSurface:
    rng = np.random.default_rng(3)
    x = np.linspace(-2.0, 3.0, 16)
    Y = np.maximum(1.5 * x - 1.0, 0.0) + 0.1 * rng.standard_normal(16)
    s = _make(
        name="relu_neuron",
        axes=("w", "b"),
        title="One ReLU unit (w, b): the elbow and dead units",
        domain=((-3.0, 3.0), (-3.0, 3.0)),
        latex=r"L(w, b) = \frac{1}{N}\sum_{i=1}^{N} \tfrac12\big(\max(0,\, w x_i + b) - y_i\big)^2",
        reference="EECS 182 note 001 §2: the ReLU elbow max(0, wx + b), elbow at x = −b/w",
        notes=(
            "The unit's elbow sits at x = −b/w. Where w x_i + b ≤ 0 for every example the unit is "
            "dead: the loss is flat (½·mean y²) and the gradient exactly 0, so gradient descent "
            "cannot move. At the kink the subgradient relu′(0) = 0 is used, as PyTorch does."
        ),
        starts=((-1.0, 2.0), (0.5, -2.5), (2.5, 2.5)),
        lr_gd=(0.01, 0.3, 2.0),
        lr_adaptive=(1e-3, 0.1, 1.0),
        X=x[:, None],
        Y=Y,
        sample_terms=_relu_terms,
        predict_fn=lambda p, X: np.maximum(p[0] * X[..., 0] + p[1], 0.0),
        data_kind="regression",
        kind="data",
    )
    m = _global_min(s)
    return replace(s, minima=(m,), f_min=float(s.f(np.array(m))))


@cache
def logistic_sparse() -> DataSurface:
    rng = np.random.default_rng(5)
    n = 200
    x1 = rng.standard_normal(n)
    x2 = np.where(rng.uniform(size=n) < 0.08, 3.0 * np.sign(rng.standard_normal(n)), 0.0)
    X = np.stack([x1, x2], axis=1)
    Y = (rng.uniform(size=n) < _sigmoid(1.0 * x1 + 1.5 * x2)).astype(float)
    s = _make(
        name="logistic_sparse",
        axes=("w₁", "w₂"),
        title="Logistic regression, sparse feature",
        domain=((-3.0, 5.0), (-3.0, 5.0)),
        latex=(
            r"L(w) = \frac{1}{N}\sum_{i} \Big[\log\big(1 + e^{w^\top x_i}\big) - y_i\, w^\top x_i\Big]"
            r" + \tfrac{\lambda}{2}\lVert w\rVert^2,\ \lambda = 0.01"
        ),
        reference="NPTEL AdaGrad motivation (sparse features); Duchi et al. (2011)",
        notes=(
            "Feature 1 is dense, feature 2 is non-zero in only 22 of 200 examples (11 %): its gradient is "
            "small and rare, so one global η moves w₂ slowly; AdaGrad scales it up."
        ),
        starts=((-2.5, -2.5), (4.0, -2.0)),
        lr_gd=(1e-3, 0.5, 5.0),
        lr_adaptive=(1e-3, 0.1, 1.0),
        X=X,
        Y=Y,
        sample_terms=_logistic_terms,
        full_fast=_logistic_full,
        ridge=0.01,
        predict_fn=lambda p, X: _sigmoid(X @ p),
        data_kind="classification",
        kind="data",
    )
    m = polish(s, (0.0, 0.0))
    return replace(s, minima=(m,), f_min=float(s.f(np.array(m))))


ENTRIES = [
    SurfaceEntry(
        "sigmoid_neuron",
        "Sigmoid neuron (NPTEL)",
        "data",
        sigmoid_neuron,
        (
            Switch(
                "dataset",
                "dataset",
                "noisy",
                ("noisy", "nptel"),
                labels={"noisy": "40 noisy points", "nptel": "NPTEL's two points"},
            ),
        ),
        "One sigmoid unit fitted by minibatches: plateaus and a sharp valley.",
    ),
    SurfaceEntry(
        "linear_regression",
        "Linear regression",
        "data",
        linear_regression,
        (Switch("features", "input features", "raw", tuple(FEATURES), labels=FEATURES),),
        summary="Slope and intercept on 60 noisy points; centring the inputs rounds the valley.",
    ),
    SurfaceEntry(
        "relu_neuron",
        "One ReLU unit",
        "data",
        relu_neuron,
        summary="The elbow finds the data, or the unit dies: a flat region where the gradient is 0.",
    ),
    SurfaceEntry(
        "logistic_sparse",
        "Logistic regression, sparse feature",
        "data",
        logistic_sparse,
        summary="Why AdaGrad: a rare feature.",
    ),
]
