"""App benchmark: payload, rerun time, figure-building cost and cold start, printed, never asserted.

Run with ``python -m ui.bench`` (``--quick`` for fewer repeats, ``--no-browser`` to skip the cold
start measured in Chromium). Times are wall-clock on a shared machine: compare the ratios printed
side by side in one run, not the absolute values across runs.
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
PG = "pages/1_Playground.py"


def _median(ts: list[float]) -> float:
    return statistics.median(ts) * 1e3


def payload_and_reruns(repeat: int) -> None:
    from streamlit.testing.v1 import AppTest

    t0 = time.perf_counter()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    at.switch_page(PG)
    at.run()
    first = time.perf_counter() - t0
    sizes = [len(c.proto.spec) for c in at.get("plotly_chart")]
    kinds = []
    for c in at.get("plotly_chart"):
        lay = json.loads(c.proto.spec)["layout"]
        spec = json.loads(c.proto.spec)
        animated = "frames" in spec
        kinds.append(
            ("contour" if animated else "inspector")
            if lay.get("images")
            else "3d"
            if "scene" in lay
            else "curve"
        )
    print("Default playground (quadratic κ=10, GD + momentum + Adam, 150 steps)")
    print(f"  first run in AppTest (imports, caches cold): {first * 1e3:.0f} ms")
    for k, s in zip(kinds, sizes):
        print(f"  payload {k:8s} {s / 1e3:8.1f} kB")
    print(f"  payload total    {sum(sizes) / 1e3:8.1f} kB  (issue bound: 1000 kB)")

    lrs = [0.47, 0.56, 0.68, 0.82, 1.0, 1.2]
    miss, hit = [], []
    for i in range(repeat):
        # a value not seen yet: engine and figures recomputed (cache miss)
        slider = at.select_slider(key="pg_r0_gd_lr")
        slider.set_value(lrs[i % len(lrs)])
        t = time.perf_counter()
        at.run()
        (hit if i >= len(lrs) else miss).append(time.perf_counter() - t)
    steps = at.slider(key="pg_steps")
    big = []
    for v in (1000, 990, 980)[: max(1, repeat // 3)]:
        steps.set_value(v)
        t = time.perf_counter()
        at.run()
        big.append(time.perf_counter() - t)
    print("Server-side rerun after a slider change (AppTest: script run + element serialisation)")
    print(f"  new η (engine + figures):      median {_median(miss):6.0f} ms over {len(miss)}")
    if hit:
        print(f"  η seen before (cached run):    median {_median(hit):6.0f} ms over {len(hit)}")
    print(f"  1000 steps (thinned frames):   median {_median(big):6.0f} ms over {len(big)}")
    sizes = [len(c.proto.spec) for c in at.get("plotly_chart")]
    print(f"  payload at 1000 steps, 3 runs: {sum(sizes) / 1e3:.0f} kB")
    while len(at.session_state["pg_slots"]) < 8:
        at.button(key="pg_add").click().run()
    sizes = [len(c.proto.spec) for c in at.get("plotly_chart")]
    print(f"  payload at 1000 steps, 8 runs: {sum(sizes) / 1e3:.0f} kB")


def figure_costs(repeat: int) -> None:
    import plotly.graph_objects as go

    import optim
    import viz
    from surfaces import get_surface

    s = get_surface("quadratic")
    specs = [
        optim.RunSpec(n, [s.starts[0]], {"lr": lr})
        for n, lr in (("gd", 1.0), ("momentum", 0.1), ("adam", 0.1))
    ]

    def engine():
        return optim.run_many(s, specs, 150)

    trajs = engine()
    views = viz.run_views(trajs, s)
    bg = viz.png_data_uri(viz.field_png(s.mesh(300)[2]))
    mesh = s.mesh(60)

    def build():
        return (
            viz.contour_figure(s, views, bg),
            viz.surface_figure(s, views, mesh),
            viz.loss_figure(views, s.f_min),
            viz.distance_figure(views),
        )

    from optim.bench import _time

    def timeit(fn, n):  # median in ms
        return _time(fn, n)[0] * 1e3

    figs = build()
    t_engine = timeit(engine, repeat)
    t_build = timeit(build, repeat)
    t_png = timeit(lambda: viz.field_png(s.mesh(300)[2]), max(2, repeat // 2))
    t_valid = timeit(lambda: [go.Figure(f).to_dict() for f in figs], max(2, repeat // 3))
    print("Figure costs, default playground (median)")
    print(f"  engine run_many 3 × 150 steps:        {t_engine:7.1f} ms")
    print(f"  build 4 figure dicts (viz):           {t_build:7.1f} ms")
    print(f"  PNG field 300×300 (cached per surface): {t_png:5.1f} ms")
    print(
        f"  same dicts through go.Figure(...).to_dict(): {t_valid:7.1f} ms "
        f"({t_valid / t_build:.0f}× the build: what PrebuiltFigure skips)"
    )
    naive = _naive_contour_bytes(s, views)
    print(
        f"  naive animation (contour in every frame, 150 frames): {naive / 1e6:.1f} MB "
        f"vs {viz.payload_bytes(figs[0]) / 1e6:.2f} MB here"
    )


def sweep_costs() -> None:
    """The sweep lab's engine work: 60 × 60 runs × 200 steps in one ``run_summary`` call."""
    import optim
    from surfaces import get_surface
    from ui.sweep import WORKERS, sweep

    print("Sweep lab, 60 × 60 cells × 200 steps (issue bound 2 s)")
    print(
        f"  one run_summary call on one thread | the lab's sweep(): 10 row blocks on {WORKERS} threads"
    )
    cases = [
        ("quadratic", "momentum", "beta"),
        ("rosenbrock", "adam", "beta1"),
        ("sigmoid_neuron", "adam", "beta1"),
        ("linear_regression", "momentum", "beta"),
        ("logistic_sparse", "rmsprop", "beta"),
    ]
    for name, opt, yname in cases:
        s = get_surface(name)
        lo, _, hi = s.lr_range(opt)
        lr, b = np.meshgrid(np.geomspace(lo / 10, hi * 10, 60), np.linspace(0.0, 0.99, 60))
        x0 = np.tile(s.starts[0], (3600, 1))
        t = time.perf_counter()
        optim.run_summary(s, opt, x0, 200, lr=lr.ravel(), **{yname: b.ravel()})
        one = time.perf_counter() - t
        key = ("registry", name, tuple(s.params.items()))
        t = time.perf_counter()
        sweep(key, opt, (), yname, tuple(lr[0]), tuple(b[:, 0]), tuple(s.starts[0]), 200, 1e-6)
        lab = time.perf_counter() - t
        n_data = getattr(s, "n_data", 0)
        extra = f"  ({n_data} examples)" if n_data else ""
        print(f"  {name:18s} {opt:9s} {one:6.2f} s | {lab:6.2f} s{extra}")


def _naive_contour_bytes(s, views) -> int:
    """Size of the textbook way: a 150×150 contour plus full paths repeated in every frame."""
    xs, ys, z = s.mesh(150)
    contour = {"type": "contour", "x": xs.tolist(), "y": ys.tolist(), "z": z.tolist()}
    frames = []
    for k in range(150):
        data = [contour] + [
            {"type": "scatter", "x": v.xy[: k + 1, 0].tolist(), "y": v.xy[: k + 1, 1].tolist()}
            for v in views
        ]
        frames.append({"data": data, "name": str(k)})
    return len(json.dumps({"data": frames[-1]["data"], "frames": frames}))


def _first_chart(script: Path, url_path: str, charts: int) -> tuple[float, dict, float]:
    """Start ``streamlit run script``; (seconds to healthy, browser marks in ms, server RSS MB)."""
    from playwright.sync_api import sync_playwright

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
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
        t_health = time.perf_counter() - t0
        with sync_playwright() as p:
            b = p.chromium.launch(
                executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"]
            )
            page = b.new_page(viewport={"width": 1600, "height": 1200})
            # The browser's own clock: when the h1 and the charts' SVGs enter the DOM
            # (polling from Python lags by seconds while the main thread renders).
            page.add_init_script(_OBSERVER.replace("CHARTS", str(3 * charts)))
            page.goto(f"http://127.0.0.1:{port}/{url_path}")
            page.wait_for_function(
                f"document.querySelectorAll('.js-plotly-plot .main-svg').length >= {3 * charts}",
                timeout=60_000,
            )
            marks = page.evaluate("window.__marks")
            b.close()
        rss = _rss_mb(proc.pid)
    finally:
        proc.terminate()
        proc.wait()
    return t_health, marks, rss


def cold_start() -> None:
    if not Path("/usr/bin/chromium").exists():
        print("Cold start: skipped (no /usr/bin/chromium)")
        return
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        floor = Path(tmp) / "floor.py"
        floor.write_text(
            "import streamlit as st\nst.title('floor')\n"
            "st.plotly_chart({'data': [{'type': 'scatter', 'y': [1, 3, 2]}], 'layout': {}})\n"
        )
        f_health, f_marks, _ = _first_chart(floor, "", 1)
    t_health, marks, rss = _first_chart(ROOT / "app.py", "Playground", 4)
    print("Cold start (streamlit run → first chart in headless Chromium, software rendering)")
    print(
        f"  Playground: server healthy {t_health:.2f} s; after navigation title "
        f"{marks['h1'] / 1e3:.2f} s, first chart {marks['chart'] / 1e3:.2f} s, "
        f"all 4 charts {marks['all'] / 1e3:.2f} s (browser clock)"
    )
    print(f"  Playground total to first chart {t_health + marks['chart'] / 1e3:.2f} s (bound 5 s)")
    f_total = f_health + f_marks["chart"] / 1e3
    print(
        f"  floor, a one-line Streamlit page with one Plotly chart: {f_total:.2f} s "
        f"(the Playground takes {(t_health + marks['chart'] / 1e3) / f_total:.1f}× that)"
    )
    print(f"  server RSS after the first Playground page: {rss:.0f} MB")


_OBSERVER = """
window.__marks = {};
new MutationObserver(() => {
  const t = Math.round(performance.now()), m = window.__marks;
  if (m.h1 === undefined && document.querySelector('h1')) m.h1 = t;
  const n = document.querySelectorAll('.js-plotly-plot .main-svg').length;
  if (m.chart === undefined && n > 0) m.chart = t;
  if (m.all === undefined && n >= CHARTS) m.all = t;  // 3 SVG layers per chart
}).observe(document, {subtree: true, childList: true});
"""


def _rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def links_and_gallery(repeat: int) -> None:
    """What the URL layer costs per rerun, opening a shared link, and the gallery's thumbnails."""
    from streamlit.testing.v1 import AppTest

    from ui import cache, link
    from ui.presets import PRESETS

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.switch_page(PG)
    at.run()
    n = len(at.session_state["_link_run"].controls)
    query = {"surface": "rosenbrock", "runs": "gd,adam", "r2_lr": "0.05", "steps": "300"}
    opens = []
    for _ in range(max(3, repeat // 3)):
        t0 = time.perf_counter()
        fresh = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
        fresh.query_params.update(query)
        fresh.switch_page(PG)
        fresh.run()
        opens.append(time.perf_counter() - t0)
    t0 = time.perf_counter()
    for _ in range(2000):
        link._choice("0.0123", [0.001 * 1.2**k for k in range(40)])
    parse_us = (time.perf_counter() - t0) / 2000 * 1e6
    cache.preset_thumbnail.clear()
    t0 = time.perf_counter()
    total = sum(len(cache.preset_thumbnail(p.slug)) for p in PRESETS)
    cold = time.perf_counter() - t0
    print("Links and presets")
    print(f"  controls in the URL layer on the default playground: {n}")
    print(f"  checking one grid value from a URL: {parse_us:.0f} µs")
    print(f"  a fresh session from a shared link (AppTest): median {_median(opens):.0f} ms")
    print(f"  gallery: {len(PRESETS)} thumbnails drawn cold in {cold:.2f} s, {total / 1e3:.0f} kB")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--no-browser", action="store_true")
    args = ap.parse_args()
    repeat = 6 if args.quick else 12
    np.seterr(all="ignore")
    figure_costs(repeat)
    sweep_costs()
    payload_and_reruns(repeat)
    links_and_gallery(repeat)
    if not args.no_browser:
        cold_start()


if __name__ == "__main__":
    main()
