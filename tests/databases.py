"""The test databases: a fresh database per test on SQLite and (when `TEST_POSTGRES_URL` is set)
PostgreSQL, copied from templates made once per worker. The fixtures in tests/conftest.py use these;
a test that needs a database of its own (a server on PostgreSQL, the sweep) calls them directly."""

from __future__ import annotations

import contextlib
import os
import queue
import threading
import uuid
from pathlib import Path

import pytest

from core import db as core_db
from core import startup
from devkit.server import sqlite_copy

PG_URL = os.environ.get("TEST_POSTGRES_URL", "")
REQUIRE_PG = os.environ.get("REQUIRE_POSTGRES") == "1"


def pg_admin_conn():
    import psycopg

    plain = PG_URL.replace("postgresql+psycopg://", "postgresql://")
    return psycopg.connect(plain, autocommit=True)


WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")  # "gw0", "gw1", … under xdist


def _pg_name() -> str:
    return f"mon_test_{WORKER}_{uuid.uuid4().hex[:12]}"


def _new_pg_database() -> str:
    name = _pg_name()
    with pg_admin_conn() as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return PG_URL.rsplit("/", 1)[0] + "/" + name


class _Dropper:
    """Drops PostgreSQL test databases on a background thread: a DROP DATABASE waits for the server
    (files, a checkpoint), and the next test need not wait for it. `join()` at the end of the session
    waits until every one is gone and raises what failed."""

    def __init__(self):
        self.q: queue.Queue[str | None] = queue.Queue()
        self.errors: list[str] = []
        self.thread: threading.Thread | None = None

    def drop(self, name: str) -> None:
        if self.thread is None:
            self.thread = threading.Thread(target=self._run, name="pg-dropper", daemon=True)
            self.thread.start()
        self.q.put(name)

    def _run(self) -> None:
        conn = None
        while (name := self.q.get()) is not None:
            try:
                conn = conn or pg_admin_conn()
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            except Exception as exc:  # noqa: BLE001 - reported by join()
                self.errors.append(f"{name}: {exc}")
                conn = None
            finally:
                self.q.task_done()
        if conn is not None:
            conn.close()

    def join(self) -> None:
        if self.thread is not None:
            self.q.put(None)
            self.thread.join()
            self.thread = None
        if self.errors:
            raise RuntimeError("test databases not dropped: " + "; ".join(self.errors))


_dropper = _Dropper()


def _drop_pg_database(url: str) -> None:
    forget_engine(url)  # our own connections first; WITH (FORCE) ends any a subprocess left behind
    _dropper.drop(url.rsplit("/", 1)[1])


BACKENDS = ["sqlite", "postgresql"]
# the fixtures that give a test a PostgreSQL copy of its own (when their parameter is "postgresql"), and of
# which template: how many the collected tests need is how many copies are made ahead (`make_spares`)
PG_COPIES = {"empty_db": "empty", "demo_db_any": "demo", "app_db": "demo"}


def require_backend(backend: str) -> None:
    if backend == "postgresql" and not PG_URL:
        if REQUIRE_PG:
            pytest.fail("REQUIRE_POSTGRES=1 but TEST_POSTGRES_URL is not set")
        pytest.skip("PostgreSQL not configured (set TEST_POSTGRES_URL)")


def make_url(backend: str, tmp_path: Path) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / ('db-' + uuid.uuid4().hex[:8] + '.sqlite')}"
    require_backend(backend)
    return _new_pg_database()


def cleanup(url: str) -> None:
    if url.startswith("postgresql"):
        _drop_pg_database(url)
    else:
        forget_engine(url)


def _pg_copy(template_url: str, conn=None) -> str:
    """A new PostgreSQL database cloned from a template database (CREATE DATABASE ... TEMPLATE), over
    `conn` or a connection of its own."""
    name = _pg_name()
    template = template_url.rsplit("/", 1)[1]
    with contextlib.nullcontext(conn) if conn is not None else pg_admin_conn() as c:
        c.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    return PG_URL.rsplit("/", 1)[0] + "/" + name


def _lowest_priority(conn) -> None:
    """The server process behind `conn` at nice 19, when it is a process of this machine and we may: the
    process the server names must show our connection's own client port in its title
    («postgres: … 127.0.0.1(54321) …»), so that no other process is touched (a server in a container, or
    on another machine, has its own process numbers)."""
    import socket

    pid = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
    try:
        with socket.socket(fileno=os.dup(conn.pgconn.socket)) as sock:
            name = sock.getsockname()
        if not isinstance(name, tuple):  # a Unix socket: no port to match
            return
        if f"({name[1]})".encode() in Path(f"/proc/{pid}/cmdline").read_bytes():
            os.setpriority(os.PRIO_PROCESS, pid, 19)
    except OSError:  # no such process here, or not ours to renice: copies at normal priority
        pass


class Templates:
    """Databases built once per test session and copied per test: a migrated empty one and a demo
    one, per backend. Building the demo takes seconds; a SQLite copy takes milliseconds, a PostgreSQL
    copy (CREATE DATABASE … TEMPLATE) about half a CPU-second of the server's, so those are made ahead
    (`make_spares`)."""

    def __init__(self, tmp_factory):
        self.tmp_factory = tmp_factory
        self.urls: dict[tuple[str, str], str] = {}
        self.spares: dict[str, queue.Queue[str]] = {}
        self._stop = threading.Event()
        self._maker: threading.Thread | None = None

    def url(self, backend: str, kind: str) -> str:
        key = (backend, kind)
        if key not in self.urls:
            url = make_url(backend, self.tmp_factory.mktemp(f"tpl-{kind}"))
            startup.upgrade(url)
            engine = core_db.get_engine(url)
            if kind == "demo":
                from core import demo

                demo.build(engine)
            forget_engine(url)  # no open connection may stay on a template
            self.urls[key] = url
        return self.urls[key]

    def copy(self, backend: str, kind: str, tmp_path: Path) -> str:
        src = self.url(backend, kind)
        if backend == "sqlite":
            dst = make_url("sqlite", tmp_path)
            sqlite_copy(src, dst)
            return dst
        try:
            return self.spares[kind].get_nowait()
        except (KeyError, queue.Empty):
            return _pg_copy(src)

    def make_spares(self, demand: dict[str, int]) -> None:
        """Copies of the PostgreSQL templates made ahead, `demand[kind]` of each, for this worker's
        tests to take (`copy`; one made on the spot when none is left). The templates are built here,
        first; the copies on a background thread whose server process runs at the lowest CPU priority
        (nice 19, where it can be set), so they are made in the time the machine would be idle — while
        the browser tests wait on pages — rather than in the tests' own."""
        demand = {k: n for k, n in demand.items() if n > 0}
        if not PG_URL or not demand:
            return
        try:
            sources = {kind: self.url("postgresql", kind) for kind in demand}
        except Exception:  # noqa: BLE001 - the server is unreachable: the PostgreSQL tests will say so themselves
            return
        for kind in demand:
            self.spares[kind] = queue.Queue()
        order = [kind for i in range(max(demand.values())) for kind in demand if i < demand[kind]]  # kinds in turn

        def run() -> None:
            try:
                with pg_admin_conn() as conn:
                    _lowest_priority(conn)
                    for kind in order:
                        if self._stop.is_set():
                            return
                        self.spares[kind].put(_pg_copy(sources[kind], conn))
            except Exception:  # noqa: BLE001 - what is not made ahead is made on the spot (`copy`)
                return

        self._maker = threading.Thread(target=run, name="pg-spares", daemon=True)
        self._maker.start()

    def drop_all(self) -> None:
        self._stop.set()
        if self._maker is not None:
            self._maker.join()
        for q in self.spares.values():
            while not q.empty():
                cleanup(q.get_nowait())
        for url in self.urls.values():
            cleanup(url)
        _dropper.join()


def forget_engine(url: str) -> None:
    core_db.get_engine(url).dispose()
    with core_db._lock:
        core_db._engines.pop(url, None)
        startup.forget(url)


def fresh_database(db_templates, backend: str, kind: str, tmp_path: Path):
    require_backend(backend)
    url = db_templates.copy(backend, kind, tmp_path)
    return url, core_db.get_engine(url)


