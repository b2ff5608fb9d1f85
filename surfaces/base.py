"""The surface record: broadcasting ``f``/``grad``/``hess`` plus everything a page needs to draw it.

Functions take ``xy`` of shape ``(..., 2)``: a point ``(2,)``, a batch of runs ``(R, 2)`` or a plotting
mesh ``(H, W, 2)``, unchanged. Gradients come back as ``(..., 2)``, Hessians as ``(..., 2, 2)``.
Evaluation never raises or warns for finite or non-finite input: overflow and undefined values are
NaN or inf at that point.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from vocab import Param, Switch

__all__ = ["Surface", "SurfaceEntry", "polish"]

Box = tuple[tuple[float, float], tuple[float, float]]
LrHint = tuple[float, float, float]  # (slider low, default, slider high)


def _full_shape(value: Any, shape: tuple[int, ...]) -> np.ndarray:
    """Constants (e.g. a constant Hessian entry) broadcast to the evaluation shape, as float64."""
    arr = np.asarray(value, dtype=float)
    return arr if arr.shape == shape else np.broadcast_to(arr, shape).copy()


@dataclass(frozen=True, eq=False)
class Surface:
    """A 2-D loss surface: exact functions, its known critical points and demo hints.

    ``fn(x, y)`` returns the value, ``grad_fn(x, y)`` a pair ``(∂x, ∂y)``, ``hess_fn(x, y)`` a triple
    ``(∂xx, ∂xy, ∂yy)``; :meth:`f`, :meth:`grad` and :meth:`hess` wrap them for ``(..., 2)`` arrays.
    """

    name: str
    title: str
    fn: Callable[[np.ndarray, np.ndarray], np.ndarray]
    grad_fn: Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]
    domain: Box
    latex: str
    reference: str
    hess_fn: Callable[[np.ndarray, np.ndarray], tuple] | None = None
    window: Box | None = None
    minima: tuple[tuple[float, float], ...] = ()
    f_min: float | None = None
    local_minima: tuple[tuple[float, float], ...] = ()
    saddles: tuple[tuple[float, float], ...] = ()
    notes: str = ""
    params: Mapping[str, Any] = field(default_factory=dict)
    starts: tuple[tuple[float, float], ...] = ()
    lr_gd: LrHint = (1e-3, 0.01, 0.1)
    lr_adaptive: LrHint = (1e-3, 0.05, 0.5)
    log_scale: bool = False
    kind: str = "analytic"
    axes: tuple[str, str] = ("x", "y")  # the coordinates' names, as the text names them
    bowl: bool = False  # an ill-conditioned bowl: its iso-lines step geometrically above f_min
    dim: int = 2

    # -- evaluation -------------------------------------------------------------------------------
    def f(self, xy: Any) -> np.ndarray:
        """Loss at ``xy`` of shape ``(..., 2)``; returns shape ``(...)``."""
        xy = np.asarray(xy, dtype=float)
        with np.errstate(all="ignore"):
            out = self.fn(xy[..., 0], xy[..., 1])
        return _full_shape(out, xy.shape[:-1])

    def grad(self, xy: Any) -> np.ndarray:
        """Analytic gradient, shape ``(..., 2)``."""
        with np.errstate(all="ignore"):
            return self.grad_quiet(xy)

    def grad_quiet(self, xy: Any) -> np.ndarray:
        """:meth:`grad` for callers already inside ``np.errstate(all="ignore")`` (the engine)."""
        xy = np.asarray(xy, dtype=float)
        gx, gy = self.grad_fn(xy[..., 0], xy[..., 1])
        out = np.empty(xy.shape)
        out[..., 0] = gx
        out[..., 1] = gy
        return out

    @property
    def may_have_poles(self) -> bool:
        """Whether the loss can be undefined or unbounded inside the window: only a typed formula
        (``1/x``, ``log(x)``); the catalog's and the data surfaces' losses are finite everywhere."""
        return self.kind == "formula"

    @property
    def has_hess(self) -> bool:
        return self.hess_fn is not None

    def hess(self, xy: Any) -> np.ndarray:
        """Analytic Hessian, shape ``(..., 2, 2)``; raises if the surface has none."""
        if self.hess_fn is None:
            raise ValueError(f"{self.title} has no analytic Hessian.")
        xy = np.asarray(xy, dtype=float)
        with np.errstate(all="ignore"):
            hxx, hxy, hyy = self.hess_fn(xy[..., 0], xy[..., 1])
        shape = xy.shape[:-1]
        hxx, hxy, hyy = (_full_shape(h, shape) for h in (hxx, hxy, hyy))
        return np.stack([np.stack([hxx, hxy], -1), np.stack([hxy, hyy], -1)], axis=-2)

    def constant_hessian(self) -> np.ndarray | None:
        """The Hessian if it is the same everywhere (a quadratic), else None.

        Checked at two points; a typed formula's Hessian, analysed on first use, may be refused
        (None then too).

        >>> from surfaces import get_surface
        >>> sorted(np.linalg.eigvalsh(get_surface("quadratic", kappa=4.0).constant_hessian()))
        [np.float64(0.25), np.float64(1.0)]
        >>> get_surface("rosenbrock").constant_hessian() is None
        True
        """
        if self.hess_fn is None:
            return None
        try:
            h0, h1 = self.hess(np.zeros(2)), self.hess(np.array([0.7, -0.3]))
        except ValueError:
            return None
        return h0 if np.allclose(h0, h1) and np.all(np.isfinite(h0)) else None

    # -- geometry ---------------------------------------------------------------------------------
    @property
    def plot_window(self) -> Box:
        return self.window or self.domain

    @property
    def bound(self) -> float:
        """A run whose coordinates leave ``±bound`` counts as diverged: 1000× the domain's extent."""
        extent = max(abs(v) for pair in self.domain for v in pair)
        return 1e3 * max(extent, 1.0)

    def mesh(
        self, n: int = 150, window: Box | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(xs, ys, Z)`` on an ``n × n`` grid of the plot window; ``Z[i, j] = f(xs[j], ys[i])``."""
        (x0, x1), (y0, y1) = window or self.plot_window
        xs, ys = np.linspace(x0, x1, n), np.linspace(y0, y1, n)
        grid = np.stack(np.meshgrid(xs, ys), axis=-1)
        return xs, ys, self.f(grid)

    def distance_to_min(self, xy: Any) -> np.ndarray:
        """Distance from each point to the nearest listed global minimum (NaN if none listed)."""
        xy = np.asarray(xy, dtype=float)
        if not self.minima:
            return np.full(xy.shape[:-1], np.nan)
        mins = np.asarray(self.minima, dtype=float)
        diff = xy[..., None, :] - mins
        return np.sqrt(np.min(np.sum(diff * diff, axis=-1), axis=-1))


@dataclass(frozen=True)
class SurfaceEntry:
    """A registry entry: builds a :class:`Surface` from validated parameters."""

    name: str
    title: str
    category: str
    build: Callable[..., Surface]
    params: tuple[Param | Switch, ...] = ()
    summary: str = ""

    def defaults(self) -> dict[str, Any]:
        return {p.name: p.default for p in self.params}

    def make(self, **params: Any) -> Surface:
        unknown = set(params) - {p.name for p in self.params}
        if unknown:
            allowed = ", ".join(p.name for p in self.params) or "no parameters"
            raise ValueError(
                f"{self.name}: unknown parameter(s) {', '.join(sorted(unknown))}; "
                f"it takes {allowed}."
            )
        values = self.defaults() | params
        for p in self.params:
            p.check(values[p.name], self.name)
            if isinstance(p, Param):
                if np.ndim(values[p.name]) != 0:
                    raise ValueError(f"{self.name}: {p.name} must be a single number.")
                values[p.name] = float(values[p.name])
        return self.build(**values)


def polish(surface: Surface, point: tuple[float, float], iters: int = 50) -> tuple[float, float]:
    """Refine a critical point with Newton's method on the exact gradient and Hessian."""
    p = np.asarray(point, dtype=float)
    for _ in range(iters):
        step = np.linalg.solve(surface.hess(p), surface.grad(p))
        p = p - step
        if np.max(np.abs(step)) < 1e-15:
            break
    return float(p[0]), float(p[1])
