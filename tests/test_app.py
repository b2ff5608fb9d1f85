"""The home page under Streamlit's AppTest: it runs, and its widgets drive the figures."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parent.parent / "app.py")


def _traces(at, i=0):
    spec = at.get("plotly_chart")[i].proto.spec
    import json

    return json.loads(spec)["data"]


def test_home_page_runs_and_widgets_drive_the_figure():
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    names = [t.get("name") for t in _traces(at)]
    assert any(n and n.startswith("adam") for n in names)
    at.selectbox(key="surface").set_value("himmelblau").run()
    assert not at.exception
    assert sum(1 for t in _traces(at) if t.get("name") == "minimum") == 4
    at.multiselect(key="optimizers").set_value(["gd"]).run()
    paths = [t for t in _traces(at) if (t.get("name") or "").startswith("gd")]
    assert len(paths) == 1


def test_extreme_learning_rate_shows_a_divergence_message():
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.select_slider(key="lr_scale").set_value(10.0).run()
    assert not at.exception
    assert any("diverged at step" in w.value for w in at.warning)
