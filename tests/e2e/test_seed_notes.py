"""Chromium: how each roadmap was carried over is readable on screen — seed 004's participants on
the roadmap page, seed 000's judgement calls under «Как считается» (overview and indicator), and
the upload page's default period."""

from tests.e2e.helpers import login, shot, wait_idle

SHARED_SERVER = True  # reads only: the session's shared app (checked unchanged afterwards)


def test_participants_and_how_counted(server, page):
    login(page, server, "demo-admin", then="/roadmap?roadmap=okn-2021")
    page.get_by_text("Цель, задачи, участники, источник").click()
    wait_idle(page)
    page.get_by_text("Ассоциация педагогов").first.wait_for()
    assert page.get_by_text("7 школ, а не 9").first.is_visible()
    assert page.get_by_text("shared/").count() == 0
    page.get_by_text("Ассоциация педагогов").first.scroll_into_view_if_needed()
    shot(page, "seed_004_participants")

    page.goto(server + "/overview?roadmap=nev-2024")
    wait_idle(page)
    page.get_by_role("tab", name="Как считается").click()
    wait_idle(page)
    note = page.get_by_text("обеспеченностью учебниками").first
    note.scroll_into_view_if_needed()
    assert note.is_visible()
    shot(page, "overview_how_counted")

    page.goto(server + "/indicator?roadmap=nev-2024&target=2")
    wait_idle(page)
    page.get_by_text("Как считается").first.click()
    wait_idle(page)
    assert page.get_by_text("IV кв. 2023").first.is_visible()
    shot(page, "indicator_how_counted")


def test_upload_defaults_to_the_last_finished_quarter(server, page):
    login(page, server, "demo-methodist", then="/upload")
    shot(page, "upload_default_period")
    # the demo clock (15.10.2024) is in force in the demo: the last finished quarter is III кв. 2024
    assert page.locator("[data-testid=\"stSelectbox\"] input").first.input_value() == "III кв. 2024"
