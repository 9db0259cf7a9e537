"""The app as `streamlit run app.py` starts it, on a free port of 127.0.0.1, for the browser tests
(tests/e2e) and the benchmarks that drive a browser (bench/first_render.py, bench/load.py)."""

from __future__ import annotations

import contextlib
import os
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from devkit import ROOT


def sqlite_copy(src_url: str, dst_url: str) -> None:
    """A consistent copy of a SQLite database (the backup API also takes what is still in the WAL)."""
    src = sqlite3.connect(src_url.removeprefix("sqlite:///"))
    dst = sqlite3.connect(dst_url.removeprefix("sqlite:///"))
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_once(tmp_path: Path, extra_env: dict | None, port: int | None = None):
    """One try at `streamlit run app.py` on `port` (a free one if None) with DATABASE_URL =
    tmp_path/e2e.db: (process, base URL) once it answers, or (None, its log) when it exited."""
    port = port or free_port()
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
            time.sleep(0.1)  # polling interval of the health check (the wait itself is the condition above)
    return False


def start_server(tmp_path: Path, extra_env: dict | None = None, template: str | None = None):
    """`streamlit run app.py` on a free port with DATABASE_URL = tmp_path/e2e.db; `template` (a SQLite
    URL, e.g. `db_templates.url("sqlite", "demo")`) is copied there first, else the server starts on a
    new file. Another process (an xdist worker) may take the free port first: then it tries another."""
    if template is not None:
        sqlite_copy(template, f"sqlite:///{tmp_path / 'e2e.db'}")
    for _ in range(3):
        proc, base = start_once(tmp_path, extra_env)
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
    """`server_process`, yielding the base URL only."""
    with server_process(tmp_path, extra_env, template) as (_, base):
        yield base
