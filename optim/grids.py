"""Every slider grid of the app, in one pure module (no Streamlit): η, β, κ, batch sizes, clipping.

Widgets, links, the race view's banks, the Sweep lab's axes and the class questions all take their
values from here, so a value one of them writes is a value the others offer (a Sweep cell opens the
Playground on a value its slider shows; a link's η is snapped to the grid its run's slider shows).

* :func:`nice_grid` — log-spaced E12 values (1, 1.2, 1.5, 1.8, 2.2, …): the η sliders;
* :func:`log_grid` — a finer log grid (the Momentum lab's η, where a click on the rate map must land
  within ~2.5 % of its α);
* :func:`widget_grid` — the values a registry parameter's widget offers (log E12, the β grid, or
  None for a linear slider), and :func:`lr_grid` the η grid of one run on one surface;
* :func:`snap` and :func:`nearest` — the one snap of the app (URL values and widgets);
* :func:`thin` and :func:`thin_grid` — fewer values of a grid (the Sweep's axes, a bank's rows);
* named grids of the labs' own sliders (:data:`KAPPAS`, :data:`ADAPTIVE_ETAS`, …).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from .base import Param
from .optimizers import lr_range

__all__ = [
    "ADAM_BETA1",
    "ADAM_BETA2",
    "ADAPTIVE_ETAS",
    "BETAS",
    "BETA_BANK",
    "CLIP",
    "ELBOW_STEPS",
    "ELBOW_UNITS",
    "KAPPAS",
    "MOMENTUM_BETA_RANGE",
    "MOMENTUM_ETAS",
    "MOMENTUM_KAPPAS",
    "NETWORK_BATCHES",
    "NETWORK_STEPS",
    "NETWORK_WIDTHS",
    "NOISE",
    "SGD_BATCHES",
    "SGD_ETAS",
    "SPEEDS",
    "SWEEP_SIDES",
    "TOLERANCES",
    "around",
    "log_grid",
    "lr_grid",
    "momentum_betas",
    "nearest",
    "nice_grid",
    "scaled",
    "slider_step",
    "snap",
    "thin",
    "thin_grid",
    "widget_grid",
]

_E12 = (1.0, 1.2, 1.5, 1.8, 2.2, 2.7, 3.3, 3.9, 4.7, 5.6, 6.8, 8.2)


def nice_grid(lo: float, hi: float, include: float | None = None) -> list[float]:
    """Log-spaced E12 values (1, 1.2, 1.5, 1.8, 2.2, …) covering ``[lo, hi]``, plus ``include``.

    >>> nice_grid(0.01, 0.05)
    [0.01, 0.012, 0.015, 0.018, 0.022, 0.027, 0.033, 0.039, 0.047]
    """
    out = []
    for e in range(int(np.floor(np.log10(lo))), int(np.ceil(np.log10(hi))) + 1):
        for m in _E12:
            v = float(f"{m * 10.0**e:.3g}")
            if lo * (1 - 1e-9) <= v <= hi * (1 + 1e-9):
                out.append(v)
    if include is not None and np.isfinite(include):
        v = float(f"{include:.3g}")
        if v not in out:
            out.append(v)
    return sorted(set(out))


def log_grid(lo: float, hi: float, per_decade: int) -> list[float]:
    """``per_decade`` log-spaced values per decade (3 significant digits) covering ``[lo, hi]``.

    Finer than :func:`nice_grid` where a click must land close to the point asked for.

    >>> log_grid(1.0, 10.0, 4)
    [1.0, 1.78, 3.16, 5.62, 10.0]
    """
    first = int(np.ceil(np.log10(lo) * per_decade - 1e-9))
    last = int(np.floor(np.log10(hi) * per_decade + 1e-9))
    return sorted({float(f"{10 ** (j / per_decade):.3g}") for j in range(first, last + 1)})


# β values: every hundredth up to 0.99 (a sweep's rows land on them), then the long memories.
BETAS = (*(round(0.01 * i, 2) for i in range(100)), 0.995, 0.999, 0.9995, 0.9999)
# The β values a bank of paths keeps (the race view's β scrubber): dense where the memory is long.
BETA_BANK = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.93, 0.95, 0.97, 0.98, 0.99)
BETA_BANK += (0.995, 0.999)

# The labs' own sliders
SPEEDS = (0.25, 0.5, 1.0, 2.0, 4.0)  # the Playground's animation speed
KAPPAS = (10, 30, 100, 300, 1000)  # the Adaptive lab's valley
MOMENTUM_KAPPAS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000)
# 48 values per decade: fine enough that a click on the rate map lands within ~2.5 % of its α.
MOMENTUM_ETAS = tuple(log_grid(1e-3, 205.0, 48))
# β's range per notation: in the EECS 182 form β weights the new gradient, and β = 0 would never
# move (μ = 1 − β = 1), so it starts at 0.01; elsewhere β = 0 is plain GD.
MOMENTUM_BETA_RANGE = {"ema": (0.01, 0.99), "heavy_ball": (0.0, 0.99), "pytorch": (0.0, 0.99)}
ADAPTIVE_ETAS = tuple(nice_grid(0.001, 3.0, include=0.5))
ADAM_BETA1 = (0.0, 0.5, 0.8, 0.9, 0.95, 0.99)
ADAM_BETA2 = (0.9, 0.99, 0.999, 0.9999)
SGD_ETAS = tuple(nice_grid(0.01, 10.0))
SGD_BATCHES = (1, 2, 4, 8, 16)  # the dance's batch size (the cloud's adds 32 and the whole set)
SWEEP_SIDES = (20, 30, 40, 60, 80, 100)  # the Sweep lab's cells per side
TOLERANCES = (1e-2, 1e-3, 1e-4, 1e-6, 1e-8)  # "steps to L − L* ≤ tol"
NETWORK_WIDTHS = (4, 8, 16)  # units per hidden layer
NETWORK_STEPS = (200, 300, 600, 1000, 1800)  # 6 runs fit 300 steps of the budget, 1 run 1800
NETWORK_BATCHES = ("full", "16", "32", "64")
ELBOW_UNITS = (1, 2, 3, 4, 6, 8, 12, 16, 32)  # the 1-D ReLU network's hidden units
ELBOW_STEPS = (100, 250, 500, 1000, 2000, 4000)  # its Adam steps: 4000 is ~0.3 s of CPU
CLIP = tuple(nice_grid(0.01, 100.0))  # a clipping threshold c
NOISE = (0.0, *nice_grid(0.01, 10.0))  # gradient noise σ


def momentum_betas(convention: str) -> list[float]:
    """The Momentum lab's β grid in ``convention``: every hundredth of its range.

    >>> momentum_betas("ema")[:2], momentum_betas("pytorch")[:2]
    ([0.01, 0.02], [0.0, 0.01])
    """
    lo, hi = MOMENTUM_BETA_RANGE[convention]
    return np.round(np.arange(lo, hi + 1e-9, 0.01), 2).tolist()


def nearest(value: float, options: Sequence[float]) -> int:
    """Index of the option nearest ``value``: on a log scale when all are positive, else linearly.

    The one snap of the app (URL values and widgets both use it).

    >>> nearest(0.0123, [0.01, 0.012, 0.015]), nearest(-0.4, [-1.0, 0.0, 1.0])
    (1, 1)
    """
    nums = [float(o) for o in options]
    if value > 0 and min(nums) > 0:
        return min(range(len(nums)), key=lambda i: abs(math.log(nums[i] / value)))
    return min(range(len(nums)), key=lambda i: abs(nums[i] - value))


def snap(value: Any, options: Sequence[float]) -> float:
    """The option nearest ``value``; the middle one if it is not a finite number.

    >>> snap(0.0123, [0.01, 0.012, 0.015]), snap("x", [1.0, 2.0, 3.0])
    (0.012, 2.0)
    """
    try:
        v = float(value)
    except (TypeError, ValueError):
        return float(options[len(options) // 2])
    if v in options:
        return v
    if not math.isfinite(v):
        return float(options[len(options) // 2])
    return float(options[nearest(v, options)])


def widget_grid(p: Param, default: float | None = None) -> list[float] | None:
    """The values a parameter's widget offers: a log E12 grid, the β grid, or None (a slider).

    The Sweep lab lays its axes on these values, so a clicked cell is a value the widget shows.

    >>> from optim import OPTIMIZERS
    >>> widget_grid(OPTIMIZERS["momentum"].params[1])[-3:]
    [0.99, 0.995, 0.999]
    """
    lo, hi = p.slider
    default = p.default if default is None else default
    if p.log:
        return nice_grid(max(lo, 1e-12), hi, default)
    if p.name.startswith("beta"):
        return sorted({b for b in BETAS if lo <= b <= hi} | {float(default)})
    return None


def slider_step(p: Param) -> float:
    """A linear slider's step: a power of ten, about 1/200 of its span."""
    lo, hi = p.slider
    span = hi - lo
    return float(10.0 ** np.floor(np.log10(span / 200))) if span > 0 else 0.1


def scaled(unit: float, top: float = 1.5, per_unit: int = 200) -> tuple[float, ...]:
    """The Learning-rate lab's η values: multiples of unit/200 up to 1.5·unit, so 1/(2σ²), 0.99/σ²,
    1/σ² and 1.01/σ² (unit = 1/σ²) are all on it (its slider's step and its questions' grid).

    >>> g = scaled(1.0); len(g), 0.99 in g, 1.0 in g, g[-1]
    (300, True, True, 1.5)
    """
    return tuple(round(m * unit / per_unit, 12) for m in range(1, int(top * per_unit) + 1))


def around(default: float) -> list[float]:
    """E12 values from a thirtieth of ``default`` to 10× it (the Network lab's η sliders).

    >>> around(0.5)[0], 0.5 in around(0.5), around(0.5)[-1]
    (0.018, True, 4.7)
    """
    return nice_grid(default / 30, default * 10, default)


def lr_grid(surface: Any, optimizer: str, convention: str | None) -> tuple[list[float], float]:
    """The η grid for one run and its default: E12 values from a tenth of ``optim.lr_range``'s low
    end to 10× its top (the Sweep lab's η axis is laid on these values too).

    >>> from surfaces import get_surface
    >>> grid, default = lr_grid(get_surface("rosenbrock"), "gd", None)
    >>> default in grid, grid == sorted(grid)
    (True, True)
    """
    lo, default, hi = lr_range(surface, optimizer, convention)
    return nice_grid(lo / 10, hi * 10, default), float(f"{default:.3g}")


def thin(values: Sequence[float], n: int) -> list[float]:
    """At most ``n`` of ``values``, evenly spread by index, the first and last kept.

    >>> thin([1, 2, 3, 4, 5], 3), thin([1, 2], 5)
    ([1, 3, 5], [1, 2])
    """
    if len(values) <= n:
        return list(values)
    idx = np.unique(np.round(np.linspace(0, len(values) - 1, n)).astype(int))
    return [values[i] for i in idx]


def thin_grid(
    grid: Sequence[float], keep: float, most: int, marks: Sequence[float] = ()
) -> tuple[float, ...]:
    """At most ``most`` values of ``grid`` evenly spaced in position, with ``keep`` and ``marks``
    (landmarks such as the stability limit) always in.

    >>> thin_grid([1, 2, 3, 4, 5, 6, 7, 8, 9], 4, 4)
    (1.0, 4.0, 6.0, 9.0)
    """
    grid = [float(g) for g in grid]
    out = set(thin(grid, max(most, 2)))
    out.add(float(keep))
    out.update(float(m) for m in marks)
    return tuple(sorted(out))
