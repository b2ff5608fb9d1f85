"""The class loop under AppTest (#26): a teacher starts a class, students join with its code and
follow the lesson; a paced question hides its outcome on every screen, the teacher's too, until
Reveal; a student may leave "follow" and come back; the teacher key is never drawn."""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from tests.helpers import ROOT, ask_question, open_link, race
from ui import classroom, tally

GA, LR, PG = "pages/7_Gallery.py", "pages/2_Learning_rate.py", "pages/1_Playground.py"


@pytest.fixture(autouse=True)
def store(tmp_path, monkeypatch):
    monkeypatch.setenv(tally.ENV, str(tmp_path))
    classroom.store.cache_clear()
    yield classroom.store()
    classroom.store.cache_clear()


def app(query: dict | None = None, voter: str | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.query_params.update(query or {})
    if voter:
        at.session_state["_voter"] = voter
    return at.run()


def texts(at) -> str:
    kinds = ("markdown", "success", "warning", "error", "info", "caption", "code", "title")
    return "\n".join(e.value for k in kinds for e in at.get(k))


def title(at) -> str:
    return at.get("title")[0].value


def press(at, key: str) -> AppTest:
    next(b for b in at.button if b.key == key).click().run()
    assert not at.exception, at.exception
    return at


def again(at) -> AppTest:
    """Run the page the session is on again (AppTest reruns its first page otherwise; a
    browser reruns the page in its address bar)."""
    from ui.frame import _PATHS

    at.switch_page(_PATHS[at.session_state["_class_title"]]).run()
    assert not at.exception, at.exception
    return at


def steps(at) -> list[int]:
    return [r["steps"] for r in race(at)["runs"]]


def teacher_with_lesson(store) -> tuple[AppTest, str]:
    """A teacher who started a class and added a preset, then the learning-rate question."""
    t = press(app(), "class_start")
    code = t.session_state["_class_seat"].code
    t.switch_page(GA).run()
    press(t, "ga_zigzag_lesson")
    press(t, "ga_ask_lr_class")
    assert title(t).endswith("Presets gallery"), "adding builds the lesson; the class stays"
    press(t, "class_next")  # ▶: the preset
    assert title(t).endswith("Playground")
    press(t, "class_next")  # ▶: the question
    assert title(t).endswith("Learning-rate lab"), "the teacher's screen opens the question"
    return t, code


def test_students_follow_the_teacher_and_a_paced_question_hides_until_reveal(store):
    t, code = teacher_with_lesson(store)
    state = store.class_state(code)
    assert [v.get("qid") is not None for v in state.lesson] == [False, True] and state.step == 1
    # the projected teacher screen: the question and its start, nothing of the outcome
    assert steps(t) == [0] and "curves" not in race(t)
    assert "0 answers so far" in texts(t) and "0.995" not in texts(t)
    students = [app({"class": code.lower()}) for _ in range(3)]
    for s in students:  # joining opens the teacher's current view: the question
        assert title(s).endswith("Learning-rate lab") and "following your teacher" in texts(s)
        assert steps(s) == [0] and "curves" not in race(s) and not s.slider
    for s, value in zip(students, ("0.99", "0.995", "1.5")):
        s.text_input(key="lr_ask_value").input(value)
        press(s, next(b.key for b in s.button if b.label == "Commit my answer"))
    for s in students:  # answered, still hidden: no grade, no path
        assert "Your answer is in" in texts(s) and "Right." not in texts(s)
        assert steps(s) == [0]
    again(t)
    assert "3 answers so far" in texts(t) and steps(t) == [0]
    press(t, "lr_ask_reveal")
    assert store.question(t.session_state["lr_ask"].qid).phase == "revealed"
    assert "Tally: 3 answers, 1 right (33%)" in texts(t) and steps(t) == [60]
    verdicts = []
    for s in students:
        again(s)  # what the poll does within 3 s in a browser
        verdicts.append("Right." in texts(s))
        assert steps(s) == [60] and race(s)["autoplay"], "the reveal plays on every screen"
    assert verdicts == [False, True, False]
    late = app({"class": code})  # joining after the reveal: the outcome, no answer to give
    assert "You did not answer" in texts(late) and not late.text_input


def test_a_student_can_explore_and_come_back_to_follow(store):
    t, code = teacher_with_lesson(store)
    s = app({"class": code})
    assert title(s).endswith("Learning-rate lab")
    press(s, "class_unfollow")
    s.switch_page(PG).run()  # explores the playground
    assert title(s).endswith("Playground") and "exploring" in texts(s)
    press(t, "class_prev")  # the teacher goes back to the preset (a Playground view)
    s.switch_page(PG).run()
    assert "the teacher is on 1/2: Zig\\-zag in a ravine" in texts(s)
    press(s, "class_follow")  # back: the teacher's view opens
    assert title(s).endswith("Playground") and "following your teacher" in texts(s)
    assert s.query_params.get("surface") or s.session_state["_class_seat"].at["page"] == PG


def test_the_teacher_key_is_never_drawn_and_a_reload_resumes_teaching(store):
    t = press(app(voter="b-teacher-browser"), "class_start")
    seat = t.session_state["_class_seat"]
    for page in ("app.py", GA, PG):
        if page != "app.py":
            t.switch_page(page).run()
        assert seat.key not in texts(t), page
        copies = [json.loads(e.proto.json) for e in t.get("bidi_component") if "copy" in e.proto.id]
        assert all(seat.key in c["text"] for c in copies)  # only inside the copy button's data
    again = app(voter="b-teacher-browser")  # the same browser, a new session (a reload)
    assert again.session_state["_class_seat"].teacher and f"**{seat.code}**" in texts(again)
    stranger = app(voter="b-someone-else")
    assert "_class_seat" not in stranger.session_state


def test_a_teacher_link_resumes_on_another_device_and_a_wrong_key_joins_as_a_student(store):
    t = press(app(), "class_start")
    seat = t.session_state["_class_seat"]
    phone = app({"class": seat.code, "teacher": seat.key})
    assert phone.session_state["_class_seat"].teacher and "teacher" not in phone.query_params
    wrong = app({"class": seat.code, "teacher": seat.key + "x"})
    assert not wrong.session_state["_class_seat"].teacher
    assert any("not this class's teacher key" in w.value for w in wrong.warning)


def test_ending_the_class_stops_the_students_following(store):
    t, code = teacher_with_lesson(store)
    s = app({"class": code})
    t.switch_page("app.py").run()
    press(t, "class_leave")
    assert store.class_state(code) is None and "_class_seat" not in t.session_state
    again(s)
    assert "_class_seat" not in s.session_state and "has ended" in texts(s)


@pytest.mark.parametrize(
    "raw", ["", "12345", "K7Q2M0", "<script>", "x" * 500, "ABCDEF"], ids=lambda r: r[:8] or "empty"
)
def test_bad_codes_are_a_message_never_a_traceback(store, raw):
    at = app()
    at.text_input(key="class_code").input(raw)
    next(b for b in at.button if "Join" in b.label).click().run()
    assert not at.exception and "_class_seat" not in at.session_state
    assert at.warning and not at.error, raw
    link = app({"class": raw})
    assert not link.exception and "_class_seat" not in link.session_state


def test_a_self_paced_question_keeps_reveal_on_answer(store):
    _, q = ask_question(LR, {"ask": "regime", "eta2": "1"})
    s = open_link(LR, q)
    s.radio(key="lr_ask_regime").set_value("oscillate")
    press(s, next(b.key for b in s.button if b.label == "Commit my answer"))
    assert "Right." in texts(s) and steps(s) == [60]
