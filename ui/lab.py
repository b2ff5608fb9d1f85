"""What the labs share: their runs as one cached engine call, a lab's map in the race view, the η
slider on a lab's grid."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import streamlit as st

import optim
import viz
from optim import experiments, theory
from surfaces import get_surface
from viz import claims

from . import link, predict, view
from .cache import SurfaceKey, simulate, steps_to, surface_key, surface_of
from .frame import chart
from .runs import hashable

__all__ = [
    "cloud",
    "errata",
    "eta_slider",
    "lab_map",
    "normalized",
    "question",
    "runs",
    "sampling",
    "scalar",
    "scaled_eta_slider",
    "schedule_race",
]


def runs(
    key: SurfaceKey,
    names: Sequence[str],
    hps: Sequence[dict[str, Any]],
    steps: int,
    start: Sequence[float] | None = None,
    options: Any = None,
) -> list:
    """The runs ``names`` with ``hps`` on the surface ``key`` from ``start`` (its first suggested
    start if None): one engine call, cached across sessions (``ui.cache.simulate``)."""
    start = tuple(float(v) for v in (start if start is not None else surface_of(key).starts[0]))
    runs_ = tuple((n, hashable(hp)) for n, hp in zip(names, hps))
    if options is None:
        return simulate(key, runs_, start, steps)
    return simulate(key, runs_, start, steps, options)


def lab_map(
    prefix: str,
    look: Any,
    key: SurfaceKey,
    views: Sequence[Any],
    name: str,
    alt: str,
    question: Any = None,
    **kw: Any,
) -> dict:
    """A lab's map of ``views`` on the surface ``key`` in the race view (the one player of every
    page), without curves unless asked, a ``question``'s view if given; ``kw`` are
    :class:`ui.view.Request` fields."""
    kw.setdefault("curves", False)
    kw.setdefault("main", False)
    req = view.Request(surface_of(key), key, views, f"{prefix}_{name}", alt, **kw)
    return view.show(req, look, question)


def eta_slider(label: str, grid: Sequence[float], default: float, key: str, **kw: Any) -> float:
    """An η select-slider on a lab's grid (``optim.grids``), its values as typed (0.05, not 5e-2)."""
    return link.select_slider(
        label, list(grid), value=default, format_func=lambda v: f"{v:g}", key=key, **kw
    )


@st.cache_data(max_entries=32, show_spinner=False)
def cloud(name: str, w: tuple, batch: int, seed: int) -> experiments.Cloud:
    """400 minibatch gradients at ``w`` on the data surface ``name`` (cached across sessions)."""
    return experiments.minibatch_gradients(get_surface(name), w, batch, draws=400, seed=seed)


@st.cache_data(max_entries=4, show_spinner=False)
def dead_units(key: Any) -> experiments.DeadUnits:
    """20 000 ReLU units at N(0, 1) on the surface ``key``'s examples, dead or not (cached)."""
    return experiments.dead_at_init(surface_of(key))


@st.cache_data(max_entries=16, show_spinner=False)
def sampling(name: str, start: tuple, lr: float, batch: int, steps: int) -> experiments.Race:
    """Reshuffled epochs against sampling with replacement, 20 seeds (cached across sessions)."""
    return experiments.sampling_race(get_surface(name), start, lr, batch, steps, seeds=20)


@st.cache_data(max_entries=32, show_spinner=False)
def scalar(sigma: float, y: float, w0: float, etas: tuple, names: tuple, steps: int):
    """The Learning-rate lab's runs (``optim.experiments.scalar_race``), cached across sessions."""
    return experiments.scalar_race(sigma, y, w0, etas, names, steps)


def _set(key: str, value: float) -> None:
    st.session_state[key] = value


def scaled_eta_slider(
    key: str,
    unit: float,
    default: float,
    context: tuple,
    label: str,
    landmarks: Sequence[tuple[float, str]] = (),
    buttons: str = "",
) -> float:
    """An η slider on [unit/200, 1.5·unit] in steps of unit/200 (0.99·unit and 1.01·unit are on
    it); when ``context`` (σ) changes, the scale of η changes with it and η goes back to
    ``default``·unit. ``landmarks`` ``(multiple of unit, name)`` are buttons under it (keys
    ``<buttons>_<multiple>``) that set η there."""
    ctx = f"{key}__context"
    if st.session_state.get(ctx) != context:
        st.session_state[ctx] = context
        st.session_state[key] = round(default * unit, 12)
    eta = link.slider(
        label,
        unit / 200,
        1.5 * unit,
        round(default * unit, 12),
        step=unit / 200,
        key=key,
        format="%.4f",
        help="Step size η.",
    )
    for col, (mult, text) in zip(st.columns(len(landmarks)) if landmarks else (), landmarks):
        col.button(f"η = {text}", key=f"{buttons}_{mult}", on_click=_set, args=(key, mult * unit))
    return eta


def question(
    ask: Any,
    prefix: str,
    look: Any,
    key: SurfaceKey,
    names: Sequence[str],
    hps: Sequence[dict[str, Any]],
    steps: int,
    labels: Sequence[str],
    kinds: Sequence[str],
) -> predict.View:
    """A lab's runs as a class question's view (``ui.predict.View``): its rules, and the same
    runs again from another start for the round-off and longer-run checks."""
    s = surface_of(key)
    views = viz.run_views(runs(key, names, hps, steps), s, labels)
    return predict.View(
        ask,
        views,
        s,
        labels,
        prefix,
        kinds=kinds,
        rules=[predict.rule(n, hp) for n, hp in zip(names, hps)],
        rerun=lambda start, n=steps: viz.run_views(runs(key, names, hps, n, start), s, labels),
        look=look,
    )


def errata(names: Sequence[str], title: str) -> None:
    """The lecture notes' errata about these optimizers, in an expander titled ``title``."""
    with st.expander(title):
        for name in names:
            for e in optim.OPTIMIZERS[name].errata:
                st.markdown(f"- **{optim.OPTIMIZERS[name].title}.** {e}")


@st.cache_data(max_entries=8, show_spinner=False)
def normalized(features: str) -> tuple:
    """The regression with ``features`` inputs: its conditioning (``optim.experiments``) and 60
    steps of GD at its best η* and of Adam at η = 0.1, cached across sessions."""
    key = surface_key("linear_regression", features=features)
    c = experiments.conditioning(surface_of(key), surface_of(key).starts[0])
    return c, runs(key, ["gd", "adam"], [{"lr": c.eta_star}, {"lr": 0.1}], 60)


def two_directions(eta: float, s1: float, s2: float) -> None:
    """The Learning-rate lab's numbers on two singular values: κ, the usable η, the slowest
    factor and the steps it takes (``viz.claims.two_directions``), and the best single step."""
    smax, smin = max(s1, s2), min(s1, s2)
    steep = theory.scalar_regime(eta, smax)
    dirs = claims.two_directions(eta, s1, s2)
    m1, m2, m3, m4 = st.columns(4)
    m1.metric("condition number κ = (σ_max/σ_min)²", f"{(smax / smin) ** 2:.3g}")
    m2.metric("usable η < 1/σ_max²", f"{theory.scalar_limit(smax):.4g}")
    m3.metric(
        "slowest factor max |1 − 2ησᵢ²|",
        f"{dirs['slowest']:.4g}",
        help=f"The {dirs['which']} direction: it sets how fast the whole error shrinks.",
    )
    never = "never (period 2)" if steep == "period-2" else "never (diverges)"
    m4.metric("steps to shrink the error 10⁶×", never if dirs["steps"] is None else dirs["steps"])
    eta_star, rate_star = theory.gd_optimal(2 * smin**2, 2 * smax**2)  # curvatures λ = 2σ²
    st.caption(
        f"At the best single step, η* = 2/(2σ_max² + 2σ_min²) = {eta_star:.4g}, both directions "
        f"shrink by (κ−1)/(κ+1) = {rate_star:.4g} per step."
    )


def valleys(prefix: str, look: Any, kappa: float, angle: float, opt: str, steps: int) -> None:
    """The Adaptive lab's two valleys side by side, axis-aligned and rotated by ``angle``: GD at
    η = 1 (1/λ_max, its best) and ``opt`` at η = 0.05 on each, with the steps ``opt`` takes."""
    for i, (col, ang) in enumerate(zip(st.columns(2), (0.0, float(angle)))):
        key = surface_key("quadratic", kappa=float(kappa), angle_deg=ang, scale=1.0)
        ts = runs(key, ["gd", opt], [{"lr": 1.0}, {"lr": 0.05}], steps)
        with col:
            st.markdown(f"**θ = {ang:g}°**")
            views = viz.run_views(ts, surface_of(key), ["GD η = 1", f"{opt} η = 0.05"])
            lab_map(prefix, look, key, views, f"valley{i}", "Top view of a valley at this rotation")
            r = steps_to(key, (opt, (("lr", 0.05),)), tuple(surface_of(key).starts[0]), steps, 1e-4)
            st.metric(f"{opt}: steps to L − L* ≤ 10⁻⁴", f"{r}" if r >= 0 else f"not within {steps}")


def normalization_maps(prefix: str, look: Any) -> list[dict]:
    """The Adaptive lab's three regressions (raw, centred, standardized inputs) side by side, GD
    at each one's η* and Adam at η = 0.1; their conditioning rows (``viz.claims``)."""
    from surfaces.data import FEATURES

    rows = []
    for col, (features, label) in zip(st.columns(3), FEATURES.items()):
        c, ts = normalized(features)
        key = surface_key("linear_regression", features=features)
        views = viz.run_views(ts, surface_of(key), [f"GD η* = {c.eta_star:.3g}", "Adam η = 0.1"])
        with col:
            st.markdown(f"**{label}** · κ = {c.kappa:.3g}")
            alt = f"Top view of the regression loss with {label} inputs, 60 steps of GD and Adam"
            lab_map(prefix, look, key, views, f"norm_{features}", alt, size=(460, 330))
        rows.append(claims.conditioning_row(label, c))
    return rows


def dance_numbers(
    views: Sequence[Any],
    sched: Any,
    steps: int,
    look: Any = None,
) -> None:
    """The SGD lab's numbers under the dance: each run's mean distance to w* over the last
    quarter (constant η, then decay), their ratio, and the sentence that says why
    (``viz.claims.decay_sentence``, with the schedule's fate); then the constant-η run's dance
    against a random walk of its own steps (``optim.experiments.dance_and_walk``)."""
    import numpy as np

    from optim import schedules

    tail = steps // 4
    d_const = float(np.mean(views[0].dist[-tail:]))
    d_decay = float(np.mean(views[1].dist[-tail:]))
    budget = float(np.sum(sched.factors(steps)))
    m1, m2, m3 = st.columns(3)
    m1.metric("mean distance to w*, last quarter, constant η", f"{d_const:.3g}")
    m2.metric("… with decay", f"{d_decay:.3g}")
    m3.metric("distance ratio, constant / decay", f"{d_const / d_decay:.2f}×")
    st.caption(claims.decay_sentence(d_const, d_decay, budget, steps, schedules.fate(sched)))
    walk = experiments.dance_and_walk(views[0].xy)
    if walk.tail < 30 or not np.isfinite(walk.step2) or walk.step2 == 0:
        return  # a diverged or frozen run has no dance to measure
    chart(
        viz.labs.lines_figure(
            [
                ("the constant-η run's dance", viz.color(0), "solid", walk.dance),
                ("its steps with random signs: a random walk", "#555555", "dash", walk.walk),
            ],
            "E‖w(t+τ) − w(t)‖²",
            xtitle="lag τ (steps)",
            x0=1,
            look=look or viz.Look(),
            height=300,
        ),
        "Mean squared displacement against the lag: the SGD dance levels off, a random walk of "
        "the same steps keeps growing",
        key="sg_walk",
    )
    st.markdown(claims.dance_walk_sentence(walk))


RIVER_ETAS = (0.02, 0.03, 0.04, 0.05, 0.06, 0.07, 0.08, 0.09)  # below the walls' limit ~0.09
RIVER_NOISE = (0.0, 1.0, 2.0, 3.0, 4.0, 6.0)
RIVER_STEPS = (200, 300, 400, 600)
RIVER_DECAY = (0.1, 0.2, 0.3, 0.5)


@st.cache_data(max_entries=16, show_spinner=False)
def _schedule_race(eta: float, noise: float, steps: int, decay: float) -> Any:
    return experiments.schedule_race(get_surface("river_valley"), eta, noise, steps, decay)


@link.fragment  # its four sliders rerun this section alone
def schedule_race(prefix: str, look: Any) -> None:
    """Warm-up–stable–decay against cosine and a constant η on the river valley, at one budget
    (``optim.experiments.schedule_race``): the race view of one noise draw, and the sentence over
    all draws."""
    st.divider()
    st.subheader("4 · Warm-up, stable, decay: the river valley (Wen et al. 2024)")
    st.markdown(
        "Large models are trained with a **warm-up–stable–decay** schedule: η held high for most "
        "of the run, then decayed in a short last phase. Picture a river valley: steep walls, a "
        "floor that slopes gently to the sea (w*). A high η bounces between the walls (gradient "
        "noise keeps kicking it) while it advances along the floor; a smaller η bounces less but "
        "advances less. Cosine shrinks η all along; WSD keeps it high, then decays it at the "
        "end. All three runs below have the same η₀, the same steps and the same noise."
    )
    c1, c2, c3, c4 = st.columns(4)
    eta = link.select_slider("η₀", RIVER_ETAS, 0.08, key=f"{prefix}_r_eta", where=c1)
    noise = link.select_slider(
        "gradient noise σ", RIVER_NOISE, 2.0, key=f"{prefix}_r_noise", where=c2
    )
    steps = link.select_slider(
        "steps (the budget)", RIVER_STEPS, 200, key=f"{prefix}_r_steps", where=c3
    )
    decay = link.select_slider(
        "WSD's decay share",
        RIVER_DECAY,
        0.2,
        key=f"{prefix}_r_decay",
        where=c4,
        format_func=lambda v: f"last {v:.0%}",
    )
    r = _schedule_race(float(eta), float(noise), int(steps), float(decay))
    surface = get_surface("river_valley")
    labels = ["constant η", "cosine to 0", f"WSD (decay over the last {decay:.0%})"]
    draws = r.final.shape[1]
    views = viz.run_views(list(r.trajs), surface)[r.typical :: draws]  # the typical draw
    views = [
        dataclasses.replace(
            v, label=lab_, color=viz.color(i), dash=viz.style.dash(i), symbol=viz.style.symbol(i)
        )
        for i, (v, lab_) in enumerate(zip(views, labels))
    ]
    factors = [(s or optim.schedules.constant()).factors(int(steps) + 1) for s in r.schedules]
    view.show(
        view.Request(
            surface,
            surface_key("river_valley"),
            views,
            f"{prefix}_river_race",
            "Top view of the river valley with SGD under a constant η, a cosine decay and WSD, "
            "their player, loss and distance curves and their three schedules",
            side=True,
            main=False,
            schedule=factors,
        ),
        look,
    )
    st.caption(
        f"The map and curves show noise draw {r.typical + 1} of {draws}: the one whose three final "
        "losses lie nearest the medians below (one draw alone can tell another story)."
    )
    st.markdown(claims.schedule_race_sentence(r, float(eta), float(noise)))
