r"""What a run does, exactly or measured: the modes a start excites on a quadratic, and one classifier.

**Linear methods on a quadratic.** On ``L(w) = L* + ½(w − w*)ᵀH(w − w*)`` GD, heavy ball and
Nesterov at a constant step are linear maps of their state ``s = (e, v)`` (``e = w − w*``, ``v``
the momentum buffer in PyTorch's units, ``v₀ = 0``): ``s_{k+1} = M s_k``. In PyTorch's ``(α, μ)``
(:func:`optim.theory.to_pytorch` maps the other notations; their iterates are the same):

* GD: ``e' = (I − αH)e``;
* heavy ball: ``v' = μv + He``, ``e' = e − αv'``;
* Nesterov (EECS 182 and NPTEL forms): ``v' = μ(I − αH)v + He`` … written in the heavy-ball
  variable ``u = αv``: ``u' = μ(I − αH)u + αHe``, ``e' = e − u'``;
* Nesterov (PyTorch's form): ``v' = μv + He``, ``e' = e − α(He + μv')``.

Each eigen-direction ``q_i`` of ``H`` (eigenvalue ``λ_i``) moves on its own, by a 1×1 (GD) or
2×2 block; the start ``e₀`` *excites* direction i when its share ``|q_iᵀe₀|`` is not zero (above
round-off). What the student sees is set by the excited blocks: the largest modulus among their
roots is the rate ρ (``< 1`` converges, ``= 1`` bounces for ever, ``> 1`` diverges), and the root
of that modulus tells the motion: real positive, it **glides** in; real negative, it
**zig-zags** (flips sign each step); complex, it **oscillates** (overshoots and comes back every
``2π/θ`` steps). A direction the start does not excite never moves, even if its block is unstable:
GD at ``αλ_max > 2`` from a start on the shallow axis converges.

**Any run, measured** (:func:`classify`): ``converge`` when its error and its step size both
go to 0; ``oscillate`` when it stays bounded without decaying (a limit cycle, period 2, the SGD
dance, RMSProp's ±η); ``diverge`` when it leaves the bounded region or grows; None when its steps
do not show which (:data:`RULE` says it in words, for the student).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from . import theory

__all__ = [
    "LINEAR",
    "RATE_TOL",
    "RULE",
    "Block",
    "Modes",
    "RateCheck",
    "block",
    "classify",
    "iteration_matrix",
    "linear_modes",
    "motion_of",
    "period_of",
    "rate_check",
]

LINEAR = ("gd", "momentum", "nesterov")  # linear on a quadratic at a constant step
AT_LIMIT = 1e-9  # |ρ − 1| below this: exactly at the stability limit (bounces for ever)
EXCITED = 1e-12  # a direction's share of the start below this (relative) is not excited
SETTLED = 1e-4  # steps below this share of the largest: settled (invisible on the map)
TIE = 1e-6  # roots whose moduli agree to this (relative) share the lead
REAL = 1e-6  # a root whose imaginary part is below this (relative) is real: a double root
# splits into a complex pair ~1e-8 apart in floating point
RULE = (
    "**converge**: the error and the step size both shrink to 0 (or settle below 10⁻⁴ of its "
    "largest step, far under what the map can show); **oscillate**: the run stays "
    "bounded but never settles (it bounces, circles or dances for ever); **diverge**: it grows "
    "without bound."
)


def _pytorch(optimizer: str, hp: dict) -> tuple[float, float]:
    lr = float(hp["lr"])
    if optimizer == "gd":
        return lr, 0.0
    alpha, mu = theory.to_pytorch(lr, float(hp.get("beta", 0.9)), hp.get("convention", "pytorch"))
    return float(alpha), float(mu)


def block(optimizer: str, hp: dict, lam: float) -> np.ndarray:
    """The iteration's block on one eigenvalue λ of H: 1×1 for GD, 2×2 on ``(e, v)`` else.

    >>> block("gd", {"lr": 0.5}, 4.0).tolist()
    [[-1.0]]
    >>> block("momentum", {"lr": 1.0, "beta": 0.5, "convention": "pytorch"}, 1.0).tolist()
    [[0.0, -0.5], [1.0, 0.5]]
    """
    alpha, mu = _pytorch(optimizer, hp)
    c = 1.0 - alpha * lam
    if optimizer == "gd":
        return np.array([[c]])
    if optimizer == "momentum":
        return np.array([[c, -alpha * mu], [lam, mu]])
    if optimizer != "nesterov":
        raise ValueError(f"{optimizer!r} is not linear on a quadratic")
    if hp.get("convention", "pytorch") == "pytorch":
        return np.array([[1.0 - alpha * (1.0 + mu) * lam, -alpha * mu * mu], [lam, mu]])
    # heavy-ball variable u = αv: u' = μ(1 − αλ)u + αλe, e' = e − u'
    return np.array([[c, -mu * c], [alpha * lam, mu * c]])


def iteration_matrix(optimizer: str, hp: dict, hessian: Any) -> np.ndarray:
    """The whole map ``s ↦ Ms`` on ``s = (e, v)`` (``e`` only for GD), built from :func:`block` in
    the eigenbasis of ``hessian`` and rotated back: ``(D, D)`` or ``(2D, 2D)``.

    >>> m = iteration_matrix("momentum", {"lr": 1.0, "beta": 0.5}, np.diag([1.0, 2.0]))
    >>> m.shape, bool(np.allclose(m[:2, :2], np.diag([0.0, -1.0])))
    ((4, 4), True)
    """
    lams, q = np.linalg.eigh(np.asarray(hessian, dtype=float))
    blocks = [block(optimizer, hp, float(lam)) for lam in lams]
    n, d = blocks[0].shape[0], len(lams)
    out = np.zeros((n * d, n * d))
    for a in range(n):
        for b in range(n):
            out[a * d : (a + 1) * d, b * d : (b + 1) * d] = (
                q @ np.diag([m[a, b] for m in blocks]) @ q.T
            )
    return out


def motion_of(root: complex) -> str:
    """The motion of one root: ``glides`` (real > 0), ``zig-zags`` (real < 0), ``oscillates``
    (complex), ``stays`` (0: that part is gone after one step).

    >>> motion_of(0.5), motion_of(-0.5), motion_of(0.3 + 0.4j)
    ('glides', 'zig-zags', 'oscillates')
    """
    r = complex(root)
    if abs(r) == 0:
        return "stays"
    if abs(r.imag) > REAL * abs(r):
        return "oscillates"
    return "glides" if r.real > 0 else "zig-zags"


@dataclass(frozen=True)
class Block:
    """One eigen-direction of H under a linear method: its roots and what the start gives it."""

    lam: float  # the curvature λ_i
    share: float  # |q_iᵀ e₀| / ‖e₀‖: how much the start excites it
    roots: tuple[complex, ...]  # the block's eigenvalues
    radius: float  # max |root|
    motion: str  # of its leading root
    defective: bool  # a double root (the error is ~k·rᵏ, not rᵏ)


@dataclass(frozen=True)
class Modes:
    """The exact iteration of a linear method from one start, on one quadratic."""

    blocks: tuple[Block, ...]  # by ascending λ
    rate: float  # the spectral radius over every direction (what theory's worst case says)
    excited_rate: float  # over the directions the start excites (what this run does)
    regime: str  # "converge", "oscillate" (ρ = 1: bounces for ever), "diverge"
    motion: str  # the leading excited motion(s), e.g. "zig-zags" or "glides and zig-zags"
    leading: tuple[Block, ...]  # the excited directions whose radius is the rate (ties kept)
    dormant: tuple[Block, ...]  # unstable directions the start does not excite

    @property
    def steps_per_decade(self) -> float:
        r = self.excited_rate
        return float(np.log(10.0) / -np.log(r)) if 0 < r < 1 else float("inf")


def linear_modes(optimizer: str, hp: dict, hessian: Any, start: Any, minimum: Any) -> Modes:
    """The modes that ``start`` excites under ``optimizer`` at ``hp`` on the quadratic with
    Hessian ``hessian`` and minimum ``minimum``, and what they make the run do.

    >>> H = np.diag([0.02, 1.0])
    >>> m = linear_modes("gd", {"lr": 2.2}, H, [-2.5, 0.0], [0.0, 0.0])  # steep axis never moves
    >>> m.regime, round(m.rate, 3), round(m.excited_rate, 3), [b.lam for b in m.dormant]
    ('converge', 1.2, 0.956, [1.0])
    >>> linear_modes("gd", {"lr": 2.2}, H, [-2.5, 0.1], [0.0, 0.0]).regime
    'diverge'
    """
    hess = np.asarray(hessian, dtype=float)
    lams, q = np.linalg.eigh(hess)
    e0 = np.asarray(start, dtype=float) - np.asarray(minimum, dtype=float)
    size = float(np.linalg.norm(e0))
    shares = np.abs(q.T @ e0) / size if size > 0 else np.zeros(len(lams))
    # a repeated eigenvalue has a whole eigenspace, in which any basis is as good: the start
    # excites it by its projection onto all of it (a round bowl has no "axis" to start on)
    for i, lam in enumerate(lams):
        same = np.abs(lams - lam) <= 1e-12 * max(abs(float(lam)), 1e-300)
        shares[i] = float(np.sqrt(np.sum(shares[same] ** 2)))
    blocks = []
    for lam, share in zip(lams, shares):
        m = block(optimizer, hp, float(lam))
        roots = np.linalg.eigvals(m)
        radius = float(np.max(np.abs(roots)))
        lead = roots[int(np.argmax(np.abs(roots)))]
        defective = len(roots) == 2 and abs(roots[0] - roots[1]) <= 1e-6 * max(radius, 1e-300)
        blocks.append(
            Block(
                float(lam),
                float(share),
                tuple(complex(r) for r in roots),
                radius,
                motion_of(lead),
                bool(defective and radius > 0),
            )
        )
    rate = max(b.radius for b in blocks)
    excited = [b for b in blocks if b.share > EXCITED]
    exc_rate = max((b.radius for b in excited), default=0.0)
    leading = tuple(b for b in excited if b.radius >= exc_rate * (1 - TIE) and exc_rate > 0)
    if abs(exc_rate - 1.0) <= AT_LIMIT:
        # bounded for ever, unless a double root of modulus 1 makes the error grow like k
        regime = "diverge" if any(b.defective for b in leading) else "oscillate"
    else:
        regime = "converge" if exc_rate < 1.0 else "diverge"
    words: list[str] = []
    for b in leading:
        if b.motion not in words and b.motion != "stays":
            words.append(b.motion)
    dormant = tuple(b for b in blocks if b.share <= EXCITED and b.radius >= 1.0 - AT_LIMIT)
    return Modes(
        tuple(blocks), rate, exc_rate, regime, " and ".join(words) or "stays", leading, dormant
    )


def classify(xy: Any, loss: Any, f_min: float | None, diverged_at: int) -> str | None:
    """What a run did, measured from its own path: ``converge``, ``oscillate``, ``diverge``, or
    None when its steps do not show which (the rule is :data:`RULE`).

    The tail (the last half of the steps) is cut into four windows. With ``d`` the distance
    from the tail's last point and ``s`` the step sizes, and ``top`` the largest step:

    * ``diverge``: the run left the bounded region, or its step envelope grows by more than 4×
      across the tail and its loss gap ends above 10× where it started;
    * ``converge``: the last window's steps are ≤ 10⁻⁴ × top (settled: Adam and RMSProp at a
      constant η hover at a scale set by ε, ~10⁻⁶ of their steps, never exactly at 0), or each window's largest
      step is below the one before and the last is ≤ ½ of the first (decaying);
    * ``oscillate``: the steps of every window stay within a factor 2 of each other and above
      10⁻⁴ × top (not decaying), the points of the tail stay within a ball that does not grow
      (its radius in the last window at most 2× that in the first) and the run keeps coming
      back (its net move over the tail is at most half the length of its path);
    * None otherwise (still decaying too slowly to tell, or drifting).

    >>> k = np.arange(81.0)
    >>> bounce = np.stack([(-1.0) ** k, 0 * k], 1)
    >>> classify(bounce, bounce[:, 0] ** 2, 0.0, -1)
    'oscillate'
    >>> settle = np.stack([0.8**k, 0 * k], 1)
    >>> classify(settle, settle[:, 0] ** 2, 0.0, -1), classify(settle, settle[:, 0], 0.0, 7)
    ('converge', 'diverge')
    >>> slow = np.stack([0.9999**k, 0 * k], 1)
    >>> classify(slow, slow[:, 0] ** 2, 0.0, -1) is None
    True
    """
    xy, loss = np.asarray(xy, dtype=float), np.asarray(loss, dtype=float)
    if diverged_at >= 0 or not (np.all(np.isfinite(loss)) and np.all(np.isfinite(xy))):
        return "diverge"
    steps = np.linalg.norm(np.diff(xy, axis=0), axis=-1)
    n = len(steps)
    if n < 8:
        return None
    top = float(np.max(steps))
    if top == 0.0:
        return "converge"
    half = steps[n - 4 * (n // 8) :]
    env = np.array([float(np.max(w)) for w in np.split(half, 4)])
    if env[-1] <= SETTLED * top:
        return "converge"
    base = float(f_min) if f_min is not None else float(np.min(loss))
    gap0, gap1 = float(loss[0] - base), float(loss[-1] - base)
    if env[-1] > 4.0 * env[0] and gap0 > 0 and gap1 > 10.0 * gap0:
        return "diverge"
    if np.all(np.diff(env) < 0) and env[-1] <= 0.5 * env[0]:
        return "converge"
    tail = xy[len(xy) - 4 * (n // 8) :]
    centre = tail.mean(axis=0)
    radius = [float(np.max(np.linalg.norm(w - centre, axis=-1))) for w in np.split(tail, 4)]
    net = float(np.linalg.norm(tail[-1] - tail[0]))
    turning = net <= 0.5 * float(np.sum(half))  # it comes back: not a slow glide or a drift
    if env.max() <= 2.0 * env.min() and radius[-1] <= 2.0 * max(radius[0], 1e-300) and turning:
        return "oscillate"
    return None


def period_of(root: complex) -> float:
    """Steps per turn of a root: 2π/θ for a complex root at angle θ, 2 for a negative one (a
    zig-zag), 1 for a positive one.

    >>> period_of(0.5), period_of(-0.5), round(period_of(0.6 + 0.6j), 6)
    (1.0, 2.0, 8.0)
    """
    r = complex(root)
    if abs(r.imag) <= REAL * abs(r):  # a real root (a double root splits by ~1e-8 in eigvals)
        return 1.0 if r.real >= 0 else 2.0
    return 2.0 * np.pi / abs(float(np.angle(r)))


@dataclass(frozen=True)
class RateCheck:
    """A run's measured rate beside its exact one, and why they differ where they do."""

    measured: float  # experiments.measured_rate over windows of ≥ one period (NaN: not measurable)
    exact: float  # the excited spectral radius ρ
    agree: bool  # |measured − ρ| ≤ RATE_TOL
    reason: str | None  # why not (None when they agree or nothing could be measured)


RATE_TOL = 0.01


def rate_check(dist: Any, modes: Modes, floor: float = 1e-250) -> RateCheck:
    """The measured rate of a linear run (its distance to the minimum) against the exact ρ of the
    directions its start excites, with the reason when they differ by more than ``RATE_TOL``:

    * a **double root** (the block is defective, as at Goh's optimum): the error falls like
      ``k·ρᵏ``, so any finite window sees a slower decay than ρ;
    * a **second direction** whose rate ρ₂ is close enough that its part has not died out
      within the run: the error is a sum of two geometric terms;
    * **too few steps**: the run reaches round-off or its end before two windows of at least one
      turn of the slow oscillation (``period_of``) and a quarter of the run fit.

    >>> H = np.diag([0.1, 1.0])
    >>> m = linear_modes("gd", {"lr": 1.0}, H, [1.0, 1.0], [0.0, 0.0])
    >>> c = rate_check(0.9 ** np.arange(200.0), m)
    >>> c.agree, c.reason
    (True, None)
    """
    from .experiments import measured_rate

    d = np.asarray(dist, dtype=float)
    rho = modes.excited_rate
    lead = modes.leading[0] if modes.leading else None
    period = max((period_of(max(b.roots, key=abs)) for b in modes.leading), default=1.0)
    m = measured_rate(d, floor=floor, period=period)
    if not np.isfinite(m):
        return RateCheck(m, rho, False, "too few steps")
    if abs(m - rho) <= RATE_TOL:
        return RateCheck(m, rho, True, None)
    if any(b.defective for b in modes.leading) or (
        lead is not None and len(lead.roots) == 2 and _near_double(lead)
    ):
        return RateCheck(m, rho, False, "double root")
    alive = np.flatnonzero(d > floor)
    last = int(alive[-1]) + 1 if alive.size else 1
    q = max(last // 4, int(np.ceil(period)), 1)
    start = last - 2 * q
    for b in modes.blocks:
        if b.share <= EXCITED or b in modes.leading:
            continue
        for r in b.roots:
            # this part, relative to the leading one, at the start of the measuring windows
            if abs(r) > 0 and (abs(r) / rho) ** start * b.share / max(lead.share, 1e-300) > 1e-3:
                return RateCheck(m, rho, False, "second direction")
    # the leading block's own second root (a real pair of unequal size) fades the same way
    if lead is not None and len(lead.roots) == 2 and lead.motion != "oscillates":
        small = min(abs(r) for r in lead.roots)  # a real pair of unequal size
        if small > 0 and (small / rho) ** start > 1e-3:
            return RateCheck(m, rho, False, "second direction")
    if last < 6 * period:
        return RateCheck(m, rho, False, "too few steps")
    return RateCheck(m, rho, False, None)  # unexplained: the tests hold this never happens


def _near_double(b: Block) -> bool:
    """Two roots close enough that over the run they act like a double root (k·ρᵏ)."""
    r1, r2 = b.roots
    return abs(r1 - r2) <= 0.05 * max(abs(r1), abs(r2))
