"""Write tests/data/schedulefree_reference.json: the ``schedulefree`` package's reference classes'
three sequences (x, y, z), which the engine's ``sf_sgd`` and ``sf_adamw`` must reproduce.

Run with a Python that has PyTorch and schedulefree (neither is a dependency of the app or tests):

    python -m bench.schedulefree_reference   # e.g. a venv with `pip install torch schedulefree`

Mapping: one engine step of ``optim.run(surface, "sf_sgd", x0, steps, lr=η, beta=β, …)`` is one
``optimizer.step()`` of ``SGDScheduleFreeReference([w], lr=η, momentum=β, …)`` (and likewise
AdamW, whose ``betas=(β, β₂)``), in float64, with ``w.grad`` set to the surface's analytic gradient
at the point the optimizer holds (y), written with the same operations as ``surfaces.catalog``.
After step k the package holds ``p = y_{k+1}`` and its state ``x_{k+1}``, ``z_{k+1}``.
"""

from __future__ import annotations

import json
from importlib.metadata import version
from pathlib import Path

import schedulefree
import torch

from bench.lbfgs_reference import quadratic, rosenbrock

OUT = Path(__file__).resolve().parent.parent / "tests" / "data" / "schedulefree_reference.json"

CASES = [
    {
        "optimizer": "sf_sgd",
        "surface": "quadratic",
        "params": {"kappa": 20.0, "angle_deg": 30.0},
        "start": [-2.5, 1.5],
        "hp": {"lr": 0.5, "beta": 0.9},
        "steps": 60,
    },
    {
        "optimizer": "sf_sgd",
        "surface": "rosenbrock",
        "params": {"b": 100.0},
        "start": [-1.5, 2.0],
        "hp": {"lr": 5e-4, "beta": 0.8, "weight_decay": 0.01, "r": 1.0},
        "steps": 60,
    },
    {
        "optimizer": "sf_adamw",
        "surface": "quadratic",
        "params": {"kappa": 20.0, "angle_deg": 30.0},
        "start": [2.0, -1.0],
        "hp": {"lr": 0.1, "beta": 0.9, "beta2": 0.999, "eps": 1e-8},
        "steps": 60,
    },
    {
        "optimizer": "sf_adamw",
        "surface": "rosenbrock",
        "params": {"b": 100.0},
        "start": [0.0, 2.5],
        "hp": {
            "lr": 0.05,
            "beta": 0.95,
            "beta2": 0.99,
            "eps": 1e-6,
            "weight_decay": 0.1,
            "r": 2.0,
            "weight_lr_power": 1.0,
        },
        "steps": 60,
    },
]


def _make(case: dict, w: torch.Tensor):
    hp = dict(case["hp"])
    common = {
        "lr": hp["lr"],
        "weight_decay": hp.get("weight_decay", 0.0),
        "r": hp.get("r", 0.0),
        "weight_lr_power": hp.get("weight_lr_power", 2.0),
    }
    if case["optimizer"] == "sf_sgd":
        return schedulefree.SGDScheduleFreeReference([w], momentum=hp["beta"], **common)
    return schedulefree.AdamWScheduleFreeReference(
        [w], betas=(hp["beta"], hp["beta2"]), eps=hp["eps"], **common
    )


def sequences(case: dict) -> dict[str, list[list[float]]]:
    make = {"quadratic": quadratic, "rosenbrock": rosenbrock}[case["surface"]]
    f_grad = make(**case["params"])
    w = torch.tensor(case["start"], dtype=torch.float64, requires_grad=True)
    opt = _make(case, w)
    opt.train()
    out: dict[str, list[list[float]]] = {"x": [], "y": [], "z": []}
    for _ in range(case["steps"]):
        with torch.no_grad():
            _, g = f_grad(w.detach())
        w.grad = g.clone()
        opt.step()
        state = opt.state[w]
        out["y"].append(w.detach().tolist())
        out["x"].append(state["x"].tolist())
        out["z"].append(state["z"].tolist())
    return out


def main() -> None:
    torch.set_default_dtype(torch.float64)
    out = {
        "torch": torch.__version__,
        "schedulefree": version("schedulefree"),
        "cases": [{**case, **sequences(case)} for case in CASES],
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(out, indent=1))
    print(f"wrote {OUT} ({len(CASES)} cases)")


if __name__ == "__main__":
    main()
