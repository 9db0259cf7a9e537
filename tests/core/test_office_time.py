"""Time as the office lives it: one time zone (TIME_ZONE, default Europe/Moscow), one format
«06.12.2026 20:34» through one formatter, the demo's records stamped in the demo's time, and an audit
log told without the record's internal keys."""

import re
from datetime import date, datetime, timedelta, timezone

import pandas as pd
import pytest
from sqlalchemy import text

from core import auth, formatting as fmt, settings, users
from core.audit_text import describe

DEMO_DAY = date(2024, 10, 15)


@pytest.fixture
def zone_env(monkeypatch):
    """zone_env("Asia/Yekaterinburg") sets TIME_ZONE, zone_env(None) removes it (the default)."""
    yield lambda zone: (monkeypatch.delenv("TIME_ZONE", raising=False) if zone is None
                        else monkeypatch.setenv("TIME_ZONE", zone), settings.reset_settings_cache())
    settings.reset_settings_cache()


def test_a_moment_is_shown_in_the_offices_time_zone(zone_env):
    zone_env(None)  # the default: Moscow, UTC+3 all year
    stored = datetime(2026, 12, 6, 17, 34, 59, tzinfo=timezone.utc)
    assert fmt.moment(stored) == "06.12.2026 20:34"
    assert fmt.moment(stored.replace(tzinfo=None)) == "06.12.2026 20:34"  # naive = UTC, as SQLite keeps it
    assert fmt.moment("2026-12-06 17:34:59.123456") == "06.12.2026 20:34"  # as a raw SQLite row reads
    assert fmt.moment(pd.Timestamp("2026-12-31 22:10", tz="UTC")) == "01.01.2027 01:10"  # the office's day
    assert fmt.moment(None) == fmt.moment(pd.NaT) == "—"
    zone_env("Asia/Yekaterinburg")
    assert fmt.moment(stored) == "06.12.2026 22:34"


def test_an_approval_after_midnight_is_dated_the_offices_day(zone_env):
    """A tile says «утверждены 12.10.2024» for an approval at 01:30 in Moscow on the 12th, which is stored as
    22:30 UTC on the 11th (the tile once printed the stored UTC date)."""
    from core.quarters import QuarterInfo, short_note

    zone_env(None)
    stored = datetime(2024, 10, 11, 22, 30)  # naive UTC, as the database keeps it
    info = QuarterInfo(territory_id=1, territory="Город", period_id=1, period_code="2024-Q3",
                       period_label="III кв. 2024", state="approved", deadline=date(2024, 10, 10),
                       deadline_is_default=True, approved_at=stored)
    assert short_note(info) == "утверждены 12.10.2024"
    assert fmt.moment_day(stored) == "12.10.2024" and fmt.moment_day(None) == "—"
    zone_env("UTC")
    assert short_note(info) == "утверждены 11.10.2024"


def test_a_wrong_time_zone_is_refused_in_russian(zone_env):
    zone_env("Moscow")
    with pytest.raises(ValueError, match="TIME_ZONE: неизвестный часовой пояс «Moscow»"):
        settings.get_settings()


def test_the_audit_log_has_local_times_and_no_internal_keys(demo_db_rw, zone_env):
    zone_env(None)
    with demo_db_rw.begin() as c:
        c.execute(text("INSERT INTO auditevent (at, login, action, details, ip) VALUES "
                       "(:at, 'ivanova', 'login_throttled', :d, '10.0.0.7')"),
                  {"at": "2026-12-06 17:34:00.000000", "d": '{"rule": "login_address", "wait_s": 4}'})
    admin = auth.Scope(user_id=None, login="admin", role="admin", territory_ids=None, school_ids=None)
    log = users.audit_log(admin, actions=["login_throttled"], since=date(2026, 12, 6), until=date(2026, 12, 6),
                          engine=demo_db_rw)
    assert list(log.columns)[0] == "Когда"
    row = log.iloc[0]
    assert row["Когда"] == "06.12.2026 20:34"
    assert "login_address" not in row["Что произошло"] and "логин с адреса" in row["Что произошло"]
    # the office's day: 00:30 in Moscow on 7 December is still 6 December in UTC
    with demo_db_rw.begin() as c:
        c.execute(text("INSERT INTO auditevent (at, login, action) VALUES ('2026-12-06 21:30:00.000000', 'x', 'logout')"))
    assert users.audit_log(admin, actions=["logout"], since=date(2026, 12, 7), until=date(2026, 12, 7),
                           engine=demo_db_rw).iloc[0]["Когда"] == "07.12.2026 00:30"
    assert users.audit_log(admin, actions=["logout"], since=date(2026, 12, 6), until=date(2026, 12, 6),
                           engine=demo_db_rw).empty


@pytest.mark.parametrize("action, obj, details", [
    ("login_throttled", None, {"rule": "address", "wait_s": 8}),
    ("quarter_deadline", "quarter", {"territory": "город Н", "period": "2024-Q3", "period_label": "III кв. 2024",
                                     "old": "open", "new": "open", "old_deadline": None, "deadline": "2024-10-10"}),
    ("quarter_approved", "quarter", {"territory": "город Н", "period": "2024-Q3", "period_label": "III кв. 2024",
                                     "old": "checked", "new": "approved"}),
    ("roadmap_replaced", "roadmap", {"code": "nev-2024", "file": "карта.xlsx", "Мероприятия": 35, "replaced": True,
                                     "statuses_kept": 3, "dropped": [], "targets_dropped": ["цель"]}),
    ("school_alias", "school", {"written": "МБОУ СОШ 2", "key": "мбоусош2", "school": "СОШ № 2",
                                "replaced_school_id": 4}),
    ("roadmap_status", "activity", {"roadmap_id": 1, "number": "2.1", "old": {"status": "planned"},
                                    "new": {"status": "done", "completed_on": "2024-03-12", "evidence": "приказ"}}),
])
def test_audit_sentences_have_no_internal_keys(action, obj, details):
    said = describe(action, obj, "1", details)
    leftovers = re.findall(r"\b(?![IVX]+\b)[A-Za-z_]{3,}", said.replace("nev-2024", "").replace(".xlsx", ""))
    assert not leftovers, said
    assert "2024-" not in said  # dates and periods in words: «10.10.2024», «III кв. 2024»


def test_demo_records_are_stamped_in_demo_time(demo_db):
    """The demo lives on 15.10.2024: its journal, marks, accounts and values were not made in 2026."""
    with demo_db.connect() as c:
        audit = c.execute(text("SELECT MIN(at), MAX(at) FROM auditevent WHERE action IN "  # the build's own
                               "('demo_built', 'roadmap_loaded', 'roadmap_status', 'user_created')")).one()
        users_made = c.execute(text('SELECT MAX(created_at) FROM "user" WHERE login LIKE \'demo-%\'')).scalar()
        entered = c.execute(text("""SELECT p."end", MAX(m.entered_at) FROM measurement m JOIN period p ON p.id = m.period_id
                                    GROUP BY p."end" ORDER BY p."end" DESC""")).all()
    assert fmt.moment(audit[0]) == fmt.moment(audit[1]) == "15.10.2024 09:00"
    assert fmt.moment(users_made) == "15.10.2024 09:00"
    for end, at in entered:
        end = date.fromisoformat(str(end)[:10])
        assert fmt.moment(at) == fmt.date_text(min(end + timedelta(days=7), DEMO_DAY)) + " 12:00"
