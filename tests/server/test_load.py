"""Load: a real ``streamlit run`` server on loopback, many websocket sessions at once.

A class shares one small server. This test opens light sessions (Playground links), heavy ones
(sweeps that must be confirmed, one shared by three students, one abandoned mid-run), hostile
formulas from links, heavy-but-legal formulas, the largest sweep a link can ask for, and tabs
closed mid-run, all at once; then 30 sessions held open together. It asserts that no run raised,
every hostile input was answered with a message, memory stayed under the bound, and once every
session is closed the server is idle (no CPU spent, no thread left, no child process working).
The light sessions' latency is printed with and without the heavy traffic, as a ratio measured in
one run (never asserted: the machine is shared). Figures go to ``artifacts/load.txt``.

Bounded in count and time; all traffic goes to 127.0.0.1.
"""

from __future__ import annotations

import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode

import pytest

from surfaces.formula import ATTACKS
from tests.wsclient import (
    Server,
    Session,
    proc_children,
    proc_cpu_seconds,
    proc_rss_mb,
    proc_threads,
)
from ui.jobs import GRACE

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
RSS_BOUND_MB = 500.0
HEAVY_SWEEP = {"surface": "logistic_sparse", "n": "60", "steps": "300"}
OTHER_SWEEP = {"surface": "logistic_sparse", "n": "40", "steps": "500"}
MAX_SWEEP = {"surface": "logistic_sparse", "n": "100", "steps": "1000"}
HOSTILE = [
    *(a for a in ATTACKS if not a.startswith("sigmoid")),  # the nested σ is legal now
    "x^^2",
    "__import__('os')",
    "`[session expired](http://example.invalid)`",
    "![p](http://example.invalid/p.png)",
    "x" * 300,
    "log(-1)*x",
    "9**9**9**9",
    "x^1000",
    "(" * 40 + "x" + ")" * 40,
    "foo(x)",
    "1/0 + x",
    "2^(10^10)",
]


def _nested_sigmoid(k: int) -> str:
    inner = f"x*y + {k}"
    for _ in range(12):
        inner = f"sigmoid({inner})"
    return f"{inner} + x^2 + y^2"


LEGAL_HEAVY = [_nested_sigmoid(k) for k in range(20)]


def _q(**kw: str) -> str:
    return urlencode(kw)


def _light(port: int, steps: int) -> tuple[float, object]:
    s = Session(port)
    try:
        run = s.open("Playground", _q(steps=str(steps), r1_lr="0.12"))
        return run.seconds, run
    finally:
        s.close()


def _sweep(port: int, query: dict, leave_after: float | None) -> object:
    s = Session(port)
    try:
        first = s.open("Sweep", _q(**query))
        assert "sw_run" in first.buttons, first.alerts
        if leave_after is None:
            return s.click("sw_run", first, timeout=300)
        s.send(s.page, s.query, trigger=first.buttons["sw_run"])
        time.sleep(leave_after)
        return first
    finally:
        s.close()


def _formula(port: int, text: str) -> object:
    s = Session(port)
    try:
        return s.open("Playground", _q(surface="formula", formula=text))
    finally:
        s.close()


def _open(port: int, page: str, query: str) -> object:
    s = Session(port)
    try:
        return s.open(page, query)
    finally:
        s.close()


def _closed_mid_run(port: int) -> None:
    s = Session(port)
    s.send("Playground", _q(steps="1000", runs="gd,momentum,nesterov,adam,rmsprop,adagrad"))
    time.sleep(0.05)
    s.close()


def _p(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=10)[int(q * 10) - 1] if len(values) > 1 else values[0]


def test_a_class_on_one_server(capsys):
    # Every sweep asks before it runs, none is refused: what a sweep costs in CPU seconds depends
    # on the machine and, under a class's load, varies several-fold between probes (the heavy
    # sweep was priced 1 s alone and 6 s here in one CI run), so a limit between two sweeps'
    # prices is not a stable test. The refusal itself is tested in tests/pages/test_bounded.py.
    server = Server(env={"DESCENT_LAB_SWEEP_AUTO_CPU": "0.01", "DESCENT_LAB_SWEEP_MAX_CPU": "1e9"})
    pid, port = server.pid, server.port
    runs: list = []
    try:
        # warm-up: every page once, so import and first-use costs are not counted as load
        for page in ("", "Playground", "Learning_rate", "Momentum", "Sweep", "Adaptive", "SGD"):
            runs.append(_open(port, page, ""))
        assert all(r.finished and not r.exceptions for r in runs), [r.exceptions for r in runs]

        # A: light sessions alone
        with ThreadPoolExecutor(3) as pool:
            quiet = list(pool.map(lambda st: _light(port, st), range(20, 260, 20)))
        threads_idle = proc_threads(pid)
        rss_start = proc_rss_mb(pid)

        # B: the same light traffic while heavy sweeps run, are shared, refused and abandoned,
        # and tabs close mid-run
        cpu0 = proc_cpu_seconds(pid)
        with ThreadPoolExecutor(10) as pool:
            heavy = [
                pool.submit(_sweep, port, HEAVY_SWEEP, None),
                pool.submit(_sweep, port, HEAVY_SWEEP, 1.5),
                pool.submit(_sweep, port, HEAVY_SWEEP, 2.5),
                pool.submit(_sweep, port, OTHER_SWEEP, 1.0),
            ]
            biggest = pool.submit(_open, port, "Sweep", _q(**MAX_SWEEP))
            closed = [pool.submit(_closed_mid_run, port) for _ in range(3)]
            time.sleep(1.0)  # the sweeps are under way
            with ThreadPoolExecutor(3) as light:
                swept = list(light.map(lambda st: _light(port, st), range(330, 570, 20)))
            heavy = [f.result() for f in heavy]
            biggest = biggest.result()
            for f in closed:
                f.result()
        cpu_b = proc_cpu_seconds(pid) - cpu0

        # C: the same light traffic while 40 formulas arrive from links at once
        with ThreadPoolExecutor(10) as pool:
            hostile = [pool.submit(_formula, port, text) for text in HOSTILE]
            legal = [pool.submit(_formula, port, text) for text in LEGAL_HEAVY]
            with ThreadPoolExecutor(3) as light:
                stormed = list(light.map(lambda st: _light(port, st), range(640, 880, 20)))
            hostile = [f.result() for f in hostile]
            legal = [f.result() for f in legal]
        runs += [r for _, r in quiet + swept + stormed] + heavy + [biggest] + hostile + legal

        # C: thirty sessions open at once, on every kind of page
        sessions = [Session(port) for _ in range(30)]
        pages = ["Playground", "Sweep", "Momentum", "Learning_rate", "Adaptive", "SGD"]
        with ThreadPoolExecutor(10) as pool:
            held = list(
                pool.map(
                    lambda i: sessions[i].open(pages[i % len(pages)], _q(steps=str(40 + 10 * i))),
                    range(30),
                )
            )
        runs += held
        rss_30 = proc_rss_mb(pid)
        helper = [c for c in proc_children(pid)]
        rss_helpers = sum(proc_rss_mb(c) for c in helper)
        for s in sessions:
            s.close()

        # D: everyone has left
        time.sleep(GRACE + 2.0)
        cpu1 = proc_cpu_seconds(pid)
        time.sleep(3.0)
        idle_cpu = proc_cpu_seconds(pid) - cpu1
        threads_after = proc_threads(pid)
        grandchildren = [g for c in helper for g in proc_children(c)]
    finally:
        log = server.stop()

    def figures(name: str, pairs: list) -> str:
        lat = [t for t, _ in pairs]
        base = [t for t, _ in quiet]
        return (
            f"{name} p50/p90 {_p(lat, 0.5):.2f}/{_p(lat, 0.9):.2f} s "
            f"(×{_p(lat, 0.5) / _p(base, 0.5):.2f} / ×{_p(lat, 0.9) / _p(base, 0.9):.2f})"
        )

    report = (
        f"load: {len(runs)} runs; light Playground link (3 at a time) p50/p90 "
        f"{_p([t for t, _ in quiet], 0.5):.2f}/{_p([t for t, _ in quiet], 0.9):.2f} s alone; "
        + figures("beside heavy sweeps", swept)
        + "; "
        + figures(f"beside {len(HOSTILE) + len(LEGAL_HEAVY)} formulas from links", stormed)
        + f"; server CPU while the sweeps ran {cpu_b:.1f} s; RSS {rss_start:.0f} MB warm, "
        f"{rss_30:.0f} MB with 30 sessions open (+{rss_helpers:.0f} MB formula helper); "
        f"after all sessions closed: {idle_cpu:.2f} s CPU in 3 s, threads {threads_idle} → "
        f"{threads_after}, helper children {grandchildren}"
    )
    (ROOT / "artifacts").mkdir(exist_ok=True)
    (ROOT / "artifacts" / "load.txt").write_text(report + "\n")
    with capsys.disabled():
        print("\n" + report)

    assert "Traceback" not in log, log[-3000:]
    for r in runs:
        assert r.finished and not r.exceptions, (r.exceptions, r.alerts)
    # every hostile formula is answered on the page, in words, and the page still draws
    for text, r in zip(HOSTILE, hostile):
        said = [e for e in r.texts("error") if "cannot be drawn" in e]
        said += [w for w in r.texts("warning") if "could not be used" in w]  # a link's own note
        assert said, (text, r.alerts)
        assert "http" not in said[0] or "`" in said[0], (text, said)  # quoted, never a link
        assert r.charts >= 2, text  # the map and the loss (3D on request)
    for text, r in zip(LEGAL_HEAVY, legal):
        assert not r.texts("error") and r.charts >= 2, (text, r.alerts)
    # the shared sweep finished for the student who stayed
    assert heavy[0].charts >= 1 and not heavy[0].texts("error")
    # the largest sweep a link can ask for waits for its click (it is not run by opening it)
    assert any("takes a while" in i for i in biggest.texts("info")) and biggest.charts == 0
    for _, r in quiet + swept + stormed:
        assert not r.texts("error") and r.charts >= 3
    assert rss_30 + rss_helpers < RSS_BOUND_MB, report
    # nothing keeps working for sessions that are gone
    assert idle_cpu < 0.5, report
    assert threads_after <= threads_idle + 2, report
    assert grandchildren == [], report
