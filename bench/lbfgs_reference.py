"""Write tests/data/lbfgs_torch.json: torch.optim.LBFGS trajectories the engine must reproduce.

Run with a Python that has PyTorch (it is not a dependency of the app or the tests):

    python -m bench.lbfgs_reference          # e.g. from a venv with `pip install torch==2.13.0`

Mapping: one engine step of ``optim.run(surface, "lbfgs", x0, steps, lr=η, history=m)`` is one
``optimizer.step(closure)`` of ``torch.optim.LBFGS([w], lr=η, max_iter=1, history_size=m,
line_search_fn=None)`` (default tolerances), in float64. The closure sets ``w.grad`` to the
surface's analytic gradient, written with the same operations as ``surfaces.catalog``, so both
sides see bit-identical gradients and any difference is the optimizer's. (torch's dot products
may round differently from NumPy's; on Rosenbrock that difference, ~1e-15 at first, grows to
~1e-10 by step 40 and ~1e-8 by step 60, so the cases stop at 40 steps.)
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import torch

OUT = Path(__file__).resolve().parent.parent / "tests" / "data" / "lbfgs_torch.json"


def quadratic(kappa: float, angle_deg: float, scale: float = 1.0):
    lam_max, lam_min = scale, scale / kappa
    th = math.radians(angle_deg)
    c, s = math.cos(th), math.sin(th)
    hxx = lam_min * c * c + lam_max * s * s
    hyy = lam_min * s * s + lam_max * c * c
    hxy = (lam_min - lam_max) * c * s

    def f_grad(w):
        x, y = w[0], w[1]
        f = 0.5 * (hxx * x * x + 2 * hxy * x * y + hyy * y * y)
        return f, torch.stack([hxx * x + hxy * y, hxy * x + hyy * y])

    return f_grad


def rosenbrock(b: float):
    def f_grad(w):
        x, y = w[0], w[1]
        r = y - x * x
        f = (x - 1) ** 2 + b * r * r
        return f, torch.stack([2 * (x - 1) - (4 * b) * x * r, (2 * b) * r])

    return f_grad


CASES = [
    {
        "surface": "quadratic",
        "params": {"kappa": 20.0, "angle_deg": 30.0},
        "start": [-2.5, 1.5],
        "lr": 1.0,
        "history": 10,
        "steps": 40,
    },
    {
        "surface": "quadratic",
        "params": {"kappa": 20.0, "angle_deg": 30.0},
        "start": [2.0, -1.0],
        "lr": 0.5,
        "history": 2,
        "steps": 40,
    },
    {
        "surface": "rosenbrock",
        "params": {"b": 100.0},
        "start": [-1.5, 2.0],
        "lr": 0.5,
        "history": 5,
        "steps": 40,
    },
    {
        "surface": "rosenbrock",
        "params": {"b": 100.0},
        "start": [0.0, 2.5],
        "lr": 0.25,
        "history": 10,
        "steps": 40,
    },
]


def trajectory(case: dict) -> list[list[float]]:
    make = {"quadratic": quadratic, "rosenbrock": rosenbrock}[case["surface"]]
    f_grad = make(**case["params"])
    w = torch.tensor(case["start"], dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS(
        [w], lr=case["lr"], max_iter=1, history_size=case["history"], line_search_fn=None
    )

    def closure():
        with torch.no_grad():
            f, g = f_grad(w.detach())
        w.grad = g.clone()
        return f

    path = [w.detach().tolist()]
    for _ in range(case["steps"]):
        opt.step(closure)
        path.append(w.detach().tolist())
    return path


def main() -> None:
    out = {"torch": torch.__version__, "cases": []}
    for case in CASES:
        out["cases"].append({**case, "xy": trajectory(case)})
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(out, indent=1))
    print(f"wrote {OUT} (torch {torch.__version__}, {len(CASES)} cases)")


if __name__ == "__main__":
    main()
