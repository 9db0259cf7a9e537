"""In a real Chromium: a school name in the overview's «Школы × цели» table opens that school."""

from tests.e2e.helpers import login, shot, wait_idle

SHARED_SERVER = True  # reads only: the session's shared app (checked unchanged afterwards)


def test_a_school_in_the_overview_table_opens_its_page(server, page):
    login(page, server, "demo-head")
    page.wait_for_selector(".tile-title")
    page.get_by_role("tab", name="Школы × цели").click()
    page.wait_for_selector("table.status-table")
    links = page.locator("table.status-table tbody tr th a")
    assert links.count() >= 5
    link = links.nth(2)  # a school in the middle of the table
    name = link.inner_text().split(" ШНОР")[0].split(" ШНСУ")[0].strip()
    href = link.get_attribute("href")
    assert href.startswith("school?school="), href
    school_id = href.split("=")[-1]
    link.click()
    page.wait_for_url(f"**/school?school={school_id}*")
    wait_idle(page)
    page.wait_for_selector(f":is(h1, h2):has-text('{name}')")  # the school's page, its name as the heading
    assert page.locator(".tile-title").count() == 0  # not the overview reloaded
    shot(page, "drilldown-school")
