"""Small building blocks that the named optimizers compose.

All functions are pure and work on arrays with a leading run axis, ``(R, D)``; coefficients are scalars
or ``(R, 1)`` columns so that every run may have its own hyperparameters.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "accumulate_squares",
    "bias_correction",
    "clip_by_norm",
    "clip_by_value",
    "ema",
    "rms_scale",
    "trace",
]


def ema(prev: np.ndarray, new: np.ndarray, decay: np.ndarray | float) -> np.ndarray:
    """Exponential moving average ``decay·prev + (1 − decay)·new``.

    >>> float(ema(np.array(0.0), np.array(1.0), 0.9))
    0.09999999999999998
    """
    return decay * prev + (1.0 - decay) * new


def trace(prev: np.ndarray, new: np.ndarray, decay: np.ndarray | float, scale=1.0) -> np.ndarray:
    """Momentum trace ``decay·prev + scale·new`` (a leaky sum, not an average).

    >>> float(trace(np.array(1.0), np.array(1.0), 0.5))
    1.5
    """
    if isinstance(scale, float) and scale == 1.0:
        return decay * prev + new
    return decay * prev + scale * new


def accumulate_squares(prev: np.ndarray, g: np.ndarray) -> np.ndarray:
    """AdaGrad's running sum of squared gradients, ``r + g ⊙ g``."""
    return prev + g * g


def bias_correction(moment: np.ndarray, decay: np.ndarray | float, t: int) -> np.ndarray:
    """Divide an EMA started at zero by ``1 − decay^t`` (``t`` counts updates, from 1).

    >>> float(bias_correction(np.array(0.1), 0.9, 1))
    1.0000000000000002
    """
    return moment / (1.0 - decay**t)


def rms_scale(v: np.ndarray, eps: np.ndarray | float, eps_inside: bool = False) -> np.ndarray:
    """Per-coordinate scale ``1/(√v + ε)``, or ``1/√(v + ε)`` when ``eps_inside``."""
    if eps_inside:
        return 1.0 / np.sqrt(v + eps)
    return 1.0 / (np.sqrt(v) + eps)


def clip_by_norm(g: np.ndarray, max_norm: np.ndarray | float) -> np.ndarray:
    """Rescale each run's gradient so its Euclidean norm is at most ``max_norm`` (per run).

    >>> clip_by_norm(np.array([[3.0, 4.0]]), 1.0).round(3).tolist()
    [[0.6, 0.8]]
    """
    norm = np.sqrt(np.sum(g * g, axis=-1, keepdims=True))
    factor = np.minimum(1.0, max_norm / np.maximum(norm, 1e-300))
    return g * factor


def clip_by_value(g: np.ndarray, max_abs: np.ndarray | float) -> np.ndarray:
    """Clip every coordinate of the gradient to ``[−max_abs, max_abs]``.

    >>> clip_by_value(np.array([[3.0, -0.5]]), 1.0).tolist()
    [[1.0, -0.5]]
    """
    return np.clip(g, -max_abs, max_abs)
