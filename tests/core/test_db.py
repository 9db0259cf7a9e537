"""Schema, connection settings, constraints and the demo database, on SQLite and PostgreSQL."""

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from core import auth, demo, periods, summary, target_counts
from core.targets import evaluation
from core.read import lists
from core.read import overview as read_overview
from core import db as core_db
from core import startup
from core.models import Measurement, School, Territory
from core.settings import Settings

EXPECTED_TABLES = {
    "territory", "school", "period", "indicator", "measurement", "measurementhistory", "measurementsummary",
    "roadmap", "direction", "activity", "activityindicator", "activityrisk", "activityschool", "controlpoint",
    "target", "targetmilestone", "riskfactor", "schoolrisk", "curatorlink", "user", "authsession",
    "loginattempt", "upload", "auditevent", "appmeta", "alembic_version", "territoryclosure", "targetcount", "targetgroupvalue",
    "schoolalias",
}


def test_schema_is_at_head(empty_db):
    assert EXPECTED_TABLES <= set(inspect(empty_db).get_table_names())
    with empty_db.connect() as c:
        from alembic.script import ScriptDirectory

        head = ScriptDirectory.from_config(startup.alembic_config(str(empty_db.url))).get_current_head()
        assert c.execute(text("SELECT version_num FROM alembic_version")).scalar() == head


def test_sqlite_connection_pragmas(tmp_path):
    engine = core_db.get_engine(f"sqlite:///{tmp_path / 'p.db'}")
    with engine.connect() as c:
        assert c.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert c.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert c.exec_driver_sql("PRAGMA busy_timeout").scalar() == core_db.SQLITE_BUSY_TIMEOUT_MS


def test_foreign_keys_are_enforced(empty_db):
    with pytest.raises(IntegrityError):
        with core_db.session_scope(empty_db, write=True) as s:
            s.add(School(territory_id=999, code="X", name="X", short_name="X"))


def _territory_and_school(s):
    t = Territory(code="t1", name="Т")
    s.add(t)
    s.flush()
    sch = School(territory_id=t.id, code="S1", name="Школа", short_name="Школа")
    s.add(sch)
    s.flush()
    return t, sch


def test_one_current_measurement_per_key(empty_db):
    with core_db.session_scope(empty_db, write=True) as s:
        ids = periods.ensure(s, ["2024-Q1"])
        from core.models import Indicator

        ind = Indicator(code="i", name="i", short_name="i", value_kind="count", aggregation="sum")
        s.add(ind)
        t, sch = _territory_and_school(s)
        pid = ids["2024-Q1"]
        s.add(Measurement(territory_id=t.id, school_id=sch.id, indicator_id=ind.id, period_id=pid, value=1))
        s.add(Measurement(territory_id=t.id, school_id=None, indicator_id=ind.id, period_id=pid, value=1))
    for school_id in (sch.id, None):  # school level and territory level keys are both unique
        with pytest.raises(IntegrityError):
            with core_db.session_scope(empty_db, write=True) as s:
                s.add(Measurement(territory_id=t.id, school_id=school_id, indicator_id=ind.id, period_id=pid,
                                  value=2))


def test_a_failed_write_changes_nothing(empty_db):
    with pytest.raises(RuntimeError):
        with core_db.session_scope(empty_db, write=True) as s:
            _territory_and_school(s)
            raise RuntimeError("boom")
    with core_db.session_scope(empty_db) as s:
        assert s.exec(select(Territory)).all() == []


def test_demo_counts(demo_db):
    with demo_db.connect() as c:
        count = lambda t: c.execute(text(f'SELECT COUNT(*) FROM "{t}"')).scalar()  # noqa: E731
        assert count("territory") == 5
        assert count("roadmap") == 5
        assert count("school") == 36  # 10 invented for seed 000 + seed 001: 2, seed 003: 15, seed 004: 9
        assert count("target") == 8  # seed 000: five targets; seed 004: three
        assert count("targetmilestone") == 3  # resilient schools 3 / +2 / +2
        assert count("controlpoint") == 10  # seed 000's ten control points, every one with a parsed date
        assert c.execute(text("SELECT COUNT(*) FROM controlpoint WHERE due_date IS NULL")).scalar() == 0
        assert count("direction") == 6 + 5 + 5 + 0 + 4
        assert count("user") == 5
        # no fixed calendar: the quarters the synthetic series fill (2022-Q1..2024-Q3), the due quarter
        # of seed 000's targets and the years of seed 004's values and targets
        codes = {r[0] for r in c.execute(text("SELECT code FROM period"))}
        assert codes == {f"{y}-Q{q}" for y in (2022, 2023, 2024) for q in (1, 2, 3, 4)} | {"2020", "2021", "2022", "2023"}
        assert c.execute(text("SELECT COUNT(*) FROM measurement WHERE NOT is_demo")).scalar() == 0
    assert lists.is_demo(demo_db)


def test_demo_gives_every_status(demo_db):
    scope = auth.system_scope()
    statuses = set()
    for rm in lists.roadmaps(scope, demo_db):
        ov = read_overview.overview(scope, rm.id, engine=demo_db)
        statuses |= {c.evaluation.status for c in ov.cards}
        statuses |= {r.status(t) for r in ov.rows for t in ov.matrix_targets} - {None}
    assert statuses == {"achieved", "on_track", "at_risk", "off_track", "no_data"}


def test_seed_004_trajectories(demo_db):
    scope = auth.system_scope()
    rid = next(r.id for r in lists.roadmaps(scope, demo_db) if r.code == "okn-2021")
    ov = read_overview.overview(scope, rid, engine=demo_db)
    cards = {c.indicator_code: c for c in ov.cards}
    resilient = cards["resilient_school"]
    assert [m.value for m in resilient.milestones] == [3, 5, 7]
    assert [s.value for s in resilient.series] == [0, 3, 5, 6]
    assert resilient.evaluation.status == "off_track"  # 6 of the 7 due by 2023
    curators = cards["curator_directors"]
    assert curators.evaluation.baseline == pytest.approx(100 * 3 / 9)
    assert curators.evaluation.value == pytest.approx(100 * 4 / 9)
    assert curators.evaluation.status == "achieved"
    assert cards["biased_results"].evaluation.status == "no_data"


def test_summary_matches_a_direct_group_by(demo_db):
    sql = """
        SELECT m.territory_id, m.indicator_id, m.period_id,
               SUM(CASE WHEN m.denominator > 0 THEN m.numerator END) AS n,
               SUM(CASE WHEN m.denominator > 0 THEN m.denominator END) AS d, COUNT(m.value) AS k
        FROM measurement m JOIN school s ON s.id = m.school_id
        WHERE s.is_shnor OR s.is_shnsu
        GROUP BY m.territory_id, m.indicator_id, m.period_id"""
    with demo_db.connect() as c:
        direct = {(r[0], r[1], r[2]): (r[3] or 0, r[4] or 0, r[5]) for r in c.execute(text(sql))}
        summ = {(r[0], r[1], r[2]): (r[3], r[4], r[5]) for r in c.execute(text(
            "SELECT territory_id, indicator_id, period_id, sum_numerator, sum_denominator, n_schools "
            "FROM measurementsummary WHERE grp = 'target'"))}
    assert direct and direct == summ


def test_summary_refresh_is_idempotent(demo_db_rw):
    with demo_db_rw.connect() as c:
        before = c.execute(text("SELECT COUNT(*), SUM(sum_numerator) FROM measurementsummary")).one()
    with core_db.session_scope(demo_db_rw, write=True) as s:
        summary.refresh(s)
        summary.refresh(s, territory_ids=[1], indicator_ids=[1, 2], period_ids=[1, 2, 3])
    with demo_db_rw.connect() as c:
        assert c.execute(text("SELECT COUNT(*), SUM(sum_numerator) FROM measurementsummary")).one() == before


def test_demo_refuses_a_database_with_data(demo_db_rw):
    with pytest.raises(RuntimeError, match="уже есть данные"):
        demo.build(demo_db_rw)


def _settings(demo_flag: str, url: str) -> Settings:
    return Settings(database_url=url, demo=demo_flag, session_hours=1, idle_minutes=10, secure_cookie=False,
                    login_max_failures=5, login_window_minutes=15)


def test_when_the_demo_is_built(empty_db, demo_db_rw):
    url = str(empty_db.url)
    assert not demo.should_build(empty_db, fresh=True, settings=_settings("0", url), url=url)
    assert demo.should_build(empty_db, fresh=True, settings=_settings("1", url), url=url)
    # "auto" builds only into the default SQLite file
    assert not demo.should_build(empty_db, fresh=True, settings=_settings("auto", url), url=url)
    # never into a database that has data
    url2 = str(demo_db_rw.url)
    assert not demo.should_build(demo_db_rw, fresh=False, settings=_settings("1", url2), url=url2)


def test_ensure_database_builds_the_demo_once(env_demo_url):
    engine = startup.ensure_database()
    assert startup.ensure_database() is engine
    with engine.connect() as c:
        assert c.execute(text("SELECT COUNT(*) FROM roadmap")).scalar() == 5


def test_summary_at_every_level_of_the_territory_tree(empty_db):
    from core import synthetic

    scale = synthetic.Scale("t", regions=2, municipalities=2, schools=5, indicators=3, periods=4)
    info = synthetic.build(empty_db, scale)
    assert info["schools"] == 20 and info["measurements"] == 20 * 3 * 4
    with empty_db.connect() as c:
        top = info["territory_id"]
        kids = [r[0] for r in c.execute(text(
            "SELECT descendant_id FROM territoryclosure WHERE ancestor_id = :t AND depth = 1"), {"t": top})]
        assert len(kids) == 2
        for grp in ("all", "target"):
            q = text("SELECT indicator_id, period_id, sum_numerator, sum_denominator, n_schools "
                     "FROM measurementsummary WHERE territory_id = :t AND grp = :g")
            top_rows = {(r[0], r[1]): r[2:] for r in c.execute(q, {"t": top, "g": grp})}
            parts = [{(r[0], r[1]): r[2:] for r in c.execute(q, {"t": k, "g": grp})} for k in kids]
            assert top_rows and all(
                tuple(a + b for a, b in zip(parts[0][key], parts[1][key])) == val for key, val in top_rows.items())
    ov = read_overview.overview(auth.system_scope(), info["roadmap_id"], engine=empty_db)
    assert ov.unit_label == "Территория" and [r.name for r in ov.rows] == ["Регион 1", "Регион 2"]
    assert len(ov.cards) == 6 and all(c.n_schools > 0 for c in ov.cards)


def test_sql_count_of_schools_meeting_a_target_matches_core_targets(demo_db):
    """The region path counts in SQL what the municipality path counts school by school in Python."""
    scope = auth.system_scope()
    rid = next(r.id for r in lists.roadmaps(scope, demo_db) if r.code == "nev-2024")
    ov = read_overview.overview(scope, rid, engine=demo_db)
    with demo_db.connect() as c:
        rows = {r["id"]: r for r in evaluation.target_rows(c, roadmap_id=rid)}
    pid = next(p.id for p in lists.periods(demo_db) if p.code == "2024-Q3")
    checked = 0
    for card in ov.cards:
        r = rows[card.target_id]
        with demo_db.connect() as c:
            avg = next(x["average"] for x in evaluation.group_series(c, [1], [r["indicator_id"]])[(1, r["indicator_id"], "all")]
                       if x["period_id"] == pid)
            n, met = target_counts.count_meeting_many(c, 1, [(r, pid, avg, [])])[0]
        assert (n, met) == (card.n_schools, card.n_meeting), card.short_name
        checked += 1
    assert checked == 5 and {c.n_meeting for c in ov.cards} != {0}


def test_the_models_and_the_migrations_agree(empty_db):
    """Alembic's autogenerate finds nothing to do on a database upgraded to head: every table, column,
    index and server default of core.models is what the migrations build (and nothing more)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlmodel import SQLModel

    with empty_db.connect() as c:
        ctx = MigrationContext.configure(c, opts={"compare_server_default": True, "compare_type": True})
        assert compare_metadata(ctx, SQLModel.metadata) == []
