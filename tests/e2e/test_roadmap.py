"""Chromium: the roadmap page (timeline, status change), the risk matrix, the curator's schools."""

from tests.e2e.helpers import login, shot, wait_idle


CHART = "[data-testid=stVegaLiteChart]"


def ytick_texts(page) -> int:
    """Distinct row labels (the y axis) of the first chart."""
    return page.evaluate("""sel => new Set([...[...document.querySelector(sel).querySelectorAll('.role-axis')]
        .find(a => (a.getAttribute('aria-label') || '').startsWith('Y-axis'))
        .querySelectorAll('.role-axis-label text')].map(t => t.textContent)).size""", CHART)


# The timeline's geometry as drawn (core.plan_charts.Timeline.html): each row's height, whether its label
# wraps or reaches into the track, whether every mark and the today line lie inside the track, the page's
# width, and the hover text of the first control point's mark.
TIMELINE = r"""() => {
  const rows = [...document.querySelectorAll('.tl-row')];
  const grid = document.querySelector('.tl-grid').getBoundingClientRect();
  const inside = e => { const r = e.getBoundingClientRect();
                        return r.left >= grid.left - 7 && r.right <= grid.right + 7; };
  return {rows: rows.length, heights: [...new Set(rows.map(r => Math.round(r.getBoundingClientRect().height)))],
          wrapped: rows.filter(r => r.querySelector('.tl-lab').getBoundingClientRect().height > 24).length,
          into_track: rows.filter(r => r.querySelector('.tl-lab').getBoundingClientRect().right > grid.left).length,
          marks: document.querySelectorAll('.tl-bar, .tl-pt').length,
          outside: [...document.querySelectorAll('.tl-bar, .tl-pt, .tl-now')].filter(e => !inside(e)).length,
          page: document.documentElement.scrollWidth,
          hover: document.querySelector('.tl-row .tl-pt, .tl-row .tl-bar').getAttribute('title')};
}"""


def test_timeline_and_status_change(server, page):
    page.set_viewport_size({"width": 1280, "height": 720})  # the projector
    login(page, server, "demo-methodist", then="/roadmap?roadmap=nev-2024")
    chart = page.locator(".tl").first
    chart.wait_for()
    # the timeline draws the control points and activities of nev-2024 with a «today» line, at 1280×720 each
    # row one line of 26 px, the labels cut with «…» before the track, every mark inside the track
    drawn = page.evaluate(TIMELINE)
    assert drawn["rows"] == 34 and set(drawn["heights"]) <= {26, 27}, drawn  # (27: a group's first row, its rule)
    assert drawn["wrapped"] == drawn["into_track"] == drawn["outside"] == 0 and drawn["page"] <= 1280, drawn
    assert drawn["marks"] >= 34
    assert drawn["hover"].startswith("Контрольная точка 1: ") and "\nСрок: " in drawn["hover"], drawn["hover"]
    assert page.get_by_text("сегодня, 15.10.2024").count() == 1
    assert page.get_by_text("Просрочено:").first.is_visible()
    chart.scroll_into_view_if_needed()
    shot(page, "roadmap_timeline")
    page.get_by_role("tab", name="Таблица по направлениям").click()
    wait_idle(page)
    assert page.get_by_text("Направление 1. адресное методическое сопровождение").first.is_visible()
    shot(page, "roadmap_table")
    page.get_by_role("tab", name="Отметить выполнение").click()
    wait_idle(page)  # the tab's content comes with the rerun its click starts
    page.get_by_text("выполнено", exact=True).first.click()
    page.get_by_label("Подтверждение (документ, ссылка, что сделано) или причина отмены").fill("Приказ № 7")
    page.get_by_role("button", name="Сохранить").click()
    wait_idle(page)
    page.get_by_text("Сохранено:").first.wait_for()
    assert page.get_by_text("История изменений").is_visible()
    shot(page, "roadmap_status_saved")


def test_risk_matrix(server, page):
    login(page, server, "demo-admin", then="/risks?roadmap=kal-2023")
    heat = page.locator(CHART).first
    heat.wait_for()
    assert page.get_by_text("Не обеспечены мероприятиями").is_visible()
    # 15 schools as rows, 24 parameters in 7 groups as columns
    assert ytick_texts(page) == 15
    shot(page, "risk_gaps")
    heat.scroll_into_view_if_needed()
    shot(page, "risk_matrix")


def test_curator_sees_curated_schools(server, page):
    login(page, server, "demo-curator")
    assert page.get_by_role("heading", name="Курируемые школы").is_visible()
    shot(page, "curated")
    page.get_by_role("link", name="СОШ № 5 (демо)").click()
    wait_idle(page)
    assert "school=" in page.url
    assert page.get_by_text("Куратор: СОШ № 1 (демо)").filter(visible=True).count() == 1  # the phone copy is hidden
    shot(page, "curated_school")
