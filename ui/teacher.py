"""The teacher's side of a question: opening it (the share panel's "Ask the class", a class's
lesson), the live count and, once shown, the class's answers, and the phase buttons (Reveal,
Close, Ask again). Nothing here draws a teacher key: the key is copied by a button.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

import streamlit as st

from viz import predict as pq

from . import classroom, link, predict, tally
from .classroom import REFRESH, address, store
from .frame import chart, current_path

__all__ = ["ask_in_class", "class_points", "offer_panel", "open_question", "panel", "tally_panel"]


def panel(view: predict.View) -> None:
    """The teacher's side: while the class answers only how many have (nothing that names
    the answer: this screen may be projected), the phase buttons; once revealed, the
    class's answers."""
    ask, p = view.ask, view.prefix
    if ask.hidden:
        st.caption(
            "👩‍🏫 "
            + (
                "Every screen shows the start only until you press **Reveal** (V)."
                if ask.paced
                else "Each student sees the outcome after answering; this screen shows "
                "the start only."
            )
        )
    tally_panel(p, ask, view.truth, view.labels, view.look)
    with st.container(horizontal=True, gap="small"):
        if ask.hidden:
            st.button(
                "Reveal" if ask.paced else "Show it here",
                key=f"{p}_ask_reveal",
                type="primary",
                icon="🎬",
                shortcut="V",
                on_click=_set_phase,
                args=(p, "revealed"),
                help="Every screen plays the outcome (V)."
                if ask.paced
                else "This screen plays the outcome; the students' links are unchanged (V).",
            )
        if ask.phase == "asking":
            st.button(
                "Close",
                key=f"{p}_ask_close",
                on_click=_set_phase,
                args=(p, "closed"),
                help="Close the answers: no more are counted; the outcome stays hidden.",
            )
        elif ask.phase == "closed" and ask.hidden:
            st.button(
                "Reopen",
                key=f"{p}_ask_reopen",
                on_click=_set_phase,
                args=(p, "asking"),
                help="Take answers again.",
            )
        if not ask.hidden:
            predict._explore_button(p, ask)
        st.button(
            "Ask again",
            key=f"{p}_ask_reset",
            on_click=_reset_tally,
            args=(p,),
            help="Delete every answer to this question and hide its outcome again.",
        )


def class_points(qid: str) -> list[tuple[float, float]]:
    """The class's clicks of a "next step" question (at most 2000), for its map."""
    try:
        count = store().count(qid)
    except Exception:
        return []
    out = []
    for text, n in count.answers.items():
        try:
            x, y = (float(c) for c in text.split(","))
        except ValueError:
            continue
        out += [(x, y)] * n
    return out[:2000]


def _teacher_ask(prefix: str) -> predict.Ask | None:
    ask = st.session_state.get(predict._key(prefix))
    return ask if ask is not None and ask.teacher else None


def _set_phase(prefix: str, phase: str) -> None:
    """The teacher's phase buttons: a paced question's phase is the class's (in the store); a
    self-paced question's "show" is this screen's only, its close and reopen the store's."""
    ask = _teacher_ask(prefix)
    if ask is None:
        return
    if phase == "revealed" and not ask.paced:
        ask.shown = True
        return
    try:
        store().set_phase(ask.qid, phase)
        ask.phase = phase
    except (tally.TallyError, OSError, sqlite3.Error) as err:
        ask.message = f"The question could not change now ({type(err).__name__})."


def _reset_tally(prefix: str) -> None:
    ask = _teacher_ask(prefix)
    if ask is None:
        return
    try:
        store().reset(ask.qid)
        ask.phase, ask.shown = "asking", False
    except (tally.TallyError, OSError, sqlite3.Error) as err:
        ask.message = f"The tally could not be reset now ({type(err).__name__})."


_REFUSED = {
    "answers closed": "after you closed the answers",
    "question full": "the question was full",
    "one address's share": "beyond one network address's share",
    "no browser cookie": "from connections without a browser cookie (scripts)",
}


def tally_panel(
    prefix: str, ask: predict.Ask, t: pq.Truth, labels: Sequence[str], look: Any
) -> None:
    """The teacher's live tally, refreshed every few seconds by the browser (a fragment with
    ``run_every``: no server thread): while the outcome is hidden, how many answered (the
    distribution would name the answer on a projected screen); once shown, counts by answer,
    how many were right; always how many answers were refused and why."""

    @st.fragment(run_every=REFRESH)
    def live() -> None:
        try:
            count = store().count(ask.qid)
        except Exception as err:  # the store is unreadable: say so, never a traceback
            st.error(f"The tally cannot be read now ({type(err).__name__}).")
            return
        n = count.total
        answered = f"{n} answer{'s' if n != 1 else ''}"
        if ask.hidden:
            closed = " · answers closed" if ask.phase == "closed" else ""
            st.markdown(f"**📨 {answered} so far{closed}.**")
        elif not n:
            st.markdown("**Tally:** no answers yet. Share the student link (🔗 in the sidebar).")
        else:
            st.markdown(f"**Tally: {answered}, {count.right} right ({count.share_right:.0%}).**")
            rows = _tally_rows(ask.kind, count, t, labels)
            chart(
                pq.tally_figure(rows, look=look),
                "The class's answers: students per answer, the right ones in green",
                key=f"{prefix}_ask_tally",
            )
        if count.refused:
            st.caption(
                f"Refused: {count.refused_total} ("
                + "; ".join(
                    f"{m} {_REFUSED.get(reason, reason)}" for reason, m in count.refused.items()
                )
                + ")."
            )

    live()


def _tally_rows(
    kind: str, count: tally.Count, t: pq.Truth, labels: Sequence[str]
) -> list[tuple[str, int, bool]]:
    """(answer, students, right) for every choice (those nobody picked too, so the chart keeps
    its rows while the answers come in); typed values by value; clicks inside or outside."""
    if kind == "next":
        near = sum(n for text, n in count.answers.items() if _near(text, t))
        return [("within the ring", near, True), ("elsewhere", count.total - near, False)]
    if kind == "regime":
        return [
            (text.split(":")[0], count.answers.get(name, 0), name == t["regime"])
            for name, text in pq.REGIMES.items()
        ]
    if kind == "first":
        return [
            (label, count.answers.get(f"run {i + 1}", 0), i in t["winners"])
            for i, label in enumerate(labels)
        ]
    rows = []
    for text, n in count.answers.items():
        try:
            value = float(text)
        except ValueError:
            continue
        rows.append((value, f"{t['symbol']} = {text}", n, pq.grade(kind, t, value)))
    return [(name, n, right) for _, name, n, right in sorted(rows)]


def _near(text: str, t: pq.Truth) -> bool:
    try:
        x, y = (float(c) for c in text.split(","))
    except ValueError:
        return False
    return pq.grade("next", t, (x, y))


def open_question(
    page: str, query: dict[str, str], kind: str, run: int = 0, at: int = 0, paced: bool = False
) -> tuple[str, dict[str, str]]:
    """Open a question about the view ``query`` of ``page`` in the store (a class's question when
    ``paced``); this session becomes its teacher. Returns the teacher key and the student link's
    query. Raises ``tally.TallyError`` when the store refuses."""
    key = tally.new_key()
    qid = tally.question_id(key)
    base = {k: v for k, v in classroom.view_query(query).items() if k not in predict.PARAMS}
    qs = {**base, "ask": kind, "q": qid, "ask_run": str(int(run) + 1)}
    if kind == "next":
        qs["ask_at"] = str(int(at))
    seat = classroom.seat()
    cls = seat.code if paced and seat is not None and seat.teacher else None
    store().open_question(qid, page, qs, kind, cls=cls, paced=paced, address=address())
    st.session_state.setdefault(predict.KEYS, {})[qid] = key
    return key, qs


def offer_panel(view: predict.View, query: dict[str, str], names: list[str]) -> None:
    """Inside the share panel: pick a question kind (and run, step); add it to the class's
    lesson (paced), or make a self-paced student link and its teacher link (a copy button: the
    key is never drawn)."""
    p = view.prefix
    st.markdown("**❓ Ask the class: predict, then reveal**")
    kinds = [k for k in view.kinds]
    kind = st.selectbox(
        "Question",
        kinds,
        format_func=pq.KINDS.get,
        key=f"_ask_kind_{p}",
        help="Students see this view with the outcome hidden and answer; then they watch it "
        "(in a class, when you reveal it); you see how many answered, then the class's answers.",
    )
    run, at = 0, 0
    labels = list(view.labels)
    if kind != "first" and labels:
        run = st.selectbox(
            "About run",
            list(range(len(labels))),
            format_func=lambda i: labels[i],
            key=f"_ask_run_{p}",
        )
    if kind == "next":
        steps = view.all_views[run].steps if view.all_views else 1
        at = st.number_input(
            "The class sees steps 0 to k; k =", 0, max(steps - 1, 0), 0, key=f"_ask_at_{p}"
        )
    if not link.share_open():  # a closed panel draws nothing: no truth to measure (up to ~1 s
        return  # of nudged and longer reruns on the SGD lab, on every run of the page)
    try:
        view._truth(kind, int(run), int(at))
    except pq.Unaskable as err:
        st.caption(f"Not with this view: {link.escape(err)}.")
        return
    page = current_path()
    seat = classroom.seat()
    if seat is not None and seat.teacher:
        st.button(
            "＋ Ask it in the class now (you reveal it)",
            key=f"_ask_lesson_{p}",
            type="primary",
            on_click=_ask_now,
            args=(p, page, query, kind, int(run), int(at), labels),
        )
    made = st.session_state.get(f"_ask_made_{p}")
    want = (kind, int(run), int(at), tuple(sorted(query.items())))
    if st.button("Make a self-paced link (homework)", key=f"_ask_make_{p}"):
        try:
            made = (want, *open_question(page, query, kind, int(run), int(at)))
        except (tally.TallyError, OSError, sqlite3.Error) as err:
            st.error(f"The question cannot be opened now: {err}.")
            return
        st.session_state[f"_ask_made_{p}"] = made
    if made and made[0] == want:
        _, key, qs = made
        st.caption(
            "Student link (the settings fixed and the outcome hidden until each student "
            "answers; then they may unlock the settings):"
        )
        st.code(link.url_of(qs), language=None, wrap_lines=True)
        st.caption(
            "This browser is the question's teacher. To come back from another device, keep "
            "your teacher link (copied, never shown):"
        )
        classroom.copy_button(
            "Copy my teacher link", link.url_of({**qs, "teacher": key}), f"_ask_copy_{p}"
        )
        st.button(
            "👩‍🏫 Open the teacher view",
            key=f"_ask_open_{p}",
            on_click=link.open_later,
            args=(page, qs),
        )


def _ask_now(
    prefix: str, page: str, query: dict, kind: str, run: int, at: int, labels: Sequence[str]
) -> None:
    """The share panel's "Ask it in the class now": the question about this view, opened at once
    on every following screen."""
    title = pq.KINDS[kind].split(" (")[0]
    if kind != "first" and labels:
        title += f", {labels[run]}"
    ask_in_class(page, query, kind, f"❓ {title}", run, at, go=True)


def ask_in_class(
    page: str, query: dict, kind: str, title: str, run: int = 0, at: int = 0, go: bool = False
) -> None:
    """Open a paced question about ``query`` on ``page`` and add it to the class's lesson (with
    ``go``, as the class's view now); a failure is shown in the class bar."""
    try:
        _, qs = open_question(page, query, kind, run, at, paced=True)
    except (tally.TallyError, OSError, sqlite3.Error) as err:
        st.session_state["_class_error"] = f"The question cannot be opened now: {err}."
        return
    classroom.add_view(page, qs, title[:80], qid=qs["q"], go=go)
