"""Presets gallery: three ready questions for the class (predict, then reveal), then seventeen
scenarios, each a lecture figure or a classic picture, each a link; in a class, each joins the
teacher's lesson in one click."""

from __future__ import annotations

import streamlit as st

from ui import classroom, link, tally, teacher
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
teaching = classroom.seat() is not None and classroom.seat().teacher
st.markdown(
    "Each opens a lab's view with its outcome hidden: every student answers first, then watches "
    "it play and reads why. "
    + (
        "**Add to the lesson** puts it in your class's lesson (▶ in the class bar steps to it): "
        "every screen hides the outcome until you press **Reveal**."
        if teaching
        else "**Make a self-paced link** gives a student link (each student sees the outcome "
        "after answering) and makes this browser the question's teacher. Teaching live? Start "
        "a class on the home page: you pace the questions and reveal them to everyone at once."
    )
)


def make_links(q) -> None:
    try:
        st.session_state[f"{P}_{q.slug}_made"] = teacher.open_question(
            q.page, q.query, q.query["ask"], int(q.query.get("ask_run", 1)) - 1
        )
    except (tally.TallyError, OSError) as err:
        st.session_state["_class_error"] = f"The question cannot be opened now: {err}."


qcols = st.columns(3)
for col, q in zip(qcols, QUESTIONS):
    with col.container(border=True):
        st.markdown(f"#### {q.title}")
        st.caption(LABEL[q.page])
        st.markdown(q.asks)
        with st.expander("What the reveal shows"):
            st.markdown(q.why)
        if teaching:
            st.button(
                "＋ Add to the lesson",
                key=f"{P}_{q.slug}_class",
                type="primary",
                on_click=teacher.ask_in_class,
                args=(q.page, q.query, q.query["ask"], f"❓ {q.title}"),
            )
        st.button(
            "Make a self-paced link", key=f"{P}_{q.slug}_make", on_click=make_links, args=(q,)
        )
        made = st.session_state.get(f"{P}_{q.slug}_made")
        if made is not None:
            key, student = made
            st.caption("Student link:")
            st.code(link.url_of(student, page=q.page), language=None, wrap_lines=True)
            classroom.copy_button(
                "Copy my teacher link",
                link.url_of({**student, "teacher": key}, page=q.page),
                key=f"{P}_{q.slug}_copy",
            )
            st.button(
                "👩‍🏫 Open the teacher view",
                key=f"{P}_{q.slug}_open",
                on_click=link.open_later,
                args=(q.page, student),
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
        if teaching:
            right.button(
                "＋ Add to the lesson",
                key=f"{P}_{preset.slug}_lesson",
                on_click=classroom.add_view,
                args=(preset.page, preset.query, preset.title),
            )

# the cards first, then their pictures (drawn on the server once, then cached)
for slot, preset in pictures:
    slot.image(preset_thumbnail(preset.slug), width="stretch")

link.finish()
