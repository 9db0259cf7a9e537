"""User accounts as auth sees them: creation (the first administrator's too) and password changes.
The administrator's screens over them are core.users."""

from __future__ import annotations

from sqlalchemy import func, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from core import policy
from core.auth.auditing import audit
from core.auth.base import AuthError
from core.auth.passwords import check_full_name, check_login, check_password_rules, hash_password
from core.auth.scope import Scope
from core.auth.sessions import revoke_user_sessions
from core.db import session_scope
from core.models import User, utcnow
from core.vocabulary import ROLE_LABELS, ROLES


def check_ties(role: str, territory_id: int | None, school_id: int | None) -> None:
    """A user of the role is tied to what the policy says it needs (a school, a territory)."""
    need = policy.needs(role)
    if need == "school" and not school_id:
        raise AuthError(f"Для роли «{ROLE_LABELS[role]}» укажите школу.")
    if need == "territory" and not territory_id:
        raise AuthError(f"Для роли «{ROLE_LABELS[role]}» укажите территорию.")


def create_user(session: Session, *, login: str, password: str, full_name: str, role: str,
                territory_id: int | None = None, school_id: int | None = None,
                check_rules: bool = True, password_hash: str | None = None) -> User:
    """`password_hash`: computed beforehand by the caller, so that Argon2 runs outside the write
    transaction (see `hash_password`)."""
    login = check_login(login)
    full_name = check_full_name(full_name)
    if role not in ROLES:
        raise AuthError(f"Неизвестная роль: {role}")
    check_ties(role, territory_id, school_id)
    if check_rules:
        check_password_rules(password)
    if session.exec(select(User).where(User.login == login)).first():
        raise AuthError(f"Пользователь с логином «{login}» уже есть.")
    user = User(login=login, full_name=full_name.strip() or login,
                password_hash=password_hash or hash_password(password),
                role=role, territory_id=territory_id, school_id=school_id)
    session.add(user)
    session.flush()
    return user


def has_users(engine: Engine | None = None) -> bool:
    with session_scope(engine) as s:
        return s.exec(select(func.count()).select_from(User)).one() > 0


FIRST_ADMIN_EXISTS = "Администратор уже создан. Войдите под своей учётной записью."
_FIRST_RUN_LOCK = 72_001  # PostgreSQL advisory lock key of the first run


def create_first_admin(login: str, password: str, full_name: str, engine: Engine | None = None) -> User:
    """The first-run form and the CLI: only while the database has no user at all. Requests racing
    on an empty database are serialised (SQLite: BEGIN IMMEDIATE; PostgreSQL: an advisory
    transaction lock), so exactly one administrator is created; the others get FIRST_ADMIN_EXISTS."""
    check_password_rules(password)
    if has_users(engine):
        raise AuthError(FIRST_ADMIN_EXISTS)
    password_hash = hash_password(password)
    with session_scope(engine, write=True) as s:
        if s.get_bind().dialect.name == "postgresql":
            s.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _FIRST_RUN_LOCK})
        if s.exec(select(func.count()).select_from(User)).one() > 0:
            raise AuthError(FIRST_ADMIN_EXISTS)
        user = create_user(s, login=login, password=password, full_name=full_name, role="admin",
                           password_hash=password_hash)
        audit(s, "user_created", user_id=user.id, login=user.login, object_type="user",
              object_id=user.id, details={"role": "admin", "first_run": True})
        return user


def set_password(session: Session, user: User, password: str, *, by: Scope | None = None,
                 password_hash: str | None = None) -> None:
    """Change a password and revoke every session of that user. Pass `password_hash` (made with
    `hash_password` before the transaction) to keep Argon2 out of the write lock."""
    check_password_rules(password)
    user.password_hash = password_hash or hash_password(password)
    user.password_changed_at = utcnow()
    session.add(user)
    revoke_user_sessions(session, user.id)
    audit(session, "password_changed", user_id=by.user_id if by else user.id,
          login=by.login if by else user.login, object_type="user", object_id=user.id)
