"""The Network lab's computation, cached across sessions on primitives (``st.cache_data``).

One call trains every run on one network from one initialization (``optim.run_many``), then
measures what the lab draws: loss and accuracy, sharpness every ``every`` steps (Adam's
preconditioned), the decision boundary at checkpoints, and one shared plane for all paths.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np
import streamlit as st

import optim
from optim import experiments, theory
from optim.rules.muon import hybrid
from surfaces.network import Elbows, Network, elbows, network, regression, shared_plane, sharpness

from . import link

__all__ = [
    "BUDGET",
    "CHOICES",
    "DEFAULT_LR",
    "MAX_RUNS",
    "BatchNormSide",
    "ElbowFit",
    "Lab",
    "batchnorm_effect",
    "elbow_fit",
    "lab",
    "learning_rates",
    "muon_section",
    "optimizers",
]

GRID = 60  # the decision boundary's raster, per side
PLANE = 36  # the shared plane's loss grid, per side
LANCZOS = 12  # Lanczos steps per sharpness: the top eigenvalue to < 1 % on the preset
LANCZOS_TOL = 1e-3  # or fewer: stop once an eigenvalue lies within 0.1 % of each run's estimate
BUDGET = 1800  # runs × steps one rerun may train (the default 3 × 600: ~2 s of CPU, cold)
# each optimizer's default step here (its slider offers optim.grids.nice_grid around it)
DEFAULT_LR = {"gd": 0.5, "momentum": 0.25, "nesterov": 0.25, "adam": 0.01, "rmsprop": 0.01}
DEFAULT_LR |= {"adagrad": 0.1, "adamw": 0.01, "nadam": 0.01, "amsgrad": 0.01, "lion": 0.001}
DEFAULT_LR |= {"sam": 0.5}  # SGD's η, with ρ = 0.05 (Foret et al.'s): the sharpness it avoids
DEFAULT_LR |= {"muon": 0.02}  # Jordan et al.'s; AdamW (η 0.01) on the biases and output layer
CHOICES = list(DEFAULT_LR)
MAX_RUNS = 6
DEFAULT_RUNS = ["gd", "momentum", "adam"]
SCAN = tuple(2.0 ** (k / 2) for k in range(-6, 7))  # GD's step sizes 0.125 … 8, a √2 grid
SCAN_STEPS = 150  # per η: 14 runs × 150 steps on both networks, ~1 s of CPU, cached


@dataclass(frozen=True)
class Lab:
    net: Network
    labels: list[str]
    steps: np.ndarray  # every step, 0..S
    loss: np.ndarray  # (S+1, R)
    checks: np.ndarray  # checkpoint steps for sharpness and accuracy
    accuracy: np.ndarray  # (C, R)
    sharp: dict[int, tuple[np.ndarray, float | None, str | None, bool]]  # run -> (values (C,),
    # threshold or None (SAM), its formula, preconditioned?)
    diverged_at: np.ndarray
    box: tuple[tuple[float, float], tuple[float, float]]
    frames: list[int]
    outputs: list[list[np.ndarray]]  # run -> per frame (GRID, GRID)
    plane: dict[str, Any]
    plane_grid: tuple[np.ndarray, np.ndarray, np.ndarray]


def _preconditioner(traj: optim.Trajectory, hp: dict, k: np.ndarray) -> np.ndarray:
    """Adam's P at steps ``k`` (Cohen et al. 2022): ``(1 − β₁ᵗ)(√v̂ + ε)``, ``t = k`` (≥ 1)."""
    b1, eps = float(hp.get("beta1", 0.9)), float(hp.get("eps", 1e-8))
    idx = np.clip(k - 1, 0, traj.steps - 1)
    t = np.maximum(k, 1)[:, None]
    v_hat = traj.state["v_hat"][idx, 0]
    return (1 - b1**t) * (np.sqrt(np.maximum(v_hat, 0)) + eps)


@st.cache_data(max_entries=8, show_spinner=False)
def lab(
    net_key: tuple,
    init: str,
    seed: int,
    runs: tuple[tuple[str, tuple], ...],
    steps: int,
    batch: int | None,
    every: int = 20,
) -> Lab:
    """Train ``runs`` (``(optimizer, ((hp, value), …))``) and measure them (see the module)."""
    net = network(**dict(net_key))
    w0 = net.init(init, seed)
    muon = hybrid(net.matrix_blocks())  # Muon's network form: the hidden layers' matrices
    specs = [optim.RunSpec(muon if name == "muon" else name, [w0], dict(hp)) for name, hp in runs]
    trajs = optim.run_many(net, specs, steps, options=optim.RunOptions(batch_size=batch, seed=seed))
    loss = np.concatenate([t.loss for t in trajs], axis=1)
    checks = np.arange(0, steps + 1, every)
    paths = [t.xy[:, 0] for t in trajs]
    acc = np.stack([net.accuracy(p[checks]) for p in paths], axis=1)
    sharp = {}
    for i, ((name, hp), t) in enumerate(zip(runs, trajs)):
        hp = dict(hp)
        limit = theory.stability_threshold(name, hp)
        if limit is None and name not in ("sam", "muon"):
            continue
        # SAM and Muon have no linear threshold (their steps are normalized): their sharpness is
        # drawn and said without one
        value, formula, pre = limit if limit is not None else (None, None, False)
        w = paths[i][checks]
        ok = np.isfinite(w).all(axis=1)
        s = np.full(len(checks), np.nan)
        if ok.any():
            p = _preconditioner(t, hp, checks[ok]) if pre else None
            s[ok] = sharpness(net, w[ok], precondition=p, k=LANCZOS, tol=LANCZOS_TOL)
        sharp[i] = (s, value, formula, pre)
    # decision boundary: the network's output on a grid at ~20 checkpoints, per run
    lo, hi = net.X.min(axis=0) - 0.3, net.X.max(axis=0) + 0.3
    box = ((float(lo[0]), float(hi[0])), (float(lo[1]), float(hi[1])))
    gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], GRID), np.linspace(lo[1], hi[1], GRID))
    pts = np.stack([gx.ravel(), gy.ravel()], -1)
    frames = sorted(set(np.linspace(0, steps, 21).round().astype(int).tolist()))
    outputs = []
    for p in paths:
        w = p[frames]
        good = np.isfinite(w).all(axis=1)
        out = np.full((len(frames), GRID * GRID), np.nan)
        if good.any():
            out[good] = net.predict(w[good], pts)
        outputs.append([o.reshape(GRID, GRID) for o in out])
    # one plane for every run's path (PCA of all of them), the loss drawn on it
    thin = [p[:: max(1, steps // 200)] for p in paths]
    plane = shared_plane(thin)
    plane["coords"] = [(p - plane["centre"]) @ plane["dirs"].T for p in paths]
    allc = np.concatenate([c[np.isfinite(c).all(axis=1)] for c in plane["coords"]])
    pad = 0.15 * (allc.max(axis=0) - allc.min(axis=0) + 1e-9)
    a = np.linspace(allc[:, 0].min() - pad[0], allc[:, 0].max() + pad[0], PLANE)
    b = np.linspace(allc[:, 1].min() - pad[1], allc[:, 1].max() + pad[1], PLANE)
    A, B = np.meshgrid(a, b)
    W = plane["centre"] + A.reshape(-1, 1) * plane["dirs"][0] + B.reshape(-1, 1) * plane["dirs"][1]
    z = net.f(W).reshape(PLANE, PLANE)
    labels = [f"{i + 1}. {t.label()}" for i, t in enumerate(trajs)]
    return Lab(
        net=net,
        labels=labels,
        steps=np.arange(steps + 1),
        loss=loss,
        checks=checks,
        accuracy=acc,
        sharp=sharp,
        diverged_at=np.concatenate([t.diverged_at for t in trajs]),
        box=box,
        frames=frames,
        outputs=outputs,
        plane=plane,
        plane_grid=(a, b, z),
    )


@dataclass(frozen=True)
class BatchNormSide:
    """One network (with or without batch norm) from the lab's initialization, measured."""

    dim: int
    sharp0: float  # λ_max(∇²L(w₀))
    scan: experiments.StableScan  # GD at every η of SCAN and the lab's own η
    eta: float  # the lab's GD step
    loss_at: float  # L after SCAN_STEPS steps at η (nan: diverged)
    sharp_at: float  # λ_max there


@st.cache_data(max_entries=8, show_spinner=False)
def batchnorm_effect(net_key: tuple, init: str, seed: int, eta: float) -> dict[bool, BatchNormSide]:
    """The same network without and with batch norm, from the same initialization (γ = 1, β = 0
    add nothing at the start but the normalization): GD's largest stable step on :data:`SCAN`
    (``experiments.stable_scan``), the sharpness at the start, and after :data:`SCAN_STEPS` steps
    at the lab's ``eta``."""
    out = {}
    for bn in (False, True):
        net = network(**dict(net_key), batchnorm=bn)
        w0 = net.init(init, seed)
        sc = experiments.stable_scan(net, w0, sorted({*SCAN, float(eta)}), SCAN_STEPS)
        at = int(np.flatnonzero(sc.etas == float(eta))[0])
        w = sc.weights[at]
        end = (
            float(sharpness(net, w, k=LANCZOS, tol=LANCZOS_TOL)[0])
            if np.isfinite(w).all()
            else float("nan")
        )
        out[bn] = BatchNormSide(
            net.dim,
            float(sharpness(net, w0, k=LANCZOS, tol=LANCZOS_TOL)[0]),
            sc,
            float(eta),
            float(sc.final[at]),
            end,
        )
    return out


ELBOW_LR = 0.02  # Adam's step for the 1-D fit: every curve of CURVES fits in ~1000 steps
ELBOW_FRAMES = 41


@dataclass(frozen=True)
class ElbowFit:
    """A ``1 → K → 1`` ReLU network trained on a 1-D curve, as its sum of elbows over training."""

    net: Network
    frames: list[int]  # the steps drawn
    pieces: list[Elbows]  # at each frame
    loss: np.ndarray  # (S+1,)
    window: tuple[float, float]
    gap: float  # max |network output − the drawn sum| over every frame (the drawing's check)
    dead: tuple[int, int]  # units off on every data point, at the start and at the end


@st.cache_data(max_entries=16, show_spinner=False)
def elbow_fit(curve: str, units: int, steps: int) -> ElbowFit:
    """Train Adam (η = :data:`ELBOW_LR`, He-uniform start) and take the network apart at
    :data:`ELBOW_FRAMES` steps, denser early (where the elbows move most)."""
    net = regression(curve, units)
    w0 = net.init("he_uniform", 0)
    (t,) = optim.run_many(net, [optim.RunSpec("adam", [w0], {"lr": ELBOW_LR})], steps)
    frames = sorted({round(steps * (i / (ELBOW_FRAMES - 1)) ** 2) for i in range(ELBOW_FRAMES)})
    lo, hi = -1.2, 1.2
    path = t.xy[:, 0]
    pieces = [elbows(net, path[k], lo, hi) for k in frames]
    x = np.linspace(lo, hi, 241)
    out = net.predict(path[frames], x[:, None])
    gap = max(
        float(np.max(np.abs(o - np.interp(x, p.fit_x, p.fit_y)))) for o, p in zip(out, pieces)
    )
    pre = net.pre_activations(path[[0, -1]])[0]  # (2, N, K)
    dead = tuple(int(n) for n in np.sum(np.all(pre <= 0, axis=1), axis=1))
    return ElbowFit(net, frames, pieces, t.loss[:, 0], (lo, hi), gap, dead)


def learning_rates(prefix: str, names: list[str]) -> list[tuple[str, tuple]]:
    """Each chosen optimizer's η (a slider on the grid around its default, in an expander), as
    the lab's runs ``(name, ((hp, value), …))``; momentum and Nesterov in PyTorch's notation with
    μ = 0.9."""
    from optim import grids

    runs = []
    with st.expander("Learning rates and β", expanded=False):
        cols = st.columns(min(len(names), 3))
        for i, name in enumerate(names):
            default = DEFAULT_LR[name]
            lr = link.select_slider(
                f"{i + 1}. {name}: η",
                grids.around(default),
                default,
                key=f"{prefix}_{name}_lr",
                where=cols[i % len(cols)],
                format_func=lambda v: f"{v:.3g}",
            )
            hp: dict = {"lr": float(lr)}
            if name in ("momentum", "nesterov"):
                hp["beta"] = 0.9
                hp["convention"] = "pytorch"
            runs.append((name, tuple(sorted(hp.items()))))
        st.caption("Momentum runs in PyTorch's notation (v ← μv + g, w ← w − αv) with μ = 0.9.")
    return runs


def optimizers(prefix: str, where: Any) -> list[str]:
    """The lab's optimizers (a multiselect, at most :data:`MAX_RUNS`); a link's ``opts=gd,adam``
    sets them (unknown names left out, a repeated name once, with a note; none usable: a note,
    and the default)."""
    key = f"{prefix}_opts"
    raw = link.take("opts")
    if raw is not None:
        named = [n.strip() for n in raw.split(",") if n.strip() in CHOICES]
        picked = list(dict.fromkeys(named))[:MAX_RUNS]  # a multiselect holds each name once
        if len(picked) < len(named[:MAX_RUNS]):
            link.note(f"{link.quote(f'opts={raw}')} names an optimizer twice; it runs once.")
        if picked:
            st.session_state[key] = picked
        else:
            link.note(
                f"{link.quote(f'opts={raw}')} names no optimizer of this lab; using the default."
            )
    names = where.multiselect(
        "optimizers (up to 6)",
        CHOICES,
        default=None if key in st.session_state else DEFAULT_RUNS,
        format_func=lambda n: optim.OPTIMIZERS[n].title,
        key=key,
        max_selections=MAX_RUNS,
    )
    link.custom("opts", "Optimizers", ",".join(names), ",".join(DEFAULT_RUNS))
    return names


@link.fragment  # its switch reruns this section alone
def batchnorm_section(prefix: str, net_key: tuple, init: str, eta: float) -> None:
    """The same network without and with batch norm from the lab's start: the table and the
    sentence of :func:`batchnorm_effect` at the lab's GD step ``eta``, on request (the scan is
    ~0.6 s of CPU: with the batch-norm lab it would take the switch's rerun past its 2 s)."""
    from viz import claims

    st.subheader("What batch norm changes: the largest stable step and the sharpness")
    if not link.toggle(
        "Measure it: GD at 14 step sizes, with and without batch norm",
        False,
        key=f"{prefix}_bn_scan",
        help="The same network and start, with and without batch norm: GD's largest stable step "
        "and the sharpness. About half a second of the shared server's time the first time for "
        "this network, then cached for everyone.",
    ):
        return
    with st.spinner("Scanning GD's step size with and without batch norm…"):
        effect = batchnorm_effect(net_key, init, 0, float(eta))
    st.table(claims.batchnorm_table(effect))
    st.markdown(claims.batchnorm_sentence(effect))


@link.fragment  # its three controls rerun this section alone
def elbows_section(prefix: str, look: Any) -> None:
    """One input, one hidden layer: a ReLU network's fit drawn as its sum of elbows while it
    trains (:func:`elbow_fit`, ``viz.network.elbows_spec``), and the measured sentence."""
    from optim import grids
    from surfaces.network import CURVES
    from viz import claims
    from viz import network as figs

    from . import race

    st.subheader("One input, one hidden layer: a ReLU network is a sum of elbows")
    c1, c2, c3 = st.columns(3)
    curve = link.selectbox(
        "curve", list(CURVES), format_func=lambda c: CURVES[c][0], key=f"{prefix}_curve", where=c1
    )
    units = link.select_slider("ReLU units", grids.ELBOW_UNITS, 8, key=f"{prefix}_units", where=c2)
    steps = link.select_slider(
        "Adam steps", grids.ELBOW_STEPS, 1000, key=f"{prefix}_esteps", where=c3
    )
    fit = elbow_fit(curve, int(units), int(steps))
    race.mount(
        figs.elbows_spec(fit.net.X, fit.net.y, fit.pieces, fit.frames, fit.window, look=look),
        key=f"{prefix}_elbows",
        alt="The network's fit of the curve as the sum of its units' elbows while it trains; "
        "▶ Play",
    )
    st.markdown(claims.elbows_sentence(fit))


MUON_SKEW = (1.0, 1.5, 2.0)  # Zipf exponents: the rarest key is 32, 181 or 1024 times rarer
MUON_STEPS = (100, 200, 400)


@st.cache_data(max_entries=16, show_spinner=False)
def _matrix_race(exponent: float, steps: int) -> Any:
    from surfaces.matrix import associative_memory

    memory = associative_memory(exponent=exponent)
    return memory, experiments.matrix_race(memory, steps)


@link.fragment  # its two sliders rerun this section alone
def muon_section(prefix: str, look: Any) -> None:
    """Muon where it means something: a weight matrix whose gradient's directions are skewed
    (``surfaces.matrix.associative_memory``), GD, Adam and Muon at their best η each
    (``optim.experiments.matrix_race``); the per-key error figure and the measured sentence."""
    from viz import claims
    from viz import network as figs

    from .frame import chart

    st.subheader("Muon on a weight matrix: the rare keys of an associative memory")
    st.markdown(
        "Muon (Jordan et al. 2024, `torch.optim.Muon`) keeps a momentum of the gradient *matrix* "
        "and steps along its orthogonalization (Newton–Schulz: the singular vectors kept, every "
        "singular value brought near 1). Here one matrix W maps 32 keys (rotated embeddings, Zipf "
        "frequencies) to their values: the loss's curvature along key i is its frequency, so "
        "the rare keys are the flat directions. In the lab above, “Muon” is its network form: "
        "Muon on the hidden layers' weight matrices, AdamW on biases and the output layer."
    )
    c1, c2 = st.columns(2)
    skew = link.select_slider(
        "key frequencies ∝ 1/i^s",
        MUON_SKEW,
        2.0,
        key=f"{prefix}_mskew",
        where=c1,
        format_func=lambda v: f"s = {v:g}",
    )
    steps = link.select_slider("steps", MUON_STEPS, 200, key=f"{prefix}_msteps", where=c2)
    memory, r = _matrix_race(float(skew), int(steps))
    labels = [f"{n} (η = {e:.3g})" for n, e in zip(("GD", "Adam", "Muon"), r.etas)]
    chart(
        figs.key_errors_figure(memory.curvature, list(zip(labels, r.key_errors)), look=look),
        "Each key's error after the last step against its frequency, for GD, Adam and Muon",
        key=f"{prefix}_keys",
    )
    st.markdown(claims.matrix_race_sentence(r, memory.curvature))


EDGE_STEPS, EDGE_EVERY = 400, 20  # five runs: ~1.5 s of CPU the first time, then cached


@st.cache_data(max_entries=8, show_spinner=False)
def edge(net_key: tuple, init: str) -> tuple[list, list]:
    """GD at every η of ``optim.experiments.EOS_ETAS`` on the lab's network from its start, each
    run's regime, and how neighbouring step sizes agree on the time axis (~2 s cold, cached)."""
    net = network(**dict(net_key))
    runs = experiments.edge_runs(
        net,
        net.init(init, 0),
        experiments.EOS_ETAS,
        EDGE_STEPS,
        EDGE_EVERY,
        lambda W: sharpness(net, W, k=LANCZOS, tol=LANCZOS_TOL),
    )
    pairs = [(a, b) for a, b in itertools.pairwise(runs) if a.diverged_at < 0 and b.diverged_at < 0]
    return runs, [((a, b), experiments.time_agreement(a, b)) for a, b in pairs]


@st.cache_data(max_entries=16, show_spinner=False)
def top_three(net_key: tuple, init: str, eta: float) -> tuple[np.ndarray, np.ndarray]:
    """The top three Hessian eigenvalues along :func:`edge`'s GD run at ``eta`` (its recorded
    iterates; 20 Lanczos steps each)."""
    net = network(**dict(net_key))
    run = next(r for r in edge(net_key, init)[0] if r.eta == eta)
    eigs = np.full((len(run.checks), 3), np.nan)
    for j, w in enumerate(run.points):
        if np.isfinite(w).all():
            eigs[j] = sharpness(net, w[None], k=20, top=3)[0]
    return run.checks, eigs


@link.fragment  # its two controls rerun this section alone
def edge_section(prefix: str, look: Any, net_key: tuple, init: str) -> None:
    """The edge of stability in full (Cohen et al. 2021): full-batch GD at five step sizes on the
    lab's network, each run's regime named from its measured dynamics, the time axis η·k on
    which they share one curve, and one run's top three Hessian eigenvalues."""
    from viz import claims
    from viz import network as figs

    from .frame import chart

    st.subheader("The edge of stability in full: five step sizes, one time axis")
    st.markdown(
        "Full-batch GD on this network at five step sizes, from the same start. Plotted against "
        "the time t = η·k, small steps trace one curve (gradient flow's): the sharpness grows "
        "until each run meets its own 2/η. There it stops rising (*edge of stability*); a run "
        "that starts above it is thrown out and comes back flatter (*catapult*); far above it "
        "the loss blows up. Each regime below is named from the run's own measurements."
    )
    if not link.toggle(
        "Run GD at five step sizes",
        False,
        key=f"{prefix}_edge_on",
        help="Five full-batch runs and their sharpness: about a second and a half of the shared "
        "server's time the first time for this network, then cached for everyone.",
    ):
        return
    with st.spinner("Training five GD runs and measuring their sharpness…"):
        runs, agree = edge(net_key, init)
    on_time = link.toggle("time axis η·k", True, key=f"{prefix}_etime")
    chart(
        figs.edge_figure(runs, time=on_time, look=look),
        "Sharpness of GD at five step sizes against time η·k or step, each with its 2/η dotted",
        key=f"{prefix}_edge",
    )
    st.markdown("\n".join(f"- {x}" for x in claims.edge_lines(runs, agree)))
    alive = [r for r in runs if r.diverged_at < 0]
    pick = link.selectbox(
        "top three eigenvalues of",
        [r.eta for r in alive],
        format_func=lambda e: f"η = {e:g} ({next(r.regime for r in alive if r.eta == e)})",
        key=f"{prefix}_etop",
        index=min(2, len(alive) - 1),
    )
    checks, eigs = top_three(net_key, init, float(pick))
    chart(
        figs.top_eigen_figure(checks, eigs, float(pick), look=look),
        "The Hessian's three largest eigenvalues along the chosen run, with its 2/η dotted",
        key=f"{prefix}_etop_fig",
    )
    end = eigs[np.isfinite(eigs).all(axis=1)][-1]
    st.caption(
        f"At step {int(checks[np.isfinite(eigs).all(axis=1)][-1])}: λ₁ = {end[0]:.3g}, "
        f"λ₂ = {end[1]:.3g}, λ₃ = {end[2]:.3g}; 2/η = {2 / float(pick):.3g}. "
        "Lanczos, 20 steps, on exact Hessian-vector products."
    )
