"""Descent Lab — home page: what each page teaches, with links, and the conventions used throughout."""

from __future__ import annotations

import streamlit as st

from ui import link
from ui.frame import PAGES, page

page(
    "Descent Lab",
    "⛰️",
    "See how gradient-based optimizers move: pick a loss surface, pick optimizers, drag the "
    "learning rate and β, and watch the trajectories animate beside the theory.",
)

st.markdown("#### Where to go")
for path, label, emoji, blurb in PAGES[1:]:
    with st.container(border=True):
        st.page_link(path, label=f"**{label}**", icon=emoji)
        st.caption(blurb)

st.markdown("#### In one minute")
st.markdown(
    "1. Open the **Playground**: an ill-conditioned bowl with gradient descent, momentum and Adam.\n"
    "2. Press **▶ Play** under the map and watch the three runs race; the loss curves below "
    "show who wins, on a log scale.\n"
    "3. Drag a run's **learning rate** to the right until it diverges (✕ marks the step), click "
    "the map to start elsewhere, or add runs (up to 8) to compare settings.\n"
    "4. Download the animation as one HTML file (plays offline) or a GIF for your slides.\n"
    "5. Teaching? Start from the **Presets gallery**, switch on 📽️ **Projector mode**, and share "
    "any view from the sidebar's 🔗 panel: the address bar always holds the exact view, and a "
    "class link can hide every control but the one that matters today."
)

st.markdown("#### One formula, three notations")
st.markdown(
    "The lecture notes disagree on how to write momentum. Every page says which form it runs, "
    "and the engine implements each one exactly:"
)
st.markdown(
    "| convention | update | where |\n"
    "|---|---|---|\n"
    "| EECS 182 (ema) | $a \\leftarrow (1-\\beta)a + \\beta\\nabla L,\\ w \\leftarrow w - \\eta a$ "
    "| EECS 182 note, 15 Sept 2022 |\n"
    "| heavy ball | $v \\leftarrow \\beta v - \\eta\\nabla L,\\ w \\leftarrow w + v$ "
    "| Goodfellow Alg. 8.2, NPTEL |\n"
    "| PyTorch | $v \\leftarrow \\mu v + \\nabla L,\\ w \\leftarrow w - \\eta v$ | `torch.optim.SGD` |"
)
st.caption(
    "Same motion, different numbers: heavy ball with (η, β) equals PyTorch with (η, μ = β), and "
    "the EECS 182 form with (η, β) equals PyTorch with (ηβ, μ = 1 − β)."
)

link.finish()
