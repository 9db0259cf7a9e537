"""Figures a head can say aloud (issue 24, items 7 and 10): every figure names its population with the
territory's value beside it, yearly data are years, paths over people are whole people, a school's flag
is «да» / «нет», plurals come from babel, the forecast caption says when the trend was taken as flat,
the indicator page lists the schools without data, and seed 004's item 4.3 is accounted for."""

from __future__ import annotations

import io
from datetime import date

import pytest
from docx import Document
from sqlalchemy import text

from core import auth, explain, figures, reports, summary
from core import formatting as fmt
from core.db import session_scope
from core.read import indicator as read_indicator
from core.read import overview as read_overview
from tests.helpers import roadmap_id

NB = "\u00a0"


# ---------------------------------------------------------------------------------------------
# Pure rules
# ---------------------------------------------------------------------------------------------
def test_population_words():
    assert figures.population("target", 5) == f"ШНОР и ШНСУ, 5{NB}школ"
    assert figures.population("shnor", 1) == f"ШНОР, 1{NB}школа"
    assert figures.population("shnsu", 3) == f"ШНСУ, 3{NB}школы"
    assert figures.population("all", 21) == f"все 21{NB}школа"
    assert figures.population("territory", None) == "территория в целом"
    assert figures.territory_word("город Невинномысск") == "по городу"
    assert figures.territory_word("Оконешниковский муниципальный район") == "по району"
    assert figures.territory_word("Яковлевский городской округ") == "по округу"
    assert figures.territory_word("Омская область") == "по области"
    assert figures.territory_note("город Невинномысск", 61.0, "%") == f"по городу 61{NB}%"
    assert figures.territory_note("город Невинномысск", None, "%") == ""


def test_plurals_come_from_babel():
    assert fmt.value(1, "школ") == f"1{NB}школа" and fmt.value(3, "школ") == f"3{NB}школы"
    assert fmt.value(5, "школ") == f"5{NB}школ" and fmt.value(21, "школ") == f"21{NB}школа"
    assert fmt.of_schools(1, 21) == f"1 из 21{NB}школы" and fmt.of_schools(4, 5) == f"4 из 5{NB}школ"
    assert fmt.coverage(20, 21) == "данные 20 из 21 школы" and fmt.coverage(4, 5) == "данные 4 из 5 школ"
    assert fmt.coverage(0, None) is None
    assert fmt.schools_meeting(1, 1, True) == f"выполняют 1 из 1{NB}школы"


def test_paths_over_people_are_whole_people_rounded_not_to_flatter():
    # 37,0 % of 9 directors is 3,33 people: the plan needs 4 of them (44,4 %), not 3
    assert figures.expected_shown(37.0222, value_kind="share", unit="%", up=True, denominator=9) == (
        pytest.approx(400 / 9), "4 из 9")
    # where less is better the path is rounded down: at most 2,6 schools means at most 2
    assert figures.expected_shown(2.6, value_kind="flag", unit="школ", up=False)[0] == 2
    assert figures.expected_shown(212.2, value_kind="count", unit="чел.", up=True)[0] == 213
    assert figures.expected_shown(3.0000000001, value_kind="count", unit="чел.", up=True)[0] == 3
    assert figures.expected_shown(55.87, value_kind="share", unit="%", up=True) == (55.87, None)  # no whole known
    assert figures.goes_up("at_most") is False and figures.goes_up("increase_pp", False) is True
    assert figures.goes_up("milestones", True) is True and figures.goes_up("not_below_average", False) is False


def test_a_schools_flag_is_yes_or_no():
    assert figures.school_value(1.0, "школ", "flag") == "да" and figures.school_value(0.0, "школ", "flag") == "нет"
    assert figures.school_value(None, "школ", "flag") == "—"
    assert figures.school_value(45.5, "%", "share") == f"45,5{NB}%"
    assert figures.territory_value_text(6 / 9, "школ", "flag", 9) == f"да у 6 из 9{NB}школ"
    assert figures.territory_value_text(45.5, "%", "share", 9) == f"45,5{NB}%"


def test_the_forecast_caption_says_when_the_trend_was_taken_as_flat():
    basis = "тренд 4 последних периодов (IV кв. 2023 – III кв. 2024), продолжен от значения за III кв. 2024"
    rising = figures.forecast_text(221.7, 216.0, basis, [198, 204, 207, 216], "чел.")
    assert rising == f"Прогноз к сроку: 222{NB}чел. — {basis}"
    flattened = figures.forecast_text(200.0, 200.0, basis, [198, 204, 207, 200], "чел.")
    assert "продолжен" not in flattened and "против последнего изменения" in flattened
    assert "принят ровным" in flattened and "значение за III кв. 2024 сохранится" in flattened
    level = figures.forecast_text(50.0, 50.0, basis, [50, 50, 50, 50], "%")
    assert "ровный" in level and "против" not in level
    assert "срок наступил" in figures.forecast_text(6.0, 6.0, basis, [3, 5, 6], "школ", due_passed=True)
    assert figures.forecast_text(None, 5.0, None, [], "%", note="нет значения за период") == \
        "Прогноз: нет значения за период"


# ---------------------------------------------------------------------------------------------
# The overview and the справка on the demo (both backends)
# ---------------------------------------------------------------------------------------------
def test_every_card_names_its_population_with_the_territorys_value(demo_db):
    ov = read_overview.overview(auth.system_scope(), roadmap_id(demo_db, "nev-2024"), engine=demo_db)
    with demo_db.connect() as c:  # recomputed from the raw tables: every school of the city at the period
        for card in ov.cards:
            assert card.population == f"ШНОР и ШНСУ, 5{NB}школ", card.short_name
            num, den, total = c.execute(text("""
                SELECT SUM(m.numerator), SUM(m.denominator), SUM(m.value) FROM measurement m
                JOIN school s ON s.id = m.school_id WHERE s.territory_id = 1 AND m.indicator_id = :i
                AND m.period_id = :p AND m.value IS NOT NULL"""), {"i": card.indicator_id, "p": card.period_id}).one()
            city = 100 * num / den if card.value_kind == "share" else total
            assert card.territory_value == pytest.approx(city), card.short_name
            assert card.territory_note == f"по городу {fmt.value(city, card.unit)}"
            assert card.population_text == f"{card.population} · {card.territory_note}"
    quality = next(c for c in ov.cards if c.short_name == "Качество обучения")
    assert quality.territory_note == f"по городу 61{NB}%"


def test_yearly_data_are_years_and_people_whole(demo_db):
    rid = roadmap_id(demo_db, "okn-2021")
    ov = read_overview.overview(auth.system_scope(), rid, engine=demo_db)
    assert ov.as_of == date(2023, 12, 31) and ov.as_of_label == "2023 г."
    assert ov.cut_label(date(2022, 12, 31)) == "2022 г." and "кв." not in "".join(lab for _, lab in ov.period_labels)
    cards = {c.number: c for c in ov.cards}
    assert cards[3].population == "территория в целом" and cards[2].population == f"ШНОР, 9{NB}школ"
    assert cards[2].territory_note == ""  # all nine schools are ШНОР: the group is the territory
    early = read_overview.overview(auth.system_scope(), rid, date(2021, 12, 31), engine=demo_db)
    directors = next(c for c in early.cards if c.number == 3)
    assert directors.evaluation.expected == pytest.approx(37.0222, abs=1e-3)  # 3,33 of 9 directors
    assert directors.expected == pytest.approx(400 / 9) and directors.expected_text == f"44,4{NB}% (4 из 9)"
    assert early.as_of_label == "2021 г."
    body = "\n".join(p.text for p in Document(io.BytesIO(reports.roadmap_report(
        auth.system_scope(), rid, engine=demo_db, today=date(2024, 10, 15)))).paragraphs)
    assert "по состоянию на 2023 г." in body and "IV кв. 2023" not in body
    # seed 004's item 4.3 is said, not dropped: in the справка's «Как считается»
    assert "Пункт 4.3" in body and "не как целевой показатель" in body
    # and on screen, under «Как считается», with how the figures are said
    words = explain.how_counted(auth.system_scope(), rid, demo_db)
    assert "Пункт 4.3" in words and "3,33 директора — это 4" in words and "по городу 61 %" in words


def test_the_spravka_names_populations_and_says_how_it_counts(demo_db):
    sc = auth.system_scope()
    data = reports.roadmap_report(sc, 1, engine=demo_db, today=date(2024, 10, 15))
    doc = Document(io.BytesIO(data))
    rows = [[c.text for c in r.cells] for r in doc.tables[0].rows[1:]]
    assert all(f"(ШНОР и ШНСУ, 5{NB}школ)" in r[1] for r in rows)
    assert any(f"по городу 61{NB}%" in r[4] for r in rows)
    body = "\n".join(p.text for p in doc.paragraphs)
    assert f"Группа: ШНОР и ШНСУ, 5{NB}школ · по городу" in body
    assert "5. Как считается" in body and "Как перенесена эта дорожная карта." in body
    assert "+5 п.п." in body.split("5. Как считается")[1]  # seed 000's reading of «не ниже 5 %»


def test_a_flattened_trend_is_said_so(demo_db_any):
    """The olympiad count rose three quarters running, then fell: the trend is taken as flat, and the
    caption no longer says the trend was continued."""
    rid = roadmap_id(demo_db_any, "nev-2024")
    card = next(c for c in read_overview.overview(auth.system_scope(), rid, engine=demo_db_any).cards
                if c.value_kind == "count")
    assert "продолжен от значения" in card.forecast_text
    with session_scope(demo_db_any, write=True) as s:
        top = s.execute(text("""SELECT m.id FROM measurement m JOIN school s ON s.id = m.school_id
                                WHERE s.territory_id = 1 AND (s.is_shnor OR s.is_shnsu) AND m.indicator_id = :i
                                AND m.period_id = :p ORDER BY m.value DESC"""), {"i": card.indicator_id, "p": card.period_id}).first()[0]
        s.execute(text("UPDATE measurement SET value = value - 16 WHERE id = :id"), {"id": top})
        summary.refresh(s)
    after = next(c for c in read_overview.overview(auth.system_scope(), rid, engine=demo_db_any).cards
                 if c.target_id == card.target_id)
    assert after.evaluation.value == card.evaluation.value - 16
    assert after.evaluation.forecast == pytest.approx(after.evaluation.value)
    assert "продолжен" not in after.forecast_text and "принят ровным" in after.forecast_text


def test_the_indicator_view_lists_the_schools_without_data(demo_db_any):
    sc = auth.system_scope()
    rid = roadmap_id(demo_db_any, "nev-2024")
    card = next(c for c in read_overview.overview(sc, rid, engine=demo_db_any).cards
                if c.short_name == "Педагоги прошли КПК")
    with session_scope(demo_db_any, write=True) as s:
        s.execute(text("""DELETE FROM measurement WHERE indicator_id = :i AND period_id = :p
                          AND school_id = (SELECT id FROM school WHERE code = 'NEV-05')"""),
                  {"i": card.indicator_id, "p": card.period_id})
        summary.refresh(s)
    view = read_indicator.indicator_view(sc, rid, card.target_id, engine=demo_db_any)
    assert [u.name for u in view.silent] == ["СОШ № 5 (демо)"] and view.silent[0].value is None
    assert view.silent[0].status == "no_data" and view.silent[0].label == "III кв. 2024"
    assert len(view.current) + len(view.silent) == 10  # every school of the city, none dropped
    assert view.coverage == "данные 4 из 5 школ"
    assert view.approval == "Данные за III кв. 2024 предварительные: не проверены и не утверждены."
