"""A real (non-demo) database: no demo accounts, every page leads to the first-run form that
creates the administrator, who can then log in."""

import pytest

from devkit.server import running_server
from tests.e2e.helpers import wait_idle


@pytest.fixture(scope="module")
def real_server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("real")
    with running_server(tmp, {"MONITORING_DEMO": "0"}) as base:
        # app.py imports at start only what makes no Streamlit cache: one made before the runtime exists lives
        # on a store of its own, which the runtime's clearing never reaches (Streamlit warns of it in the log)
        assert "No runtime found" not in (tmp / "server.log").read_text()
        yield base


def test_first_run_creates_the_administrator(real_server, page):
    for path in ("/", "/overview", "/login"):
        page.goto(real_server + path)
        assert page.url.startswith(real_server + "/setup"), path  # no user yet: the first-run form
    page.fill("#full_name", "Иванова Анна Петровна")
    page.fill("#login", "admin")
    page.fill("#password", "пароль-администратора")
    page.fill("#password2", "другой-пароль")
    page.click("button[type=submit]")
    assert page.locator(".error").inner_text() == "Пароли не совпадают."
    page.fill("#password", "пароль-администратора")
    page.fill("#password2", "пароль-администратора")
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login" in url)
    assert page.locator("text=Демонстрационная база").count() == 0  # no demo accounts on a real database
    assert page.locator("text=demo-head").count() == 0
    page.fill("#login", "admin")
    page.fill("#password", "пароль-администратора")
    page.click("button[type=submit]")
    wait_idle(page)
    page.wait_for_selector("text=Нет дорожных карт")
    page.goto(real_server + "/setup")
    assert page.url.startswith(real_server + "/login") or "/setup" not in page.url  # only once
