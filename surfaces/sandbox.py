"""Run one untrusted-input job in a short-lived child process with hard CPU, memory and time limits.

A typed formula is analysed by SymPy, whose ``latex``, ``evalf`` and big-integer paths can run for
minutes on a 15-character input, inside C code that no thread can interrupt. So the analysis runs in
a process of its own, and the limits are the operating system's:

- ``ITIMER_PROF`` raises :class:`OutOfTime` in the child after ``cpu`` seconds of CPU, so a job
  stuck in Python code ends with a clean answer;
- ``RLIMIT_CPU`` kills it at the next whole second of CPU (1 s for a budget under 1 s) if it
  is stuck in C code;
- ``RLIMIT_AS`` caps its address space, so a runaway allocation is a ``MemoryError`` in the child,
  never in the server;
- after ``wall`` seconds the child is killed, whatever it is doing.

How: one helper process (started on first use, SymPy imported once) reads jobs on its stdin and
``fork``\\ s a child per job: the helper is single-threaded, so forking it is safe, and a fork costs
milliseconds where a fresh interpreter with SymPy costs a second. The helper waits for the child's
answer, kills it at the deadline, reaps it, and answers on its stdout. Jobs run one at a time (a
class typing formulas queues for a moment instead of starving the server's two cores), shared
fairly between browser sessions (:class:`Turns`: the least recent user goes first); the helper
exits when the server does (its stdin closes). Nothing is left running between jobs.

Not :mod:`multiprocessing`: its ``spawn``/``forkserver`` children re-import the parent's
``__main__``, and Streamlit replaces ``sys.modules["__main__"]`` with the page being run, so every
child would re-run a page script.
"""

from __future__ import annotations

import contextlib
import contextvars
import math
import os
import pickle
import resource
import select
import signal
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["OutOfTime", "SandboxError", "Turns", "helper_pid", "on_behalf_of", "run", "stats"]

_ROOT = str(Path(__file__).resolve().parent.parent)
_PRELOAD = ("numpy", "sympy", "surfaces.formula")
_HEADER = struct.Struct("!Q")


class OutOfTime(Exception):
    """Raised inside the child when its CPU budget is spent."""


class SandboxError(Exception):
    """The job gave no answer: ``reason`` is ``time``, ``memory``, ``busy`` or ``crash``."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


# -- framing: an 8-byte length, then a pickle ------------------------------------------------------
def _write(fd: int, obj: Any) -> None:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    view = memoryview(_HEADER.pack(len(data)) + data)
    while view:
        view = view[os.write(fd, view) :]


def _read_exact(fd: int, n: int, deadline: float | None) -> bytes | None:
    """``n`` bytes from ``fd``, or None at end of file or past ``deadline`` (monotonic)."""
    chunks, got = [], 0
    while got < n:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                return None
        chunk = os.read(fd, n - got)
        if not chunk:
            return None
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def _read(fd: int, deadline: float | None = None) -> Any:
    head = _read_exact(fd, _HEADER.size, deadline)
    if head is None:
        raise EOFError
    body = _read_exact(fd, _HEADER.unpack(head)[0], deadline)
    if body is None:
        raise EOFError
    return pickle.loads(body)


# -- the child: limits, the job, one answer -------------------------------------------------------
def _on_prof(signum: int, frame: Any) -> None:
    raise OutOfTime


def _child(fd: int, fn: Callable, args: tuple, cpu: float, memory_mb: int) -> None:
    limit = max(1, math.ceil(cpu))  # whole seconds: SIGXCPU there, SIGKILL a second later
    resource.setrlimit(resource.RLIMIT_CPU, (limit, limit + 1))
    if memory_mb:
        with open("/proc/self/statm") as f:
            size = int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        limit = size + memory_mb * 2**20
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    signal.signal(signal.SIGPROF, _on_prof)
    signal.setitimer(signal.ITIMER_PROF, cpu)
    try:
        out: tuple = ("ok", fn(*args))
    except OutOfTime:
        out = ("time", "")
    except MemoryError:
        out = ("memory", "")
    except ValueError as err:
        out = ("value", str(err))
    except BaseException as err:  # any class a library can raise is an answer, not a crash
        out = ("crash", type(err).__name__)
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
    try:
        _write(fd, out)
    except Exception:  # the answer cannot be pickled, or is too large for the memory cap
        _write(fd, ("crash", "unsendable answer"))


# -- the helper: one job at a time, each in a fork ------------------------------------------------
def _serve() -> None:
    """The helper's loop (in its own process; tested through :func:`run`)."""
    import importlib

    for name in _PRELOAD:
        importlib.import_module(name)
    stdin, stdout = sys.stdin.buffer.fileno(), sys.stdout.buffer.fileno()
    _write(stdout, ("ready", os.getpid()))
    while True:
        try:
            fn, args, cpu, wall, memory_mb = _read(stdin)
        except EOFError:  # the server is gone
            os._exit(0)
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(r)
            try:
                _child(w, fn, args, cpu, memory_mb)
            finally:
                os._exit(0)
        os.close(w)
        try:
            answer = _read(r, time.monotonic() + wall)
        except EOFError:
            answer = None
        except Exception:  # a malformed answer
            answer = ("crash", "unreadable answer")
        os.close(r)
        if answer is None:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        _, status, usage = os.wait4(pid, 0)
        if answer is None:
            died = os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGXCPU
            answer = ("time", "wall clock" if not died else "cpu limit")
        _write(stdout, (answer, usage.ru_utime + usage.ru_stime))


class _Helper:
    def __init__(self) -> None:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (_ROOT, env.get("PYTHONPATH")) if p)
        env["OPENBLAS_NUM_THREADS"] = env["OMP_NUM_THREADS"] = "1"  # as the server (ui.memory)
        self.proc = subprocess.Popen(
            [sys.executable, "-c", "from surfaces.sandbox import _serve; _serve()"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
            cwd=_ROOT,
        )
        kind, self.pid = _read(self.proc.stdout.fileno(), time.monotonic() + 120)
        assert kind == "ready"

    def send(self, job: tuple) -> None:
        _write(self.proc.stdin.fileno(), job)

    def answer(self, wall: float) -> tuple:
        return _read(self.proc.stdout.fileno(), time.monotonic() + wall + 5)

    def close(self) -> None:
        self.proc.kill()
        self.proc.wait()


class Turns:
    """One job at a time, shared fairly between owners (a browser session each).

    The next job to run is the one whose owner used the least sandbox CPU over the last
    ``window`` seconds (first come first served among equals): a student's first formula goes
    before the tenth formula of a session typing many. An owner has at most one job waiting, and
    one that used more than ``share`` seconds of CPU in the window is told the sandbox is busy
    (``SandboxError("busy", "share")``) while others are running or waiting, instead of making
    them wait behind it. A job that cannot start within its ``timeout`` is busy too.
    """

    MAX_OWNERS = 2000  # owners whose recent use is remembered (the oldest are forgotten)

    def __init__(self, share: float = 3.0, window: float = 60.0) -> None:
        self.share, self.window = share, window
        self._cond = threading.Condition()
        self._running = False
        self._waiting: list[tuple[float, int, str]] = []  # (recent CPU, arrival, owner)
        self._seq = 0
        self._used: dict[str, list[tuple[float, float]]] = {}  # owner -> [(time, cpu)]

    def recent(self, owner: str, now: float | None = None) -> float:
        """CPU seconds ``owner``'s jobs used over the last ``window`` seconds."""
        now = time.monotonic() if now is None else now
        kept = [(t, c) for t, c in self._used.get(owner, []) if now - t < self.window]
        if owner in self._used:
            self._used[owner] = kept
        return sum(c for _, c in kept)

    def acquire(self, owner: str, timeout: float) -> None:
        with self._cond:
            now = time.monotonic()
            if owner and any(w[2] == owner for w in self._waiting):
                raise SandboxError("busy", "yours")
            used = self.recent(owner, now) if owner else 0.0
            if owner and used > self.share and (self._running or self._waiting):
                raise SandboxError("busy", "share")
            self._seq += 1
            ticket = (used, self._seq, owner)
            self._waiting.append(ticket)
            deadline = now + timeout
            while self._running or min(self._waiting) != ticket:
                left = deadline - time.monotonic()
                if left <= 0:
                    self._waiting.remove(ticket)
                    self._cond.notify_all()
                    raise SandboxError("busy")
                self._cond.wait(left)
            self._waiting.remove(ticket)
            self._running = True

    def release(self, owner: str, cpu: float) -> None:
        with self._cond:
            self._running = False
            if owner:
                self._used.setdefault(owner, []).append((time.monotonic(), float(cpu)))
                while len(self._used) > self.MAX_OWNERS:
                    self._used.pop(next(iter(self._used)))
            self._cond.notify_all()


OWNER: contextvars.ContextVar[str] = contextvars.ContextVar("sandbox_owner", default="")


@contextlib.contextmanager
def on_behalf_of(owner: str):
    """Run the jobs started inside as ``owner``'s (a browser session's id): see :class:`Turns`."""
    token = OWNER.set(str(owner))
    try:
        yield
    finally:
        OWNER.reset(token)


_TURNS = Turns()
_helper: _Helper | None = None
_STATS = {"jobs": 0, "cpu": 0.0, "last_cpu": 0.0}


def _drop_helper() -> None:
    global _helper
    if _helper is not None:
        _helper.close()
        _helper = None


def helper_pid() -> int | None:
    """The helper process's id, or None before the first job (for tests and benchmarks)."""
    return _helper.pid if _helper is not None else None


def stats() -> dict[str, float]:
    """Jobs run so far, the CPU seconds their children used, and the last job's CPU seconds."""
    return dict(_STATS)


def run(
    fn: Callable[..., Any],
    args: tuple = (),
    *,
    cpu: float = 1.0,
    wall: float = 4.0,
    memory_mb: int = 1024,
    queue: float = 10.0,
) -> Any:
    """``fn(*args)`` in a child process; its return value, or the ``ValueError`` it raised.

    ``fn`` must be a module-level function (it is pickled by name). Raises :class:`SandboxError`
    when the child ran out of CPU or time (``time``) or memory (``memory``), died or raised
    anything else (``crash``), or when the job could not start within ``queue`` seconds, or its
    owner (:func:`on_behalf_of`) is over its share while others wait (``busy``: :class:`Turns`).

    >>> run(pow, (2, 10))
    1024
    >>> run(math.factorial, (10**7,), cpu=0.2)  # 0.2 s of CPU, then an answer
    Traceback (most recent call last):
    ...
    surfaces.sandbox.SandboxError: time
    """
    global _helper
    owner = OWNER.get()
    _TURNS.acquire(owner, queue)
    cpu_used = 0.0
    try:
        for attempt in (1, 2):  # a helper that died since the last job is started afresh, once
            try:
                if _helper is None:
                    _helper = _Helper()
                _helper.send((fn, args, cpu, wall, memory_mb))
                break
            except (EOFError, OSError, AssertionError):
                _drop_helper()
                if attempt == 2:
                    raise SandboxError("crash", "helper process unavailable") from None
        try:
            answer, cpu_used = _helper.answer(wall)
        except (EOFError, OSError):  # the helper itself hung or died on this job: never retried
            _drop_helper()
            cpu_used = cpu  # charged its whole budget: a share counts what it cost
            raise SandboxError("time", "helper") from None
        _STATS["jobs"] += 1
        _STATS["cpu"] += cpu_used
        _STATS["last_cpu"] = cpu_used
    finally:
        _TURNS.release(owner, cpu_used)
    kind, value = answer
    if kind == "ok":
        return value
    if kind == "value":
        raise ValueError(value)
    raise SandboxError(kind, value)
