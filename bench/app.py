"""App benchmark: payload, rerun time, figure-building cost and cold start, printed, never asserted.

Run with ``python -m bench.app`` (``--quick`` for fewer repeats, ``--no-browser`` to skip the cold
start measured in Chromium, ``--against DIR`` to visit the costliest links on another checkout's
server too). Times are wall-clock on a shared machine: compare the ratios printed
side by side in one run, not the absolute values across runs.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
PG = "pages/1_Playground.py"


def _median(ts: list[float]) -> float:
    return statistics.median(ts) * 1e3


def _payload(at) -> list[tuple[str, int]]:
    """Each view the page sent, by kind, and its bytes: the race views (map, curves, 3D, banks
    asked for) and the figures (``ui.figure``); the plotly.js preloader left out."""
    out = []
    for e in at.get("bidi_component"):
        view = json.loads(e.proto.json or "{}")
        view = view[0] if isinstance(view, list) else view  # ui.race.wire
        if view.get("preload"):
            continue
        kind = "figure" if "spec" in view else "race" + (" + 3d" if view.get("surface3d") else "")
        out.append((kind, len(e.proto.json)))
    return out


def payload_and_reruns(repeat: int) -> None:
    from streamlit.testing.v1 import AppTest

    t0 = time.perf_counter()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    at.switch_page(PG)
    at.run()
    first = time.perf_counter() - t0
    views = _payload(at)
    sizes = [b for _, b in views]
    print("Default playground (quadratic κ=10, GD + momentum + Adam, 150 steps)")
    print(f"  first run in AppTest (imports, caches cold): {first * 1e3:.0f} ms")
    for k, b in views:
        print(f"  payload {k:8s} {b / 1e3:8.1f} kB")
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
    sizes = [b for _, b in _payload(at)]
    print(f"  payload at 1000 steps, 3 runs: {sum(sizes) / 1e3:.0f} kB")
    while len(at.session_state["pg_slots"]) < 8:
        at.button(key="pg_add").click().run()
    sizes = [b for _, b in _payload(at)]
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
        return viz.race_spec(s, views, bg, mesh=mesh)  # the map, curves and 3D view

    from bench.engine import _time

    def timeit(fn, n):  # median in ms
        return _time(fn, n)[0] * 1e3

    figs = build()
    t_engine = timeit(engine, repeat)
    t_build = timeit(build, repeat)
    t_png = timeit(lambda: viz.field_png(s.mesh(300)[2]), max(2, repeat // 2))
    plotly_parts = [{"data": figs["map"]["static"], "layout": figs["map"]["layout"]}]
    plotly_parts += [{"data": [], "layout": figs["curves"][k]} for k in ("loss", "dist")]
    t_valid = timeit(lambda: [go.Figure(f).to_dict() for f in plotly_parts], max(2, repeat // 3))
    print("Figure costs, default playground (median)")
    print(f"  engine run_many 3 × 150 steps:        {t_engine:7.1f} ms")
    print(f"  build the race view's spec (viz):     {t_build:7.1f} ms")
    print(f"  PNG field 300×300 (cached per surface): {t_png:5.1f} ms")
    print(
        f"  its map and curve layouts through go.Figure(...).to_dict(): {t_valid:7.1f} ms "
        f"({t_valid / t_build:.1f}× the build: validation the page skips)"
    )
    naive = _naive_contour_bytes(s, views)
    print(
        f"  naive animation (contour in every frame, 150 frames): {naive / 1e6:.1f} MB "
        f"vs {viz.payload_bytes(figs) / 1e6:.2f} MB here (the race view's spec)"
    )


def sweep_costs() -> None:
    """The sweep lab: the price from the probe against the CPU the shared job really used."""
    import optim
    from surfaces import get_surface
    from ui import jobs
    from ui.cache import surface_key
    from ui.sweep import AUTO_CPU, MAX_CPU, estimate, sweep

    print(
        f"Sweep lab: price (probe) against CPU used, one job on one thread "
        f"(runs at once ≤ {AUTO_CPU:g} s, asks ≤ {MAX_CPU:g} s, refuses above)"
    )
    cases = [
        ("quadratic", "momentum", "beta", 60, 200),
        ("rosenbrock", "adam", "beta1", 60, 200),
        ("sigmoid_neuron", "adam", "beta1", 60, 200),
        ("linear_regression", "momentum", "beta", 60, 200),
        ("logistic_sparse", "rmsprop", "beta", 60, 200),
        ("logistic_sparse", "momentum", "beta", 100, 1000),  # the largest a link can ask for
    ]
    for name, opt, yname, n, steps in cases:
        s = get_surface(name)
        lo, _, hi = optim.lr_range(s, opt)
        lrs = tuple(np.geomspace(lo / 10, hi * 10, n).tolist())
        ys = tuple(np.linspace(0.0, 0.99, n).tolist())
        key = surface_key(name)
        args = (key, opt, (), yname, lrs, ys, tuple(map(float, s.starts[0])), steps, 1e-6)
        t = time.process_time()
        price = estimate(*args)
        probe = time.process_time() - t
        if price > MAX_CPU:
            used, verdict = float("nan"), "refused"
        else:
            jobs._RESULTS.clear()
            t = time.process_time()
            sweep(*args)
            used = time.process_time() - t
            verdict = "runs at once" if price <= AUTO_CPU else "asks first"
        print(
            f"  {name:18s} {opt:9s} {n}×{n}×{steps:<4d} price {price:6.2f} s "
            f"(probe {probe * 1e3:4.0f} ms) used {used:6.2f} s  {verdict}"
        )


def bounded_work(roots: list[Path]) -> None:
    """CPU per hostile formula (server and sandbox child) and each page's costliest link."""

    from surfaces import from_formula, sandbox
    from surfaces.formula import ATTACKS, clear_caches

    attacks = [*ATTACKS, "(1 - x)^2 + 100(y - x^2)^2 + sin(3x)exp(-y^2)"]
    from_formula("x^2")  # the sandbox's helper process starts once per server
    print("Formulas: CPU per analysis, server (parse + tape on a 300×300 mesh + gradient) + child")
    for text in attacks:
        clear_caches()
        jobs0 = sandbox.stats()["jobs"]
        t = time.process_time()
        try:
            s = from_formula(text)
            s.mesh(300)
            s.grad(np.zeros((8, 2)))
            verdict = "usable"
        except ValueError as err:
            verdict = str(err)[:60]
        server = time.process_time() - t
        child = sandbox.stats()["last_cpu"] if sandbox.stats()["jobs"] > jobs0 else 0.0
        print(f"  {text[:34]:34s} {server:5.2f} + {child:5.2f} s  {verdict}")

    r8 = "newton,adam,momentum,nesterov,rmsprop,adagrad,gd,lion"
    heavy = "+".join(f"sin({k}x+y)exp(-x y/{k + 1})" for k in range(1, 7))
    worst = [
        (PG, {"surface": "logistic_sparse", "runs": r8, "steps": "1000", "table": "1"}),
        (PG, {"surface": "formula", "formula": heavy, "runs": r8, "steps": "1000"}),
        ("pages/2_Learning_rate.py", {"steps": "100", "steps2": "300"}),
        ("pages/3_Momentum.py", {"steps": "400", "kappa": "1000"}),
        ("pages/4_Sweep.py", {"surface": "logistic_sparse", "n": "100", "steps": "1000"}),
        ("pages/5_Adaptive.py", {"steps1": "1000", "steps4": "300"}),
        ("pages/6_SGD.py", {"steps": "1000", "epochs": "20", "surface": "sigmoid_neuron"}),
        ("pages/7_Gallery.py", {}),  # its pictures: drawn by the warm-up, before these rows
        ("pages/8_Network.py", {}),
        (
            "pages/8_Network.py",
            {"opts": "gd,momentum,nesterov,adam,rmsprop,adagrad", "steps": "300"},
        ),
        ("pages/8_Network.py", {"opts": "nesterov", "steps": "1800", "data": "circles"}),
    ]
    served_links(worst, roots)


def served_links(links: list[tuple[str, dict[str, str]]], roots: list[Path]) -> None:
    """Each link on a real server (``streamlit run``), as a visitor meets it: the CPU of the
    server and its helper from the request to the run's last message, in a fresh session,
    first with the server's caches cold for that link, then warm; one server per checkout in
    ``roots`` (this one, and ``--against`` another commit's worktree), visited in turn, and the
    floor page (``bench.interaction.FLOOR``: a slider and a chart) on its own server. Before the
    links each app server has served its first page and the Playground's default view with its
    table (pandas and pyarrow imported; no link below shows that surface), and its warm-up (the
    Gallery's pictures) is done: one-offs a server pays once."""
    import tempfile
    from urllib.parse import urlencode

    from bench.interaction import FLOOR
    from tests.wsclient import Server, settle, visit_cpu

    def visit(server, page: str, query: str) -> float:
        settle(server.pid)
        return visit_cpu(server, page, query)

    with tempfile.TemporaryDirectory() as tmp:
        floor_script = Path(tmp) / "floor.py"
        floor_script.write_text(FLOOR)
        floor, servers = Server(script=str(floor_script)), []
        try:
            servers += [Server(root=root) for root in roots]
            floor_cpu = [visit(floor, "", "") for _ in range(2)]
            for server in servers:
                for page, query in (("", ""), ("Playground", "table=1")):  # its default surface
                    visit(server, page, query)
            print(
                "Each page's costliest link: server CPU of a fresh session, caches cold | warm, "
                f"and cold as a ratio to the floor page's first visit ({floor_cpu[0]:.2f} | "
                f"{floor_cpu[1]:.2f} s)"
            )
            names = ["this checkout"] + [root.name for root in roots[1:]]
            print(f"  {'':14s}" + "".join(f"{n[:22]:>24s}" for n in names))
            for path, query in links:
                page = "" if path == "app.py" else Path(path).stem.split("_", 1)[1]
                row = ""
                for server in servers:
                    cpu = [visit(server, page, urlencode(query)) for _ in range(2)]
                    row += f"{cpu[0]:7.2f} |{cpu[1]:5.2f} s {cpu[0] / floor_cpu[0]:4.0f}×"
                print(f"  {page:14s}{row}  {str(query)[:50]}")
        finally:
            for server in (*servers, floor):
                server.stop()


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

    from bench.interaction import _server

    with _server(script) as (base, t_health, pid):
        with sync_playwright() as p:
            b = p.chromium.launch(
                executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"]
            )
            page = b.new_page(viewport={"width": 1600, "height": 1200})
            # The browser's own clock: when the h1 and the charts' SVGs enter the DOM
            # (polling from Python lags by seconds while the main thread renders).
            page.add_init_script(_OBSERVER.replace("CHARTS", str(3 * charts)))
            page.goto(f"{base}/{url_path}")
            page.wait_for_function(
                f"document.querySelectorAll('.js-plotly-plot .main-svg').length >= {3 * charts}",
                timeout=60_000,
            )
            marks = page.evaluate("window.__marks")
            b.close()
        rss = _rss_mb(pid)
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
    t_health, marks, rss = _first_chart(ROOT / "app.py", "Playground", 3)
    print("Cold start (streamlit run → first chart in headless Chromium, software rendering)")
    print(
        f"  Playground: server healthy {t_health:.2f} s; after navigation title "
        f"{marks['h1'] / 1e3:.2f} s, first chart {marks['chart'] / 1e3:.2f} s, "
        f"all 3 charts {marks['all'] / 1e3:.2f} s (browser clock)"
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

    from ui import link, presets
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
    presets.preset_thumbnail.clear()
    t0 = time.perf_counter()
    total = sum(len(presets.preset_thumbnail(p.slug)) for p in PRESETS)
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
    ap.add_argument(
        "--against",
        type=Path,
        action="append",
        default=[],
        help="another checkout (a git worktree) whose server the costliest links also visit",
    )
    args = ap.parse_args()
    repeat = 6 if args.quick else 12
    np.seterr(all="ignore")
    figure_costs(repeat)
    bounded_work([ROOT, *args.against])
    sweep_costs()
    payload_and_reruns(repeat)
    links_and_gallery(repeat)
    if not args.no_browser:
        cold_start()


if __name__ == "__main__":
    main()
