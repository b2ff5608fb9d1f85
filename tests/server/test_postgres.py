"""#29: the class store in PostgreSQL (``ui.tally_postgres``), on a real server from Debian's
package, and two app servers behind it that share one class.

The store's contract is the SQLite store's: exact counts under thirty concurrent writers, the
same refusals and bounds, a lesson and its steps, a schema of another version made again. Then
the path past one machine: a student answers on one app server, and the teacher, on another,
sees the answer counted, and moves the class (read by a student on the first server).
"""

from __future__ import annotations

import os
import threading
import time

import pytest

from tests.postgres import Postgres, binaries
from tests.server.test_class_attacks import answer
from tests.wsclient import Server, Session
from ui import tally

pytestmark = [
    pytest.mark.slow,
    # under CI a missing server is a failure (the fixture raises), not a skip
    pytest.mark.skipif(
        binaries() is None and not os.environ.get("CI"),
        reason="Debian's postgresql package is not installed (apt install postgresql)",
    ),
]
LR = "pages/2_Learning_rate.py"


@pytest.fixture(scope="module")
def postgres():
    pg = Postgres()
    yield pg
    pg.stop()


@pytest.fixture
def store(postgres):
    from ui.tally_postgres import PgTally

    s = PgTally(postgres.url)
    with s._writing() as db:  # every test starts from empty tables
        for table in ("answers", "refused", "questions", "classes"):
            db.execute(f"DELETE FROM {table}")
        db.execute("COMMIT")
    yield s
    s.engine.dispose()


def test_thirty_writers_at_once_count_exactly(store):
    """30 sessions answer at the same moment, each three times, each through its own pool
    connection: 30 rows, each voter's first answer; an address's share holds under the race."""
    from ui.tally_postgres import PgTally

    qid, go = tally.question_id("k"), threading.Barrier(30)
    store.open_question(qid, LR, {}, "first")
    other = tally.question_id("k2")
    store.open_question(other, LR, {}, "first")
    counted: list[bool] = []
    lock = threading.Lock()

    def student(i: int) -> None:
        go.wait()
        for attempt in range(3):
            ok, _ = store.record(qid, f"voter{i}", "abc"[(i + attempt) % 3], True, f"10.0.0.{i}")
            with lock:
                counted.append(ok)
        try:  # the same address, 30 voters at once, against a share of 7
            small.record(other, f"voter{i}", "x", True, "one-address")
        except tally.Refused:
            pass

    small = PgTally(store.engine, per_address=7)
    threads = [threading.Thread(target=student, args=(i,)) for i in range(30)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sum(counted) == 30 and len(counted) == 90
    c = store.count(qid)
    assert c.total == 30 and c.answers == {"a": 10, "b": 10, "c": 10}
    c2 = store.count(other)
    assert c2.total == 7 and c2.refused == {"one address's share": 23}


def test_refusals_bounds_and_reset_as_in_the_file(store):
    from ui.tally_postgres import PgTally

    qid = tally.question_id("q")
    with pytest.raises(tally.Refused, match="not open"):
        store.record(qid, "v", "x", True)
    assert store._one("SELECT COUNT(*) FROM refused") == (0,)  # a random id writes nothing
    s = PgTally(store.engine, max_answers=3, per_address=2, max_questions=2)
    s.open_question(qid, LR, {"eta2": "1"}, "regime")
    s.record(qid, "v0", "x", True, "a")
    s.record(qid, "v1", "x", False, "a")
    with pytest.raises(tally.Refused, match="network address"):
        s.record(qid, "v2", "x", True, "a")
    s.record(qid, "v2", "x", True, "b")
    with pytest.raises(tally.Refused, match="3 answers"):
        s.record(qid, "v3", "x", True, "c")
    s.open_question("q2", LR, {}, "first")
    with pytest.raises(tally.TallyError, match="open questions"):
        s.open_question("q3", LR, {}, "first")
    s.set_phase(qid, "closed")
    with pytest.raises(tally.Refused, match="closed"):
        s.record(qid, "late", "x", True, "d")
    c = s.count(qid)
    assert (c.total, c.right) == (3, 2)
    assert c.refused == {"one address's share": 1, "question full": 1, "answers closed": 1}
    assert s.reset(qid) == 3 and s.question(qid).phase == "asking"
    # a time-to-live later, the next write deletes the expired rows
    late = PgTally(store.engine, ttl=100.0)
    late.open_question("q5", LR, {}, "first", now=time.time() + 1000)
    assert late._one("SELECT COUNT(*) FROM questions") == (1,)
    assert len(late.record("q5", "v", "y" * 10_000, True)[1]) == tally.MAX_TEXT


def test_lessons_steps_and_a_teachers_reload(store):
    key = tally.new_key()
    code = tally.class_code(key)
    assert store.class_state(code) is None
    c = store.open_class(key, owner="browser-1")
    assert store.class_of("browser-1") == (code, key)
    views = [{"page": LR, "query": {"eta": "1"}, "title": "one"}, {"page": LR, "query": {}}]
    c2 = store.set_lesson(code, views, 5)
    assert c2.step == 1 and c2.rev > c.rev and store.go(code, 0).view == views[0]
    store.end_class(code)
    assert store.class_state(code) is None


def test_tables_of_another_schema_version_are_made_again(postgres, store):
    from ui.tally_postgres import PgTally

    store.open_question("q", LR, {}, "first")
    with store._writing() as db:
        db.execute("UPDATE descent_lab_meta SET v = v - 1 WHERE k = 'schema'")
        db.execute("COMMIT")
    fresh = PgTally(postgres.url)
    assert fresh.question("q") is None and fresh._one("SELECT COUNT(*) FROM questions") == (0,)
    fresh.open_question("q", LR, {}, "first")
    assert fresh.record("q", "v", "x", True) == (True, "x")
    fresh.engine.dispose()


def test_a_store_that_cannot_be_reached_is_a_message():
    from ui.tally_postgres import PgTally

    with pytest.raises(tally.TallyError, match="cannot be reached"):
        PgTally("postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2")


def test_two_app_servers_share_one_class_through_postgresql(postgres, store, tmp_path):
    """The teacher on server A, students on server B (each with its own, empty SQLite folder:
    nothing is shared but the database). A's teacher sees B's answers counted; a student on B
    follows the class the teacher moved on A."""
    env = {"DESCENT_LAB_DATABASE_URL": postgres.url, tally.ENV_PER_ADDRESS: "10"}
    a = Server(env={**env, tally.ENV: str(tmp_path / "a")})
    b = Server(env={**env, tally.ENV: str(tmp_path / "b")})
    try:
        key = tally.new_key()
        qid = tally.question_id(key)
        q = {"ask": "regime", "eta2": "1", "q": qid}
        store.open_question(qid, LR, q, "regime")  # as the share panel on A does
        query = "&".join(f"{k}={v}" for k, v in q.items())
        for _ in range(3):  # three students on B
            out = answer(b, query)
            assert not out.texts("error"), out.texts("error")
        assert store.count(qid).total == 3
        teacher = Session(a.port)
        t = teacher.open("Learning_rate", query + f"&teacher={key}")
        teacher.close()
        text = "\n".join(t.markdown + [body for _, body in t.alerts])
        assert "3 answers so far" in text, text
        # a class started on A, followed on B
        ckey = tally.new_key()
        code = tally.class_code(ckey)
        store.open_class(ckey)
        store.set_lesson(code, [{"page": LR, "query": {"eta2": "1.5"}, "title": "x"}], 0)
        student = Session(b.port)
        run = student.open("", f"class={code}")
        student.close()
        assert run.finished and not run.exceptions
        assert "eta2=1.5" in run.query, run.query  # B opened the view A's teacher is on
    finally:
        a.stop()
        b.stop()
