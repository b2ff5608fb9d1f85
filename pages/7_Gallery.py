"""Presets gallery: thirteen scenarios, each a lecture figure or a classic picture, each a link;
then three ready questions for the class (predict, then reveal)."""

from __future__ import annotations

import streamlit as st

from ui import link, tally
from ui.frame import PAGES, page
from ui.presets import PRESETS, QUESTIONS, preset_thumbnail

P = "ga"
page(
    "Presets gallery",
    "🎬",
    "One click opens a scenario with every setting in place, ready to press ▶ Play. Each is a "
    "link: copy it from the address bar once it is open, or use the share panel to hide controls.",
    prefix=P,
)
LABEL = {path: label for path, label, _, _ in PAGES}

st.subheader("❓ Ready questions: predict, then reveal")
st.markdown(
    "Each opens a lab's view with its outcome hidden: every student answers first, then watches "
    "it play and reads why. **Make my class links** gives you a student link for the class and "
    "a teacher link (keep it to yourself) that shows their answers live. Any view can become a "
    "question the same way, from the 🔗 share panel."
)
qcols = st.columns(3)
for col, q in zip(qcols, QUESTIONS):
    with col.container(border=True):
        st.markdown(f"#### {q.title}")
        st.caption(LABEL[q.page])
        st.markdown(q.asks)
        with st.expander("What the reveal shows"):
            st.markdown(q.why)
        made = st.session_state.get(f"{P}_{q.slug}_key")
        if st.button("Make my class links", key=f"{P}_{q.slug}_make") and made is None:
            made = st.session_state[f"{P}_{q.slug}_key"] = tally.new_key()
        if made is not None:
            student = {**q.query, "q": tally.question_id(made)}
            st.caption("Student link:")
            st.code(link.url_of(student, page=q.page), language=None, wrap_lines=True)
            st.caption("Your teacher link (the live tally):")
            st.code(
                link.url_of({**student, "teacher": made}, page=q.page),
                language=None,
                wrap_lines=True,
            )
            st.page_link(
                q.page,
                label="Open the teacher view",
                icon="👩‍🏫",
                query_params={**student, "teacher": made},
            )

st.subheader("🎬 Scenarios")
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
