r"""Closed forms for quadratics: stability limits, optimal parameters, rates, convention mappings.

On ``L(w) = ½ wᵀHw`` every method below is linear, so each eigen-direction of ``H`` (eigenvalue λ)
evolves on its own and the worst one sets the rate. Momentum formulas use the PyTorch / Distill
(Goh 2017) convention ``z ← βz + ∇L; w ← w − αz``; :func:`to_pytorch` maps the other two conventions
onto it (exact at constant step size):

* EECS 182 ``a ← (1−β)a + β∇L; w ← w − ηa``  ≡  PyTorch ``(α, β) = (ηβ, 1−β)``;
* Goodfellow / NPTEL heavy ball ``v ← βv + η∇L; w ← w − v``  ≡  PyTorch ``(η, β)``.

The scalar example of EECS 182 is ``L(w) = (y − σw)²`` (note the missing ½: its curvature is 2σ²).
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = [
    "adam_first_step",
    "from_pytorch",
    "gd_limit",
    "gd_optimal",
    "gd_rate",
    "heavy_ball_two_step",
    "momentum_on_grid",
    "momentum_optimal",
    "momentum_rate",
    "momentum_spectral_radius",
    "momentum_stable",
    "momentum_weights",
    "nesterov_limit",
    "nesterov_rate",
    "nesterov_spectral_radius",
    "rc_time_constant",
    "scalar_closed_form",
    "scalar_contraction",
    "scalar_limit",
    "scalar_one_step",
    "scalar_regime",
    "stable_lr_curve",
    "stable_lr_limit",
    "to_pytorch",
]


def _lams(lams: Any) -> np.ndarray:
    arr = np.atleast_1d(np.asarray(lams, dtype=float))
    if arr.size == 0 or not np.all(np.isfinite(arr)) or np.any(arr <= 0):
        raise ValueError("eigenvalues must be positive and finite.")
    return arr


# --- gradient descent -------------------------------------------------------------------------------


def gd_limit(lam_max: float) -> float:
    """GD is stable iff ``0 < η < 2/λ_max``.

    >>> gd_limit(4.0)
    0.5
    """
    return 2.0 / float(_lams(lam_max).max())


def gd_optimal(lam_min: float, lam_max: float) -> tuple[float, float]:
    """Optimal constant step ``2/(λ₁+λₙ)`` and its rate ``(κ−1)/(κ+1)``.

    >>> gd_optimal(1.0, 9.0)
    (0.2, 0.8)
    """
    lo, hi = float(_lams(lam_min).min()), float(_lams(lam_max).max())
    kappa = hi / lo
    return 2.0 / (lo + hi), (kappa - 1.0) / (kappa + 1.0)


def gd_rate(lr: Any, lams: Any) -> np.ndarray:
    """Worst per-step contraction ``max_λ |1 − ηλ|`` (broadcasts over ``lr``)."""
    lam = _lams(lams)
    lr = np.asarray(lr, dtype=float)
    return np.max(np.abs(1.0 - lr[..., None] * lam), axis=-1)


# --- momentum ------------------------------------------------------------------------------------


def to_pytorch(lr: Any, beta: Any, convention: str) -> tuple[Any, Any]:
    """Map ``(lr, beta)`` of a momentum convention to the PyTorch / Goh ``(α, β)``.

    >>> to_pytorch(0.5, 0.2, "ema")
    (0.1, 0.8)
    """
    if convention == "ema":
        return lr * beta, 1.0 - beta
    if convention in ("heavy_ball", "pytorch"):
        return lr, beta
    raise ValueError(f"unknown convention {convention!r}")


def from_pytorch(alpha: Any, beta: Any, convention: str) -> tuple[Any, Any]:
    """Inverse of :func:`to_pytorch`.

    >>> [round(v, 12) for v in from_pytorch(0.1, 0.8, "ema")]
    [0.5, 0.2]
    """
    if convention == "ema":
        b = 1.0 - beta
        return alpha / b, b
    if convention in ("heavy_ball", "pytorch"):
        return alpha, beta
    raise ValueError(f"unknown convention {convention!r}")


def _spectral_radius_2x2(trace: np.ndarray, det: np.ndarray) -> np.ndarray:
    """Largest |root| of ``μ² − Tμ + D = 0``, vectorized."""
    disc = trace * trace - 4.0 * det
    sq = np.sqrt(np.abs(disc))
    real = np.maximum(np.abs(trace + sq), np.abs(trace - sq)) / 2.0
    return np.where(disc >= 0, real, np.sqrt(np.abs(det)))


def momentum_spectral_radius(alpha: Any, beta: Any, lam: Any) -> np.ndarray:
    r"""Spectral radius of heavy ball's 2×2 iteration matrix on one eigenvalue λ.

    ``(z, w) ↦ (βz + λw, w − α(βz + λw))`` has matrix ``[[β, λ], [−αβ, 1 − αλ]]``: trace
    ``1 + β − αλ``, determinant ``β``. Broadcasts over all three arguments.

    >>> float(momentum_spectral_radius(1.0, 0.0, 0.5))
    0.5
    """
    a, b, lam = (np.asarray(v, dtype=float) for v in (alpha, beta, lam))
    return _spectral_radius_2x2(1.0 + b - a * lam, b + 0.0 * a * lam)


def momentum_rate(alpha: Any, beta: Any, lams: Any) -> np.ndarray:
    """Worst spectral radius over the spectrum (PyTorch convention; broadcasts over α, β)."""
    lam = _lams(lams)
    a = np.asarray(alpha, dtype=float)[..., None]
    b = np.asarray(beta, dtype=float)[..., None]
    return np.max(momentum_spectral_radius(a, b, lam), axis=-1)


def momentum_stable(alpha: Any, beta: Any, lam_max: float) -> np.ndarray:
    """Heavy ball converges iff ``0 ≤ β < 1`` and ``0 < αλ < 2 + 2β`` for every λ.

    >>> bool(momentum_stable(3.5, 0.9, 1.0)), bool(momentum_stable(3.9, 0.9, 1.0))
    (True, False)
    """
    a, b = np.asarray(alpha, dtype=float), np.asarray(beta, dtype=float)
    return (b >= 0) & (b < 1) & (a > 0) & (a * lam_max < 2.0 + 2.0 * b)


def momentum_optimal(lam_min: float, lam_max: float) -> tuple[float, float, float]:
    r"""Goh's optimum: ``α* = (2/(√λ₁+√λₙ))²``, ``β* = ((√κ−1)/(√κ+1))²``, rate ``(√κ−1)/(√κ+1)``.

    >>> [round(v, 4) for v in momentum_optimal(1.0, 100.0)]
    [0.0331, 0.6694, 0.8182]
    """
    lo, hi = float(_lams(lam_min).min()), float(_lams(lam_max).max())
    sk = np.sqrt(hi / lo)
    alpha = (2.0 / (np.sqrt(lo) + np.sqrt(hi))) ** 2
    rate = (sk - 1.0) / (sk + 1.0)
    return float(alpha), float(rate**2), float(rate)


def momentum_on_grid(
    alpha: float, mu: float, convention: str, eta_grid: Any, beta_grid: Any
) -> tuple[float, float]:
    r"""The ``(η, β)`` of ``convention``, on the widgets' grids, nearest PyTorch's ``(α, μ)``.

    μ is first clipped to what the β grid can express; η is snapped on a log scale, β linearly.
    Near the optimum, which lies only ``1/(κ + 1)`` of the step inside the stability limit, the nearest grid
    point may diverge: set the optimum exactly instead (the Momentum lab does).

    >>> momentum_on_grid(0.5, 0.9, "ema", [1.0, 5.0, 10.0], [0.05, 0.1, 0.2])
    (5.0, 0.1)
    """
    etas = np.asarray(eta_grid, dtype=float)
    betas = np.asarray(beta_grid, dtype=float)
    lo, hi = float(betas.min()), float(betas.max())
    mu_lo, mu_hi = (1.0 - hi, 1.0 - lo) if convention == "ema" else (lo, hi)
    mu = float(np.clip(mu, mu_lo, mu_hi))
    eta, beta = (float(v) for v in from_pytorch(alpha, mu, convention))
    i = int(np.argmin(np.abs(np.log(etas / eta)))) if eta > 0 else 0
    j = int(np.argmin(np.abs(betas - beta)))
    return float(etas[i]), float(betas[j])


# --- Nesterov ------------------------------------------------------------------------------------


def nesterov_spectral_radius(alpha: Any, beta: Any, lam: Any) -> np.ndarray:
    r"""Spectral radius of Nesterov's iteration on one eigenvalue (any of the three forms).

    ``w_{k+1} = (1+β)(1−αλ)w_k − β(1−αλ)w_{k−1}``: trace ``(1+β)(1−αλ)``, determinant ``β(1−αλ)``.
    """
    a, b, lam = (np.asarray(v, dtype=float) for v in (alpha, beta, lam))
    c = 1.0 - a * lam
    return _spectral_radius_2x2((1.0 + b) * c, b * c)


def nesterov_rate(alpha: Any, beta: Any, lams: Any) -> np.ndarray:
    lam = _lams(lams)
    a = np.asarray(alpha, dtype=float)[..., None]
    b = np.asarray(beta, dtype=float)[..., None]
    return np.max(nesterov_spectral_radius(a, b, lam), axis=-1)


def nesterov_limit(beta: Any, lam_max: float) -> np.ndarray:
    r"""Largest stable step for Nesterov: ``αλ_max < 2(1+β)/(1+2β)`` (Jury criterion).

    At β = 0 it is GD's 2/λ; as β → 1 it falls to 4/3 per λ, unlike heavy ball's 2 + 2β.

    >>> float(nesterov_limit(0.0, 1.0)), round(float(nesterov_limit(0.9, 1.0)), 4)
    (2.0, 1.3571)
    """
    b = np.asarray(beta, dtype=float)
    return 2.0 * (1.0 + b) / ((1.0 + 2.0 * b) * float(_lams(lam_max).max()))


def adam_first_step(beta1: float, beta2: float, bias_correction: bool = True) -> float:
    r"""Adam's first step per coordinate, in units of η (ε → 0): 1 with bias correction, else
    ``(1−β₁)/√(1−β₂)`` (m₁ = (1−β₁)g, v₁ = (1−β₂)g²).

    >>> adam_first_step(0.9, 0.999), round(adam_first_step(0.9, 0.999, False), 4)
    (1.0, 3.1623)
    """
    return 1.0 if bias_correction else float((1.0 - beta1) / np.sqrt(1.0 - beta2))


def stable_lr_limit(optimizer: str, lam_max: float, beta: Any = 0.9, convention: str = "pytorch"):
    """The largest stable η on a quadratic with top curvature ``λ_max``, in the optimizer's own
    notation (``beta`` may be an array: one limit per β); None where theory here says nothing.

    GD: ``2/λ_max``. Heavy ball in PyTorch's form: ``α < (2 + 2μ)/λ_max``; Nesterov:
    :func:`nesterov_limit`; each converted to ``convention`` by :func:`from_pytorch`.

    >>> stable_lr_limit("gd", 4.0)
    0.5
    >>> float(stable_lr_limit("momentum", 1.0, 0.9))  # PyTorch form: (2 + 1.8)/1
    3.8
    >>> round(float(stable_lr_limit("momentum", 1.0, 0.1, "ema")), 9)  # EECS 182: μ = 0.9, η = α/β
    38.0
    >>> stable_lr_limit("adam", 1.0) is None
    True
    """
    if optimizer == "gd":
        return gd_limit(lam_max)
    if optimizer not in ("momentum", "nesterov"):
        return None
    with np.errstate(all="ignore"):
        mu = to_pytorch(1.0, beta, convention)[1]  # μ depends on β only
        if optimizer == "momentum":
            alpha = (2.0 + 2.0 * mu) / lam_max
        else:
            alpha = nesterov_limit(mu, lam_max)
        return from_pytorch(alpha, mu, convention)[0]


def stable_lr_curve(
    hessian: Any, optimizer: str, hp: dict, axis: str | None, values: Any
) -> tuple[np.ndarray, np.ndarray] | None:
    """Theory's largest stable η along a sweep's vertical axis, as ``(η, values)`` points.

    ``hessian`` is the surface's constant Hessian (None: not a quadratic, no curve). Along
    ``axis = "beta"`` the limit changes with β; along an axis that does not touch the curvature
    or β (``axis=None``: a start coordinate) it is one η for every row. Other axes (ε, λ, …), and
    optimizers theory says nothing of here, give None.

    >>> eta, ys = stable_lr_curve(np.diag([0.1, 1.0]), "momentum", {}, "beta", [0.0, 0.5])
    >>> eta.tolist(), ys.tolist()
    ([2.0, 3.0], [0.0, 0.5])
    >>> stable_lr_curve(np.diag([0.1, 1.0]), "momentum", {}, "eps", [0.0]) is None
    True
    """
    ys = np.asarray(values, dtype=float)
    if hessian is None or (optimizer != "gd" and axis not in ("beta", None)):
        return None
    lam_max = float(np.max(np.linalg.eigvalsh(np.asarray(hessian, dtype=float))))
    beta = ys if axis == "beta" else hp.get("beta", 0.9)
    eta = stable_lr_limit(optimizer, lam_max, beta, hp.get("convention", "pytorch"))
    return None if eta is None else (np.broadcast_to(eta, ys.shape).astype(float), ys)


def heavy_ball_two_step(w_prev: Any, w: Any, grad: Any, gamma: float, beta: float) -> np.ndarray:
    """Note 004's other form of momentum, ``w_{k+1} = w_k − γ∇L(w_k) + β(w_k − w_{k−1})``.

    It is heavy ball exactly: with ``v_k = w_{k−1} − w_k`` the Goodfellow/NPTEL update
    ``v ← βv + γ∇L, w ← w − v`` reads the same (PyTorch's α, μ are this γ, β).

    >>> heavy_ball_two_step([1.0], [0.5], [2.0], 0.1, 0.9).round(12).tolist()
    [-0.15]
    """
    w_prev, w, grad = (np.asarray(a, dtype=float) for a in (w_prev, w, grad))
    return w - gamma * grad + beta * (w - w_prev)


def rc_time_constant(mu: float) -> float:
    """The RC (in steps) of note 000's low-pass filter (eq. 4) whose kernel ``e^{−τ/RC}/RC``
    decays like momentum's weights ``μ^τ``: ``RC = −1/ln μ`` (≈ 1/(1 − μ) for μ near 1).

    >>> round(rc_time_constant(0.9), 3)
    9.491
    """
    return float(-1.0 / np.log(mu)) if 0 < mu < 1 else float("inf")


def momentum_weights(tau: Any, lr: float, beta: float, convention: str) -> np.ndarray:
    """The weight of the gradient from ``τ`` steps ago in the momentum buffer, in a notation.

    Unrolled, every form's buffer is a weighted sum of past gradients: EECS 182's average gives
    ``β(1−β)^τ``, PyTorch's sum ``β^τ``, the heavy ball's velocity ``η β^τ`` (it carries η).

    >>> [round(float(w), 4) for w in momentum_weights([0, 1, 2], 0.5, 0.1, "ema")]
    [0.1, 0.09, 0.081]
    >>> momentum_weights([0, 1], 0.5, 0.9, "heavy_ball").tolist()
    [0.5, 0.45]
    """
    tau = np.asarray(tau, dtype=float)
    if convention == "ema":
        return beta * (1.0 - beta) ** tau
    mu = beta**tau
    return lr * mu if convention == "heavy_ball" else mu


# --- the scalar EECS 182 example -----------------------------------------------------------------


def scalar_limit(sigma: float) -> float:
    """GD on ``(y − σw)²`` is stable iff ``η < 1/σ²`` (EECS 182 eq. 3).

    >>> scalar_limit(2.0)
    0.25
    """
    return 1.0 / sigma**2


def scalar_one_step(sigma: float) -> float:
    """``η = 1/(2σ²)`` makes ``1 − 2ησ² = 0``: the minimum in one step."""
    return 0.5 / sigma**2


def scalar_contraction(lr: Any, sigma: float) -> np.ndarray:
    """The error factor per step ``|1 − 2ησ²|``."""
    return np.abs(1.0 - 2.0 * np.asarray(lr, dtype=float) * sigma**2)


def scalar_closed_form(w0: float, y: float, sigma: float, lr: float, k: Any) -> np.ndarray:
    """EECS 182 eq. (3): ``w_k = (1 − 2ησ²)^k (w₀ − y/σ) + y/σ``."""
    k = np.asarray(k, dtype=float)
    return (1.0 - 2.0 * lr * sigma**2) ** k * (w0 - y / sigma) + y / sigma


REGIMES = {
    "monotone": "monotone: every step moves toward y/σ without overshooting (η < 1/(2σ²))",
    "one-step": "one step: η = 1/(2σ²) lands exactly on the minimum",
    "oscillating": "oscillating but converging: overshoots, each error smaller (1/(2σ²) < η < 1/σ²)",
    "period-2": "period 2: η = 1/σ² bounces between two points forever",
    "diverging": "diverging: each overshoot is larger than the last (η > 1/σ²)",
}


def scalar_regime(lr: float, sigma: float, rtol: float = 1e-9) -> str:
    """Which of the five regimes of Fig. 1 a step size falls in (exact landmarks up to ``rtol``).

    >>> scalar_regime(0.99, 1.0), scalar_regime(1.01, 1.0), scalar_regime(0.5, 1.0)
    ('oscillating', 'diverging', 'one-step')
    """
    one, lim = scalar_one_step(sigma), scalar_limit(sigma)
    if abs(lr - one) <= rtol * one:
        return "one-step"
    if abs(lr - lim) <= rtol * lim:
        return "period-2"
    if lr < one:
        return "monotone"
    return "oscillating" if lr < lim else "diverging"


def stability_threshold(optimizer: str, hp: dict) -> tuple[float, str, bool] | None:
    """The sharpness at which each method's step stops being stable on a quadratic, for the edge
    of stability (Cohen et al. 2021, 2022): ``(threshold, its formula, preconditioned?)``.

    GD: ``2/η``. Through PyTorch's (α, μ): heavy ball ``(2 + 2μ)/α``, Nesterov
    ``2(1 + μ)/((1 + 2μ)α)`` (2.8× lower at μ = 0.9: its look-ahead gradient sees the curvature
    twice). Each is where the method's 2×2 iteration block on λ has spectral radius 1. Adam (and
    AdamW, NAdam, AMSGrad): the *preconditioned* sharpness λ_max(P⁻¹H) against
    ``(2 + 2β₁)/((1 − β₁)η)`` (38/η at β₁ = 0.9). None for the rest.

    >>> stability_threshold("gd", {"lr": 0.5})[0], stability_threshold("adam", {"lr": 0.01, "beta1": 0.9})[0]
    (4.0, 3800.0000000000005)
    >>> round(stability_threshold("nesterov", {"lr": 0.25, "beta": 0.9})[0], 3)
    5.429
    """
    lr = float(hp["lr"])
    if optimizer == "gd":
        return 2.0 / lr, "2/η", False
    if optimizer in ("momentum", "nesterov"):
        alpha, mu = to_pytorch(lr, float(hp.get("beta", 0.9)), hp.get("convention", "pytorch"))
        if optimizer == "nesterov":  # the Jury limit of its 2×2 block (nesterov_limit)
            return 2.0 * (1.0 + mu) / ((1.0 + 2.0 * mu) * alpha), "2(1 + μ)/((1 + 2μ)α)", False
        return (2.0 + 2.0 * mu) / alpha, "(2 + 2μ)/α", False
    if optimizer in ("adam", "adamw", "nadam", "amsgrad"):
        b1 = float(hp.get("beta1", 0.9))
        return (2.0 + 2.0 * b1) / ((1.0 - b1) * lr), "(2 + 2β₁)/((1 − β₁)η)", True
    return None
