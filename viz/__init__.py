"""Descent Lab's figure builders: pure functions from trajectories and surfaces to Plotly dicts.

>>> import numpy as np, optim
>>> from surfaces import get_surface
>>> s = get_surface("booth")
>>> traj = optim.run(s, "gd", np.array([[0.0, 0.0]]), 20, lr=0.05)
>>> spec = race_spec(s, run_views([traj], s), background="")
>>> len(spec["frames"]["steps"]), spec["runs"][0]["label"]
(21, '1. GD η=0.05')
"""

from .curves import curve_layout, schedule_figure
from .encode import b64, decode, describe, payload_bytes
from .export import standalone_html
from .gif import animated_gif
from .inspector import Inspected, inspector_figure
from .messages import divergence_messages, finish_line, pole_crossing
from .race import Bank, race_spec
from .raster import field_levels, field_png, png_data_uri
from .style import PALETTE, Look, color
from .views import FramePlan, RunView, divergence_point, plan_frames, run_views

__all__ = [
    "PALETTE",
    "Bank",
    "FramePlan",
    "Inspected",
    "Look",
    "RunView",
    "animated_gif",
    "b64",
    "color",
    "curve_layout",
    "decode",
    "describe",
    "divergence_messages",
    "divergence_point",
    "field_levels",
    "field_png",
    "finish_line",
    "inspector_figure",
    "payload_bytes",
    "plan_frames",
    "png_data_uri",
    "pole_crossing",
    "race_spec",
    "run_views",
    "schedule_figure",
    "standalone_html",
]
