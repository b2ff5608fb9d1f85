r"""Momentum in its three textbook conventions, and Nesterov's accelerated gradient.

The three notations (EECS 182, Goodfellow/NPTEL, PyTorch) are one table, :data:`CONVENTIONS`: the
switch, the formulas, the pages and the README all read it (a test holds the README to it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from ..base import Switch
from ..blocks import ema, trace
from ..record import BETA, Optimizer, lr_param


@dataclass(frozen=True)
class Convention:
    """One textbook way to write momentum: who writes it so, the rule, and what it weighs."""

    name: str
    who: str  # short: "EECS 182"
    rule: str  # plain text, for labels and tables
    latex: str  # one line, for tables
    source: str
    weight: str  # the weight of the gradient from τ steps ago in the buffer, in this notation
    momentum: str  # the heavy-ball update, aligned LaTeX with step indices
    nesterov: str  # Nesterov's update in the same notation

    @property
    def label(self) -> str:
        return f"{self.who}: {self.rule}"


def _aligned(*lines: str) -> str:
    return r"\begin{aligned} " + r" \\ ".join(lines) + r" \end{aligned}"


CONVENTIONS: dict[str, Convention] = {
    c.name: c
    for c in (
        Convention(
            "ema",
            "EECS 182",
            "a ← (1−β)a + β∇L, w ← w − ηa",
            r"a \leftarrow (1-\beta)a + \beta\nabla L,\ w \leftarrow w - \eta a",
            "EECS 182 (15 Sept 2022) eq. 6–7",
            "β(1−β)^τ",
            _aligned(
                r"a_{k+1} &= (1-\beta)\,a_k + \beta\,\nabla L(w_k)",
                r"w_{k+1} &= w_k - \eta\, a_{k+1}",
            ),
            _aligned(
                r"a_{k+1} &= (1-\beta)\,a_k + \beta\,\nabla L\big(w_k - \eta(1-\beta)\,a_k\big)",
                r"w_{k+1} &= w_k - \eta\, a_{k+1}",
            ),
        ),
        Convention(
            "heavy_ball",
            "Goodfellow / NPTEL",
            "v ← βv + η∇L, w ← w − v",
            r"v \leftarrow \beta v + \eta\nabla L,\ w \leftarrow w - v",
            "Goodfellow Alg. 8.2, NPTEL",
            "ηβ^τ",
            _aligned(r"v_{k+1} &= \beta\, v_k + \eta\,\nabla L(w_k)", r"w_{k+1} &= w_k - v_{k+1}"),
            _aligned(
                r"v_{k+1} &= \beta\, v_k + \eta\,\nabla L(w_k - \beta v_k)",
                r"w_{k+1} &= w_k - v_{k+1}",
            ),
        ),
        Convention(
            "pytorch",
            "PyTorch",
            "v ← βv + ∇L, w ← w − ηv",
            r"v \leftarrow \beta v + \nabla L,\ w \leftarrow w - \eta v",
            "torch.optim.SGD",
            "β^τ",
            _aligned(r"v_{k+1} &= \beta\, v_k + \nabla L(w_k)", r"w_{k+1} &= w_k - \eta\, v_{k+1}"),
            _aligned(
                r"v_{k+1} &= \beta\, v_k + \nabla L(w_k)",
                r"w_{k+1} &= w_k - \eta\,\big(\nabla L(w_k) + \beta\, v_{k+1}\big)",
            ),
        ),
    )
}
CONVENTION = Switch(
    "convention",
    "convention",
    "pytorch",
    tuple(CONVENTIONS),
    help="Which textbook form of momentum.",
    labels={name: c.label for name, c in CONVENTIONS.items()},
)


ERRATA = (
    "19CSE437 (NPTEL) code: its Momentum and NAG loops add up the gradients of every example "
    "(dw += …; v = γv + η·dw) while its GD loop divides by N (η·dw/N), so the same η is N times "
    "larger for them. The engine averages: use η × N to reproduce NPTEL's momentum runs.",
)


class MomentumState(NamedTuple):
    buf: np.ndarray  # (R, D): a (ema), v (heavy_ball, pytorch)


def momentum_init(params, hp) -> MomentumState:
    return MomentumState(np.zeros_like(params))


def momentum_update(g, state, params, lr, k, hp):
    r"""Heavy-ball momentum in the convention ``hp["convention"]`` (rules in :data:`CONVENTIONS`).

    * ``"ema"`` — EECS 182, 15 Sept 2022, eq. (6)–(7): ``a ← (1−β)a + β g``, ``w ← w − η a``.
      β weights the *new* gradient; ``β = 1`` is plain GD, small β averages over ~1/β steps.
    * ``"heavy_ball"`` — Goodfellow Alg. 8.2 (``v ← αv − εg; θ ← θ + v``, written here with the sign
      of ``v`` flipped) and NPTEL (``v_t = γ v_{t−1} + η ∇w_t; w ← w − v_t``).
    * ``"pytorch"`` — ``torch.optim.SGD(momentum=β, dampening=0)``: ``v ← βv + g``, ``w ← w − ηv``.

    With a constant η, heavy_ball(η, β) and pytorch(η, β) give identical iterates (``v_hb = η v_pt``);
    ema(η, β) equals pytorch(ηβ, 1−β) (``a = β v_pt``). They differ when η changes over time:
    heavy_ball scales only the new gradient by the new η, pytorch rescales the whole buffer.
    """
    beta, conv = hp["beta"], hp["convention"]
    if conv == "ema":
        buf = ema(state.buf, g, 1.0 - beta)
        return params - lr * buf, MomentumState(buf)
    if conv == "heavy_ball":
        buf = trace(state.buf, g, beta, lr)
        return params - buf, MomentumState(buf)
    buf = trace(state.buf, g, beta)
    return params - lr * buf, MomentumState(buf)


def nesterov_lookahead(params, state, lr, hp):
    """Where the EECS 182 and NPTEL forms evaluate the gradient (PyTorch's form needs none)."""
    beta, conv = hp["beta"], hp["convention"]
    if conv == "ema":
        return params - lr * (1.0 - beta) * state.buf
    if conv == "heavy_ball":
        return params - beta * state.buf
    return params


def nesterov_update(g, state, params, lr, k, hp):
    r"""Nesterov momentum in the convention ``hp["convention"]``.

    * ``"ema"`` — EECS 182 eq. (8): the gradient is taken at ``w − η(1−β)a`` (where the known part
      of the next step leads), then ``a ← (1−β)a + βg``, ``w ← w − ηa``.
    * ``"heavy_ball"`` — NPTEL NAG: ``w_temp = w − βv``; ``v ← βv + η∇L(w_temp)``; ``w ← w − v``.
    * ``"pytorch"`` — ``torch.optim.SGD(nesterov=True)``: ``g = ∇L(w)``; ``v ← βv + g``;
      ``w ← w − η(g + βv)``. This tracks the look-ahead point instead of ``w``, so its iterates differ
      from the other two while sharing their rate on a quadratic.

    With a constant η, ema(η, β) and heavy_ball(ηβ, 1−β) give identical iterates.
    ``g`` passed in has already been evaluated at :func:`nesterov_lookahead`.
    """
    beta, conv = hp["beta"], hp["convention"]
    if conv == "pytorch":
        buf = trace(state.buf, g, beta)
        return params - lr * (g + beta * buf), MomentumState(buf)
    return momentum_update(g, state, params, lr, k, hp)


ENTRIES = (
    Optimizer(
        "momentum",
        "Momentum (heavy ball)",
        momentum_init,
        momentum_update,
        (lr_param(0.05), BETA),
        {name: c.momentum for name, c in CONVENTIONS.items()},
        "EECS 182 eq. (6)–(7); Goodfellow Alg. 8.2; NPTEL; torch.optim.SGD",
        switches=(CONVENTION,),
        formula_key=lambda hp: hp["convention"],
        notes="ema(η, β) ≡ pytorch(ηβ, 1−β) ≡ heavy_ball(ηβ, 1−β) at constant η.",
        errata=ERRATA,
        records={"m": "buf"},
    ),
    Optimizer(
        "nesterov",
        "Nesterov (accelerated gradient)",
        momentum_init,
        nesterov_update,
        (lr_param(0.05), BETA),
        {name: c.nesterov for name, c in CONVENTIONS.items()},
        "EECS 182 eq. (8); NPTEL NAG; torch.optim.SGD(nesterov=True)",
        switches=(CONVENTION,),
        formula_key=lambda hp: hp["convention"],
        lookahead=nesterov_lookahead,
        records={"m": "buf", "lookahead": ""},
        lookahead_if=lambda hp: hp["convention"] != "pytorch",
    ),
)
