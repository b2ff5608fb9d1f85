"""The sweep lab's computation: a grid of runs as one shared, cancellable job with a cost estimate.

The grid is split into row blocks, each one ``run_summary`` call; the job reports its progress
every few steps (:mod:`ui.jobs`), so it is shared by every session asking for the same sweep,
queued behind other sweeps, and stopped when nobody waits for it any more. :func:`estimate`
prices a sweep in seconds of server CPU from a small probe before anything long starts, so the
page can run cheap sweeps at once, ask before expensive ones and refuse what a shared server
cannot afford.
"""

from __future__ import annotations

import math
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

import numpy as np

import optim
from optim import grids

from . import jobs
from .cache import surface_of

__all__ = [
    "AUTO_CPU",
    "MAX_CPU",
    "START_X",
    "axes",
    "estimate",
    "priced_out",
    "shared_already",
    "sweep",
]

START_X = "start x₀"


def _seconds(name: str, default: float) -> float:
    """A price limit in CPU seconds, from the environment if its operator set one (a smaller
    container may want lower ones; the real-server tests scale them to the machine)."""
    try:
        value = float(os.environ.get(name, default))
    except ValueError:
        return default
    return value if math.isfinite(value) and value > 0 else default


AUTO_CPU = _seconds("DESCENT_LAB_SWEEP_AUTO_CPU", 2.0)  # a sweep may cost without asking
MAX_CPU = _seconds("DESCENT_LAB_SWEEP_MAX_CPU", 30.0)  # a sweep may cost at all, asked for
BLOCKS = 10  # row blocks: the progress bar's and the cancellation's grain
PROBE_STEPS = 8
SAFETY = 1.25  # measured sweeps cost 0.83–0.98 of the bare estimate: price a little high
_UNIT: OrderedDict[tuple, tuple[float, float]] = OrderedDict()  # (set-up, per step) of a block
_UNIT_LOCK = threading.Lock()


def _block(key, opt, fixed, yaxis, lrs, ys, start, steps, tol, callback=None) -> dict:
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
    s = optim.run_summary(surface, opt, x0, steps, tol=tol, callback=callback, **hp)
    shape = lr_grid.shape
    return {
        "final": s.final_loss.reshape(shape),
        "hit": s.steps_to_tol.reshape(shape),
        "diverged": (s.diverged_at >= 0).reshape(shape),
    }


def _rows(ys: tuple, blocks: int) -> list[np.ndarray]:
    return np.array_split(np.arange(len(ys)), min(blocks, len(ys)))


def estimate(key, opt, fixed, yaxis, lrs, ys, start, steps, tol, blocks: int = BLOCKS) -> float:
    """The sweep's cost in seconds of server CPU, priced from a probe (cached per family).

    The probe runs one of the sweep's own row blocks for 1 and (twice, the faster counts) for
    :data:`PROBE_STEPS` steps; the difference prices a step of a block, the rest its set-up, and
    the sweep is that many blocks
    (priced :data:`SAFETY` high: measured sweeps cost 0.83–0.98 of the bare figure).
    """
    rows = _rows(ys, blocks)
    family = (key, opt, fixed, yaxis, start, len(lrs), len(rows[0]))
    with _UNIT_LOCK:
        unit = _UNIT.get(family)
    if unit is None:
        block_ys = tuple(np.asarray(ys)[rows[0]])

        def cpu(k: int) -> float:
            t0 = time.thread_time()
            _block(key, opt, fixed, yaxis, lrs, block_ys, start, k, tol)
            return time.thread_time() - t0

        one = cpu(1)
        many = min(cpu(PROBE_STEPS), cpu(PROBE_STEPS))  # interference only ever adds time
        per_step = max(many - one, 0.0) / (PROBE_STEPS - 1)
        unit = (max(one - per_step, 0.0), per_step)
        with _UNIT_LOCK:
            _UNIT[family] = unit
            while len(_UNIT) > 128:
                _UNIT.popitem(last=False)
    setup, per_step = unit
    return SAFETY * len(rows) * (setup + per_step * steps)


def _key(*args) -> tuple:
    return ("sweep", *args)


def shared_already(key, opt, fixed, yaxis, lrs, ys, start, steps, tol) -> bool:
    """True if this sweep is cached or being computed for someone: showing it costs nothing more."""
    k = _key(key, opt, fixed, yaxis, lrs, ys, start, steps, tol)
    return jobs.cached(k) is not None or any(j.key == k for j in jobs.running())


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
    blocks: int = BLOCKS,
    on_wait: Callable[[jobs.Job], None] | None = None,
) -> dict[str, np.ndarray]:
    """The whole grid: ``final`` loss, ``hit`` (steps to tol, −1 never), ``diverged``; (ys, lrs).

    One shared job per distinct sweep (see :mod:`ui.jobs`). Raises ``ValueError`` (from the
    engine) for settings that cannot run.
    """
    cache_key = _key(key, opt, fixed, yaxis, lrs, ys, start, steps, tol)

    def work(report: Callable[[float], None]) -> dict[str, np.ndarray]:
        parts, done = [], 0
        for r in _rows(ys, blocks):

            def step(k: int, done: int = done, n: int = len(r)) -> None:
                if k % 5 == 0:
                    report((done * steps + k * n) / (len(ys) * steps))

            block_ys = tuple(np.asarray(ys)[r])
            parts.append(_block(key, opt, fixed, yaxis, lrs, block_ys, start, steps, tol, step))
            done += len(r)
        report(1.0)
        return {name: np.concatenate([p[name] for p in parts]) for name in parts[0]}

    return jobs.shared(cache_key, work, on_wait)


def axes(
    surface, opt: optim.Optimizer, yaxis: str, fixed: dict, n: int, start
) -> tuple[np.ndarray, np.ndarray, str]:
    """The sweep's η values, vertical values and title, at most ``n`` per side.

    The axes are laid on the values the playground's widgets offer (``optim.grids``), so a
    clicked cell opens exactly the run it shows: η on the run's E12 grid, β on the β grid.
    """
    lrs = np.array(grids.thin(grids.lr_grid(surface, opt.name, fixed.get("convention"))[0], n))
    if yaxis == START_X:
        (x0, x1), _ = surface.plot_window
        return lrs, np.linspace(x0, x1, n), f"start x₀ (y₀ = {start[1]:g})"
    p = next(p for p in opt.params if p.name == yaxis)
    grid = grids.widget_grid(p)
    if grid is not None:
        return lrs, np.array(grids.thin(grid, n)), p.label
    (ylo, yhi), step = p.slider, grids.slider_step(p)
    return lrs, np.unique(np.round(np.linspace(ylo, yhi, n) / step) * step), p.label


def priced_out(cost: float, size: str, cells: int, steps: int) -> tuple[str, str]:
    """Why a sweep of ``cost`` CPU seconds does not run at once, and what would:
    ``("refused", text)`` above :data:`MAX_CPU`, ``("confirm", text)`` above :data:`AUTO_CPU`."""
    fits = [m for m in grids.SWEEP_SIDES if cost * m * m / cells <= AUTO_CPU]
    fewer = int(steps * AUTO_CPU / cost // 10 * 10)
    ways = ([f"a {fits[-1]}×{fits[-1]} grid at {steps} steps"] if fits else []) + (
        [f"{fewer} steps per run on this grid"] if fewer >= 50 else []
    )
    hint = (
        f" What runs at once: {' or '.join(ways)}."
        if ways
        else " A smaller grid with fewer steps runs at once."
    )
    if cost > MAX_CPU:
        return "refused", (
            f"**This sweep is too large for a shared server:** {size} would take about "
            f"{cost:.0f} s of computing, and one request may use at most {MAX_CPU:.0f} s.{hint}"
        )
    return "confirm", (
        f"**This sweep takes a while:** {size}, about {cost:.0f} s of computing on the "
        f"server (a class shares it).{hint}"
    )
