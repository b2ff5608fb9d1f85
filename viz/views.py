"""A run as every view draws it (:class:`RunView`), the animation's frame steps, and where a
diverged run's ✕ goes (pure: no Streamlit)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import style
from .geometry import Box, divergence_points
from .style import color

__all__ = ["FramePlan", "RunView", "divergence_point", "plan_frames", "run_views"]


@dataclass(frozen=True)
class RunView:
    """One run as the figures see it: its colour, dash and marker, legend label and exact path."""

    label: str
    color: str
    xy: np.ndarray  # (S+1, 2); NaN after divergence
    loss: np.ndarray  # (S+1,)
    diverged_at: int  # -1 if the run stayed finite and bounded
    dist: np.ndarray | None = None  # (S+1,) distance to the nearest known minimum
    dash: str = "solid"  # colour is never the only carrier: each run has its dash and marker
    symbol: str = "circle"

    @property
    def steps(self) -> int:
        return len(self.xy) - 1

    @property
    def diverged(self) -> bool:
        return self.diverged_at >= 0


def run_views(trajectories: Sequence[Any], surface: Any, labels: Sequence[str] | None = None):
    """One :class:`RunView` per run of each trajectory, coloured in order."""
    views: list[RunView] = []
    for traj in trajectories:
        for r in range(traj.xy.shape[1]):
            i = len(views)
            xy = traj.xy[:, r, :]
            views.append(
                RunView(
                    label=labels[i] if labels is not None else f"{i + 1}. {traj.label(r)}",
                    color=color(i),
                    dash=style.dash(i),
                    symbol=style.symbol(i),
                    xy=xy,
                    loss=traj.loss[:, r],
                    diverged_at=int(traj.diverged_at[r]),
                    dist=surface.distance_to_min(xy) if surface.minima else None,
                )
            )
    return views


@dataclass(frozen=True)
class FramePlan:
    """Which steps become frames, and how trails are thinned to fit the budget."""

    steps: np.ndarray  # (F,) increasing step numbers, first 0, last S
    stride: int  # 1: trails hold every step; n: every n-th step plus the current one

    @property
    def exact(self) -> bool:
        return self.stride == 1


def plan_frames(steps: int, runs: int, max_frames: int = 150, budget: int = 40_000) -> FramePlan:
    """Choose ≤ ``max_frames`` frame steps and a trail stride so trails total ≤ ~``budget`` points.

    >>> p = plan_frames(100, 3)
    >>> len(p.steps), p.stride
    (101, 1)
    >>> p = plan_frames(1000, 8)
    >>> len(p.steps), int(p.steps[-1]), p.stride
    (150, 1000, 16)
    """
    n = int(min(max_frames, steps + 1))
    ks = np.unique(np.round(np.linspace(0, steps, max(n, 2))).astype(int)) if steps else np.zeros(1)
    total = runs * float(np.sum(ks + 1))
    stride = max(1, int(np.ceil(total / budget)))
    return FramePlan(ks.astype(int), stride)


def divergence_point(view: RunView, window: Box) -> np.ndarray | None:
    """Where to draw a diverged run's ✕: its last point inside the window before it diverged."""
    if not view.diverged:
        return None
    ks = np.arange(view.steps + 1)
    return divergence_points(view.xy[None], ks, np.array([view.diverged_at]), window)[0]
