"""The README's production recipe, run: two replicas (`streamlit run app.py`) on one PostgreSQL database
behind HAProxy with deploy/haproxy.cfg (sticky sessions by a cookie). A principal logs in through the
proxy, downloads the school card (a download lives in the memory of the replica that made it: the
sticky cookie keeps the browser there) and changes the password on that replica; a browser pinned
to the other replica logs in with the new password and sees the school."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from docx import Document

from tests.databases import cleanup, fresh_database
from devkit import ROOT
from devkit.server import free_port, healthy, running_server
from tests.e2e.helpers import Tabs, login, wait_idle

CONFIG = ROOT / "deploy" / "haproxy.cfg"


def _haproxy() -> str:
    found = shutil.which("haproxy") or ("/usr/sbin/haproxy" if Path("/usr/sbin/haproxy").exists() else None)
    if not found:
        if os.environ.get("REQUIRE_E2E") == "1":
            pytest.fail("haproxy not installed (apt-get install haproxy)")
        pytest.skip("haproxy not installed")
    return found


def _proxied(tmp: Path, replicas: list[str]) -> tuple[subprocess.Popen, str]:
    """deploy/haproxy.cfg as the README shows it, with the replicas' addresses and a free port."""
    port = free_port()
    text = CONFIG.read_text()
    for old, new in zip(("127.0.0.1:8501", "127.0.0.1:8502"), replicas):
        assert old in text, old
        text = text.replace(old, new.removeprefix("http://"))
    assert "bind 127.0.0.1:8080" in text
    text = text.replace("bind 127.0.0.1:8080", f"bind 127.0.0.1:{port}")
    cfg = tmp / "haproxy.cfg"
    cfg.write_text(text)
    check = subprocess.run([_haproxy(), "-c", "-f", str(cfg)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    log = open(tmp / "haproxy.log", "w")
    proc = subprocess.Popen([_haproxy(), "-db", "-f", str(cfg)], stdout=log, stderr=subprocess.STDOUT)
    log.close()
    base = f"http://127.0.0.1:{port}"
    if healthy(base, 30, proc):
        return proc, base
    proc.kill()
    raise RuntimeError("haproxy did not answer:\n" + (tmp / "haproxy.log").read_text())


def _replica(tabs: Tabs) -> str:
    return {c["name"]: c["value"] for c in tabs.ctx.cookies()}.get("MON_REPLICA", "")


def test_two_replicas_on_one_postgresql_behind_haproxy(browser, db_templates, tmp_path):
    _haproxy()
    url, _ = fresh_database(db_templates, "postgresql", "demo", tmp_path)
    env = {"DATABASE_URL": url, "MONITORING_DEMO": "0", "TRUSTED_PROXIES": "127.0.0.1"}
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    a_tabs, b_tabs = Tabs(browser), Tabs(browser)
    try:
        with running_server(tmp_path / "a", env) as one, running_server(tmp_path / "b", env) as two:
            proc, proxy = _proxied(tmp_path, [one, two])
            try:
                a = a_tabs(1280, 720)
                login(a, proxy, "demo-principal")
                a.wait_for_selector("h1:has-text('СОШ № 2 (демо)')")
                first = _replica(a_tabs)
                assert first in ("app1", "app2"), a_tabs.ctx.cookies()
                # a download is served by the replica whose session made it: the cookie keeps the browser there
                with a.expect_download() as got:
                    a.get_by_role("button", name="Карточка школы (.docx)").click()
                card = Document(io.BytesIO(Path(got.value.path()).read_bytes()))
                assert "КАРТОЧКА ШКОЛЫ" in "\n".join(p.text for p in card.paragraphs)
                # a write through the websocket of that replica
                a.goto(proxy + "/account")
                wait_idle(a)
                a.get_by_label("Текущий пароль").fill("demo")
                a.get_by_label("Новый пароль (не меньше 8 символов)").fill("пароль-через-прокси")
                a.get_by_label("Новый пароль ещё раз").fill("пароль-через-прокси")
                a.get_by_role("button", name="Сменить пароль").click()
                a.wait_for_selector("text=Сеанс завершён: пароль изменён")  # every session ended, this one too
                assert _replica(a_tabs) == first
                # read on the other replica: another browser pinned there logs in with the new password
                other = "app2" if first == "app1" else "app1"
                b = b_tabs(1280, 720)
                b_tabs.ctx.add_cookies([{"name": "MON_REPLICA", "value": other, "domain": "127.0.0.1", "path": "/"}])
                b.goto(proxy + "/login")
                b.fill("#login", "demo-principal")
                b.fill("#password", "demo")
                b.click("button[type=submit]")
                assert b.locator(".error").inner_text() == "Неверный логин или пароль."
                login(b, proxy, "demo-principal", password="пароль-через-прокси")
                b.wait_for_selector("h1:has-text('СОШ № 2 (демо)')")
                assert _replica(b_tabs) == other
            finally:
                proc.terminate()
                proc.wait(10)
    finally:
        a_tabs.end_session()
        b_tabs.end_session()
        cleanup(url)
