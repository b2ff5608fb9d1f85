"""The sweep lab's computation: row blocks of runs on worker threads, a small process-wide cache.

NumPy releases the GIL inside its array loops, so two blocks run on two cores at once (measured
2× on this 2-core machine); a page reports progress as blocks finish. Results are cached on the
sweep's primitives (surface key, optimizer, hyperparameters, grids, start, steps, tolerance).
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed

import numpy as np

import optim

from .cache import surface_of

__all__ = ["START_X", "sweep"]

START_X = "start x₀"
WORKERS = max(1, min(2, os.cpu_count() or 1))
_CACHE: OrderedDict[tuple, dict[str, np.ndarray]] = OrderedDict()
_LOCK = threading.Lock()
_MAX_ENTRIES = 12


def _block(key, opt, fixed, yaxis, lrs, ys, start, steps, tol) -> dict[str, np.ndarray]:
    """``len(ys) × len(lrs)`` runs in a single ``run_summary`` call."""
    surface = surface_of(key)
    lr_grid, y_grid = np.meshgrid(np.asarray(lrs), np.asarray(ys))
    x0 = np.tile(np.asarray(start, dtype=float), (lr_grid.size, 1))
    hp = dict(fixed)
    hp["lr"] = lr_grid.ravel()
    if yaxis == START_X:
        x0[:, 0] = y_grid.ravel()
    else:
        hp[yaxis] = y_grid.ravel()
    s = optim.run_summary(surface, opt, x0, steps, tol=tol, **hp)
    shape = lr_grid.shape
    return {
        "final": s.final_loss.reshape(shape),
        "hit": s.steps_to_tol.reshape(shape),
        "diverged": (s.diverged_at >= 0).reshape(shape),
    }


def sweep(
    key: tuple,
    opt: str,
    fixed: tuple,
    yaxis: str,
    lrs: tuple,
    ys: tuple,
    start: tuple,
    steps: int,
    tol: float,
    blocks: int = 10,
    progress: Callable[[float], None] | None = None,
) -> dict[str, np.ndarray]:
    """The whole grid: ``final`` loss, ``hit`` (steps to tol, −1 never), ``diverged``; (ys, lrs).

    Raises ``ValueError`` (from the engine) for settings that cannot run.
    """
    cache_key = (key, opt, fixed, yaxis, lrs, ys, start, steps, tol)
    with _LOCK:
        if cache_key in _CACHE:
            _CACHE.move_to_end(cache_key)
            return _CACHE[cache_key]
    rows = np.array_split(np.arange(len(ys)), min(blocks, len(ys)))
    parts: list[dict[str, np.ndarray] | None] = [None] * len(rows)
    with ThreadPoolExecutor(WORKERS) as pool:
        futures = {
            pool.submit(
                _block, key, opt, fixed, yaxis, lrs, tuple(np.asarray(ys)[r]), start, steps, tol
            ): i
            for i, r in enumerate(rows)
        }
        for done, future in enumerate(as_completed(futures), 1):
            parts[futures[future]] = future.result()
            if progress is not None:
                progress(done / len(rows))
    result = {name: np.concatenate([p[name] for p in parts]) for name in parts[0]}
    with _LOCK:
        _CACHE[cache_key] = result
        while len(_CACHE) > _MAX_ENTRIES:
            _CACHE.popitem(last=False)
    return result
