"""The pages say whose figure it is, years as years, flags as «да / нет», and list the schools without
data (issue 24, items 7 and 10), as a head or a methodologist sees them (AppTest on the demo)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import text

from core import auth, summary
from core.db import session_scope
from core.read import overview as read_overview
from tests.helpers import markdown_text, open_tab, run_as

NB = "\u00a0"


def test_tiles_and_the_trend_caption_name_the_group_and_the_citys_value(app_db):
    at = run_as("demo-head", roadmap="nev-2024")
    text = markdown_text(at)
    assert text.count('class="tile-meta tile-population"') == 5
    assert text.count(f"ШНОР и ШНСУ, 5{NB}школ · по городу ") == 5  # one per tile
    assert f"ШНОР и ШНСУ, 5{NB}школ · по городу 61{NB}%" in text  # «Качество обучения»: 55,2 % of the group
    assert not any("Прогноз к сроку" in c.value for c in at.caption)  # «Динамика» is built when opened
    open_tab(at, "Динамика", "ov_tab")
    assert any(f"ШНОР и ШНСУ, 5{NB}школ" in c.value and "Прогноз к сроку" in c.value for c in at.caption)


def test_a_slide_names_its_group_and_yearly_data_are_years(app_db):
    at = run_as("demo-admin", roadmap="okn-2021", meeting="1")
    text = markdown_text(at)
    assert "данные на 2023 г." in text and "IV кв. 2023" not in text
    assert "Цель 1 из 3" in text and f'slide-population">ШНОР, 9{NB}школ<' in text
    at.button(key="slide_next").click().run()
    at.button(key="slide_next").click().run()
    assert "Цель 3 из 3" in markdown_text(at) and "территория в целом" in markdown_text(at)


def test_the_cut_slider_of_yearly_data_says_years(app_db):
    at = run_as("demo-admin", roadmap="okn-2021")
    slider = at.select_slider(key="overview_as_of")
    assert slider.options == ["2020 г.", "2021 г.", "2022 г.", "2023 г."]
    slider.set_value(date(2021, 12, 31)).run()
    assert not at.exception
    text = markdown_text(at)
    assert "данные на 2021 г." in text and f"44,4{NB}% (4 из 9)" in text  # 3,33 directors: 4 are needed


def test_a_schools_flag_reads_yes_or_no_on_the_indicator_page(app_db):
    card = next(c for c in read_overview.overview(auth.system_scope(), 5, engine=app_db).cards
                if c.short_name == "Резильентные школы")
    at = run_as("demo-admin", "../app_pages/indicator.py", roadmap="okn-2021", target=str(card.target_id))
    values = list(at.dataframe[0].value["Значение"])
    assert len(values) == 9 and set(values) == {"да", "нет"} and values.count("да") == 6
    assert "школ" not in " ".join(values)
    assert any("данные на 2023 г." in c.value and "IV кв." not in c.value for c in at.caption)


def test_the_indicator_page_lists_the_school_without_data(app_db):
    card = next(c for c in read_overview.overview(auth.system_scope(), 1, engine=app_db).cards
                if c.short_name == "Педагоги прошли КПК")
    with session_scope(app_db, write=True) as s:  # СОШ № 5 has not reported III кв. 2024
        s.execute(text("""DELETE FROM measurement WHERE indicator_id = :i AND period_id = :p
                          AND school_id = (SELECT id FROM school WHERE code = 'NEV-05')"""),
                  {"i": card.indicator_id, "p": card.period_id})
        summary.refresh(s)
    at = run_as("demo-methodist", "../app_pages/indicator.py", roadmap="nev-2024", target=str(card.target_id))
    table = at.dataframe[0].value
    assert len(table) == 10  # every school of the city, the silent one too
    row = table[table["Название"] == "СОШ № 5 (демо)"].iloc[0]
    assert row["Значение"] == "нет данных" and "Нет данных" in row["Статус"]
    assert f"**Нет данных за III кв. 2024** (1{NB}школа): СОШ № 5 (демо)" in markdown_text(at)
    captions = " ".join(c.value for c in at.caption)
    assert "данные 4 из 5 школ" in captions and f"ШНОР и ШНСУ, 5{NB}школ" in captions
    assert "Данные за III кв. 2024 предварительные: не проверены и не утверждены." in captions


def test_a_school_without_targets_shows_its_flag_as_yes_or_no(app_db):
    """Оконешниковский район's only per-school target judged on the group: a school's page lists its
    indicators beside the territory — the resilience flag as «да», the territory as «да у 6 из 9 школ»."""
    with session_scope(app_db, write=True) as s:
        s.execute(text("UPDATE target SET judged_on = 'group' WHERE roadmap_id = 5"))
        sid = s.execute(text("SELECT id FROM school WHERE code = 'OKN-03'")).scalar()
    at = run_as("demo-admin", "../app_pages/school.py", school=str(sid))
    row = next(r for _, r in at.table[0].value.iterrows() if r["Показатель"] == "Резильентные школы")
    assert (row["Школа"], row["Территория"], row["Сравнение"]) == ("да", f"да у 6 из 9{NB}школ", "—")


def test_the_reports_slider_of_yearly_data_says_years(app_db):
    at = run_as("demo-admin", "../app_pages/reports.py", roadmap="okn-2021")
    assert at.select_slider(key="rep_as_of").options == ["2020 г.", "2021 г.", "2022 г.", "2023 г."]
