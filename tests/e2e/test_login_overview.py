"""In a real Chromium: the login gate, logging in, the overview, refresh, logout."""

from urllib.request import Request, urlopen

from tests.e2e.helpers import login, shot, two_tabs, wait_idle

FRESH_START = True  # this module's server builds the demo on its first start, as on a new machine


def test_anonymous_gets_the_login_page_for_every_url(server, page):
    for path in ("/", "/overview", "/school", "/school?school=4", "/anything"):
        page.goto(server + path)
        assert page.url.startswith(server + "/login"), path
        assert page.locator("h1").inner_text() == "Мониторинг дорожных карт"
    assert page.locator("text=Демонстрационная база").is_visible()
    shot(page, "login")


def test_login_as_head_shows_the_overview(server, page):
    login(page, server, "demo-head")
    assert page.url.startswith(server + "/overview")  # "/" opens the role's first page at its own address
    page.wait_for_selector("text=город Невинномысск")
    for title in ("Стартовые условия", "Качество обучения", "Педагоги прошли КПК",
                  "Педагоги в сетевом взаимодействии", "Участники олимпиад и конкурсов"):
        assert page.locator(f".tile-title:has-text('{title}')").count() == 1
    for word in ("Достигнут", "По плану", "Под угрозой", "Отстаёт"):
        assert page.locator(f".status-badge:has-text('{word}')").count() >= 1
    assert page.locator("text=Демонстрационные данные").is_visible()
    shot(page, "overview-head")
    # the session cookie is HttpOnly: scripts on the page cannot read it
    assert "mon_session" not in page.evaluate("document.cookie")
    cookies = {c["name"]: c for c in page.context.cookies()}
    assert cookies["mon_session"]["httpOnly"] and cookies["mon_session"]["sameSite"] == "Lax"
    # a refresh keeps the user logged in
    page.reload()
    wait_idle(page)
    page.wait_for_selector("text=город Невинномысск")
    assert "/login" not in page.url


def test_wrong_password_is_refused_in_russian(server, page):
    page.goto(server + "/login")
    page.fill("#login", "demo-head")
    page.fill("#password", "wrong")
    page.click("button[type=submit]")
    assert page.locator(".error").inner_text() == "Неверный логин или пароль."
    assert "/login" in page.url


def test_logout_ends_the_session_in_another_tab(server, tabs):
    a, b = two_tabs(tabs, server, "demo-methodist", "/", "text=город Невинномысск")
    a.click("text=Выйти")
    a.wait_for_url(server + "/login*")
    # tab B did nothing: the server closed its websocket and the tab went to the login page saying why
    # (reloading it here would race that navigation)
    b.wait_for_selector("text=Сеанс завершён")
    assert "/login" in b.url
    b.reload()  # and a reload, once there, stays on the login page
    assert "/login" in b.url


def test_login_form_needs_its_csrf_token(server):
    req = Request(server + "/login", data=b"login=demo-head&password=demo&csrf=x", method="POST")
    try:
        body = urlopen(req).read().decode()
    except Exception as exc:  # urllib raises on 4xx
        body = exc.read().decode()
    assert "Форма устарела" in body


def test_security_headers(server):
    with urlopen(server + "/login") as r:
        assert r.headers["X-Frame-Options"] == "DENY"
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        assert "frame-ancestors 'none'" in r.headers["Content-Security-Policy"]
