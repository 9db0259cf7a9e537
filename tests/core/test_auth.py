"""Passwords, sessions, throttling, the first administrator and the Scope of every role."""

from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlmodel import select

from core import auth
from core.read import lists
from core.read import overview as read_overview
from core.read import school as read_school
from core.db import session_scope
from core.models import AuditEvent, AuthSession, LoginAttempt, User, utcnow
from tests.helpers import roadmap_id, school_id, scope_of, settings


def test_argon2_hashing():
    h = auth.hash_password("секретный пароль")
    assert h.startswith("$argon2")
    assert auth.verify_password(h, "секретный пароль")
    assert not auth.verify_password(h, "секретный парол")
    assert not auth.verify_password(None, "anything")  # unknown user: dummy hash, always false
    assert not auth.verify_password("not a hash", "x")


def test_login_resolve_logout(demo_db):
    r = auth.login("demo-head", "demo", ip="10.0.0.1", engine=demo_db, settings=settings())
    assert r.ok and r.token and len(r.token) >= 40
    user = auth.resolve(r.token, engine=demo_db, settings=settings())
    assert user is not None and user.login == "demo-head"
    with session_scope(demo_db) as s:  # only the hash of the token is stored
        stored = s.exec(select(AuthSession).where(AuthSession.user_id == user.id)).all()
        assert all(x.token_hash != r.token for x in stored)
        assert any(x.token_hash == auth.token_hash(r.token) for x in stored)
    auth.logout(r.token, engine=demo_db)
    assert auth.resolve(r.token, engine=demo_db, settings=settings()) is None
    assert auth.resolve("forged-token", engine=demo_db) is None
    assert auth.resolve(None, engine=demo_db) is None


def test_wrong_password_and_unknown_user_get_the_same_answer(demo_db):
    a = auth.login("demo-head", "wrong", engine=demo_db, settings=settings(login_max_failures=100))
    b = auth.login("nobody", "wrong", engine=demo_db, settings=settings(login_max_failures=100))
    assert not a.ok and not b.ok and a.message == b.message == "Неверный логин или пароль."


def test_throttling_after_repeated_failures(demo_db_rw):
    st = settings(login_max_failures=3)
    for _ in range(3):
        assert not auth.login("demo-methodist", "bad", ip="10.0.0.9", engine=demo_db_rw, settings=st).ok
    with session_scope(demo_db_rw, write=True) as s:  # and three more just now: a wait of seconds
        s.add_all([LoginAttempt(login="demo-methodist", ip="10.0.0.9", success=False) for _ in range(3)])
    r = auth.login("demo-methodist", "demo", ip="10.0.0.9", engine=demo_db_rw, settings=st)
    assert not r.ok and "Слишком много" in r.message  # even the right password waits at that address
    # the same login from another address, and another login, are not affected
    assert auth.login("demo-methodist", "demo", ip="10.0.0.10", engine=demo_db_rw, settings=st).ok
    assert auth.login("demo-head", "demo", ip="10.0.0.9", engine=demo_db_rw, settings=st).ok
    with session_scope(demo_db_rw) as s:
        assert s.exec(select(AuditEvent).where(AuditEvent.action == "login_throttled")).first()


def test_password_change_and_deactivation_revoke_sessions(demo_db_rw):
    st = settings()
    r1 = auth.login("demo-principal", "demo", engine=demo_db_rw, settings=st)
    r2 = auth.login("demo-principal", "demo", engine=demo_db_rw, settings=st)
    with session_scope(demo_db_rw, write=True) as s:
        user = s.exec(select(User).where(User.login == "demo-principal")).one()
        auth.set_password(s, user, "новый-пароль-123")
    assert auth.resolve(r1.token, engine=demo_db_rw, settings=st) is None
    assert auth.resolve(r2.token, engine=demo_db_rw, settings=st) is None
    r3 = auth.login("demo-principal", "новый-пароль-123", engine=demo_db_rw, settings=st)
    assert auth.resolve(r3.token, engine=demo_db_rw, settings=st) is not None
    with session_scope(demo_db_rw, write=True) as s:
        user = s.exec(select(User).where(User.login == "demo-principal")).one()
        user.is_active = False
        s.add(user)
    assert auth.resolve(r3.token, engine=demo_db_rw, settings=st) is None
    assert not auth.login("demo-principal", "новый-пароль-123", engine=demo_db_rw, settings=st).ok


def test_session_expiry_and_idle_timeout(demo_db_rw):
    st = settings(session_hours=1, idle_minutes=30)
    for field, value in (("last_seen_at", utcnow() - timedelta(minutes=31)),  # idle too long
                         ("expires_at", utcnow() - timedelta(seconds=1))):  # past its lifetime
        r = auth.login("demo-head", "demo", engine=demo_db_rw, settings=st)
        assert auth.resolve(r.token, engine=demo_db_rw, settings=st) is not None
        with session_scope(demo_db_rw, write=True) as s:
            sess = s.exec(select(AuthSession).where(AuthSession.token_hash == auth.token_hash(r.token))).one()
            setattr(sess, field, value)
            s.add(sess)
        assert auth.resolve(r.token, engine=demo_db_rw, settings=st) is None, field


def test_first_admin_only_once(empty_db):
    assert not auth.has_users(empty_db)
    with pytest.raises(auth.AuthError, match="короткий"):
        auth.create_first_admin("admin", "short", "Админ", engine=empty_db)
    auth.create_first_admin("Admin", "длинный-пароль", "Админ", engine=empty_db)
    assert auth.has_users(empty_db)
    with pytest.raises(auth.AuthError, match="уже создан"):
        auth.create_first_admin("admin2", "длинный-пароль", "Админ", engine=empty_db)
    assert auth.login("admin", "длинный-пароль", engine=empty_db, settings=settings()).ok


# ---------------------------------------------------------------------------------------------
# Scope
# ---------------------------------------------------------------------------------------------
def denied_count(engine):
    with engine.connect() as c:
        return c.execute(text("SELECT COUNT(*) FROM auditevent WHERE action = 'access_denied'")).scalar()


def test_scope_admin_sees_everything(demo_db):
    sc = scope_of(demo_db, "demo-admin")
    assert sc.sees_everything
    assert len(lists.roadmaps(sc, demo_db)) == 5
    assert len(lists.schools(sc, demo_db)) == 36  # 10 invented + 26 named in seeds 001, 003, 004


def test_scope_head_and_methodologist_see_their_territory(demo_db):
    for login in ("demo-head", "demo-methodist"):
        sc = scope_of(demo_db, login)
        assert [r.code for r in lists.roadmaps(sc, demo_db)] == ["nev-2024"]
        assert {s.code for s in lists.schools(sc, demo_db)} == {f"NEV-{n:02d}" for n in (1, 2, 3, 5, 7, 8, 11, 12, 14, 16)}
        read_overview.overview(sc, roadmap_id(demo_db, "nev-2024"), engine=demo_db)
        with pytest.raises(auth.AccessDenied):
            read_overview.overview(sc, roadmap_id(demo_db, "okn-2021"), engine=demo_db)
        with pytest.raises(auth.AccessDenied):
            read_school.school_view(sc, school_id(demo_db, "OKN-01"), engine=demo_db)


def test_scope_principal_sees_only_their_school(demo_db_rw):
    sc = scope_of(demo_db_rw, "demo-principal")
    own = school_id(demo_db_rw, "NEV-02")
    assert sc.school_ids == frozenset({own})
    assert [s.id for s in lists.schools(sc, demo_db_rw)] == [own]
    view = read_school.school_view(sc, own, engine=demo_db_rw)
    assert view.school.code == "NEV-02" and len(view.targets) == 5
    before = denied_count(demo_db_rw)
    for other in ("NEV-05", "NEV-01", "OKN-01"):
        with pytest.raises(auth.AccessDenied):
            read_school.school_view(sc, school_id(demo_db_rw, other), engine=demo_db_rw)
    with pytest.raises(auth.AccessDenied):  # the territory overview lists every school
        read_overview.overview(sc, roadmap_id(demo_db_rw, "nev-2024"), engine=demo_db_rw)
    assert denied_count(demo_db_rw) == before + 4  # every refusal is in the audit log


def test_scope_curator_sees_own_and_curated_schools(demo_db):
    sc = scope_of(demo_db, "demo-curator")
    assert {s.code for s in lists.schools(sc, demo_db)} == {"NEV-01", "NEV-02", "NEV-05"}
    read_school.school_view(sc, school_id(demo_db, "NEV-05"), engine=demo_db)
    with pytest.raises(auth.AccessDenied):
        read_school.school_view(sc, school_id(demo_db, "NEV-08"), engine=demo_db)


def test_school_view_values_against_own_baseline_and_average(demo_db):
    sc = auth.system_scope()
    view = read_school.school_view(sc, school_id(demo_db, "NEV-02"), engine=demo_db)
    quality = next(t for t in view.targets if t.short_name == "Качество обучения")
    ev = quality.evaluation
    assert ev.target_value == pytest.approx(ev.baseline + 5)  # +5 p.p. from its own baseline
    assert quality.average is not None and quality.as_of_label == "III кв. 2024"
    start = next(t for t in view.targets if t.short_name == "Стартовые условия")
    assert start.evaluation.target_value == pytest.approx(start.average)  # not below the city average


def test_school_view_compares_counts_with_the_average_school(demo_db):
    sc = auth.system_scope()
    view = read_school.school_view(sc, school_id(demo_db, "NEV-02"), engine=demo_db)
    olymp = next(t for t in view.targets if t.short_name == "Участники олимпиад и конкурсов")
    with demo_db.connect() as c:
        total, n = c.execute(text(
            "SELECT SUM(m.value), COUNT(*) FROM measurement m JOIN indicator i ON i.id = m.indicator_id "
            "JOIN period p ON p.id = m.period_id WHERE i.code = 'olympiad_participants' AND p.code = '2024-Q3'")).one()
    assert n == 10
    assert olymp.average == pytest.approx(total / n)


def test_school_view_lists_risks_and_activities_overdue_first(demo_db_any):
    demo_db_rw = demo_db_any
    from datetime import date

    from core.models import Activity, ActivitySchool, ControlPoint, RiskFactor, SchoolRisk

    sid = school_id(demo_db_rw, "NEV-02")
    other = school_id(demo_db_rw, "NEV-05")
    with session_scope(demo_db_rw, write=True) as s:
        rf = RiskFactor(roadmap_id=1, group_code="1", group_name="Кадровые ресурсы школы", code="1.1",
                        name="Дефицит педагогических сотрудников")
        s.add(rf)
        s.flush()
        s.add(SchoolRisk(school_id=sid, risk_factor_id=rf.id))
        done = Activity(roadmap_id=1, number="1", title="Готово", due_date=date(2024, 2, 1), status="done")
        late = Activity(roadmap_id=1, number="2", title="Просрочено", due_date=date(2024, 3, 1),
                        deadline_text="Март 2024 года")
        soon = Activity(roadmap_id=1, number="3", title="Впереди", due_date=date(2024, 12, 1))
        theirs = Activity(roadmap_id=1, number="4", title="Чужая школа", due_date=date(2024, 1, 1))
        s.add_all([done, late, soon, theirs])
        s.flush()
        s.add(ActivitySchool(activity_id=theirs.id, school_id=other))
        s.add(ControlPoint(roadmap_id=1, number="11", title="Контрольная точка", due_date=date(2024, 5, 1)))
    view = read_school.school_view(auth.system_scope(), sid, engine=demo_db_rw, today=date(2024, 6, 1))
    assert [r.code for r in view.risks] == ["1.1"]
    mine = [a for a in view.activities if a.title in ("Просрочено", "Контрольная точка", "Впереди", "Готово",
                                                      "Чужая школа")]
    assert [a.title for a in mine] == ["Просрочено", "Контрольная точка", "Впереди", "Готово"]  # not the other school's
    assert [a.overdue for a in mine] == [True, True, False, False]
    overdue = [a.overdue for a in view.activities]
    assert overdue == sorted(overdue, reverse=True)  # every overdue item before the rest
