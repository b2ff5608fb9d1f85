"""The class's answers to a question link, counted across sessions in one SQLite file.

A question link carries a question id ``q``; the teacher's link also carries the *teacher key*
``teacher`` it was made from. The id is the first 16 hex digits of the SHA-256 of the key
(:func:`question_id`), so the server checks a teacher key without storing anything, a restart
does not invalidate old links, and a student who holds only the id cannot compute the key.

Each answer is one row ``(question, voter)``: a voter (a browser, see ``ui.predict``) counts once,
whatever it sends later. Every answer also records the hash of the view it was given for
(``spec``): the teacher's tally counts the answers to the teacher's own view, and reports those
that came from an altered copy of the link apart.

Bounded: at most ``MAX_ANSWERS`` answers per question and ``MAX_QUESTIONS`` live questions,
answers older than ``TTL`` seconds are deleted, the file may not grow past ``MAX_BYTES``
(``PRAGMA max_page_count``), the write-ahead log is checkpointed once it holds ``WAL_BYTES`` and
truncated to that size afterwards. WAL mode lets readers (the teacher's live tally) run beside writers; every write is one
short ``BEGIN IMMEDIATE`` transaction, so thirty students answering at once queue for a few
milliseconds each, none is lost and none is counted twice.

The file lives in ``$DESCENT_LAB_DATA`` (default: ``descent-lab`` in the system's temporary
folder). Nothing but the standard library: this module has no Streamlit in it.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import sqlite3
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "MAX_ANSWERS",
    "MAX_QUESTIONS",
    "TTL",
    "Count",
    "Tally",
    "TallyError",
    "new_key",
    "question_id",
    "teacher_ok",
]

ENV = "DESCENT_LAB_DATA"
FILE = "tally.sqlite3"
TTL = 48 * 3600.0  # seconds an answer is kept: a lecture, and the day after
MAX_ANSWERS = 400  # answers per question: a large lecture hall
MAX_QUESTIONS = 500  # questions with answers at once
MAX_BYTES = 8 << 20  # the database file
WAL_BYTES = 1 << 20  # the write-ahead log: checkpointed at this size, truncated to it after
MAX_TEXT = 64  # characters of one answer as stored
PAGE = 4096

_ID_PREFIX = b"descent-lab/question/"


class TallyError(Exception):
    """The answer could not be counted (the store is full, or busy for too long)."""


def new_key() -> str:
    """A fresh teacher key: 96 random bits, URL-safe (16 characters)."""
    return secrets.token_urlsafe(12)


def question_id(key: str) -> str:
    """The question id a teacher key makes: 16 hex digits of SHA-256 (not reversible).

    >>> question_id("abc") == question_id("abc"), len(question_id("abc"))
    (True, 16)
    """
    return hashlib.sha256(_ID_PREFIX + str(key).encode("utf-8", "replace")).hexdigest()[:16]


def teacher_ok(qid: str, key: str | None) -> bool:
    """Whether ``key`` is the teacher key of question ``qid`` (a constant-time comparison).

    >>> k = new_key(); teacher_ok(question_id(k), k), teacher_ok(question_id(k), k + "x")
    (True, False)
    >>> teacher_ok(question_id(k), None), teacher_ok(question_id(k), "")
    (False, False)
    """
    if not key or len(key) > 64:
        return False
    return hmac.compare_digest(question_id(key), str(qid))


@dataclass(frozen=True)
class Count:
    """A question's tally for one view: answers by their text, how many were right."""

    answers: dict[str, int]
    right: int
    total: int
    altered: int  # answers given to another view under the same question id

    @property
    def share_right(self) -> float:
        return self.right / self.total if self.total else 0.0


class Tally:
    """The answers store (one SQLite file; safe to share between threads and processes)."""

    def __init__(
        self,
        folder: str | os.PathLike | None = None,
        *,
        ttl: float = TTL,
        max_answers: int = MAX_ANSWERS,
        max_questions: int = MAX_QUESTIONS,
        max_bytes: int = MAX_BYTES,
    ) -> None:
        folder = folder or os.environ.get(ENV) or Path(tempfile.gettempdir()) / "descent-lab"
        self.path = Path(folder) / FILE
        self.ttl = float(ttl)
        self.max_answers = int(max_answers)
        self.max_questions = int(max_questions)
        self.max_pages = max(int(max_bytes) // PAGE, 16)
        self._local = threading.local()
        self._purged = 0.0
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.execute(
                "CREATE TABLE IF NOT EXISTS answers ("
                " qid TEXT NOT NULL, voter TEXT NOT NULL, spec TEXT NOT NULL,"
                " answer TEXT NOT NULL, correct INTEGER NOT NULL, at REAL NOT NULL,"
                " PRIMARY KEY (qid, voter)) WITHOUT ROWID"
            )
            db.execute("CREATE INDEX IF NOT EXISTS answers_at ON answers (at)")

    # -- connections: one per thread, WAL, bounded ---------------------------------------------------
    def _connect(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=10.0, isolation_level=None)
            db.execute(f"PRAGMA page_size = {PAGE}")
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("PRAGMA synchronous = NORMAL")
            db.execute("PRAGMA busy_timeout = 10000")
            db.execute(f"PRAGMA max_page_count = {self.max_pages}")
            db.execute(f"PRAGMA wal_autocheckpoint = {WAL_BYTES // PAGE}")
            db.execute(f"PRAGMA journal_size_limit = {WAL_BYTES}")
            self._local.db = db
        return db

    def close(self) -> None:
        """Close this thread's connection (the others close with their threads)."""
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None

    # -- writing -------------------------------------------------------------------------------------
    def record(
        self, qid: str, voter: str, spec: str, answer: str, correct: bool, now: float | None = None
    ) -> tuple[bool, str]:
        """Count ``voter``'s answer to ``qid``: ``(True, answer)`` if counted now, ``(False,
        earlier answer)`` if this voter had already answered (the first answer stands).

        Raises :class:`TallyError` when the question has ``max_answers`` answers, the store holds
        ``max_questions`` questions, or the file is full.
        """
        now = time.time() if now is None else float(now)
        qid, voter, spec = str(qid)[:32], str(voter)[:64], str(spec)[:32]
        answer = str(answer)[:MAX_TEXT]
        db = self._connect()
        try:
            db.execute("BEGIN IMMEDIATE")
            try:
                if now - self._purged > 60.0:
                    db.execute("DELETE FROM answers WHERE at < ?", (now - self.ttl,))
                    self._purged = now
                row = db.execute(
                    "SELECT answer FROM answers WHERE qid = ? AND voter = ?", (qid, voter)
                ).fetchone()
                if row is not None:
                    db.execute("COMMIT")
                    return False, row[0]
                (n,) = db.execute(
                    "SELECT COUNT(*) FROM answers WHERE qid = ? AND at >= ?",
                    (qid, now - self.ttl),
                ).fetchone()
                if n >= self.max_answers:
                    raise TallyError(
                        f"this question already has {n} answers, the most one question keeps"
                    )
                if n == 0:
                    (q,) = db.execute(
                        "SELECT COUNT(DISTINCT qid) FROM answers WHERE at >= ?",
                        (now - self.ttl,),
                    ).fetchone()
                    if q >= self.max_questions:
                        raise TallyError(
                            "the server holds as many live questions as it keeps; answers "
                            "expire after a while"
                        )
                db.execute(
                    "INSERT INTO answers (qid, voter, spec, answer, correct, at) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (qid, voter, spec, answer, int(bool(correct)), now),
                )
                db.execute("COMMIT")
                return True, answer
            except BaseException:
                if db.in_transaction:  # SQLite already rolled back a full database's write
                    db.execute("ROLLBACK")
                raise
        except sqlite3.OperationalError as err:
            raise TallyError(f"the answers store is busy or full ({err})") from err
        except sqlite3.DatabaseError as err:
            raise TallyError(f"the answers store refused the answer ({err})") from err

    def reset(self, qid: str) -> int:
        """Delete every answer to ``qid`` (the teacher's reset); returns how many."""
        db = self._connect()
        cur = db.execute("DELETE FROM answers WHERE qid = ?", (str(qid)[:32],))
        return int(cur.rowcount)

    # -- reading -------------------------------------------------------------------------------------
    def count(self, qid: str, spec: str, now: float | None = None) -> Count:
        """The tally of ``qid`` for the view ``spec`` (answers to other views counted apart)."""
        now = time.time() if now is None else float(now)
        db = self._connect()
        rows = db.execute(
            "SELECT spec = ?, answer, correct, COUNT(*) FROM answers "
            "WHERE qid = ? AND at >= ? GROUP BY 1, 2, 3",
            (str(spec)[:32], str(qid)[:32], now - self.ttl),
        ).fetchall()
        answers: dict[str, int] = {}
        right = total = altered = 0
        for same, answer, correct, n in rows:
            if not same:
                altered += n
                continue
            answers[answer] = answers.get(answer, 0) + n
            total += n
            right += n if correct else 0
        return Count(dict(sorted(answers.items(), key=lambda kv: -kv[1])), right, total, altered)

    def answer_of(self, qid: str, voter: str) -> str | None:
        """``voter``'s counted answer to ``qid``, if any."""
        row = (
            self._connect()
            .execute(
                "SELECT answer FROM answers WHERE qid = ? AND voter = ?",
                (str(qid)[:32], str(voter)[:64]),
            )
            .fetchone()
        )
        return None if row is None else row[0]
