"""What a person sees, in a real headless Chromium (Debian's, driven by Python playwright).

The app is started with ``streamlit run`` on a free loopback port and stopped by PID at the end.
Screenshots of every page land in ``artifacts/screenshots/`` (or ``$ARTIFACTS_DIR``).
Without ``/usr/bin/chromium`` these tests skip with a loud reason, except under ``CI=true``,
where a missing browser is a failure.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import numpy as np
import pytest

from ui.frame import PAGES

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE_AGENT = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
)
SHOTS = Path(os.environ.get("ARTIFACTS_DIR", ROOT / "artifacts")) / "screenshots"
DATA = tempfile.mkdtemp(prefix="descent-lab-tally-")  # the server's class store
IN_CI = os.environ.get("CI", "").lower() == "true"


def _unavailable(reason: str):
    if IN_CI:
        pytest.fail(f"CI=true but the browser tests cannot run: {reason}")
    pytest.skip(f"BROWSER TESTS SKIPPED: {reason}")


def _url_name(path: str) -> str:
    return "" if path == "app.py" else Path(path).stem.split("_", 1)[1]


@pytest.fixture(scope="module")
def server():
    if not Path(CHROMIUM).exists():
        _unavailable(f"{CHROMIUM} not found (apt-get install chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _unavailable("the playwright Python package is not installed")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = (
        open(SHOTS.parent / "streamlit.log", "w")
        if SHOTS.parent.mkdir(parents=True, exist_ok=True) is None
        else None
    )
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "app.py",
            "--server.headless",
            "true",
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
        ],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "DESCENT_LAB_DATA": DATA},
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if urllib.request.urlopen(f"{base}/_stcore/health", timeout=2).read() == b"ok":
                    break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"streamlit did not start (see {log.name})")
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="module")
def browser(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


class Page:
    """A browser tab that records console errors and failed requests."""

    def __init__(self, browser, base: str, size=(1600, 2200), phone: bool = False):
        kw = {"user_agent": PHONE_AGENT, "is_mobile": True, "has_touch": True} if phone else {}
        self.page = browser.new_page(viewport={"width": size[0], "height": size[1]}, **kw)
        self.base = base
        self.errors: list[str] = []
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(f"page error: {e}"))
        self.failed: list[str] = []
        self.page.on(
            "response", lambda r: r.status >= 400 and self.failed.append(f"{r.status} {r.url}")
        )

    def open(self, name: str = ""):
        self.page.goto(f"{self.base}/{name}")
        self.page.wait_for_selector("h1", state="attached", timeout=60_000)
        return self

    def wait_charts(self, n: int):
        self.page.wait_for_function(
            "n => document.querySelectorAll('.js-plotly-plot .main-svg').length >= n",
            arg=n,
            timeout=60_000,
        )
        self.page.wait_for_timeout(500)

    def real_errors(self, deep_link: str = "") -> list[str]:
        # Streamlit's frontend first probes <page>/_stcore/{health,host-config} on a deep link and
        # falls back to /_stcore/… (404 then 200): not our error, and only on deep links.
        probes = {f"{self.base}/{deep_link}/_stcore/{e}" for e in ("health", "host-config")}
        failed = [f for f in self.failed if f.split(" ", 1)[1] not in probes]
        console = [e for e in self.errors if "Failed to load resource" not in e]
        return failed + console

    def shot(self, name: str):
        SHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


CHARTS = {
    "app.py": 0,
    "pages/1_Playground.py": 3,  # the 3D view is drawn on request
    "pages/2_Learning_rate.py": 5,
    "pages/3_Momentum.py": 5,
    "pages/4_Sweep.py": 1,
    "pages/5_Adaptive.py": 7,
    "pages/6_SGD.py": 5,
    "pages/7_Gallery.py": 0,
    "pages/8_Network.py": 6,
}


_LAYOUT = """() => {
  const box = e => { const r = e.getBoundingClientRect();
                     return {x: r.x, y: r.y, w: r.width, h: r.height}; };
  const cut = (a, b) => !(a.x + a.w <= b.x + 1 || b.x + b.w <= a.x + 1
                          || a.y + a.h <= b.y + 1 || b.y + b.h <= a.y + 1);
  const bad = [];
  for (const gd of document.querySelectorAll('.js-plotly-plot')) {
    const r = box(gd);
    if (r.w === 0) continue;  // not drawn (a closed expander)
    if (r.x + r.w > innerWidth + 1) bad.push(`a figure runs past the screen: ${r.x + r.w}`);
    for (const ax of ['x', 'y']) {
      const title = gd.querySelector(`.g-${ax}title text`);
      if (!title || !title.textContent) continue;
      const t = box(title);
      for (const tick of gd.querySelectorAll(`.${ax}tick text`)) {
        if (tick.textContent && cut(t, box(tick)))
          bad.push(`"${title.textContent}" covers its tick "${tick.textContent}"`);
      }
    }
  }
  const wide = document.documentElement.scrollWidth;
  if (wide > innerWidth + 1) bad.push(`the page scrolls sideways: ${wide} px`);
  return bad;
}"""

SIZES = {  # what a teacher looks at: a laptop, a projector in projector mode, a phone
    "desktop-1440x900": ((1440, 900), "", False),
    "projector-1280x720": ((1280, 720), "projector=1", False),
    "phone-390x844": ((390, 844), "", True),
}


@pytest.mark.parametrize("path", [p[0] for p in PAGES])
def test_each_page_loads_draws_its_charts_and_logs_no_error(server, browser, path):
    """#27: every page at the three sizes a class sees it, with a screenshot of each: it loads,
    draws its charts, logs no error, never scrolls sideways, and no axis title covers a tick."""
    for size, ((w, h), query, phone) in SIZES.items():
        name = _url_name(path) + (f"?{query}" if query else "")
        tab = Page(browser, server, size=(w, h), phone=phone).open(name)
        assert tab.page.locator("h1").first.inner_text().strip()
        if CHARTS[path]:
            tab.wait_charts(CHARTS[path])
        assert tab.page.locator("[data-testid='stException']").count() == 0
        tab.shot(f"{Path(path).stem}-{size}")
        assert tab.page.evaluate(_LAYOUT) == [], (path, size)
        assert tab.real_errors(_url_name(path)) == []
        tab.page.close()


def test_sidebar_links_navigate(server, browser):
    tab = Page(browser, server).open()
    tab.page.locator(
        "[data-testid='stSidebar'] [data-testid='stPageLink-NavLink']", has_text="Playground"
    ).click()
    tab.page.wait_for_function("location.pathname.endsWith('/Playground')", timeout=30_000)
    tab.wait_charts(4)
    assert tab.real_errors() == []
    tab.page.close()


def _race_ready(page, selector: str = ".race[data-ready]"):
    try:
        page.wait_for_selector(selector, timeout=60_000)
    except Exception as err:  # say what the view shows instead ("Loading…", an error)
        note = page.evaluate(
            "() => [...document.querySelectorAll('.race-note')].map(n => n.textContent)"
        )
        page.screenshot(path=str(SHOTS / "race-not-ready.png"))
        raise AssertionError(f"the race view was not drawn in 60 s; its notes: {note}") from err
    page.wait_for_timeout(300)


def _race_state(page) -> dict:
    return page.evaluate(
        """() => { const gd = document.querySelector('.race-map');
        const s = document.querySelector('.race-bar input[type=range]');
        return {step: +s.value, last: +s.max, images: gd.querySelectorAll('.imagelayer image').length,
                label: document.querySelector('.race-play').textContent}; }"""
    )


def test_play_advances_every_view_and_the_field_stays(server, browser):
    """One player: ▶ moves the map's runs and the curves' cursor together; the field stays."""
    tab = Page(browser, server).open("Playground")
    _race_ready(tab.page)
    state = _race_state(tab.page)
    assert state["step"] == state["last"] and state["images"] >= 1
    tab.page.locator("button.race-play").click()
    tab.page.wait_for_function(
        "() => { const s = document.querySelector('.race-bar input[type=range]');"
        " return +s.value > 5 && +s.value < 100; }",
        timeout=30_000,
    )
    mid = _race_state(tab.page)
    assert mid["images"] >= 1 and mid["label"] == "⏸ Pause"
    k = tab.page.evaluate(
        "() => { const gd = document.querySelector('.race-loss');"
        " return gd._fullData[gd._fullData.length - 1].x[0]; }"
    )
    assert 0 < k <= 150  # the loss curve's cursor moved with the map
    tab.shot("playground-playing")
    tab.page.wait_for_function(
        "() => { const s = document.querySelector('.race-bar input[type=range]');"
        " return +s.value === +s.max; }",
        timeout=60_000,
    )
    assert _race_state(tab.page)["label"] == "▶ Play"
    assert tab.real_errors("Playground") == []
    tab.page.close()


def _click_map(page, fx: float, fy: float) -> None:
    box = page.locator(".race-map .nsewdrag").first.bounding_box()
    page.mouse.click(box["x"] + box["width"] * fx, box["y"] + box["height"] * fy)


def _wait_x0_changes(page, before: str) -> None:
    page.wait_for_function(
        "b => { const e = [...document.querySelectorAll('input')]"
        ".find(i => i.getAttribute('aria-label') === 'x₀'); return e && e.value !== b; }",
        arg=before,
        timeout=30_000,
    )


def test_the_html_download_plays_offline_with_the_pages_player_and_curves(
    server, browser, tmp_path
):
    """The Playground's "Animated figure (HTML)" is the page's own race view in one file: opened
    with no server it draws the map and the curves, and ▶ plays them with the same player."""
    tab = Page(browser, server).open("Playground")
    _race_ready(tab.page)
    button = tab.page.get_by_role("button", name="Animated figure (HTML, plays offline)")
    path = tmp_path / "race.html"
    for attempt in range(3):  # a click while the page still reruns (its chunks) can be swallowed
        try:
            with tab.page.expect_download(timeout=60_000) as got:  # ~5 MB made on the click
                button.click()
            got.value.save_as(str(path))
            break
        except Exception as err:  # playwright's TimeoutError (imported only with a browser)
            if type(err).__name__ != "TimeoutError":
                raise
            assert attempt < 2, "the HTML download never came"
    tab.page.close()
    offline = Page(browser, server)
    offline.page.goto(path.as_uri())
    _race_ready(offline.page)
    state = _race_state(offline.page)
    assert state["step"] == state["last"] == 150 and state["images"] >= 1
    assert offline.page.locator(".race-loss .main-svg").count() >= 1  # the curves came too
    offline.page.locator("button.race-play").click()
    offline.page.wait_for_function(
        "() => +document.querySelector('.race-bar input[type=range]').value > 5", timeout=30_000
    )
    assert offline.failed == [] and offline.errors == []  # nothing fetched, nothing broke
    offline.page.close()


def test_clicking_the_map_moves_the_start_in_every_animation_state(server, browser):
    """#13: after ▶ Play (or Play then ⏸) a click threw 'Cannot read properties of undefined
    (reading 'selectAll')' and set nothing. Now it sets the start while playing, paused, at rest."""
    tab = Page(browser, server).open("Playground")
    _race_ready(tab.page)
    x0 = tab.page.get_by_label("x₀")
    # under load the sidebar's number input can still be empty when the map is ready
    tab.page.wait_for_function(
        "() => { const e = [...document.querySelectorAll('input')]"
        ".find(i => i.getAttribute('aria-label') === 'x₀'); return e && e.value === '-2.5'; }",
        timeout=30_000,
    )
    for i, state in enumerate(("rest", "playing", "paused")):
        if state != "rest":
            tab.page.locator("button.race-play").click()  # play; the second time, play again
            tab.page.wait_for_timeout(600)
        if state == "paused":
            tab.page.locator("button.race-play").click()
        before = x0.input_value()
        _click_map(tab.page, 0.6 + 0.1 * i, 0.25)
        _wait_x0_changes(tab.page, before)
        assert float(x0.input_value()) > 0, state  # right-hand side of a window centred on 0
        tab.page.wait_for_selector(".race[data-ready]")
        tab.page.wait_for_timeout(800)
    assert [e for e in tab.errors if "page error" in e] == []
    assert tab.real_errors("Playground") == []
    tab.page.close()


def _camera(page):
    return page.evaluate(
        """() => { const e = document.querySelector('.race-3d')._fullLayout.scene.camera.eye;
            return [e.x, e.y, e.z]; }"""
    )


def test_3d_camera_survives_a_rerun(server, browser):
    """Streamlit 1.67 remounts a changed st.plotly_chart (streamlit #8882): the race view is
    mounted once and updated in place, so a turned 3D view stays turned after a rerun."""
    tab = Page(browser, server).open("Playground?3d_on=1")
    tab.page.wait_for_function(
        "() => { const g = document.querySelector('.race-3d'); return g && g._fullLayout"
        " && g._fullLayout.scene; }",
        timeout=60_000,
    )
    tab.page.wait_for_timeout(1500)
    box = tab.page.locator(".race-3d .gl-container").bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    before = _camera(tab.page)
    tab.page.mouse.move(cx, cy)
    tab.page.mouse.down()
    tab.page.mouse.move(cx + 150, cy + 40, steps=10)
    tab.page.mouse.up()
    turned = _camera(tab.page)
    assert max(abs(a - b) for a, b in zip(turned, before)) > 0.05
    # a control changes the figure: every run starts elsewhere
    tab.page.get_by_label("x₀").fill("-2")
    tab.page.get_by_label("x₀").press("Enter")
    tab.page.wait_for_function(
        "() => { const g = document.querySelector('.race-3d');"
        " return g._fullData[1] && g._fullData[1].x[0] === -2; }",
        timeout=30_000,
    )
    after = _camera(tab.page)
    assert max(abs(a - b) for a, b in zip(after, turned)) < 1e-6, (before, turned, after)
    tab.page.close()


def test_a_figure_is_redrawn_in_place_and_a_click_on_it_moves_the_sliders(server, browser):
    """#29: st.plotly_chart remounts a chart whose spec changed (every slider step redrew every
    figure from scratch); ui.figure keeps its plot: after an η step the Momentum lab's rate map
    is the same element, its zoom kept, only its marker moved. A click on it sets η and β."""
    tab = Page(browser, server, size=(1440, 900)).open("Momentum")
    tab.wait_charts(5)
    rate_map = tab.page.locator(".figure").nth(2)
    rate_map.scroll_into_view_if_needed()
    marker = """g => Array.from(g._fullData.find(t => t.name === 'your (α, β)').x)"""
    rate_map.evaluate("g => { g.__mark = 1; }")
    box = rate_map.bounding_box()  # the reader zooms with a drag
    tab.page.mouse.move(box["x"] + 0.3 * box["width"], box["y"] + 0.3 * box["height"])
    tab.page.mouse.down()
    tab.page.mouse.move(box["x"] + 0.6 * box["width"], box["y"] + 0.6 * box["height"], steps=8)
    tab.page.mouse.up()
    zoomed = rate_map.evaluate("g => g._fullLayout.xaxis.range")
    assert zoomed[1] - zoomed[0] < 3, zoomed
    before = rate_map.evaluate(marker)
    slider = tab.page.locator("input[type=range][aria-label='η']")
    slider.focus()
    slider.press("ArrowLeft")
    tab.page.wait_for_function(
        f"b => {{ const g = document.querySelectorAll('.figure')[2];"
        f" return JSON.stringify(({marker})(g)) !== JSON.stringify(b); }}",
        arg=before,
        timeout=30_000,
    )
    kept = rate_map.evaluate("g => [g.__mark, g._fullLayout.xaxis.range, g.dataset.drawn]")
    assert kept[0] == 1, "the rate map was remounted"
    assert kept[2] == "points", kept  # only the marker moved: the heatmap was not redrawn
    assert kept[1] == zoomed, (kept, zoomed)
    eta = slider.get_attribute("aria-valuetext")
    rate_map.scroll_into_view_if_needed()
    box = rate_map.bounding_box()
    tab.page.mouse.click(box["x"] + 0.45 * box["width"], box["y"] + 0.3 * box["height"])
    tab.page.wait_for_function(
        "v => document.querySelector(\"input[type=range][aria-label='η']\")"
        ".getAttribute('aria-valuetext') !== v",
        arg=eta,
        timeout=30_000,
    )
    assert "eta=" in tab.page.url and tab.real_errors("Momentum") == []
    tab.page.close()


def _paths(page) -> list:
    """The map's run paths as drawn (x and y of every trace with a legend name)."""
    return page.evaluate(
        """() => { const gd = document.querySelector('.race-map');
            return gd._fullData.filter(t => t.name && t.mode === 'lines+markers')
                .map(t => [t.name, Array.from(t.x), Array.from(t.y)]); }"""
    )


def _banks_here(page) -> None:
    """Wait until every race view's banks (fetched when a hand nears its scrubbers) are here."""
    page.wait_for_function(
        """() => [...document.querySelectorAll('.race')].map((e) => e.parentElement.__race)
            .filter(Boolean).every((S) => S.data.runs.every((r) => r.axes.every(
              (a) => window.__raceChunks.has(a.chunk))))""",
        timeout=30_000,
    )


def test_scrubbing_redraws_the_path_in_the_browser_without_a_round_trip(server, browser):
    """#13: dragging η inside the figure redraws the run's path, its curves and label with no
    websocket message; letting go sets the page's η slider (and the address) to that value."""
    tab = Page(browser, server).open("Playground")
    frames: list = []
    tab.page.on("websocket", lambda ws: ws.on("framesent", lambda f: frames.append(f)))
    _race_ready(tab.page)
    tab.page.wait_for_timeout(1000)
    before, loss_before = (
        _paths(tab.page)[0],
        tab.page.evaluate(
            "() => Array.from(document.querySelector('.race-loss')._fullData[0].y).slice(-1)[0]"
        ),
    )
    scrub = tab.page.locator("input.race-scrub-lr")
    scrub.focus()  # a hand near the scrubbers asks for their banks (a slider step sends none)
    _banks_here(tab.page)
    sent = len(frames)
    for _ in range(6):  # the keyboard drags the slider: one input event per press
        tab.page.keyboard.press("ArrowLeft")
        tab.page.wait_for_timeout(50)
    tab.page.wait_for_timeout(300)
    after = _paths(tab.page)[0]
    assert after[1] != before[1] or after[2] != before[2]  # GD's path moved
    loss_after = tab.page.evaluate(
        "() => Array.from(document.querySelector('.race-loss')._fullData[0].y).slice(-1)[0]"
    )
    assert loss_after != loss_before  # its loss curve followed
    # the keyboard's change events start the 0.7 s timer: nothing was sent before it fires
    assert len(frames) == sent, "scrubbing sent a websocket message"
    value = tab.page.locator(".race-val").first.inner_text()
    tab.page.wait_for_function(
        "v => new URLSearchParams(location.search).get('r1_lr') === v", arg=value, timeout=30_000
    )
    tab.page.wait_for_function(  # the page's own η slider shows it too
        "v => document.querySelector(\"input[type='range'][aria-label='learning rate η (log "
        "scale)']\").getAttribute('aria-valuetext') === v",
        arg=value,
        timeout=30_000,
    )
    assert tab.real_errors("Playground") == []
    tab.page.close()


def test_a_view_whose_chunks_were_lost_asks_again_until_it_is_drawn(server, browser):
    """A run that carries a view's chunks can be lost: a rerun that interrupts it drops its
    queued messages, the server has noted them as sent, and the next run's view, the same as
    the browser's, does not call the component again (a student's screen stayed blank in CI).
    Here the browser's chunk cache is emptied and the websocket strips the chunks from the
    next two answers: the view asks again, 2 then 4 s later, and is drawn."""
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    tab = Page(browser, server)
    lost: list[list[str]] = []
    armed = [False]

    def strip(m):
        if not armed[0] or len(lost) >= 2 or not isinstance(m, bytes):
            return m
        msg = ForwardMsg.FromString(m)
        el = msg.delta.new_element if msg.HasField("delta") else None
        if el is None or el.WhichOneof("type") != "bidi_component":
            return m
        view = json.loads(el.bidi_component.json or "[]")
        if not (isinstance(view, list) and view and view[0].get("chunks")):
            return m
        lost.append(sorted(view[0]["chunks"]))
        view[0]["chunks"] = {}
        el.bidi_component.json = json.dumps(view)
        msg.hash = ""  # the browser keeps none of it (else the server's next, same answer is
        msg.metadata.cacheable = False  # sent as a reference to this stripped copy)
        return msg.SerializeToString()

    def route(ws):
        up = ws.connect_to_server()
        up.on_message(lambda m: ws.send(strip(m)))
        ws.on_message(lambda m: up.send(m))

    tab.page.route_web_socket(re.compile(r"_stcore/stream"), route)
    tab.open("Playground")
    _race_ready(tab.page)
    drawn = tab.page.evaluate("() => document.querySelector('.race').dataset.ready")
    tab.page.evaluate("() => window.__raceChunks.clear()")  # the browser lacks every chunk
    armed[0] = True
    eta = tab.page.locator("input[aria-label='learning rate η (log scale)']").first
    eta.focus()
    tab.page.keyboard.press("ArrowRight")  # a new view: it names chunks the browser lacks
    tab.page.wait_for_function(
        "t => document.querySelector('.race').dataset.ready !== t", arg=drawn, timeout=60_000
    )
    assert len(lost) == 2, lost  # both answers were stripped, and the third ask was answered
    assert tab.page.locator(".race-error").count() == 0
    assert "Loading" not in tab.page.locator(".race-note").first.inner_text()
    assert tab.page.evaluate("() => window.__raceChunks.size") > 0
    assert tab.real_errors("Playground") == []
    tab.page.close()


def test_the_player_works_from_the_keyboard(server, browser):
    tab = Page(browser, server).open("Playground")
    _race_ready(tab.page)
    tab.page.locator(".race").first.focus()
    tab.page.keyboard.press("Home")
    assert _race_state(tab.page)["step"] == 0
    tab.page.keyboard.press("ArrowRight")
    tab.page.keyboard.press("ArrowRight")
    assert _race_state(tab.page)["step"] == 2
    tab.page.keyboard.press("ArrowLeft")
    assert _race_state(tab.page)["step"] == 1
    tab.page.keyboard.press(" ")
    tab.page.wait_for_function(
        "() => +document.querySelector('.race-bar input[type=range]').value > 5", timeout=30_000
    )
    tab.page.keyboard.press(" ")
    assert _race_state(tab.page)["label"] == "▶ Play"
    tab.page.keyboard.press("End")
    state = _race_state(tab.page)
    assert state["step"] == state["last"]
    assert tab.real_errors("Playground") == []
    tab.page.close()


def test_the_elbows_view_plays_the_fit_apart_into_its_units(server, browser):
    """#27: the 1-D ReLU network's fit drawn as its sum of elbows while it trains, in the one
    player: at step 0 every kink sits at x = 0 (biases start at 0); at the end they have spread,
    and the drawn fit is c plus the drawn elbows at every x the figure holds."""
    tab = Page(browser, server).open("Network")
    race = tab.page.locator(".race").nth(1)
    race.scroll_into_view_if_needed()
    tab.page.wait_for_function(
        "() => document.querySelectorAll('.race[data-ready]').length >= 2", timeout=60_000
    )
    read = """el => { const gd = el.querySelector('.race-map'); const d = gd._fullData;
        const fit = d.find(t => t.name === 'the fit: c + their sum');
        const kinks = d.find(t => t.name === 'its kinks');
        const units = d.filter(t => t.legendgroup === 'elbows');
        return {kinks: Array.from(kinks.x), fx: Array.from(fit.x), fy: Array.from(fit.y),
                ux: units.map(u => Array.from(u.x)), uy: units.map(u => Array.from(u.y)),
                step: +el.querySelector('.race-bar input[type=range]').value}; }"""
    race.focus()
    tab.page.keyboard.press("Home")
    tab.page.wait_for_timeout(300)
    start = race.evaluate(read)
    assert start["step"] == 0 and len(start["ux"]) == 8
    assert start["kinks"] and max(abs(k) for k in start["kinks"]) < 1e-9
    tab.page.keyboard.press("End")
    tab.page.wait_for_timeout(300)
    end = race.evaluate(read)
    assert max(end["kinks"]) - min(end["kinks"]) > 1.0  # spread over the data
    # the thick line is the sum of the thin ones plus c: check it at the fit's own corners
    c = end["fy"][0] - sum(np.interp(end["fx"][0], x, y) for x, y in zip(end["ux"], end["uy"]))
    for x, y in zip(end["fx"], end["fy"]):
        total = c + sum(np.interp(x, ux, uy) for ux, uy in zip(end["ux"], end["uy"]))
        assert abs(total - y) < 1e-3
    tab.shot("network-elbows")
    assert tab.real_errors("Network") == []
    tab.page.close()


def test_a_shared_link_opens_the_same_chart_in_a_new_browser(server, browser):
    tab = Page(browser, server).open("Playground")
    tab.wait_charts(4)
    _race_ready(tab.page)
    tab.page.get_by_text("(2, -1)", exact=True).click()  # a suggested start
    tab.page.wait_for_function("location.search.includes('x0=2')", timeout=30_000)
    tab.page.wait_for_timeout(1500)
    url, drawn = tab.page.url, _paths(tab.page)
    assert "y0=-1" in url
    context = browser.new_context(viewport={"width": 1600, "height": 2200})  # no shared session
    other = context.new_page()
    other.goto(url)
    _race_ready(other)
    other.wait_for_timeout(500)
    assert _paths(other) == drawn
    assert other.get_by_label("x₀").input_value() == "2"
    assert other.url == url
    assert tab.real_errors("Playground") == []
    context.close()
    tab.page.close()


def test_a_gallery_card_opens_its_scenario(server, browser):
    tab = Page(browser, server).open("Gallery")
    tab.page.wait_for_function(
        "document.querySelectorAll(\"[data-testid='stImage'] img\").length >= 10",
        timeout=60_000,
    )
    tab.page.wait_for_timeout(500)
    tab.shot("gallery")
    tab.page.locator("a[href*='surface=beale']", has_text="Open in the Playground").click()
    tab.page.wait_for_function("location.search.includes('surface=beale')", timeout=30_000)
    tab.wait_charts(4)
    labels = [name for name, _, _ in _paths(tab.page)]
    assert [lbl.split()[1] for lbl in labels] == ["GD", "Momentum", "AdaGrad", "RMSProp", "Adam"]
    assert tab.page.get_by_text("could not be used").count() == 0
    tab.shot("gallery-beale")
    assert tab.real_errors("Gallery") == []
    tab.page.close()


def test_a_class_link_shows_only_the_chosen_control(server, browser):
    tab = Page(browser, server).open("Playground?steps=300&hide=runs,steps,surface")
    tab.wait_charts(4)
    assert tab.page.get_by_text("class link fixes 3 setting").count() == 1
    assert tab.page.get_by_label("steps", exact=True).count() == 0
    assert tab.page.get_by_role("button", name="➕ Add a run").count() == 0
    tab.shot("class-link")
    tab.page.get_by_role("button", name="Show every control").click()
    tab.page.wait_for_function("!location.search.includes('hide=')", timeout=30_000)
    assert "steps=300" in tab.page.url
    tab.page.close()


def test_leaving_and_coming_back_keeps_each_pages_own_link(server, browser):
    tab = Page(browser, server).open("Playground?steps=200")
    tab.wait_charts(4)
    nav = "[data-testid='stSidebar'] [data-testid='stPageLink-NavLink']"
    tab.page.locator(nav, has_text="Learning-rate lab").click()
    tab.page.wait_for_function("location.pathname.endsWith('/Learning_rate')", timeout=30_000)
    tab.wait_charts(5)
    assert tab.page.evaluate("location.search") == ""
    assert tab.page.get_by_text("could not be used").count() == 0
    tab.page.locator(nav, has_text="Playground").click()
    tab.page.wait_for_function("location.search === '?steps=200'", timeout=30_000)
    tab.wait_charts(4)
    assert tab.real_errors("Playground") == []
    tab.page.close()


def test_a_typo_in_a_formula_leaves_every_other_control_as_it_was(server, browser):
    """Typing x^^2 then a good formula once moved every control to its minimum (steps 10,
    η 0.0001, …) and the next touch wrote that into the URL; now only the formula changes."""
    tab = Page(browser, server)
    tab.page.goto(f"{server}/Playground?surface=formula&steps=300&speed=2&r2_lr=0.15")
    tab.wait_charts(4)
    before = tab.page.evaluate("location.search")
    field = tab.page.get_by_test_id("stTextInputField").first
    for text in ("x^^2", "x^2 + 10 y^2"):
        field.fill(text)
        field.press("Enter")
        if text == "x^^2":
            tab.page.get_by_text("This surface cannot be drawn").wait_for(timeout=30_000)
        else:
            tab.page.get_by_text("This surface cannot be drawn").wait_for(
                state="detached", timeout=30_000
            )
        tab.page.wait_for_timeout(1500)
        assert tab.page.locator(".js-plotly-plot").count() >= 2  # the figures stay (map, loss)
    assert tab.page.evaluate("location.search") == before
    tab.shot("formula-typo-fixed")
    # Streamlit 1.67's sliders are react-aria: an <input type=range> carries the shown value
    steps = tab.page.locator("[data-testid='stSidebar'] input[type='range'][aria-label='steps']")
    assert steps.get_attribute("aria-valuetext") == "300"
    assert tab.real_errors("Playground") == []
    tab.page.close()


def test_a_link_note_shows_url_text_as_text_never_as_a_link_or_image(server, browser):
    tab = Page(browser, server)
    asked: list[str] = []
    tab.page.on(
        "request", lambda r: urlparse(r.url).hostname == "example.invalid" and asked.append(r.url)
    )
    query = (
        "steps=%60%5BYour%20session%20expired%5D(http://example.invalid/login)%60"
        "&x0=!%5Bp%5D(http://example.invalid/p.png)&zz=" + "w" * 5000
    )
    tab.page.goto(f"{server}/Playground?{query}")
    note = tab.page.locator("[data-testid='stAlert']", has_text="could not be used")
    note.wait_for(timeout=60_000)
    tab.wait_charts(4)
    assert note.locator("a").count() == 0 and note.locator("img").count() == 0
    text = note.inner_text()
    assert "[Your session expired](http://example.invalid/login)" in text  # shown as typed
    assert "w" * 61 not in text and "5003 characters" in text  # cut, with its length
    assert asked == []
    tab.shot("link-note-quoted")
    tab.page.close()


def test_an_embedded_class_link_renders_and_keeps_its_controls_hidden(server, browser):
    tab = Page(browser, server)
    tab.page.goto(f"{server}/Playground?embed=true&steps=300&hide=steps,surface")
    tab.wait_charts(4)
    tab.page.wait_for_timeout(1000)
    assert tab.page.locator("[data-testid='stToolbar']").count() == 0  # Streamlit's embed mode
    sidebar = tab.page.locator("[data-testid='stSidebar']")
    assert sidebar.locator("input[type='range'][aria-label='steps']").count() == 0
    assert tab.page.get_by_text("This class link fixes 2 setting").count() == 1
    assert tab.page.locator("[data-testid='stAlert']", has_text="could not be used").count() == 0
    search = tab.page.evaluate("location.search")
    assert "embed=true" in search and "steps=300" in search
    tab.shot("embedded-class-link")
    assert tab.real_errors("Playground") == []
    tab.page.close()


def test_the_learning_rate_of_run_one_works_from_the_keyboard(server, browser):
    """Tab to run 1's η slider (no mouse), move it with the arrow keys: the run changes."""
    tab = Page(browser, server).open("Playground")
    tab.wait_charts(4)
    label = "learning rate η (log scale)"
    reached = False
    for _ in range(120):
        tab.page.keyboard.press("Tab")
        reached = tab.page.evaluate(
            "l => document.activeElement && document.activeElement.getAttribute('aria-label') === l",
            label,
        )
        if reached:
            break
    assert reached, "Tab never reached run 1's learning-rate slider"
    before = tab.page.evaluate("document.activeElement.getAttribute('aria-valuetext')")
    tab.page.keyboard.press("ArrowRight")
    tab.page.keyboard.press("ArrowRight")
    after = tab.page.evaluate(
        "l => document.querySelector(`input[aria-label='${l}']`).getAttribute('aria-valuetext')",
        label,
    )
    assert float(after) > float(before)
    # each key press is a rerun: wait until the last one has reached the address
    tab.page.wait_for_function(
        "v => new URLSearchParams(location.search).get('r1_lr') === v", arg=after, timeout=30_000
    )
    assert tab.real_errors("Playground") == []
    tab.page.close()


# -- the screen as a teacher sees it: desktop, projector, phone ---------------------------------------
_MAP_GEOMETRY = """() => {
  const gd = document.querySelector('.race-map');
  const box = e => { if (!e) return null; const r = e.getBoundingClientRect();
                     return {x: r.x, y: r.y, w: r.width, h: r.height}; };
  const fl = gd._fullLayout, xa = fl.xaxis, ya = fl.yaxis;
  return {
    plot: box(gd.querySelector('.nsewdrag')),
    legend: box(gd.querySelector('.legend')),
    buttons: box(document.querySelector('.race-play')),
    slider: box(document.querySelector('.race-bar input[type=range]')),
    bar: box(document.querySelector('.race-bar')),
    xticks: [...gd.querySelectorAll('.xtick text')].map(box),
    xscale: xa._length / Math.abs(xa.range[1] - xa.range[0]),
    yscale: ya._length / Math.abs(ya.range[1] - ya.range[0]),
    dragmode: fl.dragmode,
    modebar: box(gd.querySelector('.modebar-btn')),
  };
}"""


def _overlap(a, b) -> bool:
    if a is None or b is None:
        return False
    return not (
        a["x"] + a["w"] <= b["x"] + 1
        or b["x"] + b["w"] <= a["x"] + 1
        or a["y"] + a["h"] <= b["y"] + 1
        or b["y"] + b["h"] <= a["y"] + 1
    )


def _map_geometry(tab) -> dict:
    _race_ready(tab.page)
    tab.page.wait_for_timeout(1500)
    return tab.page.evaluate(_MAP_GEOMETRY)


def _assert_clean_map(g: dict, where: str) -> None:
    assert abs(g["xscale"] / g["yscale"] - 1) < 0.02, (where, g["xscale"], g["yscale"])
    for name in ("legend", "buttons", "slider"):
        assert not _overlap(g[name], g["plot"]), (where, name, g[name], g["plot"])
    for tick in g["xticks"]:
        assert not _overlap(g["buttons"], tick) and not _overlap(g["slider"], tick), (where, tick)
    assert not _overlap(g["legend"], g["buttons"]), where


def test_desktop_the_map_is_large_to_scale_and_nothing_covers_it(server, browser):
    tab = Page(browser, server, size=(1440, 900)).open("Playground")
    g = _map_geometry(tab)
    tab.page.screenshot(path=str(SHOTS / "screen-desktop-1440x900.png"))
    _assert_clean_map(g, "desktop")
    assert g["plot"]["w"] >= 0.45 * 1440, g["plot"]
    assert tab.real_errors("Playground") == []
    tab.page.close()


def test_projector_the_map_and_its_learning_rate_are_above_the_fold(server, browser):
    tab = Page(browser, server, size=(1280, 720)).open("Playground?projector=1")
    g = _map_geometry(tab)
    tab.page.screenshot(path=str(SHOTS / "screen-projector-1280x720.png"))
    _assert_clean_map(g, "projector")
    assert g["plot"]["y"] >= 0 and g["plot"]["y"] + g["plot"]["h"] <= 720, g["plot"]
    assert g["bar"]["y"] + g["bar"]["h"] <= 720, g["bar"]  # the whole player
    eta = tab.page.locator("input[type='range'][aria-label='learning rate η (log scale)']").first
    box = eta.bounding_box()
    assert box is not None and 0 <= box["y"] and box["y"] + box["height"] <= 720, box
    font = tab.page.evaluate("() => getComputedStyle(document.documentElement).fontSize")
    assert font == "20px"  # projector mode is on, from the link
    tab.page.close()


def test_phone_starts_with_the_sidebar_closed_and_the_map_lets_the_page_scroll(server, browser):
    tab = Page(browser, server, size=(390, 844), phone=True).open("Playground")
    g = _map_geometry(tab)
    tab.page.screenshot(path=str(SHOTS / "screen-phone-390x844.png"))
    _assert_clean_map(g, "phone")
    assert g["dragmode"] is False  # a touch drag on the map scrolls the page
    assert g["modebar"] is None, g["modebar"]  # no toolbar over run 1's label
    assert g["plot"]["x"] >= 0 and g["plot"]["x"] + g["plot"]["w"] <= 390, g["plot"]
    covered = tab.page.evaluate(
        "() => { const s = document.querySelector('[data-testid=\"stSidebar\"]');"
        " if (!s) return 0; const r = s.getBoundingClientRect();"
        " return Math.max(0, Math.min(r.right, 390) - Math.max(r.left, 0)); }"
    )
    assert covered < 40, covered  # collapsed: it covered ~300 px (77 %) before
    tab.page.close()


def test_reset_resets_every_control_and_the_share_panel_stays_open(server, browser):
    """#14: the share panel closed after each class-link pick; "↺ Reset" left the steps slider at
    its old value and the table toggle on (the browser kept showing forgotten widgets' values)."""
    tab = Page(browser, server).open("Playground?steps=300&table=1")
    tab.wait_charts(3)
    steps = tab.page.locator("[data-testid='stSidebar'] input[type='range'][aria-label='steps']")
    assert steps.get_attribute("aria-valuetext") == "300"
    tab.page.get_by_text("🔗 Share this view").click()
    tab.page.locator("[data-testid='stSidebar'] [data-testid='stMultiSelect'] input").click()
    tab.page.get_by_role("option").first.click()
    tab.page.keyboard.press("Escape")
    tab.page.wait_for_timeout(2500)
    # the pick's rerun may still run on a busy machine: wait for its end, not a fixed time
    tab.page.wait_for_selector("[data-test-script-state='notRunning']", timeout=30_000)
    reset = tab.page.get_by_role("button", name="↺ Reset this page to its defaults")
    assert reset.is_visible()  # the panel is still open after the pick
    reset.click()
    tab.page.wait_for_function(
        "() => { const s = document.querySelector("
        "\"[data-testid='stSidebar'] input[type='range'][aria-label='steps']\");"
        " return s && s.getAttribute('aria-valuetext') === '150'; }",
        timeout=30_000,
    )
    tab.page.wait_for_timeout(2000)
    tab.page.wait_for_function("() => location.search === ''", timeout=30_000)  # the run's end
    table = tab.page.locator("label", has_text="Show the table").locator("input")
    assert not table.is_checked()
    assert tab.page.evaluate("location.search") == ""
    assert tab.real_errors("Playground") == []
    tab.page.close()


def test_the_share_panel_offers_a_question_once_opened(server, browser):
    """The question offer measures its truth only while the share panel is open (closed, it cost
    the SGD lab ~1 s of CPU on every run): opening the panel draws the offer."""
    tab = Page(browser, server).open("SGD")
    tab.wait_charts(1)
    make = tab.page.get_by_role("button", name="Make a self-paced link (homework)")
    assert make.count() == 0
    tab.page.get_by_text("🔗 Share this view").click()
    make.wait_for(timeout=30_000)
    assert make.is_visible()
    assert tab.real_errors("SGD") == []
    tab.page.close()


def test_the_momentum_labs_scrubber_moves_its_three_runs_together(server, browser):
    """η is one slider for GD, heavy ball and Nesterov: scrubbing it redraws all three paths."""
    tab = Page(browser, server).open("Momentum")
    _race_ready(tab.page)
    tab.page.wait_for_timeout(800)
    before = _paths(tab.page)
    assert len(before) == 3
    assert tab.page.locator(".race-scrub select").count() == 0  # tied runs: no run picker
    scrub = tab.page.locator("input.race-scrub-lr")
    scrub.focus()
    tab.page.keyboard.press("ArrowLeft")  # before the banks are here: drawn once they arrive
    tab.page.wait_for_function(
        """n => [...document.querySelectorAll('.race-map')].some((g) => g._fullData &&
             g._fullData.filter((t) => (t.name || '').includes('(scrubbed)')).length === n)""",
        arg=3,
        timeout=30_000,
    )  # each legend says it shows a scrubbed value
    after = _paths(tab.page)
    assert all(a[1] != b[1] for a, b in zip(after, before)), "a run did not move"
    assert tab.real_errors("Momentum") == []
    tab.page.close()


def test_a_student_answers_by_clicking_the_map_and_the_teacher_sees_the_count(server, browser):
    """#17: a question link hides the path after step 3; a click on the map is the answer; the
    reveal draws the student's point where they clicked and plays; the teacher page counts it."""
    from ui import tally

    key = tally.new_key()
    qid = tally.question_id(key)
    tally.Tally(DATA).open_question(
        qid, "pages/1_Playground.py", {"ask": "next", "q": qid, "ask_at": "3"}, "next"
    )
    query = f"ask=next&q={qid}&ask_at=3"
    tab = Page(browser, server, size=(1440, 1100)).open(f"Playground?{query}")
    _race_ready(tab.page)
    tab.page.get_by_text("Click on the map where").first.wait_for(timeout=30_000)
    shown = tab.page.evaluate(  # run 1's trail (the iso-lines are the map's first trace)
        "() => document.querySelector('.race-map')._fullData"
        ".find((t) => (t.name || '').startsWith('1.')).x.length"
    )
    assert shown == 4, "steps 0 to 3 only: the rest of the path is not in the browser"
    assert tab.page.locator(".race-loss .main-svg").count() == 0  # no curves before the answer
    tab.shot("question-student-before")
    box = tab.page.locator(".race-map .nsewdrag").first.bounding_box()
    clicked = tab.page.evaluate(
        """([fx, fy]) => { const fl = document.querySelector('.race-map')._fullLayout;
        return [fl.xaxis.p2c(fl.xaxis._length * fx), fl.yaxis.p2c(fl.yaxis._length * fy)]; }""",
        [0.62, 0.4],
    )
    tab.page.mouse.click(box["x"] + box["width"] * 0.62, box["y"] + box["height"] * 0.4)
    tab.page.get_by_text("Your answer:").first.wait_for(timeout=30_000)
    tab.page.wait_for_function(
        "() => document.querySelector('.race-map')._fullData.some(t => t.name === 'your prediction')",
        timeout=30_000,
    )
    star = tab.page.evaluate(
        """() => { const t = document.querySelector('.race-map')._fullData
            .find(t => t.name === 'your prediction'); return [t.x[0], t.y[0]]; }"""
    )
    span = tab.page.evaluate(
        "() => { const fl = document.querySelector('.race-map')._fullLayout;"
        " return fl.xaxis.range[1] - fl.xaxis.range[0]; }"
    )
    assert abs(star[0] - clicked[0]) < 0.01 * span and abs(star[1] - clicked[1]) < 0.01 * span
    last = tab.page.evaluate("() => +document.querySelector('.race-bar input[type=range]').max")
    assert last > 3, "the reveal sends the whole path (the player runs to step 150)"
    tab.page.wait_for_timeout(1500)
    tab.shot("question-student-revealed")
    # a reload is the same browser: it opens revealed, and cannot answer again
    tab.page.reload()
    tab.page.get_by_text("counted earlier from this browser").first.wait_for(timeout=30_000)
    assert tab.page.get_by_text("Commit this point").count() == 0
    assert tab.real_errors("Playground") == []
    tab.page.close()

    teacher = Page(browser, server, size=(1440, 1100)).open(f"Playground?{query}&teacher={key}")
    teacher.page.get_by_text("1 answer so far").first.wait_for(timeout=30_000)
    teacher.page.get_by_role("button", name="Show it here").click()
    teacher.page.get_by_text("Tally: 1 answer").first.wait_for(timeout=30_000)
    _race_ready(teacher.page)
    assert "teacher=" not in teacher.page.url, "the key leaves the address bar"
    assert teacher.page.evaluate(
        "() => document.querySelector('.race-map')._fullData.some(t => (t.name || '').startsWith(\"the class's clicks\"))"
    )
    teacher.shot("question-teacher")
    # live: another student answers (typing the point), the teacher's tally counts it unasked
    other = Page(browser, server, size=(1440, 1100)).open(f"Playground?{query}")
    other.page.locator("[data-testid=stForm] input").nth(0).fill("0.5")
    other.page.locator("[data-testid=stForm] input").nth(1).fill("0.5")
    other.page.get_by_role("button", name="Commit this point").click()
    other.page.get_by_text("Your answer:").first.wait_for(timeout=30_000)
    other.page.close()
    teacher.page.get_by_text("Tally: 2 answers").first.wait_for(timeout=20_000)
    teacher.page.wait_for_function(  # and the map's ✕ follow, without a reload
        "() => document.querySelector('.race-map')._fullData"
        '.some(t => t.name === "the class\'s clicks (2)")',
        timeout=20_000,
    )
    assert teacher.real_errors("Playground") == []
    teacher.page.close()


# -- the class loop (#26): one teacher, three students (one a phone), paced by the teacher ----------
_RUNS = """() => { const gd = document.querySelector('.race-map');
    if (!gd || !gd._fullData) return null;
    return gd._fullData.filter(t => /^run\\d+$/.test(t.legendgroup || '') && t.mode === 'lines+markers')
        .map(t => t.x.length); }"""


def _outcome_hidden(tab, own: str = "") -> None:
    """Nothing of the outcome in this page: each run's trail is its start only, no curves, no
    verdict, no theory sentence naming the answer, no right/wrong colours."""
    _race_ready(tab.page)
    trails = tab.page.evaluate(_RUNS)
    assert trails and all(n == 1 for n in trails), trails
    assert tab.page.locator(".race-loss .main-svg").count() == 0
    body = tab.page.locator("[data-testid='stMain']").inner_text().replace(own or "\0", "")
    for told in ("0.995", "Right.", "Not this time", "Tally:", "converges at", "Checked on all"):
        assert told not in body, told
    assert tab.page.locator("[data-testid='stAlertContentSuccess']").count() == 0


def test_a_class_paced_by_the_teacher_follows_hides_and_reveals_together(server, browser):

    teacher = Page(browser, server, size=(1280, 720)).open("?projector=1")
    teacher.page.get_by_role("button", name="Start a class").click()
    shown = teacher.page.get_by_text(re.compile(r"Join: [2-9A-Z]{6}")).first  # large, on the home
    shown.wait_for(timeout=30_000)
    code = re.search(r"Join: ([2-9A-Z]{6})", shown.inner_text()).group(1)
    qr = teacher.page.locator("img[alt^='QR code']").first  # segno's SVG, drawn
    qr.wait_for(timeout=10_000)
    assert qr.evaluate("i => i.complete && i.naturalWidth") > 100
    teacher.page.get_by_text(f"{server}/?class={code}").first.wait_for(timeout=5_000)
    teacher.shot("class-teacher-home")
    # the lesson: a preset and the learning-rate question, from the gallery
    teacher.page.get_by_role("button", name="📋").click()  # the sidebar is folded away
    teacher.page.get_by_role("link", name="Ready questions and presets to add").click()
    teacher.page.get_by_role("button", name="＋ Add to the lesson").first.wait_for(timeout=30_000)
    teacher.page.get_by_role("button", name="＋ Add to the lesson").nth(0).click()  # ready question
    teacher.page.wait_for_timeout(1500)
    students = [
        Page(browser, server, size=(1440, 900)).open(f"?class={code}"),
        Page(browser, server, size=(1440, 900)).open(f"?class={code.lower()}"),
        Page(browser, server, size=(390, 844), phone=True).open(f"?class={code}"),
    ]
    for s in students:
        s.page.get_by_text("following your teacher").first.wait_for(timeout=30_000)
    # ▶ with the keyboard (PageDown, a clicker's key): everyone opens the question
    teacher.page.locator("body").press("PageDown")
    t0 = time.monotonic()
    for i, tab in enumerate((teacher, *students)):  # a hang detector: the time is recorded
        # (13.4 s beside the server tests here, 7.4–11.3 s in CI once, over 30 s in CI twice,
        # and once never: a student's live watcher stopped after one lost rerun; it asks again)
        try:
            tab.page.wait_for_function(
                "() => /Learning-rate lab/.test(document.querySelector('h1')?.innerText || '')",
                timeout=90_000,
            )
        except Exception as err:
            tab.shot(f"class-stuck-screen-{i}")
            h1 = tab.page.evaluate("() => document.querySelector('h1')?.innerText")
            raise AssertionError(
                f"screen {i} (0: the teacher) did not follow; shows {h1!r}"
            ) from err
    followed = time.monotonic() - t0
    for tab in (teacher, *students):
        _outcome_hidden(tab)
    teacher.shot("class-teacher-asking-1280x720")
    students[2].shot("class-phone-asking-390x844")
    for s in students:  # each waits with the live-file watcher, not a script timer
        assert s.page.locator(".st-key-class_live").count() == 1
    for s, value in zip(students, ("0.99", "0.995", "1.5")):
        box = s.page.get_by_label("Largest η that still converges")
        box.fill(value)
        s.page.get_by_role("button", name="Commit my answer").click()
        s.page.get_by_text("Your answer is in").first.wait_for(timeout=30_000)
        _outcome_hidden(s, own=f"Your answer is in: {value}")
    teacher.page.get_by_text("3 answers so far").first.wait_for(timeout=20_000)
    _outcome_hidden(teacher)
    # Reveal (V): every screen plays the outcome within 5 s
    teacher.page.locator("body").press("v")
    t0 = time.monotonic()
    for s in students:
        s.page.get_by_text("Your answer:").first.wait_for(timeout=15_000)
        s.page.wait_for_function(f"() => ({_RUNS})().every(n => n > 1)", timeout=15_000)
    revealed = time.monotonic() - t0  # measured, not asserted (a shared machine is noisy)
    verdicts = [s.page.get_by_text("Right.").count() > 0 for s in students]
    assert verdicts == [False, True, False]
    teacher.page.get_by_text("Tally: 3 answers, 1 right").first.wait_for(timeout=15_000)
    teacher.page.wait_for_timeout(1000)
    teacher.shot("class-teacher-revealed-1280x720")
    students[2].shot("class-phone-revealed-390x844")
    # the teacher key is on no page, the projected one included
    for tab in (teacher, *students):
        assert "teacher=" not in tab.page.content() and "teacher=" not in tab.page.url
    (SHOTS.parent / "class-timing.txt").write_text(
        f"follow: every screen on the question {followed:.1f} s after PageDown\n"
        f"reveal: every student's outcome {revealed:.1f} s after V\n"
    )
    for tab in (teacher, *students):
        assert tab.real_errors() == [], tab.real_errors()
        tab.page.close()


LAB_QUESTIONS = [
    ("pages/1_Playground.py", {"runs": "gd,momentum", "ask": "first"}),
    ("pages/2_Learning_rate.py", {"ask": "max_lr"}),
    ("pages/3_Momentum.py", {"eta": "10", "beta": "0.2", "ask": "first"}),
    ("pages/5_Adaptive.py", {"ask": "first"}),
    ("pages/6_SGD.py", {"ask": "regime"}),
]


@pytest.mark.parametrize(("path", "query"), LAB_QUESTIONS, ids=lambda v: str(v)[:24])
def test_each_labs_question_fits_a_projector_screen(server, browser, path, query):
    """#26: at 1280×720 in projector mode the teacher's question screen holds the question, the
    map with its player and the answer count without scrolling, and nothing floats over it."""
    from ui import tally

    key = tally.new_key()
    qid = tally.question_id(key)
    q = {**query, "q": qid}
    tally.Tally(DATA).open_question(qid, path, q, q["ask"])
    url = "&".join(f"{k}={v}" for k, v in {**q, "teacher": key, "projector": "1"}.items())
    tab = Page(browser, server, size=(1280, 720)).open(f"{_url_name(path)}?{url}")
    _race_ready(tab.page)
    tab.page.get_by_text("answers so far").first.wait_for(timeout=30_000)
    tab.page.wait_for_timeout(800)
    tab.shot(f"projector-question-{Path(path).stem}")
    _outcome_hidden(tab)
    for what in (".race-map", ".race-bar"):
        box = tab.page.locator(what).first.bounding_box()
        assert box and box["y"] >= 0 and box["y"] + box["height"] <= 720, (what, box)
    main = tab.page.locator("[data-testid='stMain']")
    for text in ("answers so far", "❓"):
        box = main.get_by_text(text).first.bounding_box()
        assert box and box["y"] + box["height"] <= 720, (text, box)
    assert tab.real_errors(_url_name(path)) == []
    tab.page.close()


def test_a_sections_slider_reruns_its_section_alone_and_the_address_follows(server, browser):
    """#29: the Learning-rate lab's first section is a fragment: its η slider reruns and resends
    that section only (the second section's race view is not touched), the address holds the new
    η, and with the share panel open the panel's link follows too (the whole page reruns then)."""
    tab = Page(browser, server).open("Learning_rate")
    _race_ready(tab.page)
    tab.page.wait_for_timeout(1500)
    ready = "() => document.querySelector('.race').dataset.ready"
    before = tab.page.evaluate(ready)
    eta = tab.page.locator("input[type='range'][aria-label='step size η']")
    eta.focus()
    tab.page.keyboard.press("ArrowRight")
    tab.page.wait_for_function(
        "() => new URLSearchParams(location.search).get('eta') !== null", timeout=30_000
    )
    value = eta.get_attribute("aria-valuetext")  # "0.3050": the slider's format
    address = tab.page.evaluate("() => new URLSearchParams(location.search).get('eta')")
    assert float(address) == float(value)
    tab.page.wait_for_timeout(1500)
    assert tab.page.evaluate(ready) == before, "section 2's race view was redrawn"
    tab.page.get_by_text("🔗 Share this view").click()
    tab.page.wait_for_timeout(1000)
    eta.focus()
    tab.page.keyboard.press("ArrowRight")
    new = tab.page.wait_for_function(
        """v => { const e = document.querySelector("input[type='range'][aria-label='step size η']");
              return e && e.getAttribute('aria-valuetext') !== v && e.getAttribute('aria-valuetext'); }""",
        arg=value,
        timeout=30_000,
    ).json_value()
    link = tab.page.locator("[data-testid='stSidebar'] code").first
    link.wait_for(timeout=10_000)
    tab.page.wait_for_function(
        "v => [...document.querySelectorAll(\"[data-testid='stSidebar'] code\")]"
        ".some((c) => c.innerText.includes('eta=' + v))",
        arg=f"{float(new):g}",
        timeout=30_000,
    )
    assert tab.real_errors("Learning_rate") == []
    tab.page.close()
