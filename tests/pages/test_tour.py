"""What a fresh-eyes tour at 1280×720 found: one date format, overdue stages, natural order of schools."""

from datetime import date

from core import formatting as fmt
from core import roadmap as rules
from core import roadmap_view
from tests.helpers import scope_of


def test_an_item_with_several_dated_stages_is_overdue_when_a_passed_stage_is_not_started():
    two = "Июнь 2024 года, декабрь 2024 года"
    oct15 = date(2024, 10, 15)
    assert rules.parse_deadline(two).kind == "multiple"
    assert rules.is_overdue(date(2024, 12, 31), "planned", oct15, two)  # June passed, nothing started
    assert not rules.is_overdue(date(2024, 12, 31), "in_progress", oct15, two)  # June's stage under way
    assert not rules.is_overdue(date(2024, 12, 31), "done", oct15, two)
    assert not rules.is_overdue(date(2024, 12, 31), "planned", date(2024, 6, 15), two)  # June not over yet
    # a range is one stage: «июнь–июль» in mid-July is not late
    assert not rules.is_overdue(date(2024, 7, 31), "planned", date(2024, 7, 15), "Июнь-июль 2024 года")
    assert rules.is_overdue(date(2024, 7, 31), "planned", date(2024, 8, 1), "Июнь-июль 2024 года")
    assert rules.sort_key(date(2024, 12, 31), "planned", oct15, two)[0] == 0  # listed with the overdue


def test_the_roadmap_page_flags_the_passed_stage(demo_db):
    items = roadmap_view.items(scope_of(demo_db, "demo-head"), 1, date(2024, 10, 15), demo_db)
    cp3 = items[(items["kind"] == "control_point") & (items["number"] == "3")].iloc[0]
    assert cp3["deadline_text"] == "Июнь 2024 года, декабрь 2024 года" and cp3["status"] == "planned"
    assert bool(cp3["overdue"])


def test_one_date_format():
    assert fmt.date_text(date(2024, 10, 1)) == "01.10.2024" and fmt.date_text(None) == "—"
    assert fmt.month_year(date(2024, 9, 30)) == "сентябрь 2024"
    # a cut on a quarter's last day is that quarter (quarterly data, not a month); else the date
    assert fmt.cut_label(date(2024, 9, 30)) == "III кв. 2024"
    assert fmt.cut_label(date(2024, 12, 31)) == "IV кв. 2024"
    assert fmt.cut_label(date(2025, 8, 31)) == "31.08.2025"
    assert fmt.period_label("quarter", date(2024, 7, 1), date(2024, 9, 30)) == "III кв. 2024"


def test_school_page_lists_curated_schools_in_natural_order(app_db):
    import streamlit as st
    from sqlalchemy import text

    from tests.helpers import markdown_text, run_as

    with app_db.begin() as c:  # Гимназия № 12 curates СОШ № 8 and ООШ № 11; add СОШ № 14 and СОШ № 2
        for code in ("NEV-14", "NEV-02"):
            c.execute(text("""INSERT INTO curatorlink (school_id, curator_school_id)
                              SELECT s.id, g.id FROM school s, school g WHERE s.code = :c AND g.code = 'NEV-12'"""),
                      {"c": code})
    st.cache_data.clear()
    head = run_as("demo-head", "../app_pages/school.py", school="8")
    line = next(x for x in markdown_text(head).split("\n") if "**Курирует:**" in x)
    assert line.index("СОШ № 2 (демо)") < line.index("СОШ № 8 (демо)") < line.index("СОШ № 14 (демо)"), line


def test_timeline_rows_of_a_real_roadmap(demo_db):
    """The demo's first roadmap (nev-2024, from its real document): control points first, then the
    directions in their order; every dated item a row; the full text in the hover. (That the labels leave
    the track its room at 1280×720 is checked in Chromium: tests/e2e/test_roadmap.py.)"""
    from core import plan_charts

    items = roadmap_view.items(scope_of(demo_db, "demo-head"), 1, date(2024, 10, 15), demo_db)
    rows = plan_charts.timeline(items, date(2024, 10, 15)).data.drop_duplicates("Ряд")
    dated = [plan_charts.on_timeline(k, d, ds) for k, d, ds in zip(items["deadline_kind"], items["due_date"],
                                                                      items["dates"])]
    assert len(rows) == sum(dated) == len(items) - 1  # one item has no date
    groups = list(dict.fromkeys(rows["Группа"]))
    assert groups[0] == "КТ" and set(groups) <= {"КТ", "Прочие"} | {f"Напр. {d}" for d in items["direction"].dropna()}
    assert groups == sorted(groups, key=lambda g: (g != "КТ", fmt.natural_key(g)))  # each group once, in order
    assert max(len(x) for x in rows["Подпись"]) <= plan_charts.LABEL_CHARS + 8  # «10. » and a stage at most
    assert any(t.startswith("Контрольная точка 3: Анализ обученности") for t in rows["Пункт"])  # the full text


def test_ranking_caption_names_only_the_lines_drawn_and_words_sit_over_the_lines():
    from core import charts

    rows = [{"name": "СОШ № 2", "value": 93.0, "status": "off_track"}, {"name": "СОШ № 5", "value": 96.5,
                                                                        "status": "on_track"}]
    avg_only = charts.ranking_caption("%", None, 96.8, average_is_target=True)
    assert "красная" not in avg_only and "96,8\u00a0%" in avg_only and "не ниже среднего" in avg_only
    both = charts.ranking_caption("%", 60.0, 65.8)
    assert "красная пунктирная линия — цель 60\u00a0%" in both and "оранжевая — средняя школа территории 65,8" in both
    marks = [layer["mark"]["type"] if isinstance(layer["mark"], dict) else layer["mark"]
             for layer in charts.ranking(rows, unit="%", target_value=95.0, average=96.0).to_dict()["layer"]]
    assert marks == ["rule", "rule", "circle", "text", "text"]  # the lines first: words and dots over them
