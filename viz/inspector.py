"""The step inspector: each run at step k, with arrows splitting its step into its parts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

from .encode import b64
from .map import field_image
from .style import Look, base_layout
from .views import RunView

__all__ = ["ARROWS", "Inspected", "inspector_figure"]

DEFAULT_LOOK = Look()


class Inspected(NamedTuple):
    """One run for the step inspector: its view, η per step and, for a run whose gradients were
    taken elsewhere than at ``w_k`` (Nesterov in the EECS 182 and NPTEL forms, Schedule-Free's
    ``y``, SAM's ascent point), those points and what its optimizer calls them."""

    view: RunView
    lr: np.ndarray  # (S,)
    lookahead: np.ndarray | None = None  # (S, 2)
    point_name: str = "look-ahead point"


# The inspector's three arrows: what each is, its dash and width (× the look's line width).
ARROWS = (
    ("step taken w_{k+1} − w_k", "solid", 1.2),
    ("plain gradient step −η_k∇L(w_k)", "dash", 0.7),
    ("added by momentum / scaling / look-ahead", "dot", 0.7),
)


def _arrow(tail, head, color: str, dash: str, width: float, name: str, group: str, look: Look):
    """A real dashed (or dotted) arrow: a line trace with an arrowhead marker at its head
    (layout annotations draw only solid arrows)."""
    return {
        "type": "scatter",
        "x": [float(tail[0]), float(head[0])],
        "y": [float(tail[1]), float(head[1])],
        "mode": "lines+markers",
        "line": {"color": color, "width": width, "dash": dash},
        "marker": {
            "symbol": "arrow",
            "angleref": "previous",
            "size": [0, look.marker * 1.3],
            "color": color,
        },
        "name": name,
        "legendgroup": group,
        "showlegend": False,
        "hovertemplate": f"{name}<br>(%{{x:.4g}}, %{{y:.4g}})<extra></extra>",
    }


def inspector_figure(
    surface: Any,
    runs: Sequence[Inspected],
    k: int,
    background: str,
    *,
    look: Look = DEFAULT_LOOK,
    height: int = 520,
    lines: tuple[np.ndarray, np.ndarray] | None = None,
) -> dict[str, Any]:
    """Step ``k`` of every run, with arrows: the step taken, the plain GD step, and the difference.

    ``lines``: the field's iso-lines as vectors (``viz.contours``), drawn under everything as the
    race view draws them (``background`` is then the smooth shading).

    The actual step ``w_{k+1} − w_k`` (solid) splits into the GD step ``−η_k ∇L(w_k)`` (dashed, the
    exact gradient at ``w_k``) and what momentum, adaptive scaling, noise or a look-ahead added
    (dotted). A Nesterov run's look-ahead point is drawn as a hollow diamond joined to ``w_k``, with
    its own gradient step −η_k∇L(look-ahead) as a thin arrow. Arrows are traces, so the dashes are
    real.
    """
    (x0, x1), (y0, y1) = surface.plot_window
    data: list[dict[str, Any]] = []
    if lines is not None:
        data.append(
            {
                "type": "scatter",
                "x": b64(lines[0], "f4"),
                "y": b64(lines[1], "f4"),
                "mode": "lines",
                "hoverinfo": "skip",
                "showlegend": False,
                "line": {"color": "rgba(70, 78, 95, 0.55)", "width": 1},
            }
        )
    for i, run in enumerate(runs):
        v, lr = run.view, run.lr
        group = f"run{i}"
        data.append(
            {
                "type": "scatter",
                "x": b64(v.xy[: k + 1, 0]),  # the path so far (small at early steps)
                "y": b64(v.xy[: k + 1, 1]),
                "mode": "lines",
                "name": v.label,
                "legendgroup": group,
                "line": {"color": v.color, "width": look.line * 0.6, "dash": v.dash},
                "opacity": 0.5,
                "hoverinfo": "skip",
            }
        )
        if k >= len(lr) or not np.all(np.isfinite(v.xy[k : k + 2])):
            continue
        w, w_next = v.xy[k], v.xy[k + 1]
        with np.errstate(all="ignore"):
            gd_step = -lr[k] * np.asarray(surface.grad(w), dtype=float)
        data.append(
            {
                "type": "scatter",
                "x": [float(w[0])],
                "y": [float(w[1])],
                "mode": "markers",
                "legendgroup": group,
                "showlegend": False,
                "marker": {
                    "size": look.marker * 1.2,
                    "color": v.color,
                    "symbol": v.symbol,
                    "line": {"color": "white", "width": 1.5},
                },
                "hovertemplate": f"{v.label}<br>w_{k} = (%{{x:.4g}}, %{{y:.4g}})<extra></extra>",
            }
        )
        ends = ((w, w_next), (w, w + gd_step), (w + gd_step, w_next))
        for (tail, head), (name, dash, width) in zip(ends, ARROWS):
            if np.all(np.isfinite([tail, head])) and not np.allclose(tail, head):
                data.append(_arrow(tail, head, v.color, dash, width * look.line, name, group, look))
        if run.lookahead is not None and k < len(run.lookahead):
            q = run.lookahead[k]
            if np.all(np.isfinite(q)) and not np.allclose(q, w):
                data.append(
                    {
                        "type": "scatter",
                        "x": [float(w[0]), float(q[0])],
                        "y": [float(w[1]), float(q[1])],
                        "mode": "lines+markers",
                        "line": {"color": v.color, "width": 1, "dash": "dot"},
                        "marker": {
                            "symbol": "diamond-open",
                            "size": [0, look.marker * 1.4],
                            "color": v.color,
                            "line": {"width": 2},
                        },
                        "name": f"{run.point_name} of {v.label}",
                        "legendgroup": group,
                        "showlegend": False,
                        "hovertemplate": f"{run.point_name} (%{{x:.4g}}, %{{y:.4g}})<extra></extra>",
                    }
                )
                with np.errstate(all="ignore"):
                    g_q = -lr[k] * np.asarray(surface.grad(q), dtype=float)
                if np.all(np.isfinite(g_q)) and not np.allclose(g_q, 0):
                    data.append(
                        _arrow(
                            q,
                            q + g_q,
                            v.color,
                            "solid",
                            0.5 * look.line,
                            "−η_k∇L(look-ahead)"
                            if run.point_name == "look-ahead point"
                            else f"−η_k∇L({run.point_name})",
                            group,
                            look,
                        )
                    )
    layout = base_layout(
        look,
        height,
        xaxis={"range": [x0, x1], "autorange": False, "showgrid": False, "zeroline": False},
        yaxis={"range": [y0, y1], "autorange": False, "showgrid": False, "zeroline": False},
        images=[field_image(background, surface.plot_window)],
        hovermode="closest",
    )
    return {"data": data, "layout": layout}
