"""Page tests with streamlit.testing.v1.AppTest against a demo database."""

from datetime import date

import pytest
from sqlalchemy import text
import streamlit as st
from streamlit.testing.v1 import AppTest

from core import auth
from core.read import overview as read_overview
from core import formatting as fmt
from core.settings import ROOT
from devkit import HARNESS
from tests.helpers import XLSX, markdown_text, open_tab, run_as


def test_anonymous_sees_only_the_login_hint(app_db):
    at = run_as(None)
    assert at.title[0].value == "Требуется вход"
    assert "Обзор" not in markdown_text(at)


@pytest.mark.parametrize("login", ["demo-head", "demo-methodist", "demo-admin"])
def test_overview_shows_the_demo_targets(app_db, login):
    at = run_as(login, roadmap="nev-2024")
    text = markdown_text(at)
    assert "город Невинномысск" in text
    ov = read_overview.overview(auth.system_scope(), 1, engine=app_db)
    for card in ov.cards:  # each tile shows the value and status computed by core.targets
        assert card.short_name in text
        assert fmt.value(card.evaluation.value, card.unit) in text
        assert card.evaluation.label in text
    assert "Демонстрационные данные" in text and "«сегодня» — 15 октября 2024 г." in text  # one line, with the demo clock
    assert text.count('class="sparkline"') == 5  # one trend line per tile
    assert 'class="status-table"' in text and "СОШ № 2 (демо)" in text  # schools x targets: the open tab
    assert len(at.get("vega_lite_chart")) == 0  # «Динамика» is built when opened
    open_tab(at, "Динамика", "ov_tab")
    assert len(at.get("vega_lite_chart")) == 1  # the trend of the chosen target
    assert 'class="status-table"' not in markdown_text(at)


def test_overview_switches_roadmap_and_shows_milestones(app_db):
    at = run_as("demo-admin")
    at.selectbox(key="overview_roadmap").set_value("okn-2021").run()
    assert not at.exception
    text = markdown_text(at)
    assert "Оконешниковский" in text and "Резильентные школы" in text
    assert "Нет данных" in text and "Отстаёт" in text and "Достигнут" in text
    assert at.query_params["roadmap"] in ("okn-2021", ["okn-2021"])
    # «Необъективные результаты» has no data from any school: said so, not «0 из 9»
    assert "нет данных ни от одной школы" in text.lower() and "выполняют 0 из 9" not in text.lower()
    assert [b.label for b in at.button if b.key == "to_meeting"] == ["Режим совещания"]


@pytest.mark.parametrize("code", ["kal-2023", "yak-2020"])
def test_no_meeting_mode_for_a_roadmap_without_targets(app_db, code):
    at = run_as("demo-admin")
    at.selectbox(key="overview_roadmap").set_value(code).run()
    assert not at.exception
    assert "нет целевых показателей" in markdown_text(at) or any(
        "нет целевых показателей" in i.value for i in at.info)
    assert not [b for b in at.button if b.key == "to_meeting"]


def test_schools_meeting_wording():
    assert fmt.schools_meeting(0, 9, False) == "нет данных ни от одной школы"
    assert fmt.schools_meeting(0, 9, True) == "выполняют 0 из 9\u00a0школ"
    assert fmt.schools_meeting(3, 21, True) == "выполняют 3 из 21\u00a0школы"


def test_overview_as_of_an_earlier_period(app_db):
    at = run_as("demo-head")
    at.select_slider(key="overview_as_of").set_value(date(2024, 3, 31)).run()
    assert not at.exception
    assert "данные на I кв. 2024" in markdown_text(at)  # said once, in the line under the controls


def test_principal_gets_only_their_school(app_db):
    at = run_as("demo-principal")
    assert [p for p in at.get("selectbox")] == []  # no school picker
    text = markdown_text(at)
    assert "СОШ № 2 (демо)" in text and "Куратор" in text
    df = at.table[0].value
    assert list(df["Показатель"])[:2] == ["Стартовые условия", "Качество обучения"]
    with pytest.raises(ValueError, match=r"Known pages: \['Главная', '[^,]*school.py', '[^,]*entry.py', '[^,]*upload.py', "
                                         r"'[^,]*account.py'\]"):
        at.switch_page("../app_pages/overview.py")  # not among the principal's pages


@pytest.mark.parametrize("login", ["demo-head", "demo-methodist", "demo-admin"])
def test_head_opens_the_school_page(app_db, login):
    at = run_as(login, "../app_pages/school.py", school="8")
    assert "# Гимназия № 12 (демо)" in markdown_text(at)
    assert "Курирует" in markdown_text(at)


def test_principal_cannot_open_another_school_by_url(app_db):
    at = AppTest.from_file(HARNESS, default_timeout=60)
    at.session_state["test_login"] = "demo-principal"
    at.query_params["school"] = "4"  # NEV-05
    at.run()
    assert "СОШ № 2 (демо)" in markdown_text(at)
    assert "СОШ № 5 (демо)" not in markdown_text(at)
    assert at.error[0].value == "Нет доступа: школа 4. Показана доступная вам школа."
    with app_db.connect() as c:  # the attempt is in the audit log
        assert c.execute(text("SELECT COUNT(*) FROM auditevent WHERE action = 'access_denied' "
                              "AND login = 'demo-principal'")).scalar() == 1


def test_curator_chooses_among_curated_schools(app_db):
    at = run_as("demo-curator", "../app_pages/school.py")  # the picker: own school and the curated ones
    box = at.selectbox(key="school_pick")
    assert [o.split(" — ")[0] for o in box.options] == ["СОШ № 1 (демо)", "СОШ № 2 (демо)", "СОШ № 5 (демо)"]
    at = run_as("demo-curator", "../app_pages/school.py")
    at.selectbox(key="school_pick").set_value(4).run()  # a curated school
    assert "СОШ № 5 (демо)" in markdown_text(at)


def test_admin_page_lists_users_and_creates_one(app_db):
    at = run_as("demo-admin", "../app_pages/admin.py")
    assert list(at.dataframe[0].value["Логин"]) == ["demo-admin", "demo-curator", "demo-head", "demo-methodist",
                                                    "demo-principal"]
    at.text_input(key="new_login").input("metod2")
    at.text_input(key="new_name").input("Второй методист")
    at.selectbox(key="new_role").set_value("methodologist")
    at.selectbox(key="new_territory").set_value(1)
    at.text_input(key="new_password").input("пароль-методиста")
    form_buttons = [b for b in at.get("button") if getattr(b, "label", "") == "Создать"]
    assert form_buttons, "the create form has a submit button"
    form_buttons[0].click().run()
    assert not at.exception
    assert any("metod2" in s.value for s in at.success)


@pytest.mark.parametrize("login", ["demo-head", "demo-principal"])
def test_only_the_admin_has_the_admin_page(app_db, login):
    at = run_as(login)
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("../app_pages/admin.py")


def test_account_page_refuses_a_wrong_current_password(app_db):
    at = run_as("demo-principal", "../app_pages/account.py")
    at.text_input(key="pw_old").input("nope")
    at.text_input(key="pw_new").input("длинный-пароль")
    at.text_input(key="pw_again").input("длинный-пароль")
    [b for b in at.get("button") if b.label == "Сменить пароль"][0].click().run()
    assert [e.value for e in at.error] == ["Текущий пароль указан неверно."]


def test_meeting_mode_shows_one_target_per_slide_and_advances(app_db):
    at = run_as("demo-head", roadmap="nev-2024", meeting="1", as_of="2024-06-30")
    text = markdown_text(at)
    assert "Цель 1 из 5" in text and "Стартовые условия" in text
    assert "данные на II кв. 2024" in text  # the frozen cut, named as the quarter it closes
    assert "Качество обучения" not in text
    assert len(at.get("vega_lite_chart")) == 1
    at.button(key="slide_next").click().run()
    text = markdown_text(at)
    assert "Цель 2 из 5" in text and "Качество обучения" in text
    at.button(key="slide_prev").click().run()
    at.button(key="slide_prev").click().run()
    assert "Цель 5 из 5" in markdown_text(at)  # wraps around
    at.button(key="slide_exit").click().run()
    assert "meeting" not in at.query_params
    assert markdown_text(at).count('class="sparkline"') == 5


def test_meeting_mode_advances_by_itself(app_db, monkeypatch):
    at = run_as("demo-head", roadmap="nev-2024", meeting="1", every="10")
    assert "Цель 1 из 5" in markdown_text(at)
    at.session_state["slide_at"] = at.session_state["slide_at"] - 11  # ten seconds went by
    at.run()
    assert "Цель 2 из 5" in markdown_text(at)
    at.toggle(key="slide_playing").set_value(False).run()
    at.session_state["slide_at"] = at.session_state["slide_at"] - 60
    at.run()
    assert "Цель 2 из 5" in markdown_text(at)  # paused


@pytest.mark.parametrize("login", ["demo-methodist", "demo-head", "demo-admin"])
def test_indicator_page_shows_every_school_with_numerators(app_db, login):
    ov = read_overview.overview(auth.system_scope(), 1, engine=app_db)
    card = next(c for c in ov.cards if c.short_name == "Педагоги прошли КПК")
    at = run_as(login, "../app_pages/indicator.py", roadmap="nev-2024", target=str(card.target_id))
    assert not at.exception
    assert "Доля педагогов, прошедших повышение квалификации" in markdown_text(at)
    assert at.metric[0].value == fmt.value(card.evaluation.value, card.unit)
    table = at.dataframe[0].value
    assert len(table) == 10 and {"Всего педагогов", "Из них прошли КПК"} <= set(table.columns)
    with app_db.connect() as c:
        n, d = c.execute(text(
            "SELECT m.numerator, m.denominator FROM measurement m JOIN school s ON s.id = m.school_id "
            "JOIN indicator i ON i.id = m.indicator_id JOIN period p ON p.id = m.period_id "
            "WHERE s.code = 'NEV-02' AND i.code = 'teachers_trained' AND p.code = '2024-Q3'")).one()
    row = table[table["Название"] == "СОШ № 2 (демо)"].iloc[0]
    assert (row["Из них прошли КПК"], row["Всего педагогов"]) == (fmt.num(n), fmt.num(d))
    assert len(at.get("vega_lite_chart")) == 3  # trend, ranking, distribution


def test_indicator_table_groups_thousands(app_db):
    """Counts above a thousand read «10 500» (Russian groups, non-breaking space), not «10500»."""
    ov = read_overview.overview(auth.system_scope(), 1, engine=app_db)
    card = next(c for c in ov.cards if c.short_name == "Стартовые условия")  # textbooks: 10 500
    at = run_as("demo-methodist", "../app_pages/indicator.py", roadmap="nev-2024", target=str(card.target_id))
    assert not at.exception
    table = at.dataframe[0].value
    cells = [str(v) for col in table.columns[4:6] for v in table[col]]
    assert "10\u00a0500" in cells and "10500" not in cells
    assert all(not (c.isdigit() and len(c) > 4) for c in cells)


@pytest.mark.parametrize("login", ["demo-methodist", "demo-admin", "demo-principal"])
def test_upload_page_previews_then_writes(app_db, login):
    from tests import ingest_files as f

    at = run_as(login, "../app_pages/upload.py")
    assert [b.label for b in at.get("download_button")][:1] == ["Скачать шаблон (.xlsx)"]
    period = at.selectbox(key="up_period").value  # the file's period is the chosen one (else a question)
    data = f.long_table([["NEV-02", "olympiad_participants", period, 47, None, None]])
    at.get("file_uploader")[0].set_value(("x.xlsx", data, XLSX)).run()
    assert not at.exception
    assert [m.value for m in at.metric][0] == "1"  # one value (new, or replacing the demo's)
    if [c for c in at.checkbox if c.key == "up_accept"]:
        at.checkbox(key="up_accept").check().run()
    [b for b in at.button if b.label == "Записать"][0].click().run()
    with app_db.connect() as c:  # the demo's five roadmap workbooks are uploads too
        n = c.execute(text("SELECT MAX(id) FROM upload")).scalar()
        assert c.execute(text("SELECT COUNT(*) FROM upload WHERE status = 'applied' AND kind <> 'roadmap'")).scalar() == 1
    assert any(f"Записано: загрузка № {n}" in s.value for s in at.success)


def test_upload_page_shows_located_errors(app_db):
    from tests import ingest_files as f

    at = run_as("demo-methodist", "../app_pages/upload.py")
    data = f.long_table([["NEV-02", "teachers_trained", at.selectbox(key="up_period").value, None, 35, 30]])
    at.get("file_uploader")[0].set_value(("bad.xlsx", data, XLSX)).run()
    assert any("Найдено ошибок: 1" in e.value for e in at.error)
    problems = at.table[0].value  # an HTML table that wraps at 1280 px, what is wrong in the second column
    assert list(problems.columns) == ["Уровень", "Что не так", "Где", "Значение в ячейке"]
    assert problems.iloc[0]["Что не так"] == "35 больше, чем «Всего педагогов» (30)"
    assert problems.iloc[0]["Где"] == "Лист «Лист1», строка 2, столбец E («Числитель»), школа «NEV-02»"
    assert not [b for b in at.button if b.label == "Записать"]


@pytest.mark.parametrize("login", ["demo-head", "demo-methodist", "demo-admin"])
def test_reports_page_offers_the_documents(app_db, login):
    at = run_as(login, "../app_pages/reports.py", roadmap="nev-2024")
    assert not at.exception
    labels = [b.label for b in at.get("download_button")]
    assert labels == ["Справка (.docx)", "Значения показателей (.xlsx)", "Дорожная карта со статусами (.xlsx)"]


def test_principal_downloads_their_school_card(app_db):
    at = run_as("demo-principal")
    assert "Карточка школы (.docx)" in [b.label for b in at.get("download_button")]
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("../app_pages/reports.py")


def test_upload_page_defaults_to_the_last_finished_quarter(app_db):
    from core import periods, settings

    at = run_as("demo-methodist", "../app_pages/upload.py")
    assert not at.exception
    expected = periods.last_finished_quarter(settings.today(app_db))  # the demo clock in the demo
    for key in ("up_period", "tpl_period"):
        box = at.selectbox(key=key)
        assert box.value == expected.code
        assert expected.label in box.options and "2022-Q1" not in box.options[-3:]


def test_a_write_shows_in_another_session_on_its_next_rerun_without_emptying_caches(app_db, monkeypatch):
    """Nothing empties the caches after a write (that would cost every other session its cached reads):
    the data version that every write bumps keys every cached read, so the head's open overview shows
    a methodologist's new figures on its next rerun."""
    from core import summary
    from core.db import session_scope
    from ui import cache

    head = run_as("demo-head", roadmap="nev-2024")
    card = next(c for c in read_overview.overview(auth.system_scope(), 1, engine=app_db).cards
                if c.value_kind == "count" and c.period_id)
    assert fmt.value(card.evaluation.value, card.unit) in markdown_text(head)
    with monkeypatch.context() as m:
        m.setattr(st.cache_data, "clear", lambda *a, **k: pytest.fail("a cache was emptied"))
        with session_scope(app_db, write=True) as s:  # another session's write (the entry or upload page's)
            s.execute(text("UPDATE measurement SET value = 4321 WHERE indicator_id = :i AND period_id = :p"),
                      {"i": card.indicator_id, "p": card.period_id})
            summary.refresh(s)
        after = next(c for c in read_overview.overview(auth.system_scope(), 1, engine=app_db).cards
                     if c.target_id == card.target_id)
        assert after.evaluation.value != card.evaluation.value
        head.run()
        assert not head.exception, head.exception
        text_now = markdown_text(head)
    assert fmt.value(after.evaluation.value, after.unit) in text_now
    assert not hasattr(cache, "clear")
    pages = ROOT / "app_pages"
    assert not [p.name for p in pages.glob("*.py") if "cache.clear()" in p.read_text(encoding="utf-8")
                or "cache_data.clear()" in p.read_text(encoding="utf-8")]
