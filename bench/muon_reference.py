"""Write tests/data/muon_reference.json: ``torch.optim.Muon``'s steps on the associative memory,
which the engine's Muon must reproduce.

Run with a Python that has PyTorch (≥ 2.9; not a dependency of the app or the tests):

    python -m bench.muon_reference   # e.g. a venv with `pip install torch`

Mapping: the engine stores W as ``keys × width`` (a layer's ``n_in × n_out``); torch's parameter is
its transpose ``P = Wᵀ`` (``A × B`` = fan-out × fan-in), whose gradient is the engine's gradient
transposed, computed here by the surface itself (so both sides see the same gradients). Each case
is run twice: as torch does it (Newton–Schulz in bfloat16) and with ``Tensor.bfloat16`` made the
identity, so the whole step runs in float64 (the same algorithm, without bfloat16's rounding).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch

from surfaces.matrix import associative_memory

OUT = Path(__file__).resolve().parent.parent / "tests" / "data" / "muon_reference.json"

CASES = [
    {"keys": 8, "width": 4, "lr": 0.05, "momentum": 0.95, "weight_decay": 0.0, "nesterov": True},
    {"keys": 8, "width": 12, "lr": 0.02, "momentum": 0.9, "weight_decay": 0.1, "nesterov": False},
    {"keys": 12, "width": 12, "lr": 0.1, "momentum": 0.95, "weight_decay": 0.01, "nesterov": True},
]
STEPS = 25


def path(case: dict, float64: bool) -> list[list[float]]:
    m = associative_memory(case["keys"], case["width"])
    w0 = 0.1 * np.random.default_rng(1).standard_normal(m.dim)
    P = torch.tensor(w0.reshape(m.keys, m.width).T.copy(), dtype=torch.float64)
    P.requires_grad_(True)
    opt = torch.optim.Muon(
        [P],
        lr=case["lr"],
        momentum=case["momentum"],
        weight_decay=case["weight_decay"],
        nesterov=case["nesterov"],
    )
    keep = torch.Tensor.bfloat16
    if float64:
        torch.Tensor.bfloat16 = lambda self: self.clone()
    try:
        out = [w0.tolist()]
        for _ in range(STEPS):
            w = P.detach().numpy().T.ravel()
            P.grad = torch.tensor(m.grad(w[None])[0].reshape(m.keys, m.width).T.copy())
            opt.step()
            out.append(P.detach().numpy().T.ravel().tolist())
    finally:
        torch.Tensor.bfloat16 = keep
    return out


def main() -> None:
    out = {
        "torch": torch.__version__,
        "steps": STEPS,
        "cases": [{**c, "float64": path(c, True), "bfloat16": path(c, False)} for c in CASES],
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(out))
    print(f"wrote {OUT} ({len(CASES)} cases, torch {torch.__version__})")


if __name__ == "__main__":
    main()
