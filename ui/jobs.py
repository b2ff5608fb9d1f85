"""Long computations shared across sessions: computed once, cancelled when nobody waits, cached.

A class opening the same link asks the server for the same sweep thirty times at once; a student
who moves a slider mid-sweep no longer needs the old one; a closed tab needs nothing at all. So a
long computation is a *job* named by a key of primitives:

- the first session that asks starts it on a thread of its own (one per job, at a lowered OS
  priority so the light sessions' reruns come first); every later session asking for the same key
  waits for that job instead of starting another, and all of them show its progress;
- a session waits in its script thread and redraws the progress bar a few times a second, so
  Streamlit's rerun and disconnect requests (which stop a script at its next Streamlit call) stop
  the wait; when no session has waited on a job for :data:`GRACE` seconds, the job stops at its
  next progress report (:class:`Cancelled`) and its thread ends;
- at most :data:`MAX_RUNNING` jobs compute at once on the server; others queue;
- results are cached across sessions, bounded in bytes (:data:`CACHE_BYTES`).

The work function gets a ``report(fraction)`` callable, must call it often (it is where
cancellation happens), and must not call Streamlit.
"""

from __future__ import annotations

import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = [
    "CACHE_BYTES",
    "GRACE",
    "MAX_RUNNING",
    "Cancelled",
    "Job",
    "cached",
    "cached_bytes",
    "running",
    "shared",
]

GRACE = (
    1.5  # seconds a job keeps running with nobody waiting (a rerun with the same key re-attaches)
)
MAX_RUNNING = 1  # jobs computing at once; the other core stays free for everyone else's reruns
CACHE_BYTES = 48 * 2**20
CACHE_ENTRIES = 64
NICE = 10  # how much lower a job thread's priority is than the script threads' (Linux: per thread)


class Cancelled(Exception):
    """Raised from ``report`` inside a job nobody waits for any more."""


@dataclass(eq=False)
class Job:
    """One computation in flight (or queued): its progress, waiters and outcome."""

    key: Hashable
    fn: Callable[[Callable[[float], None]], Any]
    progress: float = 0.0
    state: str = "queued"  # queued → running → done
    waiters: int = 0
    orphaned_at: float | None = None  # when the last waiter left (None while someone waits)
    result: Any = None
    error: BaseException | None = None
    done: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None

    def abandoned(self) -> bool:
        return self.waiters == 0 and (
            self.orphaned_at is not None and time.monotonic() - self.orphaned_at > GRACE
        )


_LOCK = threading.Lock()
_JOBS: dict[Hashable, Job] = {}
_RESULTS: OrderedDict[Hashable, tuple[Any, int]] = OrderedDict()
_SLOTS = threading.Semaphore(MAX_RUNNING)


def _nbytes(value: Any) -> int:
    if isinstance(value, np.ndarray):
        return value.nbytes
    if isinstance(value, dict):
        return sum(_nbytes(v) for v in value.values()) + 64 * len(value)
    if isinstance(value, (list, tuple)):
        return sum(_nbytes(v) for v in value) + 8 * len(value)
    return 64


def cached(key: Hashable) -> Any | None:
    """A finished job's result, if it is still cached."""
    with _LOCK:
        hit = _RESULTS.get(key)
        if hit is not None:
            _RESULTS.move_to_end(key)
            return hit[0]
    return None


def _store(key: Hashable, value: Any) -> None:
    size = _nbytes(value)
    if size > CACHE_BYTES // 4:
        return  # one huge result may not flush everyone else's
    with _LOCK:
        _RESULTS[key] = (value, size)
        total = sum(s for _, s in _RESULTS.values())
        while _RESULTS and (total > CACHE_BYTES or len(_RESULTS) > CACHE_ENTRIES):
            _, (_, s) = _RESULTS.popitem(last=False)
            total -= s


def cached_bytes() -> int:
    """Bytes the finished results kept for other sessions hold now (≤ ``CACHE_BYTES``)."""
    with _LOCK:
        return sum(s for _, s in _RESULTS.values())


def running() -> list[Job]:
    """Jobs queued or computing now (for tests and the benchmark)."""
    with _LOCK:
        return list(_JOBS.values())


def _lower_priority() -> None:
    try:  # Linux schedules threads individually: this lowers this thread only
        tid = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, tid, os.getpriority(os.PRIO_PROCESS, tid) + NICE)
    except (AttributeError, OSError):
        pass


def _work(job: Job) -> None:
    _lower_priority()

    def report(fraction: float) -> None:
        job.progress = float(fraction)
        if job.abandoned():
            raise Cancelled

    try:
        while not _SLOTS.acquire(timeout=0.2):  # queued behind other jobs
            if job.abandoned():
                raise Cancelled
        try:
            job.state = "running"
            job.result = job.fn(report)
            _store(job.key, job.result)
        finally:
            _SLOTS.release()
    except BaseException as err:  # Cancelled, or the work's own error: handed to the waiters
        job.error = err
    finally:
        job.state = "done"
        with _LOCK:
            if _JOBS.get(job.key) is job:
                del _JOBS[job.key]
        job.done.set()


def _attach(key: Hashable, fn: Callable) -> Job:
    with _LOCK:
        job = _JOBS.get(key)
        if job is None or job.done.is_set():
            job = Job(key, fn)
            _JOBS[key] = job
            job.thread = threading.Thread(
                target=_work, args=(job,), name="descent-lab-job", daemon=True
            )
            job.waiters = 1
            job.thread.start()
        else:
            job.waiters += 1
            job.orphaned_at = None
        return job


def _detach(job: Job) -> None:
    with _LOCK:
        job.waiters -= 1
        if job.waiters == 0:
            job.orphaned_at = time.monotonic()


def shared(
    key: Hashable,
    fn: Callable[[Callable[[float], None]], Any],
    on_wait: Callable[[Job], None] | None = None,
    poll: float = 0.2,
) -> Any:
    """``fn(report)``'s result for ``key``: from the cache, from a job already running, or a new job.

    ``on_wait(job)`` is called every ``poll`` seconds while waiting (draw the progress there; a
    Streamlit call there is also where a rerun or a closed tab stops the wait). Re-raises the
    work's own exception.

    >>> shared(("doc", 1), lambda report: sum(range(10)))
    45
    >>> cached(("doc", 1))
    45
    """
    hit = cached(key)
    if hit is not None:
        return hit
    for _ in range(3):  # a job cancelled just before we attached is started again
        job = _attach(key, fn)
        try:
            while not job.done.wait(poll):
                if on_wait is not None:
                    on_wait(job)
        finally:
            _detach(job)
        if isinstance(job.error, Cancelled):
            continue
        if job.error is not None:
            raise job.error
        return job.result
    raise RuntimeError("the computation was cancelled three times in a row")
