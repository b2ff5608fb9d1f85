"""Two repairs to Streamlit 1.67's session handling, installed once per process.

**An unreadable widget value** resets that widget, not the tab.

Streamlit 1.67 reads the widget states a browser sends lazily, and first in its own code, before
the page's script runs (``SessionState._compact_state``). A value of the wrong kind (an integer
for a slider, a string for a select-slider: a hostile or broken client) raised ``TypeError``
there, and the session kept the value, so every later run of that tab failed with a traceback.

:func:`install` wraps the one place a sent value is stored (``WStates.set_widget_from_proto``):
a value of another kind than its widget registered, or one its widget cannot decode and encode
again, is dropped, as if the browser had sent none (the widget keeps its last value, or its
default), and its widget id is remembered for the session; :func:`reset_refused` (called by
``ui.frame.page`` on every run) then sends that widget its value again and says so on the page.

**Sessions that left** are shut down once their time to reconnect has passed (see
:func:`reap_departed`).
"""

from __future__ import annotations

import threading
from typing import Any

import streamlit as st
from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx
from streamlit.runtime.state import session_state as _ss

__all__ = ["install", "own_sandbox_jobs", "reap_departed", "reset_refused"]

MAX_SESSIONS = 1000  # sessions with a refused value not yet shown (each holds ≤ 20 ids)
_refused: dict[str, set[str]] = {}
_lock = threading.Lock()
_installed = False


# value kinds a browser always sends as registered: another kind is a client's error
_STRICT = {
    "double_array_value",
    "int_array_value",
    "string_array_value",
    "bool_value",
    "double_value",
    "int_value",
}


def _readable(self: Any, state: Any) -> bool:
    """Whether the widget this sent value is for (if it is known) can read it and write it back."""
    meta = self.widget_metadata.get(state.id)
    if meta is None:  # not drawn yet in this session: it is read when the widget registers
        return True
    kind = state.WhichOneof("value")
    if meta.value_type in _STRICT and kind != meta.value_type:
        return False
    try:
        meta.serializer(meta.deserializer(_ss.unpack_widget_state_value(state)))
    except Exception:
        return False
    return True


def _refuse(widget_id: str) -> None:
    ctx = get_script_run_ctx(suppress_warning=True)
    if ctx is None:
        return
    with _lock:
        if len(_refused) < MAX_SESSIONS or ctx.session_id in _refused:
            ids = _refused.setdefault(ctx.session_id, set())
            if len(ids) < 20:
                ids.add(str(widget_id)[:200])


def install() -> None:
    """Check every sent widget value as it arrives, once per process (see the module's text)."""
    global _installed
    with _lock:
        if _installed:
            return
        original = _ss.WStates.set_widget_from_proto

        def set_widget_from_proto(self: Any, widget_state: Any) -> None:
            if not _readable(self, widget_state):
                _refuse(widget_state.id)
                return  # dropped: the widget keeps its last value, or its default
            original(self, widget_state)

        _ss.WStates.set_widget_from_proto = set_widget_from_proto
        _patch_session_storage()
        _installed = True


# -- sessions that left ----------------------------------------------------------------------------
# Streamlit keeps a disconnected session for ``server.disconnectedSessionTTL`` (120 s) so that a
# phone that lost its network resumes it (its answer, its seat in the class). But its store only
# forgets an expired session when another one is saved, and never shuts one down: each kept its
# script event loop (an epoll and a socket pair) until the garbage collector found it, measured
# here as 3 descriptors per departed session, 25 → ~400 over a 10-minute soak. Expired and
# crowded-out sessions are now shut down (their loop closed, their caches cleared), on a timer of
# the server's own event loop (no thread).


def reap_departed(storage: Any) -> int:
    """Shut down the sessions ``storage`` (Streamlit's ``MemorySessionStorage``) kept past their
    time to reconnect; how many."""
    try:
        gone = storage._cache.expire()
    except Exception:  # another Streamlit: leave it to its own store
        return 0
    for _, info in gone:
        _shut(info)
    return len(gone)


def _shut(info: Any) -> None:
    try:
        info.session.shutdown()
    except Exception:  # already shut down, or mid-way: nothing else holds it
        pass


def _patch_session_storage() -> None:
    import asyncio

    from streamlit.runtime.memory_session_storage import MemorySessionStorage

    original = MemorySessionStorage.save

    def save(self: Any, session_info: Any) -> None:
        reap_departed(self)
        cache = self._cache
        try:
            while len(cache) >= cache.maxsize:  # full: the longest gone makes room, shut down
                _shut(cache.pop(next(iter(cache))))
        except Exception:
            pass
        original(self, session_info)
        try:  # on the server's event loop: no thread of ours
            loop = asyncio.get_running_loop()
            loop.call_later(cache.ttl + 1, reap_departed, self)
        except (RuntimeError, AttributeError):
            pass

    MemorySessionStorage.save = save


def reset_refused() -> list[str]:
    """The user keys of this session's widgets whose sent value could not be read (since the
    last call): each is set to the value the server holds, so the browser shows it again."""
    ctx = get_script_run_ctx(suppress_warning=True)
    if ctx is None:
        return []
    with _lock:
        ids = _refused.pop(ctx.session_id, set())
    keys = []
    for wid in sorted(ids):
        key = wid.rsplit("-", 1)[-1] if wid.startswith("$$ID-") else ""
        if key and key in st.session_state:
            st.session_state[key] = st.session_state[key]  # sent to the browser with this run
        keys.append(key or "a control")
    return keys


def own_sandbox_jobs() -> None:
    """Mark the formula analyses of this run as this session's (``surfaces.sandbox.Turns``
    shares the sandbox between sessions: the least recent user goes first)."""
    from surfaces import sandbox

    ctx = get_script_run_ctx(suppress_warning=True)
    sandbox.OWNER.set(ctx.session_id if ctx is not None else "")
