"""Records shared by optimizers, schedules and surfaces: hyperparameter specs and validation.

A hyperparameter is data, not code: its name, label, default, the range that is mathematically
valid (``low``/``high``, used to validate) and the range a slider should offer (``ui_low``/``ui_high``).
Numeric hyperparameters may be a scalar or an ``(R,)`` array (one value per run); switches (a
convention, bias correction on/off) select code paths and stay plain Python values.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["Param", "Switch", "as_run_array", "run_value"]


@dataclass(frozen=True)
class Param:
    """A numeric hyperparameter: validation bounds plus what a slider should offer.

    >>> p = Param("beta", "β", 0.9, low=0.0, high=1.0, high_open=True)
    >>> p.check(0.5, "momentum")
    0.5
    """

    name: str
    label: str
    default: float
    low: float = -np.inf
    high: float = np.inf
    low_open: bool = False
    high_open: bool = False
    ui_low: float | None = None
    ui_high: float | None = None
    log: bool = False
    help: str = ""

    @property
    def slider(self) -> tuple[float, float]:
        """The range a slider offers (within the valid range)."""
        lo = self.ui_low if self.ui_low is not None else self.low
        hi = self.ui_high if self.ui_high is not None else self.high
        return float(lo), float(hi)

    def describe_range(self) -> str:
        left = "(" if self.low_open else "["
        right = ")" if self.high_open else "]"
        return f"{left}{self.low:g}, {self.high:g}{right}"

    def valid(self, value: np.ndarray) -> np.ndarray:
        v = np.asarray(value, dtype=float)
        ok = np.isfinite(v)
        ok &= (v > self.low) if self.low_open else (v >= self.low)
        ok &= (v < self.high) if self.high_open else (v <= self.high)
        return ok

    def check(self, value: Any, owner: str) -> Any:
        """Return ``value`` if every element lies in the valid range, else raise ``ValueError``."""
        try:
            arr = np.asarray(value, dtype=float)
        except (TypeError, ValueError):
            raise ValueError(f"{owner}: {self.name} must be a number, got {value!r}.") from None
        if arr.ndim > 1:
            raise ValueError(f"{owner}: {self.name} must be a scalar or a 1-D array (one per run).")
        if not np.all(self.valid(arr)):
            bad = arr[~self.valid(arr)] if arr.ndim else arr
            raise ValueError(
                f"{owner}: {self.name} = {np.ravel(bad)[0]:g} is outside its valid range "
                f"{self.describe_range()}."
            )
        return value


@dataclass(frozen=True)
class Switch:
    """A hyperparameter that selects code: a convention, a variant, on/off."""

    name: str
    label: str
    default: Any
    choices: tuple[Any, ...]
    help: str = ""
    labels: Mapping[Any, str] = field(default_factory=dict)

    def check(self, value: Any, owner: str) -> Any:
        if isinstance(value, np.ndarray):
            raise ValueError(
                f"{owner}: {self.name} selects code and must be one value for all runs."
            )
        if value not in self.choices:
            opts = ", ".join(repr(c) for c in self.choices)
            raise ValueError(f"{owner}: {self.name} must be one of {opts}, got {value!r}.")
        return value


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
