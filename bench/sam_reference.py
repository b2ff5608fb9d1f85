"""Write tests/data/sam_reference.json: the ``sam-pytorch`` package's SAM around ``torch.optim.SGD``,
which the engine's ``sam`` must reproduce.

Run with a Python that has PyTorch and sam-pytorch (neither is a dependency of the app or tests):

    python -m bench.sam_reference   # e.g. a venv with `pip install torch sam-pytorch`

Mapping: one engine step of ``optim.run(surface, "sam", x0, steps, lr=η, rho=ρ)`` is one
``SAM([w], torch.optim.SGD([w], lr=η), rho=ρ).step(closure)`` in float64; the closure sets
``w.grad`` to the surface's analytic gradient (the same operations as ``surfaces.catalog``).
"""

from __future__ import annotations

import json
from importlib.metadata import version
from pathlib import Path

import torch
from sam import SAM

from bench.lbfgs_reference import quadratic, rosenbrock

OUT = Path(__file__).resolve().parent.parent / "tests" / "data" / "sam_reference.json"

CASES = [
    {
        "surface": "quadratic",
        "params": {"kappa": 20.0, "angle_deg": 30.0},
        "start": [-2.5, 1.5],
        "lr": 0.5,
        "rho": 0.2,
        "steps": 40,
    },
    {
        "surface": "rosenbrock",
        "params": {"b": 100.0},
        "start": [-1.5, 2.0],
        "lr": 5e-4,
        "rho": 0.05,
        "steps": 40,
    },
]


def path(case: dict) -> list[list[float]]:
    f_grad = {"quadratic": quadratic, "rosenbrock": rosenbrock}[case["surface"]](**case["params"])
    w = torch.tensor(case["start"], dtype=torch.float64, requires_grad=True)
    opt = SAM([w], torch.optim.SGD([w], lr=case["lr"]), rho=case["rho"])

    def closure():
        with torch.no_grad():
            f, g = f_grad(w.detach())
        w.grad = g.clone()
        return f

    out = [w.detach().tolist()]
    for _ in range(case["steps"]):
        closure()  # SAM reads the gradient at w from .grad, then asks the closure again
        opt.step(closure)
        out.append(w.detach().tolist())
    return out


def main() -> None:
    out = {
        "torch": torch.__version__,
        "sam-pytorch": version("sam-pytorch"),
        "cases": [{**c, "xy": path(c)} for c in CASES],
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(out, indent=1))
    print(f"wrote {OUT} ({len(CASES)} cases)")


if __name__ == "__main__":
    main()
