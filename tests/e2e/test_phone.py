"""In Chromium as a phone (390×844, touch, ru-RU): the principal's login, school page and entry form, the
curator's list, a curated school and the collection of their schools — nothing wider than the screen, the first status on the first screen,
controls a finger can hit, a value written through the form by taps."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from openpyxl import Workbook

from core.vocabulary import STATUS_LABELS
from devkit.browser import WIRE
from tests.e2e.helpers import shot, wait_idle

W, H = 390, 844

# Every visible element inside the screen's width, the page not scrollable sideways, no box that scrolls
# sideways (a grid or a table wider than the phone). Returns what breaks it, empty when nothing does.
WIDER = r"""() => {
  const W = window.innerWidth, out = [];
  const root = document.scrollingElement || document.documentElement;
  if (root.scrollWidth > W) out.push('page ' + root.scrollWidth);
  for (const el of document.querySelectorAll('body *')) {
    const r = el.getBoundingClientRect(), cs = getComputedStyle(el);
    if (!r.width || !r.height || cs.visibility === 'hidden') continue;
    const name = (el.getAttribute('data-testid') || el.tagName) + ' «' + (el.innerText || '').slice(0, 30) + '»';
    if (r.right > W + 0.5) out.push(name + ' ' + Math.round(r.left) + '…' + Math.round(r.right));
    if (['auto', 'scroll'].includes(cs.overflowX) && el.scrollWidth > el.clientWidth + 1)
      out.push(name + ' scrolls sideways ' + el.scrollWidth + ' > ' + el.clientWidth);
  }
  return out.slice(0, 10);
}"""
# Controls a finger must hit, lower than 44 px (buttons, links, tabs, the boxes of inputs and select boxes,
# checkboxes); Streamlit's visually hidden «skip to content» link and the app's own hidden inputs aside.
SMALL = r"""() => [...document.querySelectorAll('button, a[href], [role=tab], [data-testid=stNumberInputContainer], '
    + '[data-testid=stTextInputRootElement], [data-baseweb=select] > div, [data-testid=stCheckbox] label, summary')]
  .filter(e => { const r = e.getBoundingClientRect();
                 return r.width > 2 && r.height > 2 && r.height < 44 && getComputedStyle(e).visibility !== 'hidden'; })
  .map(e => (e.getAttribute('data-testid') || e.tagName) + ' «' + (e.innerText || '').slice(0, 30) + '» '
            + Math.round(e.getBoundingClientRect().height))"""
# The size of every label in the charts drawn (Vega's SVG text).
CHART_FONTS = r"""() => [...document.querySelectorAll('[data-testid=stVegaLiteChart] svg text')]
  .filter(t => t.getBoundingClientRect().width > 0).map(t => parseFloat(getComputedStyle(t).fontSize))"""


@pytest.fixture
def phone(browser):
    """A tab in a phone's browser context of its own: 390×844, mobile viewport, touch, Russian."""
    ctx = browser.new_context(viewport={"width": W, "height": H}, is_mobile=True, has_touch=True, locale="ru-RU",
                              device_scale_factor=2)
    ctx.add_init_script(WIRE)
    pg = ctx.new_page()
    pg.set_default_timeout(60000)
    yield pg
    ctx.close()


def tap_login(pg, base: str, user: str, then: str) -> None:
    """Log in as a phone does: tap the fields, type, tap «Войти»."""
    pg.goto(base + "/login?next=" + quote(then))
    pg.tap("#login")
    pg.keyboard.type(user)
    pg.tap("#password")
    pg.keyboard.type("demo")
    pg.tap("button[type=submit]")
    wait_idle(pg)


def fits(pg) -> None:
    wider = pg.evaluate(WIDER)
    assert not wider, f"{pg.url}: wider than the {W}-px screen: {wider}"
    small = pg.evaluate(SMALL)
    assert not small, f"{pg.url}: controls lower than 44 px: {small}"


def first_status_on_first_screen(pg) -> str:
    """The first indicator's status word: visible, and within the first screen without scrolling."""
    badge = pg.locator(".phone-card .phone-badge").first
    assert badge.is_visible()
    box = badge.bounding_box()
    assert box["y"] >= 0 and box["y"] + box["height"] <= H, box
    word = badge.inner_text().split(" ", 1)[1]
    assert word in STATUS_LABELS.values()
    return word


def test_login_page_fits_a_phone(server, phone):
    phone.goto(server + "/login")
    fits(phone)
    for sel in ("#login", "#password", "button[type=submit]"):
        box = phone.locator(sel).bounding_box()
        # a finger's height, and the phone's width: no card with margins around the form on a small screen
        assert box["height"] >= 44 and box["width"] >= 0.88 * W, (sel, box)
    shot(phone, "phone-login")


def test_principal_school_page_on_a_phone(server, phone):
    tap_login(phone, server, "demo-principal", "/school")
    phone.wait_for_selector(".phone-card")
    assert first_status_on_first_screen(phone) == "Отстаёт"  # «Стартовые условия» of СОШ № 2 (демо)
    # the first screen is the figures', not the legal name's nor the counts'
    assert not phone.get_by_text("Муниципальное бюджетное общеобразовательное учреждение").first.is_visible()
    assert phone.locator("[data-testid=stTable]").first.is_hidden()  # the desktop's table
    card = phone.locator(".phone-card").first.inner_text()
    for label in ("Сейчас", "Ожидается сейчас", "Цель", "Нужно", "92,8\xa0%", "96,8\xa0% к контрольной точке"):
        assert label in card
    shot(phone, "phone-principal-school")
    # the charts: as wide as the screen, their legends whole (one column), no label under 12 px
    phone.locator("[data-testid=stVegaLiteChart]").last.scroll_into_view_if_needed()
    wait_idle(phone)
    fonts = phone.evaluate(CHART_FONTS)
    assert fonts and min(fonts) >= 12, fonts
    fits(phone)
    # the roadmap's items are cards too (the grid would scroll sideways), the overdue ones first
    assert phone.locator(".phone-card:has-text('⚠ просрочено'):visible").count() == 3  # the school's own
    for path in ("/upload", "/account"):
        phone.goto(server + path)
        wait_idle(phone)
        fits(phone)


def test_principal_enters_a_value_by_touch(server, phone):
    tap_login(phone, server, "demo-principal", "/entry")
    fits(phone)
    field = phone.get_by_label("Из них имеется в ОО")
    assert field.get_attribute("type") == "number"  # the phone opens its numeric keyboard
    # the previous quarter's value beside each of the two fields
    assert phone.get_by_text("II кв. 2024: 6\xa0100", exact=True).is_visible()
    assert phone.get_by_text("II кв. 2024: 5\xa0599 (91,8\xa0%)", exact=True).is_visible()
    field.tap()
    field.press("Control+a")
    phone.keyboard.type("5700")
    check = phone.get_by_role("button", name="Проверить")
    check.scroll_into_view_if_needed()
    assert check.bounding_box()["width"] >= W * 0.8  # the whole width, for a thumb
    check.tap()
    wait_idle(phone)
    preview = phone.locator(".phone-card:has-text('Стартовые условия')")
    assert preview.is_visible() and "изменится" in preview.inner_text()
    fits(phone)  # the preview is cards, not a grid scrolling sideways
    # the value was entered before: a warning to confirm (its box a finger's size), then «Записать»
    phone.get_by_text("Я проверил(а) предупреждения (1), значения верны").tap()
    wait_idle(phone)
    write = phone.get_by_role("button", name="Записать")
    write.scroll_into_view_if_needed()
    box = write.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= W and box["height"] >= 44 and box["width"] >= W * 0.8
    shot(phone, "phone-principal-entry-preview")
    write.tap()
    wait_idle(phone)
    # said after the rerun the write asks for: on a loaded machine that second run may start after the
    # page's quiet moment, so the message itself is waited for
    phone.get_by_text("Записано (запись №").wait_for(state="visible")
    phone.reload()
    wait_idle(phone)
    assert phone.get_by_label("Из них имеется в ОО").input_value() == "5700"


def test_curator_list_and_school_on_a_phone(server, phone):
    tap_login(phone, server, "demo-curator", "/curated")
    fits(phone)
    shot(phone, "phone-curator-list")
    phone.get_by_role("link", name="СОШ № 2 (демо)").tap()
    wait_idle(phone)
    phone.wait_for_selector(".phone-card")
    first_status_on_first_screen(phone)
    fits(phone)
    shot(phone, "phone-curator-school")
    # the curator's own school, without targets of its own: its indicators against the territory as cards
    phone.get_by_label("Школа").tap()
    phone.get_by_role("option", name="СОШ № 1 (демо) — город Невинномысск").tap()
    wait_idle(phone)
    assert phone.locator(".phone-card:has-text('Сравнение')").first.is_visible()
    fits(phone)
    # «Сбор данных» of the curated schools: a card a school (who sent what, when), not a grid scrolling sideways
    phone.goto(server + "/collection")
    wait_idle(phone)
    school_cards = phone.locator(".phone-card:has-text('Значений')")
    assert school_cards.count() == 3 and school_cards.first.is_visible()
    assert phone.locator("[data-testid=stDataFrame]:visible").count() == 0
    fits(phone)
    school_cards.first.scroll_into_view_if_needed()
    shot(phone, "phone-curator-collection")


def test_principal_uploads_a_file_on_a_phone(server, phone, tmp_path):
    """A long table typed by hand (school code, indicator, period, numerator, denominator): its «what
    changes» and the upload log are cards on a phone, not grids scrolling sideways."""
    wb = Workbook()
    ws = wb.active
    ws.append(["Код школы", "Показатель", "Период", "Числитель", "Знаменатель"])
    ws.append(["NEV-02", "Качество обучения", "III кв. 2024", 320, 610])
    ws.append(["NEV-02", "Педагоги прошли КПК", "III кв. 2024", 25, 38])
    path = tmp_path / "школа 2.xlsx"
    wb.save(path)
    tap_login(phone, server, "demo-principal", "/upload")
    with phone.expect_file_chooser() as chooser:
        phone.locator('[data-testid="stFileUploaderDropzone"] button').first.tap()
    chooser.value.set_files(str(path))
    wait_idle(phone)
    phone.get_by_text("Что изменится", exact=True).wait_for()
    cards = phone.locator(".phone-card:visible")
    assert cards.count() == 2 and "320 из 610" in cards.first.inner_text()
    fits(phone)
    shot(phone, "phone-principal-upload-preview")
    phone.get_by_text("Я проверил(а) предупреждения").tap()
    wait_idle(phone)
    phone.get_by_role("button", name="Записать").tap()
    wait_idle(phone)
    phone.get_by_text("Записано: загрузка №").wait_for()
    phone.get_by_role("tab", name="Журнал загрузок").tap()
    wait_idle(phone)
    assert phone.locator(".phone-card:visible:has-text('школа 2.xlsx')").count() == 1
    fits(phone)
    shot(phone, "phone-principal-upload-log")


# Where the roadmap's figures sit (their top and left, px), and whether any HTML table or its box reaches past
# the screen's right edge.
FIGURES = r"""() => ({
  metrics: [...document.querySelectorAll('[data-testid=stMetric]')].map(m => {
    const r = m.getBoundingClientRect(); return [Math.round(r.top), Math.round(r.left)]; }),
  cut_labels: [...document.querySelectorAll('[data-testid=stMetricLabel] *')]
    .filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.innerText),
  past_edge: [...document.querySelectorAll('.tl, .phone-card')]
    .filter(e => e.getBoundingClientRect().right > innerWidth + 1).map(e => e.className),
  undated: [document.querySelectorAll('.st-key-phone_rm_undated .phone-card').length,
            [...document.querySelectorAll('table.plain-table')].filter(t => t.getBoundingClientRect().width).length],
  month_labels: [...document.querySelectorAll('.tl-head span')].filter(s => getComputedStyle(s).display != 'none')
    .length})"""


def test_roadmap_on_a_phone(server, phone):
    """A roadmap without directions and with 19 undated items (kal-2023): its figures two abreast, not a screen
    of one under another; the timeline within the screen with three month labels at most; the undated items
    as cards, not a table cut at the edge."""
    tap_login(phone, server, "demo-admin", "/roadmap?roadmap=kal-2023")
    phone.wait_for_selector(".tl-row")
    fits(phone)
    seen = phone.evaluate(FIGURES)
    tops = [top for top, _ in seen["metrics"]]
    assert len(tops) == 5 and tops[0] == tops[1] and tops[2] == tops[3] and tops[1] < tops[2] < tops[4], seen
    assert seen["metrics"][0][1] < seen["metrics"][1][1]  # side by side
    assert seen["cut_labels"] == [] and seen["past_edge"] == [] and 2 <= seen["month_labels"] <= 3, seen
    assert seen["undated"] == [19, 0], seen  # 19 cards, the desktop's table hidden
    shot(phone, "phone-roadmap")
