"""#24 at the page: every question kind on every page with questions, opened at random settings of
its controls, answered through the page's own forms.

The answer given is computed here, independently of the page: for the linear runs of the
Learning-rate and Momentum labs (and the Playground's quadratic) from the two-step iteration
matrix of ``tests/library/test_truth.py`` and the plain reference loop (``tests/reference.py``); for the
runs theory cannot decide (Adaptive and SGD labs, the Playground's other surfaces) from the page's
truth, which must then equal the library's truth of an engine run made here. A right answer must
be graded right, a wrong one wrong (in another browser), or the page must decline with a reason
that holds.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import optim
from optim.grids import MOMENTUM_ETAS
from surfaces import get_surface
from tests.helpers import ROOT, ask_question, open_link
from tests.library.test_truth import excited, verdict
from tests.reference import reference_run
from ui import predict, tally
from viz import predict as pq

PAGE = settings(
    max_examples=20,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)


TALLY: list[tuple[str, str, str]] = []  # what was asked, for the artifacts' summary


@pytest.fixture(scope="module", autouse=True)
def summary():
    yield
    from collections import Counter

    out = ROOT / "artifacts" / "truth_pages.txt"
    out.parent.mkdir(exist_ok=True)
    lines = [f"{n:4d}  {p}  {k}  {v}" for (p, k, v), n in sorted(Counter(TALLY).items())]
    out.write_text("\n".join(lines) + "\n")


@pytest.fixture(autouse=True)
def store(tmp_path, monkeypatch):
    monkeypatch.setenv(tally.ENV, str(tmp_path))
    predict.store.cache_clear()
    yield
    predict.store.cache_clear()


def _texts(at) -> str:
    return "\n".join(
        e.value
        for kind in ("markdown", "success", "warning", "error", "info", "caption")
        for e in at.get(kind)
    )


def _declined(at) -> str | None:
    for w in at.warning:
        m = re.search(r"This question cannot be asked about this view: (.*)", w.value, re.S)
        if m:
            return m.group(1)
    return None


def _answer(at, p: str, kind: str, value) -> str:
    """Answer through the page's form; the verdict the page shows ("Right." / "Not this time.")."""
    if kind == "first":
        at.radio(key=f"{p}_ask_first").set_value(value)
    elif kind == "regime":
        at.radio(key=f"{p}_ask_regime").set_value(value)
    elif kind == "next":
        at.number_input(key=f"{p}_ask_x").set_value(float(value[0]))
        at.number_input(key=f"{p}_ask_y").set_value(float(value[1]))
    else:
        at.text_input(key=f"{p}_ask_value").set_value(f"{value:.12g}")
    label = "Commit this point" if kind == "next" else "Commit my answer"
    next(b for b in at.button if b.label == label).click().run()
    assert not at.exception, at.exception
    text = _texts(at)
    return "right" if "Right." in text else ("wrong" if "Not this time." in text else text)


def _wrong(kind: str, t: dict, truth):
    if kind == "regime":
        return next(r for r in pq.REGIMES if r != truth)
    if kind == "first":
        others = [i for i in range(len(t["steps"])) if i not in t["winners"]]
        return others[0] if others else None
    if kind == "next":
        (x0, x1), (y0, y1) = t["window"]
        corners = [(x, y) for x in (x0, x1) for y in (y0, y1)]
        far = max(corners, key=lambda c: math.dist(c, t["point"]))
        return far if math.dist(far, t["point"]) > t["radius"] else None
    i = t["values"].index(t["best"])
    return t["values"][i + 2] if i + 2 < len(t["values"]) else t["values"][max(i - 2, 0)]


def _check(path: str, p: str, query: dict, kind: str, independent) -> None:
    """Open the question at ``query``; decline with a true reason, or grade right and wrong."""
    _, link = ask_question(path, {**query, "ask": kind})
    at = open_link(path, link)
    reason = _declined(at)
    truth, ok_reason = independent(at, reason)
    if reason is not None:
        assert ok_reason, (kind, query, reason)
        TALLY.append((path, kind, "declined"))
        return
    t = predict.truth_of(at.session_state, p)
    assert _answer(at, p, kind, truth) == "right", (kind, query, truth, t)
    TALLY.append((path, kind, "graded"))
    wrong = _wrong(kind, t, truth)
    if wrong is not None:  # the page grades with this very call (the right answer went through it)
        raw = f"{wrong:.12g}" if kind == "max_lr" else wrong
        assert not pq.grade(kind, t, pq.parse_answer(kind, raw, t)[1]), (kind, query, wrong, t)


# -- Momentum lab: GD, heavy ball, Nesterov on the κ bowl --------------------------------------------
@PAGE
@given(
    st.sampled_from([2, 10, 50, 200, 1000]),
    st.integers(0, 170),
    st.integers(1, 95),
    st.sampled_from(["ema", "heavy_ball", "pytorch"]),
    st.integers(2, 30),
    st.sampled_from(["first", "regime", "next"]),
    st.integers(0, 2),
    st.integers(0, 12),
)
def test_momentum_lab_questions(kappa, eta_i, beta_i, conv, steps10, kind, run, at_k):
    from optim import theory

    etas = list(MOMENTUM_ETAS)[90:]  # the lab's η grid, from 0.075 up
    query = {
        "kappa": str(kappa),
        "conv": conv,
        "eta": f"{etas[min(eta_i, len(etas) - 1)]:g}",
        "beta": f"{beta_i / 100:g}",
        "steps": str(10 * steps10),
        "ask_run": str(run + 1),
        "ask_at": str(at_k),
    }

    def independent(at, reason):
        ss = at.session_state
        eta, beta, conv_, steps = ss["mo_eta"], ss["mo_beta"], ss["mo_conv"], ss["mo_steps"]
        s = get_surface("quadratic", kappa=float(ss["mo_kappa"]), angle_deg=0.0, scale=1.0)
        start = np.array(s.starts[0], dtype=float)
        alpha, _ = theory.to_pytorch(eta, beta, conv_)
        hp = {"lr": eta, "beta": beta, "convention": conv_}
        runs = [("gd", {"lr": alpha}), ("momentum", hp), ("nesterov", hp)]
        return _linear_answer(kind, s, start, runs, run, at_k, steps, reason)

    _check("pages/3_Momentum.py", "mo", query, kind, independent)


# -- Learning-rate lab, section 2: GD on two singular values ------------------------------------------
@PAGE
@given(
    st.integers(2, 60),
    st.integers(2, 60),
    st.integers(10, 300),
    st.integers(1, 300),
    st.sampled_from(["regime", "next", "max_lr"]),
    st.integers(0, 12),
)
def test_learning_rate_lab_questions(s1_i, s2_i, steps, m, kind, at_k):
    s1, s2 = round(0.05 * s1_i, 2), round(0.05 * s2_i, 2)
    unit = 1 / max(s1, s2) ** 2
    query = {
        "s1": f"{s1:g}",
        "s2": f"{s2:g}",
        "steps2": str(steps),
        "eta2": f"{round(m * unit / 200, 12):.12g}",
        "ask_at": str(at_k),
    }

    def independent(at, reason):
        ss = at.session_state
        s1_, s2_ = ss["lr_s1"], ss["lr_s2"]
        s = get_surface("sigma_w", sigma1=s1_, sigma2=s2_, y1=1.0, y2=1.0)
        if kind == "max_lr":
            u = 1 / max(s1_, s2_) ** 2
            grid = [round(k * u / 200, 12) for k in range(1, 301)]
            ok = [verdict(_rho("gd", {"lr": g}, s, (0.0, 0.0))) == "converge" for g in grid]
            return max(g for g, c in zip(grid, ok) if c), False
        runs = [("gd", {"lr": ss["lr_eta2"]})]
        return _linear_answer(kind, s, np.zeros(2), runs, 0, at_k, ss["lr_steps2"], reason)

    _check("pages/2_Learning_rate.py", "lr", query, kind, independent)


# -- Playground: quadratic (linear, independent) and other surfaces (the library's truth) -----------
@PAGE
@given(
    st.sampled_from(["quadratic", "booth", "rosenbrock", "himmelblau"]),
    st.sampled_from(["gd,momentum", "gd,adam", "momentum,nesterov"]),
    st.sampled_from(["0.01", "0.05", "0.1", "0.3", "1", "1.5"]),
    st.sampled_from(["60", "150", "400"]),
    st.sampled_from(["first", "regime", "next", "max_lr"]),
    st.integers(0, 1),
    st.integers(0, 10),
)
def test_playground_questions(surface, runs, lr, steps, kind, run, at_k):
    query = {
        "surface": surface,
        "runs": runs,
        "r1_lr": lr,
        "steps": steps,
        "ask_run": str(run + 1),
        "ask_at": str(at_k),
    }

    def independent(at, reason):
        t = predict.truth_of(at.session_state, "pg")
        names = runs.split(",")
        s = get_surface(surface)
        if surface == "quadratic" and kind in ("regime", "next", "first"):
            hps = [_playground_hp(at, i, n) for i, n in enumerate(names)]
            view = at.session_state["pg_ask_view"]
            start = np.array([float(view["x0"]), float(view["y0"])])
            s = get_surface(
                "quadratic",
                kappa=float(view["quadratic_kappa"]),
                angle_deg=float(view["quadratic_angle_deg"]),
                scale=float(view["quadratic_scale"]),
            )
            if all(n in ("gd", "momentum", "nesterov") for n in names):
                steps_ = int(view["steps"])
                return _linear_answer(
                    kind, s, start, list(zip(names, hps)), run, at_k, steps_, reason
                )
        if reason is not None:  # the library's tests hold the reasons; here: one of them
            return None, bool(
                re.search(
                    r"neither settles|sensitive to its start|too close to call|round-off|off the "
                    r"|looks settled|does not last"
                    r"map|no run reaches|converges at (no|every) η|more than a page|too close",
                    reason,
                )
            )
        if kind == "regime":
            return t["regime"], False
        if kind == "first":
            return t["winners"][0], False
        if kind == "next":
            return tuple(t["point"]), False
        return t["best"], False

    _check("pages/1_Playground.py", "pg", query, kind, independent)


def _playground_hp(at, i: int, name: str) -> dict:
    """Run i's settings as the question's view recorded them (its controls are locked away)."""
    view = at.session_state["pg_ask_view"]
    hp = {"lr": float(view[f"r{i + 1}_lr"])}
    if name in ("momentum", "nesterov"):
        hp["beta"] = float(view[f"r{i + 1}_beta"])
        hp["convention"] = view.get(f"r{i + 1}_convention", "pytorch")
    return hp


# -- the labs theory cannot decide: the page's truth is the library's --------------------------------
@PAGE
@given(
    st.sampled_from(["0.01", "0.05", "0.1", "0.5", "1"]),
    st.sampled_from(["100", "400", "800"]),
    st.sampled_from(["nptel", "noisy"]),
    st.sampled_from(["first", "regime", "next"]),
    st.integers(0, 2),
    st.integers(0, 10),
)
def test_adaptive_lab_questions(eta, steps, data, kind, run, at_k):
    query = {
        "eta1": eta,
        "steps1": steps,
        "data": data,
        "ask_run": str(run + 1),
        "ask_at": str(at_k),
    }

    def independent(at, reason):
        ss = at.session_state
        s = get_surface("sigmoid_neuron", dataset=ss["ad_data"])
        names = ["adagrad", "rmsprop", "adam"]
        start = np.array(s.starts[0], float)
        full = {n: optim.OPTIMIZERS[n].defaults() | {"lr": ss["ad_eta1"]} for n in names}
        if kind == "first":
            got = [
                steps_to_tol(s, reference_run(s, n, start, ss["ad_steps1"], full[n])[0])
                for n in names
            ]
            hits = [g for g in got if g >= 0]
            if reason is not None:
                return None, not hits
            return got.index(min(hits)), False
        if kind == "next":
            xs, _ = reference_run(s, names[run], start, at_k + 1, full[names[run]])
            return _next_or_off(s, xs, at_k, reason)
        return _library_regime(at, reason, "ad")

    _check("pages/5_Adaptive.py", "ad", query, kind, independent)


@PAGE
@given(
    st.sampled_from(["0.1", "0.47", "1", "3.9"]),
    st.sampled_from(["1", "4", "16"]),
    st.sampled_from(["300", "600"]),
    st.sampled_from(["linear", "inverse_time", "step"]),
    st.sampled_from(["linear_regression", "sigmoid_neuron"]),
    st.sampled_from(["regime", "next", "first"]),
    st.integers(0, 1),
)
def test_sgd_lab_questions(lr, b2, steps, decay, surface, kind, run):
    query = {
        "surface": surface,
        "lr": lr,
        "b2": b2,
        "steps": steps,
        "decay": decay,
        "ask_run": str(run + 1),
        "ask_at": "3",
    }

    def independent(at, reason):
        if kind == "regime":
            return _library_regime(at, reason, "sg")
        t = predict.truth_of(at.session_state, "sg")
        if reason is not None:
            return None, bool(re.search(r"no run reaches|off the map", reason))
        return (tuple(t["point"]) if kind == "next" else t["winners"][0]), False

    _check("pages/6_SGD.py", "sg", query, kind, independent)


# -- helpers ----------------------------------------------------------------------------------------
def steps_to_tol(s, xs) -> int:
    """The first step of a reference run with L − L* ≤ 10⁻⁶ (−1: none, or it left the map)."""
    for k, x in enumerate(xs):
        with np.errstate(all="ignore"):
            gap = float(s.f(np.asarray(x, dtype=float))) - s.f_min
        if not math.isfinite(gap):
            return -1
        if gap <= pq.TOL:
            return k
    return -1


def _rho(name, hp, s, start) -> float:
    on, _, _ = excited(name, hp, s, start)
    return float(np.max(np.abs(on))) if on.size else 0.0


def _next_or_off(s, xs, at_k, reason):
    (x0, x1), (y0, y1) = s.plot_window
    pts = [np.asarray(xs[at_k]), np.asarray(xs[at_k + 1])]
    inside = all(np.all(np.isfinite(q)) and x0 <= q[0] <= x1 and y0 <= q[1] <= y1 for q in pts)
    if reason is not None:
        return None, (not inside) or "has no step" in reason
    return tuple(float(c) for c in xs[at_k + 1]), False


def _linear_answer(kind, s, start, runs, run, at_k, steps, reason):
    """The answer from the two-step matrix and the reference loop; or whether a decline holds."""
    if kind == "regime":
        name, hp = runs[run]
        on, _, _ = excited(name, hp, s, start)
        rho = float(np.max(np.abs(on))) if on.size else 0.0
        if reason is not None:
            flips = {
                verdict(_rho(name, {**hp, "lr": hp["lr"] * f}, s, start)) for f in (0.99, 1.01)
            }
            return None, ("too close to call" in reason and flips != {verdict(rho)}) or (
                "round-off" in reason
            )
        return verdict(rho), False
    if kind == "next":
        name, hp = runs[run]
        if at_k >= steps:
            return None, reason is not None
        xs, _ = reference_run(s, name, start, at_k + 1, hp)
        return _next_or_off(s, xs, at_k, reason)
    got = [steps_to_tol(s, reference_run(s, n, start, steps, hp)[0]) for n, hp in runs]
    hits = [g for g in got if g >= 0]
    if reason is not None:
        return None, not hits
    return got.index(min(hits)), False


def _library_regime(at, reason, p):
    """A measured verdict: the page's truth, which the library's property tests check."""
    if reason is not None:
        return None, bool(
            re.search(
                r"neither settles|sensitive to its start|freezes wherever|looks settled|does not last",
                reason,
            )
        )
    return predict.truth_of(at.session_state, p)["regime"], False


# -- the labs' sentences on the page are the library's, for the page's own state ---------------------
@PAGE
@given(
    st.sampled_from([1, 2, 10, 50, 1000]),
    st.integers(0, 170),
    st.integers(1, 95),
    st.sampled_from(["ema", "heavy_ball", "pytorch"]),
    st.booleans(),
)
def test_the_momentum_labs_sentences_on_the_page(kappa, eta_i, beta_i, conv, optimum):
    """The page shows, for whatever its controls say, the sentences ``viz.claims`` builds from the
    exact iteration (which ``tests/library/test_truth.py`` checks against the two-step matrix)."""
    from optim import dynamics, theory
    from viz import claims

    etas = list(MOMENTUM_ETAS)[90:]
    q = {"kappa": str(kappa), "conv": conv, "eta": f"{etas[min(eta_i, len(etas) - 1)]:g}"}
    at = open_link("pages/3_Momentum.py", {**q, "beta": f"{beta_i / 100:g}"})
    if optimum:
        at.button(key="mo_optimum").click().run()
    ss = at.session_state
    eta, beta, conv_ = ss["mo_eta"], ss["mo_beta"], ss["mo_conv"]
    s = get_surface("quadratic", kappa=float(ss["mo_kappa"]), angle_deg=0.0, scale=1.0)
    alpha, mu = theory.to_pytorch(eta, beta, conv_)
    hp = {"lr": eta, "beta": beta, "convention": conv_}
    page = _texts(at)
    for name, h in (("gd", {"lr": alpha}), ("momentum", hp), ("nesterov", hp)):
        modes = dynamics.linear_modes(name, h, s.constant_hessian(), s.starts[0], s.minima[0])
        assert claims.momentum_says(name, modes, alpha, mu) in page, name
    assert claims.optimum_share(float(ss["mo_kappa"]))[1] in page


@PAGE
@given(st.integers(2, 60), st.integers(2, 60), st.integers(1, 300))
def test_the_learning_rate_labs_figures_on_the_page(s1_i, s2_i, m):
    from viz import claims

    s1, s2 = round(0.05 * s1_i, 2), round(0.05 * s2_i, 2)
    unit = 1 / max(s1, s2) ** 2
    at = open_link(
        "pages/2_Learning_rate.py",
        {"s1": f"{s1:g}", "s2": f"{s2:g}", "eta2": f"{round(m * unit / 200, 12):.12g}"},
    )
    ss = at.session_state
    d = claims.two_directions(ss["lr_eta2"], ss["lr_s1"], ss["lr_s2"])
    shown = {mt.label: mt.value for mt in at.metric}
    assert shown["slowest factor max |1 − 2ησᵢ²|"] == f"{d['slowest']:.4g}"
    steps = shown["steps to shrink the error 10⁶×"]
    assert steps == (str(d["steps"]) if d["steps"] is not None else steps) and (
        d["steps"] is not None or steps.startswith("never")
    )
