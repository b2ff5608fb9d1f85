"""#29 on a real server: what a broken or hostile client sends breaks only what it sent, and
sessions that left keep nothing (no file descriptor, no thread).

A browser sends every widget's value, of the kind the widget registered, with each rerun. A client
may send a value of another kind (an integer for a slider: it raised ``TypeError`` in Streamlit's
own code before the page ran, on every later run of that tab) or leave widgets out (the Momentum
lab raised ``KeyError``). Both must end in a page and a message (``ui.guard``).
"""

from __future__ import annotations

import os
import time

import pytest

from tests.wsclient import Server, Session, proc_threads

pytestmark = pytest.mark.slow

PAGES = ["Playground", "Learning_rate", "Momentum", "Sweep", "Adaptive", "SGD", "Network"]


TTL = 4  # seconds a departed session is kept for its browser to reconnect (Streamlit: 120)


@pytest.fixture(scope="module")
def server():
    s = Server(args=(f"--server.disconnectedSessionTTL={TTL}",))
    yield s
    s.stop()


def _fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


@pytest.mark.parametrize("page", PAGES)
def test_a_widget_value_of_the_wrong_kind_resets_that_widget_with_a_message(server, page):
    s = Session(server.port)
    try:
        first = s.open(page)
        assert not first.exceptions and first.sliders, page
        key, slider = next(iter(first.sliders.items()))
        for bad in (3, "abc", ["x"] if not slider.options else [1.0]):
            s.send(page, s.query, values={slider.id: bad})
            run = s.wait()
            assert run.finished and not run.exceptions, (page, bad)
            warned = " ".join(run.texts("warning"))
            assert key in warned and "cannot read" in warned, (page, bad, warned)
            again = s.open(page, s.query)  # the tab is not left broken
            assert again.finished and not again.exceptions, (page, bad)
    finally:
        s.close()


@pytest.mark.parametrize("page", PAGES)
def test_a_client_that_sends_one_widget_alone_gets_a_page(server, page):
    """Each slider moved with no other widget's value sent: every run ends without an error."""
    s = Session(server.port)
    try:
        first = s.open(page)
        for slider in first.sliders.values():
            # a neighbouring value (not an extreme: the test is about what is missing, and an
            # extreme's run would only load the machine)
            value = [slider.options[1]] if slider.options else [slider.lo + slider.step]
            s.send(page, s.query, values={slider.id: value}, fragment=slider.fragment)
            run = s.wait()
            assert run.finished and not run.exceptions, (page, slider.id, run.exceptions)
    finally:
        s.close()


def test_sessions_that_left_keep_no_file_descriptor_or_thread(server):
    """Kept for their time to reconnect, then shut down: the descriptors and threads go back to
    their idle count (each departed session kept an epoll and a socket pair: ``ui.guard``)."""
    warm = Session(server.port)
    warm.open("Playground")
    warm.close()
    time.sleep(2)
    fds, threads = _fds(server.pid), proc_threads(server.pid)
    sessions = [Session(server.port) for _ in range(12)]
    for i, s in enumerate(sessions):
        s.open(["Playground", "Momentum", "SGD"][i % 3])
    assert _fds(server.pid) > fds  # each open session holds its socket
    for s in sessions:
        s.close()
    deadline = time.monotonic() + TTL + 30
    while time.monotonic() < deadline:
        if _fds(server.pid) <= fds + 1 and proc_threads(server.pid) <= threads:
            break
        time.sleep(0.5)
    assert _fds(server.pid) <= fds + 1, (fds, _fds(server.pid))
    assert proc_threads(server.pid) <= threads, (threads, proc_threads(server.pid))
