"""Every page under Streamlit's AppTest: no exception, widgets drive the figures, bad input is a message.

Pages run from ``app.py`` with ``switch_page`` (automatic page discovery, as in production).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

import optim
import viz
from surfaces import get_surface
from tests.helpers import (
    PG,
    ROOT,
    figures,
    open_link,
    open_page,
    paths,
    race,
    races,
    specs,
    with_banks,
)
from ui.frame import PAGES


def test_every_page_runs_without_exception():
    for path, *_ in PAGES:
        at = open_page(path)
        assert at.title, path


def test_home_page_links_every_page():
    at = open_page()
    links = [e.proto.page for e in at.get("page_link")]  # url path: "" home, "Playground", …
    for path, *_ in PAGES:
        name = "" if path == "app.py" else Path(path).stem.split("_", 1)[1]
        assert name in links
    for path, *_ in PAGES[1:]:  # the sidebar and the home page's list both link it
        assert links.count(Path(path).stem.split("_", 1)[1]) == 2


def test_playground_default_view():
    at = open_page(PG)
    r = race(at)
    assert "surface3d" not in r  # the 3D view is drawn on request
    assert r["curves"]["loss"]["yaxis"]["type"] == "log" and r["curves"]["dist"] is not None
    assert r["frames"]["steps"] == list(range(151))
    assert [x["label"].split()[1] for x in r["runs"]] == ["GD", "Momentum", "Adam"]
    # every run scrubs η; momentum and Adam their β (β₁) too; each bank holds 151 steps
    assert [[a["name"] for a in x["axes"]] for x in r["runs"]] == [
        ["lr"],
        ["lr", "beta"],
        ["lr", "beta1"],
    ]
    banks = {a["chunk"] for x in r["runs"] for a in x["axes"]}
    assert not banks & set(r["chunks"])  # the banks come when a scrubber is approached
    r = with_banks(at)
    for x in r["runs"]:
        for a in x["axes"]:
            assert r["chunks"][a["chunk"]]["F"] == 151 and len(a["values"]) >= 15
    at.toggle(key="pg_3d_on").set_value(True).run()
    r3 = race(at)
    assert "scene" in r3["surface3d"]["layout"]
    assert not r3["chunks"].get(r["map"]["image"]["chunk"])  # the field was sent already
    total = len(at.get("bidi_component")[0].proto.json) + sum(len(f.json) for f in figures(at))
    assert total < 1_000_000  # the default playground's figures and banks together


def test_a_bank_row_is_the_run_at_that_value():
    """The scrubber shows bank rows: each is the engine's run at that η (or β), alone."""
    at = open_page(PG)
    r = with_banks(at)
    s = get_surface("quadratic", kappa=50.0, angle_deg=0.0, scale=1.0)
    momentum = r["runs"][1]
    for a in momentum["axes"]:
        c = r["chunks"][a["chunk"]]
        xy = viz.decode(c["xy"]).reshape(c["G"], c["F"], 2)
        hp = {"lr": float(at.select_slider(key="pg_r1_momentum_lr").value), "beta": 0.9}
        for j in (0, len(a["values"]) // 2, len(a["values"]) - 1):
            alone = optim.run(
                s, "momentum", [s.starts[0]], 150, **{**hp, a["name"]: a["values"][j]}
            )
            np.testing.assert_allclose(xy[j], alone.xy[:, 0], rtol=1e-5, atol=1e-6)
            assert c["div"][j] == alone.diverged_at[0]
        assert a["values"][a["index"]] == hp[a["name"]]
    # moving η reuses the η bank (it does not depend on η) and sends only the changed chunks
    at.select_slider(key="pg_r0_gd_lr").set_value(0.47).run()
    r2 = race(at)
    assert r2["runs"][0]["axes"][0]["chunk"] == r["runs"][0]["axes"][0]["chunk"]
    assert r2["chunks"] == {}  # GD has no β bank: nothing new to send


def test_learning_rate_slider_moves_the_path():
    at = open_page(PG)
    before = paths(at)
    at.select_slider(key="pg_r0_gd_lr").set_value(0.47).run()
    assert not at.exception
    after = paths(at)
    gd_before = next(v for k, v in before.items() if " GD " in k)
    gd_after = next(v for k, v in after.items() if " GD " in k)
    assert not np.allclose(gd_before, gd_after)
    assert next(k for k in after if " GD " in k) != next(k for k in before if " GD " in k)


def test_surface_and_its_parameters_drive_the_field():
    at = open_page(PG)
    bg = race(at)["map"]["image"]["chunk"]
    at.slider(key="pg_quadratic_angle_deg").set_value(30.0).run()
    r = race(at)
    assert r["map"]["image"]["chunk"] != bg and r["chunks"][r["map"]["image"]["chunk"]]["png"]
    at.selectbox(key="pg_surface").set_value("himmelblau").run()
    assert not at.exception
    stars = [d for d in race(at)["map"]["static"] if d.get("name") == "global minimum"]
    assert len(viz.decode(stars[0]["x"])) == 4
    # the start moved to Himmelblau's first suggestion
    assert (at.number_input(key="pg_x0").value, at.number_input(key="pg_y0").value) == (0.0, 0.0)


def test_add_remove_and_change_runs():
    at = open_page(PG)
    at.button(key="pg_add").click().run()
    assert len(paths(at)) == 4
    at.selectbox(key="pg_r3_opt").set_value("momentum").run()  # the same optimizer twice is fine
    assert sum(" Momentum " in k for k in paths(at)) == 2
    at.button(key="pg_r0_remove").click().run()
    assert len(paths(at)) == 3 and not any(" GD " in k for k in paths(at))
    while len(paths(at)) < 8:
        at.button(key="pg_add").click().run()
    assert len(paths(at)) == 8
    assert not [b for b in at.button if b.key == "pg_add"]  # no ninth run


def test_convention_switch_changes_the_formula_and_the_default_rate():
    at = open_page(PG)
    latex = [e.value for e in at.latex]
    at.selectbox(key="pg_r1_momentum_convention").set_value("ema").run()
    assert not at.exception
    new = [e.value for e in at.latex]
    assert new != latex and any(r"(1-\beta)" in x or "1 - \\beta" in x for x in new)
    # the run keeps its motion: PyTorch (η, β) = (0.16, 0.9) is EECS 182 (η/(1−β), 1−β) = (1.6, 0.1)
    lr = at.select_slider(key="pg_r1_momentum_lr").value
    beta = at.select_slider(key="pg_r1_momentum_beta").value
    assert (float(lr), float(beta)) == (pytest.approx(1.6), pytest.approx(0.1))
    at.selectbox(key="pg_r1_momentum_convention").set_value("heavy_ball").run()
    lr = at.select_slider(key="pg_r1_momentum_lr").value
    beta = at.select_slider(key="pg_r1_momentum_beta").value
    assert (float(lr), float(beta)) == (pytest.approx(0.16), pytest.approx(0.9))


def test_steps_schedule_noise_and_clipping_drive_the_runs():
    at = open_page(PG)
    at.slider(key="pg_steps").set_value(400).run()
    c = race(at)
    assert len(c["frames"]["steps"]) == 151 and c["frames"]["steps"][-1] == 400
    base = paths(at)
    at.selectbox(key="pg_schedule").set_value("step").run()
    assert not at.exception and paths(at).keys() == base.keys()
    assert any(
        not np.allclose(a, b, equal_nan=True) for a, b in zip(paths(at).values(), base.values())
    )
    assert len(specs(at)) == 1  # the schedule's curve (the map, curves, 3D are the race view)
    at.select_slider(key="pg_noise").set_value(1.0).run()
    noisy = paths(at)
    r = race(at)  # noise: no banks (each η would draw other noise), and the page says why
    assert all(not x["axes"] for x in r["runs"]) and "noise" in r["note"]
    at.number_input(key="pg_seed").set_value(7).run()
    assert any(
        not np.allclose(a, b, equal_nan=True) for a, b in zip(paths(at).values(), noisy.values())
    )
    at.selectbox(key="pg_clip").set_value("norm").run()
    assert not at.exception


def test_minibatches_on_a_data_surface():
    at = open_page(PG)
    at.selectbox(key="pg_surface").set_value("linear_regression").run()
    full = paths(at)
    at.slider(key="pg_batch").set_value(5).run()
    assert not at.exception
    assert any(not np.allclose(a, b) for a, b in zip(paths(at).values(), full.values()))
    at.radio(key="pg_sampling").set_value("replacement").run()
    assert not at.exception


def test_click_on_the_map_and_suggested_starts_set_the_start():
    at = open_page(PG)
    at.session_state["pg_x0"], at.session_state["pg_y0"] = 1.25, -0.5  # what a click sets
    at.run()
    assert (at.number_input(key="pg_x0").value, at.number_input(key="pg_y0").value) == (1.25, -0.5)
    for p in paths(at).values():
        np.testing.assert_allclose(p[0], [1.25, -0.5], rtol=1e-6)
    at.number_input(key="pg_x0").set_value(2.0).run()
    assert all(p[0, 0] == 2.0 for p in paths(at).values())


def test_huge_learning_rate_is_shown_as_diverged():
    at = open_page(PG)
    slider = at.select_slider(key="pg_r0_gd_lr")
    slider.set_value(float(slider.options[-1])).run()
    assert not at.exception
    assert any("diverged at step" in w.value for w in at.warning)
    assert race(at)["runs"][0]["diverged_at"] > 0  # the browser draws its ✕ at that step


def _controls(at: AppTest) -> dict:
    kinds = ("slider", "select_slider", "number_input", "selectbox", "toggle", "radio")
    return {w.key: w.value for kind in kinds for w in getattr(at, kind) if w.key}


def test_formula_surface_and_bad_formulas_show_a_message():
    at = open_page(PG)
    at.selectbox(key="pg_surface").set_value("formula").run()
    assert not at.exception and paths(at)
    at.text_input(key="pg_formula").set_value("x^4 - 2x^2 + y^2").run()
    good = paths(at)
    assert not at.exception and good
    for bad in [
        "__import__('os')",
        "x +",
        "9**9**9**9",
        "foo(x)",
        "",
        "sqrt(-1)",
        "exp(exp(3e4))*x",
    ]:
        at.text_input(key="pg_formula").set_value(bad).run()
        assert not at.exception, bad
        assert len(at.error) == 1 and "last formula that worked" in at.error[0].value, bad
        # the figures stay, drawn for the last formula that worked
        assert paths(at).keys() == good.keys(), bad
        for name, path in paths(at).items():
            np.testing.assert_array_equal(path, good[name])
    at.text_input(key="pg_formula").set_value("x^2 + y^2").run()
    at.number_input(key="pg_xmin").set_value(5.0).run()  # xmin > xmax
    assert not at.exception and at.error


def test_a_bad_formula_leaves_every_other_control_as_it_was():
    """Typing a typo, then a good formula, changes nothing but the formula (issue: every control
    jumped to its minimum, and the next touch wrote that into the URL)."""
    at = open_page(PG)
    at.selectbox(key="pg_surface").set_value("formula").run()
    at.slider(key="pg_steps").set_value(300).run()
    at.select_slider(key="pg_speed").set_value(2.0).run()
    at.number_input(key="pg_x0").set_value(1.5).run()
    before, url = _controls(at), dict(at.query_params)
    at.text_input(key="pg_formula").set_value("x^^2").run()
    assert at.error and not at.exception
    assert _controls(at) == before
    at.text_input(key="pg_formula").set_value("x^2 + 10 y^2").run()  # the default text
    assert not at.error and not at.exception
    assert _controls(at) == before
    assert dict(at.query_params) == url


def test_extreme_sliders_never_raise():
    at = open_page(PG)
    kappa = at.select_slider(key="pg_quadratic_kappa")
    kappa.set_value(float(kappa.options[-1])).run()
    at.slider(key="pg_steps").set_value(1000).run()
    for key in ("pg_r1_momentum_beta", "pg_r2_adam_beta1", "pg_r2_adam_beta2"):
        s = at.select_slider(key=key)
        for v in (s.options[0], s.options[-1]):
            s.set_value(float(v)).run()
            assert not at.exception, (key, v)
    at.selectbox(key="pg_surface").set_value("ackley").run()
    assert not at.exception
    at.selectbox(key="pg_surface").set_value("goldstein_price").run()
    assert not at.exception


def test_newton_is_offered_only_where_there_is_a_hessian():
    at = open_page(PG)
    at.selectbox(key="pg_r0_opt").set_value("newton").run()
    assert not at.exception and any(" Newton " in k for k in paths(at))
    at.selectbox(key="pg_surface").set_value("ackley").run()  # no analytic Hessian
    assert not at.exception
    assert "newton" not in at.selectbox(key="pg_r0_opt").options
    assert at.selectbox(key="pg_r0_opt").value == "gd"


def test_csv_table_has_every_run():
    at = open_page(PG)
    assert len(at.dataframe) == 0  # the inspector's only when open, the trajectories on request
    at.toggle(key="pg_table").set_value(True).run()
    df = at.dataframe[-1].value
    assert set(df["run"]) == {1, 2, 3} and len(df) == 3 * 151
    assert {"x", "y", "loss", "grad_x", "lr"} <= set(df.columns)


def test_suggested_start_pill_moves_the_start_and_clears_itself():
    at = open_page(PG)
    (pills,) = at.get("button_group")
    pills.set_value("(2, -1)").run()
    assert not at.exception
    assert (at.number_input(key="pg_x0").value, at.number_input(key="pg_y0").value) == (2.0, -1.0)
    assert at.get("button_group")[0].value is None
    assert all(p[0].tolist() == [2.0, -1.0] for p in paths(at).values())


def test_animation_speed_sets_the_frame_duration():
    at = open_page(PG)
    assert race(at)["duration"] == 60
    at.select_slider(key="pg_speed").set_value(2.0).run()
    assert race(at)["duration"] == 30


def test_projector_mode_enlarges_the_figures_and_is_kept_across_pages():
    at = open_page(PG)
    assert race(at)["map"]["layout"]["font"]["size"] == viz.Look().font
    at.toggle(key="projector_Playground").set_value(True).run()
    c = race(at)
    assert c["map"]["layout"]["font"]["size"] == viz.Look.projector().font
    assert c["line"] == viz.Look.projector().line
    assert any("font-size: 20px" in m.value for m in at.markdown)
    at.switch_page("pages/2_Learning_rate.py").run()
    assert not at.exception
    assert at.toggle(key="projector_Learningratelab").value is True
    assert all(s["layout"]["font"]["size"] == viz.Look.projector().font for s in specs(at))
    at.toggle(key="projector_Learningratelab").set_value(False).run()
    at.switch_page(PG).run()
    assert race(at)["map"]["layout"]["font"]["size"] == viz.Look().font


def test_step_inspector_shows_the_engine_numbers_and_the_arrows():
    import optim
    from surfaces import get_surface

    at = open_page(PG)
    assert not any(f.key == "pg_inspector" for f in figures(at))  # closed: not drawn
    at.session_state["pg_inspector_open"] = True  # the reader opens the inspector
    at.run()
    at.slider(key="pg_inspect").set_value(7).run()
    assert not at.exception
    shown = at.dataframe[0].value  # a quantity a row, a run a column (it fits 1440 px)
    assert list(shown.columns) == [r["label"] for r in race(at)["runs"]]
    table = shown.T
    assert table.isna().sum().sum() == 0  # a value a run does not have reads "—", never None
    s = get_surface("quadratic", kappa=50.0, angle_deg=0.0, scale=1.0)  # the default surface
    adam = optim.run(s, "adam", np.array([s.starts[0]]), 150, lr=0.1)
    row = table.iloc[2]
    g = adam.grad[7, 0]
    assert row["∇L(w_k)"] == f"({g[0]:.4g}, {g[1]:.4g})"
    assert "None" not in table.to_string() and "nan" not in table.to_string()
    assert float(row["η_k"]) == pytest.approx(0.1)
    step = adam.xy[8, 0] - adam.xy[7, 0]
    assert row["step w_{k+1} − w_k"] == f"({step[0]:.4g}, {step[1]:.4g})"
    assert row["bias-corrected first moment"].startswith("(")
    taken_name = viz.inspector.ARROWS[0][0]
    insp = next(f for f in specs(at) if any(d.get("name") == taken_name for d in f["data"]))
    iso = insp["data"][0]  # the field's iso-lines as vectors (#27: a raster's stairs before)
    assert iso["mode"] == "lines" and iso["hoverinfo"] == "skip" and not iso["showlegend"]
    solid = [d for d in insp["data"] if d.get("name") == taken_name]
    assert {d["line"]["dash"] for d in solid} == {"solid"}
    heads = {(round(d["x"][1], 5), round(d["y"][1], 5)) for d in solid}
    assert (round(float(adam.xy[8, 0, 0]), 5), round(float(adam.xy[8, 0, 1]), 5)) in heads


def test_inspector_separates_nesterovs_look_ahead_gradient():
    """#14: for Nesterov (EECS 182 form) ∇L(w_k) and the gradient used (at the look-ahead point)
    are separate columns, with the look-ahead point; the map draws the point."""
    at = open_link(
        PG, {"runs": "gd,nesterov", "r2_convention": "ema", "r2_beta": "0.5", "inspect": "5"}
    )  # a link to a step opens the inspector there
    from ui.cache import GRADIENT_POINT

    table = at.dataframe[0].value.T
    assert {"g_k (gradient used)", "∇L(w_k)", GRADIENT_POINT} <= set(table.columns)
    gd, nag = table.iloc[0], table.iloc[1]
    assert gd["g_k (gradient used)"] == gd["∇L(w_k)"] and gd[GRADIENT_POINT] == "—"
    assert nag["g_k (gradient used)"] != nag["∇L(w_k)"] and nag[GRADIENT_POINT] != "—"
    insp = next(
        f for f in specs(at) if any("look-ahead" in (d.get("name") or "") for d in f["data"])
    )
    point = next(d for d in insp["data"] if (d.get("name") or "").startswith("look-ahead point"))
    assert f"({point['x'][1]:.4g}, {point['y'][1]:.4g})" == nag[GRADIENT_POINT]


def test_every_chart_has_an_accessible_name_saying_what_it_shows():
    for path, *_ in PAGES:
        at = open_page(path)
        for f in figures(at):
            alt = f.view["alt"]
            assert len(alt) > 30, (path, f.key, alt)
            names = [d.get("name") for d in f.spec["data"] if d.get("name")]
            assert all(n in alt for n in names[:3]), (path, f.key, alt, names)


def test_runs_differ_by_dash_and_marker_not_by_colour_alone():
    at = open_page(PG)
    at.button(key="pg_add").click().run()
    runs = race(at)["runs"]  # the map and the curves draw each run with its dash and marker
    styles = {(r["dash"], r["symbol"]) for r in runs}
    assert len(runs) == 4 and len(styles) == 4 and len({r["dash"] for r in runs}) == 4


def test_the_default_playground_tells_its_surface_story():
    """#14: 'the zig-zag of GD, the cure of momentum' — at the defaults GD zig-zags (the steep
    coordinate changes sign every step) and momentum reaches the tolerance first (GD at η = 1
    dropped to the valley floor in one step and won)."""
    at = open_page(PG)
    p = paths(at)
    gd = next(v for k, v in p.items() if k.startswith("1. GD"))
    steep = gd[:6, 1]
    assert np.all(np.sign(steep[1:]) != np.sign(steep[:-1]))
    line = next(m.value for m in at.markdown if m.value.startswith("🏁"))
    assert "1. GD" in line and "not within 150 steps" in line.split(";")[0]
    momentum = int(line.split(";")[1].rsplit("step ", 1)[1])
    assert momentum < 150


def test_an_undefined_start_and_a_jump_across_a_pole_are_told_apart_from_a_large_step():
    """#14: log(x) + y² started at x < 0 'diverged at step 0' with advice to lower η; 1/x + y²
    jumped across its pole silently."""
    at = open_link(PG, {"surface": "formula", "formula": "log(x) + y^2", "x0": "-1", "y0": "1"})
    warnings = " ".join(w.value for w in at.warning)
    assert "cannot start" in warnings and "smaller learning rate would not help" in warnings
    at = open_link(
        PG, {"surface": "formula", "formula": "1/x + y^2", "x0": "-0.5", "y0": "1", "runs": "gd"}
    )
    warnings = " ".join(w.value for w in at.warning)
    assert "jumped across a singularity" in warnings, warnings


def test_nesterovs_look_ahead_points_on_the_map_on_request():
    """#15: the look-ahead point ∇L(w − η(1−β)a) is computed; a toggle draws it on the map."""
    at = open_link(PG, {"runs": "gd,nesterov", "r2_convention": "ema", "r2_beta": "0.5"})
    assert "trail" not in race(at)["runs"][1]
    at.toggle(key="pg_lookahead").set_value(True).run()
    trail = {"x": viz.decode(race(at)["runs"][1]["trail"]).reshape(-1, 2)[:, 0]}
    s = get_surface("quadratic", kappa=50.0, angle_deg=0.0, scale=1.0)
    run = optim.run(
        s,
        "nesterov",
        np.array([s.starts[0]]),
        150,
        lr=float(at.select_slider(key="pg_r1_nesterov_lr").value),
        beta=0.5,
        convention="ema",
    )
    np.testing.assert_allclose(trail["x"], run.state["lookahead"][:, 0, 0], rtol=1e-6)
    plain = open_page(PG)  # no Nesterov run: no toggle
    assert not [t for t in plain.toggle if t.key == "pg_lookahead"]


def test_schedule_free_and_sam_draw_their_other_points_on_request():
    """#28: Schedule-Free's path is x; the toggle adds where it took each gradient (y) and its SGD
    sequence z; SAM's adds its ascent points. Each is the engine's own record."""
    at = open_link(PG, {"runs": "sf_sgd,sam"})
    assert "trail" not in race(at)["runs"][0]
    at.toggle(key="pg_lookahead").set_value(True).run()
    assert not at.exception
    sf, sam = race(at)["runs"][:2]
    assert sf["trail_name"] == "gradient point y" and sam["trail_name"] == "ascent point"
    assert "base" in sf and "base" not in sam
    s = get_surface("quadratic", kappa=50.0, angle_deg=0.0, scale=1.0)
    start = np.array([s.starts[0]])
    lr = [
        float(at.select_slider(key=f"pg_r{i}_{n}_lr").value) for i, n in ((0, "sf_sgd"), (1, "sam"))
    ]
    ref = optim.run(s, "sf_sgd", start, 150, lr=lr[0])
    for key, want in (("trail", ref.state["lookahead"]), ("base", ref.state["z"])):
        got = viz.decode(sf[key]).reshape(-1, 2)
        np.testing.assert_allclose(got, want[:, 0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(
        viz.decode(sf["xy"]).reshape(-1, 2), ref.xy[:, 0], rtol=1e-5, atol=1e-6
    )
    up = optim.run(s, "sam", start, 150, lr=lr[1]).state["lookahead"][:, 0]
    np.testing.assert_allclose(viz.decode(sam["trail"]).reshape(-1, 2), up, rtol=1e-5, atol=1e-6)


def test_letting_go_of_a_scrubber_sets_that_widget_and_nothing_else(monkeypatch):
    """The browser sends the grid position it was let go at; only that axis's widget moves, to a
    value it offers; a hostile or stale message changes nothing."""
    from ui import race as race_ui

    state = {"pg_map_race": {"scrub": {"run": 0, "name": "lr", "index": 2}}}
    monkeypatch.setattr(race_ui.st, "session_state", state)
    targets = {(0, "lr"): ("pg_r0_gd_lr", (0.1, 0.2, 0.3)), (1, "beta"): ("b", (0.5, 0.9))}
    race_ui.scrubbed("pg_map_race", targets)
    assert state["pg_r0_gd_lr"] == 0.3
    for bad in (
        {"run": 0, "name": "lr", "index": 9},
        {"run": 5, "name": "lr", "index": 0},
        {"run": "x"},
        None,
        {"run": 1, "name": "beta", "index": -1},
    ):
        state["pg_map_race"] = {"scrub": bad}
        race_ui.scrubbed("pg_map_race", targets)
    assert state["pg_r0_gd_lr"] == 0.3 and "b" not in state
    state["pg_map_race"] = {"start": [1.5, "nan"]}
    got = []
    race_ui.clicked("pg_map_race", lambda x, y: got.append((x, y)))
    state["pg_map_race"] = {"start": [1.23456, -0.5]}
    race_ui.clicked("pg_map_race", lambda x, y: got.append((x, y)))
    assert got == [(1.2346, -0.5)]


def test_without_the_full_plotly_bundle_the_race_view_draws_all_but_3d():
    """A read-only checkout cannot hold static/plotly.min.js: the view drops only its 3D part,
    and says why (the basic bundle it needs for the rest is part of the checkout)."""
    script = """
import streamlit as st
import viz
from ui import race
from ui.cache import field_background, surface_key, surface_mesh, surface_of
import optim
key = surface_key("booth")
s = surface_of(key)
t = optim.run(s, "gd", [s.starts[0]], 20, lr=0.05)
spec = viz.race_spec(s, viz.run_views([t], s), field_background(key), mesh=surface_mesh(key))
writable, race.plotly_js = race.plotly_js, lambda: False
try:
    race.mount(spec, key="t")
finally:
    race.plotly_js = writable
"""
    at = AppTest.from_string(script, default_timeout=60).run()
    assert not at.exception
    (view,) = races(at)
    assert "surface3d" not in view and "cannot write" in view["note"]
    assert (ROOT / "static" / "plotly-cartesian.min.js").exists()


def test_a_costly_playground_link_keeps_its_banks_within_budget_and_says_which_runs_do_not_scrub():
    """8 runs × 1000 steps on a 200-example data surface asked for banks costing ~15 s of CPU:
    the banks now share a bounded budget, and runs left without one are named on the page."""
    from ui import race as race_ui

    runs = "newton,adam,momentum,nesterov,rmsprop,adagrad,gd,lion"
    at = open_link(PG, {"surface": "logistic_sparse", "runs": runs, "steps": "1000"})
    view = race(at)
    rows = [len(a["values"]) for r in view["runs"] for a in r["axes"]]
    assert all(n <= race_ui.MAX_ROWS + 5 for n in rows)  # + the current value and landmarks
    silent = [i + 1 for i, r in enumerate(view["runs"]) if not r["axes"]]
    if silent:
        assert "Scrubbing is off for run" in view["note"]
        assert all(str(i) in view["note"] for i in silent)
    assert race_ui.plan_rows([1.0], 1000) == [0]  # far too costly: no bank at all


def test_the_race_views_code_travels_once_as_a_static_file_not_in_every_update():
    """#29: every update of a race view carried its 25.6 kB of JavaScript and 2 kB of CSS. The
    element now carries a loader that imports the code from ``static/`` (under a name holding a
    hash of its bytes: a changed file is a new name), and the file there is the code itself."""
    from ui import race as race_ui
    from viz.export import CSS, JS

    at = open_page(PG)
    (element,) = [
        e
        for e in at.get("bidi_component")
        if e.proto.component_name.endswith("race") and not e.proto.id.endswith("race_preload")
    ]
    js, css = race_ui.served_code()
    assert len(element.proto.js_content) < 1_000 and not element.proto.css_content
    assert f"app/static/{js}" in element.proto.js_content and css in element.proto.js_content
    assert (ROOT / "static" / js).read_text(encoding="utf-8") == JS
    assert (ROOT / "static" / css).read_text(encoding="utf-8") == CSS


def test_the_gallerys_pictures_are_drawn_before_its_first_visit(monkeypatch):
    """#29: the Gallery's first visit after a start drew its 13 looping pictures (3.5 s of CPU,
    the bound is about 2 s). A server's first page run starts a thread that draws them into the
    shared cache and ends; the visit then draws none."""
    import threading

    from ui import presets

    drawn: list[int] = []
    real = presets.animated_gif
    monkeypatch.setattr(presets, "animated_gif", lambda *a, **k: drawn.append(1) or real(*a, **k))
    monkeypatch.setattr(presets, "_warmed", False)
    presets.preset_thumbnail.clear()
    assert presets.warm_thumbnails(pause=0) and not presets.warm_thumbnails()  # once
    for t in threading.enumerate():
        if t.name == "descent-lab-warm-thumbnails":
            t.join(60)
    assert len(drawn) == len(presets.PRESETS)
    at = open_page("pages/7_Gallery.py")
    assert len(at.get("image")) == len(presets.PRESETS)  # every card has its picture
    assert len(drawn) == len(presets.PRESETS), "the visit drew a picture again"


def test_views_travel_as_lists_so_a_page_without_a_table_never_imports_pandas():
    """Streamlit scans a component's dict ``data`` for dataframes, and its first scan imports
    pandas and pyarrow (~0.4 s of CPU on a server's first page); ``ui.race.wire`` sends each view
    inside a list. In a fresh process the home page and the Network lab (views, no table) import
    neither (the Playground's tables do, and need them)."""
    import subprocess
    import sys

    code = (
        "import sys\nfrom streamlit.testing.v1 import AppTest\n"
        "at = AppTest.from_file('app.py', default_timeout=120)\nat.run()\n"
        "at.switch_page('pages/8_Network.py')\nat.run()\n"
        "assert not at.exception, at.exception\n"
        "print(len(at.get('bidi_component')), sorted({'pandas', 'pyarrow'} & set(sys.modules)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stderr[-2000:]
    views, imported = out.stdout.split(" ", 1)
    assert int(views) >= 5 and imported.strip() == "[]", out.stdout


def test_a_page_runs_numpys_blas_on_one_thread():
    """OpenBLAS starts a thread per core whose spinning is billed to the server (the Playground's
    costliest link: 2.25 s of CPU for 1.25 s of wall clock, 1.50 s with one thread): the first
    page run limits it to one, for the whole process (a fresh one here: the limit stays)."""
    import subprocess
    import sys

    code = (
        "import numpy\nfrom threadpoolctl import threadpool_info\n"
        "from streamlit.testing.v1 import AppTest\n"
        "before = [i['num_threads'] for i in threadpool_info() if i['user_api'] == 'blas']\n"
        "at = AppTest.from_file('app.py', default_timeout=120)\nat.run()\n"
        "assert not at.exception, at.exception\n"
        "after = [i['num_threads'] for i in threadpool_info() if i['user_api'] == 'blas']\n"
        "print(before, after)"
    )
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "2"}  # as on a 2-core machine, whatever this is
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300, env=env
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["[2]", "[1]"], out.stdout


def test_the_gallerys_warm_up_gives_way_to_the_pages_and_stays_out_of_apptest(monkeypatch):
    """The warm-up thread starts a picture only while no page script runs: the first visitor's
    page, which starts it, was paying ~2 s of CPU for pictures drawn beside it (``bench.network``:
    a fresh server's first Network page 3.66 → 2.36 s). A page's thread is named as Streamlit
    names it (checked on a real run), and AppTest (a runtime of its own) starts no warm-up."""
    import threading

    from ui import presets

    at = AppTest.from_string(
        "import threading, streamlit as st\nst.write(threading.current_thread().name)"
    )
    assert at.run().markdown[0].value.strip("`") == presets.SCRIPT_THREAD
    monkeypatch.setattr(presets, "_warmed", False)
    open_page("pages/7_Gallery.py")
    assert presets._warmed is False, "AppTest started the server's warm-up"

    drawn: list[str] = []
    monkeypatch.setattr(presets, "preset_thumbnail", drawn.append)
    release = threading.Event()
    page = threading.Thread(target=release.wait, name=presets.SCRIPT_THREAD, daemon=True)
    page.start()
    assert presets.pages_running()
    assert presets.warm_thumbnails(pause=0, poll=0.01)
    for _ in range(20):  # the warm-up polls all this while and draws nothing
        time.sleep(0.01)
        assert drawn == []
    release.set()
    page.join()
    for t in threading.enumerate():
        if t.name == "descent-lab-warm-thumbnails":
            t.join(60)
    assert drawn == [p.slug for p in presets.PRESETS]


@pytest.mark.parametrize("name", ["quadratic", "rosenbrock", "booth"])
def test_the_inspectors_taylor_view_predicts_the_steps_change_in_loss(name):
    """#27 (note 001's first-order view of a step): the inspector's first-order model
    ∇L(w_k)ᵀΔw is GD's −η‖∇L‖², and with ½ΔwᵀHΔw it is the measured change of the loss exactly
    on a quadratic (to round-off); the measured change is the engine's own losses."""
    from ui.cache import TAYLOR, step_table

    s = get_surface(name)
    specs = [
        optim.RunSpec(n, [s.starts[0]], {"lr": optim.lr_range(s, n)[1]}) for n in ("gd", "adam")
    ]
    trajs = optim.run_many(s, specs, 40)
    for k in (0, 5, 30):
        table = step_table(s, trajs, ["1. GD", "2. Adam"], k)
        gd = trajs[0]
        g = s.grad(gd.xy[k, 0])
        measured, first, second = (table[c].to_numpy(float) for c in TAYLOR)
        assert first[0] == pytest.approx(-gd.lr[k, 0] * float(g @ g), rel=1e-9)
        np.testing.assert_allclose(
            measured, [t.loss[k + 1, 0] - t.loss[k, 0] for t in trajs], rtol=1e-12
        )
        if name == "quadratic":
            np.testing.assert_allclose(second, measured, rtol=1e-9, atol=1e-14)


def test_the_playground_says_what_muon_is_on_a_vector():
    """#28: on the 2-D surfaces Muon orthogonalizes a one-row matrix: normalized Nesterov
    momentum, steps of 0.70η; the run's card says so, and the run's steps are that long."""
    at = open_link(PG, {"runs": "muon"})
    assert not at.exception
    assert any("every step is 0.70η long" in c.value for c in at.caption)
    xy = viz.decode(race(at)["runs"][0]["xy"]).reshape(-1, 2)
    lr = float(at.select_slider(key="pg_r0_muon_lr").value)
    steps = np.linalg.norm(np.diff(xy, axis=0), axis=1)
    np.testing.assert_allclose(steps[:20], 0.6964364 * lr, rtol=1e-4)


def test_the_inspector_names_sams_and_schedule_frees_gradient_points_as_they_do():
    """The step inspector draws each run's gradient point under its optimizer's own name."""
    at = open_link(PG, {"runs": "sf_sgd,sam", "inspect": "3"})
    assert not at.exception
    names = {d.get("name") or "" for f in specs(at) for d in f["data"]}
    assert any(n.startswith("gradient point y of 1.") for n in names)
    assert any(n.startswith("ascent point of 2.") for n in names)
