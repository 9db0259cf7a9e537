"""The demo's clock (DEMO_TODAY) and the demo's roadmap statuses: a plan in progress, not a wall of red."""

from datetime import date

import pytest
from sqlalchemy import text

from core import auth, roadmap_view, settings
from core.demo import load_reference

DEMO_DAY = date(2024, 10, 15)


@pytest.fixture
def clock_env(monkeypatch):
    def set_to(value: str | None):
        if value is None:
            monkeypatch.delenv("DEMO_TODAY", raising=False)
        else:
            monkeypatch.setenv("DEMO_TODAY", value)
        settings.reset_settings_cache()

    yield set_to
    settings.reset_settings_cache()


def test_demo_database_runs_on_the_demo_clock(demo_db, empty_db, clock_env):
    clock_env(None)
    assert settings.today(demo_db) == DEMO_DAY == settings.demo_clock(demo_db)
    assert settings.today(empty_db) == settings.office_date() and settings.demo_clock(empty_db) is None  # real data: real date
    clock_env("2024-05-20")
    assert settings.today(demo_db) == date(2024, 5, 20)
    clock_env("")  # switched off: the demo too runs on the real date
    assert settings.today(demo_db) == settings.office_date() and settings.demo_clock(demo_db) is None


def test_bad_demo_clock_is_refused_in_russian(clock_env):
    clock_env("15.10.2024")
    with pytest.raises(ValueError, match="DEMO_TODAY: ожидается дата вида 2024-10-15"):
        settings.get_settings()


def _status_counts(db, code: str) -> dict[str, int]:
    with db.connect() as c:
        rid = c.execute(text("SELECT id FROM roadmap WHERE code = :c"), {"c": code}).scalar()
    df = roadmap_view.items(auth.system_scope(), rid, DEMO_DAY, db)
    counts = df["status"].value_counts().to_dict()
    counts["overdue"] = int(df["overdue"].sum())
    counts["total"] = len(df)
    return counts


def test_demo_year_is_a_plan_in_progress(demo_db):
    n = _status_counts(demo_db, "nev-2024")  # seed 000, the demo's current year
    assert n["total"] == 35
    assert n["done"] >= 8 and n["in_progress"] >= 4 and n.get("planned", 0) >= 4  # every kind present
    assert 1 <= n["overdue"] <= n["total"] // 5  # some late, not a wall of red
    with demo_db.connect() as c:
        rows = c.execute(text("""SELECT status, completed_on, evidence FROM activity
                                 UNION ALL SELECT status, completed_on, evidence FROM controlpoint""")).all()
    done = [r for r in rows if r.status == "done"]
    assert done and all(date.fromisoformat(str(r.completed_on)[:10]) < DEMO_DAY for r in done)
    assert all(r.evidence.startswith("демо:") for r in rows if r.status in ("done", "cancelled"))  # labelled demo


def test_demo_statuses_have_a_history(demo_db):
    """Written through the status rules: each change is in the audit log with the old status."""
    with demo_db.connect() as c:
        changed = c.execute(text("""SELECT COUNT(*) FROM activity WHERE status <> 'planned'""")).scalar()
        changed += c.execute(text("""SELECT COUNT(*) FROM controlpoint WHERE status <> 'planned'""")).scalar()
        aid = c.execute(text("SELECT id FROM activity WHERE status = 'done' ORDER BY id")).scalar()
    hist = roadmap_view.status_history(auth.system_scope(), "activity", aid, demo_db)
    assert len(hist) == 1 and hist[0]["old"]["status"] == "planned" and hist[0]["new"]["status"] == "done"
    assert hist[0]["demo"] is True and hist[0]["login"] == "demo"
    with demo_db.connect() as c:
        n_audit = c.execute(text("SELECT COUNT(*) FROM auditevent WHERE action = 'roadmap_status'")).scalar()
    assert n_audit == changed


def test_demo_statuses_follow_the_rules():
    """A recipe that would mark an item done in the future is refused by the status rules."""
    from core.models import Activity
    from core.roadmap_view import StatusError

    ref = load_reference()
    assert set(ref["demo_statuses"]["past"]) <= {"planned", "in_progress", "done", "cancelled"}
    act = Activity(roadmap_id=1, number="1", title="x", status="planned")
    with pytest.raises(StatusError, match="ещё не наступила"):
        roadmap_view.write_status(None, auth.system_scope(), "activity", act, "done",
                                  completed_on=date(2024, 11, 1), evidence="демо: протокол", today=DEMO_DAY)
    assert act.status == "planned"
