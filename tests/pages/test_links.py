"""Links: every page's view round-trips through its URL; bad parameters are notes; class links hide.

A "fresh session from the URL" is a new ``AppTest`` whose ``query_params`` are the first session's,
as when a student opens a shared link.
"""

from __future__ import annotations

import random
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

import viz
from tests.helpers import (
    KINDS,
    LAB_PAGES,
    PG,
    controls,
    link_notes,
    move,
    open_link,
    open_page,
    race,
    specs,
    widget_values,
)

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("path", LAB_PAGES)
def test_a_view_round_trips_through_its_url(path):
    rng = random.Random(f"link {path}")
    at = open_page(path)
    assert dict(at.query_params) == {}, "a page at its defaults has a bare address"
    moved = 0
    widgets = [w for kind in KINDS for w in getattr(at, kind) if w.key and "_link" not in w.key]
    if all(w.key.startswith("projector") for w in widgets):  # the gallery: links, no settings
        assert set(controls(at)) == {"projector"}
        return
    for _ in range(200):
        if moved == 5:
            break
        widgets = [w for kind in KINDS for w in getattr(at, kind) if w.key and "_link" not in w.key]
        w = rng.choice(widgets)
        if w.key.startswith("projector") or not move(w, rng):
            continue
        at.run()
        assert not at.exception, (w.key, at.exception)
        moved += 1
    query = dict(at.query_params)
    assert query, "moved controls must show in the URL"
    fresh = open_link(path, query)
    assert link_notes(fresh) == []
    assert dict(fresh.query_params) == query
    assert widget_values(fresh) == widget_values(at)
    assert specs(fresh) == specs(at)


def test_playground_link_restores_runs_start_schedule_and_animation():
    at = open_page(PG)
    at.button(key="pg_add").click().run()  # a fourth run
    at.button(key="pg_r1_remove").click().run()  # drop momentum: slots 0, 2, 3
    at.selectbox(key="pg_surface").set_value("rosenbrock").run()
    at.select_slider(key="pg_r2_adam_lr").set_value(0.1).run()
    at.number_input(key="pg_x0").set_value(-1.0).run()
    at.selectbox(key="pg_schedule").set_value("cosine").run()
    at.select_slider(key="pg_speed").set_value(2.0).run()
    query = dict(at.query_params)
    assert query["runs"] == "gd,adam,nesterov" and query["r2_lr"] == "0.1"
    assert query["surface"] == "rosenbrock" and query["x0"] == "-1"
    assert query["schedule"] == "cosine" and query["speed"] == "2"
    fresh = open_link(PG, query)
    assert fresh.session_state["pg_slots"] == [0, 1, 2]
    assert fresh.select_slider(key="pg_r1_adam_lr").value == 0.1
    a, b = race(at), race(fresh)
    assert a["runs"] == b["runs"] and a["frames"] == b["frames"] and b["duration"] == 30


BAD = ["abc", "", "1e999", "-1e9", "nan", "1,2", "<script>", "😀"]


@pytest.mark.parametrize("path", LAB_PAGES)
def test_malformed_and_out_of_range_parameters_fall_back_with_a_note(path):
    names = list(controls(open_page(path)))
    rng = random.Random(f"bad {path}")
    query = {n: rng.choice(BAD) for n in names}
    query["not_a_setting"] = "1"
    at = open_link(path, query)
    notes = " ".join(link_notes(at))
    assert "`not_a_setting=1` is not a setting of this page" in notes
    written = dict(at.query_params)
    for name, raw in query.items():
        if name in controls(at) and written.get(name) != raw:
            assert f"`{name}=" in notes, (name, raw)
    assert "not_a_setting" not in written
    at.button(key="_link_dismiss").click().run()
    assert link_notes(at) == []


def test_grid_values_snap_with_a_note_and_out_of_range_keeps_the_default():
    at = open_link(PG, {"r1_lr": "0.0123", "steps": "5000", "r2_beta": "0.9", "x0": "1e9"})
    notes = " ".join(link_notes(at))
    assert "`r1_lr=0.0123`" in notes and "nearest, 0.012" in notes
    assert at.select_slider(key="pg_r0_gd_lr").value == 0.012
    assert "`steps=5000` (steps) is outside 10 … 1000; using the default, 150" in notes
    assert at.slider(key="pg_steps").value == 150
    assert "`x0=1e9`" in notes
    assert "r2_beta" not in notes  # a valid value at its default is no news


def test_runs_parameter_keeps_the_usable_optimizers_and_says_which_it_dropped():
    at = open_link(PG, {"surface": "ackley", "runs": "gd,newton,warp,adam"})
    notes = " ".join(link_notes(at))
    assert "`newton, warp` cannot run on this surface" in notes
    assert dict(at.query_params)["runs"] == "gd,adam"
    at = open_link(PG, {"runs": ",".join(["gd"] * 12)})
    assert "at most 8 runs" in " ".join(link_notes(at))
    assert len(at.session_state["pg_slots"]) == 8


def test_a_network_link_naming_an_optimizer_twice_runs_it_once_with_a_note():
    """#29: ``Network?opts=gd,gd`` raised StreamlitDuplicateElementKey (a traceback)."""
    at = open_link("pages/8_Network.py", {"opts": "gd,gd,adam,gd"})
    assert "names an optimizer twice" in " ".join(link_notes(at))
    assert at.session_state["nn_opts"] == ["gd", "adam"]
    assert dict(at.query_params)["opts"] == "gd,adam"


def test_a_class_link_hides_the_chosen_controls_and_keeps_their_values():
    query = {"steps": "300", "r1_lr": "0.1", "hide": "r1_lr,runs,steps,surface"}
    at = open_link(PG, query)
    keys = {w.key for kind in KINDS for w in getattr(at, kind)}
    assert "pg_steps" not in keys and "pg_surface" not in keys and "pg_r0_gd_lr" not in keys
    assert "pg_r1_momentum_lr" in keys  # not hidden
    assert not [b for b in at.button if b.key in ("pg_add", "pg_r1_remove")]
    assert any("class link fixes 4 setting" in i.value for i in at.info)
    assert race(at)["frames"]["steps"][-1] == 300
    assert dict(at.query_params) == query
    at.button(key="_link_show_all").click().run()
    assert at.slider(key="pg_steps").value == 300
    assert at.select_slider(key="pg_r0_gd_lr").value == 0.1
    assert "hide" not in dict(at.query_params)


def test_the_share_panel_builds_the_class_link():
    at = open_page(PG)
    at.slider(key="pg_steps").set_value(200).run()
    codes = [c.value for c in at.code]
    assert codes[0].endswith("?steps=200")
    at.multiselect(key="_link_keep_Playground").set_value(["r1_lr"]).run()
    class_link = [c.value for c in at.code][1]
    hidden = dict(p.split("=") for p in class_link.split("?")[1].split("&"))["hide"].split(",")
    assert "r1_lr" not in hidden and {"steps", "runs", "surface", "r2_lr"} <= set(hidden)
    student = open_link(PG, dict(p.split("=") for p in class_link.split("?")[1].split("&")))
    shown = {w.key for kind in KINDS for w in getattr(student, kind)}
    assert "pg_r0_gd_lr" in shown and "pg_steps" not in shown and "pg_r1_momentum_lr" not in shown


def test_reset_returns_the_page_to_its_defaults():
    at = open_link(PG, {"steps": "300", "surface": "beale"})
    at.button(key="_link_reset").click().run()
    assert at.slider(key="pg_steps").value == 150
    assert at.selectbox(key="pg_surface").value == "quadratic"
    assert dict(at.query_params) == {}


def test_switching_pages_leaves_no_stale_parameters_and_coming_back_restores_the_view():
    at = open_page(PG)
    at.slider(key="pg_steps").set_value(300).run()
    for path in LAB_PAGES[1:]:
        at.switch_page(path).run()
        assert not at.exception and link_notes(at) == [], path
        assert dict(at.query_params) == {}
    at.switch_page(PG).run()
    assert at.slider(key="pg_steps").value == 300
    assert dict(at.query_params) == {"steps": "300"}


def test_projector_mode_travels_in_the_link():
    at = open_link(PG, {"projector": "1"})
    assert race(at)["map"]["layout"]["font"]["size"] == viz.Look.projector().font
    at = open_link(PG, {"projector": "maybe"})
    assert "`projector=maybe`" in " ".join(link_notes(at))
    assert all(spec["layout"]["font"]["size"] == 14 for spec in specs(at))
    assert race(at)["font"] == 14


def test_the_learning_rate_lab_link_keeps_eta_relative_to_sigma():
    at = open_page("pages/2_Learning_rate.py")
    at.slider(key="lr_sigma").set_value(2.0).run()
    at.button(key="lr_to_0.99").click().run()
    query = dict(at.query_params)
    assert query == {"sigma": "2", "eta": "0.2475"}
    fresh = open_link("pages/2_Learning_rate.py", query)
    assert fresh.slider(key="lr_eta").value == pytest.approx(0.2475)
    assert specs(fresh) == specs(at)


def test_a_typed_formula_survives_the_url():
    at = open_page(PG)
    at.selectbox(key="pg_surface").set_value("formula").run()
    at.text_input(key="pg_formula").input("x^2 + 10*y^2 - 0.5 sin(3x) & ?=#").run()
    assert any("cannot be drawn" in e.value for e in at.error)  # & ? = # are not in the grammar
    at.text_input(key="pg_formula").input("(x - 1)^2 + 10*(y + 0.5)^2 + sin(3x)/4").run()
    at.number_input(key="pg_xmax").set_value(4.0).run()
    query = dict(at.query_params)
    assert query["formula"] == "(x - 1)^2 + 10*(y + 0.5)^2 + sin(3x)/4" and query["xmax"] == "4"
    fresh = open_link(PG, query)
    assert link_notes(fresh) == []
    assert fresh.text_input(key="pg_formula").value == query["formula"]
    assert specs(fresh) == specs(at)
    shared = next(c.value for c in at.code)
    assert "%2B" in shared and "%5E" in shared  # + and ^ are escaped in the copied link


def test_a_class_link_leaves_no_empty_heading_in_the_sidebar():
    """#14: a class link hid the controls but left 'Surface', 'Start point', … headings."""
    at = open_page(PG)
    at.multiselect(key="_link_keep_Playground").set_value(["r1_lr"]).run()
    code = next(c.value for c in at.code if "hide=" in c.value and "iframe" not in c.value)
    query = {k: v[0] for k, v in parse_qs(urlparse(code).query).items()}
    student = open_link(PG, query)
    assert [h.value for h in student.sidebar.subheader] == []
    assert [e.label for e in student.sidebar.expander] == ["🔗 Share this view"]
    assert student.select_slider(key="pg_r0_gd_lr")  # the one control the class sees
