"""Predict, then reveal, in a page: question links, the student's answer, the teacher's live tally.

A page with a race view calls, in order:

1. ``ask = predict.begin(prefix)`` right after ``ui.frame.page``: the question this link asks
   (``ask=kind&q=id``, with ``ask_run``/``ask_at``), or None. A teacher link's ``teacher=key``
   is checked against the id (``ui.tally.teacher_ok``) and dropped from the address bar, so a
   projected screen never shows it.
2. ``view = predict.View(ask, views, surface, labels, …)`` once the runs are computed: while the
   outcome is hidden (``view.hidden``: until the student's answer, or a class's reveal, and on
   the teacher's screen until Reveal), ``view.views`` are the runs cut at the step the
   question shows (the start, or step k for "where does the next step land"); the page draws
   those, with no banks and no curves, and stops after the question's block (``view.end()``),
   so neither the figures nor the data sent to the browser hold the outcome.
3. ``view.panel()`` beside the view: the question and its answer widgets, then the reveal (right
   or wrong, and why in the notes' numbers); for the teacher the count, the phase buttons and,
   once shown, the class's answers (``ui.teacher.panel``).
4. ``view.offer()``: the share panel's "Ask the class" part (``ui.teacher``: it opens the
   question in the store, in the class's lesson or as a self-paced link).

Answers are counted in :class:`ui.tally.Tally` (SQLite), only for a question that was opened
there (``tally.Tally.open_question``: the share panel, the gallery, a class's lesson): one per
voter (this browser's XSRF cookie, hashed; a connection without one is refused), at most
``per_address`` per network address. A question link opens the question's stored view, whatever
else the link says. A *paced* question (one in a class's lesson) hides its outcome on every
screen, the teacher's too, until the teacher reveals it; a self-paced link (homework) reveals
it to each student who answers.
"""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import streamlit as st

import optim
from optim import schedules
from viz import Look
from viz import predict as pq

from . import classroom, link, race, tally, teacher
from .cache import surface_of
from .classroom import REFRESH, address, store, voter
from .frame import PROJECTOR, phone

__all__ = ["Ask", "View", "begin", "commit", "fold", "rule", "store", "sweep", "truth_of", "voter"]

STATE = "ask"  # session key (under the page's prefix): the question of this link
PARAMS = ("ask", "q", "ask_run", "ask_at")  # a question link's own URL values
# a projected question screen: its prompt is the headline, so the page title gives way to the
# question, its map, its player and the count (one 1280×720 screen)
_QUESTION_CSS = (
    "<style>div:has(> [data-testid='stHeading'] h1) {display: none !important;}"
    ".block-container {padding-top: 2.9rem !important;}</style>"  # clear of the » button
)
KEYS = "_teacher_keys"  # session key: the questions this session made (qid -> teacher key)


def rule(optimizer: str, hp: dict, plain: bool = True, options: Any = None) -> dict:
    """What the truth needs of a run: optimizer, η, β and notation; ``plain`` False when a
    schedule, noise, clipping or minibatches make the run other than the textbook iteration;
    from ``options`` (``optim.RunOptions``) whether its gradients are noisy and what its
    schedule does for ever (``optim.schedules.fate``)."""
    out = {"optimizer": optimizer, "plain": bool(plain), "lr": float(hp.get("lr", 0.0))}
    if "beta" in hp:
        out["beta"] = float(hp["beta"])
    if hp.get("convention"):
        out["convention"] = str(hp["convention"])
    if options is not None:
        out["noisy"] = bool(options.noise or options.batch_size)
        out["fate"] = list(schedules.fate(options.schedule))
    return out


@dataclass
class Ask:
    """The question of a link: its kind, the run and step it is about, its id, who is asking,
    who paces it and its phase (``tally.PHASES``)."""

    kind: str
    qid: str
    run: int = 0  # 0-based
    at: int = 0
    teacher: bool = False
    paced: bool = False  # a class's question: the outcome opens when the teacher reveals it
    phase: str = "asking"
    rev: int = 0  # the question's revision in the store when this page was drawn
    shown: bool = False  # a self-paced question's teacher chose to see the outcome
    explore: bool = False  # after the reveal, this session unlocked the settings to explore
    answer: dict | None = None  # this session's counted answer: text, value, right
    view: dict | None = None  # the settings the answer was given for (to notice a change)
    truth: pq.Truth | None = None  # the true answer for the question's own view (the one copy)
    message: str | None = None  # why the last answer was refused or not counted

    @property
    def hidden(self) -> bool:
        """Whether this screen must not show the outcome yet."""
        if self.paced:
            return self.phase != "revealed"
        if self.teacher:
            return not self.shown
        return self.answer is None

    @property
    def answering(self) -> bool:
        """Whether this session answers now (a student, no answer yet, answers open)."""
        return not self.teacher and self.answer is None and self.phase == "asking" and self.hidden


def _key(prefix: str) -> str:
    return f"{prefix}_{STATE}"


def truth_of(state: Any, prefix: str) -> pq.Truth | None:
    """The true answer of the question asked on page ``prefix`` in a session's ``state`` (None if
    none is asked, or it could not be asked there): the one copy, on the question's :class:`Ask`."""
    ask = state[_key(prefix)] if _key(prefix) in state else None
    return getattr(ask, "truth", None)


def begin(prefix: str) -> Ask | None:
    """The question of this link (taken from the URL on entering the page, kept in the session
    afterwards), or None. A bad question link, or one that was never opened on this server, is
    a note, and the page opens as a plain view. The question's phase is read again on every run."""
    ss = st.session_state
    raw = {name: link.take(name) for name in (*PARAMS, "teacher")}
    if raw["ask"] is not None or raw["q"] is not None:
        ss.pop(_key(prefix), None)
        ask = _parse(raw)
        if ask is not None:
            ss[_key(prefix)] = ask
    ask = ss.get(_key(prefix))
    if ask is None:
        return None
    try:
        q = store().question(ask.qid)
    except (tally.TallyError, OSError, sqlite3.Error):
        q = None
    if q is not None:
        ask.phase, ask.rev = q.phase, q.rev
    if not ask.hidden and not ask.explore:  # the reveal plays where the question was
        link.lock("")  # nothing appears above the view; "Change the settings" unlocks them
    if ask.hidden:  # the settings stay as the question gives them until the outcome is shown
        if ask.teacher:
            reason = ""  # the teacher's panel says it; a projected screen keeps its room
        elif ask.paced:
            reason = "Predict first: the outcome opens when your teacher reveals it."
        else:
            reason = (
                "A question: predict first. The settings are fixed and the outcome is hidden "
                "until you answer at the question's figure; then the view plays, and "
                "“Change the settings” gives you every control."
            )
        link.lock(reason)
        if ask.paced or ask.teacher:
            classroom.watch(ask.qid, ask.rev)  # the teacher's Reveal reruns this page
    if st.session_state.get(PROJECTOR):  # the question is the screen's headline
        st.markdown(_QUESTION_CSS, unsafe_allow_html=True)
    for name, value in (("ask", ask.kind), ("q", ask.qid), ("ask_run", ask.run + 1)):
        link.keep(name, value)
    if ask.kind == "next":
        link.keep("ask_at", ask.at)
    return ask


def fold(ask: Ask | None, label: str) -> Any:
    """Where a page writes what comes before its question's view: folded into an expander on
    a question's screen (on a projector the question, its map, its player and the count fit
    one 1280×720 screen, and the reveal plays where the question was: nothing moves), else
    the page itself."""
    if ask is not None:
        return st.expander(f"📖 {label}")
    return st.container()


def _parse(raw: dict[str, str | None]) -> Ask | None:
    kind, qid = raw["ask"], raw["q"]
    shown = link.quote(f"ask={kind}&q={qid}")
    if not qid or len(qid) != 16 or any(c not in "0123456789abcdef" for c in qid):
        link.note(
            f"{shown}: the question id is not one this app makes; the page opens as a plain view."
        )
        return None
    try:
        q = store().question(qid)
    except (tally.TallyError, OSError, sqlite3.Error) as err:
        link.note(f"{shown}: the class store cannot be read now ({type(err).__name__}).")
        return None
    if q is None:
        link.note(
            f"{shown}: this question is not open on this server (it was never opened here, or "
            "it closed 48 hours after it was opened; a restart of the app also closes it). The "
            "page opens as a plain view."
        )
        return None
    if q.kind not in pq.KINDS:
        link.note(f"{shown}: there is no such question; the page opens as a plain view.")
        return None
    # the question's own view, whatever else this link says (a copy altered by hand included)
    link.replace_pending({k: v for k, v in q.query.items() if k not in (*PARAMS, "teacher")})
    try:
        run = int(q.query.get("ask_run") or 1) - 1
        at = int(q.query.get("ask_at") or 0)
    except ValueError:
        run, at = 0, 0
    key, seat = raw["teacher"], classroom.seat()
    teacher = (
        tally.teacher_ok(qid, key)
        or tally.teacher_ok(qid, st.session_state.get(KEYS, {}).get(qid))
        or (seat is not None and seat.teacher and q.cls == seat.code)
    )
    if key is not None and not teacher:
        link.note(
            f"{link.quote('teacher=…')} is not this question's teacher key: the page shows the "
            "question as a student sees it."
        )
    elif key is not None:  # keep it for this session (the address bar drops it)
        st.session_state.setdefault(KEYS, {})[qid] = key
    ask = Ask(q.kind, qid, run, at, bool(teacher), q.paced, q.phase, q.rev)
    if not teacher:  # an answer counted earlier from this browser (a reload) stands
        try:
            who = voter()
            earlier = store().answer_of(qid, who) if who else None
        except Exception:
            earlier = None
        if earlier is not None:
            ask.answer = {"text": earlier, "value": None, "right": None, "restored": True}
    return ask


@dataclass
class View:
    """A page's question view: the runs as shown (cut while hidden), the truth, the panel."""

    ask: Ask | None
    views: Sequence[Any]
    surface: Any
    labels: Sequence[str]
    prefix: str
    kinds: Sequence[str] = ("first", "regime", "next")
    rules: Sequence[dict | None] | None = None
    sweep: Callable[[int], dict | None] | None = None
    # the page's runs again from another start (and over other steps): the round-off check and
    # the longer run of a regime question that the run itself decides
    rerun: Callable[..., Sequence[Any]] | None = None
    look: Any = None
    truth: pq.Truth | None = field(default=None, init=False)
    error: str | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.all_views = list(self.views)
        self.look = self.look or Look()
        self.settings: list[tuple[str, str]] = []
        self.changed = False  # the student changed the settings after answering
        if self.ask is None:
            return
        now = link.snapshot()  # every control drawn so far: the settings this view depends on
        self.settings = link.settings()
        if self.ask.answer is None and not self.ask.teacher:
            st.session_state[f"{_key(self.prefix)}_view"] = now
        else:  # answered (or the teacher): the first view seen is the question's
            if self.ask.view is None:
                self.ask.view = now
            self.changed = self.ask.view != now
            if self.changed:
                self.truth = self.ask.truth  # the teacher's tally still reads the question's
                return
        if self.ask.kind not in self.kinds:
            self.error = f"this view cannot ask “{pq.KINDS[self.ask.kind]}”"
        else:
            self.truth, self.error = self._remembered_truth(now)
        if self.error:
            link.note(f"This question cannot be asked about this view: {link.escape(self.error)}.")
            self.ask = None
            return
        self.ask.truth = self.truth  # the one copy: the answer forms grade against it
        if self.ask.answer and self.ask.answer.get("value") is None and self.ask.answer.get("text"):
            self._restore_value()
        if self.hidden:
            cut = self.ask.at if self.ask.kind == "next" else 0
            self.views = [_cut(v, cut) for v in self.all_views]

    def _remembered_truth(self, now: dict) -> tuple[pq.Truth | None, str | None]:
        """The question's truth (or why it cannot be asked), computed once per view: a rerun of
        the same settings (an answer, a toggle below the view) reads it back instead of running
        the round-off and 4×-steps checks again."""
        ask, ss = self.ask, st.session_state
        memo = f"{_key(self.prefix)}_memo"
        key = (ask.kind, ask.run, ask.at, tuple(sorted((k, str(v)) for k, v in now.items())))
        got = ss.get(memo)
        if got is not None and got[0] == key:
            return got[1], got[2]
        try:
            out = (self._truth(ask.kind, ask.run, ask.at), None)
        except pq.Unaskable as err:
            out = (None, str(err))
        ss[memo] = (key, *out)
        return out

    def _truth(self, kind: str, run: int, at: int) -> pq.Truth:
        sweep = self.sweep(run) if (kind == "max_lr" and self.sweep) else None
        nearby = None
        if kind in ("regime", "next") and self.rerun is not None and 0 <= run < len(self.all_views):
            # the round-off check: the page's own runs from two starts a hair away; a regime that
            # the run itself decides (not a linear one) must also last over LONGER × its steps
            v = self.all_views[run]
            rule = (self.rules or [None] * len(self.all_views))[run]
            if kind == "next" or pq.linear_modes(rule, self.surface, v.xy[0]) is None:
                nearby = [self.rerun(s)[run] for s in pq.nudged_starts(v.xy[0], self.surface)]
                if kind == "regime":
                    nearby.append(self.rerun(tuple(v.xy[0]), pq.LONGER * v.steps)[run])
        return pq.truth(
            kind,
            self.all_views,
            self.surface,
            run,
            at,
            rules=self.rules,
            sweep=sweep,
            nearby=nearby,
        )

    def _restore_value(self) -> None:
        try:
            text = self.ask.answer["text"]
            raw: Any = text
            if self.ask.kind == "first":
                raw = int(text.split()[-1]) - 1
            elif self.ask.kind == "next":
                raw = [float(c) for c in text.split(",")]
            _, value = pq.parse_answer(self.ask.kind, raw, self.truth)
            self.ask.answer.update(value=value, right=pq.grade(self.ask.kind, self.truth, value))
        except (ValueError, KeyError, IndexError):
            pass

    # -- what the page asks of it ------------------------------------------------------------------
    @property
    def active(self) -> bool:
        return self.ask is not None

    @property
    def hidden(self) -> bool:
        return self.ask is not None and self.ask.hidden

    @property
    def clicking(self) -> bool:
        """Whether a click on the map is the student's answer now."""
        return self.ask is not None and self.ask.answering and self.ask.kind == "next"

    def traces(self) -> list[dict]:
        """The prediction drawn on the map once revealed (the class's clicks for the teacher)."""
        if self.ask is None or self.hidden or self.truth is None or self.changed:
            return []
        value = (self.ask.answer or {}).get("value")
        points: list[tuple[float, float]] = []
        if self.ask.teacher and self.ask.kind == "next":
            points = teacher.class_points(self.ask.qid)
        return pq.prediction_traces(self.ask.kind, self.truth, value, self.look, points)

    def autoplay(self) -> str | None:
        """A token that changes when the outcome is first revealed: the view plays from step 0."""
        if self.ask is None or self.hidden or self.changed:
            return None
        return f"{self.ask.qid}:{(self.ask.answer or {}).get('text', 'teacher')}"

    def mount(self, mount: Callable[..., None], spec: dict, **kw: Any) -> None:
        """``mount(spec, **kw)`` (``ui.race.mount``); for the teacher of a "next step" question
        inside a fragment that the browser reruns every few seconds, so the class's clicks
        appear on the map as they come in (only the map's markers change: a cheap redraw)."""
        if not (
            self.ask is not None
            and self.ask.teacher
            and self.ask.kind == "next"
            and not self.hidden
        ):
            mount(spec, **kw)
            return

        def draw() -> None:
            fresh = {**spec, "map": {**spec["map"], "extra": self.traces()}}
            mount(fresh, **kw)

        if self.changed:
            draw()
        else:
            st.fragment(run_every=REFRESH)(draw)()

    def wrap(self, req: Any) -> Any:
        """The page's view request (``ui.view.Request``) as the question shows it: the paths cut
        while it waits, with no banks, curves or 3D view (each holds the outcome); map clicks
        are answers while it waits (not on a phone, where a finger must scroll the page: it
        types its point), else the page's own clicks, off once a question is answered (the view
        must stay the question's); the note saying the paths are hidden, the prediction drawn,
        the reveal's autoplay."""
        extra = self.traces()
        hidden = self.hidden
        size = req.size
        if not self.ask.explore and self.look.font > 14 and not phone():  # a projector: one
            size = (400, 730)  # screen for the question, and the same for its reveal
        return req.replace(
            size=size,
            views=list(self.views),
            axes=() if hidden else req.axes,
            curves=req.curves and not hidden,
            mesh=req.mesh and not hidden,
            inset=0 if hidden else req.inset,  # the magnified late clouds are the outcome
            clicks=(self.clicking and not phone()) or (req.clicks and not self.active),
            on_start=self.on_start(req.on_start),
            click_label="click: your prediction" if self.clicking else "click: start here",
            note=None if hidden else req.note,  # the question's prompt says they are hidden
            extra=[*req.extra, *extra],
            autoplay=self.autoplay(),
        )

    def on_start(self, page: Callable[[float, float], None] | None = None):
        """What a click on the map does: the answer while the question waits, else ``page``."""
        return self.on_click if self.clicking else page

    def on_click(self, x: float, y: float) -> None:
        """The map's click while the question waits: the student's answer."""
        commit(self.prefix, [x, y])

    def end(self) -> None:
        """Stop the page here while the outcome is hidden (nothing below may give it away)."""
        if self.hidden:
            st.caption("The rest of this page opens with the outcome.")
            link.stop()

    # -- the panel ---------------------------------------------------------------------------------
    def placed(self, ratio: Sequence[float] = (3, 2)) -> Any:
        """Draw the panel and return the container the view goes in: beside the panel on the
        question's screen (both fit a projector's screen, and the reveal plays where the
        question was), under it once the student explores, and on a phone (where columns
        stack) under it too: the question comes first."""
        if self.active and not self.ask.explore and not phone():
            box, side = st.columns(list(ratio))
            self.panel(where=side)
            return box
        self.panel()
        return st.container()

    def panel(self, where: Any = None) -> None:
        """The question and its answer widgets, or the reveal; for the teacher the tally (in
        ``where``, a column or a container reserved beside the view, if given)."""
        ask, t = self.ask, self.truth
        if ask is not None and self.changed and ask.teacher:
            with (where if where is not None else st).container(border=True):
                st.markdown("❓ " + pq.prompt(ask.kind, t, ask.run, ask.at, self.labels))
                st.caption(
                    "👩‍🏫 You changed the settings: the figures show your view now, and the tally "
                    "still counts the answers to the question's own view. Open your teacher link "
                    "again to see that view."
                )
                if t is not None:
                    teacher.tally_panel(self.prefix, ask, t, self.labels, self.look)
            return
        if ask is not None and self.changed:
            box = (where if where is not None else st).container(border=True)
            said = (ask.answer or {}).get("text")
            box.markdown(
                (f"❓ You answered **{link.escape(said)}** to" if said else "❓ You saw")
                + " this link's question, then changed the settings: the figures now show your "
                "own view, not the question's. Open the question link again to see its reveal."
            )
            return
        if ask is None or t is None:
            return
        box = (where if where is not None else st).container(border=True)
        with box:
            st.markdown("❓ " + pq.prompt(ask.kind, t, ask.run, ask.at, self.labels))
            if ask.teacher:
                teacher.panel(self)
            elif ask.answering:
                self._answer_widgets()
            elif self.hidden:
                self._waiting()
            else:
                self._reveal()
            if ask.message:
                (st.error if ask.answer is None else st.info)(ask.message, icon="✋")

    def _waiting(self) -> None:
        """A paced question's student who has answered (or can no longer): no grade yet."""
        ask = self.ask
        if ask.answer is not None:
            shown = ask.answer.get("text", "")
            if ask.kind == "regime":
                shown = pq.REGIMES.get(shown, shown).split(":")[0]
            elif ask.kind == "first" and isinstance(ask.answer.get("value"), int):
                shown = self.labels[ask.answer["value"]]
            st.info(
                f"Your answer is in: **{link.escape(shown)}**. The outcome opens on every screen "
                "when your teacher reveals it.",
                icon="📨",
            )
        else:
            st.info("The teacher has closed the answers; the outcome opens with the reveal.")

    def _answer_widgets(self) -> None:
        ask, t, p = self.ask, self.truth, self.prefix
        shown = [
            f"{link.escape(label)} = **{link.escape(value)}**" for label, value in self.settings
        ]
        if shown:  # the controls are locked out of sight: say what the view is set to
            with st.expander("⚙️ The view's settings (fixed by the question)"):
                st.markdown(" · ".join(shown))
        if ask.kind == "first":
            with st.form(f"{p}_ask_form", border=False):
                st.radio(
                    "Your prediction",
                    list(range(len(self.labels))),
                    format_func=lambda i: self.labels[i],
                    index=None,
                    key=f"{p}_ask_first",
                )
                st.form_submit_button(
                    "Commit my answer", type="primary", on_click=_submit, args=(p, ask.kind)
                )
        elif ask.kind == "regime":
            with st.form(f"{p}_ask_form", border=False):
                st.radio(
                    "Your prediction",
                    list(pq.REGIMES),
                    format_func=pq.REGIMES.get,
                    index=None,
                    key=f"{p}_ask_regime",
                )
                st.form_submit_button(
                    "Commit my answer", type="primary", on_click=_submit, args=(p, ask.kind)
                )
        elif ask.kind == "next":
            st.caption(
                "Type the point where it lands (on a phone the map takes no clicks, so that a "
                "finger can scroll the page):"
                if phone()
                else "Click on the map: your click is your answer. No mouse? Type the point:"
            )
            (x0, x1), (y0, y1) = t["window"]
            with st.form(f"{p}_ask_form", border=False):
                c1, c2, c3 = st.columns([1, 1, 1.2], vertical_alignment="bottom")
                c1.number_input(
                    "x", value=None, placeholder=f"{x0:g} … {x1:g}", key=f"{p}_ask_x", format="%.4f"
                )
                c2.number_input(
                    "y", value=None, placeholder=f"{y0:g} … {y1:g}", key=f"{p}_ask_y", format="%.4f"
                )
                c3.form_submit_button(
                    "Commit this point", type="primary", on_click=_submit, args=(p, ask.kind)
                )
        else:
            with st.form(f"{p}_ask_form", border=False):
                c1, c2 = st.columns([2, 1.2], vertical_alignment="bottom")
                c1.text_input(
                    f"Largest {t['symbol']} that still converges",
                    key=f"{p}_ask_value",
                    max_chars=200,
                    placeholder=f"between {min(t['values']):.4g} and {max(t['values']):.4g}",
                )
                c2.form_submit_button(
                    "Commit my answer", type="primary", on_click=_submit, args=(p, ask.kind)
                )

    def _reveal(self) -> None:
        ask, t = self.ask, self.truth
        answer = ask.answer or {}
        right = answer.get("right")
        shown = answer.get("text", "")
        if ask.kind == "regime":
            shown = pq.REGIMES.get(shown, shown).split(":")[0]
        elif ask.kind == "first" and isinstance(answer.get("value"), int):
            shown = self.labels[answer["value"]]
        if ask.kind == "next":
            shown = f"({shown})"
        head = f"Your answer: **{link.escape(shown)}**"
        if answer.get("restored"):
            head += " (counted earlier from this browser)"
        if not answer:
            st.info("You did not answer this one. Here is the outcome.")
        elif right is True:
            st.success(f"{head}. Right.", icon="✅")
        elif right is False:
            st.warning(f"{head}. Not this time.", icon="🔁")
        else:
            st.info(head + ".")
        st.markdown(pq.explain(ask.kind, t, answer.get("value")))
        st.caption("▶ The view plays the outcome; press ⏮ and ▶ to watch it again.")
        _explore_button(self.prefix, ask)

    # -- the share panel ---------------------------------------------------------------------------
    def offer(self) -> None:
        """The share panel's "Ask the class": a question from this view (not while its outcome
        is hidden here: what it says of the view could tell)."""
        if not self.hidden:
            link.share_extra(functools.partial(teacher.offer_panel, self))


def _cut(v: Any, k: int) -> Any:
    """Run ``v`` up to step ``k`` only (what a question shows before the answer)."""
    return replace(
        v,
        xy=v.xy[: k + 1],
        loss=v.loss[: k + 1],
        dist=None if v.dist is None else v.dist[: k + 1],
        diverged_at=v.diverged_at if 0 <= v.diverged_at <= k else -1,
    )


def commit(prefix: str, raw: Any) -> None:
    """Grade and count an answer (a click, a choice, a typed value); refusals become a message."""
    ss = st.session_state
    ask: Ask | None = ss.get(_key(prefix))
    t = ask.truth if ask is not None else None
    if ask is None or t is None or ask.teacher:
        return
    if ask.answer is not None:
        ask.message = (
            f"Your answer ({ask.answer['text']}) is already counted; a browser answers once."
        )
        return
    if raw is None:
        ask.message = "Pick or type an answer first."
        return
    try:
        text, value = pq.parse_answer(ask.kind, raw, t)
    except ValueError as err:
        ask.message = f"That answer was not counted: {err}."
        return
    right = pq.grade(ask.kind, t, value)
    who = voter()
    if who is None:  # a connection without a browser's cookie: a script
        ask.message = (
            "That answer was not counted: this connection carries no browser cookie (open the "
            "link in a browser)."
        )
        try:
            store().refuse(ask.qid, "no browser cookie")
        except (tally.TallyError, OSError, sqlite3.Error):
            pass
        return
    try:
        counted, stored = store().record(ask.qid, who, text, right, address())
    except tally.Refused as err:  # closed, full, one address's share: the student is told why
        ask.message = f"That answer was not counted: {err}."
        return
    except (tally.TallyError, OSError, sqlite3.Error) as err:  # no store
        if ask.paced:  # graded at the reveal only: nothing to show now
            ask.message = f"That answer was not counted: {err}."
            return
        ask.message = f"Your answer is graded but not counted in the class tally: {err}."
        counted, stored = True, text
    if not counted:
        ask.answer = {"text": stored, "value": None, "right": None, "restored": True}
        ask.message = f"This browser had already answered ({stored}); the first answer stands."
        return
    ask.answer = {"text": text, "value": value, "right": right}
    ask.view = ss.get(f"{_key(prefix)}_view")
    if ask.message and "not counted in the class tally" not in ask.message:
        ask.message = None


def _submit(prefix: str, kind: str) -> None:
    """The answer form's callback: its widgets' values, as the form sent them."""
    ss = st.session_state
    if kind == "next":
        x, y = ss.get(f"{prefix}_ask_x"), ss.get(f"{prefix}_ask_y")
        commit(prefix, None if x is None or y is None else [x, y])
    else:
        field = kind if kind in ("first", "regime") else "value"
        commit(prefix, ss.get(f"{prefix}_ask_{field}"))


def _explore_button(prefix: str, ask: Ask) -> None:
    if not ask.explore:
        st.button(
            "Change the settings",
            key=f"{prefix}_ask_explore",
            icon="🔓",
            on_click=_explore,
            args=(prefix,),
            help="Every control comes back, to try other settings (the question's view stays "
            "a link away).",
        )


def _explore(prefix: str) -> None:
    ask: Ask | None = st.session_state.get(_key(prefix))
    if ask is not None:
        ask.explore = True


def sweep(
    key: Any,
    run: Any,
    grid: Sequence[float],
    start: tuple[float, float],
    steps: int,
    options: Any,
    symbol: str = "η",
    budget: float = 1.0,
) -> dict:
    """Run ``run`` at every value of its η slider (``grid``) for a "largest η" question. The
    paths are computed only when asked for (a linear run is decided exactly without them), and
    only within ``budget`` seconds of CPU (priced from ``ui.race.row_step_cost``); beyond it
    they are None: the question is then not offered, rather than graded on a thinned grid."""
    values = tuple(float(g) for g in grid)

    def paths() -> tuple | None:
        if len(values) * max(steps, 1) * race.row_step_cost(key, run[0], options) > budget:
            return None
        try:
            return _sweep_paths(key, run, values, tuple(start), steps, options)
        except ValueError:
            return None

    return {"values": values, "symbol": symbol, "paths": paths}


@st.cache_data(max_entries=4, show_spinner=False)
def _sweep_paths(key: Any, run: Any, values: tuple, start: tuple, steps: int, options: Any):
    """Every step of ``run`` at each of ``values`` of η (one engine call, cached on primitives)."""
    optimizer, hp = run
    hp = {**dict(hp), "lr": np.asarray(values, dtype=float)}
    x0 = np.tile(np.asarray(start, dtype=float), (len(values), 1))
    p = optim.run_paths(surface_of(key), [optim.RunSpec(optimizer, x0, hp)], steps, options=options)
    return p.xy.transpose(1, 0, 2), p.loss.T, p.diverged_at.astype(int)
