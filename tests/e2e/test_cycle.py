"""The quarterly cycle in a real Chromium at 1280×720: a principal enters values → the methodologist
sees the school as reported and marks the quarter checked → the head approves → an upload into that
quarter is refused in Russian with the database unchanged → the head unlocks → the upload works."""

import sqlite3

import pytest

from devkit.server import running_server
from tests.e2e.helpers import DROPZONE, Tabs, login, open_from_menu, shot, wait_idle, write
from tests.ingest_files import long_table


@pytest.fixture(scope="module")
def cycle_server(tmp_path_factory, db_templates):
    tmp = tmp_path_factory.mktemp("e2e-cycle")
    with running_server(tmp, template=db_templates.url("sqlite", "demo")) as base:
        yield base, tmp / "e2e.db"


def db_state(path) -> tuple:
    with sqlite3.connect(path) as c:
        return (c.execute("SELECT id, value, numerator, denominator, upload_id FROM measurement ORDER BY id").fetchall(),
                c.execute("SELECT COUNT(*) FROM measurementhistory").fetchone(),
                c.execute("SELECT COUNT(*) FROM upload").fetchone())


def upload(pg, base, path, *, reload=True):
    if reload:
        pg.goto(base + "/upload")
        wait_idle(pg)
    with pg.expect_file_chooser() as fc:
        pg.locator(DROPZONE).click()
    fc.value.set_files(str(path))
    wait_idle(pg)
    pg.wait_for_selector("text=Значений в файле")


def test_enter_check_approve_refuse_unlock(cycle_server, browser, tabs, tmp_path):
    base, db = cycle_server
    # 1. the principal enters the quarter's values of their school (demo today: 15.10.2024 → III кв. 2024)
    pg = tabs(1280, 720)
    login(pg, base, "demo-principal", then="/entry")
    pg.wait_for_selector("text=Участники олимпиад и конкурсов")
    assert pg.locator("text=II кв. 2024:").count() >= 5  # the previous quarter beside each value
    field = pg.get_by_label("Участники олимпиад и конкурсов")
    field.fill("47")
    field.press("Enter")
    pg.locator("h1").first.scroll_into_view_if_needed()
    shot(pg, "cycle-entry-form")
    pg.get_by_role("button", name="Проверить").click()
    wait_idle(pg)
    shot(pg, "cycle-entry-preview")
    write(pg)
    pg.wait_for_selector("text=Записано (запись №")
    tabs.end_session()
    with sqlite3.connect(db) as c:
        entry_id, kind = c.execute("SELECT id, kind FROM upload ORDER BY id DESC").fetchone()
        assert kind == "entry"
        assert c.execute("SELECT value FROM measurement WHERE upload_id = ?", (entry_id,)).fetchone() == (47.0,)

    # 2. the methodologist sees the school as reported through that entry and marks the quarter checked
    pg = tabs(1280, 720)
    login(pg, base, "demo-methodist", then="/collection")
    pg.wait_for_selector("text=Последним представил данные: СОШ № 2 (демо)")
    assert pg.locator(f"text=ввод в браузере № {entry_id}").count() >= 1
    shot(pg, "cycle-collection")
    pg.locator('[data-testid="stDataFrame"]').first.scroll_into_view_if_needed()
    shot(pg, "cycle-collection-table")
    pg.get_by_role("button", name="Отметить «проверено»").click()
    wait_idle(pg)
    pg.wait_for_selector("text=Состояние: проверен")
    tabs.end_session()

    # 3. the head approves; the tile says so
    head_tabs = Tabs(browser)  # a browser of its own: the head stays logged in while the methodologist works
    pg = head_tabs(1280, 720)
    login(pg, base, "demo-head", then="/collection")
    pg.get_by_role("button", name="Утвердить данные квартала").click()
    wait_idle(pg)
    pg.wait_for_selector("text=Состояние: утверждён")
    open_from_menu(pg, "overview")
    pg.wait_for_selector("text=(утверждены")
    pg.locator("text=(утверждены").first.scroll_into_view_if_needed()
    shot(pg, "cycle-approved-tile")
    head = pg

    # 4. an upload into the approved quarter is refused in Russian, nothing changes
    pg = tabs(1280, 720)
    login(pg, base, "demo-methodist", then="/upload")
    f = tmp_path / "поправка.xlsx"
    f.write_bytes(long_table([["NEV-03", "olympiad_participants", "2024-Q3", 31, None, None]]))
    before = db_state(db)
    upload(pg, base, f, reload=False)
    pg.wait_for_selector("text=утверждены")
    assert pg.locator("text=изменения не принимаются").count() >= 1
    assert pg.locator("text=База данных не изменена").count() >= 1
    assert pg.get_by_role("button", name="Записать").count() == 0
    pg.locator("text=изменения не принимаются").first.scroll_into_view_if_needed()
    shot(pg, "cycle-upload-refused")
    assert db_state(db) == before

    # 5. the head unlocks with a reason; the same upload now goes through
    open_from_menu(head, "collection")
    head.get_by_text("Снять утверждение").first.click()
    head.get_by_label("Причина (обязательно; сохраняется в журнале)").fill("Школа № 3 прислала исправление")
    head.keyboard.press("Tab")
    wait_idle(head)
    head.get_by_role("button", name="Снять утверждение").click()
    wait_idle(head)
    head.wait_for_selector("text=Состояние: открыт")
    head_tabs.end_session()
    upload(pg, base, f)
    write(pg)
    pg.wait_for_selector("text=Записано: загрузка №")
    with sqlite3.connect(db) as c:
        assert c.execute("SELECT m.value FROM measurement m JOIN school s ON s.id = m.school_id JOIN period p "
                         "ON p.id = m.period_id WHERE s.code = 'NEV-03' AND p.code = '2024-Q3' AND m.indicator_id = "
                         "(SELECT id FROM indicator WHERE code = 'olympiad_participants')").fetchone() == (31.0,)
        actions = [r[0] for r in c.execute("SELECT action FROM auditevent WHERE action LIKE 'quarter%' ORDER BY id")]
    assert actions == ["quarter_checked", "quarter_approved", "quarter_unlocked"]
