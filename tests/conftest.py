"""Shared fixtures: databases on SQLite and (when configured) PostgreSQL.

`TEST_POSTGRES_URL` (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test) switches the PostgreSQL
runs on; each test database is a fresh database created next to it and dropped afterwards.
With `REQUIRE_POSTGRES=1` (set by CI) a missing PostgreSQL is an error, not a skip.

Worker-safe under pytest-xdist (pytest.ini runs `-n auto`): SQLite files live under each worker's own
tmp_path_factory; PostgreSQL database names carry the worker id (`mon_test_gw1_…`); nothing is written
into the repository tree.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from devkit.server import sqlite_copy  # noqa: E402
from tests.databases import BACKENDS, PG_COPIES, Templates, cleanup, fresh_database  # noqa: E402


def _scan_components_once() -> None:
    """Streamlit 1.67 reads the metadata of every installed distribution, looking for v2 components,
    each time an AppTest starts (0,2–0,4 s of CPU, a fifth of the page tests' time); the installed
    packages do not change during a test session, so the scan runs once per process and each caller
    gets a copy of its result. `streamlit run` (the e2e servers, production) scans once at start."""
    import functools

    from streamlit.components.v2 import manifest_scanner

    scan = functools.cache(manifest_scanner.scan_component_manifests)
    manifest_scanner.scan_component_manifests = lambda *a, **k: list(scan(*a, **k))


_scan_components_once()

@pytest.fixture(scope="session")
def db_templates(request, tmp_path_factory):
    t = Templates(tmp_path_factory)
    t.make_spares(getattr(request.config, "pg_demand", {}))
    yield t
    t.drop_all()


@pytest.fixture(params=BACKENDS)
def empty_db(request, tmp_path, db_templates):
    """A migrated, empty database (engine), on each backend."""
    url, engine = fresh_database(db_templates, request.param, "empty", tmp_path)
    yield engine
    cleanup(url)


@pytest.fixture(scope="session", params=BACKENDS)
def demo_db(request, tmp_path_factory, db_templates):
    """A demo database per backend, shared by the session; tests must not write to it."""
    url, engine = fresh_database(db_templates, request.param, "demo", tmp_path_factory.mktemp("demo"))
    yield engine
    cleanup(url)


@pytest.fixture
def demo_db_rw(tmp_path, db_templates):
    """A fresh demo database on SQLite for tests that write (a copy of the session's template)."""
    url, engine = fresh_database(db_templates, "sqlite", "demo", tmp_path)
    yield engine
    cleanup(url)


@pytest.fixture(params=BACKENDS)
def demo_db_any(request, tmp_path, db_templates):
    """A fresh demo database on each backend, for tests that write (a copy of the template)."""
    url, engine = fresh_database(db_templates, request.param, "demo", tmp_path)
    yield engine
    cleanup(url)


@pytest.fixture
def env_demo_url(tmp_path, monkeypatch, db_templates):
    """DATABASE_URL set to a SQLite file holding the demo with MONITORING_DEMO=1, as `streamlit run`
    would see it after its first start (a copy of the session's demo template); settings and engines
    are forgotten afterwards."""
    from core.settings import reset_settings_cache

    url = f"sqlite:///{tmp_path / 'env.db'}"
    sqlite_copy(db_templates.url("sqlite", "demo"), url)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("MONITORING_DEMO", "1")
    reset_settings_cache()
    yield url
    reset_settings_cache()
    cleanup(url)


@pytest.fixture
def app_db(env_demo_url):
    """The demo database of `env_demo_url`, started as the app starts it, with Streamlit's caches empty
    before and after: for page tests through AppTest (tests.helpers.run_as)."""
    import streamlit as st

    from core.startup import ensure_database

    st.cache_data.clear()
    st.cache_resource.clear()
    yield ensure_database(env_demo_url)
    st.cache_data.clear()
    st.cache_resource.clear()


def pytest_xdist_auto_num_workers(config):
    """`-n auto` (pytest.ini): one worker more than the machine has cores. The browser tests wait on
    Chromium and the app's server about half of their time (the whole suite used 1,0 of 2 cores with two
    workers); a third worker fills those waits: 564 → 493 s on a 2-core machine."""
    import os

    return (os.cpu_count() or 1) + 1


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Under xdist (`--dist loadgroup`) every e2e module with a server of its own runs whole in one
    worker, so that server (and anything else module-scoped) starts once; other tests, including those of
    the modules on the session's shared server (`SHARED_SERVER = True`: one per worker anyway), are
    spread one by one, which keeps both workers busy to the end. Runs before xdist turns the marks into
    work units."""
    for item in items:
        if ("e2e" in item.path.parts and not getattr(item.module, "SHARED_SERVER", False)
                and not any(item.iter_markers("xdist_group"))):
            item.add_marker(pytest.mark.xdist_group(item.module.__name__))


def pytest_collection_finish(session):
    """The PostgreSQL copies the selected tests need (PG_COPIES, after -k/-m have deselected): this
    worker's share is made ahead (`config.pg_demand`, read by `db_templates`)."""
    workers = getattr(session.config, "workerinput", {}).get("workercount", 1)
    needs: dict[str, int] = {}
    for item in session.items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        for fixture, kind in PG_COPIES.items():
            if params.get(fixture) == "postgresql":
                needs[kind] = needs.get(kind, 0) + 1
    session.config.pg_demand = {kind: -(-n // workers) for kind, n in needs.items()}  # rounded up
