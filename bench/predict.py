"""Predict-and-reveal benchmark (#17): what a question costs the server, and the tally under load.

Run with ``python -m bench.predict``. CPU time (``time.process_time``) and wall time on a shared
machine: compare the lines of one run (ratios), not runs of different days.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _cpu(fn):
    t = time.process_time()
    out = fn()
    return time.process_time() - t, out


def _page(path: str, query: dict[str, str]):
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    st.cache_data.clear()  # every measured run is cold: the same work a first visitor causes

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.query_params.update(query)
    at.switch_page(path)
    at.run()
    assert not at.exception, at.exception
    return at


def _tally(folder: str, threads: int, each: int) -> list[float]:
    from ui.tally import Tally

    opener = Tally(folder)
    for j in range(each):  # only opened questions take answers
        opener.open_question(f"q{j}", "pages/1_Playground.py", {}, "first", address=f"o{j}")
    go, out, lock = threading.Barrier(threads), [], threading.Lock()

    def student(i: int) -> None:
        s = Tally(folder)
        go.wait()
        for j in range(each):
            t = time.perf_counter()
            s.record(f"q{j}", f"v{i}", "converge", True, address=f"10.0.{i}.1")
            with lock:
                out.append(time.perf_counter() - t)
        s.close()

    ts = [threading.Thread(target=student, args=(i,)) for i in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return out


def main() -> None:
    folder = tempfile.mkdtemp(prefix="bench-tally-")
    os.environ["DESCENT_LAB_DATA"] = folder
    from ui import classroom, tally

    pages = [
        ("Playground, 3 runs", "pages/1_Playground.py", {"ask": "first"}),
        ("Learning-rate lab", "pages/2_Learning_rate.py", {"ask": "max_lr"}),
        ("Momentum lab", "pages/3_Momentum.py", {"ask": "first"}),
        ("Adaptive lab", "pages/5_Adaptive.py", {"ask": "first"}),
    ]
    _page("pages/1_Playground.py", {})  # imports, the component scan: once
    print(
        "A question link's first run against the same view without a question "
        "(CPU, AppTest, caches cleared before each):"
    )
    for name, path, ask in pages:
        key = tally.new_key()
        qid = tally.question_id(key)
        classroom.store().open_question(qid, path, {**ask, "q": qid}, ask["ask"])
        plain, _ = _cpu(lambda path=path: _page(path, {}))
        hidden, _ = _cpu(lambda path=path, ask=ask, qid=qid: _page(path, {**ask, "q": qid}))
        teacher, _ = _cpu(
            lambda path=path, ask=ask, qid=qid, key=key: _page(
                path, {**ask, "q": qid, "teacher": key}
            )
        )
        print(
            f"  {name:20s} plain {plain:.2f} s · student, hidden {hidden:.2f} s "
            f"({hidden / plain:.2f}×) · teacher {teacher:.2f} s ({teacher / plain:.2f}×)"
        )

    print("The tally (SQLite, WAL), one write = one answer:")
    one = _tally(folder, 1, 200)
    many = _tally(tempfile.mkdtemp(prefix="bench-tally-"), 30, 20)
    p = lambda xs, q: sorted(xs)[int(q * (len(xs) - 1))] * 1e3  # noqa: E731
    print(f"  1 writer, 200 answers: p50 {p(one, 0.5):.2f} ms, p99 {p(one, 0.99):.2f} ms")
    print(
        f"  30 writers at once, 20 answers each: p50 {p(many, 0.5):.2f} ms "
        f"({p(many, 0.5) / p(one, 0.5):.1f}×), p99 {p(many, 0.99):.2f} ms, "
        f"mean {statistics.mean(many) * 1e3:.2f} ms"
    )
    s = tally.Tally(folder)
    qid = tally.question_id(tally.new_key())
    s.open_question(qid, "pages/1_Playground.py", {}, "regime")
    for i in range(400):
        pick = ["converge", "oscillate", "diverge"][i % 3]
        s.record(qid, f"voter{i}", pick, i % 3 == 1, address=f"10.1.{i}.1")
    cpu, _ = _cpu(lambda: [s.count(qid) for _ in range(100)])
    print(f"  the teacher's count of a full question (400 answers): {cpu * 10:.2f} ms CPU")
    size = sum(f.stat().st_size for f in Path(folder).iterdir())
    print(f"  files after {len(one) + 400} answers: {size / 1024:.0f} kB")


if __name__ == "__main__":
    main()
