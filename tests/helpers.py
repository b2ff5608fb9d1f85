"""Helpers shared by the test modules: opening pages and links under AppTest, reading figures,
and the random user actions of the fuzz and reliability tests.

Pages run from ``app.py`` with ``switch_page`` (automatic page discovery, as in production); a
"fresh session from the URL" is a new ``AppTest`` whose ``query_params`` are a link's.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
from streamlit.testing.v1 import AppTest

import optim
import viz
from surfaces import SURFACES, from_formula
from ui.controls import CATEGORY, FORMULA
from ui.frame import PAGES

ROOT = Path(__file__).resolve().parent.parent


PG = "pages/1_Playground.py"


LAB_PAGES = [p[0] for p in PAGES if p[0] != "app.py"]


KINDS = ("slider", "select_slider", "selectbox", "radio", "toggle", "number_input", "text_input")


def open_page(path: str = "app.py") -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.run()
    if path != "app.py":
        at.switch_page(path)
        at.run()
    assert not at.exception, at.exception
    return at


def open_link(path: str, query: dict[str, str]) -> AppTest:
    """A new session opened on ``path`` with ``query`` in its address."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.query_params.update(query)
    if path != "app.py":
        at.switch_page(path)
    at.run()
    assert not at.exception, at.exception
    return at


def figures(at: AppTest) -> list:
    """The page's figures (``ui.figure``), in page order: each has ``.key`` and ``.spec``."""
    return [
        Figure(e) for e in at.get("bidi_component") if e.proto.component_name.endswith("figure")
    ]


class Figure:
    """A figure element under AppTest: its widget key and its plotly spec (a dict)."""

    def __init__(self, element):
        self.key = element.proto.id.split("-", 2)[-1]
        self.json = element.proto.json
        (self.view,) = json.loads(self.json)  # ui.race.wire: the view inside a list
        self.spec = self.view["spec"]


def specs(at: AppTest) -> list[dict]:
    return [f.spec for f in figures(at)]


def click(at: AppTest, key: str, x: float, y: float) -> None:
    """A click on the figure ``key`` at data coordinates ``(x, y)``, as the browser sends it."""
    n = at.session_state[f"{key}__click_n"] + 1 if f"{key}__click_n" in at.session_state else 1
    at.session_state[key] = {"click": {"x": x, "y": y, "curve": 0, "n": n}}


def races(at: AppTest) -> list[dict]:
    """The data of every race view (``ui.race``) on the page, as the browser receives it."""
    views = [json.loads(e.proto.json)[0] for e in at.get("bidi_component") if _is_race(e)]
    return [v for v in views if not v.get("preload")]  # not the plotly.js preloader


def _is_race(element) -> bool:
    return element.proto.component_name.endswith("race")  # not a copy button


def race_keys(at: AppTest) -> list[str]:
    """The widget keys of the race views on the page (``<key>_race``), in page order."""
    ids = [e.proto.id for e in at.get("bidi_component") if _is_race(e)]
    return [i.split("-", 2)[-1] for i in ids if not i.endswith("race_preload")]


def race(at: AppTest) -> dict:
    return races(at)[0]


def with_banks(at: AppTest) -> dict:
    """The first race view after the browser asked for its banks (a hand near its scrubbers: a
    page's own run sends none), as ``ui.race.missing`` records such a request."""
    from ui import race as race_ui

    names = {a["chunk"] for r in races(at) for run in r["runs"] for a in run["axes"]}
    at.session_state[race_ui.WANTED] = names
    at.run()
    assert not at.exception, at.exception
    view = race(at)
    assert names <= set(view["chunks"]), "the banks asked for were not sent"
    return view


def paths(at: AppTest) -> dict[str, np.ndarray]:
    """Legend label -> (S+1, 2) path drawn on the map (the initial view is the exact path)."""
    return {r["label"]: viz.decode(r["xy"]).reshape(-1, 2) for r in race(at)["runs"]}


def widget_values(at: AppTest) -> list[tuple[str, str, object]]:
    """Every control's (kind, label, value) in page order, the share panel's own widget excluded."""
    return [
        (kind, w.label, w.value)
        for kind in KINDS
        for w in getattr(at, kind)
        if not (w.key or "").startswith("_link")
    ]


def link_notes(at: AppTest) -> list[str]:
    return [w.value for w in at.warning if "link's settings" in w.value]


def controls(at: AppTest) -> dict:
    return at.session_state["_link_run"].controls


def raw_choices(w) -> list:
    """Raw values of a select box whose labels come from a registry (surfaces, optimizers)."""
    labels = {n: f"{CATEGORY[e.category]} · {e.title}" for n, e in SURFACES.items()}
    labels[FORMULA] = "✏️ Your formula f(x, y)"
    labels.update({n: o.title for n, o in optim.OPTIMIZERS.items()})
    return [raw for raw, label in labels.items() if label in w.options]


def move(w, rng: random.Random) -> bool:
    """Set one widget to an extreme or random value; False if the widget cannot be driven here."""
    kind = type(w).__name__
    if kind == "Slider":
        w.set_value(rng.choice([w.min, w.max]))
    elif kind == "SelectSlider":
        value = w.value
        if isinstance(value, str):
            return False
        label = rng.choice([w.options[0], w.options[-1], rng.choice(w.options)])
        try:
            w.set_value(type(value)(float(label.rstrip("×"))))
        except ValueError:
            return False
    elif kind == "Selectbox" and raw_choices(w):
        w.set_value(rng.choice(raw_choices(w)))
    elif kind == "Selectbox":
        # AppTest's select_index stores the *label*; with another format_func that label is not a
        # value of the widget, so those select boxes are driven by their own tests instead.
        before = w.value
        w.select_index(rng.randrange(len(w.options)))
        try:
            _ = w.index
        except ValueError:
            w.set_value(before)
            return False
    elif kind == "Toggle":
        w.set_value(not w.value)
    elif kind == "NumberInput":
        w.set_value(rng.choice([w.min, w.max, 0]))
    else:
        return False
    return True


GOOD_FORMULAS = [
    "x^2 + 10 y^2",
    "(1 - x)^2 + 100(y - x^2)^2",
    "sin(x)cos(y) + 0.1(x^2 + y^2)",
    "abs(x) + softplus(y - 1)",
    "sigmoid(sigmoid(x*y)) + x^2 + y^2",
]


BAD_FORMULAS = [
    "x^^2",
    "exp(exp(3e4))*x",
    "foo(x)",
    "",
    "`[expired](http://example.invalid)`",
    "*".join(f"sin({k}x+y)" for k in range(1, 19)),
]


SLOW_BUTTONS = {"sw_run"}  # a confirmed sweep costs up to 30 s of CPU: its own tests press it


def chart_click(at, rng: random.Random) -> str | None:
    """Click a point of a clickable figure (a scatter point of its spec), as the browser would."""
    charts = [f for f in figures(at) if f.key.endswith(("_contour", "_map"))]
    if not charts:
        return None
    chart = rng.choice(charts)
    traces = [d for d in chart.spec["data"] if "x" in d and "y" in d and d.get("type") != "heatmap"]
    if not traces:
        return None
    t = rng.choice(traces)
    xs, ys = (np.atleast_1d(viz.decode(t[a])).astype(float) for a in ("x", "y"))
    if not xs.size:
        return None
    i = rng.randrange(min(xs.size, ys.size))
    click(at, chart.key, float(xs[i]), float(ys[i]))
    return f"click {chart.key}"


def act(at, rng: random.Random) -> str | None:
    """One random user action: type, press, pick a pill, click a chart, or move a widget."""
    roll = rng.random()
    pickers = [w for w in at.selectbox if w.key and w.key.endswith("_surface")]
    if roll < 0.12 and not at.text_input and pickers and FORMULA in raw_choices(pickers[0]):
        pickers[0].set_value(FORMULA)
        return "choose the formula surface"
    if roll < 0.12 and at.text_input:
        w = rng.choice(list(at.text_input))
        text = rng.choice(GOOD_FORMULAS + BAD_FORMULAS)
        w.set_value(text)
        return f"type {text!r}"
    if roll < 0.22:
        buttons = [  # a browser cannot press a disabled button (AppTest refuses it)
            b for b in at.button if b.key and b.key not in SLOW_BUTTONS and not b.disabled
        ]
        if buttons:
            b = rng.choice(buttons)
            b.click()
            return f"press {b.key}"
    if roll < 0.28 and at.button_group:
        g = rng.choice(list(at.button_group))
        if g.options:
            g.set_value(rng.choice(g.options))
            return f"pill {g.key}"
    if roll < 0.36:
        clicked = chart_click(at, rng)
        if clicked:
            return clicked
    widgets = [
        w
        for kind in ("slider", "select_slider", "selectbox", "toggle", "number_input")
        for w in getattr(at, kind)
        if w.key
    ]
    if not widgets:  # the home page, or a class link that hides every control
        return None
    w = rng.choice(widgets)
    return f"move {w.key}" if move(w, rng) else None


def random_moves(at, rng: random.Random, moves: int, tries: int, check=None) -> list[str]:
    """Up to ``moves`` random actions (``act``) within ``tries`` attempts, each followed by a
    rerun: no exception after any of them, and ``check(at, done)`` if given. Returns the moves."""
    done: list[str] = []
    for _ in range(tries):
        what = act(at, rng)
        if what is None:
            continue
        at.run()
        done.append(what)
        assert not at.exception, (done, at.exception[0].stack_trace)
        if check is not None:
            check(at, done)
        if len(done) == moves:
            break
    return done


def refused_on_purpose(at) -> bool:
    """Is the page's typed formula (with its domain) one that the library itself refuses?"""
    texts = [w for w in at.text_input if w.key and w.key.endswith("_formula")]
    if not texts:
        return False
    prefix = texts[0].key.rsplit("_", 1)[0]
    v = {w.key: w.value for w in at.number_input if w.key}
    domain = tuple((v.get(f"{prefix}_{a}min", -3.0), v.get(f"{prefix}_{a}max", 3.0)) for a in "xy")
    try:
        from_formula(texts[0].value, domain)
    except ValueError:
        return True
    return False


def assert_no_error_from_valid_input(at, context) -> None:
    """An ``st.error`` is a failure unless the library refuses the page's formula or domain."""
    errors = [e.value for e in at.error]
    if errors:
        assert refused_on_purpose(at), (context, errors)
        assert all("cannot be drawn" in e for e in errors), (context, errors)


def ask_question(page: str, query: dict, *, paced: bool = False, cls: str | None = None):
    """Open a question about the view ``query`` (its ``ask``, ``ask_run``, ``ask_at`` and
    settings) in the app's class store, as the share panel does; returns the teacher key and
    the student link's query."""
    from ui import classroom, tally

    key = tally.new_key()
    q = {**query, "q": tally.question_id(key)}
    classroom.store().open_question(q["q"], page, q, q["ask"], cls=cls, paced=paced)
    return key, q
