"""The SGD lab's measurements, one call each: the minibatch-gradient cloud and the sampling race.

Both take a data-driven surface (``surface.n_data``, ``surface.grad_batch``) and are seeded, so a page
can cache them by their arguments.

>>> from surfaces import get_surface
>>> s = get_surface("linear_regression")
>>> cloud = minibatch_gradients(s, s.minima[0], batch=4, draws=200, seed=0)
>>> cloud.samples.shape, bool(abs(cloud.spread / cloud.predicted_spread - 1) < 0.3)
((200, 2), True)
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from . import schedules, theory
from .engine import run, run_summary

__all__ = [
    "DECAYS",
    "Cloud",
    "Conditioning",
    "DeadUnits",
    "EdgeRun",
    "ExactQuadratic",
    "MatrixRace",
    "Race",
    "ScalarRace",
    "ScheduleRace",
    "StableScan",
    "Walk",
    "conditioning",
    "dance_and_walk",
    "dead_at_init",
    "decay_over",
    "edge_runs",
    "eos_regime",
    "matrix_race",
    "measured_rate",
    "minibatch_gradients",
    "sampling_race",
    "scalar_race",
    "schedule_race",
    "stable_scan",
    "tenfold",
    "tenfold_table",
    "time_agreement",
]


class Cloud(NamedTuple):
    """``draws`` minibatch gradients at one point, the full gradient and the per-example spread."""

    samples: np.ndarray  # (draws, D): one minibatch gradient per draw
    full: np.ndarray  # (D,): ∇L(w) over every example
    per_example: float  # tr Σ, Σ the covariance of the per-example gradients
    batch: int

    @property
    def predicted_spread(self) -> float:
        """Theory: a mean of B draws with replacement has covariance Σ/B, so tr Cov = tr Σ / B."""
        return self.per_example / self.batch

    @property
    def spread(self) -> float:
        """The measured tr Cov of the draws."""
        return float(np.trace(np.cov(self.samples.T, bias=True)))

    @property
    def bias(self) -> float:
        """‖mean of the draws − ∇L(w)‖: zero in expectation (the minibatch gradient is unbiased)."""
        return float(np.linalg.norm(self.samples.mean(0) - self.full))


def minibatch_gradients(surface: Any, w: Any, batch: int, draws: int = 400, seed: int = 0) -> Cloud:
    """``draws`` minibatch gradients at ``w``, each of ``batch`` examples drawn with replacement."""
    point = np.asarray(w, dtype=float)
    idx = np.random.default_rng(seed).integers(0, surface.n_data, size=(draws, batch))
    samples = np.stack([surface.grad_batch(point, i) for i in idx])
    per_example = np.stack(
        [surface.grad_batch(point, np.array([i])) for i in range(surface.n_data)]
    )
    spread = float(np.trace(np.cov(per_example.T, bias=True)))
    return Cloud(samples, np.asarray(surface.grad(point), dtype=float), spread, int(batch))


class Race(NamedTuple):
    """Reshuffled epochs against sampling with replacement, over several seeds."""

    finals: dict[str, np.ndarray]  # mode -> (seeds,) final L − L*
    curves: dict[str, np.ndarray]  # mode -> (steps + 1,) mean L − L* over the seeds


def sampling_race(
    surface: Any, start: Any, lr: float, batch: int, steps: int, seeds: int = 20
) -> Race:
    """SGD (``gd`` fed minibatches) from ``start`` with each sampling mode, seeds ``0 … seeds−1``."""
    x0 = np.array([start], dtype=float)
    finals, curves = {}, {}
    for mode in ("shuffle", "replacement"):
        runs = [
            run(surface, "gd", x0, steps, lr=lr, batch_size=batch, sampling=mode, seed=s)
            for s in range(seeds)
        ]
        gaps = np.array([r.loss[:, 0] - surface.f_min for r in runs])
        finals[mode], curves[mode] = gaps[:, -1], gaps.mean(axis=0)
    return Race(finals, curves)


def sgd_at_gd_limit(
    surface: Any, factor: float, batch: int = 1, steps: int = 1000, seeds: int = 20
) -> dict[str, int]:
    """How many of ``seeds`` minibatch SGD runs at ``factor`` × full-batch GD's limit 2/λ_max
    diverge, per sampling mode (note 001 says such an η "generally" will not diverge; a single
    example's curvature can be far above the average's, so it can).

    >>> from surfaces import get_surface
    >>> sgd_at_gd_limit(get_surface("linear_regression"), 0.5, steps=50, seeds=2)
    {'shuffle': 0, 'replacement': 0}
    """
    lam_max = float(np.linalg.eigvalsh(surface.constant_hessian()).max())
    lr = factor * 2.0 / lam_max
    x0 = np.array([surface.starts[0]], dtype=float)
    out = {}
    for mode in ("shuffle", "replacement"):
        runs = [
            run(surface, "gd", x0, steps, lr=lr, batch_size=batch, sampling=mode, seed=s)
            for s in range(seeds)
        ]
        out[mode] = sum(int(r.diverged_at[0] >= 0) for r in runs)
    return out


def measured_rate(dist: Any, floor: float | None = None, period: float = 1.0) -> float:
    """The per-step rate of a converging run, from its distance to the minimum ``dist`` (T + 1,).

    The distance of a momentum run oscillates (complex eigenvalues), so envelopes are compared: the
    largest distance in the last quarter of the steps over the largest in the quarter before,
    to the power 1/quarter. Only the steps where the distance is still above ``floor`` count: a
    fast run reaches round-off, about 1e-16 × |w*|, long before its last step (default: 1e-12 × the
    first distance; a minimum at the origin has no round-off floor, pass a tiny one). NaN if the
    run diverged. A window shorter than the slowest oscillation's ``period`` (in steps) would
    catch its peaks at different phases (0.9366 against ρ = 0.9487 at the Momentum lab's defaults,
    whose slow mode turns every 40 steps), so each window is at least one period long; NaN when
    the steps before round-off hold fewer than two periods.

    >>> round(measured_rate(0.9 ** np.arange(200)), 6), round(measured_rate(0.2 ** np.arange(200)), 6)
    (0.9, 0.2)
    """
    d = np.asarray(dist, dtype=float)
    if not np.all(np.isfinite(d)):
        return float("nan")
    alive = np.flatnonzero(d > (1e-12 * d[0] if floor is None else floor))
    last = int(alive[-1]) + 1 if alive.size else 1
    q = max(last // 4, int(np.ceil(period)), 1)
    if last < 2 * q or d[last - 2 * q : last - q].max() == 0:
        return float("nan")
    return float((d[last - q : last].max() / d[last - 2 * q : last - q].max()) ** (1.0 / q))


class Conditioning(NamedTuple):
    """How well a quadratic loss is conditioned, and what that costs GD and Adam."""

    kappa: float  # λ_max / λ_min of the (constant) Hessian
    eta_star: float  # GD's best constant step 2/(λ_min + λ_max)
    rate: float  # GD's rate there, (κ − 1)/(κ + 1)
    gd_steps: int  # GD at η* to L − L* ≤ tol (−1: not within ``steps``)
    adam_steps: int  # Adam at ``adam_lr`` to the same tolerance


class ExactQuadratic:
    """A surface with a constant Hessian H written as what it is, ``L* + ½(w − w*)ᵀH(w − w*)``:
    the same values and gradients (to rounding) at O(1) cost per point instead of a pass over a
    data set (a least-squares loss over 60 examples cost ~50× more per step). Everything else is
    the surface's own."""

    def __init__(self, surface: Any, h: Any) -> None:
        self._s = surface
        self._h = np.asarray(h, dtype=float)
        minima = getattr(surface, "minima", None) or ()
        if not minima or surface.f_min is None:
            raise ValueError(f"{surface.name} has no known minimum")
        self._w = np.asarray(minima[0], dtype=float)
        self._f = float(surface.f_min)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._s, name)

    def grad(self, xy: Any) -> np.ndarray:
        return (np.asarray(xy, dtype=float) - self._w) @ self._h

    grad_quiet = grad

    def f(self, xy: Any) -> np.ndarray:
        d = np.asarray(xy, dtype=float) - self._w
        return self._f + 0.5 * np.einsum("...i,ij,...j->...", d, self._h, d)


def conditioning(
    surface: Any, start: Any, tol: float = 1e-6, steps: int = 2000, adam_lr: float = 0.1
) -> Conditioning:
    """κ, GD's best step and rate from theory, and the steps GD (at η*) and Adam take to ``tol``.

    >>> from surfaces import get_surface
    >>> c = conditioning(get_surface("quadratic", kappa=10.0), (2.0, 1.0))
    >>> round(c.kappa, 6), round(c.eta_star, 4), c.gd_steps > 0
    (10.0, 1.8182, True)
    """
    h = surface.constant_hessian()
    if h is None:
        raise ValueError(f"{surface.name} is not a quadratic: its conditioning varies.")
    lam = np.linalg.eigvalsh(np.asarray(h, dtype=float))
    eta, rate = theory.gd_optimal(float(lam[0]), float(lam[-1]))
    x0 = np.array([start], dtype=float)
    exact = ExactQuadratic(surface, h)
    gd = run_summary(exact, "gd", x0, steps, tol=tol, lr=eta)
    adam = run_summary(exact, "adam", x0, steps, tol=tol, lr=adam_lr)
    return Conditioning(
        float(lam[-1] / lam[0]),
        float(eta),
        float(rate),
        int(gd.steps_to_tol[0]),
        int(adam.steps_to_tol[0]),
    )


def tenfold(xy: np.ndarray, target: np.ndarray, d: int) -> int:
    """The first step at which the error along coordinate ``d`` of a path ``xy (S+1, 2)`` is a
    tenth of where it started; −1 if never.

    >>> tenfold(np.array([[1.0, 0], [0.5, 0], [0.05, 0]]), np.zeros(2), 0)
    2
    """
    err = np.abs(np.asarray(xy)[:, d] - np.asarray(target)[d])
    hit = np.flatnonzero(err <= 0.1 * err[0])
    return int(hit[0]) if hit.size else -1


# The SGD lab's decays, each laid over the run's length: a 1/t decay with a small t₀ (20 at 400
# steps) sums to only 61 η₀ and stops SGD before it arrives, farther from w* than a constant η (#14).
DECAYS = {
    "linear": "linear to 1 % (COSI 165B)",
    "inverse_time": "1/t (t₀ = a quarter of the steps)",
    "step": "halve every quarter of the steps",
}


def decay_over(name: str, steps: int) -> Any:
    """The SGD lab's decay ``name`` (:data:`DECAYS`) laid over a run of ``steps`` steps.

    >>> float(decay_over("linear", 100).factors(101)[-1])
    0.01
    """
    quarter = max(steps // 4, 1)
    return {
        "linear": lambda: schedules.linear(tau=steps, end_factor=0.01),
        "inverse_time": lambda: schedules.inverse_time(t0=quarter),
        "step": lambda: schedules.step(every=quarter, gamma=0.5),
    }[name]()


class ScalarRace(NamedTuple):
    """GD on the scalar (y − σw)² at several η: per run, its label, iterates and loss beside the
    closed form of EECS 182 eq. (3), and the step it diverged at (−1: never)."""

    w: list[tuple[str, np.ndarray, np.ndarray]]
    loss: list[tuple[str, np.ndarray, np.ndarray]]
    diverged_at: list[int]


def scalar_race(sigma: float, y: float, w0: float, etas: Any, names: Any, steps: int) -> ScalarRace:
    """The Learning-rate lab's runs: GD on (y − σw)² (the first coordinate of ``sigma_w`` with
    σ₁ = σ₂), one run per η, next to the closed form w_k = y/σ + (1 − 2ησ²)ᵏ(w₀ − y/σ).

    >>> r = scalar_race(1.0, 1.0, 0.0, [0.25], ["x"], 3)
    >>> r.w[0][0], r.w[0][1].round(4).tolist(), r.diverged_at
    ('η = 0.25 (x)', [0.0, 0.5, 0.75, 0.875], [-1])
    """
    from surfaces import get_surface  # optim never imports the catalog at load (it sits beside it)

    etas = np.asarray(etas, dtype=float)
    surface = get_surface("sigma_w", sigma1=sigma, sigma2=sigma, y1=y, y2=y)
    traj = run(surface, "gd", np.tile([[w0, w0]], (len(etas), 1)), steps, lr=etas)
    w = traj.xy[:, :, 0]  # (S+1, R): the first coordinate is exactly the scalar problem
    k = np.arange(steps + 1)
    out = ScalarRace([], [], [int(d) for d in traj.diverged_at])
    for r, (e, name) in enumerate(zip(etas, names)):
        label = f"η = {e:.4g} ({name})"
        exact = theory.scalar_closed_form(w0, y, sigma, e, k)
        out.w.append((label, w[:, r], exact))
        with np.errstate(all="ignore"):
            out.loss.append((label, (y - sigma * w[:, r]) ** 2, (y - sigma * exact) ** 2))
    return out


def tenfold_table(trajs: Any, target: Any, names: Any, steps: int) -> dict[str, list]:
    """Per run (a one-run :class:`optim.Trajectory` each), the steps to cut the dense (w₁) and the
    sparse (w₂) error ten-fold (:func:`tenfold`); "> steps" where never."""
    paths = [t.xy[:, 0] for t in trajs]

    def cell(xy: Any, d: int) -> str:
        k = tenfold(xy, target, d)
        return str(k) if k >= 0 else f"> {steps}"

    return {
        "method": list(names),
        "steps to cut the w₁ (dense) error 10×": [cell(p, 0) for p in paths],
        "steps to cut the w₂ (sparse) error 10×": [cell(p, 1) for p in paths],
    }


class DeadUnits(NamedTuple):
    """ReLU units max(0, w x + b) drawn with w, b ~ N(0, 1) (note 001, "Dead ReLUs"), on the
    examples of a one-unit surface: which are dead, measured by the engine's gradient."""

    units: int
    lo: float  # the examples' x-range
    hi: float
    outside: float  # share of elbows −b/w outside [lo, hi], measured
    dead: float  # share with gradient exactly 0 (w x_i + b ≤ 0 on every example), measured

    @property
    def outside_cauchy(self) -> float:
        """b/w is standard-Cauchy, so −b/w ∈ [lo, hi] with chance (atan hi − atan lo)/π."""
        return 1.0 - (np.arctan(self.hi) - np.arctan(self.lo)) / np.pi

    @property
    def dead_cauchy(self) -> float:
        """Half of those (the unit is off, not on, on the examples' side): (w, b) is isotropic."""
        return self.outside_cauchy / 2


def dead_at_init(surface: Any, units: int = 20_000, seed: int = 0) -> DeadUnits:
    """Draw ``units`` ReLU units with w, b ~ N(0, 1) on ``surface``'s one-input examples (its
    parameters are (w, b)) and measure how many are dead: the engine's gradient is exactly zero.

    >>> from surfaces import get_surface
    >>> d = dead_at_init(get_surface("relu_neuron"), 4000)
    >>> bool(abs(d.dead - d.dead_cauchy) < 0.03), bool(abs(d.outside - d.outside_cauchy) < 0.03)
    (True, True)
    """
    x = np.asarray(surface.X, dtype=float)[:, 0]
    lo, hi = float(x.min()), float(x.max())
    wb = np.random.default_rng(seed).standard_normal((units, 2))
    with np.errstate(all="ignore"):
        elbow = -wb[:, 1] / wb[:, 0]
    outside = float(np.mean(~((elbow >= lo) & (elbow <= hi))))
    dead = float(np.mean(np.all(surface.grad(wb) == 0.0, axis=-1)))
    return DeadUnits(units, lo, hi, outside, dead)


class Walk(NamedTuple):
    """The mean squared displacement E‖w_{t+τ} − w_t‖² over lags τ of a run's late iterates (its
    dance), and of the same steps with random signs (a random walk: no pull back)."""

    lags: np.ndarray  # (L,) 1 … L
    dance: np.ndarray  # (L,)
    walk: np.ndarray  # (L,)
    tail: int  # how many late steps were used
    step2: float  # their mean squared length: a random walk's MSD is τ × this


def _msd(path: np.ndarray, lags: np.ndarray) -> np.ndarray:
    return np.array([np.mean(np.sum((path[t:] - path[:-t]) ** 2, axis=-1)) for t in lags])


def dance_and_walk(xy: Any, seed: int = 0) -> Walk:
    """Note 001's "oscillatory against random-walk behaviour", measured on a constant-η SGD run
    ``xy`` ``(S+1, 2)``: its last half (where it dances around w*) against a random walk made of
    the very same steps, each with a random sign (so E‖walk_{t+τ} − walk_t‖² = τ × the mean
    squared step exactly). Both start alike; the dance's spread levels off (the gradient pulls
    it back), the walk's grows like τ.

    >>> rng = np.random.default_rng(1)
    >>> w = np.zeros((801, 2))
    >>> for k in range(800):  # an Ornstein–Uhlenbeck dance: pulled back, kicked by noise
    ...     w[k + 1] = 0.8 * w[k] + rng.standard_normal(2)
    >>> d = dance_and_walk(w)
    >>> bool(d.walk[-1] > 10 * d.dance[-1]), bool(abs(d.dance[0] - d.walk[0]) < 0.2 * d.walk[0])
    (True, True)
    """
    xy = np.asarray(xy, dtype=float)
    tail = xy[len(xy) // 2 :]
    tail = tail[np.isfinite(tail).all(axis=1)]
    if len(tail) < 8:  # diverged or too short: nothing to measure
        empty = np.zeros(0)
        return Walk(empty.astype(int), empty, empty, 0, float("nan"))
    steps = np.diff(tail, axis=0)
    signs = np.random.default_rng(seed).choice([-1.0, 1.0], size=(len(steps), 1))
    walk = np.concatenate([tail[:1], tail[0] + np.cumsum(signs * steps, axis=0)])
    lags = np.arange(1, min(len(tail) // 3, 150) + 1)
    step2 = float(np.mean(np.sum(steps**2, axis=-1)))
    return Walk(lags, _msd(tail, lags), _msd(walk, lags), len(steps), step2)


class StableScan(NamedTuple):
    """Full-batch GD from one start at each of a grid of step sizes (one run each)."""

    etas: np.ndarray  # (E,) increasing
    start: float  # L(w₀)
    final: np.ndarray  # (E,) L after ``steps`` steps (nan once diverged)
    stable: np.ndarray  # (E,) bool: finite all along and below L(w₀) at the end
    weights: np.ndarray  # (E, P) the last iterate of each run
    steps: int

    @property
    def largest(self) -> float | None:
        """The largest η of the grid whose run is stable (None: none is)."""
        return float(self.etas[self.stable].max()) if self.stable.any() else None

    @property
    def first_unstable(self) -> float | None:
        """The smallest η above :attr:`largest` whose run is not stable (None: none on the grid)."""
        top = self.largest
        above = self.etas[~self.stable & (self.etas > (top if top is not None else -np.inf))]
        return float(above.min()) if len(above) else None


def stable_scan(surface: Any, w0: Any, etas: Any, steps: int) -> StableScan:
    """GD ``w ← w − η∇L(w)`` at every ``η`` of ``etas`` at once (a run per η, the plain loop),
    from ``w0``, for ``steps`` steps. A run is stable if its loss stays finite and ends below
    ``L(w₀)``: the largest such η is measured, not the quadratic's 2/λ_max (a network's
    curvature moves while it trains).

    >>> from surfaces import get_surface
    >>> q = get_surface("quadratic", kappa=10.0, scale=10.0)  # λ_max = 10: stable iff η < 0.2
    >>> sc = stable_scan(q, [1.0, 1.0], [0.1, 0.15, 0.19, 0.21, 0.3], 200)
    >>> sc.largest, sc.first_unstable
    (0.19, 0.21)
    """
    etas = np.asarray(sorted(float(e) for e in etas))
    w = np.tile(np.asarray(w0, dtype=float), (len(etas), 1))
    start = float(surface.f(w[:1])[0])
    finite = np.ones(len(etas), dtype=bool)
    with np.errstate(all="ignore"):
        for _ in range(int(steps)):
            w = w - etas[:, None] * surface.grad(w)
            finite &= np.isfinite(w).all(axis=1)
        final = np.where(finite, surface.f(w), np.nan)
    return StableScan(etas, start, final, finite & (final < start), w, int(steps))


class ScheduleRace(NamedTuple):
    """Constant η, cosine and warm-up–stable–decay at one budget (the same η₀ and steps) with the
    same gradient noise, over several noise draws (``draws`` runs each)."""

    names: tuple[str, ...]  # "constant", "cosine", "wsd"
    schedules: tuple[Any, ...]
    trajs: tuple[Any, ...]  # one engine trajectory per schedule, ``draws`` runs each
    final: np.ndarray  # (3, draws) L − L* after the last step
    at_decay: np.ndarray  # (3, draws) L − L* where WSD's decay starts
    decay_start: int
    travel: np.ndarray  # (3,) Σ_k η_k / η₀: how far each schedule's step budget reaches
    along_at_decay: np.ndarray  # (3, draws) |x − x*| where WSD's decay starts: left to travel on
    # the floor (the river valley's floor runs along x)

    @property
    def typical(self) -> int:
        """The draw whose three final losses lie nearest their medians (in log): the one a figure
        shows, so that one draw tells the medians' story."""
        logs = np.log(np.maximum(self.final, 1e-300))
        med = np.median(logs, axis=1, keepdims=True)
        return int(np.argmin(np.sum(np.abs(logs - med), axis=0)))

    @property
    def wsd_wins(self) -> int:
        """In how many draws WSD ends lower than cosine."""
        return int(np.sum(self.final[2] < self.final[1]))


def schedule_race(
    surface: Any,
    eta: float,
    noise: float,
    steps: int,
    decay: float = 0.2,
    draws: int = 10,
    seed: int = 0,
) -> ScheduleRace:
    """The river-valley race of Wen et al. (2024): SGD (GD with Gaussian gradient noise of std
    ``noise`` per coordinate) from ``surface``'s first start, under a constant η, a cosine decay to
    0 over ``steps`` and WSD decaying over the last ``decay`` share, ``draws`` noise draws each;
    the same draws for every schedule (one seed).

    >>> from surfaces import get_surface
    >>> r = schedule_race(get_surface("river_valley"), 0.06, 4.0, 400, draws=4)
    >>> r.final.shape, r.decay_start, [round(float(t), 1) for t in r.travel]
    ((3, 4), 320, [400.0, 200.5, 360.5])
    """
    T = int(steps)
    scheds = (None, schedules.cosine(T, 0.0), schedules.wsd(T, 0, decay, 0.0))
    x0 = np.repeat(np.asarray([surface.starts[0]], dtype=float), draws, axis=0)
    trajs = tuple(
        run(surface, "gd", x0, T, lr=eta, schedule=s, noise=noise, seed=seed) for s in scheds
    )
    f_min = surface.f_min or 0.0
    start = T - round(max(decay * T, 1.0))
    final = np.array([t.loss[-1] - f_min for t in trajs])
    at = np.array([t.loss[start] - f_min for t in trajs])
    travel = np.array([float(np.sum((s or schedules.constant()).factors(T))) for s in scheds])
    x_star = float(surface.minima[0][0])
    along = np.array([np.abs(t.xy[start, :, 0] - x_star) for t in trajs])
    names = ("constant", "cosine", "wsd")
    return ScheduleRace(names, scheds, trajs, final, at, start, travel, along)


class MatrixRace(NamedTuple):
    """GD, Adam and Muon on a matrix problem, each at its best η of a grid (cosine to 0)."""

    names: tuple[str, ...]
    etas: tuple[float, ...]  # each one's best η
    grids: tuple[tuple[float, ...], ...]
    trajs: tuple[Any, ...]  # each one's run at its best η (R = 1)
    key_errors: np.ndarray  # (3, keys) ‖q_i W − v_i‖ after the last step
    losses: np.ndarray  # (3, len(grid)) final loss at every η of the grid


MATRIX_GRIDS = {
    "gd": (0.25, 0.5, 1.0, 2.0, 4.0, 8.0),  # × 1/λ_max (2: the stability limit)
    "adam": (0.003, 0.01, 0.03, 0.1, 0.3, 1.0),
    "muon": (0.03, 0.1, 0.3, 1.0, 3.0, 10.0),
}


def matrix_race(memory: Any, steps: int) -> MatrixRace:
    """GD (η as multiples of 1/λ_max), Adam and Muon (``optim.rules.muon.hybrid`` on the whole
    matrix) from ``W = 0`` on ``memory`` (``surfaces.matrix.AssociativeMemory``), every η of their
    grids in one engine call each (one run per η), a cosine decay to 0 over ``steps``; each keeps
    its η with the lowest final loss.

    >>> from surfaces.matrix import associative_memory
    >>> r = matrix_race(associative_memory(8, 4, 1.0), 50)
    >>> r.names, r.key_errors.shape
    (('gd', 'adam', 'muon'), (3, 8))
    """
    from .rules.muon import hybrid

    sched = schedules.cosine(steps, 0.0)
    w0 = np.zeros((1, memory.dim))
    opts = {"gd": "gd", "adam": "adam", "muon": hybrid(((0, memory.keys, memory.width),))}
    lam = float(np.max(memory.curvature))
    etas, grids, trajs, errs, losses = [], [], [], [], []
    for name, opt in opts.items():
        grid = MATRIX_GRIDS[name]
        lrs = np.array(grid) / lam if name == "gd" else np.array(grid)
        x0 = np.repeat(w0, len(lrs), axis=0)
        t = run(memory, opt, x0, steps, lr=lrs, schedule=sched)
        final = np.where(np.isfinite(t.loss[-1]), t.loss[-1], np.inf)
        best = int(np.argmin(final))
        etas.append(float(lrs[best]))
        grids.append(tuple(float(v) for v in lrs))
        trajs.append(run(memory, opt, w0, steps, lr=float(lrs[best]), schedule=sched))
        errs.append(memory.key_errors(t.xy[-1, best])[0])
        losses.append(final)
    return MatrixRace(
        tuple(opts), tuple(etas), tuple(grids), tuple(trajs), np.array(errs), np.array(losses)
    )


class EdgeRun(NamedTuple):
    """One full-batch GD run of the edge-of-stability section, measured, with its regime."""

    eta: float
    loss: np.ndarray  # (S+1,)
    checks: np.ndarray  # steps where the sharpness was measured
    sharp: np.ndarray  # (C,) λ_max there (nan once diverged)
    diverged_at: int
    regime: str  # "stable", "edge of stability", "catapult", "divergent" or "too close to call"
    why: str  # the measured reason, in words
    points: np.ndarray  # (C, P) the iterates at ``checks`` (nan once diverged)


EOS_ETAS = (0.05, 0.25, 0.5, 0.8, 1.0)  # GD's steps in the section: from stable to divergent


def eos_regime(eta: float, loss: Any, checks: Any, sharp: Any, diverged_at: int) -> tuple[str, str]:
    """Name a GD run's regime from its measured dynamics (Cohen et al. 2021; Lewkowycz et al. 2020
    for the catapult), with the reason:

    * ``divergent``: the loss left every bound (``diverged_at ≥ 0``);
    * ``catapult``: it started above its threshold (λ₀ > 2/η), its loss spiked above 1.5× its
      start, and its sharpness then fell to 2/η or below (within 10 %);
    * ``edge of stability``: it started below, and its sharpness reached 0.95 × 2/η;
    * ``stable``: its sharpness stayed under 0.85 × 2/η;
    * ``too close to call``: it peaked between 0.85× and 0.95× of 2/η (more steps would tell).

    >>> eos_regime(0.5, [1.0, 0.5], [0, 10], [3.0, 4.1], -1)[0]
    'edge of stability'
    >>> eos_regime(0.1, [1.0, 0.5], [0, 10], [3.0, 9.0], -1)[0]
    'stable'
    """
    limit = 2.0 / eta
    loss, sharp = np.asarray(loss, dtype=float), np.asarray(sharp, dtype=float)
    if diverged_at >= 0:
        return "divergent", f"its loss blew up at step {diverged_at}"
    r = sharp / limit
    if r[0] > 1.0:
        spike = float(np.nanmax(loss) / loss[0])
        after = int(np.nanargmax(loss))
        later = r[np.asarray(checks) >= after]
        if spike > 1.5 and later.size and np.nanmin(later) <= 1.1:
            return "catapult", (
                f"it started at {r[0]:.2f}× 2/η, its loss spiked ×{spike:.3g} (step {after}), and "
                f"its sharpness then fell to {np.nanmin(later):.2f}× 2/η"
            )
        return "too close to call", f"it started at {r[0]:.2f}× 2/η and neither spiked nor diverged"
    peak = float(np.nanmax(r))
    if peak >= 0.95:
        first = int(np.asarray(checks)[np.argmax(r >= 0.95)])
        return "edge of stability", (
            f"its sharpness rose from {r[0]:.2f}× to 2/η by step {first} and ended at {r[-1]:.2f}×"
        )
    if peak < 0.85:
        return "stable", f"its sharpness stayed under 2/η (at most {peak:.2f}× of it)"
    return "too close to call", (
        f"its sharpness peaked at {peak:.2f}× 2/η: between stable and the edge (more steps would "
        "tell)"
    )


def edge_runs(net: Any, w0: Any, etas: Any, steps: int, every: int, sharp: Any) -> list[EdgeRun]:
    """Full-batch GD from ``w0`` at every η of ``etas`` (one engine call), the sharpness
    ``sharp(W (R, P)) → (R,)`` every ``every`` steps, each run's regime (:func:`eos_regime`)."""
    etas = [float(e) for e in etas]
    x0 = np.repeat(np.asarray(w0, dtype=float)[None], len(etas), axis=0)
    t = run(net, "gd", x0, steps, lr=np.array(etas))
    checks = np.arange(0, steps + 1, every)
    s = np.full((len(checks), len(etas)), np.nan)
    for j, k in enumerate(checks):
        ok = np.isfinite(t.xy[k]).all(axis=1)
        if ok.any():
            s[j, ok] = sharp(t.xy[k][ok])
    out = []
    for i, eta in enumerate(etas):
        d = int(t.diverged_at[i])
        regime, why = eos_regime(eta, t.loss[:, i], checks, s[:, i], d)
        out.append(EdgeRun(eta, t.loss[:, i], checks, s[:, i], d, regime, why, t.xy[checks, i]))
    return out


def time_agreement(a: EdgeRun, b: EdgeRun) -> tuple[float, float]:
    """How closely two GD runs (``a`` at the smaller η) follow one sharpness curve on the time
    axis ``t = η·k`` before the larger-η run first reaches 0.9 × its threshold: ``(t*, the largest
    relative difference before t*)``; t* is the end of ``b``'s run if it never does."""
    ta, tb = a.eta * np.asarray(a.checks, float), b.eta * np.asarray(b.checks, float)
    ok = np.isfinite(b.sharp)
    hit = np.flatnonzero(ok & (b.sharp >= 0.9 * 2.0 / b.eta))
    t_star = float(tb[hit[0]]) if hit.size else float(tb[ok][-1])
    grid = ta[(ta <= min(t_star, tb[ok][-1])) & np.isfinite(a.sharp)]
    if grid.size < 2:
        return t_star, float("nan")
    sa = np.interp(grid, ta, a.sharp)
    sb = np.interp(grid, tb[ok], b.sharp[ok])
    return t_star, float(np.max(np.abs(sb / sa - 1.0)))
