"""The principal's «what we need by the next control point» and the indicators of a school without targets
(core/school_plan.py)."""

from datetime import date, datetime

from sqlalchemy import text

from core import periods
from core.read.types import SeriesPoint
from core.school_plan import ControlPoint, next_step, school_indicators, step_text
from tests.helpers import school_id, scope_of

# base 40 % at the end of 2023, 60 % due at the end of 2024
PATH = [SeriesPoint(1, "2023 г.", date(2023, 1, 1), date(2023, 12, 31), 40.0),
        SeriesPoint(2, "2024 г.", date(2024, 1, 1), date(2024, 12, 31), 60.0)]


def cp(due, title="Мониторинг", responsible="МБУ «ЦРО», руководители ОО", number="1"):
    return ControlPoint(1, number, title, due, responsible)


def test_the_next_control_point_of_the_roadmap_after_the_cut():
    points = [cp(date(2024, 3, 31), "Март"), cp(date(2024, 9, 30), "Сентябрь", number="2"),
              cp(date(2024, 5, 31), "Только управление", responsible="МБУ «ЦРО»", number="3"),
              cp(date(2025, 6, 30), "После срока цели", number="4")]
    step = next_step(PATH, date(2024, 4, 15), points)
    # not the next quarter end (30.06.2024), not the office's own point of 31.05: the roadmap's 30.09.2024
    assert step.basis == "control_point" and step.by == date(2024, 9, 30) and step.point.title == "Сентябрь"
    assert 54.5 < step.value < 55.5  # three quarters along the path
    assert step_text(step, "%").startswith("55\u00a0% к контрольной точке 30.09.2024 «Сентябрь»")
    assert next_step(PATH, date(2024, 3, 30), points).point.title == "Март"  # the point just after the cut
    # the cut on the point's own day: that point is past, the next one counts
    assert next_step(PATH, date(2024, 3, 31), points).point.title == "Сентябрь"


def test_without_control_points_the_next_quarter_end_or_the_due_date_and_the_screen_says_which():
    step = next_step(PATH, date(2024, 4, 15), [])
    assert step.basis == "quarter" and step.by == date(2024, 6, 30) and 49.5 < step.value < 50.5
    assert step_text(step, "%").endswith("к концу II кв. 2024 (контрольных точек в дорожной карте нет)")
    on_quarter_end = next_step(PATH, date(2024, 6, 30), [])
    assert on_quarter_end.by == date(2024, 9, 30)
    # the roadmap has points, but none left before the due date: «следующих … нет»
    late = next_step(PATH, date(2024, 10, 20), [cp(date(2024, 9, 30))])
    assert late.basis == "due" and late.by == date(2024, 12, 31) and late.value == 60.0  # the target itself
    assert step_text(late, "%").endswith("(следующих контрольных точек в дорожной карте нет)")
    short = [PATH[0], SeriesPoint(3, "май 2024", date(2024, 5, 1), date(2024, 5, 31), 50.0)]  # due before the next quarter end
    due = next_step(short, date(2024, 4, 15), [])
    assert due.basis == "due" and due.by == date(2024, 5, 31) and due.value == 50.0
    assert "к сроку цели 31.05.2024" in step_text(due, "%")
    assert next_step(PATH, date(2024, 12, 31), []) is None  # the due date reached: nothing next on this path
    assert next_step(PATH, None, []) is None and next_step(PATH[:1], date(2024, 4, 1), []) is None


def test_periods_before_and_around():
    assert periods.quarter_of(date(2024, 10, 15)).code == "2024-Q4"
    assert [periods.preceding(periods.parse(c)).code for c in ("2024-Q1", "2024-Q3", "2024-H1", "2024-H2",
                                                                 "2024/25", "2024")] == \
        ["2023-Q4", "2024-Q2", "2023-H2", "2024-H1", "2023/24", "2023"]
    for code in ("2024-Q1", "2024-H2", "2024/25", "2024"):
        p = periods.parse(code)
        assert periods.following(periods.preceding(p)) == p


def test_school_indicators_follow_the_cut_read_the_summary_and_give_one_row_per_indicator(demo_db_rw):
    db = demo_db_rw
    head = scope_of(db, "demo-head")
    gym = school_id(db, "NEV-12")
    at = school_indicators(head, gym, date(2024, 5, 15), db)  # the page's cut, not today
    assert len(at) == 5 and {r["label"] for r in at} == {"I кв. 2024"}
    with db.begin() as c:
        ind, tid = c.execute(text("""SELECT i.id, s.territory_id FROM indicator i, school s
                                     WHERE i.short_name = 'Качество обучения' AND s.id = :g"""), {"g": gym}).one()
        q3 = c.execute(text("SELECT id FROM period WHERE code = '2024-Q3'")).scalar()
        # the kept summary is what the territory's value is read from (a recount would restore it)
        c.execute(text("""UPDATE measurementsummary SET sum_numerator = 1, sum_denominator = 4
                          WHERE territory_id = :t AND grp = 'all' AND indicator_id = :i AND period_id = :p"""),
                  {"t": tid, "i": ind, "p": q3})
        # a calendar-year value ending the same day as a quarter: still one row, the quarter's
        periods.ensure(c, ["2024-Q4", "2024"])
        for code, v in (("2024-Q4", 70.0), ("2024", 71.0)):
            c.execute(text("""INSERT INTO measurement (school_id, territory_id, indicator_id, period_id, value,
                                  numerator, denominator, entered_at, is_demo)
                              SELECT :g, :t, :i, id, :v, :v, 100, :at, :demo FROM period WHERE code = :c"""),
                      {"g": gym, "t": tid, "i": ind, "v": v, "c": code, "at": datetime(2025, 1, 10), "demo": True})
    rows = school_indicators(head, gym, date(2024, 10, 15), db)
    quality = [r for r in rows if r["short_name"] == "Качество обучения"]
    assert len(quality) == 1 and quality[0]["label"] == "III кв. 2024" and quality[0]["territory_value"] == 25.0
    later = [r for r in school_indicators(head, gym, date(2025, 1, 15), db) if r["short_name"] == "Качество обучения"]
    assert len(later) == 1 and later[0]["label"] == "IV кв. 2024" and later[0]["value"] == 70.0


def test_school_page_names_the_control_point_or_says_there_is_none(app_db):
    import streamlit as st

    from tests.helpers import run_as

    spring = run_as("demo-principal", as_of="2024-03-01")  # the page's cut, from the overview's link
    need = list(spring.table[0].value["Нужно"])
    assert any("к контрольной точке 31.03.2024 «Мониторинг разработки наставниками" in x for x in need), need
    with app_db.begin() as c:
        c.execute(text("DELETE FROM controlpoint"))
    st.cache_data.clear()  # a direct write: the cached reads do not know of it
    none = run_as("demo-principal", as_of="2024-03-01")
    need = list(none.table[0].value["Нужно"])
    assert any(x.endswith("к концу I кв. 2024 (контрольных точек в дорожной карте нет)") for x in need), need


def test_control_points_only_of_the_roadmaps_over_the_schools_territory(demo_db_rw):
    """A principal asks for the control points of the targets of their school's page; a target of
    another territory's roadmap passed in (core is the gate, not the page) gives nothing of that
    roadmap."""
    from core import school_plan
    from tests.helpers import scope_of

    sc = scope_of(demo_db_rw, "demo-principal")
    with demo_db_rw.begin() as c:
        other_rm, other_target = c.execute(text(
            "SELECT r.id, x.id FROM target x JOIN roadmap r ON r.id = x.roadmap_id WHERE r.code = 'okn-2021'")).first()
        c.execute(text("INSERT INTO controlpoint (roadmap_id, number, position, title, responsible, due_date, status) "
                       "VALUES (:r, 'КТ-1', 1, 'Секретная точка другой территории', 'руководители ОО', :d, 'planned')"),
                  {"r": other_rm, "d": date(2025, 3, 31)})
        own_target = c.execute(text("SELECT x.id FROM target x JOIN roadmap r ON r.id = x.roadmap_id "
                                    "WHERE r.code = 'nev-2024' ORDER BY x.id")).scalar()
    got = school_plan.control_points(sc, sc.own_school_id, [own_target, other_target], demo_db_rw)
    assert own_target in got and got[own_target]  # its own roadmap's points
    assert other_target not in got, got[other_target]
