"""Documents out: every generated file is opened and its content checked against core.targets."""

import io
from datetime import date

import pytest
from docx import Document
from openpyxl import load_workbook
from sqlalchemy import text

from core import auth, reports, safe_xlsx
from core.read import overview as read_overview
from core.read import school as read_school
from core import formatting as fmt
from core.db import session_scope
from core.models import Activity, ActivityRisk, ControlPoint, RiskFactor
from tests.helpers import school_id, scope_of


def _docx_text(data: bytes) -> str:
    doc = Document(io.BytesIO(data))
    return "\n".join(p.text for p in doc.paragraphs)


def test_spravka_numbers_equal_core_targets(demo_db):
    sc = scope_of(demo_db, "demo-head")
    data = reports.roadmap_report(sc, 1, engine=demo_db, today=date(2024, 10, 15))
    doc = Document(io.BytesIO(data))
    table = doc.tables[0]
    rows = [[c.text for c in r.cells] for r in table.rows[1:]]
    ov = read_overview.overview(sc, 1, engine=demo_db)
    assert rows == reports.target_rows(ov.cards)
    for row, card in zip(rows, ov.cards):  # spelled out: value, target, status as core.targets says
        ev = card.evaluation
        assert row[4].startswith(fmt.value(ev.value, card.unit))
        assert row[3].endswith(fmt.value(ev.target_value, card.unit))
        assert row[6] == {"achieved": "Достигнут", "on_track": "По плану", "at_risk": "Под угрозой",
                          "off_track": "Отстаёт", "no_data": "Нет данных"}[ev.status]
    body = _docx_text(data)
    assert "СПРАВКА" in body and "город Невинномысск, по состоянию на III кв. 2024" in body
    assert "Дата составления: 15 октября 2024." in body
    assert "Демонстрационные данные" in body
    assert "Дорожная карта содержит 5 целевых показателей" in body
    assert "нет данных за отчётный или базовый период у 1 школы — ООШ № 11 (демо)" in body  # did not report
    assert "Данные: 4 из 5 школ." in body  # the coverage of that target
    assert len(doc.inline_shapes) == 5  # a chart per target
    # seed 000's ten control points and 25 activities with the demo's statuses (data/demo/reference.json,
    # «demo_statuses») on 15 October 2024: 14 done, 3 past their dates and still open, 15 open and due by
    # 31 March 2025 (with М.2 «В течение года», due at the end of the plan's year 2024 since issue 26)
    # — the same figures straight from the tables; and one more overdue: control point 3
    # («Июнь 2024 года, декабрь 2024 года») is still «запланировано» after its June stage:
    with demo_db.connect() as c:
        done, late, soon = c.execute(text("""
            SELECT SUM(CASE WHEN status = 'done' THEN 1 ELSE 0 END),
                   SUM(CASE WHEN due_date < '2024-10-15' AND status NOT IN ('done', 'cancelled') THEN 1 ELSE 0 END),
                   SUM(CASE WHEN due_date BETWEEN '2024-10-15' AND '2025-03-31'
                            AND status NOT IN ('done', 'cancelled') THEN 1 ELSE 0 END)
            FROM (SELECT status, due_date FROM activity WHERE roadmap_id = 1
                  UNION ALL SELECT status, due_date FROM controlpoint WHERE roadmap_id = 1) x""")).one()
    assert (done, late, soon) == (14, 3, 15)
    with demo_db.connect() as c:
        stage_late = c.execute(text("""SELECT COUNT(*) FROM controlpoint WHERE roadmap_id = 1 AND number = '3'
                                        AND status = 'planned' AND due_date >= '2024-10-15'""")).scalar()
    assert stage_late == 1
    assert "Выполнено: 14." in body and f"Просрочено: {late + stage_late}." in body
    # an item is in one list: control point 3 is overdue (its June stage), not also upcoming (December)
    assert f"Предстоит до конца следующего квартала: {soon - stage_late}." in body


def test_spravka_lists_done_overdue_upcoming_and_uncovered_risks(demo_db_rw):
    db = demo_db_rw
    with session_scope(db, write=True) as s:
        covered = RiskFactor(roadmap_id=1, group_code="1", group_name="Кадры", code="1.1", name="Дефицит педагогов")
        bare = RiskFactor(roadmap_id=1, group_code="2", group_name="Мотивация", code="2.1", name="Низкая мотивация")
        s.add_all([covered, bare])
        s.flush()
        done = Activity(roadmap_id=1, number="1", title="Мониторинг учебников", due_date=date(2024, 9, 30),
                        deadline_text="Сентябрь 2024 года", status="done")
        late = Activity(roadmap_id=1, number="2", title="Анализ ГИА", due_date=date(2024, 7, 31),
                        deadline_text="Июнь-июль 2024 года")
        soon = ControlPoint(roadmap_id=1, number="12", title="Мониторинг КПК", due_date=date(2024, 12, 31),
                            deadline_text="Декабрь 2024 года")
        s.add_all([done, late, soon])
        s.flush()
        s.add(ActivityRisk(activity_id=late.id, risk_factor_id=covered.id))
    body = _docx_text(reports.roadmap_report(auth.system_scope(), 1, engine=db, today=date(2024, 10, 15)))
    # the three added to seed 000's items (14 done, 3 + 1 overdue — control point 3's June stage —, 15 upcoming
    # on this date less control point 3, which is overdue and so not listed again as upcoming for December)
    assert "Выполнено: 15." in body and "Просрочено: 5." in body and "Предстоит до конца следующего квартала: 15." in body
    assert "Не обеспечены мероприятиями 1 из 2 параметров риска:" in body and "2.1 — Низкая мотивация" in body


def test_school_card_for_the_principal_only(demo_db):
    sc = scope_of(demo_db, "demo-principal")
    own = school_id(demo_db, "NEV-02")
    data = reports.school_card(sc, own, engine=demo_db, today=date(2024, 10, 15))
    doc = Document(io.BytesIO(data))
    view = read_school.school_view(sc, own, engine=demo_db)
    rows = [[c.text for c in r.cells] for r in doc.tables[0].rows[1:]]
    assert [r[0] for r in rows] == [t.short_name for t in view.targets]
    assert [r[1].split(" (")[0] for r in rows] == [fmt.value(t.evaluation.value, t.unit) for t in view.targets]
    assert "КАРТОЧКА ШКОЛЫ" in _docx_text(data) and "Куратор: СОШ № 1 (демо)." in _docx_text(data)
    with pytest.raises(auth.AccessDenied):
        reports.school_card(sc, school_id(demo_db, "NEV-05"), engine=demo_db)
    # the page's cut («по состоянию на», ?as_of=): the card holds the figures of that cut, as the page
    cut = date(2023, 12, 31)
    data = reports.school_card(sc, own, cut, engine=demo_db, today=date(2024, 10, 15))
    view = read_school.school_view(sc, own, engine=demo_db, as_of=cut)
    rows = [[c.text for c in r.cells] for r in Document(io.BytesIO(data)).tables[0].rows[1:]]
    assert [r[1] for r in rows] == [fmt.value(t.evaluation.value, t.unit) + (f" ({t.as_of_label})" if t.as_of_label else "")
                                    for t in view.targets]
    assert all("2024" not in r[1] for r in rows), rows  # nothing after the cut
    assert "По состоянию на IV кв. 2023." in _docx_text(data)


def test_school_card_counts_the_schools_own_items_as_the_page(demo_db):
    """The printed card says what the page says: the school's own items and their overdue, the office's
    items apart and for information (issue 27: the card said 35 / 3 with the office's, the page 23 / 2)."""
    from core import school_plan

    sc = scope_of(demo_db, "demo-principal")
    own = school_id(demo_db, "NEV-02")
    view = read_school.school_view(sc, own, engine=demo_db, today=date(2024, 10, 15))
    mask, n_own, n_late = school_plan.own_items(view.activities)
    assert 0 < n_own < len(view.activities)  # the demo school has both kinds
    body = _docx_text(reports.school_card(sc, own, engine=demo_db, today=date(2024, 10, 15)))
    said = school_plan.own_items_text(n_own, n_late, markdown=False)
    assert said in body and f"Мероприятия школы: {len(view.activities)}" not in body
    assert f"(для сведения; в просроченные школы не входят): {len(view.activities) - n_own}." in body
    doc = Document(io.BytesIO(reports.school_card(sc, own, engine=demo_db, today=date(2024, 10, 15))))
    own_rows, city_rows = doc.tables[1].rows[1:], doc.tables[2].rows[1:]
    assert len(own_rows) == n_own and len(city_rows) == len(view.activities) - n_own
    assert sum(r.cells[0].text == "просрочено" for r in own_rows) == n_late


def test_measurements_export_matches_the_database(demo_db):
    sc = scope_of(demo_db, "demo-methodist")
    ws = load_workbook(io.BytesIO(reports.measurements_xlsx(sc, 1, engine=demo_db)))["Значения"]
    with demo_db.connect() as c:
        n = c.execute(text("SELECT COUNT(*) FROM measurement m JOIN school s ON s.id = m.school_id "
                           "WHERE s.territory_id = 1")).scalar()
    assert ws.max_row - 1 == n
    assert [c.value for c in ws[1]][:5] == ["Код школы", "Школа", "Код показателя", "Показатель", "Период"]
    with pytest.raises(auth.AccessDenied):
        reports.measurements_xlsx(sc, 5, engine=demo_db)  # another territory's roadmap
    one = load_workbook(io.BytesIO(reports.measurements_xlsx(sc, 1, indicator_ids=[3], engine=demo_db)))["Значения"]
    assert {r[2] for r in one.iter_rows(min_row=2, values_only=True)} == {"teachers_trained"}


def test_roadmap_export_has_statuses(demo_db):
    sc = scope_of(demo_db, "demo-head")
    wb = load_workbook(io.BytesIO(reports.roadmap_xlsx(sc, 1, engine=demo_db)))
    ov = read_overview.overview(sc, 1, engine=demo_db)
    rows = [[c.value for c in r] for r in wb["Целевые показатели"].iter_rows(min_row=2)]
    assert [r[-1] for r in rows] == [r[6] for r in reports.target_rows(ov.cards)]


def test_roadmap_export_stores_numbers_as_numbers(demo_db):
    """Values, bases, targets, the territory's value, the expected value and the progress are numbers a
    spreadsheet can sum; the rule («+5 п.п. от IV кв. 2023 → 57,1 %») is text shown without an apostrophe."""
    sc = scope_of(demo_db, "demo-head")
    ws = load_workbook(io.BytesIO(reports.roadmap_xlsx(sc, 1, engine=demo_db)))["Целевые показатели"]
    head = [c.value for c in ws[1]]
    ov = read_overview.overview(sc, 1, engine=demo_db)
    for cells, card in zip(ws.iter_rows(min_row=2), ov.cards):
        row = dict(zip(head, cells))
        ev = card.evaluation
        for col, want in (("Значение", ev.value), ("База", ev.baseline), ("Целевое значение", ev.target_value),
                          ("Значение по территории (все школы)", card.territory_value)):
            assert row[col].data_type == "n" and row[col].value == pytest.approx(want), (card.short_name, col)
        assert row["Пройдено пути, %"].value == round(100 * ev.progress)
        assert row["Группа школ"].value == "ШНОР и ШНСУ, 5\u00a0школ" and row["Период"].value == "III кв. 2024"
    goal = next(r[6] for r in ws.iter_rows(min_row=2) if str(r[6].value).startswith("+5 п.п."))
    assert goal.value == "+5 п.п. от IV кв. 2023 → 57,1\u00a0%" and goal.data_type == "s" and goal.quotePrefix


def test_formula_injection_is_neutralised(demo_db_rw):
    with session_scope(demo_db_rw, write=True) as s:
        s.add(Activity(roadmap_id=1, number="9", title='=HYPERLINK("http://evil","нажми")', responsible="+7 999",
                       deadline_text="@SUM(A1)"))
        s.add(ControlPoint(roadmap_id=1, number="19", title="-2+3", responsible="обычный текст"))
    wb = load_workbook(io.BytesIO(reports.roadmap_xlsx(auth.system_scope(), 1, engine=demo_db_rw)))
    ws = wb["Мероприятия"]
    cells = [c for row in ws.iter_rows(min_row=2) for c in row if isinstance(c.value, str)]
    dangerous = [c for c in cells if c.value.startswith(("=", "+", "-", "@"))]
    assert {c.value for c in dangerous} == {'=HYPERLINK("http://evil","нажми")', "+7 999", "@SUM(A1)", "-2+3"}
    # text, never a formula; marked as typed text (the quote prefix), shown without an apostrophe
    assert all(c.data_type == "s" and c.quotePrefix for c in dangerous)
    assert not any(c.quotePrefix for c in cells if c not in dangerous)
    assert safe_xlsx.is_risky("=1+1") and not safe_xlsx.is_risky(5) and not safe_xlsx.is_risky("ok")


def test_chart_images(demo_db):
    card = read_overview.overview(auth.system_scope(), 1, engine=demo_db).cards[0]
    png = reports.chart_png(reports.target_chart(card))
    svg = reports.chart_svg(reports.target_chart(card))
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000
    assert svg.lstrip().startswith("<svg")
    assert ">III.24<" in svg and "апр 2022" not in svg  # the axis names the data's quarters, not months


def test_plural():
    assert [fmt.plural(n, ("школа", "школы", "школ")) for n in (1, 2, 5, 11, 21, 22, 112)] == [
        "школа", "школы", "школ", "школ", "школа", "школы", "школ"]


def test_clip_cuts_at_a_word_and_says_so():
    title = "Дорожная карта по организации ресурсной поддержки школ с низкими результатами обучения"
    assert fmt.clip(title, 200) == title
    assert fmt.clip(title, 40) == "Дорожная карта по организации…"
    assert len(fmt.clip(title, 40)) <= 40
    assert fmt.clip("Мониторинг, анализ, контроль", 21) == "Мониторинг, анализ…"
    assert fmt.clip("Сверхдлинноесловобезпробелов", 10) == "Сверхдлин…"
    assert fmt.clip(None, 10) == ""
