"""Predict, then reveal (#17): the truth of each question kind, grading, the SQLite tally under
concurrency and at its bounds, and question links under AppTest (hidden until an answer, the
teacher's tally, students who cannot read it, hostile answers)."""

from __future__ import annotations

import json
import math
import sqlite3
import threading

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

import optim
import viz
from surfaces import get_surface
from tests.helpers import PG, ROOT, ask_question, link_notes, open_link, race, specs
from tests.reference import reference_run
from ui import predict, tally
from ui.link import _SHARE_OPEN as link_open
from ui.presets import QUESTIONS
from viz import predict as pq

LR, MO, AD = "pages/2_Learning_rate.py", "pages/3_Momentum.py", "pages/5_Adaptive.py"


@pytest.fixture(autouse=True)
def store(tmp_path, monkeypatch):
    """Every test gets its own answers file (the app's store is one per process)."""
    monkeypatch.setenv(tally.ENV, str(tmp_path))
    predict.store.cache_clear()
    yield tally.Tally(tmp_path)
    predict.store.cache_clear()


def question() -> tuple[str, str]:
    key = tally.new_key()
    return key, tally.question_id(key)


def asked(page: str, query: dict, **kw) -> tuple[str, dict]:
    """A question opened in the store about ``query`` (a teacher's key, the student link)."""
    return ask_question(page, query, **kw)


def submit(at, label: str = "Commit my answer"):
    next(b for b in at.button if b.label == label).click().run()
    assert not at.exception, at.exception
    return at


def texts(at) -> str:
    return "\n".join(
        e.value
        for kind in ("markdown", "success", "warning", "error", "info", "caption")
        for e in at.get(kind)
    )


# -- the truth, against closed forms and the reference loop -------------------------------------------
def test_largest_eta_on_sigma_w_is_just_below_one_over_sigma_max_squared():
    """EECS 182 eq. (3): the slider's largest converging η is the value just under 1/σ_max²."""
    s = get_surface("sigma_w", sigma1=1.5, sigma2=0.3, y1=1.0, y2=1.0)
    unit = 1 / 1.5**2
    grid = [m * unit / 200 for m in range(1, 301)]
    traj = optim.run(s, "gd", np.zeros((len(grid), 2)), 60, lr=np.array(grid))
    sweep = {"values": grid, "loss": traj.loss.T, "diverged": traj.diverged_at}
    views = viz.run_views([optim.run(s, "gd", np.zeros((1, 2)), 60, lr=0.5)], s)
    t = pq.truth("max_lr", views, s, sweep=sweep, rules=[predict.rule("gd", {"lr": 0.5})])
    assert t["best"] == pytest.approx(199 * unit / 200) and t["above"] == pytest.approx(unit)
    assert t["theory"]["limit"] == pytest.approx(unit)  # 2/λ_max with λ_max = 2σ_max²
    assert pq.grade("max_lr", t, pq.parse_answer("max_lr", f"{0.9952 * unit}", t)[1])
    assert not pq.grade("max_lr", t, pq.parse_answer("max_lr", f"{unit}", t)[1])


@pytest.mark.parametrize(
    ("factor", "regime"),
    [(0.5, "converge"), (0.99, "converge"), (1.0, "oscillate"), (1.02, "diverge")],
)
def test_regime_of_gd_on_a_quadratic_is_theory_and_the_run_agrees(factor, regime):
    s = get_surface("quadratic", kappa=10.0, angle_deg=30.0, scale=1.0)
    lr = factor * 2.0  # 2/λ_max with λ_max = 1
    traj = optim.run(s, "gd", np.array([s.starts[0]]), 400, lr=lr)
    views = viz.run_views([traj], s)
    t = pq.truth("regime", views, s, rules=[predict.rule("gd", {"lr": lr})])
    assert t["regime"] == regime
    assert t["theory"]["rho"] == pytest.approx(max(abs(1 - lr * 0.1), abs(1 - lr)))
    if factor != 0.99:  # ρ = 0.98 needs more than 400 steps to look settled
        assert pq.classify(views[0].xy, views[0].loss, s.f_min, views[0].diverged_at) == regime


def test_regime_without_theory_is_measured_and_unclear_runs_are_not_asked():
    s = get_surface("rosenbrock", b=100.0)
    good = viz.run_views([optim.run(s, "gd", np.array([[-1.0, 1.0]]), 3000, lr=1e-3)], s)
    assert pq.truth("regime", good, s, rules=[None])["regime"] == "converge"
    # Adam at a constant η settles, then spikes again and again near the minimum (its v decays
    # faster than its m): its path does not say converge or oscillate, so it is not asked
    spikes = viz.run_views([optim.run(s, "adam", np.array([[-1.0, 1.0]]), 3000, lr=0.05)], s)
    with pytest.raises(pq.Unaskable, match="neither settles"):
        pq.truth("regime", spikes, s, rules=[None])
    creep = viz.run_views([optim.run(s, "gd", np.array([[-1.0, 1.0]]), 40, lr=1e-6)], s)
    with pytest.raises(pq.Unaskable, match="neither settles"):
        pq.truth("regime", creep, s, rules=[None])


def test_next_step_is_the_reference_loops_step_and_the_ring_grades():
    s = get_surface("quadratic", kappa=20.0, angle_deg=20.0, scale=1.0)
    x0 = np.array(s.starts[0])
    xs, _ = reference_run(s, "momentum", x0, 10, {"lr": 0.1, "beta": 0.9, "convention": "pytorch"})
    ref = np.asarray(xs)
    traj = optim.run(s, "momentum", x0[None], 10, lr=0.1, beta=0.9, convention="pytorch")
    t = pq.truth("next", viz.run_views([traj], s), s, at=4)
    np.testing.assert_allclose(t["point"], ref[5], rtol=1e-12)
    assert t["radius"] >= 0.25 * math.dist(ref[4], ref[5])
    assert pq.grade("next", t, tuple(ref[5] + [0.9 * t["radius"], 0.0]))
    assert not pq.grade("next", t, tuple(ref[5] + [1.1 * t["radius"], 0.0]))


def test_first_counts_ties_and_refuses_a_race_nobody_finishes():
    s = get_surface("quadratic", kappa=10.0, angle_deg=0.0, scale=1.0)
    trajs = optim.run_many(
        s,
        [optim.RunSpec("gd", [s.starts[0]], {"lr": lr}) for lr in (1.0, 1.0, 0.1)],
        300,
    )
    t = pq.truth("first", viz.run_views(trajs, s), s)
    assert t["winners"] == [0, 1] and t["steps"][2] == -1
    assert pq.grade("first", t, 1) and not pq.grade("first", t, 2)
    short = optim.run_many(s, [optim.RunSpec("gd", [s.starts[0]], {"lr": 0.01})] * 2, 5)
    with pytest.raises(pq.Unaskable, match="no run reaches"):
        pq.truth("first", viz.run_views(short, s), s)


@pytest.mark.parametrize(
    "raw",
    ["", "abc", "nan", "inf", "-1e999", "1e999", "9" * 41, "0x10", "1e5", "<script>", "0.5; drop"],
)
def test_hostile_typed_values_are_refused_with_a_message(raw):
    t = {"values": [0.01 * m for m in range(1, 151)]}
    with pytest.raises(ValueError) as err:
        pq.parse_answer("max_lr", raw, t)
    assert str(err.value)


@pytest.mark.parametrize(
    "raw", [None, "x", [1.0], [1.0, "y"], [float("nan"), 0.0], [1e308, 0.0], [0, 0, 0], "1,2"]
)
def test_hostile_points_are_refused(raw):
    t = {"window": [[-1.0, 1.0], [-1.0, 1.0]]}
    with pytest.raises(ValueError):
        pq.parse_answer("next", raw, t)


# -- the tally ---------------------------------------------------------------------------------------
def test_teacher_key_makes_the_id_and_nothing_else_does():
    key = tally.new_key()
    qid = tally.question_id(key)
    assert tally.teacher_ok(qid, key)
    for wrong in (None, "", qid, key[:-1], key + "a", "x" * 10_000):
        assert not tally.teacher_ok(qid, wrong)


def test_thirty_threads_answer_at_once_exact_counts_nothing_lost_or_doubled(store):
    """30 sessions answer at the same moment (a barrier), each three times: 30 rows, the first
    answer of each, from threads that each hold their own connection."""
    qid, go = tally.question_id("k"), threading.Barrier(30)
    store.open_question(qid, PG, {}, "first")
    results: list[tuple[int, bool]] = []
    lock = threading.Lock()

    def student(i: int) -> None:
        s = tally.Tally(store.path.parent)
        go.wait()
        for attempt in range(3):
            counted, _ = s.record(
                qid, f"voter{i}", ["a", "b", "c"][(i + attempt) % 3], True, f"10.0.0.{i}"
            )
            with lock:
                results.append((i, counted))
        s.close()

    threads = [threading.Thread(target=student, args=(i,)) for i in range(30)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sum(c for _, c in results) == 30 and len(results) == 90
    count = store.count(qid)
    assert count.total == 30
    assert count.answers == {"a": 10, "b": 10, "c": 10}  # each voter's first answer stands
    with sqlite3.connect(store.path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_only_opened_questions_take_answers_refusals_are_counted_and_reset_clears(store):
    qid = tally.question_id("k")
    with pytest.raises(tally.Refused, match="not open"):
        store.record(qid, "v", "converge", True)
    with sqlite3.connect(store.path) as db:  # a random id writes nothing
        assert db.execute("SELECT COUNT(*) FROM refused").fetchone()[0] == 0
    store.open_question(qid, LR, {"eta2": "1"}, "regime")
    for i in range(5):
        store.record(qid, f"v{i}", "converge", i < 3)
    store.set_phase(qid, "closed")
    with pytest.raises(tally.Refused, match="closed"):
        store.record(qid, "late", "diverge", False)
    store.refuse(qid, "no browser cookie")
    c = store.count(qid)
    assert (c.total, c.right, c.answers) == (5, 3, {"converge": 5})
    assert c.refused == {"answers closed": 1, "no browser cookie": 1}
    assert store.reset(qid) == 5 and store.count(qid).total == 0
    assert store.question(qid).phase == "asking" and not store.count(qid).refused


def test_bounds_answers_per_question_per_address_questions_ttl_and_bytes(tmp_path):
    s = tally.Tally(tmp_path / "a", max_answers=3, max_questions=2, ttl=100.0, per_address=2)
    for q in ("q1", "q2"):
        s.open_question(q, PG, {}, "first", now=1000.0)
    s.record("q1", "v0", "x", True, "a", now=1000.0)
    s.record("q1", "v1", "x", True, "a", now=1000.0)
    with pytest.raises(tally.Refused, match="network address"):
        s.record("q1", "v2", "x", True, "a", now=1000.0)
    s.record("q1", "v2", "x", True, "b", now=1000.0)
    with pytest.raises(tally.Refused, match="3 answers"):
        s.record("q1", "v9", "x", True, "c", now=1000.0)
    assert s.count("q1", now=1000.0).refused == {"one address's share": 1, "question full": 1}
    # full: a new question is refused while the unanswered ones are younger than an hour (a
    # flood cannot push out a teacher's question just opened); later the oldest makes room
    with pytest.raises(tally.TallyError, match="open questions"):
        s.open_question("q3", PG, {}, "first", now=1001.0)
    s.close()
    late = tally.Tally(tmp_path / "a", max_questions=2, ttl=10**6)
    late.open_question("q3", PG, {}, "first", now=1000.0 + tally.SPARE_AFTER + 1)
    assert late.question("q2", 5000.0) is None and late.question("q1", 5000.0) is not None
    # a time-to-live later every row has expired and is deleted on the next write
    s = tally.Tally(tmp_path / "a", ttl=100.0)
    s.open_question("q5", PG, {}, "first", now=10**5)
    assert s.count("q1", now=10**5).total == 0
    with sqlite3.connect(s.path) as db:
        assert db.execute("SELECT COUNT(*) FROM answers").fetchone()[0] == 0
        assert db.execute("SELECT COUNT(*) FROM questions").fetchone()[0] == 1
    # a hostile answer is cut, and the file cannot grow past its cap
    small = tally.Tally(tmp_path / "b", max_bytes=64 * 1024, max_answers=10**6, per_address=10**6)
    small.open_question("q", PG, {}, "first")
    assert len(small.record("q", "v", "y" * 10**6, True)[1]) == tally.MAX_TEXT
    with pytest.raises(tally.TallyError, match="full"):
        for i in range(10_000):
            small.record("q", f"voter-{i:040d}", "z" * 60, True)
    assert small.path.stat().st_size <= 64 * 1024
    wal = small.path.with_name(small.path.name + "-wal")
    assert not wal.exists() or wal.stat().st_size <= tally.WAL_BYTES + 64 * tally.PAGE
    assert small.count("q").total > 100  # what fitted is still counted


def test_one_address_holds_a_bounded_number_of_questions_and_classes(tmp_path):
    s = tally.Tally(tmp_path, max_classes=3)
    for i in range(tally.PER_OPENER):
        s.open_question(f"q{i}", PG, {}, "first", address="10.0.0.1")
    with pytest.raises(tally.TallyError, match="network address"):
        s.open_question("one-more", PG, {}, "first", address="10.0.0.1")
    s.open_question("elsewhere", PG, {}, "first", address="10.0.0.2")
    keys = [tally.new_key() for _ in range(tally.CLASSES_PER_OPENER + 1)]
    t = tally.Tally(tmp_path / "b", max_classes=10**4)
    for k in keys[:-1]:
        t.open_class(k, address="10.0.0.1")
    with pytest.raises(tally.TallyError, match="network address"):
        t.open_class(keys[-1], address="10.0.0.1")
    # a full server: a class idle over an hour ends to make room, a busy one never
    u = tally.Tally(tmp_path / "c", max_classes=1, ttl=10**6)
    u.open_class(keys[0], now=1000.0)
    with pytest.raises(tally.TallyError, match="as many class sessions"):
        u.open_class(keys[1], now=1001.0)
    u.open_class(keys[1], now=1000.0 + tally.SPARE_AFTER + 1)


def test_a_deleted_store_file_is_made_again_with_its_tables(store):
    """The file deleted while the server runs: the next call notices (its inode changed) and
    makes the tables again, in this thread and in another that held a connection."""
    store.open_question("q1", PG, {}, "first")
    other: list = []
    t = threading.Thread(target=lambda: other.append(store.question("q1")))
    t.start()
    t.join()
    for f in store.path.parent.glob("tally.sqlite3*"):
        f.unlink()
    assert store.question("q1") is None  # gone with the file, and no "no such table"
    store.open_question("q2", PG, {}, "first")
    assert store.record("q2", "v", "x", True) == (True, "x")
    t = threading.Thread(target=lambda: other.append(store.question("q2")))
    t.start()
    t.join()
    assert other[0] is not None and other[1] is not None and store.count("q2").total == 1


def test_class_state_lesson_and_steps(store):
    key = tally.new_key()
    code = tally.class_code(key)
    assert store.class_state(code) is None
    c = store.open_class(key)
    assert (c.code, c.lesson, c.step, c.view) == (code, [], -1, None)
    views = [{"page": PG, "query": {"runs": "gd"}, "title": "one"}, {"page": LR, "query": {}}]
    c2 = store.set_lesson(code, views, 5)
    assert c2.step == 1 and c2.rev > c.rev and c2.view == views[1]
    assert store.go(code, 0).view == views[0] and store.go(code, -9).step == 0
    assert tally.normal_code(code.lower()) == code
    with pytest.raises(tally.TallyError, match="at most"):
        store.set_lesson(code, views * 30, 0)


# -- question links under AppTest ---------------------------------------------------------------------
def _steps(at) -> list[int]:
    return [r["steps"] for r in race(at)["runs"]]


def test_a_question_link_hides_the_outcome_until_the_answer_then_reveals_it():
    _, q = asked(PG, {"runs": "gd,momentum", "ask": "first"})
    at = open_link(PG, q)
    r = race(at)
    assert _steps(at) == [0, 0], "the paths are cut at the start"
    assert (
        "curves" not in r
        and all(not run["axes"] for run in r["runs"])
        and not r["chunks"].keys() - {r["map"]["image"]["chunk"], r["map"]["lines"]}
    ), "no curves, no banks: nothing of the outcome reaches the browser (the field only)"
    assert "Steps to reach" not in texts(at) and "Trajectories" not in texts(at)
    assert not at.slider and not at.selectbox, "the settings are locked"
    assert "predict first" in texts(at)
    at.radio(key="pg_ask_first").set_value(1)
    submit(at)
    assert _steps(at) == [150, 150] and "curves" in race(at) and race(at)["autoplay"]
    assert "Right." in texts(at) and "step **103** 🏁" in texts(at)
    assert not at.slider, "the reveal plays where the question was: nothing above it moves"
    next(b for b in at.button if b.key == "pg_ask_explore").click().run()
    assert at.slider, "then the student may change anything"


def test_the_teacher_link_shows_the_tally_and_students_cannot_read_or_reset_it():
    key, q = asked(PG, {"runs": "gd,momentum", "ask": "first"})
    qid = q["q"]
    for pick in (1, 1, 0):
        at = open_link(PG, q)
        at.radio(key="pg_ask_first").set_value(pick)
        submit(at)
    teacher = open_link(PG, {**q, "teacher": key})
    assert "teacher" not in teacher.query_params, "the key stays out of the address bar"
    # a screen that may be projected: how many answered, nothing of the outcome
    assert "3 answers so far" in texts(teacher) and "right (" not in texts(teacher)
    assert _steps(teacher) == [0, 0] and not [c for c in specs(teacher) if c["data"]]
    next(b for b in teacher.button if b.key == "pg_ask_reveal").click().run()
    assert "Tally: 3 answers, 2 right (67%)" in texts(teacher)
    assert _steps(teacher) == [150, 150], "the teacher sees the outcome once shown"
    bars = next(c for c in specs(teacher) if c["data"][0].get("type") == "bar")["data"][0]
    assert bars["x"] == [1, 2] and bars["marker"]["color"] == ["#9aa0a6", "#1a7f37"]
    for bad in ({}, {"teacher": "wrong"}, {"teacher": qid}, {"teacher": key + "x"}):
        student = open_link(PG, {**q, **bad})
        assert "Tally" not in texts(student)
        assert not [b for b in student.button if b.key == "pg_ask_reset"]
        assert _steps(student) == [0, 0]
    # the teacher asks again: no answers, the outcome hidden again
    next(b for b in teacher.button if b.key == "pg_ask_reset").click().run()
    assert "0 answers so far" in texts(teacher) and _steps(teacher) == [0, 0]


def test_a_browser_counts_once_and_hostile_answers_get_a_message(store):
    key, q = asked(LR, {"ask": "max_lr"})
    qid = q["q"]
    at = open_link(LR, q)
    for bad, says in (
        ("", "type a number"),
        ("abc", "not a number"),
        ("1e999", "not a finite"),
        ("9" * 100, "characters"),
        ("1e9", "outside the slider"),
    ):
        at.text_input(key="lr_ask_value").input(bad)
        submit(at)
        assert says in texts(at) and "not counted" in texts(at), bad
    assert store.count(qid).total == 0
    at.text_input(key="lr_ask_value").input("0.99")
    submit(at)
    assert "Not this time" in texts(at) and "0.995" in texts(at)
    assert "already counted" not in texts(at)
    # the same browser again (a reload, a second tab): it opens revealed, its first answer stands
    again = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    again.query_params.update(q)
    again.switch_page(LR)
    again.session_state["_voter"] = at.session_state["_voter"]
    again.run()
    assert "counted earlier from this browser" in texts(again) and not again.text_input
    other = open_link(LR, q)  # another browser answers afresh
    assert other.text_input(key="lr_ask_value")
    teacher = open_link(LR, {**q, "teacher": key})
    assert "1 answer so far" in texts(teacher)


def test_same_browser_reload_restores_its_answer_and_cannot_answer_again(store):
    key, q = asked(LR, {"ask": "regime", "eta2": "1"})
    qid = q["q"]
    at = open_link(LR, q)
    at.radio(key="lr_ask_regime").set_value("oscillate")
    submit(at)
    assert "Right." in texts(at) and "period 2" in texts(at)
    # the browser's voter id answered: a new session of that browser opens revealed
    store.record(qid, "b-reload", "diverge", False)
    assert store.record(qid, "b-reload", "converge", True) == (False, "diverge")
    teacher = open_link(LR, {**q, "teacher": key})
    assert "2 answers so far" in texts(teacher)


def test_where_the_next_step_lands_typed_point_is_drawn_on_the_reveal():
    _, q = asked(LR, {"ask": "next", "ask_at": "2"})
    at = open_link(LR, q)
    assert _steps(at) == [2] and race(at)["map"]["clicks"]
    at.number_input(key="lr_ask_x").set_value(0.5)
    at.number_input(key="lr_ask_y").set_value(0.5)
    submit(at, "Commit this point")
    drawn = race(at)["map"]
    names = [t.get("name") for t in drawn["static"] + drawn["extra"]]
    assert "your prediction" in names and "step 3: where it lands" in names
    assert "Step 3 of" in texts(at)


def test_a_bad_question_link_is_a_note_and_a_plain_view():
    for q in (
        {"ask": "nonsense", "q": "0" * 16},
        {"ask": "first", "q": "not-hex"},
        {"ask": "first", "q": "0" * 16, "ask_run": "x"},
    ):
        at = open_link(PG, q)
        assert link_notes(at) and _steps(at) == [150, 150, 150]
    at = open_link(PG, asked(PG, {"runs": "gd", "ask": "first"})[1])  # one run: no race
    assert any("cannot be asked" in n for n in link_notes(at)) and _steps(at) == [150]


def test_the_share_panel_opens_a_question_and_never_draws_the_teacher_key(store):
    at = open_link(PG, {"runs": "gd,momentum", "projector": "1"})
    assert not [b for b in at.button if b.key == "_ask_make_pg"], "a closed panel offers none"
    at.session_state[link_open] = True  # the teacher opens the share panel
    at.selectbox(key="_ask_kind_pg").set_value("regime").run()
    next(b for b in at.button if b.key == "_ask_make_pg").click().run()
    codes = [c.value for c in at.code if "ask=regime" in c.value]
    assert len(codes) == 1 and "teacher=" not in codes[0] and "projector" not in codes[0]
    assert not [c for c in at.code if "teacher=" in c.value], "the key is never drawn"
    copy = next(json.loads(e.proto.json) for e in at.get("bidi_component") if "copy" in e.proto.id)
    key = copy["text"].split("teacher=")[1].split("&")[0]
    qid = codes[0].split("q=")[1].split("&")[0]
    assert tally.teacher_ok(qid, key) and store.question(qid).kind == "regime"
    assert store.question(qid).query["runs"] == "gd,momentum"


@pytest.mark.parametrize("ready", QUESTIONS, ids=lambda q: q.slug)
def test_the_gallery_questions_open_cleanly_and_their_reveal_says_what_the_card_says(ready):
    key, q = asked(ready.page, ready.query)
    at = open_link(ready.page, {**q, "teacher": key})
    assert not link_notes(at)
    t = predict.truth_of(at.session_state, predict_prefix(ready.page))
    if ready.slug == "ask_lr":
        assert t["best"] == pytest.approx(0.995)
    elif ready.slug == "ask_momentum":
        assert t["winners"] == [1] and t["steps"][2] == -1 and "diverges" in ready.why
    else:
        assert t["winners"] == [1] and t["steps"][1] == 66 and "66" in ready.why


def predict_prefix(page: str) -> str:
    return {LR: "lr", MO: "mo", AD: "ad", PG: "pg"}[page]


def test_gallery_makes_fresh_class_links_per_teacher_and_shows_no_key():
    at = open_link("pages/7_Gallery.py", {})
    next(b for b in at.button if b.key == "ga_ask_lr_make").click().run()
    codes = [c.value for c in at.code if "ask=max_lr" in c.value]
    assert len(codes) == 1 and codes[0].startswith("Learning_rate?")
    copy = next(json.loads(e.proto.json) for e in at.get("bidi_component") if "copy" in e.proto.id)
    key = copy["text"].split("teacher=")[1].split("&")[0]
    assert key not in texts(at) and not [c for c in at.code if key in c.value]
    other = open_link("pages/7_Gallery.py", {})
    next(b for b in other.button if b.key == "ga_ask_lr_make").click().run()
    assert next(c.value for c in other.code if "ask=max_lr" in c.value) != codes[0]


def test_the_teachers_guide_says_what_a_restart_does_to_the_tally():
    text = (ROOT / "docs" / "teaching.md").read_text()
    assert "DESCENT_LAB_DATA" in text and "restart" in text.lower()


def test_without_a_writable_store_questions_are_refused_with_a_message(tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv(tally.ENV, str(blocker / "tally"))
    predict.store.cache_clear()
    at = open_link(PG, {"runs": "gd,momentum", "ask": "first", "q": "0" * 16})
    assert not at.exception and any("cannot be read" in n for n in link_notes(at))
    assert _steps(at) == [150, 150]
    assert not [b for b in at.button if b.key == "_ask_make_pg"], "a closed panel offers none"
    at.session_state[link_open] = True  # the teacher opens the share panel
    at.selectbox(key="_ask_kind_pg").set_value("first").run()
    next(b for b in at.button if b.key == "_ask_make_pg").click().run()
    assert not at.exception and "cannot be opened now" in texts(at)


@pytest.mark.parametrize(
    ("page", "query", "answer", "slider"),
    [
        (PG, {"runs": "gd,momentum", "ask": "first"}, ("pg_ask_first", 1), "pg_steps"),
        (MO, {"eta": "10", "beta": "0.2", "ask": "first"}, ("mo_ask_first", 1), "mo_steps"),
        (AD, {"ask": "first"}, ("ad_ask_first", 1), "ad_steps1"),
        (LR, {"ask": "regime", "eta2": "1"}, ("lr_ask_regime", "oscillate"), "lr_steps2"),
        ("pages/6_SGD.py", {"ask": "regime"}, ("sg_ask_regime", "oscillate"), "sg_steps"),
    ],
)
def test_after_the_answer_changing_a_setting_leaves_the_reveal(page, query, answer, slider):
    """The reveal belongs to the question's view: once the student moves a control, the page
    says so instead of grading a view the question was not about."""
    _, q = asked(page, query)
    at = open_link(page, q)
    at.radio(key=answer[0]).set_value(answer[1])
    submit(at)
    assert "Right." in texts(at) and "changed the settings" not in texts(at)
    assert race(at)["autoplay"]
    explore = next(b for b in at.button if b.key.endswith("_ask_explore"))
    explore.click().run()
    s = at.slider(key=slider)
    s.set_value(s.max if s.value != s.max else s.min).run()
    assert not at.exception
    assert "changed the settings" in texts(at) and "Right." not in texts(at)
    assert race(at)["autoplay"] is None
    drawn = race(at)["map"]
    assert not any(t.get("name") == "your prediction" for t in drawn["static"] + drawn["extra"])


@pytest.mark.parametrize(
    ("page", "query"),
    [
        (PG, {"runs": "gd,momentum", "ask": "next", "ask_at": "2"}),
        (LR, {"ask": "max_lr"}),
        (MO, {"ask": "regime", "ask_run": "2"}),
        (AD, {"ask": "first"}),
        ("pages/6_SGD.py", {"ask": "next", "ask_at": "5"}),
    ],
)
@pytest.mark.parametrize("who", ["student", "teacher"])
def test_random_moves_on_a_question_page_never_raise(page, query, who):
    """Twenty random moves (the answer widgets, the share panel's question maker, the tally's
    buttons, every control once it is back) on a question link: never a traceback."""
    import random

    from tests.helpers import random_moves

    key, q = asked(page, query)
    at = open_link(page, {**q, **({"teacher": key} if who == "teacher" else {})})
    random_moves(at, random.Random(f"{page}{who}"), 20, 80)


def test_a_teacher_who_changes_a_setting_keeps_the_questions_tally():
    key, q = asked(PG, {"runs": "gd,momentum", "ask": "first"})
    at = open_link(PG, q)
    at.radio(key="pg_ask_first").set_value(1)
    submit(at)
    teacher = open_link(PG, {**q, "teacher": key})
    next(b for b in teacher.button if b.key == "pg_ask_reveal").click().run()
    assert "Tally: 1 answer, 1 right" in texts(teacher)
    next(b for b in teacher.button if b.key == "pg_ask_explore").click().run()
    s = teacher.slider(key="pg_steps")
    s.set_value(s.max).run()
    assert not teacher.exception
    assert "You changed the settings" in texts(teacher) and "Tally: 1 answer, 1 right" in texts(
        teacher
    )
    assert race(teacher)["autoplay"] is None


def test_the_sgd_labs_dance_is_a_question_constant_eta_sgd_oscillates():
    """Minibatch SGD at a constant η: measured, it keeps dancing (oscillate); with decay it
    settles. The question's view is a race view; nothing below it until the answer."""
    sgd = "pages/6_SGD.py"
    at = open_link(sgd, asked(sgd, {"ask": "regime"})[1])
    assert _steps(at) == [0, 0] and "3 · Epochs" not in [s.value[:10] for s in at.subheader]
    before = texts(at).lower()
    assert "dancing" not in before and "cannot settle" not in before, "the page told the answer"
    at.radio(key="sg_ask_regime").set_value("oscillate")
    submit(at)
    assert "Right." in texts(at) and "dancing around it" in texts(at)
    assert _steps(at) == [600, 600] and "curves" in race(at)
    # the default decay (linear to 1 %) still dances, at 1 % of η₀, for ever: oscillate
    decayed = open_link(sgd, asked(sgd, {"ask": "regime", "ask_run": "2"})[1])
    assert predict.truth_of(decayed.session_state, "sg")["regime"] == "oscillate"
    # 1/t (Σ η = ∞, Σ η² < ∞) settles; halving every quarter freezes short: not asked
    rm = open_link(sgd, asked(sgd, {"ask": "regime", "ask_run": "2", "decay": "inverse_time"})[1])
    assert predict.truth_of(rm.session_state, "sg")["regime"] == "converge"
    halving = open_link(sgd, asked(sgd, {"ask": "regime", "ask_run": "2", "decay": "step"})[1])
    assert predict.truth_of(halving.session_state, "sg") is None
    assert "freezes wherever it is" in texts(halving)
