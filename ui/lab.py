"""What the labs share: their runs as one cached engine call, a lab's map in the race view, the η
slider on a lab's grid."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from . import link, view
from .cache import SurfaceKey, simulate, surface_of
from .runs import hashable

__all__ = ["eta_slider", "lab_map", "runs"]


def runs(
    key: SurfaceKey,
    names: Sequence[str],
    hps: Sequence[dict[str, Any]],
    steps: int,
    start: Sequence[float] | None = None,
    options: Any = None,
) -> list:
    """The runs ``names`` with ``hps`` on the surface ``key`` from ``start`` (its first suggested
    start if None): one engine call, cached across sessions (``ui.cache.simulate``)."""
    start = tuple(float(v) for v in (start if start is not None else surface_of(key).starts[0]))
    runs_ = tuple((n, hashable(hp)) for n, hp in zip(names, hps))
    if options is None:
        return simulate(key, runs_, start, steps)
    return simulate(key, runs_, start, steps, options)


def lab_map(
    prefix: str, look: Any, key: SurfaceKey, views: Sequence[Any], name: str, alt: str, **kw: Any
) -> dict:
    """A lab's map of ``views`` on the surface ``key`` in the race view (the one player of every
    page), without curves unless asked; ``kw`` are :class:`ui.view.Request` fields."""
    kw.setdefault("curves", False)
    kw.setdefault("main", False)
    req = view.Request(surface_of(key), key, views, f"{prefix}_{name}", alt, **kw)
    return view.show(req, look)


def eta_slider(label: str, grid: Sequence[float], default: float, key: str, **kw: Any) -> float:
    """An η select-slider on a lab's grid (``optim.grids``), its values as typed (0.05, not 5e-2)."""
    return link.select_slider(
        label, list(grid), value=default, format_func=lambda v: f"{v:g}", key=key, **kw
    )
