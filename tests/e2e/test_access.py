"""In a real Chromium: a principal is held to their school, a password change ends the session in
another tab on its next interaction, repeated wrong passwords are throttled."""

from tests.e2e.helpers import login, shot, two_tabs, wait_idle


def test_principal_cannot_open_another_school_by_any_url(server, page):
    login(page, server, "demo-principal")
    page.wait_for_selector("h1:has-text('СОШ № 2 (демо)')")
    for path in ("/school?school=4", "/?school=6", "/overview", "/admin", "/school?school=999"):
        page.goto(server + path)
        wait_idle(page)
        body = page.locator('[data-testid="stMain"]').inner_text()
        assert "СОШ № 5 (демо)" not in body and "СОШ № 8 (демо)" not in body, path
        assert "город Невинномысск" not in page.locator("h1").first.inner_text()
    page.goto(server + "/school")
    wait_idle(page)
    page.wait_for_selector("h1:has-text('СОШ № 2 (демо)')")
    shot(page, "school-principal")


def test_password_change_ends_the_other_tab_on_its_next_interaction(server, tabs):
    a, b = two_tabs(tabs, server, "demo-curator", "/school", "h1:has-text('СОШ № 1 (демо)')",
                         a_then="/account")
    a.get_by_label("Текущий пароль").fill("demo")
    a.get_by_label("Новый пароль (не меньше 8 символов)").fill("новый-пароль-куратора")
    a.get_by_label("Новый пароль ещё раз").fill("новый-пароль-куратора")
    a.get_by_role("button", name="Сменить пароль").click()
    # every session of the user ends, this tab's too: its websocket is closed and the login page says why
    a.wait_for_selector("text=Сеанс завершён: пароль изменён")
    shot(a, "account-password-changed")
    # tab B did nothing: the server closed its websocket too, and it shows the login page saying why
    b.wait_for_selector("text=Сеанс завершён: пароль изменён")
    assert "/login" in b.url


def test_repeated_wrong_passwords_are_throttled(server, page):
    for _ in range(5):
        page.goto(server + "/login")
        page.fill("#login", "intruder")
        page.fill("#password", "guess")
        with page.expect_navigation():  # the answer's page, not the message of the one before
            page.click("button[type=submit]")
        assert page.locator(".error").inner_text() == "Неверный логин или пароль."
    # over the limit each next attempt waits 1, 2, 4 … s after the last failure: on a loaded machine an
    # attempt may come after its wait (and fail as a wrong password), never after all of them
    messages = []
    for _ in range(4):
        page.fill("#login", "intruder")
        page.fill("#password", "guess")
        with page.expect_navigation():
            page.click("button[type=submit]")
        messages.append(page.locator(".error").inner_text())
        if "Слишком много неудачных попыток" in messages[-1]:
            break
    assert "Слишком много неудачных попыток" in messages[-1], messages
    assert set(messages[:-1]) <= {"Неверный логин или пароль."}
