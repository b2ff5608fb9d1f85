"""The class's shared state, across sessions, in one SQLite file: classes, questions, answers.

**Classes.** A teacher starts a class with a fresh *class key* (kept in the teacher's session and
on the server, never drawn on a page); the class's public *code* (``K7Q2MX``, what the room types
or scans) is derived from the key (:func:`class_code`), so a teacher link proves itself. The row
also holds the teacher's browser (hashed), so a reload resumes teaching; and the lesson (an ordered list of views, each a page and its query) and the step the
teacher is on; ``rev`` grows with every change, so a student's page that polls it knows when to
follow.

**Questions.** A question is *opened* before it takes answers (:meth:`Tally.open_question`): its
row holds the view it asks about (page and canonical query), its kind, whether the teacher paces
it (``paced``: the class sees the outcome only when the teacher reveals it) and its phase
(``asking`` → ``closed`` → ``revealed``). Answers to an id that was never opened are refused
without writing anything, so random ids cannot fill the server; a student link altered by hand
opens the stored view (one question, one copy). A question's id is the first 16 hex digits of
the SHA-256 of its teacher key (:func:`question_id`): a teacher link of a self-paced question
proves itself the same way.

**Answers.** One row per ``(question, voter)``: a voter (a browser, see ``ui.predict``) counts once,
whatever it sends later. Each answer also records the client's address (hashed): one address
may give at most ``per_address`` answers to one question, so a script cannot fill a question's
cap from one machine. Every refused answer to an open question is counted by its reason
(:meth:`Tally.refuse`), and the teacher sees those counts.

Bounded: ``MAX_ANSWERS`` answers per question, ``MAX_QUESTIONS`` open questions (the oldest one
without answers makes room), ``MAX_CLASSES`` classes; rows older than ``TTL`` seconds are
deleted; the file may not grow past ``MAX_BYTES`` (``PRAGMA max_page_count``); the write-ahead
log is checkpointed once it holds ``WAL_BYTES``. WAL mode lets readers (the polls, the live
tally) run beside writers; every write is one short ``BEGIN IMMEDIATE`` transaction, so thirty
students answering at once queue for a few milliseconds each, none lost, none counted twice.
A file deleted while the server runs is noticed on the next call (its inode changed) and made
again with its tables.

The file lives in ``$DESCENT_LAB_DATA`` (default: ``descent-lab`` in the system's temporary
folder). Nothing but the standard library: this module has no Streamlit in it.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import secrets
import sqlite3
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

__all__ = [
    "MAX_ANSWERS",
    "MAX_QUESTIONS",
    "PER_ADDRESS",
    "PHASES",
    "TTL",
    "ClassState",
    "Count",
    "Question",
    "Refused",
    "Tally",
    "TallyError",
    "class_code",
    "new_key",
    "question_id",
    "teacher_ok",
]

ENV = "DESCENT_LAB_DATA"
ENV_PER_ADDRESS = "DESCENT_LAB_PER_ADDRESS"
FILE = "tally.sqlite3"
SCHEMA = 4  # PRAGMA user_version: a file of another version is emptied and made again
TTL = 48 * 3600.0  # seconds a row is kept: a lecture, and the day after
MAX_ANSWERS = 1000  # answers per question: a 300-seat hall three times over
PER_ADDRESS = 120  # answers to one question from one client address
MAX_QUESTIONS = 2000  # open questions at once
MAX_CLASSES = 500  # class sessions at once
PER_OPENER = 100  # open questions one client address may hold
CLASSES_PER_OPENER = 20  # classes one client address may hold
SPARE_AFTER = 3600.0  # seconds after which an unanswered question (or an idle class) may make room
MAX_LESSON = 40  # views in one lesson
MAX_QUERY = 4000  # characters of a stored view's query (JSON)
MAX_BYTES = 8 << 20  # the database file
WAL_BYTES = 1 << 20  # the write-ahead log: checkpointed at this size, truncated to it after
MAX_TEXT = 64  # characters of one answer as stored
PAGE = 4096
PHASES = ("asking", "closed", "revealed")
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: read off a projector
CODE_LENGTH = 6

_ID_PREFIX = b"descent-lab/question/"
_CODE_PREFIX = b"descent-lab/class/"
T = TypeVar("T")

_TABLES = (
    "CREATE TABLE IF NOT EXISTS classes ("
    " code TEXT PRIMARY KEY, key TEXT NOT NULL, owner TEXT NOT NULL, address TEXT NOT NULL,"
    " lesson TEXT NOT NULL, step INTEGER NOT NULL, rev INTEGER NOT NULL, at REAL NOT NULL)"
    " WITHOUT ROWID",
    "CREATE INDEX IF NOT EXISTS classes_owner ON classes (owner, at)",
    "CREATE TABLE IF NOT EXISTS questions ("
    " qid TEXT PRIMARY KEY, class TEXT, page TEXT NOT NULL, query TEXT NOT NULL,"
    " kind TEXT NOT NULL, paced INTEGER NOT NULL, phase TEXT NOT NULL, rev INTEGER NOT NULL,"
    " address TEXT NOT NULL, at REAL NOT NULL) WITHOUT ROWID",
    "CREATE INDEX IF NOT EXISTS questions_address ON questions (address)",
    "CREATE TABLE IF NOT EXISTS answers ("
    " qid TEXT NOT NULL, voter TEXT NOT NULL, address TEXT NOT NULL,"
    " answer TEXT NOT NULL, correct INTEGER NOT NULL, at REAL NOT NULL,"
    " PRIMARY KEY (qid, voter)) WITHOUT ROWID",
    "CREATE INDEX IF NOT EXISTS answers_address ON answers (qid, address)",
    "CREATE TABLE IF NOT EXISTS refused ("
    " qid TEXT NOT NULL, reason TEXT NOT NULL, n INTEGER NOT NULL,"
    " PRIMARY KEY (qid, reason)) WITHOUT ROWID",
)


class TallyError(Exception):
    """The store cannot do it (full, busy, a limit reached): the message says why."""


class Refused(TallyError):
    """An answer refused by the rules (question not open or closed, full, an address's share)."""


def new_key() -> str:
    """A fresh teacher key: 96 random bits, URL-safe (16 characters)."""
    return secrets.token_urlsafe(12)


def question_id(key: str) -> str:
    """The question id a teacher key makes: 16 hex digits of SHA-256 (not reversible).

    >>> question_id("abc") == question_id("abc"), len(question_id("abc"))
    (True, 16)
    """
    return hashlib.sha256(_ID_PREFIX + str(key).encode("utf-8", "replace")).hexdigest()[:16]


def class_code(key: str) -> str:
    """The public code of the class a key opens: six characters a room can read and type.

    >>> c = class_code("abc"); c == class_code("abc"), len(c), c == class_code("abd")
    (True, 6, False)
    """
    digest = int.from_bytes(hashlib.sha256(_CODE_PREFIX + str(key).encode()).digest()[:8], "big")
    out = []
    for _ in range(CODE_LENGTH):
        digest, r = divmod(digest, len(CODE_ALPHABET))
        out.append(CODE_ALPHABET[r])
    return "".join(out)


def normal_code(raw: str | None) -> str | None:
    """A typed class code as stored (upper case, spaces and dashes dropped), or None if it
    cannot be one.

    >>> normal_code(" k7q-2mx "), normal_code("K7Q2M0"), normal_code(None)
    ('K7Q2MX', None, None)
    """
    text = "".join(c for c in str(raw or "")[:32] if c not in " -").upper()
    if len(text) != CODE_LENGTH or any(c not in CODE_ALPHABET for c in text):
        return None
    return text


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


def class_teacher_ok(code: str, key: str | None) -> bool:
    """Whether ``key`` is the key of the class ``code``.

    >>> k = new_key(); class_teacher_ok(class_code(k), k), class_teacher_ok(class_code(k), "x")
    (True, False)
    """
    if not key or len(key) > 64:
        return False
    return hmac.compare_digest(class_code(key), str(code))


@dataclass(frozen=True)
class Count:
    """A question's tally: answers by their text, how many were right, refusals by reason."""

    answers: dict[str, int]
    right: int
    total: int
    refused: dict[str, int]

    @property
    def share_right(self) -> float:
        return self.right / self.total if self.total else 0.0

    @property
    def refused_total(self) -> int:
        return sum(self.refused.values())


@dataclass(frozen=True)
class Question:
    """An open question: the view it asks about, its kind, who paces it and its phase."""

    qid: str
    cls: str | None  # the class it belongs to (None: a self-paced link)
    page: str
    query: dict[str, str]
    kind: str
    paced: bool
    phase: str
    rev: int


@dataclass(frozen=True)
class ClassState:
    """A class: its lesson (views in order), the step the teacher is on, a change counter."""

    code: str
    lesson: list[dict[str, Any]]  # {"page", "query", "title", optional "qid"}
    step: int
    rev: int

    @property
    def view(self) -> dict[str, Any] | None:
        return self.lesson[self.step] if 0 <= self.step < len(self.lesson) else None


@contextlib.contextmanager
def transaction(db: Any, begin: str = "BEGIN") -> Iterator[Any]:
    """``begin`` … ``COMMIT`` on ``db``, rolled back if anything raises (unless the database
    already rolled back: SQLite does when it is full)."""
    db.execute(begin)
    try:
        yield db
        db.execute("COMMIT")
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise


class Tally:
    """The class store in one SQLite file (safe to share between threads and processes on one
    machine); ``ui.tally_postgres.PgTally`` is the same store in PostgreSQL, for several app
    servers. Every statement is written once, for both: ``?`` placeholders, standard SQL."""

    def __init__(
        self,
        folder: str | os.PathLike | None = None,
        *,
        ttl: float = TTL,
        max_answers: int = MAX_ANSWERS,
        max_questions: int = MAX_QUESTIONS,
        max_classes: int = MAX_CLASSES,
        per_address: int | None = None,
        max_bytes: int = MAX_BYTES,
        live: str | os.PathLike | None = None,
    ) -> None:
        folder = folder or os.environ.get(ENV) or Path(tempfile.gettempdir()) / "descent-lab"
        self.path: Path | None = Path(folder) / FILE
        self._limits(ttl, max_answers, max_questions, max_classes, per_address, max_bytes, live)
        self._local = threading.local()
        self._checked: int | None = None  # the file (inode) whose tables were checked
        self._connect()

    def _limits(
        self,
        ttl: float,
        max_answers: int,
        max_questions: int,
        max_classes: int,
        per_address: int | None,
        max_bytes: int,
        live: str | os.PathLike | None,
    ) -> None:
        self.ttl = float(ttl)
        self.max_answers = int(max_answers)
        self.max_questions = int(max_questions)
        self.max_classes = int(max_classes)
        if per_address is None:
            try:
                per_address = int(os.environ.get(ENV_PER_ADDRESS, PER_ADDRESS))
            except ValueError:
                per_address = PER_ADDRESS
        self.per_address = max(int(per_address), 1)
        self.max_pages = max(int(max_bytes) // PAGE, 16)
        self.live = Path(live) if live is not None else None
        self._purged = 0.0

    # -- connections: one per thread, WAL, bounded, made again if the file vanished -------------------
    def _inode(self) -> int | None:
        try:
            return os.stat(self.path).st_ino
        except OSError:
            return None

    def _connect(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        inode = self._inode()
        if db is not None and inode == getattr(self._local, "inode", None):
            return db
        if db is not None:  # the file was deleted or replaced under us: start again
            db.close()
            self._local.db = None
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.path, timeout=10.0, isolation_level=None)
        db.execute(f"PRAGMA page_size = {PAGE}")
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = NORMAL")
        db.execute("PRAGMA busy_timeout = 10000")
        db.execute(f"PRAGMA max_page_count = {self.max_pages}")
        db.execute(f"PRAGMA wal_autocheckpoint = {WAL_BYTES // PAGE}")
        db.execute(f"PRAGMA journal_size_limit = {WAL_BYTES}")
        inode = self._inode()
        if inode is None or inode != self._checked:
            # once per file (a script run is a new thread, so a new connection: checking the
            # tables each time took a write lock on every first run of a session)
            self._schema(db)
            self._checked = self._inode()
        self._local.db, self._local.inode = db, self._inode()
        return db

    @staticmethod
    def _schema(db: Any) -> None:
        """The tables, at this code's version (an older file's rows are dropped: they live
        48 hours anyway)."""
        with transaction(db, "BEGIN IMMEDIATE"):
            (version,) = db.execute("PRAGMA user_version").fetchone()
            if version != SCHEMA:
                for (name,) in db.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table'"
                ).fetchall():
                    db.execute(f'DROP TABLE IF EXISTS "{name}"')
                db.execute(f"PRAGMA user_version = {SCHEMA}")
            for sql in _TABLES:
                db.execute(sql)

    def close(self) -> None:
        """Close this thread's connection (the others close with their threads)."""
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None

    def _write(self, work: Callable[[Any, float], T], now: float | None = None) -> T:
        """``work(db, now)`` in one transaction that holds the store's write lock (no other
        writer runs beside it: a count then an insert is exact), after purging old rows (once a
        minute); the database's errors become :class:`TallyError`."""
        now = time.time() if now is None else float(now)
        try:
            with self._writing() as db:
                try:
                    if now - self._purged > 60.0:
                        old = now - self.ttl
                        db.execute("DELETE FROM answers WHERE at < ?", (old,))
                        db.execute("DELETE FROM classes WHERE at < ?", (old,))
                        for (qid,) in db.execute(
                            "SELECT qid FROM questions WHERE at < ?", (old,)
                        ).fetchall():
                            self._drop_question(db, qid)
                        self._sweep_live(old)
                        self._purged = now
                    out = work(db, now)
                    db.execute("COMMIT")
                    return out
                except BaseException:
                    if db.in_transaction:  # SQLite already rolled back a full database's write
                        db.execute("ROLLBACK")
                    raise
        except self.BUSY as err:
            raise TallyError(f"the class store is busy or full ({err})") from err
        except self.REFUSED as err:
            raise TallyError(f"the class store refused it ({err})") from err

    # what the database raises when it is busy or full, and when it refuses a statement
    BUSY: tuple[type[BaseException], ...] = (sqlite3.OperationalError,)
    REFUSED: tuple[type[BaseException], ...] = (sqlite3.DatabaseError,)

    @contextlib.contextmanager
    def _writing(self) -> Iterator[Any]:
        """This thread's connection, in a transaction that holds the write lock."""
        db = self._connect()
        db.execute("BEGIN IMMEDIATE")
        yield db

    def _one(self, sql: str, params: tuple = ()) -> tuple | None:
        """The first row of a read (outside any transaction: WAL readers never wait)."""
        try:
            return self._connect().execute(sql, params).fetchone()
        except self.REFUSED as err:
            raise TallyError(f"the class store cannot be read now ({err})") from err

    def _all(self, sql: str, params: tuple = ()) -> list[tuple]:
        try:
            return self._connect().execute(sql, params).fetchall()
        except self.REFUSED as err:
            raise TallyError(f"the class store cannot be read now ({err})") from err

    @staticmethod
    def _drop_question(db: Any, qid: str) -> None:
        for table in ("questions", "answers", "refused"):
            db.execute(f"DELETE FROM {table} WHERE qid = ?", (qid,))

    # -- live files: what a page's browser polls instead of the server ---------------------------------
    def _publish(self, name: str, rev: int | None) -> None:
        """Write ``live/<name>.json`` (``{"rev": rev}``; None deletes it): a file the app's static
        serving hands to every browser watching a class or a question. A browser's timer reads it
        (a static GET, ~2 ms of server CPU, against ~45 ms for a script's fragment rerun) and
        reruns its page only when the number changed. Nothing secret is in it."""
        if self.live is None:
            return
        path = self.live / f"{name}.json"
        try:
            if rev is None:
                path.unlink(missing_ok=True)
                return
            self.live.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{threading.get_ident()}.tmp")
            tmp.write_text(json.dumps({"rev": int(rev)}))
            tmp.replace(path)
        except OSError:  # a read-only folder: pages fall back to their own timer
            pass

    def ensure_live(self, name: str, rev: int) -> None:
        """Write ``live/<name>.json`` if it is missing (a question opened by another process, a
        folder emptied by hand): a watcher then never asks for a file that is not there."""
        if self.live is not None and not (self.live / f"{name}.json").exists():
            self._publish(name, rev)

    def _sweep_live(self, before: float) -> None:
        """Delete the live files not written since ``before`` (their class or question is gone
        or expired): the folder holds at most one small file per live class and question."""
        if self.live is None or not self.live.is_dir():
            return
        for path in self.live.iterdir():
            try:
                if path.stat().st_mtime < before:
                    path.unlink()
            except OSError:
                pass

    def _publish_question(self, qid: str) -> None:
        q = self.question(qid)
        self._publish(f"q-{qid}", None if q is None else q.rev)

    # -- questions -----------------------------------------------------------------------------------
    def open_question(
        self,
        qid: str,
        page: str,
        query: dict[str, str],
        kind: str,
        *,
        cls: str | None = None,
        paced: bool = False,
        address: str = "",
        now: float | None = None,
    ) -> Question:
        """Open question ``qid`` on ``page`` with the view ``query`` (opening it again keeps its
        answers and refreshes its age), from client ``address``. One address holds at most
        ``PER_OPENER`` open questions. When ``max_questions`` are open, the oldest one opened
        over an hour ago, without answers and outside a class, is closed for good to make
        room; if there is none: :class:`TallyError` (a flood of new questions cannot push out
        a teacher's question that was just opened)."""
        text = json.dumps({str(k): str(v) for k, v in query.items()}, sort_keys=True)
        if len(text) > MAX_QUERY:
            raise TallyError("this view's link is too long to keep as a question")
        qid = str(qid)[:32]
        address = _hash(address)

        def work(db: Any, now: float) -> str | None:
            dropped = None
            row = db.execute("SELECT 1 FROM questions WHERE qid = ?", (qid,)).fetchone()
            if row is None:
                (mine,) = db.execute(
                    "SELECT COUNT(*) FROM questions WHERE address = ?", (address,)
                ).fetchone()
                if mine >= PER_OPENER:
                    raise TallyError(
                        f"your network address holds {mine} open questions, the most one "
                        "address may; they close 48 hours after they were opened"
                    )
                (n,) = db.execute("SELECT COUNT(*) FROM questions").fetchone()
                if n >= self.max_questions:
                    spare = db.execute(
                        "SELECT qid FROM questions q WHERE class IS NULL AND at < ? AND NOT "
                        "EXISTS (SELECT 1 FROM answers a WHERE a.qid = q.qid) ORDER BY at LIMIT 1",
                        (now - SPARE_AFTER,),
                    ).fetchone()
                    if spare is None:
                        raise TallyError(
                            "the server holds as many open questions as it keeps; they close "
                            "48 hours after they were opened"
                        )
                    self._drop_question(db, spare[0])
                    dropped = spare[0]
            db.execute(
                "INSERT INTO questions (qid, class, page, query, kind, paced, phase, rev, address, "
                "at) VALUES (?, ?, ?, ?, ?, ?, 'asking', 0, ?, ?) ON CONFLICT (qid) DO UPDATE SET "
                "class = excluded.class, page = excluded.page, query = excluded.query, "
                "kind = excluded.kind, paced = excluded.paced, at = excluded.at",
                (qid, cls, str(page), text, str(kind), int(bool(paced)), address, now),
            )
            return dropped

        dropped = self._write(work, now)
        if dropped:
            self._publish(f"q-{dropped}", None)
        out = self.question(qid, now)
        assert out is not None
        self._publish(f"q-{qid}", out.rev)
        return out

    def question(self, qid: str, now: float | None = None) -> Question | None:
        """The open question ``qid``, or None (never opened, or closed for good)."""
        now = time.time() if now is None else float(now)
        row = self._one(
            "SELECT qid, class, page, query, kind, paced, phase, rev FROM questions "
            "WHERE qid = ? AND at >= ?",
            (str(qid)[:32], now - self.ttl),
        )
        if row is None:
            return None
        qid, cls, page, query, kind, paced, phase, rev = row
        return Question(qid, cls, page, json.loads(query), kind, bool(paced), phase, int(rev))

    def set_phase(self, qid: str, phase: str) -> None:
        """Move question ``qid`` to ``phase`` (asking, closed, revealed)."""
        if phase not in PHASES:
            raise ValueError(f"no such phase: {phase}")
        self._write(
            lambda db, now: db.execute(
                "UPDATE questions SET phase = ?, rev = rev + 1, at = ? WHERE qid = ?",
                (phase, now, str(qid)[:32]),
            )
        )
        self._publish_question(str(qid)[:32])

    # -- answers -------------------------------------------------------------------------------------
    def record(
        self,
        qid: str,
        voter: str,
        answer: str,
        correct: bool,
        address: str = "",
        now: float | None = None,
    ) -> tuple[bool, str]:
        """Count ``voter``'s answer to ``qid``: ``(True, answer)`` if counted now, ``(False,
        earlier answer)`` if this voter had already answered (the first answer stands).

        Raises :class:`TallyError` (and counts the refusal by its reason) when the question is
        not open or not asking, has ``max_answers`` answers, or ``address`` has given its
        ``per_address`` answers, or the file is full.
        """
        qid, voter = str(qid)[:32], str(voter)[:64]
        address = _hash(address)
        answer = str(answer)[:MAX_TEXT]

        def work(db: Any, now: float) -> tuple[bool, str] | str:
            q = db.execute(
                "SELECT phase FROM questions WHERE qid = ? AND at >= ?", (qid, now - self.ttl)
            ).fetchone()
            if q is None:
                return "not open"  # nothing written: random ids cost a read
            row = db.execute(
                "SELECT answer FROM answers WHERE qid = ? AND voter = ?", (qid, voter)
            ).fetchone()
            if row is not None:
                return False, row[0]
            if q[0] != "asking":
                return self._refused(db, qid, "answers closed")
            (n,) = db.execute("SELECT COUNT(*) FROM answers WHERE qid = ?", (qid,)).fetchone()
            if n >= self.max_answers:
                return self._refused(db, qid, "question full")
            (m,) = db.execute(
                "SELECT COUNT(*) FROM answers WHERE qid = ? AND address = ?", (qid, address)
            ).fetchone()
            if m >= self.per_address:
                return self._refused(db, qid, "one address's share")
            db.execute(
                "INSERT INTO answers (qid, voter, address, answer, correct, at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (qid, voter, address, answer, int(bool(correct)), now),
            )
            return True, answer

        out = self._write(work, now)
        if isinstance(out, str):
            raise Refused(_WHY[out].format(n=self.max_answers, m=self.per_address))
        return out

    def _refused(self, db: Any, qid: str, reason: str) -> str:
        db.execute(
            "INSERT INTO refused (qid, reason, n) VALUES (?, ?, 1) "
            "ON CONFLICT (qid, reason) DO UPDATE SET n = refused.n + 1",
            (qid, reason),
        )
        return reason

    def refuse(self, qid: str, reason: str) -> None:
        """Count an answer to the open question ``qid`` that was refused before the store (no
        browser cookie): the teacher sees how many, and why."""

        def work(db: Any, now: float) -> None:
            if db.execute("SELECT 1 FROM questions WHERE qid = ?", (str(qid)[:32],)).fetchone():
                self._refused(db, str(qid)[:32], str(reason)[:40])

        self._write(work)

    def reset(self, qid: str) -> int:
        """Delete every answer to ``qid`` and its refusals, and ask again; returns how many."""

        def work(db: Any, now: float) -> int:
            cur = db.execute("DELETE FROM answers WHERE qid = ?", (str(qid)[:32],))
            db.execute("DELETE FROM refused WHERE qid = ?", (str(qid)[:32],))
            db.execute(
                "UPDATE questions SET phase = 'asking', rev = rev + 1 WHERE qid = ?",
                (str(qid)[:32],),
            )
            return int(cur.rowcount)

        out = self._write(work)
        self._publish_question(str(qid)[:32])
        return out

    # -- reading -------------------------------------------------------------------------------------
    def count(self, qid: str, now: float | None = None) -> Count:
        """The tally of ``qid``: answers by text, right ones, refusals by reason."""
        now = time.time() if now is None else float(now)
        qid = str(qid)[:32]
        rows = self._all(
            "SELECT answer, correct, COUNT(*) FROM answers WHERE qid = ? AND at >= ? GROUP BY 1, 2",
            (qid, now - self.ttl),
        )
        answers: dict[str, int] = {}
        right = total = 0
        for answer, correct, n in rows:
            answers[answer] = answers.get(answer, 0) + n
            total += n
            right += n if correct else 0
        refused = dict(self._all("SELECT reason, n FROM refused WHERE qid = ?", (qid,)))
        return Count(dict(sorted(answers.items(), key=lambda kv: -kv[1])), right, total, refused)

    def answer_of(self, qid: str, voter: str) -> str | None:
        """``voter``'s counted answer to ``qid``, if any."""
        row = self._one(
            "SELECT answer FROM answers WHERE qid = ? AND voter = ?",
            (str(qid)[:32], str(voter)[:64]),
        )
        return None if row is None else row[0]

    # -- classes -------------------------------------------------------------------------------------
    def open_class(
        self, key: str, owner: str = "", address: str = "", now: float | None = None
    ) -> ClassState:
        """Start (or resume) the class of teacher key ``key``; ``owner`` (the teacher's browser,
        hashed) lets a reload of that browser resume it (:meth:`class_of`). One client address
        holds at most ``CLASSES_PER_OPENER`` classes; when ``max_classes`` are live, the one
        idle longest (over an hour) ends to make room, else :class:`TallyError`."""
        code = class_code(key)
        owner = hashlib.sha256(str(owner).encode()).hexdigest()[:24] if owner else ""
        address = _hash(address)

        def work(db: Any, now: float) -> None:
            if db.execute("SELECT 1 FROM classes WHERE code = ?", (code,)).fetchone():
                db.execute(
                    "UPDATE classes SET at = ?, owner = CASE WHEN ? = '' THEN owner ELSE ? END "
                    "WHERE code = ?",
                    (now, owner, owner, code),
                )
                return
            (mine,) = db.execute(
                "SELECT COUNT(*) FROM classes WHERE address = ?", (address,)
            ).fetchone()
            if mine >= CLASSES_PER_OPENER:
                raise TallyError(
                    f"your network address holds {mine} class sessions, the most one address "
                    "may; end one (📋 End the class) or wait for one to expire"
                )
            (n,) = db.execute("SELECT COUNT(*) FROM classes").fetchone()
            if n >= self.max_classes:
                idle = db.execute(
                    "SELECT code FROM classes WHERE at < ? ORDER BY at LIMIT 1",
                    (now - SPARE_AFTER,),
                ).fetchone()
                if idle is None:
                    raise TallyError(
                        "the server holds as many class sessions as it keeps; they end 48 "
                        "hours after their last change"
                    )
                db.execute("DELETE FROM classes WHERE code = ?", idle)
            db.execute(
                "INSERT INTO classes (code, key, owner, address, lesson, step, rev, at) "
                "VALUES (?, ?, ?, ?, '[]', -1, 0, ?)",
                (code, str(key), owner, address, now),
            )

        self._write(work, now)
        out = self.class_state(code, now)
        assert out is not None
        self._publish(f"c-{code}", out.rev)
        return out

    def class_of(self, owner: str) -> tuple[str, str] | None:
        """The (code, key) of the latest class the browser ``owner`` started, if it is live:
        a teacher's reload (a new session) resumes teaching. The key never leaves the server
        but to its own browser's session."""
        if not owner:
            return None
        row = self._one(
            "SELECT code, key FROM classes WHERE owner = ? AND at >= ? ORDER BY at DESC LIMIT 1",
            (hashlib.sha256(str(owner).encode()).hexdigest()[:24], time.time() - self.ttl),
        )
        return None if row is None else (row[0], row[1])

    def end_class(self, code: str) -> None:
        """End the class ``code``: its students stop following; its questions stay answerable
        as self-paced links until they expire."""
        self._write(lambda db, now: db.execute("DELETE FROM classes WHERE code = ?", (code,)))
        self._publish(f"c-{code}", -1)  # watchers rerun once and find it gone

    def class_state(self, code: str, now: float | None = None) -> ClassState | None:
        """The class ``code`` (its lesson, step and revision), or None if there is none."""
        now = time.time() if now is None else float(now)
        row = self._one(
            "SELECT code, lesson, step, rev FROM classes WHERE code = ? AND at >= ?",
            (str(code)[:16], now - self.ttl),
        )
        if row is None:
            return None
        return ClassState(row[0], json.loads(row[1]), int(row[2]), int(row[3]))

    def set_lesson(self, code: str, lesson: list[dict[str, Any]], step: int) -> ClassState:
        """Replace the lesson of class ``code`` and go to ``step`` (−1: none yet)."""
        if len(lesson) > MAX_LESSON:
            raise TallyError(f"a lesson holds at most {MAX_LESSON} views")
        text = json.dumps(lesson, sort_keys=True)
        if len(text) > MAX_LESSON * MAX_QUERY:
            raise TallyError("this lesson's links are too long to keep")
        step = max(-1, min(int(step), len(lesson) - 1))
        self._write(
            lambda db, now: db.execute(
                "UPDATE classes SET lesson = ?, step = ?, rev = rev + 1, at = ? WHERE code = ?",
                (text, step, now, str(code)[:16]),
            )
        )
        out = self.class_state(code)
        if out is None:
            raise TallyError("this class session has ended (48 hours after its last change)")
        self._publish(f"c-{code}", out.rev)
        return out

    def go(self, code: str, step: int) -> ClassState:
        """Move class ``code`` to lesson ``step`` (clamped to the lesson)."""
        state = self.class_state(code)
        if state is None:
            raise TallyError("this class session has ended (48 hours after its last change)")
        return self.set_lesson(code, state.lesson, max(0, min(int(step), len(state.lesson) - 1)))


def _hash(address: str) -> str:
    """A client address as stored (hashed: the store keeps no address)."""
    return hashlib.sha256(str(address).encode()).hexdigest()[:16]


_WHY = {
    "not open": "this question is not open on this server (never opened here, or closed 48 "
    "hours after it was opened)",
    "answers closed": "the teacher has closed the answers to this question",
    "question full": "this question already has {n} answers, the most one question keeps",
    "one address's share": "{m} answers already came from your network address, the most one "
    "address may give to a question",
}
