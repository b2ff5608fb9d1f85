"""Descent Lab — home page: a compact explorer of optimizers on the surface catalog.

Pick a surface and optimizers; each optimizer starts from the surface's first suggested start with the
learning rate the surface suggests for it, and the paths and loss curves are drawn with Plotly.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import streamlit as st

import optim
from surfaces import SURFACES, get_surface

PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]

st.set_page_config(page_title="Descent Lab", page_icon="⛰️", layout="wide")
st.title("Descent Lab")
st.caption("See how gradient-based optimizers move on a loss surface.")


@st.cache_data(max_entries=32, show_spinner=False)
def simulate(surface_name: str, names: tuple[str, ...], steps: int, lr_scale: float):
    surface = get_surface(surface_name)
    specs = [
        optim.RunSpec(n, [surface.starts[0]], {"lr": surface.lr_range(n)[1] * lr_scale})
        for n in names
    ]
    trajs = optim.run_many(surface, specs, steps)
    xs, ys, z = surface.mesh(120)
    return [
        (t.label(), t.xy[:, 0].tolist(), t.loss[:, 0].tolist(), int(t.diverged_at[0]))
        for t in trajs
    ], (xs.tolist(), ys.tolist(), z.tolist())


left, right = st.columns([1, 3])
with left:
    surface_name = st.selectbox(
        "Surface",
        list(SURFACES),
        index=list(SURFACES).index("rosenbrock"),
        format_func=lambda n: SURFACES[n].title,
        key="surface",
    )
    surface = get_surface(surface_name)
    usable = [n for n, o in optim.OPTIMIZERS.items() if surface.has_hess or not o.needs_hessian]
    names = st.multiselect(
        "Optimizers",
        usable,
        default=["gd", "momentum", "adam"],
        format_func=lambda n: optim.OPTIMIZERS[n].title,
        key="optimizers",
        max_selections=8,
    )
    steps = st.slider("Steps", 10, 1000, 300, step=10, key="steps")
    lr_scale = st.select_slider(
        "Learning rate × the surface's suggestion",
        options=[0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 10.0],
        value=1.0,
        key="lr_scale",
    )
    st.latex(surface.latex)
    if surface.notes:
        st.caption(surface.notes)

with right:
    if not names:
        st.info("Choose at least one optimizer.")
    else:
        runs, (xs, ys, z) = simulate(surface_name, tuple(names), steps, lr_scale)
        zz = np.asarray(z)
        if surface.log_scale:
            zz = np.log10(zz - np.nanmin(zz) + 1e-3)
        fig = go.Figure(
            go.Contour(
                x=xs,
                y=ys,
                z=zz,
                ncontours=30,
                colorscale="Greys",
                showscale=False,
                hoverinfo="skip",
            )
        )
        loss_fig = go.Figure()
        for i, (label, path, loss, div) in enumerate(runs):
            color = PALETTE[i % len(PALETTE)]
            p = np.asarray(path, dtype=float)
            fig.add_trace(
                go.Scatter(
                    x=p[:, 0],
                    y=p[:, 1],
                    mode="lines+markers",
                    name=label,
                    line={"color": color, "width": 2},
                    marker={"size": 3},
                )
            )
            loss_fig.add_trace(go.Scatter(y=loss, mode="lines", name=label, line={"color": color}))
            if div >= 0:
                st.warning(
                    f"{label} diverged at step {div}: it left the region where the loss is "
                    "finite and bounded. Try a smaller learning rate."
                )
        for m in surface.minima:
            fig.add_trace(
                go.Scatter(
                    x=[m[0]],
                    y=[m[1]],
                    mode="markers",
                    name="minimum",
                    marker={
                        "symbol": "star",
                        "size": 14,
                        "color": "#FFD700",
                        "line": {"color": "black", "width": 1},
                    },
                )
            )
        (x0, x1), (y0, y1) = surface.plot_window
        fig.update_layout(
            height=520,
            margin={"l": 10, "r": 10, "t": 30, "b": 10},
            xaxis={"range": [x0, x1]},
            yaxis={"range": [y0, y1]},
            legend={"orientation": "h"},
        )
        st.plotly_chart(fig, key="contour")
        loss_fig.update_layout(
            height=280,
            yaxis_type="log",
            xaxis_title="step",
            yaxis_title="loss",
            margin={"l": 10, "r": 10, "t": 10, "b": 10},
        )
        st.plotly_chart(loss_fig, key="loss")
