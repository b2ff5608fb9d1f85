"""Descent Lab — home page: what each page teaches, with links, and the conventions used throughout."""

from __future__ import annotations

import streamlit as st

import optim
from ui import classroom, link
from ui.frame import PAGES, page

page(
    "Descent Lab",
    "⛰️",
    "See how gradient-based optimizers move: pick a loss surface, pick optimizers, drag the "
    "learning rate and β, and watch the trajectories animate beside the theory.",
)

seat = classroom.seat()
if seat is None and (note := st.session_state.pop("_class_note", None)):
    st.warning(note, icon="🎓")
if seat is None:
    join, teach = st.columns(2)
    with join.container(border=True):
        st.markdown("#### 🎓 Join a class")
        with st.form("class_join_form", border=False):
            st.text_input(
                "The code on your teacher's screen",
                key="class_code",
                max_chars=12,
                placeholder="e.g. K7Q2MX",
            )
            st.form_submit_button(
                "Join", type="primary", on_click=classroom.join, args=("class_code",)
            )
    with teach.container(border=True):
        st.markdown("#### 👩‍🏫 Teach a class")
        st.caption(
            "Start a class session: the room joins with a code or a QR code, follows the views "
            "you step through, answers your questions on their phones, and sees the outcome when "
            "you reveal it."
        )
        st.button("Start a class", key="class_start", on_click=classroom.start)
elif seat.teacher:
    with st.container(border=True):
        classroom.join_panel(seat.code)
        st.caption(
            "Build the lesson: open a view (a preset, a lab) and add it from 📋 Lesson in the "
            "class bar, or add ready questions from the Presets gallery; a question asked from "
            "the 🔗 share panel joins it too. ▶/◀ (PageDown/PageUp) step through it."
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

with st.expander("👩‍🏫 Teaching with Descent Lab: a projected class link in five minutes"):
    st.markdown(
        "1. Open the **Presets gallery** and pick today's scenario (each card names its lecture "
        "note).\n"
        "2. Switch on 📽️ **Projector mode** in the sidebar.\n"
        "3. Set what the class should see first: a learning rate, a start, the steps.\n"
        "4. In the sidebar's 🔗 **Share this view**, pick the controls students may touch: the "
        "*class link* fixes and hides every other one.\n"
        "5. Send the link (or the `<iframe>` snippet for a slide or a course page) and press "
        "▶ **Play**.\n\n"
        "**Ask first, then show:** in the same 🔗 panel, **❓ Ask the class** turns the view "
        "into a question (which run finishes first; converge, oscillate or diverge; where the "
        "next step lands; the largest η that converges). Students answer before they see the "
        "outcome; your teacher link counts their answers live. Three are ready in the gallery.\n\n"
        "**Before class:** a Community Cloud app sleeps after 12 hours without visitors. Open it "
        "ten minutes before the lecture so the class does not wait for it to wake.\n\n"
        "**Embedding:** add `embed=true` to any link for a page without Streamlit's toolbar "
        "and footer; a class link keeps its controls hidden there too."
    )

st.markdown("#### One formula, three notations")
st.markdown(
    "The lecture notes disagree on how to write momentum. Every page says which form it runs, "
    "and the engine implements each one exactly:"
)
st.markdown(
    "| convention | update | where |\n|---|---|---|\n"
    + "\n".join(f"| {c.who} | ${c.latex}$ | {c.source} |" for c in optim.CONVENTIONS.values())
)
st.caption(
    "Same motion, different numbers: heavy ball with (η, β) equals PyTorch with (η, μ = β), and "
    "the EECS 182 form with (η, β) equals PyTorch with (ηβ, μ = 1 − β)."
)

link.finish()
