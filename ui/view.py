"""One call from a page into its race view: a :class:`Request` in; banks, spec and component out.

A page says *what* to show (the surface, the runs as :class:`viz.RunView`, which panels, which
parameters scrub); :func:`show` turns it into the banks of paths (``ui.race.banks_for``), the
spec (``viz.race_spec``) and the mounted component (``ui.race.mount``). A question for the class
wraps the request (``ui.predict.View.wrap``: the paths cut, no banks or curves, the prediction
layer) and mounts it (for a teacher's "next step" question, in a fragment that shows the class's
clicks as they come in); the page's call stays the same.

Every map that animates on every page is this one view, with one player (▶, ⏸, a step slider,
the keys), the same in the offline HTML download (:func:`viz.standalone_html`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import streamlit as st

import optim
import viz

from . import race
from .cache import SurfaceKey, field_background, field_lines, surface_mesh
from .frame import map_size
from .runs import Axis, RunKey

__all__ = ["Request", "show"]


@dataclass(frozen=True)
class Request:
    """What a page shows in one race view.

    ``surface``/``field`` are the surface and its cache key (the field image, the 3D mesh);
    ``views`` the runs as drawn; ``key`` the component's widget key; ``alt`` its name for a
    screen reader. Scrubbing: ``axes`` (from :meth:`ui.runs.Run.axes`, or a lab's own) over the
    runs ``runs`` from ``start`` for ``steps`` with ``options``. Panels: ``curves`` (loss and
    distance; ``schedule`` adds η's factor), ``mesh`` (the 3D view), ``side`` (curves beside the
    map), ``main`` (the page's main map, or a lab's smaller one). ``clicks``/``on_start``: a
    click on the map chooses the start.
    """

    surface: Any
    field: SurfaceKey
    views: Sequence[viz.RunView]
    key: str
    alt: str
    runs: Sequence[RunKey] = ()
    axes: Sequence[Axis] = ()
    start: tuple[float, float] | None = None
    steps: int = 0
    options: optim.RunOptions = optim.RunOptions()  # noqa: RUF009 - a frozen record
    show_start: bool = False
    curves: bool = True
    schedule: Sequence[np.ndarray] | None = None
    schedule_title: str = "η_k / η₀"
    mesh: bool = False
    side: bool = False
    main: bool = True
    size: tuple[int, int] | None = None  # (height, width) instead of the screen's map size
    trails: dict[int, tuple[np.ndarray, str, np.ndarray | None]] | None = None  # (points, name, z)
    pick: int | None = None
    clicks: bool = False
    on_start: Callable[[float, float], None] | None = None
    note: str | None = None
    duration: int = 60
    # a question's layer (ui.predict.View.wrap): the prediction drawn, what a click means, the
    # reveal's autoplay token
    extra: Sequence[dict[str, Any]] = ()
    click_label: str = "click: start here"
    autoplay: str | None = None
    inset: int = 0  # > 0: the runs' last ``inset`` iterates magnified about w* (viz.map.late_inset)

    def replace(self, **changes: Any) -> Request:
        return dataclasses.replace(self, **changes)


def _banks(req: Request) -> tuple[list | None, str | None]:
    """The request's banks, and a note naming the runs too costly to scrub (if any)."""
    if not req.axes:
        return None, req.note
    banks = race.banks_for(req.field, list(req.runs), req.axes, req.start, req.steps, req.options)
    slow = sorted({a.run + 1 for a in req.axes} - {i + 1 for i, b in enumerate(banks) if b})
    if not slow:
        return banks, req.note
    many = len(slow) > 1
    return banks, (
        f"Scrubbing is off for run{'s' if many else ''} {', '.join(map(str, slow))}: a bank of "
        f"paths at {req.steps} steps on this surface would cost more than a shared server gives "
        "one page. Fewer steps bring it back."
    )


def spec(req: Request, look: Any) -> dict[str, Any]:
    """The race view's spec for ``req``: its banks (each naming the widget it sets), paths,
    curves and panels."""
    banks, note = _banks(req)
    size = map_size(look, req.main)  # the screen's map size, unless the request sets one
    height, width = req.size or (size["height"], size["width"])
    return viz.race_spec(
        req.surface,
        req.views,
        field_background(req.field, lines=False),
        banks=banks,
        start=req.start if req.show_start else None,
        look=look,
        height=height,
        width=width,
        duration=req.duration,
        trails=req.trails,
        mesh=surface_mesh(req.field) if req.mesh else None,
        curves=req.curves,
        clicks=req.clicks,
        note=note,
        side=req.side,
        pick=req.pick,
        extra=req.extra,
        click_label=req.click_label,
        autoplay=req.autoplay,
        schedule=req.schedule,
        schedule_title=req.schedule_title,
        lines=field_lines(req.field),
        inset=req.inset,
        # banks go when the browser asks (ui.race.mount): only those are encoded
        bodies=st.session_state.get(race.WANTED, set()).__contains__,
    )


def show(req: Request, look: Any, question: Any = None) -> dict[str, Any]:
    """Draw ``req`` as the race view: banks, spec, component. ``question`` (a
    ``ui.predict.View``) wraps it first and mounts it. Returns the spec drawn (the offline
    download, :func:`viz.standalone_html`, reuses it)."""
    if question is not None and question.active:
        if question.hidden and question.ask.paced:  # the reveal comes to every screen at once:
            _banks(req)  # its banks are computed now (once, cached across sessions), not then
        req = question.wrap(req)
    made = spec(req, look)
    kw = {"key": req.key, "on_start": req.on_start, "alt": req.alt}
    if question is not None and question.active:
        question.mount(race.mount, made, **kw)
    else:
        race.mount(made, **kw)
    return made
