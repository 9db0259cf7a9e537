"""Users, password hashing (Argon2), server-side sessions, login throttling, roles and the Scope.

The browser holds only a random session token in an HttpOnly cookie; the database keeps its
SHA-256. Every read and write in `core` takes a `Scope` built here from the user: it is the
security boundary, hiding pages is only convenience.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from core.db import session_scope
from core.models import AuditEvent, AuthSession, CuratorLink, LoginAttempt, School, User, utcnow
from core.settings import Settings, get_settings
from core.vocabulary import ROLES

COOKIE_NAME = "mon_session"
MIN_PASSWORD_LENGTH = 8

_hasher = PasswordHasher()
# A real hash to verify against when the login does not exist, so that the answer takes the
# same time for unknown users as for a wrong password.
_DUMMY_HASH = _hasher.hash("not-a-real-password-" + secrets.token_hex(8))


class AccessDenied(PermissionError):
    """Raised when a user asks for something outside their scope; the message is Russian."""


class AuthError(ValueError):
    """A login or account problem with a Russian message for the user."""


# ---------------------------------------------------------------------------------------------
# Passwords and tokens
# ---------------------------------------------------------------------------------------------
def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def check_password_rules(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AuthError(f"Пароль слишком короткий: нужно не меньше {MIN_PASSWORD_LENGTH} символов.")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _aware(dt: datetime) -> datetime:
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)


# ---------------------------------------------------------------------------------------------
# Scope
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Scope:
    """What a user may see and change. `territory_ids`/`school_ids` None means "all"."""

    user_id: int | None
    login: str
    role: str
    territory_ids: frozenset[int] | None
    school_ids: frozenset[int] | None
    own_school_id: int | None = None

    @property
    def sees_everything(self) -> bool:
        return self.territory_ids is None and self.school_ids is None

    @property
    def sees_whole_territory(self) -> bool:
        """Territory-wide views (the overview, all schools of a territory)."""
        return self.school_ids is None

    def can_see_territory(self, territory_id: int) -> bool:
        return self.territory_ids is None or territory_id in self.territory_ids

    def can_see_school(self, school_id: int, territory_id: int | None = None) -> bool:
        if self.school_ids is not None:
            return school_id in self.school_ids
        return territory_id is None or self.can_see_territory(territory_id)

    @property
    def can_upload(self) -> bool:
        return self.role in ("admin", "methodologist", "principal")

    @property
    def can_edit_roadmap(self) -> bool:
        return self.role in ("admin", "methodologist")

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def system_scope() -> Scope:
    """For start-up, the demo builder and CLI tools run by the operator."""
    return Scope(user_id=None, login="system", role="admin", territory_ids=None, school_ids=None)


def scope_for(session: Session, user: User) -> Scope:
    role = user.role
    if role == "admin":
        return Scope(user.id, user.login, role, None, None)
    if role in ("head", "methodologist"):
        terr = frozenset({user.territory_id}) if user.territory_id else frozenset()
        return Scope(user.id, user.login, role, terr, None)
    if role == "principal":
        if not user.school_id:
            return Scope(user.id, user.login, role, frozenset(), frozenset())
        school = session.get(School, user.school_id)
        return Scope(user.id, user.login, role, frozenset({school.territory_id}),
                     frozenset({school.id}), own_school_id=school.id)
    if role == "curator":
        schools: set[int] = set()
        if user.school_id:
            schools.add(user.school_id)
            schools.update(session.exec(
                select(CuratorLink.school_id).where(CuratorLink.curator_school_id == user.school_id)
            ).all())
        terrs = set(session.exec(select(School.territory_id).where(School.id.in_(schools))).all()) if schools else set()
        return Scope(user.id, user.login, role, frozenset(terrs), frozenset(schools),
                     own_school_id=user.school_id)
    raise AuthError(f"Неизвестная роль: {role}")


# ---------------------------------------------------------------------------------------------
# Audit
# ---------------------------------------------------------------------------------------------
def audit(session: Session, action: str, *, user_id: int | None = None, login: str | None = None,
          object_type: str | None = None, object_id: object = None, details: dict | None = None,
          ip: str | None = None) -> None:
    session.add(AuditEvent(user_id=user_id, login=login, action=action, object_type=object_type,
                           object_id=None if object_id is None else str(object_id),
                           details=json.dumps(details, ensure_ascii=False) if details else None, ip=ip))


def deny(scope: Scope, what: str, engine: Engine | None = None) -> AccessDenied:
    """Record a refused access in the audit log (its own transaction) and return the error."""
    with session_scope(engine, write=True) as s:
        audit(s, "access_denied", user_id=scope.user_id, login=scope.login, details={"what": what})
    return AccessDenied(f"Нет доступа: {what}")


# ---------------------------------------------------------------------------------------------
# Users
# ---------------------------------------------------------------------------------------------
def create_user(session: Session, *, login: str, password: str, full_name: str, role: str,
                territory_id: int | None = None, school_id: int | None = None,
                check_rules: bool = True) -> User:
    login = login.strip().lower()
    if not login:
        raise AuthError("Укажите логин.")
    if role not in ROLES:
        raise AuthError(f"Неизвестная роль: {role}")
    if role in ("principal", "curator") and not school_id:
        raise AuthError("Для руководителя школы и куратора укажите школу.")
    if role in ("head", "methodologist") and not territory_id:
        raise AuthError("Для руководителя управления и методиста укажите территорию.")
    if check_rules:
        check_password_rules(password)
    if session.exec(select(User).where(User.login == login)).first():
        raise AuthError(f"Пользователь с логином «{login}» уже есть.")
    user = User(login=login, full_name=full_name.strip() or login, password_hash=hash_password(password),
                role=role, territory_id=territory_id, school_id=school_id)
    session.add(user)
    session.flush()
    return user


def has_users(engine: Engine | None = None) -> bool:
    with session_scope(engine) as s:
        return s.exec(select(func.count()).select_from(User)).one() > 0


def create_first_admin(login: str, password: str, full_name: str, engine: Engine | None = None) -> User:
    """The first-run form and the CLI: only while the database has no user at all."""
    with session_scope(engine, write=True) as s:
        if s.exec(select(func.count()).select_from(User)).one() > 0:
            raise AuthError("Администратор уже создан. Войдите под своей учётной записью.")
        user = create_user(s, login=login, password=password, full_name=full_name, role="admin")
        audit(s, "user_created", user_id=user.id, login=user.login, object_type="user",
              object_id=user.id, details={"role": "admin", "first_run": True})
        return user


def set_password(session: Session, user: User, password: str, *, by: Scope | None = None) -> None:
    """Change a password and revoke every session of that user."""
    check_password_rules(password)
    user.password_hash = hash_password(password)
    user.password_changed_at = utcnow()
    session.add(user)
    revoke_user_sessions(session, user.id)
    audit(session, "password_changed", user_id=by.user_id if by else user.id,
          login=by.login if by else user.login, object_type="user", object_id=user.id)


# ---------------------------------------------------------------------------------------------
# Throttling and login
# ---------------------------------------------------------------------------------------------
def _recent_failures(session: Session, settings: Settings, *, login: str | None = None, ip: str | None = None) -> int:
    since = utcnow() - timedelta(minutes=settings.login_window_minutes)
    q = select(func.count()).select_from(LoginAttempt).where(LoginAttempt.at >= since,
                                                              LoginAttempt.success == False)  # noqa: E712
    if login is not None:
        q = q.where(LoginAttempt.login == login)
    if ip is not None:
        q = q.where(LoginAttempt.ip == ip)
    return session.exec(q).one()


def is_throttled(session: Session, login: str, ip: str | None, settings: Settings | None = None) -> bool:
    settings = settings or get_settings()
    if _recent_failures(session, settings, login=login) >= settings.login_max_failures:
        return True
    # an address gets more tries than a login: several people may share an office NAT
    return ip is not None and _recent_failures(session, settings, ip=ip) >= 4 * settings.login_max_failures


@dataclass(frozen=True)
class LoginResult:
    ok: bool
    token: str | None = None
    user_id: int | None = None
    role: str | None = None
    message: str = ""


def login(login_name: str, password: str, *, ip: str | None = None, user_agent: str | None = None,
          engine: Engine | None = None, settings: Settings | None = None) -> LoginResult:
    """Check a password and open a session. The same work (one Argon2 verify) is done for an
    unknown login as for a known one."""
    settings = settings or get_settings()
    login_name = (login_name or "").strip().lower()[:64]
    with session_scope(engine, write=True) as s:
        if is_throttled(s, login_name, ip, settings):
            verify_password(None, password)
            audit(s, "login_throttled", login=login_name, ip=ip)
            return LoginResult(False, message=(
                "Слишком много неудачных попыток входа. Подождите "
                f"{int(settings.login_window_minutes)} минут и попробуйте снова."))
        user = s.exec(select(User).where(User.login == login_name)).first()
        ok = verify_password(user.password_hash if user else None, password)
        if ok and not user.is_active:
            ok = False
        s.add(LoginAttempt(login=login_name, ip=ip, success=ok))
        if not ok:
            audit(s, "login_failed", login=login_name, ip=ip)
            return LoginResult(False, message="Неверный логин или пароль.")
        token = secrets.token_urlsafe(32)
        now = utcnow()
        s.add(AuthSession(token_hash=token_hash(token), user_id=user.id, created_at=now, last_seen_at=now,
                          expires_at=now + timedelta(hours=settings.session_hours), ip=ip,
                          user_agent=(user_agent or "")[:255]))
        audit(s, "login", user_id=user.id, login=user.login, ip=ip)
        return LoginResult(True, token=token, user_id=user.id, role=user.role)


def resolve(token: str | None, *, engine: Engine | None = None, settings: Settings | None = None,
            touch: bool = True) -> User | None:
    """The active user behind a session token, or None (unknown, revoked, expired, idle, inactive)."""
    if not token:
        return None
    settings = settings or get_settings()
    now = utcnow()
    with session_scope(engine) as s:
        row = s.exec(select(AuthSession, User).join(User, User.id == AuthSession.user_id)
                     .where(AuthSession.token_hash == token_hash(token))).first()
        if row is None:
            return None
        sess, user = row
        if sess.revoked_at is not None or not user.is_active:
            return None
        if _aware(sess.expires_at) <= now:
            return None
        if _aware(sess.last_seen_at) + timedelta(minutes=settings.idle_minutes) <= now:
            return None
        if _aware(user.password_changed_at) > _aware(sess.created_at):
            return None
        needs_touch = touch and (now - _aware(sess.last_seen_at)) > timedelta(minutes=1)
        s.expunge(user)
    if needs_touch:
        with session_scope(engine, write=True) as s:
            fresh = s.get(AuthSession, sess.id)
            fresh.last_seen_at = now
            s.add(fresh)
    return user


def logout(token: str | None, *, engine: Engine | None = None) -> None:
    if not token:
        return
    with session_scope(engine, write=True) as s:
        sess = s.exec(select(AuthSession).where(AuthSession.token_hash == token_hash(token))).first()
        if sess and sess.revoked_at is None:
            sess.revoked_at = utcnow()
            s.add(sess)
            user = s.get(User, sess.user_id)
            audit(s, "logout", user_id=sess.user_id, login=user.login if user else None)


def revoke_user_sessions(session: Session, user_id: int) -> None:
    now = utcnow()
    for sess in session.exec(select(AuthSession).where(AuthSession.user_id == user_id,
                                                       AuthSession.revoked_at == None)).all():  # noqa: E711
        sess.revoked_at = now
        session.add(sess)
