"""What the labs share: their runs as one cached engine call, a lab's map in the race view, the η
slider on a lab's grid."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import streamlit as st

from optim import experiments
from surfaces import get_surface

from . import link, view
from .cache import SurfaceKey, simulate, surface_of
from .runs import hashable

__all__ = ["cloud", "eta_slider", "lab_map", "runs", "sampling"]


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


@st.cache_data(max_entries=32, show_spinner=False)
def cloud(name: str, w: tuple, batch: int, seed: int) -> experiments.Cloud:
    """400 minibatch gradients at ``w`` on the data surface ``name`` (cached across sessions)."""
    return experiments.minibatch_gradients(get_surface(name), w, batch, draws=400, seed=seed)


@st.cache_data(max_entries=16, show_spinner=False)
def sampling(name: str, start: tuple, lr: float, batch: int, steps: int) -> experiments.Race:
    """Reshuffled epochs against sampling with replacement, 20 seeds (cached across sessions)."""
    return experiments.sampling_race(get_surface(name), start, lr, batch, steps, seeds=20)
