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

`login(..., then=path)` lands on the page a test needs in one page load (the login form's `next`), as
a user following a link while logged out; a page load costs Chromium about a CPU-second, a page opened
from the menu about half that."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from urllib.parse import quote
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "tests" / "e2e" / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
# What the page sends and receives, and when its DOM last changed, for wait_idle: every tab of a `Tabs`
# session gets it before the app's own scripts. A rerun request (a BackMsg whose first byte is 0x5a: field 11
# `rerun_script`) is pending until the server's next message; requests over HTTP (a file upload) are counted
# while in flight; the app drawing what it received shows as changes of the DOM.
WIRE = r"""(() => {
  const w = window.__wire = {rerunPending: false, http: 0, last: 0, mark: 0, dom: 0, received: 0};
  document.addEventListener('DOMContentLoaded', () => new MutationObserver(() => { w.dom = performance.now(); })
    .observe(document.documentElement, {subtree: true, childList: true, attributes: true, characterData: true}));
  const WS = window.WebSocket;
  window.WebSocket = class extends WS {
    constructor(...a) {
      super(...a);
      this.addEventListener('message', () => { w.rerunPending = false; w.received++; w.last = performance.now(); });
    }
    send(d) {
      const b = d instanceof ArrayBuffer ? new Uint8Array(d)
        : ArrayBuffer.isView(d) ? new Uint8Array(d.buffer, d.byteOffset, 1) : [];
      if (b[0] === 0x5a) w.rerunPending = true;
      w.last = performance.now();
      return super.send(d);
    }
  };
  const send = XMLHttpRequest.prototype.send;
  XMLHttpRequest.prototype.send = function (...a) {
    w.http++;
    this.addEventListener('loadend', () => { w.http--; w.last = performance.now(); });
    return send.apply(this, a);
  };
  const f = window.fetch;
  window.fetch = (...a) => { w.http++; return f(...a).finally(() => { w.http--; w.last = performance.now(); }); };
})();"""
QUIET_MS = 150
IDLE_NOW = r"""q => {
  const app = document.querySelector('[data-testid=stApp]');
  const w = window.__wire;
  if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
  // nothing received yet: the app has not connected, so its first run has not even been asked for
  // an element whose script is still loading shows Streamlit's placeholder (stSkeleton), nothing in the DOM moving
  if (document.querySelector('[data-testid=stSkeleton]')) return false;
  return w.received > 0 && !w.rerunPending && w.http === 0 && performance.now() - Math.max(w.last, w.mark, w.dom) >= q;
}"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(tmp_path: Path, extra_env: dict | None):
    port = _free_port()
    env = dict(os.environ)
    env.update({"DATABASE_URL": f"sqlite:///{tmp_path / 'e2e.db'}", "MONITORING_DEMO": "1",
                "PYTHONUNBUFFERED": "1"})
    env.update(extra_env or {})
    log = open(tmp_path / "server.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
         "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    log.close()
    base = f"http://127.0.0.1:{port}"
    if healthy(base, 90, proc):
        return proc, base
    if proc.poll() is not None:
        return None, (tmp_path / "server.log").read_text()
    proc.kill()
    raise RuntimeError("streamlit did not start in 90 s:\n" + (tmp_path / "server.log").read_text())


def healthy(base: str, seconds: float, proc: subprocess.Popen) -> bool:
    """Whether `base` answers /_stcore/health within `seconds` (False at once when `proc` has exited)."""
    deadline = time.time() + seconds
    while time.time() < deadline and proc.poll() is None:
        try:
            with urllib.request.urlopen(base + "/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return True
        except OSError:
            time.sleep(0.1)
    return False


def start_server(tmp_path: Path, extra_env: dict | None = None, template: str | None = None):
    """`streamlit run app.py` on a free port with DATABASE_URL = tmp_path/e2e.db; `template` (a SQLite
    URL, e.g. `db_templates.url("sqlite", "demo")`) is copied there first, else the server starts on a
    new file. Another process (an xdist worker) may take the free port first: then it tries another."""
    if template is not None:
        from tests.conftest import _sqlite_copy

        _sqlite_copy(template, f"sqlite:///{tmp_path / 'e2e.db'}")
    for _ in range(3):
        proc, base = _start(tmp_path, extra_env)
        if proc is not None:
            return proc, base
        if "already in use" not in base:
            break
    raise RuntimeError("streamlit exited:\n" + base)


@contextlib.contextmanager
def server_process(tmp_path: Path, extra_env: dict | None = None, template: str | None = None):
    """`start_server`, stopped on exit: yields (process, base URL)."""
    proc, base = start_server(tmp_path, extra_env, template)
    try:
        yield proc, base
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


@contextlib.contextmanager
def running_server(tmp_path: Path, extra_env: dict | None = None, template: str | None = None):
    with server_process(tmp_path, extra_env, template) as (_, base):
        yield base


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


class Tabs:
    """The tabs of one login session: a browser context of its own, taken with the first tab (`tabs(w, h)`
    opens a tab at that size). `end_session()` closes its tabs and forgets the session — cookies and the
    site's storage — so the next login starts as in another browser; the fixture does it after the test.

    A context whose session ended is kept (per Chromium) and handed to the next `Tabs` instead of a new
    one: a new context's first tab costs Chromium about 1,5 CPU-seconds more than a tab of a kept one."""

    _kept: dict = {}  # browser -> contexts without tabs, cookies or storage

    def __init__(self, browser):
        self.browser = browser
        self.ctx = None

    def __call__(self, width: int = 1920, height: int = 1080):
        if self.ctx is None:
            kept = self._kept.setdefault(self.browser, [])
            if kept:
                self.ctx = kept.pop()
            else:
                self.ctx = self.browser.new_context(locale="ru-RU", accept_downloads=True)
                self.ctx.add_init_script(WIRE)
        pg = self.ctx.new_page()
        pg.set_viewport_size({"width": width, "height": height})
        pg.set_default_timeout(60000)
        return pg

    def end_session(self) -> None:
        if self.ctx is None:
            return
        ctx, self.ctx = self.ctx, None
        try:
            for pg in ctx.pages:
                if pg.url.startswith("http"):
                    pg.evaluate("() => { localStorage.clear(); sessionStorage.clear(); }")
                pg.close()
            ctx.clear_cookies()
            ctx.clear_permissions()
            clean = not ctx.storage_state()["origins"]  # no site left with storage (one no open tab was on)
        except Exception:  # noqa: BLE001 - a tab that cannot be cleaned: the context is not kept
            clean = False
        if clean:
            self._kept.setdefault(self.browser, []).append(ctx)
        else:
            ctx.close()


@pytest.fixture
def tabs(browser):
    t = Tabs(browser)
    yield t
    t.end_session()


@pytest.fixture
def page(tabs):
    return tabs()


def wait_idle(pg) -> None:
    """Until the app is idle: connected, its script not running, no rerun request unanswered, no upload
    in flight, and for QUIET_MS since the call nothing sent or received and nothing redrawn (a rerun that
    an action starts a moment later, a second run straight after the first, and a page still drawing on a
    loaded machine are waited for). `pg` is a tab of a `Tabs` session (it carries WIRE)."""
    pg.wait_for_selector(IDLE, timeout=60000)
    pg.evaluate("() => { window.__wire.mark = performance.now(); }")
    pg.wait_for_function(IDLE_NOW, arg=QUIET_MS, polling=50, timeout=60000)


def login(pg, base: str, user: str, password: str = "demo", then: str | None = None) -> None:
    """Log in through the form. `then` (a path such as "/roadmap?roadmap=nev-2024") is where the login
    lands, as after following a link while logged out: one page load, not the home page and then it."""
    pg.goto(base + "/login" + ("?next=" + quote(then) if then else ""))
    pg.fill("#login", user)
    pg.fill("#password", password)
    pg.click("button[type=submit]")
    wait_idle(pg)


def pages_as(pg, base: str, user: str, paths: list[str]):
    """Log in onto the first of `paths`, then open the others by their addresses; yields each path
    once its page is idle."""
    login(pg, base, user, then=paths[0])
    yield paths[0]
    for path in paths[1:]:
        pg.goto(base + path)
        wait_idle(pg)
        yield path


def shot(pg, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    pg.screenshot(path=str(path))
    return path


def two_tabs(tabs: Tabs, base: str, user: str, path: str, shown: str, a_then: str | None = None):
    """Two tabs of one browser logged in as `user`: tab A on the home page (or `a_then`), tab B on
    `path` showing `shown`. Returns (a, b)."""
    a, b = tabs(1400, 900), tabs(1400, 900)
    login(a, base, user, then=a_then)
    b.goto(base + path)
    wait_idle(b)
    b.wait_for_selector(shown)
    return a, b
