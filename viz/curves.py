"""Curves against the step: a curve's layout, the learning-rate schedule."""

from __future__ import annotations

from typing import Any

import numpy as np

from .encode import b64
from .style import GRID, Look, base_layout

__all__ = ["curve_layout", "schedule_figure"]

DEFAULT_LOOK = Look()


def curve_layout(
    look: Look,
    height: int,
    ytitle: str,
    log: bool = True,
    xtitle: str = "step k",
    **extra: Any,
) -> dict[str, Any]:
    """A curve's layout: the step k (or ``xtitle``) across, ``ytitle`` up (a log axis with
    powers of ten)."""
    return base_layout(
        look,
        height,
        xaxis={"title": {"text": xtitle}, "gridcolor": GRID, "zeroline": False},
        yaxis={
            "title": {"text": ytitle},
            "type": "log" if log else "linear",
            "gridcolor": GRID,
            "exponentformat": "power",
        },
        hovermode="closest",
        **extra,
    )


def schedule_figure(
    factors: np.ndarray, *, look: Look = DEFAULT_LOOK, height: int = 180
) -> dict[str, Any]:
    """The schedule's multiplier s(k) = η_k / η₀ against the step."""
    layout = base_layout(
        look,
        height,
        margin={"l": 45, "r": 10, "t": 10, "b": 35},
        xaxis={"title": {"text": "step k"}, "gridcolor": GRID},
        yaxis={"title": {"text": "η_k / η₀"}, "gridcolor": GRID, "rangemode": "tozero"},
        showlegend=False,
    )
    return {
        "data": [
            {
                "type": "scatter",
                "x0": 0,
                "dx": 1,
                "y": b64(factors),
                "mode": "lines",
                "line": {"color": "#444444", "width": look.line},
                "hovertemplate": "step %{x}: ×%{y:.3g}<extra></extra>",
            }
        ],
        "layout": layout,
    }
