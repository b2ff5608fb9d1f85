"""The labs assert what they claim: regimes at the landmarks, the engine against the closed forms."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import pytest

import optim
import viz
from optim import theory
from surfaces import get_surface
from tests.helpers import (
    click,
    link_notes,
    open_link,
    open_page,
    race,
    race_keys,
    specs,
    with_banks,
)
from viz import labs

LR = "pages/2_Learning_rate.py"


def _figs(at):
    return specs(at)


def _badge(at) -> str:
    return next(m.value for m in at.markdown if "-badge[" in m.value)


@pytest.mark.parametrize("sigma", [1.0, 2.0])
def test_regime_badge_changes_exactly_at_the_landmarks(sigma):
    at = open_page(LR)
    at.slider(key="lr_sigma").set_value(sigma).run()
    unit = 1 / sigma**2
    expected = {
        0.3: "monotone",
        0.5: "one-step",
        0.99: "oscillating",
        1.0: "period-2",
        1.01: "diverging",
    }
    for mult, regime in expected.items():
        at.slider(key="lr_eta").set_value(mult * unit).run()
        assert not at.exception
        assert f"[{regime}]" in _badge(at), (sigma, mult)
    at.slider(key="lr_eta").set_value(1.5 * unit).run()  # ×2 per step: out of bounds in 30
    assert any("diverged at step" in w.value for w in at.warning)


def test_landmark_buttons_set_eta():
    at = open_page(LR)
    at.button(key="lr_to_0.99").click().run()
    assert at.slider(key="lr_eta").value == pytest.approx(0.99)
    assert "[oscillating]" in _badge(at)
    at.button(key="lr_to_0.5").click().run()
    assert "[one-step]" in _badge(at)


def test_engine_matches_eq_3_in_the_figure():
    at = open_page(LR)
    at.slider(key="lr_w0").set_value(-2.0).run()
    at.slider(key="lr_eta").set_value(0.8).run()
    w_fig = _figs(at)[0]
    exact = viz.decode(w_fig["data"][0]["y"])
    measured = viz.decode(w_fig["data"][1]["y"])
    np.testing.assert_allclose(measured, exact, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(exact, theory.scalar_closed_form(-2.0, 1.0, 1.0, 0.8, np.arange(31)))
    marker = _figs(at)[2]["data"][1]
    assert marker["x"] == [pytest.approx(0.8)]
    assert marker["y"] == [pytest.approx(abs(1 - 2 * 0.8))]


def test_figure_one_preset_adds_slow_oscillating_and_diverging_runs():
    at = open_page(LR)
    at.toggle(key="lr_fig1").set_value(True).run()
    names = [d["name"] for d in _figs(at)[0]["data"] if "closed form" not in d["name"]]
    assert len(names) == 4 and any("diverging" in n for n in names)
    slow = viz.decode(_figs(at)[0]["data"][3]["y"])  # slow run: monotone approach
    assert np.all(np.diff(slow) > 0)


def test_two_singular_values_largest_sets_the_limit():
    at = open_page(LR)
    at.slider(key="lr_s1").set_value(2.0).run()
    at.slider(key="lr_s2").set_value(0.5).run()
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["condition number κ = (σ_max/σ_min)²"] == "16"
    assert metrics["usable η < 1/σ_max²"] == "0.25"
    at.slider(key="lr_eta2").set_value(0.99 * 0.25).run()
    assert not any("GD " in w.value for w in at.warning)
    at.slider(key="lr_eta2").set_value(1.05 * 0.25).run()
    assert any("GD is diverging" in w.value for w in at.warning)
    steep = viz.decode(_figs(at)[0]["data"][1]["y"])  # σ₁ = 2: measured error grows
    assert steep[-1] > steep[0]
    assert at.metric[3].value == "never (diverges)"


def test_direction_errors_follow_each_factor():
    s = get_surface("sigma_w", sigma1=1.5, sigma2=0.4, y1=1.0, y2=1.0)
    traj = optim.run(s, "gd", np.zeros((1, 2)), 40, lr=0.3)
    errors = np.abs(traj.xy[:, 0, :] - [1 / 1.5, 1 / 0.4])
    spec = labs.direction_errors_figure(errors, (1.5, 0.4), 0.3)
    go.Figure(spec)
    for i, sig in enumerate((1.5, 0.4)):
        line = viz.decode(spec["data"][2 * i]["y"])
        np.testing.assert_allclose(errors[:, i], line, rtol=1e-9, atol=1e-15)
        assert line[1] / line[0] == pytest.approx(abs(1 - 2 * 0.3 * sig**2))


def test_contraction_figure_marks_both_landmarks():
    spec = labs.contraction_figure(0.3, 2.0)
    go.Figure(spec)
    xs = sorted(sh["x0"] for sh in spec["layout"]["shapes"] if sh["type"] == "line")
    assert xs == [pytest.approx(0.125), pytest.approx(0.25)]
    eta = viz.decode(spec["data"][0]["x"])
    f = viz.decode(spec["data"][0]["y"])
    assert f[np.argmin(np.abs(eta - 0.25))] == pytest.approx(1.0, abs=0.02)


MO = "pages/3_Momentum.py"


def _metric(at, start: str) -> str:
    return next(m.value for m in at.metric if m.label.startswith(start))


def test_rate_map_values_are_the_theory():
    at = open_page(MO)
    spec = next(f for f in _figs(at) if any(d["type"] == "heatmap" for d in f["data"]))
    assert spec["data"][1]["fill"] == "toself"  # the diverging region: a polygon (test_viz)
    a = viz.decode(spec["data"][0]["x"])
    b = viz.decode(spec["data"][0]["y"])
    z = viz.decode(spec["data"][0]["z"])
    expected = theory.momentum_rate(a[None, :], b[:, None], [1 / 50, 1.0])
    stable = expected < 1
    np.testing.assert_allclose(z, expected, rtol=1e-6)  # every cell: a click or hover reads it
    # the diverged region lies exactly beyond the stability boundary αλ_max = 2(1 + β)
    boundary = 2 + 2 * b[:, None]
    mismatch = (~stable) != (a[None, :] >= boundary)
    assert np.all(np.abs(np.broadcast_to(a[None, :], z.shape) - boundary)[mismatch] < 1e-6)
    star = next(d for d in spec["data"] if d.get("name") == "optimum (Goh)")
    a_opt, b_opt, _ = theory.momentum_optimal(1 / 50, 1.0)
    assert star["x"] == [pytest.approx(a_opt)] and star["y"] == [pytest.approx(b_opt)]


def test_clicking_the_rate_map_sets_the_sliders_and_reruns():
    at = open_page(MO)
    click(at, "mo_map", 2.0, 0.5)
    at.run()
    assert not at.exception
    conv = at.selectbox(key="mo_conv").value
    alpha, mu = theory.to_pytorch(
        at.select_slider(key="mo_eta").value, at.select_slider(key="mo_beta").value, conv
    )
    assert alpha == pytest.approx(2.0, rel=0.03) and mu == pytest.approx(0.5, abs=0.006)
    assert float(_metric(at, "rate from theory")) == pytest.approx(
        float(theory.momentum_rate(alpha, mu, [1 / 50, 1.0])), abs=1e-4
    )


def test_convention_switch_keeps_the_motion():
    at = open_page(MO)
    before = float(_metric(at, "rate from theory"))
    paths = {}
    for conv in ("pytorch", "heavy_ball", "ema"):
        at.selectbox(key="mo_conv").set_value(conv).run()
        assert not at.exception
        assert float(_metric(at, "rate from theory")) == pytest.approx(before, abs=2e-3)
        hb = next(r for r in race(at)["runs"] if r["label"].startswith("2. Momentum"))
        paths[conv] = viz.decode(hb["xy"]).reshape(-1, 2)[:, 0]
    np.testing.assert_allclose(paths["pytorch"], paths["heavy_ball"], rtol=1e-5, atol=1e-6)


def test_optimum_button_reaches_goh_rate_and_the_run_measures_it():
    at = open_page(MO)
    at.slider(key="mo_steps").set_value(300).run()
    at.button(key="mo_optimum").click().run()
    theory_rate = float(_metric(at, "rate from theory"))
    _, _, r_opt = theory.momentum_optimal(1 / 50, 1.0)
    assert theory_rate == pytest.approx(r_opt, abs=0.01)
    measured = float(_metric(at, "heavy ball's rate measured"))
    assert measured == pytest.approx(theory_rate, abs=0.02)


@pytest.mark.parametrize("conv", ["ema", "heavy_ball", "pytorch"])
def test_the_optimum_button_converges_at_goh_rate_for_every_kappa(conv):
    """#14: the optimum lies only 1/(κ + 1) of the step inside the stability limit, so snapping it to the
    sliders' grid diverged at κ = 1000 (rate 1.14). It is now set exactly: the theory rate is r*
    and the measured rate is within 2 % of it for κ from 2 to 10⁴, in each notation."""
    at = open_page(MO)
    at.selectbox(key="mo_conv").set_value(conv).run()
    at.slider(key="mo_steps").set_value(400).run()
    for kappa in (2, 10, 100, 1000, 10000):
        at.select_slider(key="mo_kappa").set_value(kappa).run()
        at.button(key="mo_optimum").click().run()
        assert not at.exception
        _, _, r_opt = theory.momentum_optimal(1 / kappa, 1.0)
        assert float(_metric(at, "rate from theory")) == pytest.approx(r_opt, abs=1e-4), kappa
        assert float(_metric(at, "heavy ball's rate measured")) == pytest.approx(r_opt, rel=0.02), (
            kappa
        )
        assert not any("2. Momentum" in w.value for w in at.warning)  # GD, Nesterov may: said so
    at.select_slider(key="mo_kappa").set_value(50).run()  # another κ: back on the grid, no error
    assert not at.exception


def test_filter_view_has_gain_one_and_smooths_the_zigzag():
    at = open_page(MO)
    spec = next(f for f in _figs(at) if f["data"][0].get("name") == "raw gradient ∂L/∂w₂")
    raw = viz.decode(spec["data"][0]["y"])
    filt = viz.decode(spec["data"][1]["y"])
    assert np.sum(np.abs(np.diff(filt))) < np.sum(np.abs(np.diff(raw)))
    impulse = next(f for f in _figs(at) if f["data"][0]["type"] == "bar")
    w = viz.decode(impulse["data"][0]["y"])
    # a fresh page is in PyTorch's notation: the weights are β^τ with β = 0.9
    assert w[0] == pytest.approx(1.0) and w[1] == pytest.approx(0.9)
    at.selectbox(key="mo_conv").set_value("ema").run()  # EECS 182's: β(1−β)^τ with β = 0.1
    impulse = next(f for f in _figs(at) if f["data"][0]["type"] == "bar")
    w = viz.decode(impulse["data"][0]["y"])
    assert w[0] == pytest.approx(0.1) and w[1] == pytest.approx(0.1 * 0.9)


SW = "pages/4_Sweep.py"


def _sweep(at):
    spec = next(f for f in _figs(at) if f["data"][0]["type"] == "heatmap")
    lrs = 10 ** viz.decode(spec["data"][0]["x"]).astype(float)
    ys = viz.decode(spec["data"][0]["y"]).astype(float)
    diverged = ~np.isnan(viz.decode(spec["data"][0]["z"]))
    values = viz.decode(spec["data"][1]["z"])
    return spec, lrs, ys, diverged, values


def test_sweep_diverged_region_matches_the_gd_stability_limit():
    at = open_page(SW)
    at.selectbox(key="sw_opt").set_value("gd").run()
    assert not at.exception
    spec, lrs, ys, diverged, _values = _sweep(at)
    assert diverged.shape == (ys.size, lrs.size) and min(diverged.shape) >= 40
    limit = 2.0 / 1.0  # quadratic, λ_max = 1
    assert diverged[:, lrs > 1.1 * limit].all()
    assert not diverged[:, lrs < 0.99 * limit].any()
    line = next(d for d in spec["data"] if d.get("name") == "stability limit (theory)")
    np.testing.assert_allclose(10 ** viz.decode(line["x"]).astype(float), limit, rtol=1e-6)


def test_the_sweeps_caption_names_the_colours_the_map_shows():
    """#27: the caption said "Red" for orange-red cells and "Grey" in a mode that never shows grey;
    the legend's "stability limit (theory)" was white on the white legend."""
    at = open_page(SW)
    spec, _, _, diverged, values = _sweep(at)
    caption = next(c.value for c in at.caption if "runs of" in c.value)
    assert "Orange-red: diverged" in caption and "Red:" not in caption
    grey = np.isnan(values) & ~diverged
    assert ("Grey:" in caption) == bool(grey.any())
    line = next(d for d in spec["data"] if d.get("name") == "stability limit (theory)")
    assert line["line"]["color"] not in ("white", "#ffffff", "#FFFFFF")  # seen in the legend
    assert "Dashed black" in caption
    at.radio(key="sw_metric").set_value("steps").run()
    _, _, _, diverged, values = _sweep(at)
    caption = next(c.value for c in at.caption if "runs of" in c.value)
    assert ("Grey:" in caption) == bool((np.isnan(values) & ~diverged).any())


def test_sweep_momentum_boundary_follows_theory_in_beta():
    at = open_page(SW)  # momentum (PyTorch convention) × β by default
    _spec, lrs, ys, diverged, values = _sweep(at)
    limit = (2 + 2 * ys[:, None]) / 1.0
    clear_out = lrs[None, :] > 1.15 * limit
    clear_in = lrs[None, :] < 0.95 * limit
    assert diverged[clear_out & (ys[:, None] < 0.95)].all()
    assert not diverged[clear_in].any()
    # where runs converge, the final loss agrees with a single run of the engine
    i, j = 30, 20
    s = optim.run_summary(
        get_surface("quadratic"),
        "momentum",
        np.array([get_surface("quadratic").starts[0]]),
        200,
        lr=lrs[j],
        beta=ys[i],
    )
    assert values[i, j] == pytest.approx(np.log10(max(s.final_loss[0], 1e-16)), abs=1e-5)


def test_sweep_steps_metric_and_start_axis():
    at = open_page(SW)
    at.radio(key="sw_metric").set_value("steps").run()
    _, _, _, diverged, values = _sweep(at)
    finite = values[~diverged & ~np.isnan(values)]
    assert finite.size and np.all(finite == np.round(finite)) and finite.min() >= 0
    at.selectbox(key="sw_y").set_value("start x₀").run()
    assert not at.exception


@pytest.mark.parametrize("float32", [False, True])
@pytest.mark.parametrize("conv", ["pytorch", "ema"])
def test_clicking_a_cell_opens_that_run_in_the_playground(conv, float32):
    """#14: the run opened is the cell clicked, exactly, with no note (β 0.5059… was snapped to
    0.5 with a warning, η 0.172 silently to 0.18): the axes lie on the playground's grids."""
    at = open_page(SW)
    at.selectbox(key="sw_momentum_convention").set_value(conv).run()
    _, lrs, ys, _, _ = _sweep(at)
    # #27: the browser's heatmap holds float32: β = 0.86 came back as 0.860000014 and the
    # playground opened with "not on this control's grid"
    x, y = float(np.log10(lrs[10])), float(ys[40])
    if float32:
        x, y = float(np.float32(x)), float(np.float32(y))
    click(at, "sw_map", x, y)
    at.run()
    assert not at.exception
    labels = [r["label"] for r in race(at)["runs"]]
    assert any("momentum" in lbl.lower() for lbl in labels)  # we are on the playground
    assert at.selectbox(key="pg_r0_opt").value == "momentum"
    assert len(at.session_state["pg_slots"]) == 1
    lr = float(at.select_slider(key="pg_r0_momentum_lr").value)
    assert lr == pytest.approx(lrs[10], rel=1e-9)
    beta = float(at.select_slider(key="pg_r0_momentum_beta").value)
    assert beta == pytest.approx(ys[40], abs=1e-12)
    assert at.selectbox(key="pg_r0_momentum_convention").value == conv
    assert at.slider(key="pg_steps").value == 200
    assert not link_notes(at)


AD = "pages/5_Adaptive.py"


def _by_name(at, name):
    return next(d for f in _figs(at) for d in f["data"] if d.get("name") == name)


def test_bias_correction_changes_the_first_step_as_the_note_says():
    at = open_page(AD)
    with_bc = viz.decode(_by_name(at, "with bias correction")["y"])
    without = viz.decode(_by_name(at, "without")["y"])
    assert with_bc[0] == pytest.approx(1.0, rel=1e-6)  # |Δw| = η·|sign g|
    assert without[0] == pytest.approx(0.1 / np.sqrt(0.001), rel=1e-5)  # 3.16 η (ε aside)
    at.select_slider(key="ad_b1").set_value(0.5).run()
    without = viz.decode(_by_name(at, "without")["y"])
    assert without[0] == pytest.approx(0.5 / np.sqrt(0.001), rel=1e-5)
    assert at.expander and "1 − β₁ᵗ" in " ".join(m.value for m in at.markdown)


def test_adagrad_step_only_shrinks_and_rmsprop_recovers():
    at = open_page(AD)
    for d in "wb":
        ada = viz.decode(_by_name(at, f"adagrad: coordinate {d}")["y"])
        assert np.all(np.diff(ada) <= 1e-12)
    rms = [viz.decode(_by_name(at, f"rmsprop: coordinate {d}")["y"]) for d in "wb"]
    assert any(np.any(np.diff(r) > 0) for r in rms)


def test_diagonal_scaling_helps_axis_aligned_not_rotated():
    at = open_page(AD)
    aligned, rotated = (m.value for m in at.metric)
    assert aligned.isdigit()
    assert not rotated.isdigit() or int(rotated) > 2 * int(aligned)
    at.slider(key="ad_angle").set_value(0).run()
    a, b = (m.value for m in at.metric)
    assert a == b  # same valley twice


def test_rare_feature_gets_a_larger_adagrad_step():
    at = open_page(AD)
    dense = viz.decode(_by_name(at, "AdaGrad, dense w₁")["y"])
    sparse = viz.decode(_by_name(at, "AdaGrad, sparse w₂")["y"])
    assert sparse[-1] > dense[-1]
    table = at.dataframe[0].value
    gd_dense, gd_sparse = (int(v) for v in table.iloc[0, 1:])
    ada_dense, ada_sparse = (int(v) for v in table.iloc[1, 1:])
    assert gd_sparse > gd_dense  # GD's rare coordinate lags
    assert ada_sparse < gd_sparse and ada_dense <= gd_dense


SG = "pages/6_SGD.py"


def _metrics(at) -> dict[str, float]:
    return {m.label: float(m.value.rstrip("×")) for m in at.metric}


@pytest.mark.parametrize("batch", [1, 4, 16])
def test_minibatch_cloud_spread_is_sigma_over_b(batch):
    at = open_page(SG)
    at.select_slider(key="sg_batch").set_value(batch).run()
    m = _metrics(at)
    measured, theory_var = m["spread measured: tr Cov over 400 draws"], m["theory: tr Σ / B"]
    assert measured == pytest.approx(theory_var, rel=0.25)
    assert m["‖mean of the draws − ∇L(w)‖"] <= 4 * np.sqrt(theory_var / 400)
    cloud = next(f for f in _figs(at) if f["data"][0].get("name") == "minibatch gradients")
    assert len(viz.decode(cloud["data"][0]["x"])) == 400


@pytest.mark.parametrize("decay", ["linear", "inverse_time", "step"])
@pytest.mark.parametrize("surface", ["linear_regression", "sigmoid_neuron"])
def test_decay_stops_the_dance(surface, decay):
    """Every decay the section offers ends closer than constant η at the defaults, as it says
    (#14: 1/t with t₀ = 20 ended farther, 1.04 against 0.155)."""
    at = open_page(SG)
    at.selectbox(key="sg_surface").set_value(surface).run()
    at.selectbox(key="sg_decay").set_value(decay).run()
    m = {k: v for k, v in ((m.label, m.value) for m in at.metric)}
    d_const = float(m["mean distance to w*, last quarter, constant η"])
    assert float(m["… with decay"]) < 0.8 * d_const
    assert any("closer to w*" in c.value for c in at.caption)


def test_the_dance_draws_each_runs_schedule_under_the_same_player():
    """The SGD dance is the race view (one player for the map and every curve): its third curve
    is each run's learning-rate factor, the decay's own factors, over the run's steps."""
    at = open_page(SG)
    dance = race(at)
    assert dance["curves"]["lr"] is not None and dance["curves"]["loss"] is not None
    steps = dance["runs"][0]["steps"]
    factors = optim.schedules.linear(tau=steps, end_factor=0.01).factors(steps + 1)
    constant, decaying = (viz.decode(r["series"]["lr"]) for r in dance["runs"])
    assert np.all(constant == 1.0) and len(decaying) == steps + 1
    np.testing.assert_allclose(decaying, factors, rtol=1e-6)
    assert dance["curves"]["lr"]["xaxis"]["range"] == [0, steps]  # the cursor's axis: the steps


def test_reshuffled_epochs_against_replacement():
    at = open_page(SG)
    m = _metrics(at)
    shuffle = m["final L − L*, shuffle (median of 20)"]
    replacement = m["final L − L*, replacement (median of 20)"]
    assert 0 < shuffle <= replacement
    at.slider(key="sg_epochs").set_value(1).run()
    assert not at.exception


def test_at_the_optimum_the_full_gradient_vanishes_but_minibatches_do_not():
    at = open_page(SG)
    at.selectbox(key="sg_where").set_value("at the optimum").run()
    m = _metrics(at)
    cloud = next(f for f in _figs(at) if f["data"][0].get("name") == "minibatch gradients")
    full = cloud["data"][1]["x"][1], cloud["data"][1]["y"][1]
    assert np.hypot(*full) < 1e-8
    assert m["spread measured: tr Cov over 400 draws"] > 0.1


def test_the_rare_feature_text_counts_the_data():
    at = open_page(AD)
    s = get_surface("logistic_sparse")
    rare = int(np.count_nonzero(s.X[:, 1]))
    share = f"{rare / s.n_data:.0%}"
    assert any(f"{rare} of the {s.n_data} examples ({share})" in m.value for m in at.markdown)
    assert f"{rare} of {s.n_data} examples" in s.notes


def test_two_directions_at_one_over_sigma_max_squared_is_period_two_not_divergence():
    """#14: at η = 1/σ_max² the steep direction bounces (factor 1), it does not blow up."""
    at = open_page("pages/2_Learning_rate.py")
    unit = theory.scalar_limit(1.0)  # σ₁ = 1 is the larger default
    at.slider(key="lr_eta2").set_value(unit).run()
    assert not at.exception
    m = {x.label: x.value for x in at.metric}
    assert m["steps to shrink the error 10⁶×"] == "never (period 2)"
    assert any("period-2 bounce" in i.value for i in at.info)
    assert not any("blows up" in w.value or "diverg" in w.value for w in at.warning)
    at.slider(key="lr_eta2").set_value(round(1.01 * unit, 12)).run()
    m = {x.label: x.value for x in at.metric}
    assert m["steps to shrink the error 10⁶×"] == "never (diverges)"


def test_normalizing_the_inputs_rounds_the_valley_and_speeds_up_gd():
    """#15 item 4: raw, centred and standardized inputs: κ, GD at its best step, Adam."""
    at = open_page(AD)
    table = next(d.value for d in at.dataframe if "GD's best η*" in d.value.columns)
    kappa = [float(k) for k in table["κ"]]
    assert kappa[0] > 10 and kappa[0] > kappa[1] > kappa[2] == pytest.approx(1.0, abs=1e-6)
    gd = [int(x) for x in table["GD steps to L − L* ≤ 1e-6"]]
    assert gd[0] > 10 * gd[2] and gd[2] <= 2
    for features in ("raw", "standardized"):  # the table is the engine's numbers
        s = get_surface("linear_regression", features=features)
        lam = np.linalg.eigvalsh(s.constant_hessian())
        eta, _ = theory.gd_optimal(lam[0], lam[1])
        run = optim.run_summary(s, "gd", np.array([s.starts[0]]), 2000, tol=1e-6, lr=eta)
        row = {"raw": 0, "standardized": 2}[features]
        assert gd[row] == int(run.steps_to_tol[0])
    maps = [k for k in race_keys(at) if k.startswith("ad_norm_")]
    assert len(maps) == 3
    assert any("Standardizing cuts κ" in c.value for c in at.caption)


def test_momentum_lab_shows_note_004s_two_step_form_and_the_rc_filter():
    """#15 item 5: the other momentum form reproduces the run; the RC constant is −1/ln μ."""
    at = open_page(MO)
    text = " ".join(m.value for m in at.markdown)
    residual = float(text.split("it reproduces the run above to **")[1].split("**")[0])
    assert residual < 1e-12
    rc = float(text.split("RC = −1/ln μ = ")[1].split(" ")[0])
    assert rc == pytest.approx(-1 / np.log(0.9), rel=1e-3)  # μ = 0.9 at the defaults
    assert any("NPTEL" in c.value for c in at.caption)  # the sums-vs-mean erratum


def test_learning_rate_lab_names_gamma_opt_and_records_the_erratum():
    at = open_page(LR)
    text = " ".join(m.value for m in at.markdown)
    assert "gamma_{opt}" in text and "2\\gamma_{opt}" in text
    assert any("period 2" in m.value for m in at.markdown if "2γ_opt" in m.value)


def test_the_momentum_labs_three_runs_scrub_together():
    """#13: η moves GD, heavy ball and Nesterov together (GD at momentum's α = ηβ in EECS 182's
    notation), β the momentum runs; every bank row is that run alone at that value."""
    at = open_page("pages/3_Momentum.py")
    at.selectbox(key="mo_conv").set_value("ema").run()  # GD's α = ηβ: both axes move it
    r = with_banks(at)
    axes = [{a["name"]: a for a in run["axes"]} for run in r["runs"]]
    assert {a["group"] for run in axes for a in run.values()} == {"eta", "beta"}
    eta, beta = (
        float(at.select_slider(key="mo_eta").value),
        float(at.select_slider(key="mo_beta").value),
    )
    widget = axes[1]["lr"]["widget"]
    assert all(run["lr"]["widget"] == widget for run in axes)  # the rows line up
    assert len(widget) <= 65 and widget[axes[1]["lr"]["index"]] == eta
    s = get_surface("quadratic", kappa=50.0, angle_deg=0.0, scale=1.0)
    j = len(widget) // 3
    c = r["chunks"][axes[0]["lr"]["chunk"]]
    gd = viz.decode(c["xy"]).reshape(c["G"], c["F"], 2)[j]
    alone = optim.run(s, "gd", [s.starts[0]], 120, lr=widget[j] * beta)  # α = ηβ (ema)
    np.testing.assert_allclose(gd, alone.xy[:, 0], rtol=1e-5, atol=1e-6)
    c = r["chunks"][axes[2]["beta"]["chunk"]]
    b = axes[2]["beta"]["widget"][2]
    nesterov = viz.decode(c["xy"]).reshape(c["G"], c["F"], 2)[2]
    alone = optim.run(s, "nesterov", [s.starts[0]], 120, lr=eta, beta=b, convention="ema")
    np.testing.assert_allclose(nesterov, alone.xy[:, 0], rtol=1e-5, atol=1e-6)


def test_the_learning_rate_labs_scrubber_keeps_its_landmarks():
    at = open_page("pages/2_Learning_rate.py")
    r = with_banks(at)
    (axis,) = r["runs"][0]["axes"]
    unit = 1.0 / max(float(at.slider(key="lr_s1").value), float(at.slider(key="lr_s2").value)) ** 2
    for f in (0.5, 0.99, 1.0, 1.01):  # γ_opt, just stable, period 2, just diverging
        assert any(abs(v - f * unit) < 1e-9 for v in axis["values"]), f
    c = r["chunks"][axis["chunk"]]
    xy = viz.decode(c["xy"]).reshape(c["G"], c["F"], 2)
    s1, s2 = float(at.slider(key="lr_s1").value), float(at.slider(key="lr_s2").value)
    steep = int(s2 > s1)
    err = np.abs(xy[..., steep] - 1.0 / max(s1, s2))  # (G, F): the steep direction's error

    def row(f):
        return axis["values"].index(min(axis["values"], key=lambda v: abs(v - f * unit)))

    assert err[row(1.01), -1] > err[row(1.01), 0]  # beyond 1/σ_max² the row grows
    assert err[row(0.99), -1] < err[row(0.99), 0]  # below it, it shrinks
    assert err[row(0.5), 1] < 1e-6  # γ_opt: the steep direction in one step
    assert "curves" not in r  # the lab's own charts carry the curves


@pytest.mark.parametrize("features", ["raw", "centred", "standardized"])
def test_conditioning_on_the_exact_quadratic_matches_the_data_surface(features):
    """The Adaptive lab's normalization section steps the least-squares loss as the quadratic it
    is (L* + ½ dᵀHd, ~50× cheaper per step than a pass over the data): same steps to tol."""
    from optim import experiments

    s = get_surface("linear_regression", features=features)
    c = experiments.conditioning(s, s.starts[0], steps=400)
    x0 = np.array([s.starts[0]])
    gd = optim.run_summary(s, "gd", x0, 400, tol=1e-6, lr=c.eta_star)
    adam = optim.run_summary(s, "adam", x0, 400, tol=1e-6, lr=0.1)
    assert (c.gd_steps, c.adam_steps) == (int(gd.steps_to_tol[0]), int(adam.steps_to_tol[0]))
    exact = experiments.ExactQuadratic(s, s.constant_hessian())
    w = np.random.default_rng(0).normal(size=(5, 2))
    np.testing.assert_allclose(exact.f(w), s.f(w), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(exact.grad(w), s.grad(w), rtol=1e-9, atol=1e-12)


def test_the_momentum_lab_opens_where_beta_is_the_momentum_and_older_links_keep_their_meaning():
    """#27: the lab opened in EECS 182's notation, where β weighs the new gradient (a phone's tap
    to β = 0.7 made every run diverge). A fresh page is in PyTorch's notation with a bare address
    and says under β which way is more momentum; a link that moves η or β names its notation;
    a link without one (written when EECS 182's was the default) still opens in EECS 182's."""
    at = open_page(MO)
    assert at.selectbox(key="mo_conv").value == "pytorch" and dict(at.query_params) == {}
    assert at.select_slider(key="mo_beta").label == "β  (→ 1: more momentum)"
    labels = [r["label"] for r in race(at)["runs"]]
    assert labels[1].startswith("2. Momentum (PyTorch)") and labels[2].startswith(
        "3. Nesterov (PyTorch)"
    )
    at.select_slider(key="mo_beta").set_value(0.8).run()
    assert dict(at.query_params)["conv"] == "pytorch"
    old = open_link(MO, {"eta": "10", "beta": "0.2"})  # the gallery's question, as written
    assert link_notes(old) == []
    assert old.selectbox(key="mo_conv").value == "ema"
    assert old.select_slider(key="mo_beta").label == "β  (→ 0: more momentum)"
    alpha, mu = theory.to_pytorch(10.0, 0.2, "ema")
    assert (alpha, mu) == (pytest.approx(2.0), pytest.approx(0.8))
    assert float(_metric(old, "rate from theory")) == pytest.approx(
        float(theory.momentum_rate(alpha, mu, [1 / 50, 1.0])), abs=1e-4
    )


@pytest.mark.parametrize(
    ("surface", "axes"),
    [("sigmoid_neuron", ["w", "b"]), ("linear_regression", ["a", "b"]), ("booth", ["x", "y"])],
)
def test_a_maps_axes_are_named_as_the_text_names_them(surface, axes):
    """#27: the maps said x and y where the text says w and b."""
    at = open_link("pages/1_Playground.py", {"surface": surface})
    layout = race(at)["map"]["layout"]
    assert [layout["xaxis"]["title"]["text"].split()[0], layout["yaxis"]["title"]["text"]] == axes


def test_the_relu_units_notes_measure_note_001s_cauchy_dead_units():
    """#27: note 001 says b/w is Cauchy when w and b are normal, so some ReLU units start dead.
    The ReLU unit's notes say how many, measured: the share of 20 000 drawn units whose elbow
    falls outside the examples and the share the engine's gradient leaves exactly at 0, each
    within sampling error (4σ) of the Cauchy law's (atan hi − atan lo)/π."""
    import re

    at = open_link("pages/1_Playground.py", {"surface": "relu_neuron"})
    said = next(m.value for m in at.markdown if "Why units start dead" in m.value)
    outside, dead = (float(v) / 100 for v in re.findall(r"\*\*([\d.]+)%\*\*", said))
    (lo, hi) = [float(v) for v in re.search(r"range \[([-\d.]+), ([-\d.]+)\]", said).groups()]
    p_out = 1 - (np.arctan(hi) - np.arctan(lo)) / np.pi
    sigma = np.sqrt(p_out * (1 - p_out) / 20_000)
    assert abs(outside - p_out) < 4 * sigma + 5e-4
    assert abs(dead - p_out / 2) < 4 * np.sqrt(p_out / 2 * (1 - p_out / 2) / 20_000) + 5e-4
    assert f"Cauchy: {p_out:.1%}" in said
    assert not any("Why units start dead" in m.value for m in open_page(PG_PATH).markdown)


PG_PATH = "pages/1_Playground.py"


def test_the_sgd_labs_dance_is_measured_against_a_random_walk_of_its_own_steps():
    """#27 (note 001: oscillation against random-walk behaviour): under the dance, the constant-η
    run's mean squared displacement over lags against the same steps shuffled into a random walk;
    the sentence's numbers are the figure's, the walk's spread grows like τ × the mean squared
    step, and the dance's stays below it (the gradient pulls it back)."""
    import re

    at = open_page("pages/6_SGD.py")
    fig = next(f for f in specs(at) if f["data"][0]["name"] == "the constant-η run's dance")
    dance, walk = (viz.decode(d["y"]) for d in fig["data"])
    said = next(m.value for m in at.markdown if "A dance, not a walk" in m.value)
    step2 = float(re.search(r"grows like τ × ([\d.e+-]+)", said).group(1))
    lag = len(walk)
    assert f"({walk[-1]:.3g} at τ = {lag}" in said and f"to {dance[-1]:.3g}:" in said
    assert dance[0] == pytest.approx(walk[0], rel=0.25)  # the same steps: alike at first
    assert walk[-1] == pytest.approx(lag * step2, rel=0.5)  # a random walk: ~τ × E|Δ|²
    assert dance[-1] < walk[-1] / 3


def test_the_sgd_labs_map_magnifies_both_last_quarters_about_the_minimum():
    """#27 item 2: the race map drew both runs' ends as one blob on the star. The map itself now
    holds a card in an empty corner with each run's last quarter magnified about w*: the
    constant-η run's cloud is wider than the decaying run's by the ratio the metrics state, every
    point hovers with its true coordinates, and no path crosses the card."""
    from tests.helpers import paths

    at = open_page("pages/6_SGD.py")
    spec = race(at)
    static = spec["map"]["static"]
    const, decay = (t for t in static if t.get("name", "").endswith("(zoomed)"))
    true = [np.array(t["customdata"]) for t in (const, decay)]
    star = np.asarray(get_surface("linear_regression").minima[0])
    d_const, d_decay = (np.mean(np.linalg.norm(p - star, axis=1)) for p in true)
    assert d_const == pytest.approx(
        float(_metric(at, "mean distance to w*, last quarter")), rel=5e-3
    )
    assert d_decay == pytest.approx(float(_metric(at, "… with decay")), rel=5e-3)  # 3 digits
    assert d_const > 2 * d_decay
    card, square = spec["map"]["layout"]["shapes"]
    title = spec["map"]["layout"]["annotations"][0]["text"]
    zoom = float(title.split("×")[1].split()[0])
    cx, cy = (card["x0"] + card["x1"]) / 2, (card["y0"] + card["y1"]) / 2
    for t, p in zip((const, decay), true):  # drawn at centre + zoom·(p − w*), inside the card
        drawn = np.stack([t["x"], t["y"]], axis=1)
        np.testing.assert_allclose(drawn, (cx, cy) + zoom * (p - star), rtol=1e-3, atol=1e-4)
        assert card["x0"] <= drawn[:, 0].min() and drawn[:, 0].max() <= card["x1"]
        assert card["y0"] <= drawn[:, 1].min() and drawn[:, 1].max() <= card["y1"]
    assert square["x0"] < star[0] < square["x1"] and square["y0"] < star[1] < square["y1"]
    assert title.startswith("last 150 steps")
    for xy in paths(at).values():
        inside = (xy[:, 0] > card["x0"]) & (xy[:, 0] < card["x1"])
        inside &= (xy[:, 1] > card["y0"]) & (xy[:, 1] < card["y1"])
        assert not inside.any()
