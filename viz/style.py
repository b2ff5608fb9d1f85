"""Colours and sizes shared by every figure: a colour-blind-safe palette and a projector scale."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["DASHES", "PALETTE", "SYMBOLS", "Look", "base_layout", "color", "dash", "symbol"]

# Okabe & Ito (2008), with Tol's olive for their yellow, which vanishes on a white projector screen.
PALETTE = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#D55E00",  # vermillion
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#000000",  # black
    "#999933",  # olive
)

MINIMUM = "#FFD700"
GRID = "#d0d0d0"


# Colour is never the only way to tell runs apart (greyscale print, a washed-out projector, colour
# blindness): each run also has its own dash and marker. Plotly's 3D lines take the first six.
DASHES = ("solid", "dash", "dot", "dashdot", "longdash", "longdashdot", "solid", "dash")
SYMBOLS = (
    "circle",
    "square",
    "diamond",
    "triangle-up",
    "triangle-down",
    "star",
    "hexagon",
    "cross",
)


def color(i: int) -> str:
    """Colour of run ``i`` (the same in every view)."""
    return PALETTE[i % len(PALETTE)]


def dash(i: int) -> str:
    """Line dash of run ``i`` (the same in every view).

    >>> [dash(i) for i in (0, 1, 2)]
    ['solid', 'dash', 'dot']
    """
    return DASHES[i % len(DASHES)]


def symbol(i: int) -> str:
    """Marker symbol of run ``i``'s path and ball (a diverged run's head is always ✕)."""
    return SYMBOLS[i % len(SYMBOLS)]


@dataclass(frozen=True)
class Look:
    """Sizes for one audience: ``Look()`` on a laptop, ``Look.projector()`` in a lecture hall."""

    font: int = 14
    line: float = 2.5
    marker: float = 9.0
    ghost_opacity: float = 0.35

    @classmethod
    def projector(cls) -> Look:
        return cls(font=20, line=4.0, marker=14.0, ghost_opacity=0.5)


def base_layout(look: Look, height: int, **extra: Any) -> dict[str, Any]:
    """Layout shared by every figure: font, margins, white background, horizontal legend on top;
    its axes (``xaxis=…``, ``yaxis=…``) make room for their titles (``automargin``)."""
    layout: dict[str, Any] = {
        "height": height,
        "font": {"size": look.font, "family": "Source Sans Pro, Arial, sans-serif"},
        "margin": {"l": 60, "r": 20, "t": 40, "b": 50},
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
        "legend": {
            "orientation": "h",
            "yanchor": "bottom",
            "y": 1.02,
            "x": 0,
            "font": {"size": look.font},
        },
        "hoverlabel": {"font": {"size": look.font}},
    }
    layout.update(extra)
    for name, axis in layout.items():  # a title never covers its tick labels: Plotly makes room
        if name[:5] in ("xaxis", "yaxis") and isinstance(axis, dict):
            axis.setdefault("automargin", True)
    return layout


# The Learning-rate lab's regime badge (Streamlit's badge colours), one per ``theory.REGIMES``.
REGIME_COLORS = {
    "monotone": "green",
    "one-step": "blue",
    "oscillating": "orange",
    "period-2": "violet",
    "diverging": "red",
}
