"""The frame every page calls first: page config, sidebar navigation, theme tweaks, the figure look."""

from __future__ import annotations

from typing import Any

import streamlit as st

from viz import Look

from . import classroom, figure, guard, link
from .memory import freeze_imports, one_blas_thread, tune_malloc

__all__ = ["PAGES", "PROJECTOR", "chart", "current_path", "map_size", "page", "phone"]

PROJECTOR = "_projector"  # session key of projector mode, shared by every page

# (script path relative to app.py, label, emoji icon, one line on what it teaches)
PAGES: tuple[tuple[str, str, str, str], ...] = (
    ("app.py", "Home", "⛰️", "What Descent Lab is and where to start."),
    (
        "pages/1_Playground.py",
        "Playground",
        "🎢",
        "Up to 8 optimizers side by side on any surface, animated in 2D and 3D.",
    ),
    (
        "pages/2_Learning_rate.py",
        "Learning-rate lab",
        "📏",
        "The step-size limit η < 1/σ² on σw ≈ y: five regimes, then why the largest singular "
        "value sets the step and the smallest the speed.",
    ),
    (
        "pages/3_Momentum.py",
        "Momentum lab",
        "🏃",
        "Momentum as a low-pass filter, GD against heavy ball against Nesterov, and the "
        "convergence-rate map over (step, β) in three notations.",
    ),
    (
        "pages/4_Sweep.py",
        "Sweep lab",
        "🗺️",
        "A heatmap of thousands of runs over (log η × β) or (log η × start): where an optimizer "
        "converges, how fast, where it diverges, with theory's limit on top.",
    ),
    (
        "pages/5_Adaptive.py",
        "Adaptive lab",
        "🎚️",
        "AdaGrad, RMSProp and Adam: per-coordinate steps, where they help (rare features, "
        "axis-aligned valleys) and where they cannot (rotations), and Adam's bias correction.",
    ),
    (
        "pages/6_SGD.py",
        "SGD lab",
        "🎲",
        "Minibatch noise around the full gradient, dancing around the optimum and the decay "
        "schedules that stop it, epochs against sampling with replacement, and "
        "warm-up–stable–decay in a river valley.",
    ),
    (
        "pages/8_Network.py",
        "Network lab",
        "🧠",
        "A small neural network (two moons, circles, a spiral): the same optimizers in a few "
        "hundred dimensions, the decision boundary, one plane for every path, GD's sharpness "
        "at the edge of stability 2/η, batch norm, SAM and Muon.",
    ),
    (
        "pages/7_Gallery.py",
        "Presets gallery",
        "🎬",
        "Seventeen one-click scenarios from the lectures, the classics and after Adam: zig-zag in a "
        "ravine, momentum overshoot, Nesterov, AdaGrad stalling, Adam at a saddle, Schedule-Free, "
        "SAM, Muon, warm-up–stable–decay and more.",
    ),
)

_PATHS = {label: path for path, label, _, _ in PAGES} | {"Descent Lab": "app.py"}

_CSS = """
<style>
/* Tighter padding: the figures matter more than whitespace (Streamlit's wide layout pads 5rem). */
.block-container {padding-top: 2.2rem; padding-bottom: 2rem; padding-left: 2rem;
                  padding-right: 2rem;}
/* what draws nothing (these style sheets, the plotly.js preloader) takes no gap either */
[data-testid="stElementContainer"]:has([data-testid="stMarkdownContainer"] > style:only-child),
.st-key-race_preload, .st-key-class_live {display: none;}
</style>
"""


# Streamlit sizes its text in rem: a larger root font scales every label, widget and caption.
_PROJECTOR_CSS = """
<style>
html {font-size: 20px;}
[data-testid="stMarkdownContainer"], [data-testid="stCaptionContainer"],
[data-testid="stWidgetLabel"] {color: #000 !important;}
/* the room needs the figure, not the page's title: a compact header keeps it above the fold */
.block-container {padding-top: 0.5rem; padding-left: 1rem; padding-right: 1rem;}
h1 {font-size: 1.6rem !important; padding: 0 0 0.2rem 2.4rem !important;}
/* the header (and the sidebar's » button in it) scrolls away with the title instead of
   floating over headings and sliders */
[data-testid="stHeader"] {background: transparent; height: 2.6rem; position: absolute;}
</style>
"""


def _keep_projector(widget_key: str) -> None:
    st.session_state[PROJECTOR] = bool(st.session_state[widget_key])


def projector_toggle(page_key: str) -> bool:
    """The sidebar switch for projector mode, set once and kept across pages.

    Each page has its own widget (Streamlit forgets a widget's state on another page), seeded from
    and written back to one session value. A link's ``projector=1`` switches it on.
    """
    st.session_state.setdefault(PROJECTOR, False)
    key = f"projector_{page_key}"
    raw = link.take("projector")
    if raw is not None:
        try:
            st.session_state[PROJECTOR] = st.session_state[key] = link.parse_bool(raw)
        except ValueError as err:
            link.note(f"{link.quote(f'projector={raw}')} (projector mode) {err}; left as it was.")
    if key not in st.session_state:
        st.session_state[key] = st.session_state[PROJECTOR]
    if link.hidden("projector"):
        on = bool(st.session_state[PROJECTOR])
    else:
        on = _projector_widget(key)
    link.custom("projector", "📽️ Projector mode", bool(on), False)
    return on


def _projector_widget(key: str) -> bool:
    return st.toggle(
        "📽️ Projector mode",
        key=key,
        on_change=_keep_projector,
        args=(key,),
        help="Larger fonts, thicker lines and stronger contrast for a lecture hall; kept on "
        "every page until you switch it off.",
    )


def page(title: str, icon: str, intro: str | None = None, prefix: str | None = None) -> Look:
    """Set up the page: config, its link state, sidebar links, the title; returns the figure look.

    ``prefix`` starts every widget key of the page (``pg`` → ``pg_steps``); its URL names drop it.
    The page must call ``ui.link.finish()`` last.
    """
    tune_malloc()  # once per server process: see ui.memory
    one_blas_thread()  # NumPy's BLAS on the script's own thread (ui.memory)
    freeze_imports()  # once: the imported modules out of the collector's walk (ui.memory)
    guard.install()  # once per process: an unreadable widget value resets that widget
    guard.own_sandbox_jobs()  # formulas this run analyses share the sandbox as this session's
    _warm()  # once per server: the gallery's pictures, drawn before anyone asks for them
    # "auto" starts the sidebar collapsed on a phone (it covered 77 % of a 390 px screen); in
    # projector mode every page starts with it folded, so the room sees the figure first (the
    # class bar and the share panel stay reachable: the bar is on the page, » opens the panel).
    projector_link = str(st.query_params.get("projector", "")).lower() in ("1", "true", "on")
    folded = projector_link or bool(st.session_state.get(PROJECTOR))
    st.set_page_config(
        page_title=f"{title} · Descent Lab",
        page_icon=icon,
        layout="wide",
        initial_sidebar_state="collapsed" if folded else "auto",
    )
    st.markdown(_CSS, unsafe_allow_html=True)
    page_key = "".join(c for c in title if c.isalnum())
    link.begin(page_key, prefix)
    for key in guard.reset_refused():  # a value this browser sent that its widget cannot read
        link.note(f"Your browser sent a value that {link.quote(key)} cannot read; it was reset.")
    link.opened()  # a button asked for another page (callbacks cannot switch pages)
    path = _PATHS.get(title, "app.py")
    classroom.arrive()  # a class link: join, or resume teaching
    live = classroom.follow()  # a session following the teacher opens the teacher's view
    with st.sidebar:
        st.markdown("### ⛰️ Descent Lab")
        for path, label, emoji, _ in PAGES:
            st.page_link(path, label=label, icon=emoji)
        projector = projector_toggle(page_key)
        link.share_here()
        st.divider()
    if projector:
        st.markdown(_PROJECTOR_CSS, unsafe_allow_html=True)
    st.title(f"{icon} {title}")
    st.session_state["_class_title"] = title
    classroom.bar(path, live)
    if intro and not projector:  # on a projector the teacher says it
        st.caption(intro)
    link.notes_here()
    return Look.projector() if projector else Look()


def _warm() -> None:
    """Start the server's one-off warm-up (a real server only: AppTest sets a runtime too, and
    its ``global.appTest`` option tells it apart)."""
    from streamlit import config, runtime

    # AppTest patches config.get_option itself (st.get_option keeps the unpatched function)
    if runtime.exists() and not config.get_option("global.appTest"):
        from .presets import warm_thumbnails

        warm_thumbnails()


def current_path() -> str:
    """The script path of the page being run (``pages/1_Playground.py``; ``app.py`` at home)."""
    return _PATHS.get(st.session_state.get("_class_title", ""), "app.py")


def phone() -> bool:
    """Whether the browser says it is a phone ("Mobi" in its User-Agent, as MDN recommends): the
    server cannot see the screen's width, and a map sized for a laptop leaves a phone a gap."""
    try:
        agent = st.context.headers.get("User-Agent", "") or ""
    except Exception:  # no browser (AppTest, bare mode)
        return False
    return "Mobi" in agent


def map_size(look: Look, main: bool = True) -> dict[str, int]:
    """``height`` and ``width`` hint of a map for this screen: the page's main map is large on a
    laptop (its plot ≥ 45 % of a 1440 px window), fits the fold at 1280×720 on a projector, and is
    about as tall as wide on a phone; a lab's map in a half-width column (``main=False``) is
    smaller. The width sizes the legend's rows and decides whether the step slider fits beside
    the Play buttons."""
    if phone():
        return {"height": 560, "width": 330}
    if look.font > 14:  # projector: the map and its player (under it) above a 720 px fold
        return {"height": 510, "width": 820} if main else {"height": 540, "width": 520}
    return {"height": 845, "width": 740} if main else {"height": 540, "width": 520}


def chart(
    spec: dict, alt: str, where: Any = None, *, key: str, clicks: bool = False
) -> tuple[float, float] | None:
    """A prebuilt figure dict drawn in place (:func:`ui.figure.show`), named for screen readers.

    ``alt`` says what the chart is for ("Top view of the loss surface with each run's path"); the
    axes and the series' names are added from the figure itself, so the name follows the figure.
    With ``clicks``, a new click's data coordinates are returned.
    """
    return figure.show(spec, alt, where, key=key, clicks=clicks, touch=phone())
