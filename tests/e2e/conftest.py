"""End-to-end fixtures: a real `streamlit run app.py` on a free port and Debian's Chromium driven
by Playwright. Without Chromium the suite is skipped, unless REQUIRE_E2E=1 (CI), where it fails.

Servers: a module that only reads sets `SHARED_SERVER = True` and its `server` is one app per test
session (per xdist worker) on a copy of the demo template; after each such module the shared
database is checked to be unchanged (data, users, passwords), so a module that writes cannot hide
there. Any other module gets its own server: on a copy of the demo template, or, with
`FRESH_START = True`, one that builds the demo itself on its first start. One Chromium per session
(per worker); every test gets a browser session of its own (`tabs`, `page`: a context without cookies
or storage). All tests of an e2e module with its own server run in one xdist worker (the
`xdist_group` set in tests/conftest.py), so that server starts once; the tests of shared-server
modules are spread over the workers one by one.

The helpers the tests call (login, wait_idle, Tabs, shot, …) are in tests/e2e/helpers.py; starting the
server is devkit.server (shared with bench/). `login(..., then=path)` lands on the page a test needs in
one page load (the login form's `next`), as a user following a link while logged out; a page load costs
Chromium about a CPU-second, a page opened from the menu about half that."""

from __future__ import annotations

import os
import shutil
import sqlite3
from pathlib import Path

import pytest

from devkit.browser import CHROMIUM
from devkit.server import running_server
from tests.e2e.helpers import Tabs


def _fingerprint(db: Path) -> tuple:
    """What a read-only module must leave as it found it: the data version (every data write bumps
    it), the users with their passwords and roles, the roadmaps' activities and the uploads."""
    with sqlite3.connect(db) as c:
        return (c.execute("SELECT value FROM appmeta WHERE key = 'data_version'").fetchall(),
                c.execute('SELECT id, login, password_hash, role, is_active FROM "user" ORDER BY id').fetchall(),
                c.execute("SELECT id, status FROM activity ORDER BY id").fetchall(),
                c.execute("SELECT COUNT(*) FROM upload").fetchall(),
                c.execute("SELECT COUNT(*) FROM measurement").fetchall())


@pytest.fixture(scope="session")
def shared_server(tmp_path_factory, db_templates):
    """One app per session (per xdist worker) on a copy of the demo template, for modules that only
    read (`SHARED_SERVER = True`). Yields (base URL, database file)."""
    tmp = tmp_path_factory.mktemp("e2e-shared")
    with running_server(tmp, template=db_templates.url("sqlite", "demo")) as base:
        yield base, tmp / "e2e.db"


@pytest.fixture(scope="module")
def server(request, tmp_path_factory, db_templates):
    """The app on the demo database (base URL). `SHARED_SERVER = True`: the session's shared app,
    checked unchanged after the module. `FRESH_START = True`: a private server that builds the demo
    itself on its first start (as `streamlit run` on a new machine does). Otherwise a private server
    on a copy of the session's demo template, which saves the build."""
    if getattr(request.module, "SHARED_SERVER", False):
        base, db = request.getfixturevalue("shared_server")
        before = _fingerprint(db)
        yield base
        after = _fingerprint(db)
        assert after == before, (f"{request.module.__name__} sets SHARED_SERVER = True but changed the shared "
                                 "database (data, users, activities or uploads); give it its own server")
        return
    tmp = tmp_path_factory.mktemp("e2e")
    template = None if getattr(request.module, "FRESH_START", False) else db_templates.url("sqlite", "demo")
    with running_server(tmp, template=template) as base:
        yield base


@pytest.fixture(scope="session")
def browser():
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        if os.environ.get("REQUIRE_E2E") == "1":
            pytest.fail(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
        pytest.skip("Chromium not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM,
                              args=["--no-sandbox", "--disable-gpu", "--lang=ru", "--disable-background-networking",
                                    "--disable-component-update", "--no-first-run", "--disable-sync"])
        yield b
        Tabs._kept.pop(b, None)
        b.close()


@pytest.fixture
def tabs(browser):
    t = Tabs(browser)
    yield t
    t.end_session()


@pytest.fixture
def page(tabs):
    return tabs()
