"""Descent Lab's figure builders: pure functions from trajectories and surfaces to Plotly dicts.

>>> import numpy as np, optim
>>> from surfaces import get_surface
>>> s = get_surface("booth")
>>> traj = optim.run(s, "gd", np.array([[0.0, 0.0]]), 20, lr=0.05)
>>> spec = contour_figure(s, run_views([traj], s), background="")
>>> len(spec["frames"]), spec["frames"][0]["traces"]
(21, [1, 2])
"""

from .encode import PrebuiltFigure, b64, decode, describe, payload_bytes
from .export import standalone_html
from .figures import (
    FramePlan,
    Inspected,
    RunView,
    contour_figure,
    distance_figure,
    divergence_messages,
    divergence_point,
    finish_line,
    inspector_figure,
    loss_figure,
    plan_frames,
    pole_crossing,
    run_views,
    schedule_figure,
    surface_figure,
)
from .gif import animated_gif
from .race import Bank, race_spec
from .raster import field_levels, field_png, png_data_uri
from .style import PALETTE, Look, color

__all__ = [
    "PALETTE",
    "Bank",
    "FramePlan",
    "Inspected",
    "Look",
    "PrebuiltFigure",
    "RunView",
    "animated_gif",
    "b64",
    "color",
    "contour_figure",
    "decode",
    "describe",
    "distance_figure",
    "divergence_messages",
    "divergence_point",
    "field_levels",
    "field_png",
    "finish_line",
    "inspector_figure",
    "loss_figure",
    "payload_bytes",
    "plan_frames",
    "png_data_uri",
    "pole_crossing",
    "race_spec",
    "run_views",
    "schedule_figure",
    "standalone_html",
    "surface_figure",
]
