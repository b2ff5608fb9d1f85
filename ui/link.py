"""Links: every control of a page round-trips through the URL, and a class link can hide controls.

Each page calls :func:`begin` first (``ui.frame.page`` does) and :func:`finish` last. In between,
every control is drawn through a wrapper here (:func:`slider`, :func:`select_slider`, …) that knows
its type and range, so a value from the URL is checked *before* the widget exists:

- on the first run of a page (a new session, a shared link, a preset, or coming back from another
  page), the URL's values wait in ``pending``; each wrapper takes its own, checks it, and seeds the
  widget's session value. A malformed or out-of-range value leaves the default and a note at the top
  of the page; a parameter no control claims is reported too.
- :func:`finish` writes every value that differs from its default back to the URL (``?surface=…``),
  so the address bar always holds the current view, and draws the "Share" panel: the link, and a
  class link that hides the controls the instructor does not want touched (``hide=…``).

URL names are the widget keys without the page prefix (``pg_steps`` → ``steps``) unless a wrapper is
given ``url=``. Values are plain text: numbers in Python's shortest round-trip form, booleans as
``1``/``0``, choices by their registry name.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, NamedTuple
from urllib.parse import urlencode, urlsplit

import streamlit as st

from optim.grids import nearest

__all__ = [
    "HIDE",
    "MAX_QUOTED",
    "at_end",
    "begin",
    "custom",
    "encode",
    "escape",
    "finish",
    "fragment",
    "hidden",
    "keep",
    "last_query",
    "lock",
    "note",
    "notes_here",
    "number_input",
    "once",
    "open_later",
    "open_page",
    "opened",
    "params",
    "parse_bool",
    "pending",
    "quote",
    "radio",
    "replace_pending",
    "section",
    "select_slider",
    "selectbox",
    "settings",
    "share_extra",
    "share_here",
    "share_open",
    "slider",
    "snapshot",
    "stop",
    "take",
    "text_input",
    "toggle",
    "url_of",
    "waiting",
]

HIDE = "hide"  # URL parameter: the controls a class link hides, comma-separated
_RUN = "_link_run"  # this run's registry (session state: per session, per run)
_PAGE = "_link_page"  # the page whose URL values were last taken
_LAST = "_link_last"  # page -> its last URL parameters, restored when coming back to it
_PENDING = "_link_pending"
_NOTES = "_link_notes"
_HIDDEN = "_link_hidden"
_SHARE_OPEN = "_link_share_open"  # the share panel's open state (a keyed expander)
_DEFAULTS = "_link_defaults"  # widget key -> its default, as the last run drew it (for reset)


MAX_QUOTED = 60  # characters of a URL value echoed back in a note; the rest is cut


def quote(text: Any, limit: int = MAX_QUOTED) -> str:
    """``text`` as a Markdown code span that nothing inside can close, cut to ``limit`` characters.

    Text from a link (a value, a name) is shown to every student who opens it, so it must stay
    text: inside a code span Markdown makes no links, images, emphasis or HTML. The fence is one
    backtick longer than the longest run of backticks in the text (CommonMark's rule).

    >>> quote("abc")
    '`abc`'
    >>> quote("`[session expired](http://x)`")
    '`` `[session expired](http://x)` ``'
    >>> quote("x" * 100, limit=5)
    '`xxxxx… (100 characters)`'
    """
    text = " ".join(str(text).split())  # newlines and tabs would end the span's line
    if len(text) > limit:
        text = f"{text[:limit]}… ({len(str(text))} characters)"
    runs = [len(r) for r in re.findall(r"`+", text)]
    fence = "`" * (max(runs, default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")


def escape(text: Any) -> str:
    r"""``text`` with every Markdown punctuation mark backslash-escaped, for prose around it.

    >>> print(escape("x^2 * y_1 [a](b)"))
    x^2 \* y\_1 \[a\]\(b\)
    """
    return _MD_SPECIAL.sub(r"\\\1", str(text))


def encode(value: Any) -> str:
    """A value as URL text: ``True`` → ``1``, ``0.012`` → ``0.012``, ``3.0`` → ``3``.

    >>> [encode(v) for v in (True, 3, 3.0, 0.012, 1e-06, "adam")]
    ['1', '3', '3', '0.012', '1e-06', 'adam']
    """
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        text = repr(value)
        return text[:-2] if text.endswith(".0") else text
    return str(value)


@dataclass
class Control:
    name: str
    label: str
    value: str
    default: str


@dataclass
class _Run:
    page: str
    prefix: str
    notes_slot: Any
    share_slot: Any = None
    controls: dict[str, Control] = field(default_factory=dict)
    defaults: dict[str, Any] = field(default_factory=dict)  # widget key -> default value
    extra: dict[str, str] = field(default_factory=dict)  # URL values that are not controls
    locked: str | None = None  # why every control is hidden now (a question not yet answered)
    share_extra: Callable[[dict[str, str], list[str]], None] | None = None
    done: set[str] = field(default_factory=set)  # what :func:`once` has seen in this run
    last: dict[str, Callable[[], None]] = field(default_factory=dict)  # :func:`at_end`


def _state() -> Any:
    return st.session_state


def begin(page: str, prefix: str | None) -> None:
    """Start a run of ``page``: on entering it, take the URL's values (or the page's last ones)."""
    ss = _state()
    if ss.get(_PAGE) != page:  # entering the page: a new session, a link, or back from elsewhere
        last = ss.get(_LAST, {})
        raw = _current_query()
        if raw and raw == last.get(ss.get(_PAGE)):  # the previous page's own URL, left over
            raw = {}
        if not raw:  # back from another page: its last view (projector mode is session-wide)
            raw = {k: v for k, v in last.get(page, {}).items() if k != "projector"}
        ss[_PAGE] = page
        _clear(prefix)  # what the page kept in session state belongs to the view being replaced
        ss[_HIDDEN] = {h for h in str(raw.pop(HIDE, "") or "").split(",") if h}
        ss[_PENDING] = {k: str(v) for k, v in raw.items() if v is not None}
    ss[_RUN] = _Run(page, prefix or "", None)


def _current_query() -> dict[str, str]:
    return {k: st.query_params.get(k) for k in st.query_params}


def _clear(prefix: str | None) -> None:
    """Forget a page's session state (its widget keys all start with ``prefix_``) and link notes."""
    ss = _state()
    if prefix:
        for k in [k for k in ss if isinstance(k, str) and k.startswith(f"{prefix}_")]:
            del ss[k]
    ss[_NOTES] = []


def share_here() -> None:
    """Reserve the place (in the sidebar, under the page links) for the share panel."""
    _run().share_slot = st.empty()


def notes_here() -> None:
    """Reserve the place (under the page title) where the link's notes and class banner go."""
    _run().notes_slot = st.empty()


def _run() -> _Run:
    return _state()[_RUN]


def once(name: str) -> bool:
    """True the first time ``name`` is asked in this run of the page (something drawn once)."""
    done = _run().done
    if name in done:
        return False
    done.add(name)
    return True


def at_end(name: str, draw: Callable[[], None]) -> None:
    """Call ``draw()`` once at the end of this run (:func:`finish`), whatever stops the page:
    what must know everything the page decided (the class poll's watch list)."""
    _run().last.setdefault(name, draw)


def last_query() -> dict[str, str]:
    """The URL parameters of the view on screen (the current page's last finished run): what
    a callback (a button pressed on it) means by "this view"."""
    ss = _state()
    return dict(ss.get(_LAST, {}).get(ss.get(_PAGE), {}))


def replace_pending(query: dict[str, str]) -> None:
    """Read the page's controls from ``query`` instead of the URL's values (a question's own
    view: a link altered by hand opens the stored one)."""
    _state()[_PENDING] = {k: str(v) for k, v in query.items() if k != HIDE}
    _state()[_HIDDEN] = set()


def note(message: str) -> None:
    """A message about the link, shown at the top of the page until dismissed."""
    notes = _state().setdefault(_NOTES, [])
    if message not in notes:
        notes.append(message)


def settings() -> list[tuple[str, str]]:
    """(label, value) of every control drawn so far in this run, projector mode aside: what a
    locked view shows its reader in words."""
    return [(c.label, c.value) for c in _run().controls.values() if c.name != "projector"]


def snapshot() -> dict[str, str]:
    """Every control drawn so far in this run, by URL name, as URL text (defaults included)."""
    return {c.name: c.value for c in _run().controls.values()}


def pending() -> dict[str, str]:
    """The URL's values no control has read yet (a copy)."""
    return dict(_state().get(_PENDING, {}))


def take(name: str) -> str | None:
    """The URL's raw text for ``name`` if it is waiting (for controls that parse it themselves)."""
    return _state().get(_PENDING, {}).pop(name, None)


@contextmanager
def section(title: str, expander: bool = False) -> Iterator[None]:
    """A heading (or an expander) over some controls that vanishes when a class link hides them
    all, so a student's sidebar has no empty headings."""
    slot = st.empty()
    run = _run()
    before = set(run.controls)
    with slot.container():
        if expander:
            with st.expander(title):
                yield
        else:
            st.subheader(title)
            yield
    added = set(run.controls) - before
    if added and all(hidden(n) for n in added):
        slot.empty()


def waiting(name: str) -> bool:
    """True if the URL holds ``name`` and no control has read it yet."""
    return name in _state().get(_PENDING, {})


def hidden(name: str) -> bool:
    """True if a class link hides the control called ``name`` (or a question locks them all)."""
    return _run().locked is not None or name in _state().get(_HIDDEN, set())


def keep(name: str, value: Any) -> None:
    """Keep ``name=value`` in the URL on every run (a question's id and kind): not a control, so
    no class link lists it and ``finish`` does not report it."""
    _run().extra[name] = encode(value)


def lock(reason: str) -> None:
    """Hide every control drawn from now on, with ``reason`` in the banner and no "Show every
    control": a question's settings stay fixed until the student answers."""
    _run().locked = reason


def share_extra(draw: Callable[[dict[str, str], list[str]], None]) -> None:
    """Draw more in the share panel: ``draw(query, control names)`` runs inside it (questions)."""
    _run().share_extra = draw


def custom(name: str, label: str, value: Any, default: Any) -> None:
    """Record a value the page manages itself (the list of runs, projector mode) for the URL."""
    _run().controls[name] = Control(name, label, encode(value), encode(default))


def _name(key: str, url: str | None) -> str:
    if url:
        return url
    prefix = _run().prefix
    return key[len(prefix) + 1 :] if prefix and key.startswith(f"{prefix}_") else key


def _fmt_range(lo: float, hi: float) -> str:
    return f"{lo:.4g} … {hi:.4g}"


def _is_num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _number(raw: str, integer: bool = False) -> float:
    try:
        v = float(raw)
    except ValueError:
        raise ValueError("is not a number") from None
    if not math.isfinite(v):
        raise ValueError("is not a finite number")
    if integer:
        if v != int(v):
            raise ValueError("is not a whole number")
        return int(v)
    return v


class Snapped(NamedTuple):
    """A URL value moved to the nearest allowed one, and what to tell the user about it."""

    value: Any
    remark: str


def _choice(raw: str, options: Sequence[Any]) -> Any:
    """The option ``raw`` names, or the nearest one on a numeric grid (:class:`Snapped`)."""
    texts = [encode(o) for o in options]
    if raw in texts:
        return options[texts.index(raw)]
    if options and all(_is_num(o) for o in options):
        v = _number(raw)
        nums = [float(o) for o in options]
        lo, hi = min(nums), max(nums)
        if not lo - 1e-9 * abs(lo) <= v <= hi + 1e-9 * abs(hi):
            raise ValueError(f"is outside {_fmt_range(lo, hi)}")
        if v in nums:
            return options[nums.index(v)]
        best = nearest(v, nums)
        return Snapped(
            options[best], f"is not on this control's grid; using the nearest, {texts[best]}"
        )
    shown = ", ".join(texts[:10]) + (", …" if len(texts) > 10 else "")
    raise ValueError(f"is not one of {shown}")


def _apply(name: str, key: str, label: str, parse: Callable[[str], Any], default: Any) -> None:
    """Take the URL's value for ``name`` (if waiting), check it, and seed the widget with it."""
    raw = take(name)
    if raw is None:
        return
    try:
        value = parse(raw)
    except ValueError as err:
        note(f"{quote(f'{name}={raw}')} ({label}) {err}; using the default, {encode(default)}.")
        return
    if isinstance(value, Snapped):
        note(f"{quote(f'{name}={raw}')} ({label}) {value.remark}.")
        value = value.value
    st.session_state[key] = value


def _control(
    label: str,
    key: str,
    url: str | None,
    default: Any,
    parse: Callable[[str], Any],
    draw: Callable[[dict], Any],
    initial: dict,
    describe: str | None,
) -> Any:
    name = _name(key, url)
    _apply(name, key, describe or label, parse, default)
    if hidden(name):
        value = st.session_state.get(key, default)
    else:
        value = draw({} if key in st.session_state else initial)
    _run().controls[name] = Control(name, describe or label, encode(value), encode(default))
    _run().defaults[key] = default
    return value


def alongside(name: str, *others: str) -> None:
    """Write control ``name`` into the URL even at its default whenever one of ``others`` is
    written: a value that means something only with it (η and β with their notation), so a
    change of ``name``'s default never changes what an older link means."""
    run = _run()
    c = run.controls.get(name)
    moved = any(
        o in run.controls and run.controls[o].value != run.controls[o].default for o in others
    )
    if c is not None and moved:
        run.controls[name] = Control(c.name, c.label, c.value, "")


def _where(where: Any) -> Any:
    return st if where is None else where


def select_slider(
    label: str,
    options: Sequence[Any],
    value: Any = None,
    *,
    key: str,
    url: str | None = None,
    where: Any = None,
    describe: str | None = None,
    **kw: Any,
) -> Any:
    options = list(options)
    default = options[0] if value is None else value

    def draw(init: dict) -> Any:
        return _where(where).select_slider(label, options=options, key=key, **init, **kw)

    def parse(raw: str) -> Any:
        return _choice(raw, options)

    init = {} if value is None else {"value": value}
    return _control(label, key, url, default, parse, draw, init, describe)


def _indexed(method: str):
    def widget(
        label: str,
        options: Sequence[Any],
        index: int = 0,
        *,
        key: str,
        url: str | None = None,
        where: Any = None,
        describe: str | None = None,
        **kw: Any,
    ) -> Any:
        options = list(options)
        default = options[index]

        def draw(init: dict) -> Any:
            return getattr(_where(where), method)(label, options, key=key, **init, **kw)

        def parse(raw: str) -> Any:
            return _choice(raw, options)

        return _control(label, key, url, default, parse, draw, {"index": index}, describe)

    widget.__name__ = method
    widget.__doc__ = f"``st.{method}`` whose value round-trips through the URL."
    return widget


selectbox = _indexed("selectbox")
radio = _indexed("radio")


def _ranged(method: str):
    def widget(
        label: str,
        min_value: float,
        max_value: float,
        value: float | None = None,
        step: float | None = None,
        *,
        key: str,
        url: str | None = None,
        where: Any = None,
        describe: str | None = None,
        **kw: Any,
    ) -> Any:
        integer = isinstance(min_value, int) and isinstance(max_value, int)
        default = min_value if value is None else value

        def parse(raw: str) -> Any:
            v = _number(raw, integer)
            if not min_value <= v <= max_value:
                raise ValueError(f"is outside {_fmt_range(min_value, max_value)}")
            return v

        def draw(init: dict) -> Any:
            return getattr(_where(where), method)(
                label, min_value, max_value, step=step, key=key, **init, **kw
            )

        init = {} if value is None else {"value": value}
        return _control(label, key, url, default, parse, draw, init, describe)

    widget.__name__ = method
    widget.__doc__ = f"``st.{method}`` on [min_value, max_value] whose value round-trips the URL."
    return widget


slider = _ranged("slider")
number_input = _ranged("number_input")


_TRUE, _FALSE = {"1", "true", "on", "yes"}, {"0", "false", "off", "no"}


def parse_bool(raw: str) -> bool:
    if raw.lower() in _TRUE:
        return True
    if raw.lower() in _FALSE:
        return False
    raise ValueError("is not 1 or 0")


def toggle(
    label: str,
    value: bool = False,
    *,
    key: str,
    url: str | None = None,
    where: Any = None,
    describe: str | None = None,
    **kw: Any,
) -> bool:
    def draw(init: dict) -> Any:
        return _where(where).toggle(label, key=key, **init, **kw)

    return _control(label, key, url, value, parse_bool, draw, {"value": value}, describe)


def text_input(
    label: str,
    value: str = "",
    *,
    key: str,
    max_chars: int | None = None,
    url: str | None = None,
    where: Any = None,
    describe: str | None = None,
    **kw: Any,
) -> str:
    def parse(raw: str) -> str:
        if max_chars is not None and len(raw) > max_chars:
            raise ValueError(f"is longer than {max_chars} characters")
        return raw

    def draw(init: dict) -> Any:
        return _where(where).text_input(label, key=key, max_chars=max_chars, **init, **kw)

    return _control(label, key, url, value, parse, draw, {"value": value}, describe)


# -- the end of a run: the URL, the notes, the share panel -----------------------------------------
def params() -> dict[str, str]:
    """This run's URL parameters: every control away from its default, and what a class link hides."""
    out = {c.name: c.value for c in _run().controls.values() if c.value != c.default}
    out.update(_run().extra)
    hide = sorted(_state().get(_HIDDEN, set()))
    if hide:
        out[HIDE] = ",".join(hide)
    return out


def url_of(query: dict[str, str], page: str | None = None) -> str:
    """The page's address with ``query`` (relative when the browser's address is unknown);
    with ``page`` (``"pages/2_Learning_rate.py"``) another page's address on the same app.

    >>> url_of({"a": "1"}, page="pages/2_Learning_rate.py")
    'Learning_rate?a=1'
    >>> _beside("http://host:8501", "Gallery"), _beside("https://h.app/Momentum", "")
    ('http://host:8501/Gallery', 'https://h.app/')
    """
    try:
        base = st.context.url or ""
    except Exception:  # outside a browser session (tests)
        base = ""
    if page is not None:  # Streamlit's url path: the file name less its number prefix
        stem = "" if page == "app.py" else re.sub(r"^\d+_", "", page.rsplit("/", 1)[-1][:-3])
        base = _beside(base, stem)
    return base + ("?" + urlencode(query, safe=",") if query else "")


def _beside(url: str, stem: str) -> str:
    """The address of page ``stem`` on the app at ``url`` (relative when ``url`` is unknown)."""
    parts = urlsplit(url)
    if not parts.netloc:
        return stem
    folder = parts.path.rsplit("/", 1)[0] if "/" in parts.path else ""
    return f"{parts.scheme}://{parts.netloc}{folder}/{stem}"


def _show_all() -> None:
    _state()[_HIDDEN] = set()


def _noop() -> None:
    """An ``on_change`` that only asks Streamlit to track a container's open state."""


def _dismiss() -> None:
    _state()[_NOTES] = []


def _reset(prefix: str) -> None:
    """Every control of the page back to its default. Each widget is *set* to its default, not
    only forgotten: a browser keeps showing a forgotten widget's last value (the steps slider
    stayed at 300 and the table toggle on), while a value set in a callback is sent to it."""
    ss = _state()
    defaults = dict(ss.get(_DEFAULTS, {}))
    _clear(prefix)
    for key, value in defaults.items():
        if key.startswith(f"{prefix}_"):
            ss[key] = value
    ss[_HIDDEN] = set()
    ss[_PENDING] = {}


def finish() -> None:
    """Write the URL, show the link's notes, draw the share panel. Call it last on every page."""
    run, ss = _run(), _state()
    pending = ss.get(_PENDING, {})
    for name, raw in pending.items():
        if name not in run.controls and name not in run.extra:
            note(
                f"{quote(f'{name}={raw}')} is not a setting of this page (or not shown with "
                "these settings); ignored."
            )
    ss[_PENDING] = {}
    ss[_DEFAULTS] = dict(run.defaults)
    query = params()
    ss.setdefault(_LAST, {})[run.page] = query
    if _current_query() != query:
        st.query_params.from_dict(query)

    hide = ss.get(_HIDDEN, set())
    notes = ss.get(_NOTES, [])
    if (notes or hide or run.locked is not None) and run.notes_slot is not None:
        with run.notes_slot.container():
            if run.locked:  # "" locks without a banner (the page says why elsewhere)
                st.info(f"❓ {run.locked}")
            elif run.locked is not None:
                pass
            elif hide:
                c1, c2 = st.columns([4, 1])
                c1.info(
                    f"👩‍🏫 This class link fixes {len(hide)} setting(s) and hides their controls, "
                    "so the page shows only what today's lesson is about.",
                )
                c2.button("Show every control", key="_link_show_all", on_click=_show_all)
            if notes:
                st.warning(
                    "**Some of the link's settings could not be used:**\n\n"
                    + "\n".join(f"- {n}" for n in notes),
                    icon="🔗",
                )
                st.button("Dismiss", key="_link_dismiss", on_click=_dismiss)
    _share_panel(run, query)
    for draw in run.last.values():
        draw()


def _share_panel(run: _Run, query: dict[str, str]) -> None:
    where = run.share_slot.container() if run.share_slot is not None else st.sidebar
    # A keyed expander with a callback keeps its open state across reruns: picking the class
    # link's controls one by one no longer closes the panel after each pick.
    with where.expander("🔗 Share this view", key=_SHARE_OPEN, on_change=_noop):
        st.caption(
            "The address bar always holds this exact view; the link below is the same view for "
            "others (without projector mode). Copy it (button at the right of the box) to send "
            "it to a class or put it on a slide."
        )
        # not for others' phones: this screen's projector mode, the class it follows
        query = {k: v for k, v in query.items() if k not in ("projector", "class")}
        st.code(
            url_of(query) or "(this page's address, no settings changed)",
            language=None,
            wrap_lines=True,
        )
        names = [c.name for c in run.controls.values()]
        labels = {c.name: c.label for c in run.controls.values()}
        key = f"_link_keep_{run.page}"
        kept = [n for n in st.session_state.get(key) or [] if n in names]
        if key in st.session_state and kept != st.session_state[key]:
            # only when a kept control is gone: setting a widget's value redraws it in the
            # browser (its late re-render was the last change of every slider step)
            st.session_state[key] = kept
        keep = st.multiselect(
            "👩‍🏫 Class link: the class sees only",
            names,
            format_func=lambda n: labels.get(n, n),
            key=key,
            placeholder="every control (pick some to hide the rest)",
            help="Teacher mode, as in TensorFlow Playground: the link below fixes every other "
            "setting at its current value and hides its control.",
        )
        shared = query
        if keep:
            shared = {**query, HIDE: ",".join(n for n in names if n not in keep)}
            st.caption(f"Class link (shows {len(keep)} of {len(names)} controls):")
            st.code(url_of(shared), language=None, wrap_lines=True)
        st.caption(
            "To embed this view in a slide or a course page (no toolbar; the class link's hidden "
            "controls stay hidden):"
        )
        st.code(
            f'<iframe src="{url_of({**shared, "embed": "true"})}" width="100%" height="900" '
            'style="border:0"></iframe>',
            language="html",
            wrap_lines=True,
        )
        if run.share_extra is not None:
            run.share_extra(query, names)
        elif run.prefix:
            st.caption(
                "❓ Questions for the class (predict, then reveal) are made from a race view: the "
                "Playground's map and the Learning-rate, Momentum, Adaptive and SGD labs, or "
                "ready-made in the Presets gallery."
            )
        if run.prefix:
            st.button(
                "↺ Reset this page to its defaults",
                key="_link_reset",
                on_click=_reset,
                args=(run.prefix,),
            )


def fragment(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``st.fragment(fn)`` for a part of a page whose controls drive only that part: a widget
    inside reruns ``fn`` alone (its figures are redrawn and sent, the rest of the page is not),
    and the address still holds the whole view: at the end of such a run the URL is written from
    the page's last full run with this part's controls as they are now. While the share panel is
    open (it shows the link) a change reruns the whole page instead, so the panel follows."""

    @functools.wraps(fn)
    def part(*args: Any, **kwargs: Any) -> Any:
        out = fn(*args, **kwargs)
        if _fragment_run():
            _finish_fragment()
        return out

    return st.fragment(part)


def _fragment_run() -> bool:
    """Whether this run reruns fragments only (a widget inside one changed), not the page."""
    from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

    ctx = get_script_run_ctx(suppress_warning=True)
    return bool(ctx is not None and ctx.fragment_ids_this_run)


def _finish_fragment() -> None:
    ss = _state()
    if _RUN not in ss:  # no full run yet in this session (cannot happen from a browser)
        return
    run = _run()
    ss.setdefault(_DEFAULTS, {}).update(run.defaults)
    query = params()
    ss.setdefault(_LAST, {})[run.page] = query
    if _current_query() != query:
        st.query_params.from_dict(query)
    if ss.get(_SHARE_OPEN):
        st.rerun(scope="app")


def share_open() -> bool:
    """Whether this session's share panel is open (a keyed expander: its state persists)."""
    return bool(st.session_state.get(_SHARE_OPEN))


def stop() -> None:
    """``st.stop()`` that still writes the URL and the notes first."""
    finish()
    st.stop()


def open_later(path: str, query: dict[str, str]) -> None:
    """A button's callback that opens ``path`` with ``query``: Streamlit cannot switch pages
    inside a callback, so the next run does it first (:func:`opened`)."""
    _state()["_link_open"] = (path, dict(query))


def opened() -> None:
    """Open the page a callback asked for (``ui.frame.page`` calls it first on every run)."""
    target = _state().pop("_link_open", None)
    if target is not None:
        open_page(*target)


def open_page(path: str, query: dict[str, str]) -> None:
    """Go to ``path`` with ``query`` as its URL: presets and hand-overs are links too."""
    _state()[_PAGE] = (
        None  # the target takes these values as a fresh entry, even if it is this page
    )
    st.switch_page(path, query_params=query)
