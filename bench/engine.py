"""Benchmark: prints throughput, latency and memory figures measured in one run on this machine.

Run with ``python -m bench.engine`` (add ``--quick`` for a shorter pass). Nothing here asserts a time:
the figures are for the notes and for comparing ratios measured side by side in the same run.
"""

from __future__ import annotations

import argparse
import math
import statistics
import time
import tracemalloc

import numpy as np

import optim
from surfaces import SURFACES, from_formula, get_surface


def _time(fn, repeat: int) -> tuple[float, float]:
    """Median and best wall time of ``fn()`` over ``repeat`` calls, in seconds."""
    fn()
    ts = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return statistics.median(ts), min(ts)


def _hand_adam_step(p, m, v, k, lr=0.05, b1=0.9, b2=0.999, eps=1e-8):
    """One Adam step on Rosenbrock (b = 100), written out by hand."""
    x, y = p[:, 0], p[:, 1]
    r = y - x * x
    g = np.empty_like(p)
    g[:, 0] = 2 * (x - 1) - 400 * x * r
    g[:, 1] = 200 * r
    m = b1 * m + (1 - b1) * g
    v = b2 * v + (1 - b2) * g * g
    t = k + 1
    return p - lr / (1 - b1**t) * m / (np.sqrt(v / (1 - b2**t)) + eps), m, v


def _hand_numpy_adam(x0: np.ndarray, steps: int):
    """The same math as optim's Adam on Rosenbrock, written as one plain NumPy loop."""
    p, m, v = x0.copy(), np.zeros_like(x0), np.zeros_like(x0)
    with np.errstate(all="ignore"):
        for k in range(steps):
            p, m, v = _hand_adam_step(p, m, v, k)
    return p


def _hand_numpy_adam_summary(x0: np.ndarray, steps: int, tol=1e-6, bound=2e3):
    """The same work as ``optim.run_summary``, by hand: Adam, the loss every step, its minimum,
    the first step within ``tol`` of the minimum, and divergence (non-finite or out of bound)."""
    p, m, v = x0.copy(), np.zeros_like(x0), np.zeros_like(x0)
    runs = p.shape[0]
    min_loss = np.full(runs, np.inf)
    reached = np.full(runs, -1)
    diverged = np.full(runs, -1)
    with np.errstate(all="ignore"):
        for k in range(steps):
            p, m, v = _hand_adam_step(p, m, v, k)
            loss = (1 - p[:, 0]) ** 2 + 100 * (p[:, 1] - p[:, 0] ** 2) ** 2
            min_loss = np.fmin(min_loss, loss)
            hit = (loss <= tol) & (reached < 0)
            reached[hit] = k + 1
            bad = ~((np.abs(p).max(axis=1) <= bound) & np.isfinite(loss)) & (diverged < 0)
            diverged[bad] = k + 1
    return p, min_loss, reached, diverged


def _python_adam(x0, steps: int, lr=0.05, b1=0.9, b2=0.999, eps=1e-8):
    """One run, plain Python floats."""
    x, y = x0
    mx = my = vx = vy = 0.0
    for k in range(steps):
        r = y - x * x
        gx, gy = 2 * (x - 1) - 400 * x * r, 200 * r
        mx, my = b1 * mx + (1 - b1) * gx, b1 * my + (1 - b1) * gy
        vx, vy = b2 * vx + (1 - b2) * gx * gx, b2 * vy + (1 - b2) * gy * gy
        t = k + 1
        c1, c2 = 1 - b1**t, 1 - b2**t
        x -= lr * (mx / c1) / (math.sqrt(vx / c2) + eps)
        y -= lr * (my / c1) / (math.sqrt(vy / c2) + eps)
    return x, y


def bench_throughput(steps: int, sizes: list[int], repeat: int) -> None:
    print(f"\n## Adam on Rosenbrock, {steps} steps: run-steps per second (higher is better)")
    print(
        "engine run = full trajectory + state; run_summary = loss, min, steps-to-tol, divergence"
        " every step;\nhand NumPy = the Adam update alone; hand summary = run_summary's work by hand"
    )
    print(
        f"{'R':>7} {'engine run':>11} {'run_summary':>12} {'hand NumPy':>11} {'hand summ.':>11}"
        f" {'plain Py':>9} {'run/hand':>9} {'summ/hand summ':>15} {'summ/hand':>10}"
        f" {'run/py':>7}"
    )
    s = get_surface("rosenbrock")
    rng = np.random.default_rng(0)
    py_rate = None
    for R in sizes:
        x0 = np.column_stack([rng.uniform(-2, 2, R), rng.uniform(-1, 3, R)])
        rep = repeat if R <= 100 else 1
        t_run = _time(lambda x0=x0: optim.run(s, "adam", x0, steps, lr=0.05), rep)[1]
        t_sum = _time(lambda x0=x0: optim.run_summary(s, "adam", x0, steps, lr=0.05), rep)[1]
        t_hand = _time(lambda x0=x0: _hand_numpy_adam(x0, steps), rep)[1]
        t_hsum = _time(lambda x0=x0: _hand_numpy_adam_summary(x0, steps), rep)[1]
        if py_rate is None:  # measured once on up to 100 runs; per run-step cost is flat
            n_py = min(R, 100) if R > 1 else 1
            t_py = _time(lambda x0=x0, n=n_py: [_python_adam(x0[i], steps) for i in range(n)], 1)[1]
            py_rate = n_py * steps / t_py
        run_r, sum_r, hand_r, hsum_r = (R * steps / t for t in (t_run, t_sum, t_hand, t_hsum))
        print(
            f"{R:>7} {run_r:>11.3g} {sum_r:>12.3g} {hand_r:>11.3g} {hsum_r:>11.3g}"
            f" {py_rate:>9.3g} {run_r / hand_r:>9.2f} {sum_r / hsum_r:>15.2f}"
            f" {sum_r / hand_r:>10.2f} {run_r / py_rate:>7.2f}"
        )
    print(
        "(plain Python: one run at a time, measured on min(R, 100) runs; its rate is per run-step)"
    )


def bench_standard_comparison(repeat: int) -> None:
    s = get_surface("rosenbrock")
    names = ["gd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"]
    specs = [optim.RunSpec(n, [s.starts[0]], {"lr": optim.lr_range(s, n)[1]}) for n in names]
    med, best = _time(lambda: optim.run_many(s, specs, 500), repeat)
    print("\n## The app's standard comparison: 6 optimizers × 1 start × 500 steps (run_many)")
    print(f"median {med * 1e3:.1f} ms, best {best * 1e3:.1f} ms  (target ≤ 20 ms)")
    med1, _ = _time(
        lambda: [optim.run(s, sp.optimizer, sp.x0, 500, **sp.hyperparams) for sp in specs], repeat
    )
    print(f"the same as 6 separate optim.run calls: median {med1 * 1e3:.1f} ms")


def bench_sweep_memory(runs: int, steps: int) -> None:
    s = get_surface("quadratic", kappa=50)
    rng = np.random.default_rng(1)
    lr = 10 ** rng.uniform(-2, 0.8, runs)
    x0 = np.tile([[2.0, 1.0]], (runs, 1))
    tracemalloc.start()
    t0 = time.perf_counter()
    summ = optim.run_summary(s, "momentum", x0, steps, lr=lr, beta=0.9, tol=1e-6)
    dt = time.perf_counter() - t0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"\n## Summary-only sweep: {runs} runs × {steps} steps (momentum on a κ=50 quadratic)")
    print(
        f"peak traced memory {peak / 2**20:.1f} MB (target ≤ 50 MB), {dt:.2f} s "
        f"(under tracemalloc); {np.sum(summ.diverged_at >= 0)} runs diverged, "
        f"{np.sum(summ.steps_to_tol >= 0)} reached tol"
    )


def bench_surfaces(repeat: int) -> None:
    print("\n## f on a 300×300 mesh, per surface (ms, best of runs)")
    grid = None
    rows = []
    for name in SURFACES:
        s = get_surface(name)
        (x0, x1), (y0, y1) = s.plot_window
        grid = np.stack(np.meshgrid(np.linspace(x0, x1, 300), np.linspace(y0, y1, 300)), -1)
        best = _time(lambda s=s, grid=grid: s.f(grid), repeat)[1]
        rows.append(f"{name:>18} {best * 1e3:8.2f}")
    formula = from_formula("sin(x)*cos(y) + 0.1*(x^2 + y^2)")
    rows.append(f"{'formula (sin·cos)':>18} {_time(lambda: formula.f(grid), repeat)[1] * 1e3:8.2f}")
    print("\n".join(rows))


def bench_formulas() -> None:
    from surfaces.formula import clear_caches

    hostile = [
        "__import__('os')",
        "9**9**9**9",
        "(" * 200 + "x" + ")" * 200,
        "x" * 500,
        "x+" * 120 + "x",
        "2^(10^10)",
        "z + 1",
        "sqrt(-1)",
    ]
    worst = 0.0
    for text in hostile:
        clear_caches()
        t0 = time.perf_counter()
        try:
            from_formula(text)
        except ValueError:
            pass
        worst = max(worst, time.perf_counter() - t0)
    clear_caches()
    t0 = time.perf_counter()
    from_formula("(1 - x)^2 + 100*(y - x^2)^2 + sin(3x)*exp(-y^2)")
    good = time.perf_counter() - t0
    print(
        f"\n## Formulas: slowest rejection {worst * 1e3:.1f} ms; parse + differentiate a good "
        f"formula {good * 1e3:.0f} ms (wall clock, SymPy's part in the sandbox's child process)"
    )


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="fewer repeats and a smaller sweep")
    args = ap.parse_args(argv)
    repeat = 3 if args.quick else 10
    print(f"numpy {np.__version__}")
    bench_throughput(1000, [1, 100, 10_000], repeat)
    bench_standard_comparison(5 if args.quick else 30)
    bench_sweep_memory(10_000, 1000)
    bench_surfaces(repeat)
    bench_formulas()


if __name__ == "__main__":
    main()
