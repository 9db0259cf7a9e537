"""Administration in core (users, audit log) and the operator CLI."""

import io

import pytest
from sqlmodel import select

from core import auth, cli, users
from core.db import session_scope
from core.models import User
from tests.helpers import scope_of, settings


def test_only_an_admin_manages_users(demo_db_rw):
    for login in ("demo-head", "demo-methodist", "demo-principal", "demo-curator"):
        sc = scope_of(demo_db_rw, login)
        with pytest.raises(auth.AccessDenied):
            users.list_users(sc, demo_db_rw)
        with pytest.raises(auth.AccessDenied):
            users.create(sc, login="x", password="длинный-пароль", full_name="X", role="admin", engine=demo_db_rw)
        with pytest.raises(auth.AccessDenied):
            users.reset_password(sc, 1, "длинный-пароль", demo_db_rw)
        with pytest.raises(auth.AccessDenied):
            users.audit_log(sc, engine=demo_db_rw)


def test_admin_creates_deactivates_and_resets(demo_db_rw):
    admin = scope_of(demo_db_rw, "demo-admin")
    with pytest.raises(auth.AuthError, match="укажите школу"):
        users.create(admin, login="dir3", password="длинный-пароль", full_name="Директор", role="principal",
                     engine=demo_db_rw)
    uid = users.create(admin, login="Dir3", password="длинный-пароль", full_name="Директор СОШ № 3",
                       role="principal", school_id=3, engine=demo_db_rw)
    with pytest.raises(auth.AuthError, match="уже есть"):
        users.create(admin, login="dir3", password="длинный-пароль", full_name="X", role="principal", school_id=3,
                     engine=demo_db_rw)
    table = users.list_users(admin, demo_db_rw)
    row = table[table["login"] == "dir3"].iloc[0]
    assert row["school"] == "СОШ № 3 (демо)" and row["territory"] == "город Невинномысск"
    token = auth.login("dir3", "длинный-пароль", engine=demo_db_rw, settings=settings()).token
    users.set_active(admin, uid, False, demo_db_rw)
    assert auth.resolve(token, engine=demo_db_rw) is None
    users.set_active(admin, uid, True, demo_db_rw)
    token = auth.login("dir3", "длинный-пароль", engine=demo_db_rw, settings=settings()).token
    users.reset_password(admin, uid, "другой-пароль", demo_db_rw)
    assert auth.resolve(token, engine=demo_db_rw) is None
    assert auth.login("dir3", "другой-пароль", engine=demo_db_rw, settings=settings()).ok
    with pytest.raises(auth.AuthError, match="собственную"):
        users.set_active(admin, admin.user_id, False, demo_db_rw)
    log = users.audit_log(admin, actions=["user_created", "user_deactivated", "password_reset"], engine=demo_db_rw)
    assert list(log["Действие"]) == ["сброс пароля", "пользователь отключён", "создан пользователь"]
    assert set(users.audit_log(admin, login="dir3", engine=demo_db_rw)["Действие"]) == {"вход"}


def test_change_own_password(demo_db_rw):
    sc = scope_of(demo_db_rw, "demo-curator")
    token = auth.login("demo-curator", "demo", engine=demo_db_rw, settings=settings()).token
    with pytest.raises(auth.AuthError, match="неверно"):
        users.change_own_password(sc, "wrong", "новый-пароль-1", demo_db_rw)
    with pytest.raises(auth.AuthError, match="короткий"):
        users.change_own_password(sc, "demo", "123", demo_db_rw)
    users.change_own_password(sc, "demo", "новый-пароль-1", demo_db_rw)
    assert auth.resolve(token, engine=demo_db_rw) is None


def test_cli_create_admin_and_reset_password(empty_db, monkeypatch):
    monkeypatch.setattr("core.cli.ensure_database", lambda: empty_db)
    monkeypatch.setattr("sys.stdin", io.StringIO("пароль-админа\n"))
    assert cli.main(["create-admin", "--login", "boss", "--name", "Начальник", "--password-stdin"]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("пароль-админа\n"))
    assert cli.main(["create-admin", "--login", "boss2", "--name", "Второй", "--password-stdin"]) == 2
    monkeypatch.setattr("sys.stdin", io.StringIO("новый-пароль-9\n"))
    assert cli.main(["reset-password", "--login", "boss", "--password-stdin"]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("новый-пароль-9\n"))
    assert cli.main(["reset-password", "--login", "nobody", "--password-stdin"]) == 2
    with session_scope(empty_db) as s:
        assert [u.login for u in s.exec(select(User)).all()] == ["boss"]
    assert auth.login("boss", "новый-пароль-9", engine=empty_db, settings=settings()).ok
