"""Backups (online, SQLite backup API), restore with confirmation, the integrity check, and the
schema upgrade of a database made by the first revision with data in it."""

import sqlite3

import pytest
from sqlalchemy import text

from core import auth, cli, maintenance
from core import db as core_db
from core import startup
from core.ingest import pipeline
from tests import ingest_files as f
from tests.helpers import scope_of, stored_value


def test_integrity_is_clean_on_the_demo(demo_db):
    assert maintenance.integrity(demo_db) == []


def test_integrity_reports_and_does_not_fix(demo_db_any):
    db = demo_db_any
    with db.begin() as c:
        c.execute(text("UPDATE measurementsummary SET sum_numerator = sum_numerator + 1 WHERE id IN "
                       "(SELECT MIN(id) FROM measurementsummary WHERE grp = 'all')"))
        c.execute(text("UPDATE measurement SET numerator = denominator + 1 WHERE id = (SELECT MIN(m.id) FROM "
                       "measurement m JOIN indicator i ON i.id = m.indicator_id WHERE i.value_kind = 'share')"))
    found = {x.check: x for x in maintenance.integrity(db)}
    assert set(found) == {"summary", "share_parts"}
    # the summary row changed by hand, and the one whose measurement was changed behind its back
    assert found["summary"].count >= 1 and "recount" in found["summary"].detail
    assert {x.check for x in maintenance.integrity(db)} == {"summary", "share_parts"}  # still there: not fixed


def test_sqlite_foreign_key_problems_are_reported(demo_db_rw):
    raw = sqlite3.connect(demo_db_rw.url.database)
    raw.execute("PRAGMA foreign_keys=OFF")
    raw.execute("UPDATE school SET territory_id = 999 WHERE code = 'NEV-14'")
    raw.commit()
    raw.close()
    found = {x.check: x for x in maintenance.integrity(demo_db_rw)}
    assert "foreign_keys" in found and "school" in found["foreign_keys"].detail


def test_backup_while_writing_and_restore(demo_db_rw, tmp_path):
    db = demo_db_rw
    admin = auth.system_scope()
    methodist = scope_of(db, "demo-methodist")
    data = f.long_table([["NEV-02", "olympiad_participants", "2025-Q1", 40, None, None]])
    with db.connect() as reader:  # a reader holds a transaction open while the copy is made
        reader.execute(text("SELECT COUNT(*) FROM measurement")).scalar()
        copy = maintenance.backup(admin, db, tmp_path)
    pipeline.apply(methodist, pipeline.prepare(methodist, [("x.xlsx", data)], engine=db), data,
                   accept_warnings=True, engine=db)
    assert stored_value(db, "NEV-02", "olympiad_participants", "2025-Q1")[0] == 40
    with sqlite3.connect(copy) as c:
        assert c.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert [b["name"] for b in maintenance.list_backups(tmp_path)] == [copy.name]
    with pytest.raises(maintenance.MaintenanceError, match="Подтвердите"):
        maintenance.restore(admin, copy.name, confirm=False, engine=db, directory=tmp_path)
    before = maintenance.restore(admin, copy.name, confirm=True, engine=db, directory=tmp_path)
    assert stored_value(db, "NEV-02", "olympiad_participants", "2025-Q1") is None  # back to the copy
    assert maintenance.integrity(db) == []
    maintenance.restore(admin, before.name, confirm=True, engine=db, directory=tmp_path)  # and undone
    assert stored_value(db, "NEV-02", "olympiad_participants", "2025-Q1")[0] == 40


def test_only_an_admin_backs_up(demo_db_rw, tmp_path):
    with pytest.raises(auth.AccessDenied):
        maintenance.backup(scope_of(demo_db_rw, "demo-head"), demo_db_rw, tmp_path)


def test_cli_check_backup_list(demo_db_rw, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr("core.cli.ensure_database", lambda: demo_db_rw)
    monkeypatch.setattr(maintenance, "BACKUP_DIR", tmp_path)
    monkeypatch.setattr(maintenance.backup, "__defaults__", (None, tmp_path))
    monkeypatch.setattr(maintenance.list_backups, "__defaults__", (tmp_path,))
    assert cli.main(["check"]) == 0
    assert "Целостность в порядке" in capsys.readouterr().out
    assert cli.main(["backup"]) == 0
    assert cli.main(["backups"]) == 0
    assert ".db" in capsys.readouterr().out
    assert cli.main(["restore", "missing.db", "--yes"]) == 2


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_upgrade_from_the_first_revision_keeps_the_data(backend, tmp_path):
    """A database made by revision 0001, with data in it, upgraded to head: nothing lost, and the
    new structures (the territory tree) are filled."""
    from tests.databases import cleanup, make_url

    url = make_url(backend, tmp_path)
    startup.upgrade(url, "0001")
    engine = core_db.get_engine(url)
    t, f_ = True, False
    try:
        with engine.begin() as c:
            c.execute(text("INSERT INTO territory (id, code, name, kind, is_demo) VALUES (1, 't', 'Город', "
                           "'municipality', :f)"), {"f": f_})
            c.execute(text("INSERT INTO school (id, territory_id, code, name, short_name, kind, is_shnor, is_shnsu, "
                           "is_leader, is_demo) VALUES (1, 1, 'S1', 'Школа 1', 'Школа 1', 'СОШ', :t, :f, :f, :f)"),
                      {"t": t, "f": f_})
            c.execute(text('INSERT INTO period (id, code, kind, start, "end", label) VALUES '
                           "(1, '2024-Q1', 'quarter', '2024-01-01', '2024-03-31', 'I кв. 2024')"))
            c.execute(text("INSERT INTO indicator (id, code, name, short_name, unit, value_kind, level, aggregation, "
                           "higher_is_better) VALUES (1, 'q', 'Качество', 'Качество', '%', 'share', 'school', "
                           "'ratio_of_sums', :t)"), {"t": t})
            c.execute(text("INSERT INTO measurement (id, territory_id, school_id, indicator_id, period_id, value, "
                           "numerator, denominator, entered_at, is_demo) VALUES (1, 1, 1, 1, 1, 50, 10, 20, "
                           "'2024-04-01 10:00:00', :f)"), {"f": f_})
            c.execute(text("INSERT INTO measurementhistory (id, territory_id, school_id, indicator_id, period_id, "
                           "old_value, new_value, action, changed_at) VALUES (1, 1, 1, 1, 1, 40, 50, 'update', "
                           "'2024-04-01 10:00:00')"))
            c.execute(text("INSERT INTO measurementsummary (territory_id, grp, indicator_id, period_id, n_schools, "
                           "sum_value, sum_numerator, sum_denominator, n_flag) VALUES "
                           "(1, 'all', 1, 1, 1, 50, 10, 20, 0)"))
        startup.upgrade(url)
        with engine.connect() as c:
            from alembic.script import ScriptDirectory

            head = ScriptDirectory.from_config(startup.alembic_config(url)).get_current_head()
            assert c.execute(text("SELECT version_num FROM alembic_version")).scalar() == head
            assert tuple(c.execute(text("SELECT value, numerator, denominator FROM measurement")).one()) == (50, 10, 20)
            assert tuple(c.execute(text("SELECT old_value, new_value, old_entered_by FROM measurementhistory")).one()
                         ) == (40, 50, None)
            assert c.execute(text("SELECT ancestor_id, descendant_id, depth FROM territoryclosure")).all() == [(1, 1, 0)]
        assert [x.check for x in maintenance.integrity(engine)] == []
    finally:
        cleanup(url)


def test_the_start_up_check_runs_in_the_background(env_demo_url):
    import threading

    engine = startup.ensure_database()
    for t in threading.enumerate():
        if t.name == "integrity-check":
            t.join(30)
    when, findings = maintenance.LAST_CHECK[str(engine.url)]
    assert findings == []
