"""The class store in PostgreSQL: several app servers behind one address share one class.

The same store as :class:`ui.tally.Tally` (same tables, same statements, same limits), in a
PostgreSQL database reached through a SQLAlchemy engine (``postgresql+psycopg://…``, the maintained
``psycopg`` 3 driver). What differs, and why:

- **One writer at a time.** SQLite's ``BEGIN IMMEDIATE`` lets one transaction write; here every
  write takes a transaction-scoped advisory lock (``pg_advisory_xact_lock``) first, so a count
  followed by an insert (an address's share, a question's cap) stays exact when two servers write
  at once. Reads take no lock.
- **Types.** ``REAL`` is a 4-byte float in PostgreSQL (a Unix time would lose its seconds): the
  time columns are ``DOUBLE PRECISION``; ``WITHOUT ROWID`` is SQLite's alone.
- **The schema's version** lives in a ``descent_lab_meta`` row, not in ``PRAGMA user_version``;
  tables of another version are dropped and made again, as with the file.
- **Bounded** by the same row limits (answers per question, open questions, classes, TTL); there
  is no file to cap, so ``max_bytes`` does not apply.
- **No live files by default**: a browser polls the static folder of the server it is stuck to,
  which other servers do not write; pages then watch the class with their own timer (see
  ``ui.classroom.store``).

Connections come from the engine's pool (at most ``pool_size + max_overflow`` per server), one per
call, in autocommit mode with client-side parameter binding (the statements' ``?`` become ``%s``).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import Any

from . import tally

__all__ = ["PgTally"]

LOCK_ID = 0x6465_7363_656E_74  # "descent": the advisory lock every write of the store takes


class _Db:
    """A psycopg connection that runs the store's statements (``?`` placeholders)."""

    def __init__(self, conn: Any) -> None:
        import psycopg

        self.conn = conn
        self._idle = psycopg.pq.TransactionStatus.IDLE
        self._cursor = psycopg.ClientCursor

    def execute(self, sql: str, params: tuple = ()) -> Any:
        cur = self._cursor(self.conn)
        cur.execute(sql.replace("?", "%s"), tuple(params))
        return cur

    @property
    def in_transaction(self) -> bool:
        return self.conn.info.transaction_status != self._idle


def _ddl(sql: str) -> str:
    """A table statement of ``ui.tally`` in PostgreSQL's words."""
    return sql.replace(" WITHOUT ROWID", "").replace(" REAL ", " DOUBLE PRECISION ")


class PgTally(tally.Tally):
    """:class:`ui.tally.Tally` in PostgreSQL. ``engine``: a SQLAlchemy engine (``st.connection``'s,
    shared by the server's sessions) or a URL."""

    def __init__(
        self,
        engine: Any,
        *,
        ttl: float = tally.TTL,
        max_answers: int = tally.MAX_ANSWERS,
        max_questions: int = tally.MAX_QUESTIONS,
        max_classes: int = tally.MAX_CLASSES,
        per_address: int | None = None,
        live: str | os.PathLike | None = None,
    ) -> None:
        import psycopg
        import sqlalchemy

        if isinstance(engine, str):
            engine = sqlalchemy.create_engine(
                engine, pool_size=4, max_overflow=8, pool_timeout=10, pool_pre_ping=True
            )
        self.engine = engine
        self.path = None
        self.BUSY = (psycopg.OperationalError, sqlalchemy.exc.TimeoutError)
        self.REFUSED = (psycopg.Error, sqlalchemy.exc.SQLAlchemyError)
        self._limits(
            ttl, max_answers, max_questions, max_classes, per_address, tally.MAX_BYTES, live
        )
        try:
            with self._checkout() as db:
                self._schema(db)
        except self.REFUSED as err:
            raise tally.TallyError(f"the class store cannot be reached ({err})") from err

    @contextlib.contextmanager
    def _checkout(self) -> Iterator[_Db]:
        fairy = self.engine.raw_connection()  # from the pool; back to it on close
        try:
            conn = fairy.driver_connection
            if conn.info.transaction_status != conn.info.transaction_status.IDLE:
                conn.rollback()
            conn.autocommit = True
            yield _Db(conn)
        finally:
            fairy.close()

    def _connect(self) -> Any:  # every call takes a pooled connection instead (_checkout)
        raise NotImplementedError

    @staticmethod
    def _schema(db: Any) -> None:
        with tally.transaction(db):
            db.execute("SELECT pg_advisory_xact_lock(?)", (LOCK_ID,))
            db.execute(
                "CREATE TABLE IF NOT EXISTS descent_lab_meta (k TEXT PRIMARY KEY, v INTEGER NOT NULL)"
            )
            row = db.execute("SELECT v FROM descent_lab_meta WHERE k = 'schema'").fetchone()
            if row is None or row[0] != tally.SCHEMA:
                for table in ("classes", "questions", "answers", "refused"):
                    db.execute(f"DROP TABLE IF EXISTS {table}")
                db.execute(
                    "INSERT INTO descent_lab_meta (k, v) VALUES ('schema', ?) "
                    "ON CONFLICT (k) DO UPDATE SET v = excluded.v",
                    (tally.SCHEMA,),
                )
            for sql in tally._TABLES:
                db.execute(_ddl(sql))

    def close(self) -> None:
        """Nothing to close per thread: connections go back to the pool after each call."""

    @contextlib.contextmanager
    def _writing(self) -> Iterator[Any]:
        with self._checkout() as db:
            db.execute("BEGIN")
            db.execute("SELECT pg_advisory_xact_lock(?)", (LOCK_ID,))
            yield db

    def _one(self, sql: str, params: tuple = ()) -> tuple | None:
        try:
            with self._checkout() as db:
                return db.execute(sql, params).fetchone()
        except self.REFUSED as err:
            raise tally.TallyError(f"the class store cannot be read now ({err})") from err

    def _all(self, sql: str, params: tuple = ()) -> list[tuple]:
        try:
            with self._checkout() as db:
                return db.execute(sql, params).fetchall()
        except self.REFUSED as err:
            raise tally.TallyError(f"the class store cannot be read now ({err})") from err
