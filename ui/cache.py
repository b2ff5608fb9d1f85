"""Cached computations keyed on hashable primitives only (see PLATFORM_NOTES: never on big arrays).

A surface is named by a *key*: ``("registry", name, ((param, value), …))`` or
``("formula", text, ((xmin, xmax), (ymin, ymax)))``. Runs are ``(optimizer, ((hp, value), …))``.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
import streamlit as st

import optim
import viz
from surfaces import SURFACES, Surface, from_formula, get_surface
from viz.contours import contour_lines
from viz.encode import q16

from .runs import RunKey

__all__ = [
    "field_background",
    "field_lines",
    "formula_key",
    "simulate",
    "steps_to",
    "surface_key",
    "surface_mesh",
    "surface_of",
    "trajectory_table",
]

SurfaceKey = tuple


def surface_key(name: str, **params: Any) -> SurfaceKey:
    """The one way to name a registry surface: every parameter (defaults filled in), numbers as
    floats, in the registry's order, so one surface has one key and its field is cached once.

    >>> surface_key("quadratic", kappa=100)
    ('registry', 'quadratic', (('kappa', 100.0), ('angle_deg', 0.0), ('scale', 1.0)))
    """
    entry = SURFACES[name]
    values = entry.defaults() | params

    def norm(v: Any) -> Any:
        return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else v

    return ("registry", name, tuple((p.name, norm(values[p.name])) for p in entry.params))


def formula_key(text: str, domain: tuple) -> SurfaceKey:
    """The key of a typed formula on its plotting domain ``((xmin, xmax), (ymin, ymax))``."""
    (x0, x1), (y0, y1) = domain
    return ("formula", text, ((float(x0), float(x1)), (float(y0), float(y1))))


@functools.lru_cache(maxsize=64)
def surface_of(key: SurfaceKey) -> Surface:
    """Build (once) the surface a key names; ``ValueError`` with a readable message if it is bad."""
    kind, name, extra = key
    if kind == "registry":
        return get_surface(name, **dict(extra))
    if kind == "formula":
        return from_formula(name, extra)
    raise ValueError(f"unknown surface kind {kind!r}")


@st.cache_data(max_entries=24, show_spinner=False)
def field_background(key: SurfaceKey, n: int = 300, lines: bool = True) -> str:
    """The field as a PNG data URI: with its iso-lines drawn in (``lines``), or the shading only
    (the race view draws the iso-lines as vectors: :func:`field_lines`)."""
    s = surface_of(key)
    _, _, z = s.mesh(n)
    return viz.png_data_uri(viz.field_png(z, s.log_scale, lines=lines))


@st.cache_data(max_entries=24, show_spinner=False)
def field_lines(key: SurfaceKey, n: int = 120) -> dict:
    """The field's iso-lines as vectors (``viz.contours``, contourpy), 16 bits a coordinate
    (``viz.encode.q16``): 5 000–11 000 points, 20–45 kB, sent once per browser session."""
    s = surface_of(key)
    x, y = contour_lines(*s.mesh(n), s.log_scale, floor=s.f_min if s.bowl else None)
    return {"x": q16(x), "y": q16(y)}


@st.cache_data(max_entries=24, show_spinner=False)
def surface_mesh(key: SurfaceKey, n: int = 60) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A coarse mesh for the 3D view (n × n float64; small enough to hash and copy)."""
    return surface_of(key).mesh(n)


@st.cache_data(max_entries=32, show_spinner=False)
def simulate(
    key: SurfaceKey,
    runs: tuple[RunKey, ...],
    start: tuple[float, float],
    steps: int,
    options: optim.RunOptions = optim.RunOptions(),  # noqa: B008 - a frozen record, never mutated
) -> list[optim.Trajectory]:
    """Run every optimizer from ``start`` in one engine call (``optim.run_many``)."""
    s = surface_of(key)
    specs = [optim.RunSpec(name, [start], dict(hp)) for name, hp in runs]
    return optim.run_many(s, specs, steps, options=options)


def trajectory_table(trajectories: list[optim.Trajectory], labels: list[str]):
    """One tidy table for all runs: run number and label first, then the engine's columns."""
    import pandas as pd

    frames = []
    for i, (t, label) in enumerate(zip(trajectories, labels)):
        df = t.to_frame().drop(columns=["run"])
        df.insert(0, "label", label)
        df.insert(0, "run", i + 1)
        frames.append(df)
    return pd.concat(frames, ignore_index=True)


def step_table(surface, trajectories: list[optim.Trajectory], labels: list[str], k: int):
    """One row per run at step ``k``: the iterate, loss, η_k, gradients, the step taken, the state.

    ``g_k`` is the gradient the run used. Where it is not the exact ∇L(w_k) for some run (Nesterov
    evaluates it at a look-ahead point; noise and minibatches perturb it), both columns are shown,
    with the look-ahead point. State columns are the optimizer's records at that step (velocity /
    first moment, second moment, their bias-corrected values, the effective per-coordinate step),
    as the engine stored them after the update from ``w_k``. A value a run does not have is "—".
    """
    import pandas as pd

    def vec(a: np.ndarray) -> str:
        return (
            "(" + ", ".join(f"{float(v):.4g}" for v in a) + ")" if np.all(np.isfinite(a)) else "—"
        )

    rows, differs = [], False
    for label, t in zip(labels, trajectories):
        kk = min(k, t.steps - 1)
        w = t.xy[kk, 0]
        with np.errstate(all="ignore"):
            exact = np.asarray(surface.grad(w), dtype=float)
        used = t.grad[kk, 0]
        differs |= bool(np.all(np.isfinite(used)) and not np.allclose(used, exact, rtol=1e-9))
        row = {
            "run": label,
            "w_k": vec(w),
            "L(w_k)": float(t.loss[kk, 0]),
            "η_k": float(t.lr[kk, 0]),
            "g_k (gradient used)": vec(used),
            "∇L(w_k)": vec(exact),
            GRADIENT_POINT: vec(t.state["lookahead"][kk, 0]) if "lookahead" in t.state else "—",
            "step w_{k+1} − w_k": vec(t.xy[kk + 1, 0] - w),
        }
        # the Taylor view of the step: what the gradient predicts the loss does, against what it
        # did (on a quadratic the second-order term makes the prediction exact)
        step = t.xy[kk + 1, 0] - w
        with np.errstate(all="ignore"):
            row[TAYLOR[0]] = float(t.loss[kk + 1, 0] - t.loss[kk, 0])
            row[TAYLOR[1]] = float(exact @ step)
            if surface.hess_fn is not None:
                h = np.asarray(surface.hess(w), dtype=float)
                row[TAYLOR[2]] = float(exact @ step + 0.5 * step @ h @ step)
        for name, arr in t.state.items():
            if name != "lookahead":
                row[optim.STATE_LABELS.get(name, name)] = vec(arr[kk, 0])
        rows.append(row)
    table = pd.DataFrame(rows)
    if not differs:  # every run used ∇L(w_k) itself: one gradient column
        table = table.drop(columns=["∇L(w_k)"]).rename(columns={"g_k (gradient used)": "∇L(w_k)"})
    if (table[GRADIENT_POINT] == "—").all():
        table = table.drop(columns=[GRADIENT_POINT])
    # pandas 3 stores text as "str", not object: every non-numeric column's gaps become "—"
    state = [c for c in table.columns if not pd.api.types.is_numeric_dtype(table[c])]
    table[state] = table[state].fillna("—")
    return table


GRADIENT_POINT = "point where ∇L was taken"  # Nesterov's look-ahead, Schedule-Free's y, SAM's

TAYLOR = (
    "ΔL = L(w_{k+1}) − L(w_k), measured",
    "ΔL, first-order Taylor: ∇L(w_k)ᵀΔw",
    "ΔL, second-order: + ½ ΔwᵀHΔw",
)


@st.cache_data(max_entries=32, show_spinner=False)
def steps_to(
    key: SurfaceKey, run: RunKey, start: tuple[float, float], steps: int, tol: float
) -> int:
    """The first step at which ``run`` from ``start`` is within ``tol`` of L* (−1 if never within
    ``steps``: ``optim.run_summary``), cached on primitives across sessions."""
    optimizer, hp = run
    s = surface_of(key)
    x0 = np.array([start], dtype=float)
    return int(optim.run_summary(s, optimizer, x0, steps, tol=tol, **dict(hp)).steps_to_tol[0])
