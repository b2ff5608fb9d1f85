"""Descent Lab's optimizer engine: pure update rules over arrays with a leading run axis.

>>> import numpy as np, optim
>>> from surfaces import get_surface
>>> traj = optim.run(get_surface("rosenbrock"), "adam", np.array([[-1.5, 2.0]]), 200, lr=0.05)
>>> traj.xy.shape, int(traj.diverged_at[0])
((201, 1, 2), -1)
"""

from . import experiments, grids, schedules, theory
from .base import Param, Switch
from .blocks import clip_by_norm, clip_by_value
from .engine import (
    Paths,
    RunOptions,
    RunSpec,
    Summary,
    Trajectory,
    run,
    run_many,
    run_paths,
    run_summary,
)
from .optimizers import (
    CONVENTIONS,
    ERRATA,
    OPTIMIZERS,
    STATE_LABELS,
    Convention,
    Optimizer,
    get_optimizer,
    lr_range,
)

__all__ = [
    "CONVENTIONS",
    "ERRATA",
    "OPTIMIZERS",
    "STATE_LABELS",
    "Convention",
    "Optimizer",
    "Param",
    "Paths",
    "RunOptions",
    "RunSpec",
    "Summary",
    "Switch",
    "Trajectory",
    "clip_by_norm",
    "clip_by_value",
    "experiments",
    "get_optimizer",
    "grids",
    "lr_range",
    "run",
    "run_many",
    "run_paths",
    "run_summary",
    "schedules",
    "theory",
]
