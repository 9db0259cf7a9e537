"""Issue 17 in core: logins that scale (Argon2 outside the write lock, OWASP parameters, rehash),
throttling that cannot be turned against the owner, the administrator's view of throttles, trusted
proxies, the atomic first run, refusals audited without holding a lock, session revocation."""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import text
from sqlmodel import select

from core import auth, db as core_db, users
from core.db import session_scope
from core.models import AuditEvent, LoginAttempt, User, utcnow
from core.settings import Settings
from devkit import HARNESS


def settings(**kw) -> Settings:
    base = dict(database_url="", demo="0", session_hours=12, idle_minutes=60, secure_cookie=False,
                login_max_failures=3, login_window_minutes=15, login_ip_max_logins=4)
    base.update(kw)
    return Settings(**base)


def scope_of(engine, login):
    with session_scope(engine) as s:
        return auth.scope_for(s, s.exec(select(User).where(User.login == login)).one())


def audit_rows(engine, action):
    with session_scope(engine) as s:
        return s.exec(select(AuditEvent).where(AuditEvent.action == action)).all()


def fail(engine, login, ip, n, st):
    for _ in range(n):
        assert not auth.login(login, "wrong-password", ip=ip, engine=engine, settings=st).ok


# ---------------------------------------------------------------------------------------------
# 1. Logins that scale
# ---------------------------------------------------------------------------------------------
def test_argon2_runs_outside_any_write_transaction(demo_db_rw, monkeypatch):
    seen = []
    real = auth.passwords._hasher

    class Spy:  # records, for every Argon2 computation, whether a write transaction was open
        def __getattr__(self, name):
            return getattr(real, name)

        def verify(self, *a):
            seen.append(core_db.in_write_transaction())
            return real.verify(*a)

        def hash(self, *a):
            seen.append(core_db.in_write_transaction())
            return real.hash(*a)

    monkeypatch.setattr(auth.passwords, "_hasher", Spy())
    st = settings()
    assert auth.login("demo-head", "demo", ip="10.1.0.1", engine=demo_db_rw, settings=st).ok
    assert not auth.login("demo-head", "nope", ip="10.1.0.1", engine=demo_db_rw, settings=st).ok
    admin = scope_of(demo_db_rw, "demo-admin")
    uid = users.create(admin, login="new-person", password="пароль-длинный", full_name="Н. П.", role="head",
                       territory_id=1, engine=demo_db_rw)
    users.reset_password(admin, uid, "другой-пароль-1", engine=demo_db_rw)
    users.change_own_password(scope_of(demo_db_rw, "new-person"), "другой-пароль-1", "третий-пароль-2",
                              engine=demo_db_rw)
    assert seen and not any(seen), seen


def test_owasp_parameters_and_rehash_on_login(demo_db_rw):
    h = auth.hash_password("x" * 10)
    assert h.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    old = PasswordHasher(time_cost=3, memory_cost=65536, parallelism=4).hash("demo")
    with session_scope(demo_db_rw, write=True) as s:
        s.execute(text("UPDATE \"user\" SET password_hash = :h WHERE login = 'demo-curator'"), {"h": old})
    assert auth.login("demo-curator", "demo", engine=demo_db_rw, settings=settings()).ok
    with session_scope(demo_db_rw) as s:
        new = s.exec(select(User.password_hash).where(User.login == "demo-curator")).one()
    assert new != old and new.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert auth.login("demo-curator", "demo", engine=demo_db_rw, settings=settings()).ok


def test_thirty_logins_at_once_all_succeed(demo_db_rw):
    st = settings(login_max_failures=100)
    names = ["demo-head", "demo-methodist", "demo-principal", "demo-curator", "demo-admin"] * 6
    with ThreadPoolExecutor(30) as pool:
        results = list(pool.map(lambda n: auth.login(n, "demo", ip="10.2.0.1", engine=demo_db_rw, settings=st),
                                names))
    assert all(r.ok for r in results), [r.message for r in results if not r.ok]
    assert len(audit_rows(demo_db_rw, "login")) >= 30


# ---------------------------------------------------------------------------------------------
# 2. Throttling
# ---------------------------------------------------------------------------------------------
def test_failures_elsewhere_never_refuse_the_owner(demo_db_rw, monkeypatch):
    st = settings()
    # waits over the limit held long: on a loaded machine a 1–4 s wait could pass between two attempts
    monkeypatch.setattr(auth.throttling, "_progressive", lambda excess, _s: 0.0 if excess < 0 else 60.0)
    fail(demo_db_rw, "demo-methodist", "203.0.113.66", 12, st)  # somebody guessing from afar
    r = auth.login("demo-methodist", "demo", ip="10.0.0.5", engine=demo_db_rw, settings=st)
    assert r.ok, r.message  # the owner from their own address is not refused
    r = auth.login("demo-methodist", "demo", ip="203.0.113.66", engine=demo_db_rw, settings=st)
    assert not r.ok and "Подождите" in r.message and r.retry_after >= 1  # the guesser waits


def test_delay_is_progressive_not_a_lock(demo_db_rw):
    st = settings(login_max_failures=3, login_max_delay_seconds=60)
    ip = "198.51.100.7"
    waits = []
    with session_scope(demo_db_rw, write=True) as s:
        now = utcnow()
        for i in range(8):
            s.add(LoginAttempt(login="demo-head", ip=ip, success=False, at=now - timedelta(seconds=1)))
            s.flush()
            waits.append(round(auth.throttle_for(s, "demo-head", ip, st, now=now).wait_seconds))
    # from the third failure on: 1, 2, 4, 8 … s after the last failure (1 s ago here), capped
    assert waits == [0, 0, 0, 1, 3, 7, 15, 31], waits
    with session_scope(demo_db_rw) as s:
        later = utcnow() + timedelta(seconds=70)
        assert auth.throttle_for(s, "demo-head", ip, st, now=later).wait_seconds == 0  # never a hard lock


def test_a_parallel_burst_of_wrong_passwords_counts_up_to_the_limit(demo_db_any, monkeypatch):
    """A fresh address, eight wrong passwords at once: exactly `login_max_failures` of them are
    checked and recorded, the other five are throttled, as if they had come one after another."""
    st = settings(login_max_failures=3, login_max_delay_seconds=60)
    ip = "203.0.113.78"
    real = auth.verify_password
    monkeypatch.setattr(auth.passwords, "verify_password", lambda h, p: (threading.Event().wait(0.4), real(h, p))[1])
    # the first wait over the limit is 1 s: on a loaded machine a late thread could arrive after it and be
    # rightly let through; a long wait keeps the test about counting, not about the clock
    monkeypatch.setattr(auth.throttling, "_progressive", lambda excess, _s: 0.0 if excess < 0 else 60.0)
    barrier = threading.Barrier(8)

    def attempt(_):
        barrier.wait(10)
        return auth.login("demo-methodist", "wrong-password", ip=ip, engine=demo_db_any, settings=st)

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(attempt, range(8)))
    wrong = [r for r in results if r.message == "Неверный логин или пароль."]
    throttled = [r for r in results if "Подождите" in r.message]
    assert (len(wrong), len(throttled)) == (3, 5), [r.message for r in results]
    with session_scope(demo_db_any) as s:
        assert len(s.exec(select(LoginAttempt).where(LoginAttempt.ip == ip)).all()) == 3


def test_per_address_rule_counts_distinct_logins(demo_db_rw, monkeypatch):
    # the waits a minute long: this is about who is counted, and a loaded machine (Argon2 for every
    # attempt) may let the first wait of 1 s pass before the next login
    monkeypatch.setattr(auth.throttling, "_progressive", lambda excess, _st: 0.0 if excess < 0 else 60.0)
    st = settings(login_max_failures=100, login_ip_max_logins=4)
    ip = "192.0.2.10"  # an office behind one NAT
    fail(demo_db_rw, "demo-head", ip, 25, st)  # one person mistyping 25 times is one login
    assert auth.login("demo-curator", "demo", ip=ip, engine=demo_db_rw, settings=st).ok
    for name in ("a1", "a2", "a3", "a4"):  # a spray over four logins makes the address wait
        fail(demo_db_rw, name, ip, 1, st)
    r = auth.login("demo-principal", "demo", ip=ip, engine=demo_db_rw, settings=st)
    assert not r.ok and "Подождите" in r.message
    # ... except for a login already known at that address (people behind the same proxy)
    assert auth.login("demo-curator", "demo", ip=ip, engine=demo_db_rw, settings=st).ok
    assert audit_rows(demo_db_rw, "login_throttled")


def test_admin_sees_and_clears_throttles(demo_db_rw, monkeypatch):
    from core import settings as core_settings

    st = settings()
    monkeypatch.setattr(auth.throttling, "get_settings", lambda: st)
    monkeypatch.setattr(core_settings, "get_settings", lambda: st)
    with session_scope(demo_db_rw, write=True) as s:  # ten failures just now: a wait of minutes
        s.add_all([LoginAttempt(login="demo-head", ip="198.51.100.9", success=False) for _ in range(10)])
    admin = scope_of(demo_db_rw, "demo-admin")
    table = users.throttles(admin, engine=demo_db_rw)
    row = table[(table.login == "demo-head") & (table.ip == "198.51.100.9")]
    assert len(row) == 1 and row.iloc[0].failures == 10 and row.iloc[0].wait_seconds > 60
    assert not auth.login("demo-head", "demo", ip="198.51.100.9", engine=demo_db_rw, settings=st).ok
    with pytest.raises(auth.AccessDenied):
        users.clear_throttle(scope_of(demo_db_rw, "demo-head"), login="demo-head", ip="198.51.100.9",
                             engine=demo_db_rw)
    assert users.clear_throttle(admin, login="demo-head", ip="198.51.100.9", engine=demo_db_rw) == 10
    assert auth.login("demo-head", "demo", ip="198.51.100.9", engine=demo_db_rw, settings=st).ok
    cleared = audit_rows(demo_db_rw, "throttle_cleared")
    assert len(cleared) == 1 and cleared[0].login == "demo-admin" and "198.51.100.9" in cleared[0].details


# ---------------------------------------------------------------------------------------------
# 3. Trusted proxies
# ---------------------------------------------------------------------------------------------
def test_client_address_believes_only_trusted_proxies():
    xff = ["6.6.6.6, 10.9.8.7"]
    assert auth.client_address("127.0.0.1", xff, ()) == "127.0.0.1"  # default: nobody is trusted
    assert auth.client_address("203.0.113.5", xff, ("127.0.0.1",)) == "203.0.113.5"
    # the proxy appends the real peer on the right; the left part is the client's own claim
    assert auth.client_address("127.0.0.1", xff, ("127.0.0.1",)) == "10.9.8.7"
    assert auth.client_address("10.0.0.2", ["6.6.6.6, 10.9.8.7, 10.0.0.3"], ("10.0.0.0/24",)) == "10.9.8.7"
    assert auth.client_address("::1", ["2001:db8::5"], ("::1",)) == "2001:db8::5"
    assert auth.client_address("127.0.0.1", ["<script>"], ("127.0.0.1",)) == "127.0.0.1"
    assert auth.client_address("127.0.0.1", [], ("127.0.0.1",)) == "127.0.0.1"


# ---------------------------------------------------------------------------------------------
# 4. Atomic first run
# ---------------------------------------------------------------------------------------------
def test_first_run_race_creates_one_admin(empty_db):
    barrier = threading.Barrier(4)

    def attempt(i):
        barrier.wait()
        try:
            auth.create_first_admin(f"admin{i}", "длинный-пароль", f"Админ {i}", engine=empty_db)
            return "ok"
        except auth.AuthError as exc:
            return str(exc)

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(attempt, range(4)))
    assert results.count("ok") == 1, results
    assert all(r == auth.FIRST_ADMIN_EXISTS for r in results if r != "ok")
    with session_scope(empty_db) as s:
        assert s.exec(select(User)).all().__len__() == 1


# ---------------------------------------------------------------------------------------------
# 5. Refusals: no lock held, always audited
# ---------------------------------------------------------------------------------------------
def test_refused_undo_is_audited_and_does_not_hold_the_lock(demo_db_rw):
    from core.ingest import pipeline
    from tests import ingest_files as f

    methodist = scope_of(demo_db_rw, "demo-methodist")
    data = f.long_table([["NEV-02", "olympiad_participants", "2024-Q4", 40, None, None]])
    uid = pipeline.apply(methodist, pipeline.prepare(methodist, [("1.xlsx", data)], engine=demo_db_rw), data,
                         accept_warnings=True, engine=demo_db_rw)
    curator = scope_of(demo_db_rw, "demo-curator")
    with pytest.raises(auth.AccessDenied):  # before: "database is locked" after 15 s, no audit entry
        pipeline.undo(curator, uid, engine=demo_db_rw)
    denied = audit_rows(demo_db_rw, "access_denied")
    assert any(d.login == "demo-curator" and f"№ {uid}" in d.details for d in denied)
    assert not core_db.in_write_transaction()


def test_refused_writes_are_audited_once_with_who_and_why(demo_db_any):
    """Refusals that are not access denials — an undo conflict, an undo into an approved quarter, a
    step of the cycle out of order, a taken login — roll back and are audited (write_refused)."""
    from core import cycle
    from core.ingest import pipeline
    from core.ingest.problems import IngestError
    from tests import ingest_files as f

    eng = demo_db_any
    meth, head, admin = (scope_of(eng, n) for n in ("demo-methodist", "demo-head", "demo-admin"))

    def upload(value, period):
        data = f.long_table([["NEV-02", "olympiad_participants", period, value, None, None]])
        return pipeline.apply(meth, pipeline.prepare(meth, [(f"{value}.xlsx", data)], engine=eng), data,
                              accept_warnings=True, engine=eng)

    def refused():
        return sorted(audit_rows(eng, "write_refused"), key=lambda r: r.id)

    u1, u2 = upload(40, "2024-Q4"), upload(41, "2024-Q4")
    with pytest.raises(IngestError, match=f"изменена загрузкой № {u2}"):
        pipeline.undo(meth, u1, engine=eng)
    rows = refused()
    assert len(rows) == 1 and rows[0].login == "demo-methodist" and rows[0].user_id == meth.user_id
    assert "отмена загрузки" in rows[0].details and f"№ {u2}" in rows[0].details

    u3 = upload(42, "2024-Q3")
    cycle.mark_checked(meth, 1, "2024-Q3", eng)
    cycle.approve(head, 1, "2024-Q3", eng)
    with pytest.raises(cycle.QuarterLocked):
        pipeline.undo(meth, u3, eng)  # raised inside the undo's write transaction
    assert len(refused()) == 2 and "утвержд" in refused()[-1].details

    with pytest.raises(cycle.CycleError):
        cycle.approve(head, 1, "2024-Q3", eng)  # already approved
    assert len(refused()) == 3 and refused()[-1].login == "demo-head"

    with pytest.raises(auth.AuthError):
        users.create(admin, login="demo-head", password="длинный-пароль", full_name="Двойник", role="head",
                     territory_id=1, engine=eng)
    assert len(refused()) == 4 and "demo-head" in refused()[-1].details
    assert not core_db.in_write_transaction()
    # an access denial is audited as such, not twice
    with pytest.raises(auth.AccessDenied):
        users.create(head, login="x-person", password="длинный-пароль", full_name="X", role="head",
                     territory_id=1, engine=eng)
    assert len(refused()) == 4


def test_every_write_entry_point_audits_its_refusals():
    """Every public function of core that takes the Scope first and opens a write transaction
    (itself or through a private helper of its module) carries `auth.audits_refusals`."""
    import ast
    import importlib
    import inspect as _inspect
    from pathlib import Path

    root = Path(auth.__file__).parent.parent  # core/
    missing = []
    for path in sorted(root.rglob("*.py")):
        if path.parent.name == "auth" or path.name in ("db.py", "cli.py"):
            continue
        src = path.read_text(encoding="utf-8")
        tree = ast.parse(src)
        funcs = {n.name: ast.get_source_segment(src, n) for n in tree.body if isinstance(n, ast.FunctionDef)}
        writers = {name for name, body in funcs.items() if "write=True" in body}
        module = importlib.import_module(".".join(path.relative_to(root.parent).with_suffix("").parts))
        for name, body in funcs.items():
            if name.startswith("_"):
                continue
            params = list(_inspect.signature(getattr(module, name)).parameters)
            if not params or params[0] != "scope":
                continue
            helpers = {h for h in writers if h.startswith("_") and f"{h}(" in body}
            if name in writers or helpers:
                if not getattr(getattr(module, name), "audits_refusals", None):
                    missing.append(f"{module.__name__}.{name}")
    assert not missing, missing


def test_deny_outside_a_transaction_writes_at_once(demo_db_rw):
    head = scope_of(demo_db_rw, "demo-head")
    with pytest.raises(auth.AccessDenied):
        users.list_users(head, engine=demo_db_rw)
    assert audit_rows(demo_db_rw, "access_denied")


# ---------------------------------------------------------------------------------------------
# 7. Sessions
# ---------------------------------------------------------------------------------------------
def test_a_new_login_revokes_the_browsers_previous_session(demo_db_rw):
    st = settings()
    first = auth.login("demo-head", "demo", engine=demo_db_rw, settings=st)
    other_browser = auth.login("demo-head", "demo", engine=demo_db_rw, settings=st)
    second = auth.login("demo-admin", "demo", engine=demo_db_rw, settings=st, previous_token=first.token)
    assert auth.resolve(first.token, engine=demo_db_rw, settings=st) is None
    assert auth.resolve(second.token, engine=demo_db_rw, settings=st).login == "demo-admin"
    assert auth.resolve(other_browser.token, engine=demo_db_rw, settings=st) is not None


def test_restore_ends_every_session(demo_db_rw, tmp_path):
    from core import maintenance

    st = settings()
    admin = scope_of(demo_db_rw, "demo-admin")
    early = auth.login("demo-head", "demo", engine=demo_db_rw, settings=st)
    copy = maintenance.backup(admin, demo_db_rw, tmp_path)  # the copy holds `early` as open
    late = auth.login("demo-methodist", "demo", engine=demo_db_rw, settings=st)
    maintenance.restore(admin, copy.name, confirm=True, engine=demo_db_rw, directory=tmp_path)
    assert auth.resolve(early.token, engine=demo_db_rw, settings=st) is None
    assert auth.resolve(late.token, engine=demo_db_rw, settings=st) is None
    assert auth.login("demo-head", "demo", engine=demo_db_rw, settings=st).ok


def test_logout_csrf_is_bound_to_the_session():
    a, b = auth.logout_csrf("token-a"), auth.logout_csrf("token-b")
    assert a and b and a != b and auth.logout_csrf(None) == ""


# ---------------------------------------------------------------------------------------------
# The administrator's page: throttles shown and cleared
# ---------------------------------------------------------------------------------------------
def test_admin_page_shows_and_clears_a_throttle(env_demo_url):
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from core.startup import ensure_database

    st.cache_data.clear()
    st.cache_resource.clear()
    engine = ensure_database(env_demo_url)
    with session_scope(engine, write=True) as s:
        s.add_all([LoginAttempt(login="demo-head", ip="198.51.100.20", success=False) for _ in range(9)])
    at = AppTest.from_file(HARNESS, default_timeout=60)
    at.session_state["test_login"] = "demo-admin"
    at.run()
    at.switch_page("../app_pages/admin.py")
    at.run()
    assert not at.exception, at.exception
    shown = [d.value for d in at.dataframe if "Неудачных попыток" in d.value.columns]
    assert shown and list(shown[0]["Логин"]) == ["demo-head"] and list(shown[0]["Адрес"]) == ["198.51.100.20"]
    at.button(key="throttle_clear").click().run()
    assert not at.exception and any("Задержка снята" in x.value for x in at.success)
    assert auth.login("demo-head", "demo", ip="198.51.100.20", engine=engine).ok
    assert audit_rows(engine, "throttle_cleared")
    st.cache_data.clear()
    st.cache_resource.clear()


# ---------------------------------------------------------------------------------------------
# 8. Fresh data: the data version
# ---------------------------------------------------------------------------------------------
def test_every_data_write_bumps_the_version_and_logins_do_not(demo_db_any, tmp_path):
    from core.ingest import pipeline
    from tests import ingest_files as f

    v = [core_db.data_version(demo_db_any)]
    assert v[0]

    def changed() -> bool:
        v.append(core_db.data_version(demo_db_any))
        return v[-1] != v[-2]

    assert auth.login("demo-head", "demo", engine=demo_db_any, settings=settings()).ok
    assert not auth.login("demo-head", "bad", engine=demo_db_any, settings=settings()).ok
    assert not changed()  # sessions, attempts and audit entries are not data
    methodist = scope_of(demo_db_any, "demo-methodist")
    data = f.long_table([["NEV-02", "olympiad_participants", "2024-Q4", 40, None, None]])
    uid = pipeline.apply(methodist, pipeline.prepare(methodist, [("1.xlsx", data)], engine=demo_db_any), data,
                         accept_warnings=True, engine=demo_db_any)
    assert changed()
    pipeline.undo(methodist, uid, engine=demo_db_any)
    assert changed()
    admin = scope_of(demo_db_any, "demo-admin")
    users.create(admin, login="fresh", password="пароль-длинный", full_name="Ф", role="head", territory_id=1,
                 engine=demo_db_any)
    assert changed()
    with session_scope(demo_db_any, write=True) as s:  # any other write path (CLI, roadmap load …)
        s.execute(text("UPDATE roadmap SET title = title || ' ' WHERE id = 1"))
    assert changed()
    assert len(set(v)) == len(v) - 1  # never reused


def test_overview_shows_a_write_made_elsewhere_at_the_next_rerun(env_demo_url):
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from core.startup import ensure_database

    st.cache_data.clear()
    st.cache_resource.clear()
    engine = ensure_database(env_demo_url)
    at = AppTest.from_file(HARNESS, default_timeout=60)
    at.session_state["test_login"] = "demo-head"
    at.run()
    assert not at.exception, at.exception
    before = " ".join(c.value for c in list(at.caption) + list(at.markdown))
    # the command line (another process) renames the roadmap
    with session_scope(engine, write=True) as s:
        s.execute(text("UPDATE roadmap SET title = 'Переименованная дорожная карта' "
                       "WHERE id = (SELECT MIN(id) FROM roadmap)"))
    at.run()
    after = " ".join(c.value for c in list(at.caption) + list(at.markdown))
    assert "Переименованная дорожная карта" in after and "Переименованная" not in before
    st.cache_data.clear()
    st.cache_resource.clear()


# ---------------------------------------------------------------------------------------------
# 6. User text is text
# ---------------------------------------------------------------------------------------------
EVIL = "[x](http://evil)![i](http://127.0.0.1:9/b.png)<a href=x>"


def plant_evil(engine) -> None:
    """Hostile text in every kind of user text the pages show."""
    with session_scope(engine, write=True) as s:
        s.execute(text("UPDATE school SET short_name = :e, name = :e WHERE code IN ('NEV-02', 'NEV-05')"), {"e": EVIL})
        s.execute(text("UPDATE roadmap SET title = :e, approved_by = :e, goal = :e"), {"e": EVIL})
        s.execute(text("UPDATE activity SET title = :e, responsible = :e, deadline_text = :e "
                       "WHERE id IN (SELECT id FROM activity ORDER BY id LIMIT 5)"), {"e": EVIL})
        s.execute(text("UPDATE riskfactor SET name = :e WHERE id IN (SELECT id FROM riskfactor ORDER BY id LIMIT 3)"),
                  {"e": EVIL})
        s.execute(text("UPDATE target SET wording = :e"), {"e": EVIL})
        s.execute(text("UPDATE \"user\" SET full_name = :e"), {"e": EVIL})


def test_md_text_leaves_nothing_to_interpret():
    from core.formatting import md_text

    out = md_text(EVIL)
    for active in ("[", "]", "<", ">", "http:"):
        assert active not in out
    assert html_unescape(out).replace("\u2060", "") == EVIL  # shown exactly as typed


def test_md_text_never_leaves_a_blank_line():
    """A blank line ends an HTML block in Markdown (a tile, a table, a card, the timeline): the rest of the
    block would show as text. Typed in a cell (Alt+Enter twice), on Windows (CRLF) or with spaces between,
    it becomes one line break; a lone CR is a line break too, not «�»."""
    from core.formatting import md_text

    for typed in ("Иванов\n\nПетров", "Иванов\r\n\r\nПетров", "Иванов\n \t\n\nПетров", "Иванов\rПетров"):
        assert md_text(typed) == "Иванов\nПетров", typed
    html = '<div class="tile">' + md_text("СОШ\n\n**1**") + "</div>"
    assert "\n\n" not in html and "**" not in html


def html_unescape(s):
    from html import unescape

    return unescape(s)


def _texts(node, out):
    for attr in ("value", "label", "body"):
        v = getattr(node, attr, None)
        if isinstance(v, str):
            out.append(v)
    proto = getattr(node, "proto", None)
    spec = getattr(proto, "spec", None)
    if isinstance(spec, str):
        out.append(("chart", spec))  # a Vega-Lite spec: no Markdown nor HTML there
    for child in getattr(node, "children", {}).values():
        _texts(child, out)
    return out


PAGES_BY_LOGIN = {
    "demo-head": ["overview", "roadmap", "risks", "indicator", "school"],
    "demo-methodist": ["upload", "roadmap"],
    "demo-curator": ["curated", "school"],
    "demo-principal": ["school", "account"],
    "demo-admin": ["admin", "account"],
}


# expanders and the roadmap's filter lists are built when opened (ui.common.lazy_expander, «Отбор пунктов»)
OPENED_BY_A_CLICK = {"roadmap": ("rm_about", "flt_open"), "indicator": ("ind_periods", "ind_how"),
                     "school": ("school_office_items",)}


@pytest.mark.parametrize("login", list(PAGES_BY_LOGIN))
def test_hostile_names_render_as_text_on_every_page(env_demo_url, login):
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from core.startup import ensure_database

    st.cache_data.clear()
    st.cache_resource.clear()
    plant_evil(ensure_database(env_demo_url))
    live = []
    for page in PAGES_BY_LOGIN[login]:
        at = AppTest.from_file(HARNESS, default_timeout=60)
        at.session_state["test_login"] = login
        at.run()
        at.switch_page(f"../app_pages/{page}.py")
        at.run()
        for key in OPENED_BY_A_CLICK.get(page, ()):  # what is built when opened: opened, as a person would
            at.session_state[key] = True
        at.run()
        assert not at.exception, (page, at.exception)
        texts = _texts(at._tree, [])
        shown = " ".join(t if isinstance(t, str) else t[1] for t in texts)
        assert "&#91;x&#93;" in shown or "x](" in shown, page  # the hostile text is on the page …
        live += [(page, t[:200]) for t in texts  # … and nowhere as live Markdown or HTML
                 if isinstance(t, str) and ("](http" in t or "<a href=x>" in t or "![i]" in t
                                            or "http://127.0.0.1:9" in html_unescape(t))]  # GFM autolink
        live += [(page, "chart: " + t[1][t[1].index("<a href=x>") - 100:][:200]) for t in texts
                 if not isinstance(t, str) and "<a href=x>" in t[1] and "vega-lite" not in t[1]]
        # (Vega-Lite draws labels as text and vega-tooltip escapes HTML: nothing to escape there)
    st.cache_data.clear()
    st.cache_resource.clear()
    assert not live, live


def test_error_messages_carrying_user_text_render_as_text(env_demo_url):
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from core.startup import ensure_database

    st.cache_data.clear()
    st.cache_resource.clear()
    ensure_database(env_demo_url)
    hostile = "[x](http://evil)"  # since issue 29 refused as a login, the refusal quoting its «[»
    at = AppTest.from_file(HARNESS, default_timeout=60)
    at.session_state["test_login"] = "demo-admin"
    at.run()
    at.switch_page("../app_pages/admin.py")
    at.run()
    at.text_input(key="new_login").input(hostile)
    at.text_input(key="new_name").input("Второй")
    at.selectbox(key="new_role").set_value("head")
    at.selectbox(key="new_territory").set_value(1)
    at.text_input(key="new_password").input("пароль-длинный-2")
    next(b for b in at.get("button") if getattr(b, "label", "") == "Создать").click().run()
    errors = [e.value for e in at.error]
    assert any("«&#91;» недопустим" in e for e in errors), errors  # the core's message, quoting the login …
    assert not any("](http" in e or "«[»" in e for e in errors), errors  # … shown as text
    st.cache_data.clear()
    st.cache_resource.clear()
