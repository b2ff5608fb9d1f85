"""A class session the teacher paces: a lesson of views, students who follow, one poll.

A teacher presses **Start a class** (home page): a fresh class key is made and kept in this
session only (``Seat.key``); the class's public code (``tally.class_code``) goes on the projector
with a QR code of the join link ``/?class=CODE``. The teacher adds views to the *lesson* (any
page's current view, a ready question, a preset) and steps through it with the keyboard
(PageDown / PageUp: what a presenter's clicker sends). A question in the lesson is *paced*: every
screen, the projector's too, hides its outcome until the teacher presses **Reveal** (V).

A student who opens the join link (or types the code on the home page) *follows*: the page polls
the class every ``REFRESH`` seconds in a fragment (a browser timer, no server thread) and, when
the teacher moves, opens the teacher's view; a student may leave "follow" to explore and come
back. The teacher key never appears on a page: a teacher who wants to come back from another
device copies a teacher link (a copy button, its text not drawn), which drops the key from the
address bar on arrival.
"""

from __future__ import annotations

import functools
import hashlib
import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import streamlit as st

from . import link, race, tally

__all__ = ["REFRESH", "Seat", "add_view", "bar", "copy_button", "join_url", "poll", "seat", "store"]

REFRESH = 2.0  # seconds between polls of the class and of a paced question (a browser timer)
SEAT = "_class_seat"  # session key: this session's place in a class
WATCH = "_class_watch"  # session key: (qid, rev) of the paced question this page shows
OUTSIDE_VIEW = {"projector", "hide", "teacher", "embed", "embed_options", "class"}


ROOT = Path(__file__).resolve().parent.parent
LIVE = ROOT / "static" / "live"  # served as app/static/live/… (server.enableStaticServing)


@functools.lru_cache(maxsize=1)
def store() -> tally.Tally:
    """The server's class store, one per process: in PostgreSQL when a database URL is set
    (``DESCENT_LAB_DATABASE_URL``, or ``url`` under ``[connections.tally]`` in Streamlit's
    secrets: several app servers share its classes), else in one SQLite file (its folder from
    ``$DESCENT_LAB_DATA``). Its live files go in the app's static folder when that folder can be
    written, and not with a database unless ``DESCENT_LAB_LIVE=on`` (several servers behind
    one address do not share a static folder; ``off`` turns them off)."""
    live = os.environ.get("DESCENT_LAB_LIVE", "").lower()
    url = database_url()
    if url:
        return _database_store(url, live in ("1", "on", "true", "yes"))
    off = live in ("0", "off", "false", "no")
    return tally.Tally(live=None if off or not _writable(LIVE) else LIVE)


_FAILED: list[tuple[float, str]] = []  # the last failure to reach the database (time, why)
RETRY = 30.0  # seconds before a database that could not be reached is tried again


def _database_store(url: str, live: bool) -> tally.Tally:
    """The PostgreSQL store (``ui.tally_postgres``) through ``st.connection``; a database that
    cannot be reached is a :class:`~ui.tally.TallyError` (tried again after ``RETRY`` s, not
    on every call: each try may wait its connection timeout)."""
    import time

    if _FAILED and time.monotonic() - _FAILED[-1][0] < RETRY:
        raise tally.TallyError(_FAILED[-1][1])
    try:
        from .tally_postgres import PgTally

        conn = st.connection(
            "tally",
            type="sql",
            url=url,
            pool_size=4,
            max_overflow=8,
            pool_timeout=10,
            pool_pre_ping=True,
            connect_args={"connect_timeout": 5},
        )
        return PgTally(conn.engine, live=LIVE if live and _writable(LIVE) else None)
    except Exception as err:  # a bad URL, a missing driver, a server down: a message, not a crash
        why = f"the class database cannot be reached ({type(err).__name__})"
        _FAILED[:] = [(time.monotonic(), why)]
        raise tally.TallyError(why) from err


def database_url() -> str | None:
    """The class store's database URL, if the operator set one (environment, then secrets)."""
    url = os.environ.get("DESCENT_LAB_DATABASE_URL", "").strip()
    if url:
        return url
    try:
        return str(st.secrets["connections"]["tally"]["url"]) or None
    except Exception:  # no secrets file, or no such entry: the embedded SQLite store
        return None


def _writable(folder: Path) -> bool:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / ".probe"
        probe.write_text("ok")
        probe.unlink()
        return True
    except OSError:
        return False


@dataclass
class Seat:
    """This session's place in a class: its code, the key if it is the teacher, whether it
    follows the teacher, and the class revision it last acted on."""

    code: str
    key: str | None = None
    follow: bool = True
    rev: int = -1
    at: dict[str, Any] | None = None  # the lesson view it last opened

    @property
    def teacher(self) -> bool:
        return self.key is not None


def voter() -> str | None:
    """Who answers: this browser (the token of its ``_streamlit_xsrf`` cookie, hashed: a reload
    or a second tab counts once). A connection without the cookie every browser gets is not a
    browser (a script): None, and its answers are refused. Without any connection (AppTest,
    bare mode) the session answers (a random id kept in its state)."""
    ss = st.session_state
    if "_voter" not in ss:
        try:
            headers = dict(st.context.headers or {})
            cookie = st.context.cookies.get("_streamlit_xsrf")
        except Exception:  # no browser (AppTest)
            headers, cookie = {}, None
        token = _xsrf_token(cookie) if cookie else None
        if token:
            ss["_voter"] = "b" + hashlib.sha256(token.encode()).hexdigest()[:23]
        elif headers and st.get_option("server.enableXsrfProtection"):
            ss["_voter"] = None  # every browser holds the cookie when the server sets it
        else:
            ss["_voter"] = "s" + uuid.uuid4().hex[:23]
    return ss["_voter"]


def address() -> str:
    """The client's network address as the server sees it ("" on loopback or without one)."""
    try:
        return str(st.context.ip_address or "")
    except Exception:
        return ""


def _xsrf_token(cookie: str) -> str | None:
    """The token inside Streamlit's ``_streamlit_xsrf`` cookie (``2|mask|masked|time``): the
    server sends the cookie again with a new mask on every page load, so the cookie's text
    changes with a reload while the token, ``masked XOR mask``, stays.

    >>> _xsrf_token("2|0f0f|0a0b0c0d|1"), _xsrf_token("2|ffff|f5f4f3f2|9")
    ('05040302', '0a0b0c0d')
    >>> _xsrf_token("garbage") is None
    True
    """
    parts = str(cookie).split("|")
    try:
        if len(parts) == 4 and parts[0] == "2":
            mask, masked = bytes.fromhex(parts[1]), bytes.fromhex(parts[2])
            if mask and masked:
                return bytes(b ^ mask[i % len(mask)] for i, b in enumerate(masked)).hex()
    except ValueError:
        pass
    return None


def seat() -> Seat | None:
    return st.session_state.get(SEAT)


def join_url(code: str) -> str:
    """The address a student opens to join the class ``code`` (the home page)."""
    return link.url_of({"class": code}, page="app.py")


def teacher_url(s: Seat) -> str:
    return link.url_of({"class": s.code, "teacher": s.key or ""}, page="app.py")


def view_query(query: dict[str, str]) -> dict[str, str]:
    """A view's query as the class gets it: no projector setting, hidden controls, key or embed."""
    return {k: str(v) for k, v in query.items() if k not in OUTSIDE_VIEW}


# -- joining and starting ------------------------------------------------------------------------------
def arrive() -> None:
    """Take ``class=CODE`` (and a teacher's ``teacher=KEY``) from the link: join, or resume
    teaching; with no link, a teacher's browser that reloaded resumes its class. Called by
    ``ui.frame.page`` before any control is drawn."""
    raw = link.take("class")
    if raw is None:
        if seat() is None and not st.session_state.get("_class_tried"):
            st.session_state["_class_tried"] = True  # once per session: one read
            try:
                mine = store().class_of(voter() or "")
            except (tally.TallyError, OSError):
                mine = None
            if mine is not None:
                st.session_state[SEAT] = Seat(*mine)
        return
    code = tally.normal_code(raw)
    key = link.take("teacher")
    if code is None:
        link.note(f"{link.quote(f'class={raw}')} is not a class code (six letters and digits).")
        return
    if key is not None and not tally.class_teacher_ok(code, key):
        link.note(
            f"{link.quote('teacher=…')} is not this class's teacher key: you join it as a student."
        )
        key = None
    try:
        state = store().open_class(key) if key else store().class_state(code)
    except (tally.TallyError, OSError) as err:
        link.note(f"The class {code} cannot be opened now: {link.escape(err)}.")
        return
    if state is None:
        link.note(
            f"There is no class {code} on this server now (it ended, or the code has a typo). "
            "Ask your teacher for the code on the screen."
        )
        return
    now = seat()
    if now is None or now.code != code or (key and not now.teacher):  # a reload keeps its place
        st.session_state[SEAT] = Seat(code, key)


def start() -> None:
    """Start a class with a fresh key: this session becomes its teacher."""
    key = tally.new_key()
    try:
        store().open_class(key, owner=voter() or "", address=address())
    except (tally.TallyError, OSError) as err:
        st.session_state["_class_error"] = f"A class cannot be started now: {err}."
        return
    st.session_state[SEAT] = Seat(tally.class_code(key), key, follow=True)


def join(code_key: str) -> None:
    """The home page's "Join" button: the code typed into ``code_key``."""
    raw = st.session_state.get(code_key, "")
    code = tally.normal_code(raw)
    if code is None:  # a typo: a note, not an error
        st.session_state["_class_note"] = (
            "A class code is six letters and digits (no 0, O, 1, I or L), as on your teacher's screen."
        )
        return
    try:
        state = store().class_state(code)
    except (tally.TallyError, OSError) as err:
        st.session_state["_class_error"] = f"The class cannot be reached now: {err}."
        return
    if state is None:
        st.session_state["_class_note"] = (
            f"There is no class {code} on this server now (it ended, or the code has a typo)."
        )
        return
    st.session_state[SEAT] = Seat(code)


def leave() -> None:
    """Leave the class (a student), or end it (its teacher: every student stops following)."""
    s = st.session_state.pop(SEAT, None)
    if s is not None and s.teacher:
        try:
            store().end_class(s.code)
        except (tally.TallyError, OSError):
            pass


# -- the lesson ---------------------------------------------------------------------------------------
def add_view(
    page: str, query: dict[str, str], title: str, qid: str | None = None, go: bool = False
) -> str | None:
    """Append a view (a page and its query; a question's id) to the teacher's lesson, and with
    ``go`` make it the class's view now; returns why it could not (also shown in the class
    bar), or None."""
    s = seat()
    error = None
    try:
        state = store().class_state(s.code) if s is not None and s.teacher else None
        if state is None:
            error = "only a live class's teacher adds views to its lesson"
        else:
            view = {"page": page, "query": view_query(query), "title": str(title)[:80]}
            if qid:
                view["qid"] = qid
            lesson = [*state.lesson, view]
            store().set_lesson(s.code, lesson, len(lesson) - 1 if go else state.step)
    except (tally.TallyError, OSError) as err:
        error = str(err)
    if error:
        st.session_state["_class_error"] = f"The lesson could not take this view: {error}."
    return error


def _go(delta: int) -> None:
    s = seat()
    if s is None or not s.teacher:
        return
    try:
        state = store().class_state(s.code)
        if state is not None and state.lesson:
            store().go(s.code, state.step + delta)
    except (tally.TallyError, OSError) as err:
        st.session_state["_class_error"] = f"The class could not move: {err}."


def _remove(step: int) -> None:
    s = seat()
    try:
        state = store().class_state(s.code) if s and s.teacher else None
        if state is not None and 0 <= step < len(state.lesson):
            lesson = [v for i, v in enumerate(state.lesson) if i != step]
            store().set_lesson(s.code, lesson, min(state.step, len(lesson) - 1))
    except (tally.TallyError, OSError) as err:
        st.session_state["_class_error"] = f"The lesson could not change: {err}."


def _set_follow(on: bool) -> None:
    s = seat()
    if s is not None:
        s.follow = on
        s.rev = -1  # coming back: open the teacher's view at once


# -- every page: follow, the bar, the poll --------------------------------------------------------------
def follow() -> tally.ClassState | None:
    """Open the teacher's current view when the class moved since this session last looked
    (called by ``ui.frame.page`` on every run, before the page draws anything); returns the
    class as read (the bar draws it: one read a run), or None."""
    st.session_state.pop(WATCH, None)  # a page watches its question anew on every run
    s = seat()
    if s is None:
        return None
    try:
        state = store().class_state(s.code)
    except (tally.TallyError, OSError) as err:
        link.note(f"The class {s.code} cannot be reached now ({type(err).__name__}).")
        return None
    if state is None:
        st.session_state.pop(SEAT, None)
        link.note(f"The class {s.code} has ended.")
        return None
    if state.rev != s.rev:
        s.rev = state.rev
        view = state.view
        if s.follow and view is not None and view != s.at:
            s.at = view
            link.open_page(view["page"], view["query"])
    return state


def bar(page_path: str, state: tally.ClassState | None) -> None:
    """The class bar under the title (``state`` from :func:`follow`): the teacher's code, join
    QR, lesson steps and keys; a student's follow switch. Nothing of it holds the teacher key."""
    error = st.session_state.pop("_class_error", None)  # a class or question button failed
    if error:
        st.error(error, icon="🎓")
    s = seat()
    if s is None or state is None:
        return
    with st.container(horizontal=True, vertical_alignment="center", key="class_bar", gap="small"):
        if s.teacher:
            _teacher_bar(s, state, page_path)
        else:
            _student_bar(s, state)
    poll()


def _where(state: tally.ClassState) -> str:
    if state.view is None:
        return f"{len(state.lesson)} view{'s' if len(state.lesson) != 1 else ''} in the lesson, none shown yet"
    title = str(state.view.get("title", ""))
    title = title if len(title) <= 44 else title[:43] + "…"
    return f"{state.step + 1}/{len(state.lesson)}: {link.escape(title)}"


def _teacher_bar(s: Seat, state: tally.ClassState, page_path: str) -> None:
    st.button(
        "◀",
        key="class_prev",
        on_click=_go,
        args=(-1,),
        shortcut="PageUp",
        disabled=state.step <= 0,
        help="The lesson's previous view (PageUp; a presenter's clicker sends it).",
    )
    st.button(
        "▶",
        key="class_next",
        on_click=_go,
        args=(1,),
        shortcut="PageDown",
        disabled=state.step >= len(state.lesson) - 1,
        help="The lesson's next view: every following student moves with you (PageDown).",
    )
    st.markdown(f"👩‍🏫 **{s.code}** · {_where(state)}")
    with st.popover("📱", help="Join: the class code and its QR code, for the projector."):
        join_panel(s.code)
    with st.popover("📋", help="The lesson: its views, add this one, end the class."):
        _lesson_panel(s, state, page_path)


def join_panel(code: str) -> None:
    """The class code, large, the join link and its QR code (SVG from ``segno``)."""
    import segno

    url = join_url(code)
    st.markdown(f"### Join: **{code}**")
    qr = segno.make(url, error="m")
    st.markdown(  # an SVG data URI (segno): sharp on a projector at any size
        f'<img src="{qr.svg_data_uri(scale=8, border=2)}" width="260" '
        'alt="QR code of the class\'s join link">',
        unsafe_allow_html=True,
    )
    st.caption(f"or open {link.escape(url)}, or type the code on the home page.")


def _lesson_panel(s: Seat, state: tally.ClassState, page_path: str) -> None:
    st.markdown("**The lesson** (▶/◀ or PageDown/PageUp step through it)")
    if not state.lesson:
        st.caption("Empty: add this view, or a ready question from the Presets gallery.")
    for i, view in enumerate(state.lesson):
        c1, c2 = st.columns([5, 1], vertical_alignment="center")
        mark = "▶ " if i == state.step else ""
        kind = " ❓" if view.get("qid") else ""
        c1.markdown(f"{mark}{i + 1}. {link.escape(view.get('title', ''))}{kind}")
        c2.button("✕", key=f"class_rm_{i}", on_click=_remove, args=(i,), help="Remove this view")
    st.button(
        "＋ Add this view",
        key="class_add_here",
        on_click=_add_here,
        args=(page_path,),
        help="The page as it is now (every setting) becomes the lesson's next view.",
    )
    st.page_link("pages/7_Gallery.py", label="Ready questions and presets to add", icon="🎬")
    st.caption("Keep the teacher link to come back from another device (it is not shown):")
    copy_button("Copy my teacher link", teacher_url(s), key="class_copy_teacher")
    st.button(
        "End the class",
        key="class_leave",
        on_click=leave,
        help="Every student stops following; the questions stay open as self-paced links.",
    )


def _add_here(page_path: str) -> None:
    add_view(page_path, link.last_query(), st.session_state.get("_class_title", page_path), go=True)


def _student_bar(s: Seat, state: tally.ClassState) -> None:
    link.keep("class", s.code)  # a reload of this page joins again
    if s.follow:
        st.markdown(f"🎓 **Class {s.code}** · following your teacher")
        st.button("Explore on my own", key="class_unfollow", on_click=_set_follow, args=(False,))
    else:
        st.markdown(f"🎓 **Class {s.code}** · exploring · the teacher is on {_where(state)}")
        st.button(
            "Follow the teacher",
            key="class_follow",
            on_click=_set_follow,
            args=(True,),
            type="primary",
        )


def watch(qid: str, rev: int) -> None:
    """Poll the paced question ``qid`` too: when its phase changes, rerun the page."""
    st.session_state[WATCH] = (qid, rev)
    poll()


def poll() -> None:
    """Draw (once, at the end of this run) what tells this page that the class moved or the watched question
    changed phase, and reruns it then. With live files (``tally.Tally.live``) it is a browser
    timer reading them (a static GET of a few bytes: ~2 ms of server CPU, where a fragment
    rerun costs ~45 ms here) that reruns the page only on a change; without, a fragment timer
    that asks the store."""
    link.at_end("class_poll", _poll)


def _poll() -> None:
    files = _watched()
    try:
        live = store().live
    except (tally.TallyError, OSError):  # the store is down: the fragment timer says so
        live = None
    if live is not None and files is not None:
        for name, rev in files.items():
            store().ensure_live(name, rev)
        every = 1500 if any(n.startswith("q-") for n in files) else 2500
        _live()(
            data=race.wire({"files": files, "every": every}),
            key="class_live",
            height=0,
            on_changed_change=lambda: None,
        )
        return

    @st.fragment(run_every=REFRESH)
    def check() -> None:
        if _changed():
            st.rerun(scope="app")

    check()


def _watched() -> dict[str, int] | None:
    """The live files this page watches and the revisions it was drawn at (None when one is
    unknown: the fragment timer asks the store instead)."""
    s, watched, files = seat(), st.session_state.get(WATCH), {}
    if s is not None:
        files[f"c-{s.code}"] = s.rev
    if watched is not None:
        files[f"q-{watched[0]}"] = watched[1]
    return files if all(v >= 0 for v in files.values()) else None


@functools.lru_cache(maxsize=1)
def _live():
    return st.components.v2.component("descent_lab.live", js=_LIVE_JS)


_LIVE_JS = """
export default function ({ data: [data], setTriggerValue }) {  // ui.race.wire
  // fired: the page was asked to rerun. The rerun hands this element new revisions (a new call);
  // if none comes (the rerun was lost, or it read the class before the change was visible), ask
  // again after a few ticks instead of waiting for ever (a student's screen stayed behind)
  let fired = 0, asks = 0;
  const check = async () => {
    if (fired && Date.now() - fired < 3 * data.every) return;
    for (const [name, rev] of Object.entries(data.files)) {
      try {
        const url = new URL(`app/static/live/${name}.json`, document.baseURI);
        const r = await fetch(url, { cache: "no-cache" });
        if (!r.ok) continue;
        const now = (await r.json()).rev;
        if (now !== rev) {
          fired = Date.now();
          setTriggerValue("changed", `${name}:${now}:${++asks}`);
          return;
        }
      } catch (e) { /* offline a moment: the next tick asks again */ }
    }
  };
  const timer = setInterval(check, data.every);
  return () => clearInterval(timer);
}
"""


def _changed() -> bool:
    """Whether the class or the watched question changed since this page was drawn."""
    s, watched = seat(), st.session_state.get(WATCH)
    try:
        if s is not None:
            state = store().class_state(s.code)
            if state is None or (s.follow and state.rev != s.rev):
                return True
            if not s.follow and state.rev != s.rev:  # the bar says where the teacher is
                return True
        if watched is not None:
            q = store().question(watched[0])
            if q is None or q.rev != watched[1]:
                return True
    except (tally.TallyError, OSError):
        return False
    return False


def copy_button(label: str, text: str, key: str) -> None:
    """A button that copies ``text`` to the clipboard without drawing it (a secret stays off a
    projected screen)."""
    _copy()(data={"label": label, "text": text}, key=key, height=40)


@functools.lru_cache(maxsize=1)
def _copy():
    return st.components.v2.component(
        "descent_lab.copy",
        html="<button class='copy' type='button'></button>",
        css=".copy{font:inherit;padding:.3rem .8rem;border:1px solid #bbb;border-radius:.5rem;"
        "background:#fff;cursor:pointer}.copy:hover{border-color:#e05a47;color:#e05a47}",
        js=_COPY_JS,
    )


_COPY_JS = """
export default function ({ parentElement, data }) {
  const b = parentElement.querySelector("button.copy");
  b.textContent = "📋 " + data.label;
  b.onclick = async () => {
    try {
      await navigator.clipboard.writeText(data.text);
    } catch (e) {  // no clipboard API (plain http): a hidden textarea and execCommand
      const t = document.createElement("textarea");
      t.value = data.text; t.style.position = "fixed"; t.style.opacity = "0";
      parentElement.appendChild(t); t.select();
      try { document.execCommand("copy"); } finally { t.remove(); }
    }
    b.textContent = "✓ Copied";
    setTimeout(() => { b.textContent = "📋 " + data.label; }, 2000);
  };
}
"""
