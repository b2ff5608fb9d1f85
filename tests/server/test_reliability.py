"""Reliability: hundreds of reruns with random links and random or extreme widget values.

Every page is opened many times from random URLs (real setting names with valid, extreme and
malformed values, plus unknown names), then driven through random widget moves. No run may raise,
and the process's memory must settle: after a warm-up pass, a second and a third pass over the
same kind of traffic may not grow the resident set beyond a small bound (the caches are bounded).
The figures are printed at the end of the test (run pytest with ``-s`` to see them, or read
``artifacts/reliability.txt``).
"""

from __future__ import annotations

import gc
import os
import random
import time
from pathlib import Path

import pytest

from tests.helpers import (
    act,
    assert_no_error_from_valid_input,
    controls,
    open_link,
    open_page,
)
from ui.frame import PAGES

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
GROWTH_BOUND_MB = 80.0
JUNK = ["", "abc", "1e999", "-1e308", "nan", "inf", "-0", "1e-300", "😀", "<b>x</b>", "x" * 300]


def rss_mb() -> float:
    """Resident set size of this process, in MB (Linux)."""
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def random_query(rng: random.Random, names: dict[str, str]) -> dict[str, str]:
    """Some real setting names with their default, a number, or junk; sometimes unknown names."""
    query = {}
    for name in rng.sample(sorted(names), k=min(len(names), rng.randint(1, 6))):
        query[name] = rng.choice(
            [
                names[name],
                str(rng.choice([0, 1, -1, 2, 10, 1000])),
                f"{10 ** rng.uniform(-6, 6):.3g}",
                rng.choice(JUNK),
            ]
        )
    if rng.random() < 0.3:
        query[f"unknown{rng.randint(0, 9)}"] = rng.choice(JUNK)
    if rng.random() < 0.2:
        query["hide"] = ",".join(rng.sample(sorted(names), k=min(3, len(names))))
    return query


def one_pass(rng: random.Random, links: int, moves: int) -> int:
    """Random links then random widget moves on every page; returns the number of reruns."""
    reruns = 0
    for path, *_ in PAGES:
        names = {n: c.default for n, c in controls(open_page(path)).items()}
        reruns += 1
        at = None
        for _ in range(links):
            query = random_query(rng, names)
            at = open_link(path, query)  # asserts no exception
            assert_no_error_from_valid_input(at, (path, query))
            reruns += 1
        if at is None:
            continue
        done = 0
        for _ in range(4 * moves):
            if done >= moves:
                break
            what = act(at, rng)  # type a formula, press, pick, click a chart, or move a widget
            if what is None:
                continue
            at.run()
            assert not at.exception, (path, what, at.exception[0].stack_trace)
            assert_no_error_from_valid_input(at, (path, query, what))
            done += 1
            reruns += 1
        del at
        gc.collect()
    return reruns


def test_hundreds_of_random_links_and_moves_never_raise_and_memory_settles(capsys):
    rng = random.Random(2026)
    t0 = time.perf_counter()
    counts, rss = [], [rss_mb()]
    for links, moves in ((3, 9), (3, 9), (3, 9)):
        counts.append(one_pass(rng, links, moves))
        gc.collect()
        rss.append(rss_mb())
    elapsed = time.perf_counter() - t0
    growth = rss[-1] - rss[1]
    report = (
        f"reliability: {sum(counts)} reruns over {len(PAGES)} pages in {elapsed:.0f} s "
        f"({counts} per pass); RSS MB before / after each pass: "
        + " / ".join(f"{r:.0f}" for r in rss)
        + f"; growth after the warm-up pass: {growth:+.1f} MB (bound {GROWTH_BOUND_MB:.0f})"
    )
    (ROOT / "artifacts").mkdir(exist_ok=True)
    (ROOT / "artifacts" / "reliability.txt").write_text(report + "\n")
    with capsys.disabled():
        print("\n" + report)
    assert sum(counts) >= 300
    assert growth < GROWTH_BOUND_MB, report
