"""Descent Lab's loss-surface catalog: declarative records with broadcasting ``f``/``grad``/``hess``.

>>> import numpy as np
>>> s = get_surface("himmelblau")
>>> len(s.minima), s.f_min
(4, 0.0)
>>> s.grad(np.zeros((5, 7, 2))).shape
(5, 7, 2)
"""

from __future__ import annotations

from typing import Any

from .base import Surface, SurfaceEntry
from .catalog import ENTRIES as _ANALYTIC
from .data import ENTRIES as _DATA
from .data import DataSurface
from .formula import FUNCTIONS, from_formula

__all__ = [
    "FUNCTIONS",
    "SURFACES",
    "DataSurface",
    "Surface",
    "SurfaceEntry",
    "from_formula",
    "get_surface",
]

SURFACES: dict[str, SurfaceEntry] = {e.name: e for e in [*_ANALYTIC, *_DATA]}


def get_surface(name: str, **params: Any) -> Surface:
    """Build a registry surface with its parameters (validated; defaults where not given).

    >>> get_surface("quadratic", kappa=100).notes.split(",")[0]
    'λ_min = 0.01'
    """
    entry = SURFACES.get(name)
    if entry is None:
        raise ValueError(f"Unknown surface {name!r}; choose one of {', '.join(SURFACES)}.")
    return entry.make(**params)
