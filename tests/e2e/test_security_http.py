"""Issue 17 against the real server (HTTP): forged X-Forwarded-For, trusted proxies, logout only by
POST with its CSRF token, a new login ending the browser's previous session, throttling answers
with 429 and Retry-After, the first run raced by four requests."""

from __future__ import annotations

import re
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from devkit.server import running_server
from tests.e2e.helpers import http_login


def audit_ips(db: Path, action: str) -> list[str]:
    with sqlite3.connect(db) as c:
        return [r[0] for r in c.execute("SELECT ip FROM auditevent WHERE action = ? ORDER BY id", (action,))]


@pytest.fixture(scope="module")
def plain(tmp_path_factory, db_templates):
    tmp = tmp_path_factory.mktemp("sec")
    with running_server(tmp, template=db_templates.url("sqlite", "demo")) as base:
        yield base, tmp / "e2e.db"


def test_forged_forwarded_for_is_ignored_without_trusted_proxies(plain):
    base, db = plain
    _, r = http_login(base, "demo-head", headers={"X-Forwarded-For": "6.6.6.6"})
    assert r.status_code == 303
    assert audit_ips(db, "login")[-1] == "127.0.0.1"  # uvicorn would have written 6.6.6.6


def test_trusted_proxy_names_the_client(tmp_path, db_templates):
    with running_server(tmp_path, {"TRUSTED_PROXIES": "127.0.0.0/8"}, db_templates.url("sqlite", "demo")) as base:
        _, r = http_login(base, "demo-head", headers={"X-Forwarded-For": "6.6.6.6, 192.0.2.44"})
        assert r.status_code == 303
        assert audit_ips(tmp_path / "e2e.db", "login")[-1] == "192.0.2.44"  # the proxy's hop, not the claim


def test_logout_needs_a_post_with_its_token(plain):
    base, _ = plain
    s, r = http_login(base, "demo-methodist")
    assert r.status_code == 303 and "mon_session" in s.cookies
    assert s.get(base + "/overview", allow_redirects=False, timeout=30).status_code == 200
    # a GET (a link or an image on another site) does not log out: it shows the button
    page = s.get(base + "/logout", allow_redirects=False, timeout=30)
    assert page.status_code == 200 and 'action="/logout"' in page.text
    # a POST without the token, or with another session's token, does not log out either
    for token in ("", "forged"):
        assert s.post(base + "/logout", data={"csrf": token}, allow_redirects=False, timeout=30).status_code == 303
        assert s.get(base + "/overview", allow_redirects=False, timeout=30).status_code == 200
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    r = s.post(base + "/logout", data={"csrf": csrf}, allow_redirects=False, timeout=30)
    assert r.headers["location"] == "/login"
    assert s.get(base + "/overview", allow_redirects=False, timeout=30).status_code == 303


def test_a_new_login_ends_the_previous_session_of_the_browser(plain):
    base, _ = plain
    s, _ = http_login(base, "demo-head")
    old = s.cookies["mon_session"]
    # the browser opened the login form before (another tab) and now logs in as somebody else
    b = requests.Session()
    csrf = re.search(r'name="csrf" value="([^"]+)"', b.get(base + "/login", timeout=30).text).group(1)
    b.cookies.set("mon_session", old, domain="127.0.0.1", path="/")
    r = b.post(base + "/login", data={"login": "demo-admin", "password": "demo", "csrf": csrf},
               allow_redirects=False, timeout=60)
    new = re.search(r"mon_session=([^;]+)", r.headers["set-cookie"]).group(1)
    assert r.status_code == 303 and new != old
    stale = requests.get(base + "/overview", cookies={"mon_session": old}, allow_redirects=False, timeout=30)
    assert stale.status_code == 303  # the head's session ended when the admin logged in


def test_throttled_login_answers_429_with_retry_after(plain):
    base, _ = plain
    codes = []
    s = requests.Session()
    for _ in range(7):
        _, r = http_login(base, "demo-curator", "wrong-password", session=s)
        codes.append(r.status_code)
        if r.status_code == 429:
            break
    assert codes[-1] == 429 and int(r.headers["Retry-After"]) >= 1 and "Подождите" in r.text, codes


def test_first_run_raced_by_four_requests(tmp_path):
    with running_server(tmp_path, {"MONITORING_DEMO": "0"}) as base:
        def attempt(i):
            s = requests.Session()
            page = s.get(base + "/setup", timeout=30)
            csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
            return s, csrf, i

        prepared = [attempt(i) for i in range(4)]

        def post(args):
            s, csrf, i = args
            return s.post(base + "/setup", data={"csrf": csrf, "login": f"admin{i}", "full_name": f"Админ {i}",
                                                 "password": "длинный-пароль", "password2": "длинный-пароль"},
                          allow_redirects=False, timeout=60)

        with ThreadPoolExecutor(4) as pool:
            answers = list(pool.map(post, prepared))
        assert sorted(r.status_code for r in answers).count(303) >= 1
        with sqlite3.connect(tmp_path / "e2e.db") as c:
            assert c.execute('SELECT COUNT(*) FROM "user"').fetchone()[0] == 1
        losers = [r for r in answers if r.status_code == 409 or r.headers.get("location") == "/login"]
        assert len(losers) == 3
        for r in losers:
            assert r.status_code == 303 or "Администратор уже создан" in r.text
