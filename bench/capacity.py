"""Capacity benchmark (#29): what a lecture costs one small server, against a floor page, in one run.

    python -m bench.capacity            # --quick: fewer rounds, 10 students instead of 30

It starts the app and a *floor page* (one slider, one chart: the cheapest a Streamlit page answers)
and drives both over their websockets, as browsers do (it names the big messages it already holds,
so the server sends references for them, and reruns a fragment alone when its widget is in one):

* **slider step**, every page: one step of the page's main slider and back, ``rounds`` times:
  the time until the server's run (or fragment) finished and was streamed, and the bytes sent,
  p50 over rounds, as a ratio to the floor page's own slider measured in the same rounds;
* **a class arriving at once**, the server pinned to one core (``taskset -c 0``): ``students``
  sessions open the class's view at the same instant; the last one's time to a finished run, the
  bytes of a first render, the server CPU and RSS per session, against the same on the floor;
* **leaving**: file descriptors and threads of each server idle, with the students connected,
  and a few seconds after they all left.

Times are wall-clock on a shared machine: compare the ratios printed in one run, never across runs.
Nothing is asserted (figures belong in notes).
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import threading
import time
from pathlib import Path

from bench.interaction import FLOOR
from tests.wsclient import (
    ROOT,
    Server,
    Session,
    proc_cpu_seconds,
    proc_rss_mb,
    proc_threads,
    settle,
)
from ui import tally

# page URL name -> the key (suffix) of the slider a student moves first on it
PAGES = {
    "Playground": "_lr",
    "Learning_rate": "lr_eta",
    "Momentum": "mo_eta",
    "Sweep": "sw_steps",
    "Adaptive": "ad_eta1",
    "SGD": "sg_lr",
    "Network": "_lr",
}


def _fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def _slider(run, key: str):
    """The slider whose key ends with ``key`` (the first one if none does)."""
    for k, s in run.sliders.items():
        if k.endswith(key):
            return s
    return next(iter(run.sliders.values()), None)


def _values(s) -> tuple[list, list]:
    """The slider's value now and one step from it, as the browser sends them."""
    if s.options:
        i = int(s.value[0])
        j = i + 1 if i + 1 < len(s.options) else i - 1
        return [s.options[i]], [s.options[j]]
    v = s.value[0]
    w = v + s.step if v + s.step <= s.hi else v - s.step
    return [v], [w]


def slider_steps(port: int, page: str, key: str, rounds: int) -> tuple[list[float], list[int]]:
    """``rounds`` steps of the slider ``key`` on ``page`` (and back): seconds and bytes each."""
    s = Session(port)
    try:
        first = s.open(page)
        sl = _slider(first, key)
        if sl is None:
            raise RuntimeError(f"{page}: no slider")
        here, there = _values(sl)
        # a browser sends every widget's value with each rerun: every slider's, at least
        states = {w.id: _values(w)[0] for w in first.sliders.values()}
        times, sizes = [], []
        for r in range(2 * rounds):
            states[sl.id] = there if r % 2 == 0 else here
            s.send(page, s.query, values=states, fragment=sl.fragment)
            run = s.wait()
            if run.exceptions:
                raise RuntimeError(f"{page}: {run.exceptions[0]}")
            times.append(run.seconds)
            sizes.append(run.received)
        return times, sizes
    finally:
        s.close()


def arrival(port: int, pid: int, page: str, query: str, students: int) -> dict[str, float]:
    """``students`` sessions open ``page?query`` at the same instant."""
    sessions = [Session(port) for _ in range(students)]
    times = [0.0] * students
    sizes = [0] * students
    gate = threading.Barrier(students)

    def one(i: int) -> None:
        gate.wait()
        run = sessions[i].open(page, query)
        times[i], sizes[i] = run.seconds, run.received

    fds0, threads0 = _fds(pid), proc_threads(pid)
    rss0, cpu0 = proc_rss_mb(pid), proc_cpu_seconds(pid)
    workers = [threading.Thread(target=one, args=(i,)) for i in range(students)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    cpu1 = proc_cpu_seconds(pid)
    time.sleep(2)
    rss1, fds1, threads1 = proc_rss_mb(pid), _fds(pid), proc_threads(pid)
    for s in sessions:
        s.close()
    time.sleep(5)
    return {
        "last": max(times),
        "p50": statistics.median(times),
        "kB": statistics.median(sizes) / 1e3,
        "cpu": (cpu1 - cpu0) / students,
        "MB": (rss1 - rss0) / students,
        "fds": (fds0, fds1, _fds(pid)),
        "threads": (threads0, threads1, proc_threads(pid)),
    }


def held(port: int, pid: int, sessions: int, page: str = "Playground") -> tuple[float, float]:
    """RSS (MB) of the server idle and with ``sessions`` sessions open on ``page`` (opened a few
    at a time, as a class arrives over a minute, and held)."""
    import concurrent.futures

    rss0 = proc_rss_mb(pid)
    open_ = []

    def one(_: int) -> Session:
        s = Session(port)
        s.open(page)
        return s

    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        open_ = list(pool.map(one, range(sessions)))
    time.sleep(2)
    rss1 = proc_rss_mb(pid)
    for s in open_:
        s.close()
    return rss0, rss1


# the slider a person moves first on each page, by its label (as the browser names it)
LABELS = {
    "Playground": "learning rate η (log scale)",
    "Learning_rate": "step size η",
    "Momentum": "η",
    "Sweep": "steps per run",
    "Adaptive": "η (all three)",
    "SGD": "η₀",
    "Network": "steps",
    "": "n",  # the floor page
}
QUIET = """(ms) => new Promise((done) => {
  let last = performance.now();
  const seen = new MutationObserver(() => { last = performance.now(); });
  seen.observe(document.body, { subtree: true, childList: true, attributes: true,
                                characterData: true });
  const start = window.__pressed;
  const tick = () => {
    if (performance.now() - last >= ms) { seen.disconnect(); done(last - start); }
    else setTimeout(tick, 50);
  };
  tick();
})"""


def browser_steps(url: str, label: str, rounds: int) -> tuple[list[float], list[int]]:
    """In headless Chromium: one step of the slider ``label`` (the keyboard, as a person does)
    and back, ``rounds`` times: the time from the key press until the page stopped changing
    (no change in the document for 0.5 s: every figure redrawn, every element in place), and
    the websocket bytes received."""
    from playwright.sync_api import sync_playwright

    times, sizes = [], []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_page(viewport={"width": 1440, "height": 900})
        got = [0]

        def on_ws(ws):
            ws.on("framereceived", lambda f: got.__setitem__(0, got[0] + len(f)))

        page.on("websocket", on_ws)
        page.goto(url)
        slider = page.locator(f"input[type='range'][aria-label='{label}']").first
        slider.wait_for(timeout=90_000)
        page.evaluate(QUIET.replace("window.__pressed", "performance.now()"), 1500)
        for i in range(2 * rounds):
            slider.focus()
            before = got[0]
            page.evaluate("() => { window.__pressed = performance.now(); }")
            page.keyboard.press("ArrowRight" if i % 2 == 0 else "ArrowLeft")
            times.append(page.evaluate(QUIET, 500) / 1e3)
            sizes.append(got[0] - before)
        browser.close()
    return times, sizes


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument(
        "--class-rounds", type=int, default=3, help="alternating floor/class arrivals (median)"
    )
    ap.add_argument(
        "--browser", action="store_true", help="also each page's step in Chromium (slower)"
    )
    ap.add_argument("--no-class", action="store_true", help="skip the class arriving at once")
    ap.add_argument("--pages", default="", help="comma-separated page names to step (default: all)")
    ap.add_argument(
        "--hold", type=int, default=0, help="also hold this many Playground sessions open (RSS)"
    )
    ap.add_argument(
        "--root", type=Path, default=ROOT, help="the checkout to serve (another commit's worktree)"
    )
    args = ap.parse_args()
    rounds, students = (3, 10) if args.quick else (8, 30)
    pages = [p for p in args.pages.split(",") if p] or list(PAGES)
    store = tempfile.mkdtemp(prefix="descent-lab-capacity-")
    with tempfile.TemporaryDirectory() as tmp:
        floor_script = Path(tmp) / "floor.py"
        floor_script.write_text(FLOOR)
        env = {tally.ENV: store, "DESCENT_LAB_LIVE": "off"}
        one_core = ("taskset", "-c", "0")
        print(
            f"# bench.capacity: {rounds} rounds a page, {students} students arriving at once; "
            f"the app from {args.root}"
        )

        # -- a class arriving at once, each server alone on one core --------------------------
        if not args.no_class:
            code = tally.class_code(key := tally.new_key())
            t = tally.Tally(store)
            t.open_class(key)
            t.set_lesson(code, [{"page": "pages/1_Playground.py", "query": {}, "title": "bowl"}], 0)
            # floor and class alternate, each round on fresh servers: the floor's own last
            # student varied 0.5–2.2 s between runs here, so one pair is not a ratio to trust
            rounds_of: dict[str, list[dict]] = {"floor": [], "class": []}
            for _ in range(args.class_rounds):
                for name, script, page, query in (
                    ("floor", str(floor_script), "", ""),
                    ("class", "app.py", "", f"class={code}"),
                ):
                    root = args.root if name == "class" else ROOT
                    server = Server(env=env, script=script, prefix=one_core, root=root)
                    try:
                        warm = Session(server.port)  # the server's own first run (imports) aside
                        warm.open(page, query)
                        warm.close()
                        settle(server.pid)  # and its one-off warm-up (the gallery's pictures)
                        rounds_of[name].append(
                            arrival(server.port, server.pid, page, query, students)
                        )
                    finally:
                        server.stop()
            ratios = [
                (c["last"] / f["last"], c["cpu"] / f["cpu"])
                for f, c in zip(rounds_of["floor"], rounds_of["class"])
            ]
            last_ratio = statistics.median(r[0] for r in ratios)
            cpu_ratio = statistics.median(r[1] for r in ratios)
            rows = {n: rs[-1] for n, rs in rounds_of.items()}
            c = rows["class"]
            print(
                f"\n## {students} students open the class link at once (server on one core; "
                f"{args.class_rounds} alternating rounds, the last shown)"
            )
            print("| | last served | p50 | first render | CPU / session | RSS / session |")
            print("|---|---|---|---|---|---|")
            for name, r in rows.items():
                print(
                    f"| {name} | {r['last']:.2f} s | {r['p50']:.2f} s | {r['kB']:.0f} kB | "
                    f"{r['cpu'] * 1e3:.0f} ms | {r['MB']:.2f} MB |"
                )
            print(
                "last served, class/floor, each round: "
                + ", ".join(
                    f"{a:.2f}× ({f['last']:.2f} s floor)"
                    for (a, _), f in zip(ratios, rounds_of["floor"])
                )
            )
            print(
                f"ratios (median of rounds): last {last_ratio:.2f}× (goal ≤ 2×), CPU {cpu_ratio:.2f}×; "
                f"first render {c['kB']:.0f} kB (goal ≤ 300 kB), {c['MB']:.2f} MB a session (goal ≤ 3)"
            )
            for name, r in rows.items():
                print(
                    f"{name}: fds idle/connected/left {r['fds']}, threads {r['threads']} "
                    "(goal: left = idle)"
                )

        if args.hold:
            server = Server(env=env, root=args.root)
            try:
                warm = Session(server.port)
                warm.open("Playground")
                warm.close()
                settle(server.pid)
                rss0, rss1 = held(server.port, server.pid, args.hold)
            finally:
                server.stop()
            print(
                f"\n{args.hold} Playground sessions held open: RSS {rss0:.0f} MB idle (after one "
                f"session) → {rss1:.0f} MB, {(rss1 - rss0) / args.hold:.2f} MB a session "
                "(goal: 300 sessions within 1.5 GB)"
            )

        # -- a slider step on every page, interleaved with the floor's -----------------------
        print("\n## One slider step (server run + streaming, p50 of rounds; bytes per step)")
        print("| page | step | ratio to floor | bytes | goal ≤ 3× and ≤ 150 kB |")
        print("|---|---|---|---|---|")
        app = Server(env=env, root=args.root)
        floor = Server(script=str(floor_script))
        try:
            first = Session(app.port)  # the server's first run starts its one-off warm-up
            first.open("")
            first.close()
            settle(app.pid)
            for page, key in ((p, PAGES[p]) for p in pages):
                slider_steps(app.port, page, key, 1)  # warm this page's caches
                ts, bs, fts = [], [], []
                for _ in range(rounds):  # interleaved: a busy moment hits both alike
                    t_app, b_app = slider_steps(app.port, page, key, 1)
                    t_floor, _ = slider_steps(floor.port, "", "n", 1)
                    ts += t_app
                    bs += b_app
                    fts += t_floor
                ratio = statistics.median(ts) / statistics.median(fts)
                kb = statistics.median(bs) / 1e3
                ok = "✓" if ratio <= 3 and kb <= 150 else "✗"
                print(
                    f"| {page} | {statistics.median(ts) * 1e3:.0f} ms | {ratio:.2f}× | "
                    f"{kb:.1f} kB | {ok} |"
                )
            _, fb = slider_steps(floor.port, "", "n", rounds)
            print(
                f"| floor | {statistics.median(fts) * 1e3:.0f} ms | 1× | {statistics.median(fb) / 1e3:.1f} kB | |"
            )
            if args.browser:
                print("\n## One slider step in Chromium: key press → the page stops changing")
                print("| page | settled | ratio to floor | bytes |")
                print("|---|---|---|---|")
                url = f"http://127.0.0.1:{floor.port}/"
                ft, fb_ = browser_steps(url, LABELS[""], rounds)
                for page in pages:
                    bt, bb = browser_steps(
                        f"http://127.0.0.1:{app.port}/{page}", LABELS[page], rounds
                    )
                    ft2, _ = browser_steps(url, LABELS[""], max(1, rounds // 2))  # interleaved
                    ft += ft2
                    print(
                        f"| {page} | {statistics.median(bt) * 1e3:.0f} ms | "
                        f"{statistics.median(bt) / statistics.median(ft):.2f}× | "
                        f"{statistics.median(bb) / 1e3:.1f} kB |"
                    )
                print(
                    f"| floor | {statistics.median(ft) * 1e3:.0f} ms | 1× | {statistics.median(fb_) / 1e3:.1f} kB |"
                )
        finally:
            app.stop()
            floor.stop()


if __name__ == "__main__":
    main()
