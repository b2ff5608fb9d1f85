"""The stepping engine: many runs of one or several optimizers, stepped together in NumPy.

``run`` steps ``R`` runs of one optimizer; ``run_many`` steps several optimizers (each with its own
runs and hyperparameters) in one loop, evaluating the surface's gradient once per step for all of
them; ``run_summary`` keeps only per-run summaries so a 10 000-run sweep fits in a few MB.

Divergence is data: a run that becomes non-finite or leaves ``|w_i| ≤ bound`` gets ``diverged_at``
set to that step; its row holds what it reached at that step (non-finite entries as NaN) and NaN after.
No ``RuntimeWarning`` escapes: all stepping runs under ``np.errstate(all="ignore")``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np

from .base import per_run, run_value
from .blocks import clip_by_norm, clip_by_value
from .optimizers import Optimizer, get_optimizer
from .rules.momentum import CONVENTIONS
from .schedules import Schedule, constant

__all__ = [
    "Paths",
    "RunOptions",
    "RunSpec",
    "Summary",
    "Trajectory",
    "run",
    "run_many",
    "run_paths",
    "run_summary",
]

MAX_STEPS = 1_000_000
MAX_RECORDED_VALUES = 200_000_000  # ~1.6 GB of float64: beyond it use run_summary


@dataclass(frozen=True)
class RunOptions:
    """How every run of one call is stepped: schedule, gradient clipping, noise, minibatches, bound.

    A frozen record of primitives (and a :class:`~optim.schedules.Schedule`), so it hashes: a page
    builds it from its widgets and hands it whole to :func:`run`, :func:`run_many`,
    :func:`run_summary` and to caches. ``clip`` is a global-norm threshold or
    ``("norm" | "value", threshold)``; ``noise`` adds ``N(0, σ²)`` to every gradient coordinate
    (seeded); ``batch_size`` draws minibatches from a data-driven surface (``sampling`` ``"shuffle"``
    = epochs of a fresh permutation, ``"replacement"`` = i.i.d. draws); a run leaving ``±bound``
    counts as diverged (default: the surface's own bound).

    >>> RunOptions(noise=0.1, seed=3) == RunOptions(noise=0.1, seed=3)
    True
    """

    schedule: Schedule | None = None
    clip: Any = None
    noise: Any = None
    batch_size: int | None = None
    sampling: str = "shuffle"
    seed: int = 0
    bound: float | None = None


_DEFAULT_OPTIONS = RunOptions()


def _is_default(value: Any, default: Any) -> bool:
    if value is default:
        return True
    if default is None or np.ndim(value) != 0:
        return False
    return bool(value == default)


def _options(options: RunOptions | None, **keywords: Any) -> RunOptions:
    """One record from ``options=`` or the equivalent keywords (not both)."""
    given = {k: v for k, v in keywords.items() if not _is_default(v, getattr(_DEFAULT_OPTIONS, k))}
    if options is None:
        return RunOptions(**given) if given else _DEFAULT_OPTIONS
    if not isinstance(options, RunOptions):
        raise ValueError("options must be an optim.RunOptions.")
    if given:
        raise ValueError(f"give options= or {', '.join(sorted(given))}=, not both.")
    return options


def describe(optimizer: str, hyperparams: dict[str, Any], r: int = 0) -> str:
    """Short legend text for one run: the optimizer, its notation and its non-default settings.

    ``hyperparams`` may leave out defaults (they are filled in) and hold one value per run (``r``).

    >>> describe("momentum", {"lr": 0.05, "beta": 0.9}), describe("adam", {"lr": 0.1})
    ('Momentum (PyTorch) η=0.05 β=0.9', 'Adam η=0.1 β₁=0.9')
    """
    opt = get_optimizer(optimizer)
    hp = {**opt.defaults(), **hyperparams}
    parts = [opt.short]
    switches = [CONVENTIONS[hp[s.name]].who for s in opt.switches if s.name == "convention"]
    if any(s.name == "bias_correction" for s in opt.switches):
        if not hp["bias_correction"]:
            switches.append("no bias corr.")
        if hp["eps_inside"]:
            switches.append("ε inside √")
    if switches:
        parts.append(f"({', '.join(switches)})")
    for p in opt.params:  # each parameter names its own symbol (vocab.Param.symbol)
        if not p.symbol:
            continue
        value = float(np.asarray(hp[p.name]).reshape(-1)[r])
        if not p.legend_if_default and value == p.default:
            continue
        parts.append(f"{p.symbol}={value:.3g}")
    return " ".join(parts)


@dataclass(frozen=True)
class Trajectory:
    """Rectangular record of ``R`` runs of one optimizer over ``steps`` steps.

    ``xy[k]`` is the iterate before step ``k`` (``xy[0] = x0``), ``grad[k]`` and ``lr[k]`` what step ``k``
    used, ``state[name][k]`` the optimizer quantity after step ``k`` (see ``optim.STATE_LABELS``).
    """

    optimizer: str
    hyperparams: dict[str, Any]  # numeric: (R,) arrays; switches: Python values
    xy: np.ndarray  # (steps+1, R, D)
    loss: np.ndarray  # (steps+1, R)
    grad: np.ndarray  # (steps, R, D)
    lr: np.ndarray  # (steps, R)
    state: dict[str, np.ndarray]  # name -> (steps, R, D)
    diverged_at: np.ndarray  # (R,) int, -1 if never
    f_min: float | None = None

    @property
    def steps(self) -> int:
        return self.grad.shape[0]

    @property
    def runs(self) -> int:
        return self.xy.shape[1]

    @property
    def velocity(self) -> np.ndarray | None:
        """Momentum buffer / first moment, ``(steps, R, D)``, or None."""
        return self.state.get("m")

    @property
    def second_moment(self) -> np.ndarray | None:
        return self.state.get("v")

    @property
    def eff_lr(self) -> np.ndarray:
        """Effective per-coordinate step size, ``(steps, R, D)`` (η itself for non-adaptive rules)."""
        if "eff_lr" in self.state:
            return self.state["eff_lr"]
        return np.broadcast_to(self.lr[..., None], self.grad.shape)

    def final_loss(self) -> np.ndarray:
        return self.loss[-1]

    def label(self, r: int = 0) -> str:
        """Short legend text: the optimizer and its settings for run ``r``.

        >>> from surfaces import get_surface
        >>> t = run(get_surface("booth"), "momentum", np.zeros((1, 2)), 3, lr=0.05, beta=0.9)
        >>> t.label()
        'Momentum (PyTorch) η=0.05 β=0.9'
        """
        return describe(self.optimizer, self.hyperparams, r)

    def to_frame(self):
        """Tidy pandas DataFrame: one row per (step, run).

        Columns: step, run, optimizer, x, y (x0…x{D−1} when D ≠ 2), loss, diverged, then for
        the step taken *from* that row's point: lr, grad_x, grad_y and each recorded state.
        """
        import pandas as pd

        n, r, d = self.xy.shape
        names = ["x", "y"] if d == 2 else [f"x{i}" for i in range(d)]
        steps = np.repeat(np.arange(n), r)
        cols: dict[str, Any] = {
            "step": steps,
            "run": np.tile(np.arange(r), n),
            "optimizer": self.optimizer,
        }
        for i, name in enumerate(names):
            cols[name] = self.xy[:, :, i].reshape(-1)
        cols["loss"] = self.loss.reshape(-1)
        div = np.where(self.diverged_at >= 0, self.diverged_at, n + 1)
        cols["diverged"] = steps >= np.tile(div, n)

        def pad(a: np.ndarray) -> np.ndarray:  # (steps, R, ...) -> (steps+1, R, ...), NaN last row
            return np.concatenate([a, np.full((1, *a.shape[1:]), np.nan)], axis=0)

        cols["lr"] = pad(self.lr).reshape(-1)
        for key, arr in {"grad": self.grad, **self.state}.items():
            padded = pad(arr)
            for i, name in enumerate(names):
                cols[f"{key}_{name}"] = padded[:, :, i].reshape(-1)
        return pd.DataFrame(cols)


@dataclass(frozen=True)
class Summary:
    """Per-run summaries of a sweep (no per-step arrays kept)."""

    optimizer: str
    final_xy: np.ndarray  # (R, D)
    final_loss: np.ndarray  # (R,)
    min_loss: np.ndarray  # (R,)
    steps_to_tol: (
        np.ndarray
    )  # (R,) first step k with (loss − f_min ≤ tol) [or ‖∇L‖ ≤ tol], −1 never
    diverged_at: np.ndarray  # (R,)
    tol: float
    criterion: str  # "loss - f_min" or "grad norm"


@dataclass(frozen=True)
class RunSpec:
    """One entry of ``run_many``: an optimizer, its hyperparameters and its start points."""

    optimizer: str
    x0: Any
    hyperparams: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class _Group:
    opt: Optimizer
    hp: dict[str, Any]
    sl: slice


# -------------------------------------------------------------------------------------------------
# Validation


def _as_x0(x0: Any) -> np.ndarray:
    try:
        arr = np.array(x0, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"x0 must be numbers of shape (R, D); got {x0!r}.") from None
    if arr.ndim == 1:
        arr = arr[None, :]
    if arr.ndim != 2 or arr.shape[0] < 1 or arr.shape[1] < 1:
        raise ValueError(f"x0 must have shape (R, D) with R, D ≥ 1; got shape {arr.shape}.")
    if not np.all(np.isfinite(arr)):
        raise ValueError("x0 must be finite.")
    return arr


def _check_steps(steps: Any) -> int:
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)):
        raise ValueError(f"steps must be a whole number, got {steps!r}.")
    if not 0 <= steps <= MAX_STEPS:
        raise ValueError(f"steps must be between 0 and {MAX_STEPS:,}, got {steps}.")
    return int(steps)


def _prepare_clip(clip: Any, runs: int):
    """``None``, a number (global-norm threshold), or ``("norm" | "value", threshold)``."""
    if clip is None:
        return None
    kind, threshold = ("norm", clip) if not isinstance(clip, (tuple, list)) else tuple(clip)
    if kind not in ("norm", "value"):
        raise ValueError(f"clip kind must be 'norm' or 'value', got {kind!r}.")
    t = run_value(threshold, runs, 1, "clip threshold")
    if not np.all(np.isfinite(t) & (np.asarray(t) > 0)):
        raise ValueError("clip threshold must be a positive number.")
    return (clip_by_norm if kind == "norm" else clip_by_value), t


def _prepare_noise(noise: Any, runs: int) -> np.ndarray | None:
    if noise is None:
        return None
    sigma = run_value(noise, runs, 1, "noise σ")
    if not np.all(np.isfinite(sigma) & (np.asarray(sigma) >= 0)):
        raise ValueError("noise σ must be a non-negative number.")
    return None if not np.any(sigma) else sigma


def _batches(n: int, batch_size: int, sampling: str, rng: np.random.Generator) -> Iterator:
    """Minibatch indices, one array per step: epochs of a fresh permutation, or i.i.d. draws.

    With ``"shuffle"`` every example is used once per epoch (the last batch of an epoch may be
    smaller when ``batch_size`` does not divide ``n``); with ``"replacement"`` each batch is
    ``batch_size`` independent uniform draws (EECS 182 note 2, §1.2).
    """
    if sampling == "replacement":
        while True:
            yield rng.integers(0, n, size=batch_size)
    while True:
        perm = rng.permutation(n)
        for start in range(0, n, batch_size):
            yield perm[start : start + batch_size]


# -------------------------------------------------------------------------------------------------
# The loop


class _FullRecorder:
    """Keeps each step's arrays in lists (cheap per step) and stacks them once at the end.

    The optimizers are pure (they return fresh arrays), so keeping references is safe.
    """

    online = False

    def __init__(self, groups: list[_Group], steps: int, runs: int, dim: int):
        total = (steps + 1) * runs * dim * (3 + sum(len(g.opt.records) + 3 for g in groups))
        if total > MAX_RECORDED_VALUES:
            raise ValueError(
                f"{steps} steps × {runs} runs is too much to record in full; "
                "use optim.run_summary for sweeps."
            )
        self.groups = groups
        self.dim = dim
        self._xy: list[np.ndarray] = []
        self._loss: list[np.ndarray] = []
        self._grad: list[np.ndarray] = []
        self._lr: list[np.ndarray] = []
        self._states: list[list[tuple]] = []
        self._q: list[np.ndarray] = []
        self.keep_q = any("lookahead" in g.opt.records for g in groups)
        self._loss_q: list[np.ndarray] = []  # L at each step's gradient point, when the surface
        # gives it with the gradient (``value_and_grad``, full batch): then finish() need not
        # evaluate the loss again along the runs whose gradient point is their iterate

    def note_loss(self, loss_q: np.ndarray) -> None:
        self._loss_q.append(loss_q)

    def start(self, p, loss):
        self._xy.append(p)

    def step(self, k, p, loss, g, lr, states, q):
        self._xy.append(p)
        self._grad.append(g)
        self._lr.append(lr)
        self._states.append(list(states))
        if self.keep_q:
            self._q.append(q)

    def _losses(self, surface, steps: int) -> np.ndarray:
        """L along every path: from the gradient calls where they were taken at the iterate (the
        runs without a look-ahead), else evaluated here, all at once."""
        if not steps or len(self._loss_q) != steps:
            return np.asarray(surface.f(self.xy), dtype=float)
        loss = np.empty(self.xy.shape[:2])
        loss[:steps] = np.stack(self._loss_q)
        loss[steps] = surface.f(self.xy[steps])
        for g in self.groups:
            if g.opt.lookahead_fn(g.hp) is not None:  # its gradients were taken elsewhere
                loss[:steps, g.sl] = surface.f(self.xy[:steps, g.sl])
        return loss

    def finish(self, surface, bound: float) -> np.ndarray:
        """Stack the steps, evaluate the loss along every path at once, and mark divergence.

        Runs are independent, so finding the first bad step afterwards and blanking what follows
        gives exactly what stopping each run online would: ``diverged_at`` is the first ``k`` whose
        iterate is non-finite, has a non-finite loss, or leaves ``±bound``.
        """
        runs = self._xy[0].shape[0]
        steps = len(self._grad)
        self.xy = np.stack(self._xy)
        with np.errstate(all="ignore"):
            self.loss = self._losses(surface, steps)
            bad = _bad_rows(self.xy, self.loss, bound)  # (steps+1, R)
        self.grad = np.stack(self._grad) if steps else np.empty((0, runs, self.dim))
        self.lr = np.empty((steps, runs))
        for i, g in enumerate(self.groups):
            vals = [lrs[i] for lrs in self._lr]
            if steps and np.ndim(vals[0]) == 0:
                self.lr[:, g.sl] = np.asarray(vals)[:, None]
            elif steps:
                self.lr[:, g.sl] = np.stack(vals)[:, :, 0]
        self.states = []
        t = np.arange(1, steps + 1, dtype=float)[:, None, None]
        for i, g in enumerate(self.groups):
            n = g.sl.stop - g.sl.start
            rec = {}
            for name, fld in g.opt.records.items():
                if not steps:
                    rec[name] = np.empty((0, n, self.dim))
                elif name == "lookahead":
                    rec[name] = np.stack([q[g.sl] for q in self._q])
                else:
                    rec[name] = np.stack([getattr(st[i], fld) for st in self._states])
            if g.opt.derive is not None and steps:
                with np.errstate(all="ignore"):
                    rec.update(
                        g.opt.derive(rec, self.grad[:, g.sl], self.lr[:, g.sl, None], t, g.hp)
                    )
            self.states.append(rec)
        self._xy = self._grad = self._lr = self._states = self._q = self._loss_q = []
        hit = bad.any(axis=0)
        diverged_at = np.where(hit, np.argmax(bad, axis=0), -1)
        if hit.any():
            k = np.arange(steps + 1)[:, None]
            after = hit & (k > diverged_at)  # (steps+1, R): strictly after the divergence step
            self.xy[after] = np.nan
            self.loss[after] = np.nan
            self.xy[~np.isfinite(self.xy)] = np.nan
            self.loss[~np.isfinite(self.loss)] = np.nan
            used = hit & (k[:-1] >= diverged_at)  # steps taken from a bad point
            self.grad[used] = np.nan
            for states, g in zip(self.states, self.groups):
                for arr in states.values():
                    arr[used[:, g.sl]] = np.nan
        return diverged_at


class _PathRecorder(_FullRecorder):
    """Keeps only the iterates: a bank of hundreds of runs costs (steps+1)·R·D floats, no more."""

    def __init__(self, steps: int, runs: int, dim: int):
        if (steps + 1) * runs * (dim + 1) > MAX_RECORDED_VALUES:
            raise ValueError(f"{steps} steps × {runs} runs is too many paths to keep.")
        self._xy = []

    def step(self, k, p, loss, g, lr, states, q):
        self._xy.append(p)

    def finish(self, surface, bound: float) -> np.ndarray:
        self.xy = np.stack(self._xy)
        self._xy = []
        with np.errstate(all="ignore"):
            self.loss = np.asarray(surface.f(self.xy), dtype=float)
            bad = _bad_rows(self.xy, self.loss, bound)
        hit = bad.any(axis=0)
        diverged_at = np.where(hit, np.argmax(bad, axis=0), -1)
        if hit.any():
            after = hit & (np.arange(self.xy.shape[0])[:, None] > diverged_at)
            self.xy[after] = np.nan
            self.loss[after] = np.nan
            self.xy[~np.isfinite(self.xy)] = np.nan
            self.loss[~np.isfinite(self.loss)] = np.nan
        return diverged_at


@dataclass(frozen=True)
class Paths:
    """Only the paths of many runs: ``xy (steps+1, R, D)``, ``loss (steps+1, R)``, ``diverged_at``.

    Row for row what :func:`run_many` records for the same specs, without gradients or state.
    """

    xy: np.ndarray
    loss: np.ndarray
    diverged_at: np.ndarray


def run_paths(
    surface: Any, specs: Sequence[RunSpec], steps: int, *, options: RunOptions | None = None
) -> Paths:
    """The iterates and losses of every run of ``specs``, stepped together (see :func:`run_many`).

    For banks of paths (one run at many learning rates): memory is the paths alone. Runs are rows
    in the order of ``specs``. Gradient noise is drawn per row, so a noisy run's path depends on
    its row; with ``options.noise`` unset, every row is the path :func:`run` gives alone.

    >>> from surfaces import get_surface
    >>> s = get_surface("quadratic", kappa=10)
    >>> p = run_paths(s, [RunSpec("gd", [[1.0, 1.0]] * 3, {"lr": np.array([0.1, 1.0, 3.0])})], 50)
    >>> p.xy.shape, p.diverged_at.tolist()
    ((51, 3, 2), [-1, -1, 12])
    """
    if not specs:
        raise ValueError("run_paths needs at least one RunSpec.")
    opts = _options(options)
    steps, groups, x0, bound = _common(
        surface, [(s.optimizer, s.hyperparams, s.x0) for s in specs], steps, opts
    )
    rec = _PathRecorder(steps, x0.shape[0], x0.shape[1])
    _simulate(surface, groups, x0, steps, opts, bound, rec)
    diverged = rec.finish(surface, bound)
    return Paths(rec.xy, rec.loss, diverged)


class _SummaryRecorder:
    online = True

    def __init__(self, runs: int, surface: Any, tol: float):
        self.f_ref = getattr(surface, "f_min", None)
        self.tol = tol
        self.min_loss = np.full(runs, np.inf)
        self.reached = np.full(runs, -1)
        self.p = self.loss = None

    def _hit(self, loss, g):
        if self.f_ref is not None:
            return loss - self.f_ref <= self.tol
        return np.sqrt(np.sum(g * g, axis=-1)) <= self.tol

    def start(self, p, loss):
        self.p, self.loss = p, loss
        self.min_loss = np.fmin(self.min_loss, loss)
        if self.f_ref is not None:
            self.reached[loss - self.f_ref <= self.tol] = 0

    def step(self, k, p, loss, g, lr, states, q):
        self.p, self.loss = p, loss
        self.min_loss = np.fmin(self.min_loss, loss)
        # with the grad-norm criterion, g is the gradient at the point before step k
        hit = self._hit(loss, g) & (self.reached < 0)
        if hit.any():
            self.reached[hit] = k + 1 if self.f_ref is not None else k


def _simulate(surface, groups, x0, steps, opts: RunOptions, bound: float, recorder, callback=None):
    runs, dim = x0.shape
    schedule, clip, noise, batch_size, sampling, seed = (
        opts.schedule,
        opts.clip,
        opts.noise,
        opts.batch_size,
        opts.sampling,
        opts.seed,
    )
    factors = (schedule or constant()).factors(steps).tolist()
    clip = _prepare_clip(clip, runs)
    sigma = _prepare_noise(noise, runs)
    batch_rng, noise_rng = (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(2))
    batches = None
    if batch_size is not None:
        batches = _batches(surface.n_data, batch_size, sampling, batch_rng)
    constant_lr = schedule is None or schedule.name == "constant"
    # each group's η: a Python float (all runs alike, the fast path) or an (R_g, D) array
    lr_base = [g.hp["lr"] for g in groups]
    lr_groups = lr_base
    looks = [g.opt.lookahead_fn(g.hp) for g in groups]
    any_lookahead = any(f is not None for f in looks)
    plan = [(g.opt.update, g.sl, g.hp, g.opt.needs_hessian, g.opt.needs_loss) for g in groups]
    loss_fn = getattr(surface, "f", None)

    grad_fn = getattr(surface, "grad_quiet", surface.grad)  # we are inside errstate already
    online = recorder.online  # summaries need the loss every step; full records check afterwards
    # a network gives its loss with its gradient (one forward): the record keeps it, full batch
    value_and_grad = getattr(surface, "value_and_grad", None)
    if online or batches is not None or not hasattr(recorder, "note_loss"):
        value_and_grad = None
    with np.errstate(all="ignore"):
        p = x0.copy()
        recorder.start(p, np.asarray(surface.f(p), dtype=float) if online else None)
        states = [g.opt.init(p[g.sl], g.hp) for g in groups]
        diverged_at = np.full(runs, -1)
        dead = np.zeros(runs, dtype=bool)
        any_dead = False
        for k in range(steps):
            if callback is not None:
                callback(k)
            if not constant_lr:
                lr_groups = [lr0 * factors[k] for lr0 in lr_base]
            q = p
            idx = None if batches is None else next(batches)
            if any_lookahead:
                q = p.copy()
                for look, g, st, lr_g in zip(looks, groups, states, lr_groups):
                    if look is None:
                        continue
                    if g.opt.lookahead_grad:  # SAM: ∇L at w on the step's own examples
                        at = grad_fn if idx is None else partial(surface.grad_batch, idx=idx)
                        q[g.sl] = look(p[g.sl], st, lr_g, g.hp, gradient=at)
                    else:
                        q[g.sl] = look(p[g.sl], st, lr_g, g.hp)
            if value_and_grad is not None:
                loss_q, grad = value_and_grad(q)
                recorder.note_loss(loss_q)
            else:
                grad = grad_fn(q) if idx is None else surface.grad_batch(q, idx)
            if sigma is not None:
                grad = grad + sigma * noise_rng.standard_normal((runs, dim))
            if clip is not None:
                grad = clip[0](grad, clip[1])
            parts = []
            for i, (update, sl, hp, needs_hess, needs_loss) in enumerate(plan):
                if needs_hess:
                    new_g, states[i] = update(
                        grad[sl], states[i], p[sl], lr_groups[i], k, hp, hess=surface.hess(q[sl])
                    )
                elif needs_loss:  # a line search evaluates the loss (or ∇L) along its direction
                    new_g, states[i] = update(
                        grad[sl],
                        states[i],
                        p[sl],
                        lr_groups[i],
                        k,
                        hp,
                        loss=loss_fn,
                        gradient=grad_fn,
                    )
                else:
                    new_g, states[i] = update(grad[sl], states[i], p[sl], lr_groups[i], k, hp)
                parts.append(new_g)
            new_p = parts[0] if len(parts) == 1 else np.concatenate(parts, axis=0)
            loss = None
            if online:
                if any_dead:
                    new_p[dead] = np.nan
                loss = np.asarray(surface.f(new_p), dtype=float)
                # fast path: one scalar test for all runs; NaN anywhere makes it fail
                if any_dead or not (np.abs(new_p).max() <= bound and np.abs(loss.sum()) < np.inf):
                    newly = _bad_rows(new_p, loss, bound) & ~dead
                    if newly.any():
                        diverged_at[newly] = k + 1
                        dead |= newly
                        any_dead = True
                        new_p = np.where(np.isfinite(new_p), new_p, np.nan)
                        loss = np.where(np.isfinite(loss), loss, np.nan)
            recorder.step(k, new_p, loss, grad, lr_groups, states, q)
            p = new_p
    return diverged_at


def _bad_rows(xy: np.ndarray, loss: np.ndarray, bound: float) -> np.ndarray:
    """Runs that are non-finite or outside ``±bound`` (works on ``(..., R, D)`` and ``(..., R)``)."""
    return ~((np.max(np.abs(xy), axis=-1) <= bound) & (np.abs(loss) < np.inf))


def _resolve_groups(specs: Sequence[tuple[Any, Mapping[str, Any], np.ndarray]]) -> list[_Group]:
    groups, start = [], 0
    for opt_name, hp, x0 in specs:
        opt = opt_name if isinstance(opt_name, Optimizer) else get_optimizer(opt_name)
        n, d = x0.shape
        groups.append(_Group(opt, opt.resolve(hp, n, d), slice(start, start + n)))
        start += n
    return groups


def _check_surface(surface, groups, dim, batch_size, sampling):
    for attr in ("f", "grad"):
        if not callable(getattr(surface, attr, None)):
            raise ValueError(f"surface must provide {attr}(xy); {surface!r} does not.")
    sdim = getattr(surface, "dim", dim)
    if sdim != dim:
        raise ValueError(f"x0 has {dim} coordinates per run but the surface takes {sdim}.")
    if any(g.opt.needs_hessian for g in groups) and not callable(getattr(surface, "hess", None)):
        raise ValueError("newton needs the surface's Hessian, and this surface has none.")
    if batch_size is not None:
        n = getattr(surface, "n_data", None)
        if n is None:
            raise ValueError(
                "batch_size applies to data-driven surfaces only; use noise= for a stochastic "
                "gradient on an analytic surface."
            )
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)):
            raise ValueError(f"batch_size must be a whole number, got {batch_size!r}.")
        if not 1 <= batch_size <= n:
            raise ValueError(f"batch_size must be between 1 and {n} (the number of examples).")
    if sampling not in ("shuffle", "replacement"):
        raise ValueError("sampling must be 'shuffle' (epochs) or 'replacement'.")


def _common(surface, specs, steps, opts: RunOptions):
    schedule, batch_size, sampling, bound = (
        opts.schedule,
        opts.batch_size,
        opts.sampling,
        opts.bound,
    )
    steps = _check_steps(steps)
    x0s = [_as_x0(x) for _, _, x in specs]
    dims = {x.shape[1] for x in x0s}
    if len(dims) != 1:
        raise ValueError("All runs must have the same number of coordinates.")
    groups = _resolve_groups([(o, hp, x) for (o, hp, _), x in zip(specs, x0s)])
    x0 = np.concatenate(x0s, axis=0)
    _check_surface(surface, groups, x0.shape[1], batch_size, sampling)
    if schedule is not None and not isinstance(schedule, Schedule):
        raise ValueError("schedule must come from optim.schedules (e.g. schedules.linear(100)).")
    if bound is None:
        bound = float(getattr(surface, "bound", 1e6))
    elif not (np.isfinite(bound) and bound > 0):
        raise ValueError("bound must be a positive number.")
    return steps, groups, x0, bound


def run_many(
    surface: Any,
    specs: Sequence[RunSpec],
    steps: int,
    *,
    schedule: Schedule | None = None,
    clip: Any = None,
    noise: Any = None,
    batch_size: int | None = None,
    sampling: str = "shuffle",
    seed: int = 0,
    bound: float | None = None,
    options: RunOptions | None = None,
) -> list[Trajectory]:
    """Step several optimizers together; one gradient evaluation per step serves them all.

    All runs share the schedule, clipping, noise stream and minibatch sequence, so a comparison is
    fair: every optimizer sees the same data in the same order. Pass them as one
    :class:`RunOptions` record (``options=``) or as the keywords of the same names.

    >>> from surfaces import get_surface
    >>> trajs = run_many(get_surface("booth"), [RunSpec("gd", [0, 0]), RunSpec("adam", [0, 0])], 50)
    >>> [t.optimizer for t in trajs], trajs[0].xy.shape
    (['gd', 'adam'], (51, 1, 2))
    """
    if not specs:
        raise ValueError("run_many needs at least one RunSpec.")
    opts = _options(
        options,
        schedule=schedule,
        clip=clip,
        noise=noise,
        batch_size=batch_size,
        sampling=sampling,
        seed=seed,
        bound=bound,
    )
    steps, groups, x0, bound = _common(
        surface, [(s.optimizer, s.hyperparams, s.x0) for s in specs], steps, opts
    )
    rec = _FullRecorder(groups, steps, x0.shape[0], x0.shape[1])
    _simulate(surface, groups, x0, steps, opts, bound, rec)
    diverged = rec.finish(surface, bound)
    out = []
    for g, states in zip(groups, rec.states):
        n = g.sl.stop - g.sl.start
        numeric = {p.name for p in g.opt.params}
        hp = {k: (per_run(v, n) if k in numeric else v) for k, v in g.hp.items()}
        out.append(
            Trajectory(
                optimizer=g.opt.name,
                hyperparams=hp,
                xy=rec.xy[:, g.sl],
                loss=rec.loss[:, g.sl],
                grad=rec.grad[:, g.sl],
                lr=rec.lr[:, g.sl],
                state=states,
                diverged_at=diverged[g.sl],
                f_min=getattr(surface, "f_min", None),
            )
        )
    return out


def run(
    surface: Any,
    optimizer: str | Optimizer,
    x0: Any,
    steps: int,
    *,
    schedule: Schedule | None = None,
    clip: Any = None,
    noise: Any = None,
    batch_size: int | None = None,
    sampling: str = "shuffle",
    seed: int = 0,
    bound: float | None = None,
    options: RunOptions | None = None,
    **hyperparams: Any,
) -> Trajectory:
    """Run ``R`` copies of one optimizer from ``x0`` (shape ``(R, D)``) for ``steps`` steps.

    Every numeric hyperparameter may be a scalar or an ``(R,)`` array. ``clip`` is a global-norm
    threshold or ``("norm" | "value", threshold)``; ``noise`` adds ``N(0, σ²)`` to every gradient
    coordinate (seeded); ``batch_size`` draws minibatches from a data-driven surface (``sampling``
    ``"shuffle"`` = epochs of a fresh permutation, ``"replacement"`` = i.i.d. draws). The gradient is
    noised, then clipped, then handed to the optimizer. Raises ``ValueError`` for invalid input.

    >>> from surfaces import get_surface
    >>> t = run(get_surface("quadratic", kappa=10), "gd", [[2.0, 1.0], [1.0, 1.0]], 100,
    ...         lr=np.array([0.1, 0.5]))
    >>> t.xy.shape, t.diverged_at.tolist()
    ((101, 2, 2), [-1, -1])
    """
    name = optimizer.name if isinstance(optimizer, Optimizer) else optimizer
    opts = _options(
        options,
        schedule=schedule,
        clip=clip,
        noise=noise,
        batch_size=batch_size,
        sampling=sampling,
        seed=seed,
        bound=bound,
    )
    return run_many(surface, [RunSpec(name, x0, hyperparams)], steps, options=opts)[0]


def run_summary(
    surface: Any,
    optimizer: str | Optimizer,
    x0: Any,
    steps: int,
    *,
    tol: float = 1e-6,
    schedule: Schedule | None = None,
    clip: Any = None,
    noise: Any = None,
    batch_size: int | None = None,
    sampling: str = "shuffle",
    seed: int = 0,
    bound: float | None = None,
    callback: Callable[[int], None] | None = None,
    options: RunOptions | None = None,
    **hyperparams: Any,
) -> Summary:
    """Like :func:`run` but keeps only per-run summaries: memory O(R), not O(steps·R).

    ``callback(k)``, if given, is called before each step ``k``: a long sweep reports its
    progress through it, and stops by raising (the exception propagates to the caller).

    ``steps_to_tol`` is the first step with ``loss − f_min ≤ tol`` when the surface knows ``f_min``,
    else the first step whose gradient norm is ``≤ tol``.

    >>> from surfaces import get_surface
    >>> s = run_summary(get_surface("quadratic"), "gd", np.ones((3, 2)), 500, lr=[0.5, 1.0, 2.5])
    >>> s.diverged_at.tolist(), bool(s.steps_to_tol[1] < s.steps_to_tol[0])
    ([-1, -1, 20], True)
    """
    if not (np.isfinite(tol) and tol >= 0):
        raise ValueError("tol must be a non-negative number.")
    opts = _options(
        options,
        schedule=schedule,
        clip=clip,
        noise=noise,
        batch_size=batch_size,
        sampling=sampling,
        seed=seed,
        bound=bound,
    )
    steps, groups, x0, bound = _common(surface, [(optimizer, hyperparams, x0)], steps, opts)
    rec = _SummaryRecorder(x0.shape[0], surface, tol)
    diverged = _simulate(surface, groups, x0, steps, opts, bound, rec, callback)
    return Summary(
        optimizer=groups[0].opt.name,
        final_xy=rec.p,
        final_loss=rec.loss,
        min_loss=np.where(np.isinf(rec.min_loss), np.nan, rec.min_loss),
        steps_to_tol=rec.reached,
        diverged_at=diverged,
        tol=tol,
        criterion="loss - f_min" if rec.f_ref is not None else "grad norm",
    )
