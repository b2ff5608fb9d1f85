"""Figure builders for the teaching labs: the measured run beside the closed form, the theory curve.

Pure functions like :mod:`viz.map`: arrays in, Plotly dicts out.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from optim import theory

from .curves import curve_layout
from .encode import b64
from .map import legend_rows
from .style import GRID, Look, base_layout, color, symbol

__all__ = [
    "REGIME_COLORS",
    "contraction_figure",
    "direction_errors_figure",
    "filter_figure",
    "gradient_cloud_figure",
    "impulse_figure",
    "iterates_figure",
    "lines_figure",
    "rate_map_figure",
    "sweep_figure",
]

DEFAULT_LOOK = Look()
REGIME_COLORS = {
    "monotone": "#009E73",
    "one-step": "#0072B2",
    "oscillating": "#E69F00",
    "period-2": "#CC79A7",
    "diverging": "#D55E00",
}


def iterates_figure(
    runs: Sequence[tuple[str, np.ndarray, np.ndarray | None]],
    target: float,
    ytitle: str,
    *,
    log: bool = False,
    look: Look = DEFAULT_LOOK,
    height: int = 340,
    width: int = 340,
) -> dict:
    """Series against k: each run's measured values (markers) and its closed form (a line).

    ``runs`` holds ``(label, measured, closed_form_or_None)``; ``target`` is drawn dashed. The
    legend lists each run once (its closed form is the dotted line in the run's colour, grouped
    with it) and gets the rows it needs at ``width`` pixels above the plot, which keeps its height.
    """
    data = []
    for i, (label, measured, exact) in enumerate(runs):
        c = color(i)
        if exact is not None:
            data.append(
                {
                    "type": "scatter",
                    "x0": 0,
                    "dx": 1,
                    "y": b64(exact, "f8"),
                    "mode": "lines",
                    "name": f"{label} — closed form",
                    "legendgroup": f"run{i}",
                    "showlegend": False,
                    "line": {"color": c, "width": look.line * 0.6, "dash": "dot"},
                    "hovertemplate": "k=%{x}: %{y:.6g} (closed form)<extra></extra>",
                }
            )
        data.append(
            {
                "type": "scatter",
                "x0": 0,
                "dx": 1,
                "y": b64(measured, "f8"),
                "mode": "lines+markers",
                "name": label,
                "legendgroup": f"run{i}",
                "line": {"color": c, "width": look.line},
                "marker": {"size": look.marker * 0.7, "color": c, "symbol": symbol(i)},
                "hovertemplate": "k=%{x}: %{y:.6g} (engine)<extra></extra>",
            }
        )
    shapes = []
    if not log:
        shapes.append(
            {
                "type": "line",
                "xref": "paper",
                "x0": 0,
                "x1": 1,
                "y0": target,
                "y1": target,
                "line": {"color": "#444", "dash": "dash", "width": 1.5},
            }
        )
    extra = (legend_rows([r[0] for r in runs], look, width) - 1) * int(look.font * 1.9)
    layout = base_layout(
        look,
        height + extra,
        xaxis={"title": {"text": "step k"}, "gridcolor": GRID},
        yaxis={
            "title": {"text": ytitle},
            "gridcolor": GRID,
            "type": "log" if log else "linear",
            "exponentformat": "power",
        },
        shapes=shapes,
        hovermode="closest",
        margin={"l": 60, "r": 20, "t": 40 + extra, "b": 50},
    )
    layout["legend"].update(yref="container", y=1.0, yanchor="top")
    return {"data": data, "layout": layout}


def contraction_figure(
    lr: float, sigma: float, *, look: Look = DEFAULT_LOOK, height: int = 340
) -> dict:
    """``|1 − 2ησ²|`` against η, the regimes as coloured bands, the landmarks and the current η."""
    one, lim = theory.scalar_one_step(sigma), theory.scalar_limit(sigma)
    hi = max(1.5 * lim, 1.1 * lr)
    eta = np.linspace(0.0, hi, 301)
    factor = theory.scalar_contraction(eta, sigma)
    bands = [
        (0.0, one, "monotone"),
        (one, lim, "oscillating"),
        (lim, hi, "diverging"),
    ]
    shapes = [
        {
            "type": "rect",
            "xref": "x",
            "yref": "paper",
            "x0": a,
            "x1": b,
            "y0": 0,
            "y1": 1,
            "fillcolor": REGIME_COLORS[name],
            "opacity": 0.12,
            "line": {"width": 0},
            "layer": "below",
        }
        for a, b, name in bands
    ]
    annotations = []
    for x, text in ((one, "1/(2σ²)"), (lim, "1/σ²")):
        shapes.append(
            {
                "type": "line",
                "xref": "x",
                "yref": "paper",
                "x0": x,
                "x1": x,
                "y0": 0,
                "y1": 1,
                "line": {"color": "#333", "dash": "dash", "width": 1.5},
            }
        )
        annotations.append(
            {
                "x": x,
                "y": 1,
                "xref": "x",
                "yref": "paper",
                "text": text,
                "showarrow": False,
                "yanchor": "bottom",
                "font": {"size": look.font - 2},
            }
        )
    regime = theory.scalar_regime(lr, sigma)
    data = [
        {
            "type": "scatter",
            "x": b64(eta, "f8"),
            "y": b64(factor, "f8"),
            "mode": "lines",
            "name": "|1 − 2ησ²|",
            "line": {"color": "#333", "width": look.line},
            "hovertemplate": "η=%{x:.4g}: factor %{y:.4g}<extra></extra>",
        },
        {
            "type": "scatter",
            "x": [float(lr)],
            "y": [float(theory.scalar_contraction(lr, sigma))],
            "mode": "markers",
            "name": f"your η ({regime})",
            "marker": {"size": look.marker * 1.6, "color": REGIME_COLORS[regime]},
            "hovertemplate": "η=%{x:.4g}: factor %{y:.4g}<extra></extra>",
        },
    ]
    layout = base_layout(
        look,
        height,
        xaxis={"title": {"text": "step size η"}, "gridcolor": GRID, "range": [0, hi]},
        yaxis={
            "title": {"text": "error factor per step"},
            "gridcolor": GRID,
            "rangemode": "tozero",
        },
        shapes=shapes,
        annotations=annotations,
        showlegend=False,
        margin={"l": 60, "r": 20, "t": 40, "b": 50},
    )
    return {"data": data, "layout": layout}


def direction_errors_figure(
    errors: np.ndarray,
    sigmas: Sequence[float],
    lr: float,
    *,
    look: Look = DEFAULT_LOOK,
    height: int = 340,
) -> dict:
    """Error along each singular direction, measured (markers) and ``|1 − 2ησᵢ²|ᵏ·|e₀|`` (lines).

    ``errors`` is ``(S+1, 2)``: ``|w_{i,k} − y_i/σ_i|`` from the engine.
    """
    k = np.arange(len(errors))
    data = []
    for i, s in enumerate(sigmas):
        c = color(i)
        with np.errstate(all="ignore"):
            theory_line = theory.scalar_contraction(lr, s) ** k * errors[0, i]
        data.append(
            {
                "type": "scatter",
                "x0": 0,
                "dx": 1,
                "y": b64(np.maximum(theory_line, 1e-300), "f8"),
                "mode": "lines",
                "name": f"theory |1 − 2ησ{'₁₂'[i]}²|ᵏ",
                "line": {"color": c, "dash": "dot", "width": look.line * 0.7},
            }
        )
        data.append(
            {
                "type": "scatter",
                "x0": 0,
                "dx": 1,
                "y": b64(np.maximum(errors[:, i], 1e-300), "f8"),
                "mode": "markers",
                "name": f"direction {i + 1} (σ{'₁₂'[i]} = {s:g}), engine",
                "marker": {"size": look.marker * 0.6, "color": c, "symbol": symbol(i)},
            }
        )
    layout = base_layout(
        look,
        height,
        xaxis={"title": {"text": "step k"}, "gridcolor": GRID},
        yaxis={
            "title": {"text": "|w_i − y_i/σ_i|"},
            "type": "log",
            "gridcolor": GRID,
            "exponentformat": "power",
        },
        hovermode="closest",
    )
    return {"data": data, "layout": layout}


def impulse_figure(
    weights: np.ndarray, window: float, *, look: Look = DEFAULT_LOOK, height: int = 300
) -> dict:
    """The momentum buffer as a filter: the weight on the gradient from τ steps ago."""
    layout = base_layout(
        look,
        height,
        xaxis={"title": {"text": "τ (steps ago)"}, "gridcolor": GRID},
        yaxis={"title": {"text": "weight on ∇L(w_{k−τ})"}, "gridcolor": GRID},
        showlegend=False,
        shapes=[
            {
                "type": "line",
                "xref": "x",
                "yref": "paper",
                "x0": window,
                "x1": window,
                "y0": 0,
                "y1": 1,
                "line": {"color": "#D55E00", "dash": "dash", "width": 2},
            }
        ],
        annotations=[
            {
                "x": window,
                "y": 1,
                "xref": "x",
                "yref": "paper",
                "text": f"window ≈ {window:.3g} steps",
                "showarrow": False,
                "xanchor": "left",
                "yanchor": "top",
                "font": {"color": "#D55E00", "size": look.font - 2},
            }
        ],
    )
    return {
        "data": [
            {
                "type": "bar",
                "x0": 0,
                "dx": 1,
                "y": b64(weights, "f8"),
                "marker": {"color": color(0)},
                "hovertemplate": "τ=%{x}: weight %{y:.4g}<extra></extra>",
            }
        ],
        "layout": layout,
    }


def filter_figure(
    raw: np.ndarray, filtered: np.ndarray, *, look: Look = DEFAULT_LOOK, height: int = 300
) -> dict:
    """The raw gradient along the steep direction against the momentum buffer (DC gain 1)."""
    data = [
        {
            "type": "scatter",
            "x0": 0,
            "dx": 1,
            "y": b64(raw, "f8"),
            "mode": "lines+markers",
            "name": "raw gradient ∂L/∂w₂",
            "line": {"color": "#999999", "width": look.line * 0.6},
            "marker": {"size": look.marker * 0.4, "color": "#999999"},
        },
        {
            "type": "scatter",
            "x0": 0,
            "dx": 1,
            "y": b64(filtered, "f8"),
            "mode": "lines",
            "name": "momentum buffer, scaled to gain 1",
            "line": {"color": color(1), "width": look.line},
        },
    ]
    layout = base_layout(
        look,
        height,
        xaxis={"title": {"text": "step k"}, "gridcolor": GRID},
        yaxis={"title": {"text": "steep-direction gradient"}, "gridcolor": GRID},
        hovermode="x unified",
    )
    return {"data": data, "layout": layout}


def rate_map_figure(
    alpha_lmax: np.ndarray,
    betas: np.ndarray,
    rates: np.ndarray,
    current: tuple[float, float],
    optimum: tuple[float, float],
    *,
    look: Look = DEFAULT_LOOK,
    height: int = 460,
) -> dict:
    """Convergence rate of heavy ball over (αλ_max, β): ``rates[i, j]`` at ``betas[i]``, ``alpha_lmax[j]``.

    The cells whose rate is ≥ 1 (beyond the stability limit αλ_max = 2 + 2β, the dashed line)
    are covered by one polygon in their own colour; a click anywhere lands on a heatmap cell (the
    figure's click gives that cell's αλ_max and β).
    """
    # the cells where the rate is ≥ 1 (right of the limit in every row), as one polygon of
    # stairs along their left edges: a few hundred numbers, not a layer of the grid's cells
    dx, dy = float(alpha_lmax[-1] - alpha_lmax[-2]), float(betas[1] - betas[0])
    edge = float(alpha_lmax[-1]) + dx / 2
    first = np.where((rates >= 1).any(axis=1), np.argmax(rates >= 1, axis=1), len(alpha_lmax))
    left = np.append(alpha_lmax - dx / 2, edge)[first]
    xs = np.repeat(left, 2).tolist()
    ys = np.stack([betas - dy / 2, betas + dy / 2], axis=1).ravel().tolist()
    data = [
        {
            "type": "heatmap",
            "x": b64(alpha_lmax, "f8"),
            "y": b64(betas, "f8"),
            "z": b64(rates, "f4"),
            "zmin": 0,
            "zmax": 1,
            "colorscale": "Viridis",
            "colorbar": {"title": {"text": "rate"}},
            "hovertemplate": "αλ_max=%{x:.3g}, β=%{y:.3g}: rate %{z:.4f}<br>click: run here"
            "<extra></extra>",
        },
        {
            "type": "scatter",
            "x": [*xs, edge, edge],
            "y": [*ys, ys[-1], ys[0]],
            "mode": "lines",
            "fill": "toself",
            "fillcolor": "#F4CCCC",
            "line": {"width": 0},
            "hoverinfo": "skip",
            "showlegend": False,
        },
        {
            "type": "scatter",
            "x": b64(2 + 2 * betas, "f8"),
            "y": b64(betas, "f8"),
            "mode": "lines",
            "name": "stability limit αλ_max = 2(1+β)",
            "line": {"color": "#D55E00", "dash": "dash", "width": 2},
        },
        {
            "type": "scatter",
            "x": [optimum[0]],
            "y": [optimum[1]],
            "mode": "markers",
            "name": "optimum (Goh)",
            "marker": {
                "symbol": "star",
                "size": look.marker * 2,
                "color": "#FFD700",
                "line": {"color": "#222", "width": 1},
            },
        },
        {  # a black halo under a white ring: visible on the dark and the light cells alike
            "type": "scatter",
            "x": [current[0]],
            "y": [current[1]],
            "mode": "markers",
            "name": "your (α, β)",  # the legend shows the black ring (a white one is invisible)
            "legendgroup": "yours",
            "hoverinfo": "skip",
            "marker": {
                "symbol": "circle-open",
                "size": look.marker * 2.2,
                "color": "black",
                "line": {"color": "black", "width": 6},
            },
        },
        {
            "type": "scatter",
            "x": [current[0]],
            "y": [current[1]],
            "mode": "markers",
            "name": "your (α, β)",
            "legendgroup": "yours",
            "showlegend": False,
            "marker": {
                "symbol": "circle-open",
                "size": look.marker * 2.2,
                "color": "white",
                "line": {"color": "white", "width": 2.5},
            },
            "hovertemplate": "your (α, β): αλ_max=%{x:.3g}, β=%{y:.3g}<extra></extra>",
        },
    ]
    layout = base_layout(
        look,
        height,
        xaxis={"title": {"text": "α·λ_max (PyTorch α)"}, "range": [0, float(alpha_lmax[-1])]},
        yaxis={"title": {"text": "β (PyTorch μ)"}, "range": [0, float(betas[-1])]},
        hovermode="closest",
        legend={"orientation": "h", "y": -0.2, "x": 0},
        margin={"l": 60, "r": 20, "t": 20, "b": 90},
    )
    return {"data": data, "layout": layout}


def sweep_figure(
    lrs: np.ndarray,
    ys: np.ndarray,
    values: np.ndarray,
    diverged: np.ndarray,
    *,
    ytitle: str,
    ztitle: str,
    boundary: tuple[np.ndarray, np.ndarray] | None = None,
    look: Look = DEFAULT_LOOK,
    height: int = 520,
) -> dict:
    """Heatmap over (log η, y): ``values[i, j]`` at ``ys[i]``, ``lrs[j]``; diverged cells in
    orange-red (#D55E00).

    Cells with NaN values that did not diverge (never reached the tolerance) stay grey. Each
    layer answers hover and clicks on its own cells only (a click gives the cell's log η and y).
    """
    logx = np.log10(lrs)
    eta = b64(np.broadcast_to(lrs, (len(ys), len(lrs))), "f4")  # η of every cell, for its hover
    click = "<br>click: open in the playground<extra></extra>"
    data = [
        {
            "type": "heatmap",
            "x": b64(logx, "f8"),
            "y": b64(ys, "f8"),
            "z": b64(np.where(diverged, 1.0, np.nan), "f4"),
            "customdata": eta,
            "colorscale": [[0, "#D55E00"], [1, "#D55E00"]],
            "showscale": False,
            "hoverongaps": False,
            "hovertemplate": f"η = %{{customdata:.4g}}, {ytitle} = %{{y:.4g}}: diverged{click}",
            "name": "diverged",
        },
        {
            "type": "heatmap",
            "x": b64(logx, "f8"),
            "y": b64(ys, "f8"),
            "z": b64(np.where(diverged, np.nan, values), "f4"),
            "customdata": eta,
            "colorscale": "Viridis",
            "colorbar": {"title": {"text": ztitle}},
            "hoverongaps": False,
            "hovertemplate": f"η = %{{customdata:.4g}}, {ytitle} = %{{y:.4g}}"
            f"<br>{ztitle} = %{{z:.4g}}{click}",
        },
    ]
    if boundary is not None:
        bx, by = boundary
        with np.errstate(all="ignore"):
            line = {"type": "scatter", "x": b64(np.log10(bx), "f8"), "y": b64(by, "f8")}
        # dark dashes on a white halo: seen on every cell colour, and in the (white) legend
        data.append({**line, "mode": "lines", "showlegend": False, "hoverinfo": "skip",
                     "line": {"color": "white", "width": 7}})  # fmt: skip
        data.append(
            {
                **line,
                "mode": "lines",
                "name": "stability limit (theory)",
                "line": {"color": "#111111", "dash": "dash", "width": 3},
            }
        )
    layout = base_layout(
        look,
        height,
        xaxis={
            "title": {"text": "log₁₀ η"},
            "range": [float(logx[0]), float(logx[-1])],
        },
        yaxis={"title": {"text": ytitle}, "range": [float(ys[0]), float(ys[-1])]},
        plot_bgcolor="#DDDDDD",
        hovermode="closest",
        legend={"orientation": "h", "y": -0.18, "x": 0},
        margin={"l": 60, "r": 20, "t": 20, "b": 90},
    )
    return {"data": data, "layout": layout}


def lines_figure(
    series: Sequence[tuple[str, str, str, np.ndarray]],
    ytitle: str,
    *,
    xtitle: str = "step k",
    x0: int = 0,
    log: bool = False,
    look: Look = DEFAULT_LOOK,
    height: int = 340,
) -> dict:
    """Plain lines against the step: ``series`` holds ``(label, colour, dash, values)``."""
    data = [
        {
            "type": "scatter",
            "x0": x0,
            "dx": 1,
            "y": b64(np.maximum(y, 1e-300) if log else y, "f8"),
            "mode": "lines+markers" if len(y) <= 30 else "lines",
            "name": label,
            "line": {"color": c, "dash": dash, "width": look.line},
            "marker": {"size": look.marker * 0.6, "color": c},
            "hovertemplate": f"{label}<br>k=%{{x}}: %{{y:.4g}}<extra></extra>",
        }
        for label, c, dash, y in series
    ]
    return {"data": data, "layout": curve_layout(look, height, ytitle, log, xtitle)}


def gradient_cloud_figure(
    samples: np.ndarray, full: np.ndarray, *, look: Look = DEFAULT_LOOK, height: int = 420
) -> dict:
    """Minibatch gradients (dots) around the full-batch gradient (star and arrow from 0)."""
    pts = np.vstack([samples, full[None, :], np.zeros((1, 2))])
    lo, hi = np.nanmin(pts, axis=0), np.nanmax(pts, axis=0)
    pad = 0.08 * float(np.max(hi - lo) or 1.0)
    data = [
        {
            "type": "scatter",
            "x": b64(samples[:, 0], "f8"),
            "y": b64(samples[:, 1], "f8"),
            "mode": "markers",
            "name": "minibatch gradients",
            "marker": {"size": look.marker * 0.55, "color": color(1), "opacity": 0.5},
            "hovertemplate": "(%{x:.3g}, %{y:.3g})<extra></extra>",
        },
        {
            "type": "scatter",
            "x": [0.0, float(full[0])],
            "y": [0.0, float(full[1])],
            "mode": "lines+markers",
            "name": "full gradient ∇L(w)",
            "line": {"color": color(0), "width": look.line * 1.3},
            "marker": {
                "symbol": ["circle", "star"],
                "size": [6, look.marker * 2],
                "color": color(0),
            },
        },
    ]
    layout = base_layout(
        look,
        height,
        xaxis={
            "title": {"text": "∂L/∂w₁"},
            "gridcolor": GRID,
            "zeroline": True,
            "range": [float(lo[0] - pad), float(hi[0] + pad)],
        },
        yaxis={
            "title": {"text": "∂L/∂w₂"},
            "gridcolor": GRID,
            "zeroline": True,
            "scaleanchor": "x",
            "range": [float(lo[1] - pad), float(hi[1] + pad)],
        },
        hovermode="closest",
    )
    return {"data": data, "layout": layout}


def effective_steps_figure(
    runs: Sequence[tuple[str, np.ndarray]], *, look: Look = DEFAULT_LOOK, title: str = ""
) -> dict:
    """Each run's effective step per coordinate (solid: the first, dotted: the second) against
    the step, on a log axis: ``runs`` holds ``(name, eff_lr (S, 2))``, named "name: coordinate w"
    and "name: coordinate b" in the legend."""
    series = [
        (f"{name}: coordinate {'wb'[d]}", color(i), ("solid", "dot")[d], eff[:, d])
        for i, (name, eff) in enumerate(runs)
        for d in (0, 1)
    ]
    return lines_figure(series, title or "effective step η/(√v + ε)", log=True, look=look)


def bias_correction_figure(
    with_: np.ndarray, without: np.ndarray, first: float, *, look: Look = DEFAULT_LOOK
) -> dict:
    """Adam's steps |Δw₁|/η with and without bias correction, and theory's first step without."""
    return lines_figure(
        [
            ("with bias correction", color(0), "solid", with_),
            ("without", color(3), "solid", without),
            (
                "theory, first step without: (1−β₁)/√(1−β₂)",
                "#444444",
                "dash",
                np.full(len(with_), first),
            ),
        ],
        "|Δw₁| / η",
        x0=1,
        xtitle="step t",
        look=look,
        height=320,
    )


def sampling_figure(curves: dict[str, np.ndarray], *, look: Look = DEFAULT_LOOK) -> dict:
    """L − L* against the step, mean of the seeds: reshuffled epochs against replacement."""
    return lines_figure(
        [
            ("reshuffled epochs (mean of 20 seeds)", color(2), "solid", curves["shuffle"]),
            ("with replacement (mean of 20 seeds)", color(3), "solid", curves["replacement"]),
        ],
        "L − L*",
        log=True,
        look=look,
    )


def sparse_steps_figure(gd: np.ndarray, adagrad: np.ndarray, *, look: Look = DEFAULT_LOOK) -> dict:
    """The rare-feature race's effective steps: AdaGrad's per coordinate, GD's one η, log axis."""
    return lines_figure(
        [
            ("AdaGrad, dense w₁", color(1), "solid", adagrad[:, 0]),
            ("AdaGrad, sparse w₂", color(1), "dot", adagrad[:, 1]),
            ("GD (both)", color(0), "solid", gd[:, 0]),
        ],
        "effective step",
        log=True,
        look=look,
    )
