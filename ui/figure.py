"""A figure in the page, drawn in place: a Streamlit component (v2, no iframe) around plotly.js.

Why not ``st.plotly_chart``: Streamlit 1.67 gives a chart an identity made from its spec, so a
chart whose spec changed is a new element and the browser remounts it (a full redraw, its zoom
lost; streamlit #8882). A lab's slider step changes every figure on the page: measured in
Chromium, the Momentum lab settled in 787 ms with its rate map against 528 ms without it
(``python -m bench.capacity --browser``). This element is mounted once per key and hands a new
spec to ``Plotly.react``, which redraws only what changed.

The code is the race view's module (``viz/race.js``, its ``figure`` entry), served once from
``static/`` (:func:`ui.race.served_code`); plotly.js is the same cartesian bundle the race view
loads. Plotly's mode bar is off (it covered the legend on hover); drag zooms, a double click
resets.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import streamlit as st

import viz
from viz.export import ENTRY as RACE_ENTRY
from viz.export import JS

from . import race

__all__ = ["show"]

ENTRY = "export function figure(component) {"


@functools.lru_cache(maxsize=1)
def _component():
    files = race.served_code()
    if files is None:  # a read-only checkout: the module inline, its figure entry as the default
        js = JS.replace(RACE_ENTRY, "function race(component) {").replace(
            ENTRY, "export default function figure(component) {"
        )
        return st.components.v2.component("descent_lab.figure", js=js, isolate_styles=False)
    js = race.LOADER % {"js": files[0], "css": files[1], "entry": "figure"}
    return st.components.v2.component("descent_lab.figure", js=js, isolate_styles=False)


def _take_click(key: str, value: Any) -> tuple[float, float] | None:
    """A click's (x, y) if it is new (its serial number not taken before) and finite."""
    try:
        x, y, n = float(value["x"]), float(value["y"]), int(value["n"])
    except (KeyError, TypeError, ValueError):
        return None
    seen = f"{key}__click_n"
    if st.session_state.get(seen) == n or not (math.isfinite(x) and math.isfinite(y)):
        return None
    st.session_state[seen] = n
    return x, y


def show(
    spec: dict[str, Any],
    alt: str,
    where: Any = None,
    *,
    key: str,
    clicks: bool = False,
    touch: bool = False,
) -> tuple[float, float] | None:
    """Draw the figure ``spec`` (a dict built by :mod:`viz`) under ``key``, named for screen
    readers by ``alt`` and what the figure itself shows (:func:`viz.describe`).

    With ``clicks``, a click on a point returns its data coordinates ``(x, y)`` once (heatmap cells
    give their own x and y); otherwise and on every other run, None. On a ``touch`` screen a finger
    drags the page, not a zoom box.
    """
    alt = f"{alt}. {viz.describe(spec)}".rstrip(". ")
    if touch:
        spec = {**spec, "layout": {**spec.get("layout", {}), "dragmode": False}}
    data = race.wire({"spec": spec, "alt": alt, "clicks": clicks})
    mount = functools.partial(_component(), data=data, key=key, on_click_change=lambda: None)
    if where is None:
        result = mount()
    else:
        with where:
            result = mount()
    return _take_click(key, (result or {}).get("click")) if clicks else None
