"""The Playground's parts below its map: the step inspector and the downloads."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import streamlit as st

import optim
import viz
from viz.encode import dequantize

from . import link
from .cache import SurfaceKey, field_background, field_lines, step_table, trajectory_table
from .frame import chart

__all__ = ["downloads", "inspector", "trail_of"]


def inspector(
    prefix: str,
    surface: Any,
    key: SurfaceKey,
    trajs: Sequence[Any],
    views: Sequence[viz.RunView],
    labels: Sequence[str],
    steps: int,
    look: Any,
) -> None:
    """The step inspector (an expander, drawn only while open): each run's numbers at step k,
    and arrows splitting its step on the map. A link's ``inspect=k`` opens it at k."""
    if link.waiting("inspect"):  # a link to a step opens the inspector on it
        st.session_state[f"{prefix}_inspector_open"] = True
    inspector = st.expander(
        "🔍 Step inspector: the numbers and arrows at one step",
        key=f"{prefix}_inspector_open",
        on_change=lambda: None,  # tracks its open state: nothing inside is drawn while it is closed
    )
    with inspector:
        if inspector.open:
            k = link.slider(
                "step k",
                0,
                max(steps - 1, 0),
                0,
                key=f"{prefix}_inspect",
                describe="inspector: step k",
            )
            table = step_table(surface, trajs, labels, k)
            # a quantity a row, a run a column: it fits a 1440 px screen (a run a row was cut)
            shown = table.set_index("run").map(_cell).T
            st.dataframe(
                shown,
                height="content",  # every quantity in view, no inner scroll
                column_config={"_index": st.column_config.TextColumn("at step k", width="large")},
            )
            st.caption(
                "The Taylor view of the step: a first-order model of the loss, L(w_k + Δw) ≈ "
                "L(w_k) + ∇L(w_k)ᵀΔw, predicts the change (for GD, Δw = −η∇L: a drop of η‖∇L‖²); "
                "the second-order term ½ΔwᵀHΔw is what a large step adds (exact on a quadratic). "
                "Where the two differ, the step was too long for the linear model."
            )
            iso = field_lines(key)  # the race view's own iso-lines: smooth, not a raster's stairs
            chart(
                viz.inspector_figure(
                    surface,
                    [
                        viz.Inspected(
                            v,
                            t.lr[:, 0],
                            t.state["lookahead"][:, 0] if "lookahead" in t.state else None,
                            optim.get_optimizer(t.optimizer).lookahead_name,
                        )
                        for v, t in zip(views, trajs)
                    ],
                    k,
                    field_background(key, lines=False),
                    look=look,
                    lines=(dequantize(iso["x"]), dequantize(iso["y"])),
                ),
                "The step inspector: each run's position at step k, with arrows splitting its step",
                key=f"{prefix}_inspector",
            )
            st.caption(
                "Arrows from w_k: solid, the step taken; dashed, the plain gradient step −η_k∇L(w_k) with "
                "the exact gradient at w_k; dotted, what momentum, adaptive scaling, noise or a look-ahead "
                "added to it. A run that takes its gradient elsewhere (Nesterov's look-ahead, Schedule-Free's "
                "y, SAM's ascent point) shows that point as a hollow diamond, with its gradient step "
                "as a thin arrow."
            )


def trail_of(traj: Any, optimizer: str, cut: int) -> tuple[Any, str, Any]:
    """What the map draws of a run's other points, up to step ``cut`` (a question's): where it took
    each gradient, that point's name, and Schedule-Free's base sequence z (None for others)."""
    from optim import get_optimizer

    base = traj.state["z"][:cut, 0] if "z" in traj.state else None
    return traj.state["lookahead"][:cut, 0], get_optimizer(optimizer).lookahead_name, base


def downloads(
    prefix: str,
    surface: Any,
    trajs: Sequence[Any],
    views: Sequence[viz.RunView],
    labels: Sequence[str],
    drawn: dict,
) -> None:
    """Every step as CSV, the race view ``drawn`` as one offline HTML file, a GIF for slides,
    and the table on request. Each file is made when its button is pressed."""
    st.subheader("📋 Trajectories")
    c1, c2, c3, c4 = st.columns([1, 1.3, 1, 1])
    c1.download_button(
        "⬇️ CSV of every step",
        data=lambda: trajectory_table(trajs, labels).to_csv(index=False).encode(),
        file_name=f"descent-lab-{surface.name}.csv",
        mime="text/csv",
        key=f"{prefix}_csv",
    )
    c2.download_button(
        "⬇️ Animated figure (HTML, plays offline)",
        data=lambda: viz.standalone_html(
            drawn,
            title=f"Descent Lab · {surface.title}",
        ),
        file_name=f"descent-lab-{surface.name}.html",
        mime="text/html",
        key=f"{prefix}_html",
        help="The map, its player and the curves in one file with plotly.js inside (about 5 MB): "
        "it plays with no network.",
    )
    c3.download_button(
        "⬇️ Animated GIF (for slides)",
        data=lambda: viz.animated_gif(surface, views),
        file_name=f"descent-lab-{surface.name}.gif",
        mime="image/gif",
        key=f"{prefix}_gif",
        help="Drawn on the server with Pillow: a 480 px map with its axes, start, minima and a "
        "legend, up to 60 frames.",
    )
    if link.toggle("Show the table", key=f"{prefix}_table", where=c4):
        st.dataframe(trajectory_table(trajs, labels), hide_index=True, height=320)


def _cell(value: Any) -> str:
    """A step-table entry as the transposed table shows it: numbers to 4 significant digits."""
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)
