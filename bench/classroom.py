"""What a class waiting for its teacher costs the server: N students idle on a class question,
watched by the live-file timer (a static GET of a few bytes) against Streamlit's fragment timer,
on real servers and real Chromium tabs, in one run.

    python -m bench.classroom [students]    # default 5

Prints each mode's server CPU over 30 s and the ratio; nothing is asserted (a shared machine is
noisy): the figures belong in a note, measured side by side.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time

from tests.wsclient import Server, proc_cpu_seconds
from ui import tally

SECONDS = 30.0


def idle_cost(students: int, live: bool) -> float:
    """Server CPU seconds over ``SECONDS`` with ``students`` tabs waiting on a class question."""
    from playwright.sync_api import sync_playwright

    folder = tempfile.mkdtemp(prefix="descent-lab-bench-")
    env = {tally.ENV: folder, "DESCENT_LAB_LIVE": "on" if live else "off"}
    server = Server(env=env)
    try:
        key = tally.new_key()
        qid = tally.question_id(key)
        q = {"ask": "max_lr", "q": qid}
        live_dir = os.path.join(os.path.dirname(__file__), "..", "static", "live")
        tally.Tally(folder, live=live_dir if live else None).open_question(
            qid, "pages/2_Learning_rate.py", q, "max_lr", paced=True
        )
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"]
            )
            for _ in range(students):
                page = browser.new_page(viewport={"width": 800, "height": 600})
                page.goto(f"http://127.0.0.1:{server.port}/Learning_rate?ask=max_lr&q={qid}")
                page.wait_for_selector(".race[data-ready]", timeout=90_000)
            time.sleep(3)
            c0 = proc_cpu_seconds(server.pid)
            time.sleep(SECONDS)
            c1 = proc_cpu_seconds(server.pid)
            browser.close()
        return c1 - c0
    finally:
        server.stop()


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    fragment = idle_cost(n, live=False)
    live = idle_cost(n, live=True)
    print(f"{n} students idle on a class question for {SECONDS:.0f} s (server CPU):")
    print(f"  fragment timer (every 2 s): {fragment:.2f} s = {fragment / SECONDS:.1%} of a core")
    print(f"  live file (every 1.5 s):    {live:.2f} s = {live / SECONDS:.1%} of a core")
    print(f"  ratio fragment / live: {fragment / max(live, 1e-9):.1f}×")


if __name__ == "__main__":
    main()
