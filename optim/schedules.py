r"""Learning-rate schedules: pure functions of the step ``k`` (from 0) returning a multiplier.

The learning rate at step ``k`` is ``η_k = η₀ · s(k)``, where ``η₀`` is the optimizer's ``lr`` (a scalar
or one per run). Each schedule is a small frozen record, so it hashes (for caches) and round-trips
through a name and its parameters (for links): ``make(s.name, **s.params) == s``.

>>> s = linear(tau=10, end_factor=0.1)
>>> [round(float(v), 3) for v in s(np.array([0, 5, 10, 20]))]
[1.0, 0.55, 0.1, 0.1]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .base import Param

__all__ = [
    "SCHEDULES",
    "Schedule",
    "constant",
    "cosine",
    "exponential",
    "fate",
    "inverse_time",
    "linear",
    "make",
    "step",
    "warmup",
    "wsd",
]


@dataclass(frozen=True)
class Schedule:
    """A named multiplier ``s(k)``; call it with an int or an array of steps."""

    name: str
    params: tuple[tuple[str, Any], ...] = ()
    inner: Schedule | None = field(default=None)

    def kwargs(self) -> dict[str, Any]:
        return dict(self.params)

    def __call__(self, k: Any) -> np.ndarray:
        k = np.asarray(k, dtype=float)
        p = self.kwargs()
        if self.name == "constant":
            return np.ones_like(k)
        if self.name == "linear":
            alpha = np.minimum(k / p["tau"], 1.0)
            return (1.0 - alpha) + alpha * p["end_factor"]
        if self.name == "step":
            return p["gamma"] ** np.floor(k / p["every"])
        if self.name == "exponential":
            return p["gamma"] ** k
        if self.name == "inverse_time":
            return 1.0 / (1.0 + k / p["t0"])
        if self.name == "cosine":
            frac = np.minimum(k / p["total"], 1.0)
            return p["end_factor"] + (1.0 - p["end_factor"]) * 0.5 * (1.0 + np.cos(np.pi * frac))
        if self.name == "wsd":
            warm = np.minimum((k + 1.0) / p["warmup"], 1.0) if p["warmup"] >= 1 else 1.0
            span = max(p["decay"] * p["total"], 1.0)
            alpha = np.clip((k - (p["total"] - span)) / span, 0.0, 1.0)
            return warm * (1.0 - alpha * (1.0 - p["end_factor"]))
        if self.name == "warmup":
            ramp = np.minimum((k + 1.0) / p["steps"], 1.0)
            return ramp * self.inner(np.maximum(k - p["steps"], 0.0))
        raise ValueError(f"unknown schedule {self.name!r}")

    def factors(self, steps: int) -> np.ndarray:
        """Multipliers for steps ``0 … steps−1``."""
        return self(np.arange(steps))

    @property
    def latex(self) -> str:
        p = self.kwargs()
        forms = {
            "constant": r"\eta_k = \eta_0",
            "linear": r"\eta_k = (1-\alpha)\,\eta_0 + \alpha\,\eta_\tau,\ \ \alpha = \min(k/\tau, 1),"
            rf"\ \ \eta_\tau = {p.get('end_factor', 0):g}\,\eta_0,\ \tau = {p.get('tau', 0):g}",
            "step": rf"\eta_k = \eta_0\,\gamma^{{\lfloor k/{p.get('every', 0):g} \rfloor}},"
            rf"\ \gamma = {p.get('gamma', 0):g}",
            "exponential": rf"\eta_k = \eta_0\,\gamma^k,\ \gamma = {p.get('gamma', 0):g}",
            "inverse_time": rf"\eta_k = \frac{{\eta_0}}{{1 + k/t_0}},\ t_0 = {p.get('t0', 0):g}",
            "cosine": r"\eta_k = \eta_T + \tfrac12(\eta_0-\eta_T)\big(1+\cos(\pi \min(k/T,1))\big),"
            rf"\ T = {p.get('total', 0):g}",
            "wsd": r"\eta_k = \eta_0 \min\!\big(\tfrac{k+1}{W}, 1\big)\big(1 - (1 - f)\,"
            r"\mathrm{clip}(\tfrac{k - (T - D)}{D}, 0, 1)\big),"
            rf"\ W = {p.get('warmup', 0):g},\ D = {p.get('decay', 0) * p.get('total', 0):g},"
            rf"\ T = {p.get('total', 0):g},\ f = {p.get('end_factor', 0):g}",
        }
        if self.name == "warmup":
            return (
                rf"\eta_k = \min\!\big(\tfrac{{k+1}}{{w}}, 1\big)\,\eta^{{\mathrm{{{self.inner.name}}}}}"
                rf"_{{\max(k-w,\,0)}},\ w = {p['steps']:g}"
            )
        return forms[self.name]


def _check(name: str, **values: float) -> tuple[tuple[str, Any], ...]:
    for spec in SCHEDULE_PARAMS[name]:
        spec.check(values[spec.name], f"schedule {name}")
    return tuple((k, float(v)) for k, v in values.items())


def constant() -> Schedule:
    """``s(k) = 1``."""
    return Schedule("constant")


def linear(tau: float = 100, end_factor: float = 0.01) -> Schedule:
    r"""Linear decay of COSI 165B / Goodfellow §8.3.1: ``ε_k = (1−α)ε₀ + αε_τ``, ``α = k/τ``, constant
    after τ. ``end_factor = ε_τ/ε₀``."""
    return Schedule("linear", _check("linear", tau=tau, end_factor=end_factor))


def step(every: float = 50, gamma: float = 0.5) -> Schedule:
    """Step decay: multiply by ``gamma`` every ``every`` steps."""
    return Schedule("step", _check("step", every=every, gamma=gamma))


def exponential(gamma: float = 0.99) -> Schedule:
    """``s(k) = γ^k``."""
    return Schedule("exponential", _check("exponential", gamma=gamma))


def inverse_time(t0: float = 10) -> Schedule:
    r"""Robbins–Monro ``η_k = η₀/(1 + k/t₀)``: ``Σ η_k = ∞`` and ``Σ η_k² < ∞``, the "decay to
    converge" of EECS 182 note 2 that stops SGD dancing around the optimum."""
    return Schedule("inverse_time", _check("inverse_time", t0=t0))


def cosine(total: float = 200, end_factor: float = 0.0) -> Schedule:
    """Cosine annealing from 1 to ``end_factor`` over ``total`` steps, constant after."""
    return Schedule("cosine", _check("cosine", total=total, end_factor=end_factor))


def wsd(
    total: float = 200, warmup: float = 0, decay: float = 0.2, end_factor: float = 0.0
) -> Schedule:
    r"""Warm-up–stable–decay (Zhai et al. 2022; Hägele et al. 2024): a linear warm-up over
    ``warmup`` steps, then η₀ held for most of the run, then a linear decay to ``end_factor`` over
    its last ``decay`` share of ``total`` steps. The river-valley picture (Wen et al. 2024): the
    high stable η advances fast along the valley's floor while bouncing between its walls; the
    short decay drops the bounce, and the loss with it."""
    return Schedule(
        "wsd", _check("wsd", total=total, warmup=warmup, decay=decay, end_factor=end_factor)
    )


def warmup(inner: Schedule, steps: float = 10) -> Schedule:
    """Linear warm-up ``(k+1)/steps`` for ``steps`` steps, then ``inner`` started afresh."""
    if not isinstance(inner, Schedule) or inner.name == "warmup":
        raise ValueError("warmup wraps one non-warmup schedule.")
    return Schedule("warmup", _check("warmup", steps=steps), inner=inner)


def fate(schedule: Schedule | None) -> tuple[str, float]:
    """What η does after the run's last step, for ever: ``("floor", s∞)`` when the factor settles
    at ``s∞ > 0`` (constant, linear or cosine to a floor: noisy steps keep dancing at that size),
    ``("robbins_monro", 0)`` when ``Σ s_k = ∞`` and ``Σ s_k² < ∞`` (1/t: EECS 182 note 2's decay
    that lets SGD settle), ``("summable", 0)`` when ``Σ s_k < ∞`` (step and exponential decay,
    or a decay to 0: the run freezes wherever it is when η runs out).

    >>> fate(None), fate(linear(100, 0.01)), fate(inverse_time(5)), fate(step(50, 0.5))
    (('floor', 1.0), ('floor', 0.01), ('robbins_monro', 0.0), ('summable', 0.0))
    """
    if schedule is None:
        return "floor", 1.0
    p = schedule.kwargs()
    if schedule.name == "warmup":
        return fate(schedule.inner)
    if schedule.name == "inverse_time":
        return "robbins_monro", 0.0
    if schedule.name in ("step", "exponential"):
        return ("floor", 1.0) if p["gamma"] >= 1.0 else ("summable", 0.0)
    if schedule.name in ("linear", "cosine", "wsd"):
        end = float(p["end_factor"])
        return ("floor", end) if end > 0 else ("summable", 0.0)
    return "floor", 1.0


SCHEDULE_PARAMS: dict[str, tuple[Param, ...]] = {
    "constant": (),
    "linear": (
        Param("tau", "τ (steps to decay)", 100, low=1, high=1e7, ui_low=1, ui_high=2000),
        Param("end_factor", "ε_τ / ε₀", 0.01, low=0.0, high=1.0, ui_high=1.0),
    ),
    "step": (
        Param("every", "every (steps)", 50, low=1, high=1e7, ui_low=1, ui_high=1000),
        Param("gamma", "factor γ", 0.5, low=0.0, high=1.0, low_open=True, ui_low=0.05),
    ),
    "exponential": (
        Param("gamma", "factor γ per step", 0.99, low=0.0, high=1.0, low_open=True, ui_low=0.9),
    ),
    "inverse_time": (Param("t0", "t₀ (steps)", 10, low=1e-6, high=1e7, ui_low=1, ui_high=500),),
    "cosine": (
        Param("total", "T (steps)", 200, low=1, high=1e7, ui_low=1, ui_high=2000),
        Param("end_factor", "η_T / η₀", 0.0, low=0.0, high=1.0),
    ),
    "warmup": (Param("steps", "warm-up steps", 10, low=1, high=1e7, ui_low=1, ui_high=500),),
    "wsd": (
        Param("total", "T (steps)", 200, low=1, high=1e7, ui_low=1, ui_high=2000),
        Param("warmup", "warm-up W (steps)", 0, low=0, high=1e7, ui_low=0, ui_high=500),
        Param("decay", "decay share D/T", 0.2, low=0.0, high=1.0, low_open=True, ui_low=0.05),
        Param("end_factor", "η_T / η₀", 0.0, low=0.0, high=1.0),
    ),
}

SCHEDULES = {
    "constant": constant,
    "linear": linear,
    "step": step,
    "exponential": exponential,
    "inverse_time": inverse_time,
    "cosine": cosine,
    "wsd": wsd,
}


def make(name: str, **params: Any) -> Schedule:
    """Build a schedule from its name and parameters (the form links and widgets use).

    >>> make("step", every=10, gamma=0.5)(np.array([9, 10])).tolist()
    [1.0, 0.5]
    """
    if name not in SCHEDULES:
        raise ValueError(f"Unknown schedule {name!r}; choose one of {', '.join(SCHEDULES)}.")
    return SCHEDULES[name](**params)
