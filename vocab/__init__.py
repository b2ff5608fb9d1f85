"""The vocabulary shared by the engine and the surface catalog: hyperparameter and switch specs.

A hyperparameter is data, not code: its name, label, default, the range that is mathematically
valid (``low``/``high``, used to validate) and the range a slider should offer (``ui_low``/``ui_high``).
Numeric hyperparameters may be a scalar or an ``(R,)`` array (one value per run); switches (a
convention, bias correction on/off) select code paths and stay plain Python values.

This package sits below both ``optim`` and ``surfaces`` and imports neither, so a surface never
loads the engine and the engine never loads the catalog.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["Param", "Switch"]


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
    symbol: str = ""  # short name in legends ("η", "β₁"); empty: left out of legends
    legend_if_default: bool = True  # False: named in a legend only when changed (Adam's β₂)

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
