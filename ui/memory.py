"""Keep the server's resident memory close to what it uses: glibc's allocator, tuned once.

Streamlit runs every script run on a thread of its own. glibc gives threads their own malloc
arenas (up to 8 per core) and raises its mmap threshold after large frees, so NumPy's big
temporaries end up in arenas that are never returned to the system: measured here, 30 sessions
of mixed traffic left the server at 425 MB resident. Capping the arenas at two and keeping large
blocks (≥ 4 MB) on ``mmap``, which is unmapped on free, brought the same traffic to 323 MB
(``tests/server/test_load.py`` prints it; the arena cap alone gave 393 MB). The threshold is a trade
measured here: at 128 kB (306 MB) every mid-sized NumPy temporary became an ``mmap`` plus fresh
zeroed pages and a linear-regression sweep cost 4.5× the CPU; at 1 MB (314 MB) a logistic
sweep still cost 1.4×; at 4 MB the sweeps cost what they did (5.05 s against 5.17 s).
Elsewhere than glibc this does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

__all__ = ["freeze_imports", "one_blas_thread", "tune_malloc"]

_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD, _M_ARENA_MAX = -1, -3, -8
_done = False


def tune_malloc(arenas: int = 2, threshold: int = 4 * 2**20) -> bool:
    """Cap malloc arenas and fix the mmap/trim thresholds (glibc only); True if it was applied."""
    global _done
    if _done:
        return True
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        ok = all(
            libc.mallopt(option, value) == 1
            for option, value in (
                (_M_ARENA_MAX, arenas),
                (_M_MMAP_THRESHOLD, threshold),
                (_M_TRIM_THRESHOLD, threshold),
            )
        )
    except (OSError, AttributeError):  # not glibc (musl, macOS): nothing to tune
        return False
    _done = ok
    return ok


_frozen = False


def freeze_imports() -> bool:
    """Move every object alive now (the modules the app imported: NumPy, Plotly, Streamlit, the
    app's own) out of the garbage collector's reach, once per process; True if it did now.

    Streamlit runs a full collection (``gc.collect(2)``, ``runner.postScriptGC``) after every
    script run, and a full collection walks every tracked object: measured with py-spy on a class
    of 60 arriving at once, those collections were 43 % of the server's CPU. Objects made at
    import time live as long as the process, so ``gc.freeze()`` (made for this) moves them to a
    permanent generation that collections skip; what a session makes and drops is still
    collected after each run, as before.
    """
    global _frozen
    if _frozen:
        return False
    import gc

    _frozen = True
    gc.collect()
    gc.freeze()
    return True


def one_blas_thread() -> bool:
    """Run NumPy's BLAS (OpenBLAS here) on the calling thread only; True if a BLAS was limited.

    OpenBLAS starts a thread per core and its threads spin while they wait for work: on this
    2-core machine the Playground's costliest link (8 runs with Newton on the logistic data, its
    table shown) cost **2.25 s of CPU for 1.25 s of wall clock**; with one BLAS thread, 1.50 s for
    1.48 s (a real server, cold, one run). A class's server runs many sessions' scripts at once
    on a fraction of a core, where a second BLAS thread buys no time and its spinning is billed
    to the class. The limit is process-wide and set once (``threadpoolctl``: the environment
    variables are read when NumPy loads, before the app runs).
    """
    global _blas
    if _blas is None:
        from threadpoolctl import threadpool_info, threadpool_limits

        threadpool_limits(limits=1, user_api="blas")  # kept: not used as a context manager
        _blas = [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"] == [1]
    return _blas


_blas: bool | None = None
