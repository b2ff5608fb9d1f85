"""Per-run hyperparameter values: scalars or ``(R,)`` arrays broadcast against the run axis.

The specs themselves (:class:`Param`, :class:`Switch`) live in :mod:`vocab`, below both the engine
and the surface catalog; they are re-exported here.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from vocab import Param, Switch

__all__ = ["Param", "Switch", "as_run_array", "run_value"]


def as_run_array(value: Any, runs: int, name: str) -> np.ndarray:
    """Broadcast a scalar or ``(R,)`` hyperparameter to a float64 column ``(R, 1)``.

    >>> as_run_array(0.1, 3, "lr").shape
    (3, 1)
    """
    arr = np.asarray(value, dtype=float)
    if arr.ndim == 0:
        return np.full((runs, 1), float(arr))
    if arr.shape != (runs,):
        raise ValueError(
            f"{name} has shape {arr.shape}; expected a scalar or ({runs},), one per run."
        )
    return arr.reshape(runs, 1).copy()


def run_value(value: Any, runs: int, dim: int, name: str) -> float | np.ndarray:
    """A scalar stays a Python float; an ``(R,)`` array becomes a contiguous ``(R, D)`` array.

    >>> run_value(0.5, 3, 2, "lr"), run_value([1.0, 2.0], 2, 2, "lr").tolist()
    (0.5, [[1.0, 1.0], [2.0, 2.0]])
    """
    arr = np.asarray(value, dtype=float)
    if arr.ndim == 0:
        return float(arr)
    col = as_run_array(arr, runs, name)
    return np.ascontiguousarray(np.broadcast_to(col, (runs, dim)))


def per_run(value: Any, runs: int) -> np.ndarray:
    """The ``(R,)`` view of a value made by :func:`run_value`."""
    if np.ndim(value) == 0:
        return np.full(runs, float(value))
    return np.asarray(value)[:, 0].copy()
