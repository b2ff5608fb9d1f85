"""A class on a real Streamlit server: thirty websocket students answer a question at once."""

from __future__ import annotations

import threading

import pytest

from ui import tally
from viz import predict as pq


def question() -> tuple[str, str]:
    key = tally.new_key()
    return key, tally.question_id(key)


# -- a real server, thirty websocket clients ----------------------------------------------------------
@pytest.mark.slow
def test_thirty_students_on_a_real_server_answer_at_once_and_the_teacher_counts_them(tmp_path):
    """30 websocket sessions open a question link, then all submit their answer at the same
    moment; a student submits twice; the teacher link's tally has exactly 30 answers."""
    from concurrent.futures import ThreadPoolExecutor

    from tests.wsclient import Server, Session

    key, qid = question()
    query = f"ask=regime&q={qid}&eta2=1"
    tally.Tally(tmp_path).open_question(
        qid, "pages/2_Learning_rate.py", {"ask": "regime", "q": qid, "eta2": "1"}, "regime"
    )
    server = Server(env={tally.ENV: str(tmp_path)})
    try:
        students = [Session(server.port) for _ in range(30)]
        with ThreadPoolExecutor(6) as pool:
            opened = list(pool.map(lambda s: s.open("Learning_rate", query), students))
        assert all(r.finished and not r.exceptions for r in opened)
        go = threading.Barrier(30)
        picks = ["oscillate"] * 20 + ["converge"] * 6 + ["diverge"] * 4

        def answer(i: int):
            s, r = students[i], opened[i]
            go.wait()
            s.send(
                "Learning_rate",
                query,
                trigger=r.buttons["Commit my answer"],
                values={r.widgets["lr_ask_regime"]: pq.REGIMES[picks[i]]},  # the label
            )
            return s.wait()

        with ThreadPoolExecutor(30) as pool:
            done = list(pool.map(answer, range(30)))
        assert all(r.finished and not r.exceptions for r in done)
        right = [any("Right." in body for body in r.texts("success")) for r in done]
        assert right == [p == "oscillate" for p in picks], "each student graded on their answer"
        # the same sessions submit again (stale form ids): nothing more is counted
        for i in (0, 1):
            students[i].send(
                "Learning_rate",
                query,
                trigger=opened[i].buttons["Commit my answer"],
                values={opened[i].widgets["lr_ask_regime"]: pq.REGIMES["converge"]},
            )
            assert "Commit my answer" not in students[i].wait().buttons
        # a hostile client sends a value no option has: a message, nothing counted
        rogue = Session(server.port)
        r = rogue.open("Learning_rate", query)
        rogue.send(
            "Learning_rate",
            query,
            trigger=r.buttons["Commit my answer"],
            values={r.widgets["lr_ask_regime"]: "x" * 100_000},
        )
        bad = rogue.wait()
        assert any("not counted" in e for e in bad.texts("error")) and not bad.exceptions
        students.append(rogue)
        teacher = Session(server.port)
        t = teacher.open("Learning_rate", query + f"&teacher={key}")
        text = "\n".join(t.markdown)
        assert "30 answers so far" in text and "right (" not in text, text[:2000]
        t = teacher.click("lr_ask_reveal", t)  # the teacher's own screen only (self-paced)
        text = "\n".join(t.markdown)
        assert "Tally: 30 answers, 20 right (67%)" in text, text[:2000]
        for s in [*students, teacher]:
            s.close()
    finally:
        server.stop()
