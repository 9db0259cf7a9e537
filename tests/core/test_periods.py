"""The calendar: any period is valid when data for it arrives (core/periods.py), on both backends."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from sqlalchemy import text

from core import auth, periods
from core.db import session_scope
from core.ingest import pipeline
from core.models import Indicator, School, Territory
from core.territories import add_territory
from tests import ingest_files as f

YEARS = [2019, 2020, 2022, 2024, 2025, 2026, 2027, 2030, 2035, 2049]
ALL = ([periods.quarter(y, n) for y in YEARS for n in (1, 2, 3, 4)]
       + [periods.half_year(y, n) for y in YEARS for n in (1, 2)]
       + [periods.school_year(y) for y in YEARS] + [periods.year(y) for y in YEARS])


@pytest.mark.parametrize("p", ALL, ids=[p.code for p in ALL])
def test_every_label_and_code_reads_back(p):
    assert periods.parse(p.code) == p
    assert periods.parse(p.label) == p
    assert periods.parse(f"  {p.label.upper()} ") == p
    assert p.start <= p.end and periods.label(p.kind, p.start, p.end) == p.label


@pytest.mark.parametrize("written,code,label", [
    ("2026-Q3", "2026-Q3", "III кв. 2026"),
    ("III кв. 2026", "2026-Q3", "III кв. 2026"),
    ("3 квартал 2026 г.", "2026-Q3", "III кв. 2026"),
    ("IV кв 2030", "2030-Q4", "IV кв. 2030"),
    ("2026", "2026", "2026 г."),
    ("2026 год", "2026", "2026 г."),
    ("2025/26", "2025/26", "2025/26 уч. г."),
    ("2025-2026 учебный год", "2025/26", "2025/26 уч. г."),
    ("2029/30 уч. г.", "2029/30", "2029/30 уч. г."),
    ("2026-H2", "2026-H2", "II полуг. 2026"),
    ("1 полугодие 2026", "2026-H1", "I полуг. 2026"),
])
def test_what_people_type(written, code, label):
    p = periods.parse(written)
    assert (p.code, p.label) == (code, label)


@pytest.mark.parametrize("written", ["", "2026-Q5", "V кв. 2026", "2025/27", "кв. 2026", "1926", "сентябрь 2026", None])
def test_not_a_period(written):
    assert periods.parse(written) is None


def test_dates():
    assert (periods.quarter(2026, 3).start, periods.quarter(2026, 3).end) == (date(2026, 7, 1), date(2026, 9, 30))
    assert periods.quarter(2024, 1).end == date(2024, 3, 31)
    assert (periods.school_year(2025).start, periods.school_year(2025).end) == (date(2025, 9, 1), date(2026, 8, 31))
    assert periods.half_year(2026, 2).start == date(2026, 7, 1)
    assert [p.code for p in periods.series(periods.parse("2025-Q3"), periods.parse("2026-Q2"))] == [
        "2025-Q3", "2025-Q4", "2026-Q1", "2026-Q2"]


@pytest.mark.parametrize("today,code", [
    (date(2026, 11, 29), "2026-Q3"), (date(2026, 10, 1), "2026-Q3"), (date(2026, 9, 30), "2026-Q2"),
    (date(2027, 1, 1), "2026-Q4"), (date(2026, 3, 31), "2025-Q4"), (date(2030, 7, 15), "2030-Q2"),
])
def test_uploads_default_to_the_last_finished_quarter(today, code):
    assert periods.last_finished_quarter(today).code == code


def test_upload_choices_reach_today_and_keep_what_the_database_holds():
    codes = [p.code for p in periods.upload_choices(["2019-Q2", "2023/24"], date(2026, 11, 29))]
    assert "2026-Q3" in codes and "2026-Q4" not in codes  # the running quarter has not ended
    assert {"2019-Q2", "2023/24", "2023-Q1", "2026"} <= set(codes)
    assert codes.index("2026-Q2") < codes.index("2026-Q3")


def _fresh_territory(engine) -> tuple[auth.Scope, int]:
    """A real (non-demo) database with one territory, one school and one indicator, no periods."""
    with session_scope(engine, write=True) as s:
        t = add_territory(s, Territory(code="real", name="Реальный район"))
        s.add(School(territory_id=t.id, code="R-01", name="МБОУ «СОШ № 1»", short_name="СОШ № 1", is_shnor=True))
        s.add(Indicator(code="olymp", name="Участники олимпиад", short_name="Олимпиады", unit="чел.",
                        value_kind="count", aggregation="sum"))
        s.add(Indicator(code="kpk", name="Доля педагогов с КПК", short_name="КПК", value_kind="share",
                        aggregation="ratio", numerator_label="Из них прошли КПК", denominator_label="Всего педагогов"))
        s.flush()
        user = auth.create_user(s, login="metod", password="Пароль-для-теста-1", full_name="Методист",
                                role="methodologist", territory_id=t.id, check_rules=False)
        return auth.scope_for(s, user), t.id


def test_a_real_database_takes_2026_q3(empty_db):
    scope, _ = _fresh_territory(empty_db)
    with empty_db.connect() as c:
        assert c.execute(text("SELECT COUNT(*) FROM period")).scalar() == 0
    data = f.long_table([["R-01", "olymp", "III кв. 2026", 41, None, None],
                         ["R-01", "kpk", "2026-Q3", None, 12, 30]])
    pv = pipeline.prepare(scope, [("q3.xlsx", data)], None, empty_db)
    assert not pv.errors, [p.text for p in pv.errors]
    assert {r.period for r in pv.rows} == {"III кв. 2026"} and {r.change for r in pv.rows} == {"new"}
    with empty_db.connect() as c:  # a preview writes nothing, not even the period
        assert c.execute(text("SELECT COUNT(*) FROM period")).scalar() == 0
    pipeline.apply(scope, pv, data, engine=empty_db)
    with empty_db.connect() as c:
        rows = c.execute(text('SELECT code, kind, start, "end", label FROM period')).all()
        assert [(r.code, r.kind, r.label) for r in rows] == [("2026-Q3", "quarter", "III кв. 2026")]
        assert str(rows[0].start) == "2026-07-01" and str(rows[0].end) == "2026-09-30"
        vals = dict(c.execute(text("SELECT i.code, m.value FROM measurement m JOIN indicator i ON i.id = m.indicator_id "
                                   "JOIN period p ON p.id = m.period_id WHERE p.code = '2026-Q3'")).all())
    assert vals == {"olymp": 41, "kpk": pytest.approx(40.0)}
    # the page's default period, for a file without a period column, and the next quarter reuses nothing wrongly
    data2 = f.long_table([["R-01", "olymp", None, 44, None, None]])
    pv2 = pipeline.prepare(scope, [("q4.xlsx", data2)], "2026-Q4", empty_db)
    assert not pv2.errors and pv2.rows[0].period == "IV кв. 2026"
    pipeline.apply(scope, pv2, data2, engine=empty_db, accept_warnings=True)
    with empty_db.connect() as c:
        assert [r[0] for r in c.execute(text('SELECT code FROM period ORDER BY "end"'))] == ["2026-Q3", "2026-Q4"]


def test_an_unknown_period_is_refused_with_its_place(empty_db):
    scope, _ = _fresh_territory(empty_db)
    data = f.long_table([["R-01", "olymp", "5 кв. 2026", 41, None, None]])
    pv = pipeline.prepare(scope, [("bad.xlsx", data)], None, empty_db)
    assert len(pv.errors) == 1 and "неизвестный период «5 кв. 2026»" in pv.errors[0].text
    assert pv.errors[0].row == 2


def test_a_period_not_begun_yet_is_a_warning(empty_db):
    scope, _ = _fresh_territory(empty_db)
    nxt = periods.following(periods.following(periods.last_finished_quarter(date.today())))
    data = f.long_table([["R-01", "olymp", nxt.code, 41, None, None]])
    pv = pipeline.prepare(scope, [("future.xlsx", data)], None, empty_db)
    assert not pv.errors and any("ещё не начался" in w.text for w in pv.warnings)


def test_two_writers_create_the_same_period_at_once(empty_db):
    """Both get the one row: the code is unique and the insert does nothing on conflict."""
    barrier = threading.Barrier(2)
    got, failed = [], []

    sqlite = empty_db.dialect.name == "sqlite"

    def create():
        try:
            if sqlite:  # a writer holds SQLite's lock from BEGIN IMMEDIATE: the two meet before it
                barrier.wait(timeout=10)
            with session_scope(empty_db, write=True) as s:
                if not sqlite:  # both transactions open, neither sees the other's row
                    s.execute(text("SELECT 1"))
                    barrier.wait(timeout=10)
                got.append(periods.ensure(s, ["2026-Q3", "2026"]))
        except Exception as exc:  # noqa: BLE001 - reported below
            failed.append(exc)

    threads = [threading.Thread(target=create) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not failed, failed
    assert len(got) == 2 and got[0] == got[1]
    with empty_db.connect() as c:
        assert c.execute(text("SELECT COUNT(*) FROM period")).scalar() == 2


def test_ensure_refuses_what_is_no_period_code(empty_db):
    with pytest.raises(ValueError):
        with session_scope(empty_db, write=True) as s:
            periods.ensure(s, ["III кв. 2026"])  # a label, not a code


def test_the_cli_defaults_to_the_last_finished_quarter(empty_db, tmp_path, monkeypatch, capsys):
    from openpyxl import load_workbook

    from core.ingest import __main__ as cli

    _fresh_territory(empty_db)
    monkeypatch.setattr("core.ingest.__main__.ensure_database", lambda: empty_db)
    out = tmp_path / "t.xlsx"
    assert cli.main(["--template", str(out), "--user", "metod"]) == 0
    expected = periods.last_finished_quarter(date.today())  # a real database: the real date
    assert f"Период по умолчанию: {expected.label}" in capsys.readouterr().err
    meta = {r[0]: r[1] for r in load_workbook(out)["_meta"].iter_rows(values_only=True) if r and r[0]}
    assert meta["period"] == expected.code
    assert cli.main(["--template", str(out), "--user", "metod", "--period", "III кв. 2030"]) == 0
    assert {r[0]: r[1] for r in load_workbook(out)["_meta"].iter_rows(values_only=True) if r and r[0]}["period"] == "2030-Q3"
    assert cli.main(["--template", str(out), "--user", "metod", "--period", "осень"]) == 2


def test_two_uploads_bring_the_same_new_quarter_at_once(empty_db):
    """Both previews were made before the quarter existed; both writes land, on one period row."""
    scope, tid = _fresh_territory(empty_db)
    with session_scope(empty_db, write=True) as s:
        s.add(School(territory_id=tid, code="R-02", name="МБОУ «СОШ № 2»", short_name="СОШ № 2"))
    files = [f.long_table([[code, "olymp", "III кв. 2026", 40 + i, None, None]]) for i, code in enumerate(("R-01", "R-02"))]
    previews = [pipeline.prepare(scope, [(f"{i}.xlsx", d)], None, empty_db) for i, d in enumerate(files)]
    assert all(not pv.errors and pv.new_periods for pv in previews)
    barrier, failed = threading.Barrier(2), []

    def write(pv, data):
        try:
            barrier.wait(timeout=10)
            pipeline.apply(scope, pv, data, engine=empty_db)
        except Exception as exc:  # noqa: BLE001 - reported below
            failed.append(exc)

    threads = [threading.Thread(target=write, args=(pv, d)) for pv, d in zip(previews, files)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not failed, failed
    with empty_db.connect() as c:
        assert c.execute(text("SELECT COUNT(*) FROM period")).scalar() == 1
        assert sorted(r[0] for r in c.execute(text(
            "SELECT m.value FROM measurement m JOIN period p ON p.id = m.period_id WHERE p.code = '2026-Q3'"))) == [40, 41]
