"""#28, after Adam: Schedule-Free SGD and AdamW against the ``schedulefree`` package's reference
classes (float64 data written offline by bench/schedulefree_reference.py), and SAM against its
closed form on a quadratic and on minibatches."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import optim
from optim import experiments
from surfaces import get_surface

DATA = Path(__file__).resolve().parents[1] / "data" / "schedulefree_reference.json"


def test_schedule_free_matches_the_packages_reference_classes_step_by_step():
    """All three sequences: the engine's iterate is x, its recorded gradient point y, and z."""
    ref = json.loads(DATA.read_text())
    assert {c["optimizer"] for c in ref["cases"]} == {"sf_sgd", "sf_adamw"}
    for case in ref["cases"]:
        s = get_surface(case["surface"], **case["params"])
        t = optim.run(s, case["optimizer"], np.array([case["start"]]), case["steps"], **case["hp"])
        where = f"{case['optimizer']} on {case['surface']} {case['hp']}"
        np.testing.assert_allclose(t.xy[1:, 0], case["x"], rtol=1e-12, atol=1e-12, err_msg=where)
        np.testing.assert_allclose(t.state["z"][:, 0], case["z"], rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(
            t.state["lookahead"][1:, 0], case["y"][:-1], rtol=1e-12, atol=1e-12, err_msg=where
        )
        assert np.ptp(np.asarray(case["x"])[:, 0]) > 1e-3  # it moved


def test_schedule_free_x_is_the_average_of_the_zs_and_y_interpolates():
    """With r = 0 and a constant η, x_k is the plain mean of z_1 … z_k; y = (1 − β)z + βx."""
    s = get_surface("quadratic", kappa=10.0)
    beta = 0.7
    t = optim.run(s, "sf_sgd", np.array([s.starts[0]]), 40, lr=0.3, beta=beta)
    z = t.state["z"][:, 0]
    means = np.cumsum(z, axis=0) / np.arange(1, 41)[:, None]
    np.testing.assert_allclose(t.xy[1:, 0], means, rtol=1e-12, atol=1e-14)
    y = (1 - beta) * z[:-1] + beta * t.xy[1:-1, 0]
    np.testing.assert_allclose(t.state["lookahead"][1:, 0], y, rtol=1e-12, atol=1e-14)


def test_sam_is_gd_on_the_gradient_of_the_ascent_point():
    """On L = ½wᵀHw: w ← w − ηH(w + ρHw/‖Hw‖), the ascent point recorded; ρ = 0 is GD."""
    s = get_surface("quadratic", kappa=10.0, angle_deg=20.0)
    H = np.array(s.hess(np.zeros((1, 2))))[0]
    eta, rho = 0.2, 0.3
    t = optim.run(s, "sam", np.array([s.starts[0]]), 30, lr=eta, rho=rho)
    w = np.array(s.starts[0], dtype=float)
    for k in range(30):
        g = H @ w
        up = w + rho * g / np.linalg.norm(g)
        np.testing.assert_allclose(t.state["lookahead"][k, 0], up, rtol=1e-12, atol=1e-14)
        w = w - eta * H @ up
        np.testing.assert_allclose(t.xy[k + 1, 0], w, rtol=1e-12, atol=1e-14)
    gd = optim.run(s, "gd", np.array([s.starts[0]]), 30, lr=eta)
    np.testing.assert_allclose(
        optim.run(s, "sam", np.array([s.starts[0]]), 30, lr=eta, rho=0.0).xy, gd.xy, rtol=1e-15
    )


def test_sam_on_minibatches_takes_both_gradients_on_the_same_examples():
    s = get_surface("linear_regression")
    opts = optim.RunOptions(batch_size=4, seed=3)
    (t,) = optim.run_many(
        s, [optim.RunSpec("sam", [[0.0, 0.0]], {"lr": 0.05, "rho": 0.2})], 20, options=opts
    )
    (g,) = optim.run_many(s, [optim.RunSpec("gd", [[0.0, 0.0]], {"lr": 0.05})], 20, options=opts)
    batches = optim.engine._batches(
        s.n_data, 4, "shuffle", np.random.default_rng(np.random.SeedSequence(3).spawn(2)[0])
    )
    w = np.zeros((1, 2))
    for k in range(20):
        idx = next(batches)
        gw = s.grad_batch(w, idx)
        up = w + 0.2 * gw / np.linalg.norm(gw)
        np.testing.assert_allclose(t.state["lookahead"][k], up, rtol=1e-12)
        w = w - 0.05 * s.grad_batch(up, idx)
    np.testing.assert_allclose(t.xy[-1], w, rtol=1e-12)
    assert not np.allclose(t.xy[-1], g.xy[-1])


@pytest.mark.parametrize("name", ["sf_sgd", "sf_adamw", "sam"])
def test_the_new_optimizers_are_in_the_registry_with_their_sources(name):
    opt = optim.OPTIMIZERS[name]
    assert opt.lookahead is not None and "lookahead" in opt.records
    assert ("Defazio" in opt.source) or ("Foret" in opt.source)


def test_wsd_is_warm_up_then_flat_then_a_linear_decay():
    s = optim.schedules.wsd(total=100, warmup=10, decay=0.3, end_factor=0.1)
    k = np.arange(120)
    f = s(k)
    np.testing.assert_allclose(f[:10], (k[:10] + 1) / 10)
    assert (f[10:70] == 1.0).all()
    np.testing.assert_allclose(f[70:101], 1 - 0.9 * (k[70:101] - 70) / 30)
    assert (f[100:] == pytest.approx(0.1)) and optim.schedules.fate(s) == ("floor", 0.1)
    assert optim.schedules.make("wsd", **s.kwargs()) == s


def test_the_river_valley_has_steep_walls_and_a_gentle_floor():
    s = get_surface("river_valley")
    w = np.array([[x, 0.5 * np.sin(0.8 * x)] for x in np.linspace(-5, 3, 9)])  # on the river
    lam = np.linalg.eigvalsh(np.array(s.hess(w)))
    assert (lam[:, -1] > 19).all() and (lam[:, 0] < 1.1).all()  # walls ~20, floor ≤ 1
    g = s.grad(w)
    assert (np.abs(g[:, 1]) < 1e-12).all() and (g[:, 0] < 0).all()  # downhill towards the sea


@settings(max_examples=12, deadline=None)
@given(
    eta=st.sampled_from((0.02, 0.04, 0.06, 0.08, 0.09)),
    noise=st.sampled_from((0.0, 1.0, 2.0, 4.0)),
    steps=st.sampled_from((200, 300)),
    decay=st.sampled_from((0.1, 0.2, 0.5)),
)
def test_the_schedule_race_sentence_says_what_its_draws_measured(eta, noise, steps, decay):
    """Over the SGD lab's section-4 controls: every number of the sentence is the race's, the
    verdict follows the draws (declined when they split), and the decay starts where WSD's does."""
    from viz import claims

    r = experiments.schedule_race(get_surface("river_valley"), eta, noise, steps, decay, draws=6)
    said = claims.schedule_race_sentence(r, eta, noise)
    med = np.median(r.final, axis=1)
    for name, v in zip(("constant", "cosine", "WSD"), med):
        assert f"{name} **{v:.3g}**" in said
    wins = r.wsd_wins
    if 0.2 * 6 < wins < 0.8 * 6:
        assert "too close to call" in said
    else:
        assert "too close to call" not in said and f"{max(wins, 6 - wins)} of 6" in said
    start = r.decay_start
    f = r.schedules[2].factors(steps)
    assert f[start - 1] == 1.0 and f[start + 1] < 1.0  # the decay starts at the step it says
    assert f"at step {start}" in said
    x_star = get_surface("river_valley").minima[0][0]
    along = np.median(np.abs(r.trajs[2].xy[start, :, 0] - x_star))
    assert f"{along:.3g}" in said


def test_the_sgd_labs_river_section_is_the_race_at_its_controls():
    from tests.helpers import open_page, races

    at = open_page("pages/6_SGD.py")
    said = next(m.value for m in at.markdown if m.value.startswith("**One budget**"))
    r = experiments.schedule_race(get_surface("river_valley"), 0.08, 2.0, 200, 0.2)
    assert f"WSD **{np.median(r.final[2]):.3g}**" in said
    spec = next(v for v in races(at) if any(x["label"].startswith("WSD") for x in v["runs"]))
    assert [x["label"] for x in spec["runs"]] == [
        "constant η",
        "cosine to 0",
        "WSD (decay over the last 20%)",
    ]
    import viz

    typical = r.typical  # the draw shown: each final loss nearest its median (in log)
    logs = np.log(r.final)
    spread = np.abs(logs - np.median(logs, axis=1, keepdims=True)).sum(axis=0)
    assert spread[typical] == spread.min()
    for run, t in zip(spec["runs"], r.trajs):
        np.testing.assert_allclose(
            viz.decode(run["xy"]).reshape(-1, 2), t.xy[:, typical], rtol=1e-5, atol=1e-5
        )
    assert any(f"noise draw {typical + 1} of 10" in c.value for c in at.caption)
    at.select_slider(key="sg_r_steps").set_value(300).run()
    at.select_slider(key="sg_r_decay").set_value(0.5).run()
    assert not at.exception
    said = next(m.value for m in at.markdown if m.value.startswith("**One budget**"))
    assert "300 steps" in said and "at step 150" in said


def test_the_network_labs_sam_ends_flatter_than_gd_as_measured():
    """#28 item 4: SAM in the network lab, its sharpness measured against GD's at the same η."""
    from surfaces.network import network, sharpness
    from tests.helpers import open_link
    from ui.network import LANCZOS

    at = open_link("pages/8_Network.py", {"opts": "gd,sam"})
    assert not at.exception
    said = next(m.value for m in at.markdown if "**SAM against GD:**" in m.value)
    net = network("circles", 16, 2, "tanh")
    w0 = net.init("xavier_uniform", 0)
    gd, sam = optim.run_many(
        net, [optim.RunSpec("gd", [w0], {"lr": 0.5}), optim.RunSpec("sam", [w0], {"lr": 0.5})], 600
    )
    s_gd, s_sam = (float(sharpness(net, t.xy[-1], k=LANCZOS)[0]) for t in (gd, sam))
    assert s_sam < 0.8 * s_gd  # flatter, as the lab says
    assert f"λ_max {s_sam:.3g} against {s_gd:.3g}" in said and "ends flatter" in said


MUON = Path(__file__).resolve().parents[1] / "data" / "muon_reference.json"


def test_newton_schulz_is_the_svd_with_its_singular_values_mapped_by_the_quintic():
    """NS₅(G) = U p₅(Σ/‖G‖_F) Vᵀ exactly (the polar factor's singular vectors; values in the band
    the coefficients are chosen for), for tall, wide and square stacks, in float64."""
    from optim.rules.muon import NS_COEFFICIENTS, newton_schulz

    a, b, c = NS_COEFFICIENTS
    rng = np.random.default_rng(4)
    for shape in ((3, 7, 4), (2, 4, 9), (2, 6, 6)):
        G = rng.standard_normal(shape)
        O = newton_schulz(G)
        for g, o in zip(G, O):
            U, s, Vt = np.linalg.svd(g, full_matrices=False)
            x = s / np.linalg.norm(g)
            for _ in range(5):
                x = a * x + b * x**3 + c * x**5
            np.testing.assert_allclose(o, U @ np.diag(x) @ Vt, rtol=0, atol=1e-12)
            polar = U @ Vt  # the exact orthogonalization: the same vectors, values near 1
            assert np.linalg.norm(o - polar, 2) < 0.35
            assert ((x > 0.6) & (x < 1.2)).all()


def test_muon_matches_torch_optim_muon_step_by_step():
    """torch.optim.Muon (torch 2.14, bench/muon_reference.py) on the associative memory: to
    1e-12 with its Newton–Schulz run in float64 (Tensor.bfloat16 made the identity), and as
    torch runs it, in bfloat16, within 0.06·η per step taken: bfloat16 keeps 8 bits of mantissa
    (unit roundoff 2⁻⁸ ≈ 0.4 %) and five Newton–Schulz steps of three matrix products each grow
    that to a few % of a step (measured: at most 0.045·η·k over the three cases, worst at the
    first steps)."""
    from optim.rules.muon import hybrid
    from surfaces.matrix import associative_memory

    ref = json.loads(MUON.read_text())
    for case in ref["cases"]:
        m = associative_memory(case["keys"], case["width"])
        hp = {
            "lr": case["lr"],
            "beta": case["momentum"],
            "weight_decay": case["weight_decay"],
            "nesterov": case["nesterov"],
        }
        w0 = np.array(case["float64"][0])
        (t,) = optim.run_many(
            m, [optim.RunSpec(hybrid(((0, m.keys, m.width),)), [w0], hp)], ref["steps"]
        )
        np.testing.assert_allclose(t.xy[:, 0], case["float64"], rtol=0, atol=1e-12)
        drift = np.abs(t.xy[:, 0] - np.array(case["bfloat16"])).max(axis=1)
        k = np.arange(len(drift))
        assert (drift <= 0.06 * case["lr"] * k + 1e-12).all(), (
            case,
            drift / (case["lr"] * k + 1e-9),
        )
        assert drift[-1] > 1e-6  # bfloat16 really did round: the two runs are not the same


def test_muon_on_a_vector_is_normalized_nesterov_momentum():
    """On the 2-D surfaces every Muon step has length p₅(1)·η = 0.70η, in the direction of the
    Nesterov buffer (the plain reference loop is tests/reference.py)."""
    from optim.rules.muon import vector_factor

    s = get_surface("quadratic", kappa=10.0, angle_deg=20.0)
    t = optim.run(s, "muon", np.array([s.starts[0]]), 40, lr=0.05, beta=0.9)
    steps = np.linalg.norm(np.diff(t.xy[:, 0], axis=0), axis=1)
    np.testing.assert_allclose(steps, 0.05 * vector_factor(), rtol=1e-12)
    assert vector_factor() == pytest.approx(0.6964, abs=1e-4)


def test_the_network_labs_muon_section_is_the_race_it_says():
    """#28 item 1: Muon against GD and Adam on the associative memory, each at its best η of its
    grid; the figure's errors and the sentence's numbers are the race's, and the rarer half of
    the keys is where Muon is ahead at the defaults."""
    from surfaces.matrix import associative_memory
    from tests.helpers import open_page, specs

    at = open_page("pages/8_Network.py")
    assert not at.exception
    memory = associative_memory(exponent=2.0)
    r = experiments.matrix_race(memory, 200)
    for i in range(len(r.names)):  # each η is its grid's best final loss
        assert r.etas[i] == r.grids[i][int(np.argmin(r.losses[i]))]
    said = next(m.value for m in at.markdown if m.value.startswith("**Measured**"))
    rare = np.argsort(memory.curvature)[:16]
    err = r.key_errors[:, rare].mean(axis=1)
    for v, who in zip(err, ("GD", "Adam", "Muon")):
        assert f"**{v:.3g}** ({who})" in said
    assert err[2] < 0.1 * min(err[0], err[1]) and "Muon is" in said
    fig = next(s for s in specs(at) if s["data"] and s["data"][0]["name"].startswith("GD (η"))
    import viz

    np.testing.assert_allclose(viz.decode(fig["data"][2]["y"]), r.key_errors[2], rtol=1e-6)


def test_the_network_labs_muon_runs_on_the_hidden_matrices_and_adamw_on_the_rest():
    from optim.rules.muon import hybrid, newton_schulz
    from surfaces.network import network

    net = network("circles", 8, 2, "tanh", n=60)
    blocks = net.matrix_blocks()
    assert [b[1:] for b in blocks] == [(2, 8), (8, 8)]  # not the output layer's 8 × 1
    w0 = net.init("xavier_uniform", 0)
    (t,) = optim.run_many(net, [optim.RunSpec(hybrid(blocks), [w0], {"lr": 0.02})], 1)
    g = net.grad(w0[None])
    step = t.xy[1, 0] - w0
    for at, r, c in blocks:  # first step: buffer (1 − μ)g, Nesterov (1 − μ²)g: NS of g's block
        O = newton_schulz(g[:, at : at + r * c].reshape(1, r, c))[0].ravel()
        np.testing.assert_allclose(step[at : at + r * c], -0.02 * np.sqrt(max(1, c / r)) * O)
    rest = np.ones(net.dim, bool)
    for at, r, c in blocks:
        rest[at : at + r * c] = False
    adam = optim.run(net, "adamw", w0[None], 1, lr=0.01, weight_decay=0.0)
    np.testing.assert_allclose(t.xy[1, 0][rest], adam.xy[1, 0][rest], rtol=1e-12)


def test_lanczos_gives_the_top_three_eigenvalues_of_the_dense_hessian():
    from surfaces.network import network, sharpness

    net = network("spiral", 5, 2, "tanh", n=60)
    w = np.stack([net.init("xavier_normal", s) for s in (3, 4)])
    cols = [(net.grad(w + 1e-5 * e) - net.grad(w - 1e-5 * e)) / 2e-5 for e in np.eye(net.dim)]
    H = np.stack(cols, axis=-1)
    top = np.linalg.eigvalsh(H)[:, ::-1][:, :3]
    np.testing.assert_allclose(sharpness(net, w, k=30, top=3), top, rtol=1e-6)


def test_each_regime_word_is_what_its_run_measured():
    """#28 item 5: the five step sizes on the preset network: stable, the edge (its sharpness
    at 2/η within 15 % at the end), catapult (a loss spike, then sharpness down to 2/η), divergent;
    and on the time axis η·k the slower runs follow one curve until the faster meets 2/η."""
    from surfaces.network import network, sharpness
    from ui.network import EDGE_EVERY, EDGE_STEPS, LANCZOS

    net = network("circles", 16, 2, "tanh")
    runs = experiments.edge_runs(
        net,
        net.init("xavier_uniform", 0),
        experiments.EOS_ETAS,
        EDGE_STEPS,
        EDGE_EVERY,
        lambda W: sharpness(net, W, k=LANCZOS),
    )
    assert [r.regime for r in runs] == [
        "stable",
        "edge of stability",
        "edge of stability",
        "catapult",
        "divergent",
    ]
    for r in runs:
        limit = 2 / r.eta
        if r.regime == "stable":
            assert np.nanmax(r.sharp) < 0.85 * limit
        if r.regime == "edge of stability":
            assert r.sharp[0] < limit and abs(r.sharp[-1] / limit - 1) < 0.15
        if r.regime == "catapult":
            assert r.sharp[0] > limit and np.nanmax(r.loss) > 1.5 * r.loss[0]
            assert abs(r.sharp[-1] / limit - 1) < 0.15
        if r.regime == "divergent":
            assert r.diverged_at >= 0 and not np.isfinite(r.loss[-1])
    t_star, diff = experiments.time_agreement(runs[0], runs[1])
    assert t_star == pytest.approx(0.25 * 80) and diff < 0.1


def test_the_network_labs_edge_section_says_what_the_runs_measured():
    from tests.helpers import open_page, specs
    from ui.network import edge, top_three

    at = open_page("pages/8_Network.py")
    assert not any("edge of stability.**" in m.value for m in at.markdown)  # off until asked
    at.toggle(key="nn_edge_on").set_value(True).run()
    assert not at.exception
    key = (("dataset", "circles"), ("width", 16), ("depth", 2), ("activation", "tanh"))
    runs, agree = edge(key, "xavier_uniform")
    said = next(m.value for m in at.markdown if "**η = 0.25: edge of stability.**" in m.value)
    for r in runs:
        assert f"**η = {r.eta:g}: {r.regime}.**" in said
    t_star, diff = agree[0][1]
    assert f"(within {diff:.0%}) until t = η·k = {t_star:.3g}" in said
    fig = next(s for s in specs(at) if s["layout"]["xaxis"]["title"]["text"] == "time η·k")
    import viz

    np.testing.assert_allclose(viz.decode(fig["data"][2]["x"]), runs[1].checks * runs[1].eta)
    _, eigs = top_three(key, "xavier_uniform", 0.5)
    end = eigs[-1]
    assert any(f"λ₁ = {end[0]:.3g}, λ₂ = {end[1]:.3g}" in c.value for c in at.caption)
    assert end[0] >= end[1] >= end[2]


def test_sam_matches_the_sam_pytorch_package_step_by_step():
    """sam-pytorch 0.0.1's SAM around torch.optim.SGD, float64 (bench/sam_reference.py)."""
    ref = json.loads(
        (Path(__file__).resolve().parents[1] / "data" / "sam_reference.json").read_text()
    )
    for case in ref["cases"]:
        s = get_surface(case["surface"], **case["params"])
        t = optim.run(
            s, "sam", np.array([case["start"]]), case["steps"], lr=case["lr"], rho=case["rho"]
        )
        np.testing.assert_allclose(
            t.xy[:, 0], case["xy"], rtol=1e-12, atol=1e-12, err_msg=str(case)
        )
        assert np.ptp(np.asarray(case["xy"])[:, 0]) > 1e-2  # it moved


def test_adams_preconditioned_sharpness_reaches_its_threshold_within_15_percent():
    """#28 item 5: at the lab's defaults Adam's preconditioned sharpness λ_max(P⁻¹H) rises to
    within 15 % of (2 + 2β₁)/((1 − β₁)η) = 38/η (Cohen et al. 2022), and the lab says so."""
    from ui.network import lab

    key = (("dataset", "circles"), ("width", 16), ("depth", 2), ("activation", "tanh"))
    runs = (
        ("gd", (("lr", 0.5),)),
        ("momentum", (("beta", 0.9), ("convention", "pytorch"), ("lr", 0.25))),
        ("adam", (("lr", 0.01),)),
    )
    res = lab(key, "xavier_uniform", 0, runs, 600, None)
    s, limit, _, pre = res.sharp[2]
    assert pre and limit == pytest.approx(38 / 0.01)
    assert 0.85 <= np.nanmax(s) / limit <= 1.15
