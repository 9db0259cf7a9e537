"""Engines and sessions, nothing else (start-up — migrations, the demo, checks — is core.startup).

SQLite (default, `data/monitoring.db`) gets WAL, a busy timeout and foreign keys on every
connection; `DATABASE_URL` switches to PostgreSQL (psycopg 3).

Transactions: a write either opens its own transaction or runs in its caller's, never both. A
public entry point takes an `engine` (`engine: Engine | None = None`, the app's by default) and
opens its one write transaction with `session_scope(engine, write=True)`; the functions it (or
another entry point) calls to do the writing take that transaction's `session` as their first
parameter and never commit, roll back or open another. No function takes an optional session and
opens a transaction when none is given. The one kind of write outside the caller's transaction is
an audit entry of a refusal, which must survive the refused transaction's rollback: it is written
after that transaction ends (`after_write_transaction`). Argon2 and other slow work happen before
the write transaction, never inside it.
"""

from __future__ import annotations

import functools
import logging
import threading
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, cast

from sqlalchemy import bindparam, event, text
from sqlalchemy.sql.elements import TextClause
from sqlalchemy.engine import CursorResult, Engine
from sqlmodel import Session, create_engine

from core.settings import get_settings

_engines: dict[str, Engine] = {}
_lock = threading.RLock()

SQLITE_BUSY_TIMEOUT_MS = 15000


@functools.lru_cache(maxsize=2048)
def statement(sql: str, expanding: tuple[str, ...] = ()) -> TextClause:
    """`text(sql)` with the list parameters `expanding` (`IN :ids`), made once per distinct SQL: parsing
    a statement's bind parameters costs more than running a small read (a screen runs dozens). The
    statement is immutable (`bindparams` returns a copy), so one object serves every thread."""
    stmt = text(sql)
    return stmt.bindparams(*(bindparam(k, expanding=True) for k in expanding)) if expanding else stmt


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def _sqlite_begin(conn) -> None:
    # A transaction that will write takes the write lock at BEGIN, so that two writers queue on
    # busy_timeout instead of failing with "database is locked" when a read lock is upgraded.
    immediate = conn.get_execution_options().get("sqlite_immediate")
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("sqlite:///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
        )
        event.listen(engine, "connect", _sqlite_pragmas)

        # pysqlite's own transaction handling is switched off so BEGIN is ours (see _sqlite_begin).
        @event.listens_for(engine, "connect")
        def _no_autobegin(dbapi_conn, _record):
            dbapi_conn.isolation_level = None

        @event.listens_for(engine, "begin")
        def _begin(conn):
            _sqlite_begin(conn)

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)


def get_engine(url: str | None = None) -> Engine:
    url = url or get_settings().database_url
    with _lock:
        if url not in _engines:
            _engines[url] = make_engine(url)
        return _engines[url]


def dispose_engines() -> None:
    with _lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()


_local = threading.local()


def in_write_transaction() -> bool:
    """True while this thread is inside a `session_scope(write=True)`."""
    return getattr(_local, "depth", 0) > 0


def after_write_transaction(fn) -> None:
    """Run `fn()` once this thread's write transaction has ended (committed or rolled back), so
    that what it writes (an audit entry of a refusal) never waits for, nor holds, that
    transaction's lock and survives its rollback."""
    _local.__dict__.setdefault("pending", []).append(fn)


DATA_VERSION_KEY = "data_version"


def bump_data_version(session: Session) -> None:
    """Give the data a new version (a random token, never reused, so that even a restored older
    copy gets a version no cache has seen). Called by `session_scope` as the last statement of
    every write transaction that may change what the screens show; a cache keyed on
    `data_version()` then never serves figures from before the write, whoever made it (the web
    app, the CLI, another server process)."""
    v = uuid.uuid4().hex
    res = session.execute(text("UPDATE appmeta SET value = :v WHERE key = :k"), {"v": v, "k": DATA_VERSION_KEY})
    if not cast(CursorResult, res).rowcount:  # an UPDATE's result is a cursor result
        session.execute(text("INSERT INTO appmeta (key, value) VALUES (:k, :v)"), {"v": v, "k": DATA_VERSION_KEY})


def data_version(engine: Engine | None = None) -> str:
    """The current data version: one primary-key read."""
    with (engine or get_engine()).connect() as c:
        return c.execute(text("SELECT value FROM appmeta WHERE key = :k"), {"k": DATA_VERSION_KEY}).scalar() or ""


@contextmanager
def session_scope(engine: Engine | None = None, *, write: bool = False, data: bool = True) -> Iterator[Session]:
    """One unit of work. `write=True`: one transaction, committed at the end, rolled back on any
    error (on SQLite it takes the write lock at BEGIN). A write transaction bumps the data version
    (see `bump_data_version`) unless `data=False` says it changes nothing the screens show
    (sessions, login attempts, audit entries)."""
    engine = engine or get_engine()
    if write:
        _local.depth = getattr(_local, "depth", 0) + 1
    try:
        with Session(engine, expire_on_commit=False) as session:
            if write:
                session.connection(execution_options={"sqlite_immediate": True})
            try:
                yield session
                if write:
                    if data:
                        bump_data_version(session)  # last: on PostgreSQL its row lock is held only to commit
                    session.commit()
            except BaseException:
                session.rollback()
                raise
    finally:
        if write:
            _local.depth -= 1
            if _local.depth == 0:
                pending, _local.pending = getattr(_local, "pending", []), []
                for fn in pending:
                    try:
                        fn()
                    except Exception:  # noqa: BLE001 - never hide the transaction's own outcome
                        logging.getLogger("monitoring").exception("after-transaction step failed")
