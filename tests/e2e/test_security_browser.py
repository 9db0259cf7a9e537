"""Issue 17 in a real Chromium: meeting mode stops when its session ends; the logout button POSTs; a
download's address belongs to the login session that made it. That user text never becomes a link or a
remote image (no request to a beacon) is checked on every role's pages with the other planted markup
(test_hostile_browser.py); every page rendering under the Content-Security-Policy by the tour of every
role's pages (test_page_tour.py)."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timezone

import pytest

from devkit.server import running_server
from tests.e2e.helpers import Tabs, login, shot, wait_idle


@pytest.fixture(scope="module")
def srv(tmp_path_factory, db_templates):
    tmp = tmp_path_factory.mktemp("secb")  # its own app: a session is revoked in its database
    with running_server(tmp, template=db_templates.url("sqlite", "demo")) as base:
        yield base, tmp / "e2e.db"


def revoke_all(db) -> None:
    with sqlite3.connect(db) as c:
        c.execute("UPDATE authsession SET revoked_at = ? WHERE revoked_at IS NULL",
                  (datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f"),))


def test_meeting_mode_stops_when_its_session_ends(srv, page):
    base, db = srv
    login(page, base, "demo-head", then="/overview?meeting=1&every=2")
    meta = page.locator(".slide-meta", has_text="Цель").first
    first = meta.inner_text()
    page.wait_for_function("t => ![...document.querySelectorAll('.slide-meta')].some(e => e.innerText === t)",
                           arg=first, timeout=20000)  # it advances by itself
    revoke_all(db)  # e.g. the administrator deactivated the account, or a restore
    # the next slide's run says so, or (since issue 29) the ended session's websocket is closed and
    # the page, reloaded, is the login form
    page.wait_for_function("() => document.body.innerText.includes('Требуется вход') "
                           "|| location.pathname === '/login'", timeout=30000)
    shot(page, "meeting-session-ended")
    assert page.locator(".slide-title").count() == 0


def test_logout_button_posts(srv, page):
    base, _ = srv
    login(page, base, "demo-methodist")
    requests = []
    page.on("request", lambda r: requests.append((r.method, r.url)) if "/logout" in r.url else None)
    page.click("form.logout-form button")
    page.wait_for_url(base + "/login*")
    assert ("POST", base + "/logout") in requests
    page.goto(base + "/overview")
    assert "/login" in page.url


def download_url(pg, button: str) -> str:
    """Click a deferred download and return its URL. Under a loaded CI machine a click landing while
    the page's script reruns (the run that registered the file is replaced) yields no download: one
    more click after the page is idle again. Two lost clicks still fail the test."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    for attempt in (1, 2):
        try:
            with pg.expect_download(timeout=60000) as dl:
                pg.get_by_role("button", name=button).click()
            return dl.value.url
        except PlaywrightTimeout:
            if attempt == 2:
                raise
            wait_idle(pg)


def test_download_urls_belong_to_the_login_session_that_made_them(srv, browser, tabs):
    base, _ = srv
    pa = tabs(1400, 900)
    login(pa, base, "demo-head", then="/reports")
    url = download_url(pa, "Справка (.docx)")
    assert "/media/" in url
    assert pa.context.request.get(url).status == 200  # the session that made it
    other = Tabs(browser)  # the same user in another browser: another login session
    pb = other(1400, 900)
    login(pb, base, "demo-head")
    assert pb.context.request.get(url).status == 404
    other.end_session()
    anonymous = browser.new_context()
    assert anonymous.request.get(url, max_redirects=0).status == 303  # anonymous: the gate
    anonymous.close()
