"""Presets gallery: thirteen scenarios, each a lecture figure or a classic picture, each a link."""

from __future__ import annotations

import streamlit as st

from ui import link
from ui.frame import PAGES, page
from ui.presets import PRESETS, preset_thumbnail

P = "ga"
page(
    "Presets gallery",
    "🎬",
    "One click opens a scenario with every setting in place, ready to press ▶ Play. Each is a "
    "link: copy it from the address bar once it is open, or use the share panel to hide controls.",
    prefix=P,
)
LABEL = {path: label for path, label, _, _ in PAGES}

cols = st.columns(2)
pictures = []
for i, preset in enumerate(PRESETS):
    with cols[i % 2].container(border=True):
        st.markdown(f"#### {i + 1}. {preset.title}")
        left, right = st.columns([1, 1.5])
        pictures.append((left.empty(), preset))
        right.markdown(preset.watch)
        right.caption(f"Source: {preset.source}")
        right.page_link(
            preset.page,
            label=f"Open in the {LABEL[preset.page]}",
            icon="▶️",
            query_params=preset.query,
        )

# the cards first, then their pictures (drawn on the server once, then cached)
for slot, preset in pictures:
    slot.image(preset_thumbnail(preset.slug), width="stretch")

link.finish()
