"""AppTest of the cycle's pages: «Сбор данных» (status, filters, not-reported list, check / approve /
unlock by role) and «Ввод данных» (a principal's entry, a methodologist's correction, the lock)."""

from __future__ import annotations

import os
from datetime import date, timezone
from zoneinfo import ZoneInfo

import streamlit as st
from sqlalchemy import text

from core import cycle

from tests.helpers import run_as


def texts(at) -> str:
    return "\n".join([m.value for m in at.markdown] + [m.value for m in at.caption] + [m.value for m in at.info]
                     + [m.value for m in at.success] + [m.value for m in at.warning] + [m.value for m in at.error])


def button(at, key):
    return next(b for b in at.button if b.key == key)


def measurement_count(engine) -> int:
    with engine.connect() as c:
        return c.execute(text("SELECT COUNT(*) FROM measurement")).scalar()


COLLECTION = "../app_pages/collection.py"
ENTRY = "../app_pages/entry.py"


def test_collection_page_lists_schools_and_the_not_reported(app_db):
    at = run_as("demo-methodist", COLLECTION)
    at.selectbox(key="col_period").set_value("2024-Q4").run()
    assert not at.exception
    assert "Не представили данные: 10" in [h.value for h in at.subheader]
    df = at.dataframe[0].value
    assert len(df) == 10 and set(df["Значений"]) == {"0 из 5"}
    at.selectbox(key="col_period").set_value("2024-Q3").run()
    df = at.dataframe[0].value
    assert len(df) == 10 and "4 из 5" in set(df["Значений"])
    at.checkbox(key="col_incomplete").check().run()
    assert list(at.dataframe[0].value["Школа"]) == ["ООШ № 11 (демо)"]
    assert "Состояние: открыт" in texts(at)


def test_check_approve_unlock_through_the_page(app_db):
    at = run_as("demo-methodist", COLLECTION)
    at.selectbox(key="col_period").set_value("2024-Q3").run()
    assert not any(b.key == "col_approve" for b in at.button)  # a methodologist does not approve
    button(at, "col_check").click().run()
    assert not at.exception
    assert "Состояние: проверен" in texts(at)
    head = run_as("demo-head", COLLECTION)
    head.selectbox(key="col_period").set_value("2024-Q3").run()
    assert not any(b.key == "col_check" for b in head.button)
    button(head, "col_approve").click().run()
    assert "Состояние: утверждён" in texts(head)
    assert cycle.quarter_state(1, "2024-Q3", app_db).is_approved
    assert button(head, "col_unlock").disabled  # a reason is required
    head.text_area(key="col_unlock_reason").input("Исправление от школы № 2").run()
    button(head, "col_unlock").click().run()
    assert not at.exception
    assert cycle.quarter_state(1, "2024-Q3", app_db).state == "open"


def test_curator_sees_their_schools_read_only(app_db):
    at = run_as("demo-curator", COLLECTION)
    at.selectbox(key="col_period").set_value("2024-Q3").run()
    df = at.dataframe[0].value
    assert 0 < len(df) < 10 and "СОШ № 1 (демо)" in set(df["Школа"])
    assert not {b.key for b in at.button} & {"col_check", "col_approve", "col_unlock"}


def test_principal_enters_values_and_the_methodologist_sees_them(app_db):
    at = run_as("demo-principal", ENTRY)
    at.selectbox(key="entry_period").set_value("2024-Q4").run()
    assert not at.exception
    assert "СОШ" in texts(at) and "III кв. 2024" in texts(at)  # the previous quarter beside each value
    key = "2:2024-Q4"
    at.number_input(key=f"e_{key}_edu_quality_d").set_value(600.0)
    at.number_input(key=f"e_{key}_edu_quality_n").set_value(700.0)
    at.button[0].click().run()  # «Проверить»
    assert "больше, чем" in at.table[0].value.to_string()  # problems: an HTML table that wraps
    assert not any(b.key == "entry_apply" for b in at.button)
    at.number_input(key=f"e_{key}_edu_quality_n").set_value(320.0)
    at.number_input(key=f"e_{key}_olympiad_participants_v").set_value(41.0)
    at.button[0].click().run()
    n = measurement_count(app_db)
    button(at, "entry_apply").click().run()
    assert not at.exception
    assert measurement_count(app_db) == n + 2
    assert "Записано" in texts(at)
    col = run_as("demo-methodist", COLLECTION)
    col.selectbox(key="col_period").set_value("2024-Q4").run()
    df = col.dataframe[0].value
    row = df[df["Школа"] == "СОШ № 2 (демо)"].iloc[0]
    assert row["Значений"] == "2 из 5" and row["Кто"] == "Директор СОШ № 2 (демо)"
    assert row["Как"].startswith("ввод в браузере №")


def test_methodologist_correction_needs_a_reason_and_an_approved_quarter_is_closed(app_db):
    at = run_as("demo-methodist", ENTRY)
    assert at.title[0].value == "Ввод данных" and "обязательной причиной" in at.caption[0].value
    at.selectbox(key="entry_period").set_value("2024-Q3").run()
    sid = at.selectbox(key="entry_school").value
    key = f"{sid}:2024-Q3"
    at.number_input(key=f"e_{key}_olympiad_participants_v").set_value(12.0)
    at.button[0].click().run()
    assert "причину исправления" in texts(at)
    at.text_input(key=f"e_{key}_reason").input("звонок директора")
    at.button[0].click().run()
    assert "резкое изменение" in at.table[0].value.to_string()  # a warning is shown and must be accepted
    assert button(at, "entry_apply").disabled
    at.checkbox(key="entry_accept").check().run()
    n = measurement_count(app_db)
    button(at, "entry_apply").click().run()
    assert not at.exception and "Записано" in texts(at)
    assert measurement_count(app_db) == n
    with app_db.connect() as c:
        assert c.execute(text("SELECT kind FROM upload ORDER BY id DESC")).scalar() == "correction"
    # approved: the form is closed
    from tests.helpers import scope_of

    cycle.mark_checked(scope_of(app_db, "demo-methodist"), 1, "2024-Q3", app_db)
    cycle.approve(scope_of(app_db, "demo-head"), 1, "2024-Q3", app_db)
    st.cache_data.clear()
    at = run_as("demo-methodist", ENTRY)
    at.selectbox(key="entry_period").set_value("2024-Q3").run()
    assert "Ввод закрыт" in texts(at)
    assert at.button[0].disabled


def test_tiles_and_slides_say_whether_figures_are_approved(app_db):
    from tests.helpers import scope_of

    at = run_as("demo-head", "../app_pages/overview.py")
    text_ = "\n".join(m.value for m in at.markdown)
    assert "данные на III кв. 2024 (предварительные)" in text_
    cycle.mark_checked(scope_of(app_db, "demo-methodist"), 1, "2024-Q3", app_db)
    info = cycle.approve(scope_of(app_db, "demo-head"), 1, "2024-Q3", app_db)
    st.cache_data.clear()
    at = run_as("demo-head", "../app_pages/overview.py")
    text_ = "\n".join(m.value for m in at.markdown)
    # the office's day (Europe/Moscow by default), not the UTC date: from 21:00 UTC they differ
    at_ = info.approved_at if info.approved_at.tzinfo else info.approved_at.replace(tzinfo=timezone.utc)
    office_day = at_.astimezone(ZoneInfo(os.environ.get("TIME_ZONE") or "Europe/Moscow"))
    assert f"данные на III кв. 2024 (утверждены {office_day:%d.%m.%Y})" in text_
    assert "предварительные" not in text_


def test_roadmap_bulk_done_and_changes_tab(app_db):
    from tests.helpers import open_items

    items = open_items(app_db, 1)
    at = run_as("demo-methodist", "../app_pages/roadmap.py")
    at.session_state["rm_tab"] = "Отметить выполнение"  # the page builds the open tab only
    at.run()
    with app_db.connect() as c:
        before = c.execute(text("SELECT COUNT(*) FROM auditevent WHERE action = 'roadmap_status'")).scalar()
    ms = at.multiselect(key="bulk_items")
    for kind, item_id in items:
        ms.select(f"{kind}:{item_id}")
    at.text_area(key="bulk_evidence").input("Протокол совещания № 4")
    next(b for b in at.button if b.label == "Отметить выполненными").click().run()
    assert not at.exception
    assert "Отмечено выполненными: 2" in texts(at)
    with app_db.connect() as c:
        assert c.execute(text("SELECT COUNT(*) FROM auditevent WHERE action = 'roadmap_status'")).scalar() == before + 2
    # nothing chosen: a Russian message, nothing written
    next(b for b in at.button if b.label == "Отметить выполненными").click().run()
    assert "Не выбран ни один пункт" in texts(at)
    head = run_as("demo-head", "../app_pages/roadmap.py")
    head.session_state["rm_tab"] = "Изменения"
    head.run()
    head.date_input(key="changes_since").set_value(date(2020, 1, 1)).run()
    df = head.dataframe[-1].value
    assert (df["Изменение"].str.contains("Протокол совещания № 4")).sum() == 2


def test_entries_show_in_the_upload_log_as_entries(app_db):
    from core.ingest import pipeline
    from tests.helpers import scope_of

    pr = scope_of(app_db, "demo-principal")
    pv, data = cycle.prepare_entry(pr, 2, "2024-Q3", {"olympiad_participants": {"value": 45}}, engine=app_db)
    uid = pipeline.apply(pr, pv, data, accept_warnings=True, engine=app_db)
    at = run_as("demo-methodist", "../app_pages/upload.py")
    df = at.dataframe[-1].value
    row = df[df["№"] == uid].iloc[0]
    assert row["Вид"] == "ввод в браузере" and row["Файл"].startswith("Ввод в браузере: СОШ № 2 (демо), III кв. 2024")


def test_the_cycle_pages_on_postgresql(db_templates, tmp_path, monkeypatch):
    """The same pages on PostgreSQL: entry → collection → checked → approved, through AppTest."""
    from tests.databases import cleanup, require_backend

    require_backend("postgresql")
    from core.settings import reset_settings_cache
    from core.startup import ensure_database

    url = db_templates.copy("postgresql", "demo", tmp_path)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("MONITORING_DEMO", "0")
    reset_settings_cache()
    st.cache_data.clear()
    st.cache_resource.clear()
    try:
        eng = ensure_database(url)
        at = run_as("demo-principal", "../app_pages/entry.py")
        at.selectbox(key="entry_period").set_value("2024-Q3").run()
        at.number_input(key="e_2:2024-Q3_olympiad_participants_v").set_value(46.0)
        at.button[0].click().run()
        if any(c.key == "entry_accept" for c in at.checkbox):
            at.checkbox(key="entry_accept").check().run()
        button(at, "entry_apply").click().run()
        assert not at.exception and "Записано" in texts(at)
        col = run_as("demo-methodist", COLLECTION)
        col.selectbox(key="col_period").set_value("2024-Q3").run()
        assert "ввод в браузере" in texts(col)
        button(col, "col_check").click().run()
        head = run_as("demo-head", COLLECTION)
        head.selectbox(key="col_period").set_value("2024-Q3").run()
        button(head, "col_approve").click().run()
        assert "Состояние: утверждён" in texts(head)
        assert cycle.quarter_state(1, "2024-Q3", eng).is_approved
        assert eng.dialect.name == "postgresql"
    finally:
        st.cache_data.clear()
        st.cache_resource.clear()
        reset_settings_cache()
        cleanup(url)


def test_entry_shows_large_previous_values_with_thousands_groups(app_db):
    """A number box cannot group thousands (it shows «10500»), so the previous quarter's value beside it
    is written the Russian way: «10 357 из 10 500» (non-breaking spaces), never «10500»."""
    at = run_as("demo-methodist", ENTRY)
    at.selectbox(key="entry_period").set_value("2024-Q3").run()
    assert not at.exception
    captions = [c.value for c in at.caption]
    assert any("10\u00a0357 из 10\u00a0500" in c for c in captions), captions
    assert not any("10500" in c or "10357" in c for c in captions), captions
