"""Shared fixtures: databases on SQLite and (when configured) PostgreSQL.

`TEST_POSTGRES_URL` (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test) switches the PostgreSQL
runs on; each test database is a fresh database created next to it and dropped afterwards.
With `REQUIRE_POSTGRES=1` (set by CI) a missing PostgreSQL is an error, not a skip.
"""

from __future__ import annotations

import os
import sys
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from core import db as core_db  # noqa: E402

PG_URL = os.environ.get("TEST_POSTGRES_URL", "")
REQUIRE_PG = os.environ.get("REQUIRE_POSTGRES") == "1"


def _pg_admin_conn():
    import psycopg

    plain = PG_URL.replace("postgresql+psycopg://", "postgresql://")
    return psycopg.connect(plain, autocommit=True)


def _new_pg_database() -> str:
    name = f"mon_test_{uuid.uuid4().hex[:12]}"
    with _pg_admin_conn() as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return PG_URL.rsplit("/", 1)[0] + "/" + name


def _drop_pg_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    core_db.get_engine(url).dispose()
    with core_db._lock:
        core_db._engines.pop(url, None)
        core_db._ready.discard(url)
    with _pg_admin_conn() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


BACKENDS = ["sqlite", "postgresql"]


def _make_url(backend: str, tmp_path: Path) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / ('db-' + uuid.uuid4().hex[:8] + '.sqlite')}"
    if not PG_URL:
        if REQUIRE_PG:
            pytest.fail("REQUIRE_POSTGRES=1 but TEST_POSTGRES_URL is not set")
        pytest.skip("PostgreSQL not configured (set TEST_POSTGRES_URL)")
    return _new_pg_database()


def _cleanup(url: str) -> None:
    if url.startswith("postgresql"):
        _drop_pg_database(url)
    else:
        core_db.get_engine(url).dispose()
        with core_db._lock:
            core_db._engines.pop(url, None)
            core_db._ready.discard(url)


@pytest.fixture(params=BACKENDS)
def empty_db(request, tmp_path):
    """A migrated, empty database (engine), on each backend."""
    url = _make_url(request.param, tmp_path)
    core_db.upgrade(url)
    yield core_db.get_engine(url)
    _cleanup(url)


@pytest.fixture(scope="session", params=BACKENDS)
def demo_db(request, tmp_path_factory):
    """A demo database built once per backend; tests must not write to it."""
    from core import demo

    url = _make_url(request.param, tmp_path_factory.mktemp("demo"))
    core_db.upgrade(url)
    engine = core_db.get_engine(url)
    demo.build(engine)
    yield engine
    _cleanup(url)


@pytest.fixture
def demo_db_rw(request, tmp_path):
    """A fresh demo database on SQLite for tests that write."""
    from core import demo

    url = _make_url("sqlite", tmp_path)
    core_db.upgrade(url)
    engine = core_db.get_engine(url)
    demo.build(engine)
    yield engine
    _cleanup(url)


@pytest.fixture(params=BACKENDS)
def demo_db_any(request, tmp_path):
    """A fresh demo database on each backend, for tests that write."""
    from core import demo

    url = _make_url(request.param, tmp_path)
    core_db.upgrade(url)
    engine = core_db.get_engine(url)
    demo.build(engine)
    yield engine
    _cleanup(url)


@pytest.fixture
def env_demo_url(tmp_path, monkeypatch):
    """DATABASE_URL set to a new SQLite file with MONITORING_DEMO=1, as `streamlit run` would see it;
    settings and engines are forgotten afterwards."""
    from core.settings import reset_settings_cache

    url = f"sqlite:///{tmp_path / 'env.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("MONITORING_DEMO", "1")
    reset_settings_cache()
    yield url
    reset_settings_cache()
    _cleanup(url)
