"""End-to-end fixtures: a real `streamlit run app.py` on a free port and Debian's Chromium driven
by Playwright. Without Chromium the suite is skipped, unless REQUIRE_E2E=1 (CI), where it fails."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "tests" / "e2e" / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(tmp_path: Path, extra_env: dict | None = None):
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
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 90
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("streamlit exited:\n" + (tmp_path / "server.log").read_text())
        try:
            with urllib.request.urlopen(base + "/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return proc, base
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError("streamlit did not start in 90 s:\n" + (tmp_path / "server.log").read_text())


@contextlib.contextmanager
def running_server(tmp_path: Path, extra_env: dict | None = None):
    proc, base = start_server(tmp_path, extra_env)
    try:
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="module")
def server(request, tmp_path_factory, db_templates):
    """The app on the demo database. A module that sets FRESH_START = True gets a server that
    builds the demo itself on its first start (as `streamlit run` on a new machine does); the others
    start on a copy of the session's demo template, which saves the build."""
    tmp = tmp_path_factory.mktemp("e2e")
    if not getattr(request.module, "FRESH_START", False):
        from tests.conftest import _sqlite_copy

        _sqlite_copy(db_templates.url("sqlite", "demo"), f"sqlite:///{tmp / 'e2e.db'}")
    with running_server(tmp) as base:
        yield base


@pytest.fixture(scope="module")
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
        b.close()


@pytest.fixture
def page(browser):
    ctx = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="ru-RU")
    pg = ctx.new_page()
    pg.set_default_timeout(60000)
    yield pg
    ctx.close()


def wait_idle(pg) -> None:
    pg.wait_for_selector(IDLE, timeout=60000)
    pg.wait_for_timeout(400)
    pg.wait_for_selector(IDLE, timeout=60000)


def login(pg, base: str, user: str, password: str = "demo") -> None:
    pg.goto(base + "/login")
    pg.fill("#login", user)
    pg.fill("#password", password)
    pg.click("button[type=submit]")
    wait_idle(pg)


def shot(pg, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    pg.screenshot(path=str(path))
    return path


def two_tabs(browser, base: str, user: str, path: str, shown: str):
    """One browser, two tabs logged in as `user`: tab A on the home page, tab B on `path` showing
    `shown`. Returns (context, a, b); the caller closes the context."""
    ctx = browser.new_context(viewport={"width": 1400, "height": 900}, locale="ru-RU")
    a, b = ctx.new_page(), ctx.new_page()
    login(a, base, user)
    b.goto(base + path)
    wait_idle(b)
    b.wait_for_selector(shown)
    return ctx, a, b
