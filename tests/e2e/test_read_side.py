"""In a real Chromium: overview, meeting mode, an indicator and a school page, with screenshots."""

from tests.e2e.helpers import login, shot, wait_idle

SHARED_SERVER = True  # reads only: the session's shared app (checked unchanged afterwards)


def test_overview_meeting_indicator_and_school(server, page):
    login(page, server, "demo-head")
    page.wait_for_selector(".tile-title")
    assert page.locator(".tile-title").count() == 5
    assert page.locator("svg.sparkline").count() == 5
    # the whole overview fits a 1920x1080 projector without scrolling down to the tiles' ends
    bottom = page.evaluate("Math.max(...[...document.querySelectorAll('.tile')].map("
                           "e => e.getBoundingClientRect().bottom))")
    assert bottom <= 1080, bottom
    shot(page, "overview")

    page.get_by_role("tab", name="Школы × цели").click()
    page.wait_for_selector("table.status-table")
    assert page.locator("table.status-table tbody tr").count() >= 5
    shot(page, "overview-matrix")

    page.get_by_role("button", name="Режим совещания").click()
    wait_idle(page)
    page.wait_for_selector("text=Цель 1 из 5")
    assert not page.locator('[data-testid="stSidebar"]').is_visible()
    assert "meeting=1" in page.url and "as_of=" in page.url
    shot(page, "meeting-1")
    page.keyboard.press("ArrowRight")
    page.wait_for_selector("text=Цель 2 из 5")
    shot(page, "meeting-2")
    page.get_by_role("button", name="Выйти").click()
    wait_idle(page)
    page.wait_for_selector(".tile-title")

    page.goto(server + "/indicator?roadmap=nev-2024&target=3")
    wait_idle(page)
    page.wait_for_selector("text=Доля педагогов, прошедших повышение квалификации")
    assert page.locator('[data-testid="stMetric"]').count() == 5
    shot(page, "indicator")

    page.goto(server + "/school?school=2")
    wait_idle(page)
    page.wait_for_selector("h1:has-text('СОШ № 2 (демо)')")
    shot(page, "school")
