"""Exports that leave the app: a standalone animated HTML page that plays offline."""

from __future__ import annotations

from typing import Any

import plotly.io as pio

__all__ = ["standalone_html"]


def standalone_html(spec: dict[str, Any], title: str = "Descent Lab") -> str:
    """The figure as one HTML file with plotly.js inlined (~5 MB), so it plays with no network.

    >>> html = standalone_html({"data": [{"type": "scatter", "y": [1, 2]}], "layout": {}})
    >>> '<script src="http' not in html and 'Plotly.newPlot' in html
    True
    """
    html = pio.to_html(
        spec,
        include_plotlyjs=True,
        full_html=True,
        auto_play=False,
        validate=False,
        config={"displaylogo": False, "responsive": True},
    )
    return html.replace("<head>", f"<head><title>{title}</title>", 1)
