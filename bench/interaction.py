"""Interaction benchmark (#13): what a person waits for, in headless Chromium, against a floor page.

Run with ``python -m bench.interaction`` (``--quick`` for fewer repeats). It starts two servers, the
app and a *floor page* (one slider, one Plotly chart: the fastest a Streamlit page answers), and
measures in one run, so the ratios are comparable even on a busy machine:

* the in-figure scrub: input event → the map redrawn and painted (p50, p90), websocket messages sent;
* a server-side change (run 1's η from the keyboard): websocket bytes received, and time until
  every visible chart is redrawn, against the floor page's slider → chart;
* a new browser context → first chart (a warm server), and a fresh server → first chart (cold);
* the default page's payload, and the server's rerun time after a slider change (AppTest).

Times are wall-clock on a shared machine: compare the ratios printed in one run, never across runs.
"""

from __future__ import annotations

import argparse
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
FLOOR = """import streamlit as st
st.title("floor")
n = st.slider("n", 1, 200, 100, key="n")
st.plotly_chart({"data": [{"type": "scatter", "y": [(i * 37) % n for i in range(n)]}],
                 "layout": {"height": 400}})
"""
FIRST_CHART = "() => [...document.querySelectorAll('.js-plotly-plot')].some(g => g._fullLayout)"


def _p(ts: list[float], q: float) -> float:
    ts = sorted(ts)
    return ts[min(len(ts) - 1, int(q * (len(ts) - 1) + 0.5))]


@contextmanager
def _server(script: Path):
    """``streamlit run script`` on a free port: (its URL, seconds until healthy, its PID)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [
            *(sys.executable, "-m", "streamlit", "run", str(script), "--server.headless", "true"),
            *("--server.port", str(port), "--server.address", "127.0.0.1"),
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    try:
        while True:
            try:
                if urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health").read():
                    break
            except OSError:
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}", time.perf_counter() - t0, proc.pid
    finally:
        proc.terminate()
        proc.wait()


class _Tab:
    """A page in a fresh browser context, counting websocket bytes both ways."""

    def __init__(self, browser, url: str):
        self.context = browser.new_context(viewport={"width": 1440, "height": 1000})
        self.page = self.context.new_page()
        self.received = 0
        self.sent = 0
        self.page.on("websocket", self._ws)
        t = time.perf_counter()
        self.page.goto(url)
        self.page.wait_for_function(FIRST_CHART, timeout=90_000)
        self.first_chart = time.perf_counter() - t

    def _ws(self, ws) -> None:
        def size(f) -> int:
            return len(f) if isinstance(f, (bytes, str)) else 0

        ws.on("framereceived", lambda f: setattr(self, "received", self.received + size(f)))
        ws.on("framesent", lambda f: setattr(self, "sent", self.sent + size(f)))

    def close(self) -> None:
        self.context.close()


def _first_chart(browser, url: str, n: int) -> list[float]:
    out = []
    for _ in range(n):
        tab = _Tab(browser, url)
        out.append(tab.first_chart)
        tab.close()
    return out


def _floor_change(browser, url: str, n: int) -> tuple[list[float], list[int]]:
    """Floor page: the slider moves one step → its one chart is drawn anew (a remount)."""
    tab = _Tab(browser, url)
    tab.page.wait_for_timeout(800)
    times, sizes = [], []
    slider = tab.page.locator("input[type=range]").first
    for i in range(n):
        tab.page.evaluate("() => document.querySelector('.js-plotly-plot').__old = true")
        before = tab.received
        slider.focus()
        t = time.perf_counter()
        tab.page.keyboard.press("ArrowLeft" if i % 2 else "ArrowRight")
        tab.page.wait_for_function(
            "() => [...document.querySelectorAll('.js-plotly-plot')]"
            ".some(g => !g.__old && g._fullLayout)",
            timeout=60_000,
        )
        times.append(time.perf_counter() - t)
        tab.page.wait_for_timeout(300)
        sizes.append(tab.received - before)
    tab.close()
    return times, sizes


def _playground_change(browser, url: str, n: int) -> tuple[list[float], list[int]]:
    """Playground: run 1's η one grid step → the race view (map, curves) redrawn in place."""
    tab = _Tab(browser, f"{url}/Playground")
    tab.page.wait_for_timeout(4000)
    race = tab.page.locator(".race[data-ready]").count() > 0  # else: the st.plotly_chart version
    eta = tab.page.locator("input[type='range'][aria-label='learning rate η (log scale)']").first
    times, sizes = [], []
    for i in range(n):
        ready = tab.page.evaluate(
            "() => { const r = document.querySelector('.race'); if (r) return r.dataset.ready;"
            " const g = [...document.querySelectorAll('.js-plotly-plot')];"
            " g.forEach(x => x.__old = true); return g.length; }"
        )
        before = tab.received
        eta.focus()
        t = time.perf_counter()
        tab.page.keyboard.press("ArrowLeft" if i % 2 == 0 else "ArrowRight")
        tab.page.wait_for_function(
            "([race, r]) => race ? document.querySelector('.race').dataset.ready !== r"
            " : [...document.querySelectorAll('.js-plotly-plot')]"
            ".filter(g => !g.__old && g._fullLayout).length >= r",
            arg=[race, ready],
            timeout=60_000,
        )
        times.append(time.perf_counter() - t)
        if race:
            RENDER.append(
                float(tab.page.evaluate("document.querySelector('.race').dataset.renderMs"))
            )
        tab.page.wait_for_timeout(400)
        sizes.append(tab.received - before)
    tab.close()
    return times, sizes


RENDER: list[float] = []  # the race view's own redraw after a rerun (ms, browser clock)


def _scrub(browser, url: str, n: int) -> tuple[list[float], int, int]:
    """In-figure scrub: input event → the map's animation done (``plotly_animated``) → the next
    frame; websocket frames sent meanwhile."""
    tab = _Tab(browser, f"{url}/Playground")
    tab.page.wait_for_selector(".race[data-ready]", timeout=90_000)
    tab.page.wait_for_timeout(1500)
    sent = tab.sent
    ts = tab.page.evaluate(
        """async (n) => { const out = []; const e = document.querySelector('input.race-scrub-lr');
        const gd = document.querySelector('.race-map');
        for (let i = 0; i < n; i++) {
          const drawn = new Promise(r => gd.once('plotly_animated', r));
          const t = performance.now();
          e.value = +e.value + (i % 20 < 10 ? -1 : 1);
          e.dispatchEvent(new Event('input'));
          await drawn;  // the map holds the new path ...
          await new Promise(r => requestAnimationFrame(() => r()));  // ... and the frame shows it
          out.push(performance.now() - t);
          await new Promise(r => setTimeout(r, 120));
        } return out; }""",
        n,
    )
    messages = tab.sent - sent
    payload = tab.received
    tab.close()
    return [t / 1e3 for t in ts], messages, payload


def _server_rerun(n: int) -> tuple[list[float], int]:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    at.switch_page("pages/1_Playground.py")
    at.run()
    size = sum(len(e.proto.json) for e in at.get("bidi_component"))
    size += sum(len(c.proto.spec) for c in at.get("plotly_chart"))
    lrs = [0.47, 0.56, 0.68, 0.82, 1.0, 1.2, 1.5, 1.8]
    times = []
    for i in range(n):
        at.select_slider(key="pg_r0_gd_lr").set_value(lrs[i % len(lrs)])
        t = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - t)
    return times, size


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    n = 6 if args.quick else 12
    if not Path(CHROMIUM).exists():
        print(f"skipped: no {CHROMIUM}")
        return
    from playwright.sync_api import sync_playwright

    reruns, payload = _server_rerun(n)
    ms = lambda ts: statistics.median(ts) * 1e3  # noqa: E731
    print("Server (AppTest): the default Playground")
    print(f"  payload, race view + charts: {payload / 1e3:.0f} kB (target ≤ 1000 kB)")
    print(f"  rerun after an η change: median {ms(reruns[1:]):.0f} ms (target ≤ 100 ms)")

    with tempfile.TemporaryDirectory() as tmp:
        floor_script = Path(tmp) / "floor.py"
        floor_script.write_text(FLOOR)
        with (
            _server(floor_script) as (floor, floor_boot, _),
            _server(ROOT / "app.py") as (app, app_boot, _),
            sync_playwright() as p,
        ):
            browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            cold_app = _first_chart(browser, f"{app}/Playground", 1)[0] + app_boot
            cold_floor = _first_chart(browser, floor, 1)[0] + floor_boot
            warm_app = _first_chart(browser, f"{app}/Playground", max(3, n // 3))
            warm_floor = _first_chart(browser, floor, max(3, n // 3))
            f_times, f_bytes = _floor_change(browser, floor, n)
            p_times, p_bytes = _playground_change(browser, app, n)
            s_times, s_messages, s_load = _scrub(browser, app, 3 * n)
            browser.close()

    print("In-figure scrub of η (Playground, 3 runs × 150 steps, headless Chromium)")
    print(
        f"  input → map redrawn → next frame: p50 {ms(s_times):.0f} ms, p90 "
        f"{_p(s_times, 0.9) * 1e3:.0f} ms over {len(s_times)} (target p50 ≤ 50 ms); "
        f"websocket messages sent: {s_messages} (target 0)"
    )
    print(f"  page load received over the websocket: {s_load / 1e3:.0f} kB")
    print("A server-side change (run 1's η, one grid step, from the keyboard)")
    print(
        f"  websocket bytes received: median {statistics.median(p_bytes) / 1e3:.0f} kB "
        f"(target ≤ 150 kB); floor page {statistics.median(f_bytes) / 1e3:.1f} kB"
    )
    print(
        f"  slider → every visible chart redrawn: p50 {ms(p_times):.0f} ms against the floor "
        f"page's {ms(f_times):.0f} ms = {statistics.median(p_times) / statistics.median(f_times):.2f}× "
        "(target ≤ 3×)"
    )
    if RENDER:
        print(
            f"  of which the race view's redraw in place: median {statistics.median(RENDER):.0f} ms"
        )
    print("Loading (new browser context → first chart)")
    print(
        f"  warm server: Playground {ms(warm_app):.0f} ms, floor {ms(warm_floor):.0f} ms = "
        f"{statistics.median(warm_app) / statistics.median(warm_floor):.2f}× (target ≤ 1.5×)"
    )
    print(
        f"  cold (server start included): Playground {cold_app:.2f} s, floor {cold_floor:.2f} s "
        f"= {cold_app / cold_floor:.2f}× (target ≤ 2×)"
    )


if __name__ == "__main__":
    main()
