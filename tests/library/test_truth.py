"""#24: every grade and every sentence true, sampled over the pages' controls (Hypothesis).

The truths (``viz.predict.truth``) and the labs' sentences (``viz.claims``) are checked against
computations that share no code with them:

* **the two-step iteration matrix**, written here from the update rules: on ``e = w − w*`` GD is
  ``e' = (I − αH)e``; heavy ball ``e_{k+2} = ((1+μ)I − αH)e_{k+1} − μe_k``; Nesterov (every form)
  ``e_{k+2} = (1+μ)(I − αH)e_{k+1} − μ(I − αH)e_k``, started from ``(e₁, e₀)`` with ``e₁`` the
  first step of the plain reference loop (``tests/reference.py``: PyTorch's Nesterov takes a
  different first step); its eigenvalues (``numpy.linalg.eig`` of the whole 4×4 matrix, not per
  direction) and the start's coordinates on its eigenvectors give the excited spectral radius;
* **longer runs**: a verdict read from a run's path must still hold over four times its steps.

A question is either graded (the independent answer right, another wrong) or declined with a
reason that the check confirms.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

import optim
import viz
from optim import dynamics, experiments, schedules, theory
from surfaces import get_surface
from tests.reference import reference_run
from viz import claims
from viz import predict as pq

SETTINGS = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=True,
    database=None,
)
CONVS = ("ema", "heavy_ball", "pytorch")


# -- the independent computation --------------------------------------------------------------------
def two_step(optimizer: str, alpha: float, mu: float, H: np.ndarray) -> np.ndarray:
    """The iteration on ``(e_{k+1}, e_k)`` (GD: on ``e_k`` alone), from the update rules."""
    eye = np.eye(len(H))
    if optimizer == "gd":
        return eye - alpha * H
    if optimizer == "momentum":
        top = np.hstack([(1 + mu) * eye - alpha * H, -mu * eye])
    else:
        c = eye - alpha * H
        top = np.hstack([(1 + mu) * c, -mu * c])
    return np.vstack([top, np.hstack([eye, np.zeros_like(eye)])])


def excited(optimizer, hp, surface, start):
    """``(eigenvalues excited by the start, all eigenvalues, the eigenvector matrix's condition)``."""
    H = surface.constant_hessian()
    wstar = np.asarray(surface.minima[0], dtype=float)
    alpha, mu = (
        (hp["lr"], 0.0)
        if optimizer == "gd"
        else theory.to_pytorch(hp["lr"], hp["beta"], hp.get("convention", "pytorch"))
    )
    M = two_step(optimizer, alpha, mu, H)
    e0 = np.asarray(start, dtype=float) - wstar
    if optimizer == "gd":
        s = e0
    else:
        xs, _ = reference_run(surface, optimizer, start, 1, hp)
        s = np.concatenate([np.asarray(xs[1]) - wstar, e0])
    vals, vecs = np.linalg.eig(M)
    cond = np.linalg.cond(vecs)
    if not np.isfinite(cond) or cond > 1e12:  # defective: no eigenbasis to read the start in
        return vals, vals, np.inf
    coef = np.linalg.solve(vecs, s.astype(complex))
    size = max(np.linalg.norm(s), 1e-300)
    on = np.abs(coef) * np.linalg.norm(vecs, axis=0) > 1e-9 * size
    return vals[on], vals, cond


def _rho_of(optimizer, hp, surface, start) -> float:
    on, _, _ = excited(optimizer, hp, surface, start)
    return float(np.max(np.abs(on))) if on.size else 0.0


def verdict(rho: float) -> str:
    if abs(rho - 1) <= 1e-7:
        return "oscillate"
    return "converge" if rho < 1 else "diverge"


def word(z: complex) -> str:
    if abs(z.imag) > 1e-6 * abs(z):
        return "swings"
    return "glides" if z.real > 0 else "zig-zags"


def rule(optimizer, hp):
    return {"optimizer": optimizer, "plain": True, **hp}


linear_setting = st.fixed_dictionaries(
    {
        "optimizer": st.sampled_from(("gd", "momentum", "nesterov")),
        "convention": st.sampled_from(CONVS),
        "log_alpha": st.floats(-2.5, 0.9),
        "mu": st.floats(0.0, 0.98),
        "kappa": st.sampled_from((1.0, 2.0, 10.0, 50.0, 200.0)),
        "angle": st.sampled_from((0.0, 30.0, 45.0)),
        "start": st.sampled_from(("preset", "on_axis", "other")),
        "steps": st.integers(10, 300),
    }
)


def _linear_case(p):
    s = get_surface("quadratic", kappa=p["kappa"], angle_deg=p["angle"], scale=1.0)
    H = s.constant_hessian()
    alpha = 10 ** p["log_alpha"] / float(np.linalg.eigvalsh(H).max())
    start = {
        "preset": np.array(s.starts[0], dtype=float),
        # exactly on the shallow eigen-axis: the steep direction is never excited
        "on_axis": -2.5 * np.linalg.eigh(H)[1][:, 0],
        "other": np.array([1.7, -0.9]),
    }[p["start"]]
    if p["optimizer"] == "gd":
        hp = {"lr": alpha}
    else:
        mu = max(p["mu"], 0.01) if p["convention"] == "ema" else p["mu"]  # EECS 182: β < 1
        eta, beta = theory.from_pytorch(alpha, mu, p["convention"])
        hp = {"lr": float(eta), "beta": float(beta), "convention": p["convention"]}
    return s, start, hp


# -- regime: linear runs --------------------------------------------------------------------------
@SETTINGS
@given(linear_setting)
@example(  # the audit's case: GD η = 2.2 on κ = 50, from (−2.5, 0): the steep axis never moves
    {
        "optimizer": "gd",
        "convention": "pytorch",
        "log_alpha": math.log10(2.2),
        "mu": 0.0,
        "kappa": 50.0,
        "angle": 0.0,
        "start": "on_axis",
        "steps": 150,
    }
)
@example(  # exactly at GD's limit: period 2, for ever
    {
        "optimizer": "gd",
        "convention": "pytorch",
        "log_alpha": math.log10(2.0),
        "mu": 0.0,
        "kappa": 10.0,
        "angle": 0.0,
        "start": "preset",
        "steps": 100,
    }
)
def test_regime_of_a_linear_run_is_its_excited_spectral_radius(p):
    s, start, hp = _linear_case(p)
    traj = optim.run(s, p["optimizer"], start[None], p["steps"], **hp)
    views = viz.run_views([traj], s)
    on, _, cond = excited(p["optimizer"], hp, s, start)
    assume(cond < 1e6)  # a (near-)defective matrix: its eigenvectors say nothing reliable
    rho = float(np.max(np.abs(on))) if on.size else 0.0
    truth = verdict(rho)
    try:
        t = pq.truth("regime", views, s, rules=[rule(p["optimizer"], hp)])
    except pq.Unaskable as err:
        msg = str(err)
        if msg.startswith("too close to call"):  # a 1 % change of η flips the answer
            flips = [
                verdict(_rho_of(p["optimizer"], {**hp, "lr": hp["lr"] * f}, s, start))
                for f in (0.99, 1.01)
            ]
            assert truth != "oscillate" and any(f != truth for f in flips), (msg, rho, flips)
        else:
            assert msg.startswith("round-off"), msg
            measured = dynamics.classify(
                traj.xy[:, 0], traj.loss[:, 0], s.f_min, traj.diverged_at[0]
            )
            assert measured not in (None, truth), (msg, measured, truth)
        return
    assert t["regime"] == truth, (t, rho)
    assert pq.grade("regime", t, truth)
    assert not any(pq.grade("regime", t, other) for other in pq.REGIMES if other != truth)
    assert abs(t["modes"]["excited_rate"] - rho) <= 1e-6 * max(rho, 1)
    said = pq.explain("regime", t, truth)  # the reveal's ρ is the excited one, to its digits
    shown = re.search(r"changes by ρ = ([\d.e+-]+) per step", said)
    assert shown and float(shown.group(1)) == pytest.approx(rho, rel=6e-4, abs=1e-12), said
    assert ("never excited" in said) == bool(t["modes"]["dormant"] and truth != "diverge")


# -- regime: runs theory does not decide ----------------------------------------------------------
@settings(max_examples=40, deadline=None, derandomize=True, database=None)
@given(
    st.sampled_from(("booth", "rosenbrock", "himmelblau", "six_hump_camel", "sigmoid_neuron")),
    st.sampled_from(("adam", "rmsprop", "adagrad", "momentum")),
    st.floats(-2.5, 0.0),
    st.integers(150, 500),
)
def test_a_measured_verdict_still_holds_over_four_times_the_steps(name, optimizer, log_lr, steps):
    s = get_surface(name)
    start = np.array(s.starts[0], dtype=float)
    hp = {"lr": 10**log_lr}
    traj = optim.run(s, optimizer, start[None], steps, **hp)
    views = viz.run_views([traj], s)
    near = [
        viz.run_views([optim.run(s, optimizer, np.array([n]), steps, **hp)], s)[0]
        for n in pq.nudged_starts(start, s)
    ]
    near.append(viz.run_views([optim.run(s, optimizer, start[None], 4 * steps, **hp)], s)[0])
    try:
        t = pq.truth("regime", views, s, rules=[rule(optimizer, hp)], nearby=near)
    except pq.Unaskable as err:
        assert re.match(
            r"(run 1 neither settles|sensitive to its start|what run 1|run 1 looks settled)",
            str(err),
        ), err
        return
    # the truth looked 4× as far; the check looks 10× as far
    long = optim.run(s, optimizer, start[None], 10 * steps, **hp)
    xy, loss = long.xy[:, 0], long.loss[:, 0]
    later = dynamics.classify(xy[steps:], loss[steps:], s.f_min, long.diverged_at[0])
    if t["regime"] == "diverge":
        assert long.diverged_at[0] >= 0 or later == "diverge"
    elif t["regime"] == "converge":
        # settled: its steps keep shrinking, or stay under 10⁻⁴ of its largest step
        shown = np.linalg.norm(np.diff(traj.xy[-4:, 0], axis=0), axis=1).max()
        top = np.linalg.norm(np.diff(traj.xy[:, 0], axis=0), axis=1).max()
        last = np.linalg.norm(np.diff(xy[-steps // 4 :], axis=0), axis=1).max()
        assert later == "converge" or last <= max(shown, dynamics.SETTLED * top), (later, last)
    else:
        steps_shown = np.linalg.norm(np.diff(traj.xy[-steps // 4 :, 0], axis=0), axis=1)
        steps_later = np.linalg.norm(np.diff(xy[-steps // 4 :], axis=0), axis=1)
        assert long.diverged_at[0] < 0 and steps_later.max() >= 0.25 * steps_shown.max()
    assert pq.grade("regime", t, t["regime"])


def test_the_audits_limit_cycles_and_dances_are_oscillate():
    """RMSProp on Booth at η = 0.5 bounces at ±η for ever; constant-η SGD on the sigmoid neuron
    (B = 1 and 4) keeps dancing; a decay to 1 % still dances (at 1 %)."""
    booth = get_surface("booth")
    x0 = np.array([booth.starts[0]])
    t = optim.run(booth, "rmsprop", x0, 400, lr=0.5)
    v = viz.run_views([t], booth)
    assert (
        pq.truth("regime", v, booth, rules=[rule("rmsprop", {"lr": 0.5})])["regime"] == "oscillate"
    )
    s = get_surface("sigmoid_neuron", dataset="noisy")
    x0 = np.array([s.starts[0]])
    for batch in (1, 4):
        for sched in (None, schedules.linear(600, 0.01)):
            opts = optim.RunOptions(batch_size=batch, schedule=sched)
            run = optim.run(s, "gd", x0, 600, lr=3.9, batch_size=batch, seed=0, schedule=sched)
            r = {**rule("gd", {"lr": 3.9}), "plain": False}
            r.update(noisy=True, fate=list(schedules.fate(opts.schedule)))
            got = pq.truth("regime", viz.run_views([run], s), s, rules=[r])
            assert got["regime"] == "oscillate", (batch, sched)


# -- largest η --------------------------------------------------------------------------------------
@SETTINGS
@given(
    st.integers(2, 60).map(lambda i: round(0.05 * i, 2)),
    st.integers(2, 60).map(lambda i: round(0.05 * i, 2)),
    st.integers(10, 300),
)
@example(0.8, 0.8, 15)  # the audit's σ₁ = σ₂ case
def test_largest_eta_on_the_learning_rate_labs_grid(s1, s2, steps):
    """The LR lab's section 2: the largest η of the slider (a step of 1/(200σ_max²)) at which
    GD converges from (0, 0), against each value's excited spectral radius; an answer within
    half a grid step of it is right, one beyond is wrong."""
    s = get_surface("sigma_w", sigma1=s1, sigma2=s2, y1=1.0, y2=1.0)
    unit = theory.scalar_limit(max(s1, s2))
    grid = [round(m * unit / 200, 12) for m in range(1, 301)]
    traj = optim.run(s, "gd", np.zeros((1, 2)), steps, lr=grid[150])
    t = pq.truth(
        "max_lr",
        viz.run_views([traj], s),
        s,
        rules=[rule("gd", {"lr": grid[150]})],
        sweep={"values": grid, "symbol": "η", "paths": None},
    )
    ok = [
        verdict(float(np.max(np.abs(excited("gd", {"lr": g}, s, (0.0, 0.0))[0])))) == "converge"
        for g in grid
    ]
    best = grid[max(i for i, good in enumerate(ok) if good)]
    assert t["best"] == best == grid[198]  # 0.995/σ_max²: η = 1/σ_max² itself bounces
    step = unit / 200
    for off, right in ((0.0, True), (0.45, True), (-0.45, True), (0.55, False), (-0.55, False)):
        _, value = pq.parse_answer("max_lr", f"{best + off * step:.12g}", t)
        assert pq.grade("max_lr", t, value) is right, off


@settings(max_examples=40, deadline=None, derandomize=True, database=None)
@given(linear_setting)
def test_largest_eta_of_a_linear_run_from_its_own_start(p):
    s, start, hp = _linear_case(p)
    grid = list(np.geomspace(hp["lr"] / 30, hp["lr"] * 30, 61))
    traj = optim.run(s, p["optimizer"], start[None], p["steps"], **hp)
    try:
        t = pq.truth(
            "max_lr",
            viz.run_views([traj], s),
            s,
            rules=[rule(p["optimizer"], hp)],
            sweep={"values": grid, "symbol": "η", "paths": None},
        )
    except pq.Unaskable as err:
        assert "at no η" in str(err) or "every η" in str(err)
        return
    conv = []
    for g in grid:
        on, _, _ = excited(p["optimizer"], {**hp, "lr": g}, s, start)
        conv.append(verdict(float(np.max(np.abs(on))) if on.size else 0.0) == "converge")
    assert t["best"] == max(g for g, c in zip(grid, conv) if c)
    if t["above"] is not None:  # the reveal's "at <above> it would …" is that value's verdict
        on, _, _ = excited(p["optimizer"], {**hp, "lr": t["above"]}, s, start)
        assert t["above_says"] == verdict(float(np.max(np.abs(on))) if on.size else 0.0)


# -- next step ------------------------------------------------------------------------------------
@SETTINGS
@given(linear_setting, st.integers(0, 40))
@example(  # the audit's case: GD η = 2.2 on κ = 10, step 8, far off the map
    {
        "optimizer": "gd",
        "convention": "pytorch",
        "log_alpha": math.log10(2.2),
        "mu": 0.0,
        "kappa": 10.0,
        "angle": 0.0,
        "start": "preset",
        "steps": 20,
    },
    8,
)
def test_a_next_step_question_is_asked_only_where_a_click_can_answer(p, at):
    s, start, hp = _linear_case(p)
    assume(at < p["steps"])
    traj = optim.run(s, p["optimizer"], start[None], p["steps"], **hp)
    xs, _ = reference_run(s, p["optimizer"], start, at + 1, hp)
    (x0, x1), (y0, y1) = s.plot_window
    inside = all(x0 <= q[0] <= x1 and y0 <= q[1] <= y1 for q in (xs[at], xs[at + 1]))
    finite = all(np.isfinite(xs[at + 1]))
    try:
        t = pq.truth("next", viz.run_views([traj], s), s, at=at)
    except pq.Unaskable as err:
        assert not (inside and finite), err
        return
    assert inside
    np.testing.assert_allclose(t["point"], xs[at + 1], rtol=1e-9, atol=1e-12)
    assert pq.grade("next", t, tuple(xs[at + 1]))


# -- the Momentum lab's sentences -------------------------------------------------------------------
def _numbers(text: str) -> list[float]:
    return [float(x) for x in re.findall(r"-?\d+(?:\.\d+)?", text)]


momentum_lab = st.fixed_dictionaries(
    {
        "kappa": st.sampled_from((1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000)),
        "log_eta": st.floats(-3.0, math.log10(205.0)),
        "beta": st.integers(1, 99).map(lambda i: i / 100),
        "convention": st.sampled_from(CONVS),
        "steps": st.integers(2, 40).map(lambda i: 10 * i),
    }
)


@SETTINGS
@given(momentum_lab)
def test_the_momentum_labs_race_sentences_hold(p):
    """Each run's sentence: its motion words are the leading excited eigenvalue's (every tie
    named), its rate or growth is the excited spectral radius, to the digits shown."""
    s = get_surface("quadratic", kappa=float(p["kappa"]), angle_deg=0.0, scale=1.0)
    start = np.array(s.starts[0], dtype=float)
    eta, beta, conv = 10 ** p["log_eta"], p["beta"], p["convention"]
    if conv != "ema" and beta > 0.99:
        beta = 0.99
    alpha, mu = theory.to_pytorch(eta, beta, conv)
    hps = {
        "gd": {"lr": alpha},
        "momentum": {"lr": eta, "beta": beta, "convention": conv},
        "nesterov": {"lr": eta, "beta": beta, "convention": conv},
    }
    for name, hp in hps.items():
        modes = dynamics.linear_modes(name, hp, s.constant_hessian(), start, s.minima[0])
        text = claims.momentum_says(name, modes, alpha, mu)
        on, _, cond = excited(name, hp, s, start)
        if cond > 1e6:
            continue
        rho = float(np.max(np.abs(on)))
        if "**diverges**" in text:
            assert rho > 1 and verdict(rho) == "diverge"
            grows = float(re.search(r"grows ×([\d.e+-]+)", text).group(1))
            assert grows == pytest.approx(rho, rel=1e-3)
        elif "bounces for ever" in text:
            assert verdict(rho) == "oscillate"
        elif "lands exactly on the minimum" in text:
            assert rho <= 1e-7, (text, on)
        else:
            assert rho < 1
            said = float(re.search(r"rate \*\*([\d.]+)\*\*", text).group(1))
            assert said == pytest.approx(rho, abs=6e-5), (text, rho)
            lead = on[np.abs(on) >= rho * (1 - 1e-6)]
            words = {word(complex(z)) for z in lead}
            shown = {w for w in ("glides", "zig-zags", "swings") if w in text}
            assert shown == words, (text, lead)
            if "swings" in words:
                z = next(z for z in lead if word(complex(z)) == "swings")
                turn = round(2 * math.pi / abs(np.angle(z)))
                assert f"every ~{turn} steps" in text, (text, turn)


@SETTINGS
@given(momentum_lab)
def test_the_momentum_labs_rate_sentence_holds(p):
    """'They agree to within 0.01' only when the measured rate is that close to the excited ρ
    (from the two-step matrix); a stated reason for a difference is true of the run."""
    s = get_surface("quadratic", kappa=float(p["kappa"]), angle_deg=0.0, scale=1.0)
    start = np.array(s.starts[0], dtype=float)
    eta, beta, conv = 10 ** p["log_eta"], min(p["beta"], 0.99), p["convention"]
    hp = {"lr": eta, "beta": beta, "convention": conv}
    modes = dynamics.linear_modes("momentum", hp, s.constant_hessian(), start, s.minima[0])
    assume(modes.regime == "converge")
    traj = optim.run(s, "momentum", start[None], p["steps"], **hp)
    dist = viz.run_views([traj], s)[0].dist
    worst = float(
        theory.momentum_rate(*theory.to_pytorch(eta, beta, conv), s.constant_hessian().diagonal())
    )
    text = claims.rate_sentence(dynamics.rate_check(dist, modes), worst)
    on, _, _ = excited("momentum", hp, s, start)
    rho = float(np.max(np.abs(on)))
    if "too short to measure" in text:
        return
    measured = float(re.search(r"run: \*\*([\d.]+)\*\*", text).group(1))
    exact = float(re.search(r"ρ = \*\*([\d.]+)\*\*", text).group(1))
    assert exact == pytest.approx(rho, abs=6e-5)
    if "They agree" in text:
        assert abs(measured - rho) <= 0.01 + 1e-4
    else:
        assert abs(measured - rho) > 0.01 - 1e-4
        assert re.search(r"double root|second direction|too few full turns", text), text
        if "second direction" in text:
            others = on[np.abs(on) < rho * (1 - 1e-6)]
            assert others.size and np.max(np.abs(others)) > 0.3 * rho
        if "double root" in text:
            lead = on[np.abs(on) >= rho * 0.95]
            assert lead.size >= 2


@pytest.mark.parametrize("kappa", [1, 2, 5, 10, 50, 1000, 10000])
def test_gohs_optimum_lies_one_over_kappa_plus_one_inside_the_limit(kappa):
    """The caption's share, against the largest stable α at μ* found by bisection on the
    two-step matrix (not the closed form)."""
    a_opt, mu_opt, _ = theory.momentum_optimal(1 / kappa, 1.0)
    H = np.diag([1 / kappa, 1.0])
    lo, hi = a_opt, 10.0
    for _ in range(200):
        mid = (lo + hi) / 2
        rho = np.max(np.abs(np.linalg.eigvals(two_step("momentum", mid, mu_opt, H))))
        lo, hi = (mid, hi) if rho < 1 else (lo, mid)
    share, text = claims.optimum_share(kappa)
    assert share == pytest.approx(1 - a_opt / lo, rel=1e-6)
    assert f"{100 * (1 - a_opt / lo):.2f}%" in text


@SETTINGS
@given(
    st.floats(0.0, 0.99),
    st.floats(-3, 0),
    st.sampled_from(CONVS),
    st.sampled_from(("momentum", "nesterov")),
)
def test_the_network_labs_thresholds_are_where_the_iteration_stops_being_stable(
    mu, log_lr, conv, name
):
    """A curvature just under a method's threshold converges under its iteration, just over it
    does not (Nesterov's is 2(1 + μ)/((1 + 2μ)α), not heavy ball's (2 + 2μ)/α)."""
    lr, beta = theory.from_pytorch(10**log_lr, mu, conv)
    assume(conv != "ema" or 0.01 <= beta <= 1)
    lam, _, _ = theory.stability_threshold(name, {"lr": lr, "beta": beta, "convention": conv})
    alpha, m = theory.to_pytorch(lr, beta, conv)
    for f, stable in ((1 - 1e-6, True), (1 + 1e-6, False)):
        rho = np.max(np.abs(np.linalg.eigvals(two_step(name, alpha, m, np.array([[f * lam]])))))
        assert bool(rho < 1) is stable, (f, rho)


@SETTINGS
@given(
    st.sampled_from(("linear", "inverse_time", "step", "cosine", "exponential")),
    st.floats(0.0, 0.5),
    st.integers(50, 1000),
)
def test_the_sgd_labs_decay_sentence_says_what_eta_does_for_ever(name, end, steps):
    sched = {
        "linear": schedules.linear(steps, end),
        "inverse_time": schedules.inverse_time(steps / 4),
        "step": schedules.step(steps / 4, 0.5),
        "cosine": schedules.cosine(steps, end),
        "exponential": schedules.exponential(0.99),
    }[name]
    far = sched(np.array([10 * steps, 1000 * steps, 10**7 * steps]))
    kind, floor = schedules.fate(sched)
    text = claims.decay_sentence(
        0.3, 0.1, float(np.sum(sched.factors(steps))), steps, (kind, floor)
    )
    if "never stops" in text:
        assert far[-1] > 0 and far[-1] == pytest.approx(floor) and f"{floor:g} η₀" in text
    elif "damp the dance out" in text:  # Σ η = ∞ and Σ η² < ∞: 1/t
        assert far[-1] * 10**7 * steps > 1 and far[-1] < 1e-6
    else:
        assert "freezes" in text and (far[-1] == 0 or far[-1] < 1e-300 or far[1] < 1e-30)


def test_an_sgd_step_stable_for_gd_diverges_on_one_example():
    """Note 001's erratum in numbers: batch-1 SGD at 0.8 × GD's limit diverges in most seeds."""
    got = experiments.sgd_at_gd_limit(get_surface("linear_regression"), 0.8, steps=1000, seeds=20)
    assert got["replacement"] >= 10


@SETTINGS
@given(
    st.integers(1, 300),
    st.integers(2, 60).map(lambda i: round(0.05 * i, 2)),
    st.integers(2, 60).map(lambda i: round(0.05 * i, 2)),
)
@example(196, 1.0, 0.3)  # the audit's η = 0.98: the steep direction (0.96) sets the pace
def test_the_learning_rate_labs_two_direction_figures_hold(m, s1, s2):
    """The slowest factor and its direction, and the steps to 10⁶×, against the reference loop:
    after those steps every coordinate's error is ≤ 10⁻⁶ of where it started, one step earlier
    some coordinate's is not."""
    unit = theory.scalar_limit(max(s1, s2))
    eta = round(m * unit / 200, 12)
    d = claims.two_directions(eta, s1, s2)
    s = get_surface("sigma_w", sigma1=s1, sigma2=s2, y1=1.0, y2=1.0)
    target = np.array([1 / s1, 1 / s2])
    if d["steps"] is None:
        assert d["slowest"] >= 1 - 1e-12
        return
    n = d["steps"]
    xs, _ = reference_run(s, "gd", [0.0, 0.0], n, {"lr": eta})
    err = np.abs(np.asarray(xs) - target) / target  # each coordinate's error, relative to its start
    assert np.all(err[n] <= 1e-6 * (1 + 1e-6))
    if n > 1:
        assert np.any(err[n - 1] > 1e-6 * (1 - 1e-6))
    per = np.abs(1 - 2 * eta * np.array([s1, s2]) ** 2)
    assert d["slowest"] == pytest.approx(per.max(), abs=1e-12)
    if s1 != s2:
        steep = per[int(np.argmax([s1, s2]))] >= per[int(np.argmin([s1, s2]))]
        assert ("steep" in d["which"]) == bool(steep and per[0] != per[1])


@pytest.mark.parametrize("kappa", [2, 5, 10, 20, 50, 100, 1000])
def test_at_gohs_optimum_every_notation_says_the_same_motion(kappa):
    """The audit: at κ = 10 the optimum's motion was "oscillates" in one notation and "glides" in
    another (a double root read on either side of 0 by round-off). Now one sentence for all."""
    a, mu, _ = theory.momentum_optimal(1 / kappa, 1.0)
    s = get_surface("quadratic", kappa=float(kappa), angle_deg=0.0, scale=1.0)
    said = set()
    for conv in CONVS:
        eta, beta = theory.from_pytorch(a, mu, conv)
        hp = {"lr": float(eta), "beta": float(beta), "convention": conv}
        modes = dynamics.linear_modes("momentum", hp, s.constant_hessian(), s.starts[0], [0, 0])
        said.add(claims.momentum_says("momentum", modes, a, mu))
    assert len(said) == 1, said
    text = said.pop()
    assert "glides" in text and "zig-zags" in text  # both double roots: +√μ* and −√μ*


@SETTINGS
@given(
    st.lists(st.floats(0.05, 2.5), min_size=3, max_size=40),
    st.integers(0, 10),
    st.floats(0.5, 50.0),
)
def test_the_network_labs_sharpness_sentence_quotes_its_series(ratios, nans, limit):
    """Every number of the sentence is read off the series it describes."""
    r = np.array(ratios + [np.nan] * nans)
    checks = np.arange(len(r)) * 10
    line = claims.sharpness_lines(["run"], {0: (r * limit, limit, "2/η", False)}, checks)[0]
    assert f"= {limit:.3g}" in line
    ok = np.isfinite(r)
    if (r[ok] >= 0.9).any():
        first = int(np.flatnonzero(r >= 0.9)[0])
        assert f"starts at {r[0]:.2f}×" in line and f"0.9× at step {checks[first]}" in line
        if nans:
            last = int(np.flatnonzero(ok)[-1])
            assert f"at step {checks[last]}, is {r[last]:.2f}×" in line
        else:
            assert f"peaks at {np.max(r):.2f}×" in line
            m = re.search(r"within ±5 % of it from step (\d+) on", line)
            if m:
                k = int(m.group(1)) // 10
                assert np.all(np.abs(r[k:] - 1) <= 0.05) and (k == 0 or abs(r[k - 1] - 1) > 0.05)
    else:
        assert f"at most {np.max(r[ok]):.2f}×" in line and ("blows up" in line) == bool(nans)


def test_a_next_step_that_round_off_decides_is_not_asked():
    """RMSProp at η = 1 on the six-hump camel is chaotic: moving its start by 10⁻⁹ of the map
    moves step 251 by more than a right answer's radius, so that question is declined; its
    third step (its first leaves the map and comes back) is not sensitive, and is asked."""
    s = get_surface("six_hump_camel")
    start = np.array(s.starts[0], dtype=float)
    views = viz.run_views([optim.run(s, "rmsprop", start[None], 300, lr=1.0)], s)
    near = [
        viz.run_views([optim.run(s, "rmsprop", np.array([n]), 300, lr=1.0)], s)[0]
        for n in pq.nudged_starts(start, s)
    ]
    with pytest.raises(pq.Unaskable, match="round-off decides where run 1's step 251 lands"):
        pq.truth("next", views, s, at=250, nearby=near)
    t = pq.truth("next", views, s, at=2, nearby=near)
    moved = max(np.linalg.norm(n.xy[3] - views[0].xy[3]) for n in near)
    assert moved <= 0.1 * t["radius"]


def test_each_question_kind_returns_its_typed_record():
    """The truth of every kind is the record its type declares (``viz.predict.Truth``): the
    same keys, the right types, nothing missing or left over (it is kept in the session as is)."""
    from typing import get_type_hints

    s = get_surface("quadratic", kappa=10.0)
    runs = [optim.run(s, "gd", np.array([s.starts[0]]), 80, lr=lr) for lr in (0.5, 1.0)]
    views = viz.run_views(runs, s)
    rules = [rule("gd", {"lr": 0.5}), rule("gd", {"lr": 1.0})]
    values = (0.5, 1.0, 1.5, 1.9, 2.1)

    def paths():
        x0 = np.tile(np.asarray(s.starts[0], float), (len(values), 1))
        p = optim.run_paths(s, [optim.RunSpec("gd", x0, {"lr": np.array(values)})], 80)
        return p.xy.transpose(1, 0, 2), p.loss.T, p.diverged_at.astype(int)

    got = {
        "first": pq.truth("first", views, s, rules=rules),
        "regime": pq.truth("regime", views, s, 0, rules=rules),
        "next": pq.truth("next", views, s, 0, 3, rules=rules),
        "max_lr": pq.truth(
            "max_lr",
            views,
            s,
            0,
            rules=rules,
            sweep={"values": values, "symbol": "η", "paths": paths},
        ),
    }
    types = {"first": pq.FirstTruth, "regime": pq.RegimeTruth, "next": pq.NextTruth}
    types["max_lr"] = pq.MaxLrTruth
    for kind, t in got.items():
        record = types[kind]
        assert t["kind"] == kind
        assert (
            record.__required_keys__
            <= set(t)
            <= record.__required_keys__ | record.__optional_keys__
        )
        hints = get_type_hints(record)
        for key, value in t.items():
            origin = getattr(hints[key], "__origin__", hints[key])  # list[float] → list
            if origin in (int, float, str, bool, list, dict):
                assert isinstance(value, origin) or (origin is float and isinstance(value, int)), (
                    kind,
                    key,
                    value,
                )
    assert "gradient" in got["next"]  # plain GD: the step is −η∇L(w_k)
    assert got["max_lr"]["best"] == 1.9 and got["max_lr"]["above"] == 2.1  # 2/λ_max = 2
