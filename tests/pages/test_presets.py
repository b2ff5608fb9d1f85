"""The presets gallery: every preset is a link that loads cleanly and shows what its card says."""

from __future__ import annotations

from urllib.parse import urlencode

import numpy as np
import pytest

import optim
from optim.grids import lr_grid
from surfaces import get_surface
from tests.helpers import controls, link_notes, open_link, open_page, paths, specs
from ui.cache import surface_of
from ui.presets import PG, PRESETS

BY_SLUG = {p.slug: p for p in PRESETS}


def engine(slug: str) -> list[optim.Trajectory]:
    """The preset's picture run by the engine directly, in float64."""
    p = BY_SLUG[slug]
    s = surface_of(p.surface)
    start = p.start or s.starts[0]
    specs = [optim.RunSpec(name, [start], hp) for name, hp in p.runs]
    # a card's gradient noise, as the Playground draws it: every run in one call, seed 0
    options = optim.RunOptions(batch_size=p.batch, noise=p.extra.get("noise"), seed=0)
    return optim.run_many(s, specs, p.steps, options=options)


def test_seventeen_presets_with_unique_names_and_rates_on_the_playground_grid():
    assert len(PRESETS) == 17
    assert len({p.slug for p in PRESETS}) == len({p.title for p in PRESETS}) == 17
    for p in PRESETS:
        if p.page == PG:  # the link carries exactly the η the card (and the test) runs
            s = surface_of(p.surface)
            for name, hp in p.runs:
                grid, _ = lr_grid(s, name, hp.get("convention"))
                assert hp["lr"] in grid, (p.slug, name, hp["lr"])


@pytest.mark.parametrize("slug", list(BY_SLUG))
def test_each_preset_loads_as_a_link_without_a_note(slug):
    p = BY_SLUG[slug]
    at = open_link(p.page, p.query)
    assert link_notes(at) == []
    written = dict(at.query_params)
    for name, value in p.query.items():  # kept as given, or dropped because it is the default
        assert written.get(name, controls(at)[name].default) == value, name
    assert not [w for w in at.warning if "diverged" in w.value] or slug in ("saddle", "edge")
    if p.page == PG:
        drawn = list(paths(at).values())
        for path, t in zip(drawn, engine(slug), strict=True):
            n = min(len(path), t.xy.shape[0])
            finite = np.isfinite(t.xy[:n, 0]).all(-1)
            np.testing.assert_allclose(path[:n][finite], t.xy[:n, 0][finite], rtol=1e-5, atol=1e-5)


def test_gallery_shows_every_preset_with_its_link_and_picture():
    at = open_page("pages/7_Gallery.py")
    links = [e.proto for e in at.get("page_link") if e.proto.label.startswith("Open")]
    assert sorted(urlencode(p.query) for p in PRESETS) == sorted(pl.query_string for pl in links)
    assert len(at.get("image")) == len(PRESETS) == 17


def test_zigzag_bounces_across_the_valley_only_near_the_limit():
    near, safe = engine("zigzag")
    s = surface_of(BY_SLUG["zigzag"].surface)
    steep = np.linalg.eigh(s.hess(np.zeros(2)))[1][:, -1]  # the steep direction
    across = [t.xy[1:40, 0] @ steep for t in (near, safe)]
    assert np.all(np.diff(np.sign(across[0])) != 0)  # flips side every step
    assert np.all(np.abs(across[1][5:]) < 1e-6)  # η = 1/λ_max: straight to the floor
    assert near.diverged_at[0] < 0 and safe.diverged_at[0] < 0


def test_momentum_overshoots_the_minimum_and_gd_does_not():
    gd, mom = engine("overshoot")
    assert mom.xy[:, 0, 0].max() > 0.5 and gd.xy[:, 0, 0].max() < 0  # the minimum is at x = 0
    assert mom.loss[-1, 0] < gd.loss[-1, 0]


def test_nesterov_damps_the_rattle_of_the_heavy_ball():
    hb, nag = engine("nesterov")
    rattle = [np.abs(t.xy[10:60, 0, 1]).mean() for t in (hb, nag)]
    assert rattle[1] < rattle[0] / 10
    assert nag.loss[-1, 0] < hb.loss[-1, 0]


def test_adagrad_stalls_where_rmsprop_goes_on():
    ada, rms = engine("adagrad_stalls")
    assert ada.loss[-1, 0] > 5 * rms.loss[-1, 0]
    assert np.all(np.diff(ada.eff_lr[:, 0], axis=0) <= 1e-15)  # AdaGrad's step never rises


def test_adam_leaves_the_saddle_more_than_twice_as_fast():
    gd, adam = engine("saddle")
    leave = [int(np.argmax(np.abs(t.xy[:, 0, 1]) > 1.0)) for t in (gd, adam)]
    assert 0 < leave[1] < leave[0] / 2


def test_edge_of_divergence_preset_shows_the_oscillating_regime_and_fig1():
    p = BY_SLUG["edge"]
    at = open_link(p.page, p.query)
    assert any("[oscillating]" in m.value for m in at.markdown if "-badge[" in m.value)
    names = " ".join(str(d.get("name")) for d in specs(at)[0]["data"])
    assert "(slow, 0.1/σ²)" in names and "(diverging, 1.05/σ²)" in names  # Fig. 1 beside it


def test_sgd_dance_settles_with_decay():
    p = BY_SLUG["sgd_dance"]
    at = open_link(p.page, p.query)
    metrics = {m.label: m.value for m in at.metric}
    const = float(metrics["mean distance to w*, last quarter, constant η"])
    assert float(metrics["… with decay"]) < 0.7 * const


def test_bias_correction_preset_first_steps():
    with_bc, without = engine("bias_correction")
    first = [np.abs(t.xy[1, 0] - t.xy[0, 0]) / 0.1 for t in (with_bc, without)]
    np.testing.assert_allclose(first[0], 1.0, rtol=1e-6)
    np.testing.assert_allclose(first[1], 0.1 / np.sqrt(0.001), rtol=1e-4)


def test_banana_and_beale_races():
    gd, mom, nag, adam = engine("banana")
    assert adam.loss[-1, 0] < 1e-3 < 1.0 < gd.loss[-1, 0]
    assert max(mom.loss[-1, 0], nag.loss[-1, 0]) < 0.01
    finals = [float(t.loss[-1, 0]) for t in engine("beale")]
    assert finals[0] == max(finals) and max(finals[2:]) < 0.01


def _relu_gap(traj, s):
    return traj.loss[-1, 0] - s.f_min


def test_relu_elbow_preset_every_run_brings_the_elbow_to_the_bend():
    s = surface_of(BY_SLUG["relu_elbow"].surface)
    for t in engine("relu_elbow"):
        w, b = t.xy[-1, 0]
        assert _relu_gap(t, s) < 1e-5, t.label()
        assert -b / w == pytest.approx(0.6, abs=0.05)  # the elbow at the data's bend
        w0 = t.xy[0, 0, 0]
        assert w0 < 0 < w  # it turned round


def test_dead_relu_preset_gd_and_adam_stop_in_the_flat_region_momentum_gets_through():
    s = surface_of(BY_SLUG["dead_relu"].surface)
    gd, momentum, adam = engine("dead_relu")
    dead = 0.5 * np.mean(s.Y**2) - s.f_min  # the loss gap where the unit is off everywhere
    for t in (gd, adam):
        assert _relu_gap(t, s) > 0.95 * dead, t.label()  # far from the fit
        assert np.abs(t.grad[-1, 0]).max() < 0.02  # the gradient has all but vanished
        assert t.loss[-51, 0] - t.loss[-1, 0] < 1e-3  # stalled: the last 50 steps gain nothing
        z = t.xy[-1, 0, 0] * s.X[:, 0] + t.xy[-1, 0, 1]
        on = z > 0
        assert on.sum() <= 4 and np.all(np.abs(s.Y[on]) < 0.3)  # on only where y ≈ 0 (noise 0.1)
    assert _relu_gap(momentum, s) < 1e-5
    assert np.all(adam.grad[-1, 0] == 0)  # Adam's unit is off for every example: exactly 0


def test_relu_gradient_is_the_pytorch_subgradient():
    """Away from the kinks: central differences. At a kink (w x_i + b = 0): relu′(0) = 0."""
    s = get_surface("relu_neuron")
    rng = np.random.default_rng(1)
    for w in rng.uniform(-3, 3, (20, 2)):
        z = w[0] * s.X[:, 0] + w[1]
        if np.min(np.abs(z)) < 1e-3:
            continue
        h = 1e-6
        num = [(s.f(w + e) - s.f(w - e)) / (2 * h) for e in (np.array([h, 0]), np.array([0, h]))]
        np.testing.assert_allclose(s.grad(w), num, rtol=1e-6, atol=1e-8)
    x0 = float(s.X[5, 0])
    w = np.array([1.0, -x0])  # example 5 exactly at the kink
    on = (w[0] * s.X[:, 0] + w[1]) > 0
    r = np.where(on, w[0] * s.X[:, 0] + w[1], 0.0) - s.Y
    expect = [np.mean(r * on * s.X[:, 0]), np.mean(r * on)]
    np.testing.assert_allclose(s.grad(w), expect, rtol=1e-12)
    dead = np.array([0.5, -2.5])  # off for every example: flat, gradient exactly 0
    assert np.all(s.grad(dead) == 0) and s.f(dead) == pytest.approx(0.5 * np.mean(s.Y**2))


def test_schedule_free_ends_ten_times_lower_than_sgd_at_the_same_constant_step():
    p = BY_SLUG["schedule_free"]
    at = open_link(p.page, p.query)
    sgd, sf = engine("schedule_free")
    for path, t in zip(paths(at).values(), (sgd, sf), strict=True):  # the page's own runs
        np.testing.assert_allclose(path, t.xy[: len(path), 0], rtol=1e-5, atol=1e-5)
    assert sgd.loss[-50:, 0].mean() > 10 * sf.loss[-50:, 0].mean()


def test_sam_leaves_the_sharp_well_for_the_flat_one_and_gd_does_not():
    gd, sam = engine("sam_flat")
    s = get_surface("sharp_flat")
    sharp, flat = np.array(s.minima[0]), np.array(s.local_minima[0])
    assert np.linalg.norm(gd.xy[-1, 0] - sharp) < 0.01
    assert np.linalg.norm(sam.xy[-1, 0] - flat) < 0.05
    # the flat well's curvature is ~11× lower: the reason SAM stays there
    h = np.array(s.hess(np.array([sharp, flat])))
    assert np.linalg.eigvalsh(h[0])[-1] > 10 * np.linalg.eigvalsh(h[1])[-1]


def test_the_wsd_card_opens_the_river_valley_race_at_its_settings():
    from optim import experiments

    p = BY_SLUG["wsd_river"]
    at = open_link(p.page, p.query)
    said = next(m.value for m in at.markdown if m.value.startswith("**One budget**"))
    r = experiments.schedule_race(get_surface("river_valley"), 0.08, p.extra["noise"], p.steps)
    med = np.median(r.final, axis=1)
    assert med[2] < med[1] and med[2] < med[0]  # WSD lowest; the card's story
    assert f"WSD **{med[2]:.3g}**" in said and f"cosine **{med[1]:.3g}**" in said
    assert r.wsd_wins >= 8 and f"**{r.wsd_wins} of 10**" in said


def test_the_muon_card_opens_the_lab_with_muon_and_its_numbers_hold():
    from optim import experiments
    from surfaces.matrix import associative_memory

    p = BY_SLUG["muon_memory"]
    at = open_link(p.page, p.query)
    assert not at.exception
    assert any("Muon η=0.02" in m.value for m in at.markdown)  # Muon runs in the lab
    memory = associative_memory()
    r = experiments.matrix_race(memory, 200)
    rare = np.argsort(memory.curvature)[:16]
    err = r.key_errors[:, rare].mean(axis=1)
    assert err[2] * 50 < min(err[0], err[1])  # "~80× closer" (81.9 at these settings)
    # the picture: Muon on a vector moves 0.70η a step
    _, muon = engine("muon_memory")
    steps = np.linalg.norm(np.diff(muon.xy[:, 0], axis=0), axis=1)
    np.testing.assert_allclose(steps, 0.1 * 0.6964364, rtol=1e-6)


def test_the_edge_card_opens_the_five_step_sizes_with_their_regimes():
    p = BY_SLUG["edge_of_stability"]
    at = open_link(p.page, p.query)
    said = next(m.value for m in at.markdown if "**η = 0.25: edge of stability.**" in m.value)
    for words in (
        "**η = 0.05: stable.**",
        "**η = 0.5: edge of stability.**",
        "**η = 0.8: catapult.**",
        "**η = 1: divergent.**",
    ):
        assert words in said
