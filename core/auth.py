"""Users, password hashing (Argon2), server-side sessions, login throttling, roles and the Scope.

The browser holds only a random session token in an HttpOnly cookie; the database keeps its
SHA-256. Every read and write in `core` takes a `Scope` built here from the user: it is the
security boundary, hiding pages is only convenience.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import inspect
import ipaddress
import json
import os
import re
import secrets
import threading
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, text, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from core.db import after_write_transaction, in_write_transaction, session_scope
from core.models import AuditEvent, AuthSession, CuratorLink, LoginAttempt, School, User, utcnow
from core.settings import Settings, get_settings
from core.territories import contained
from core import policy
from core.errors import Refused
from core.vocabulary import ROLE_LABELS, ROLES

COOKIE_NAME = "mon_session"
MIN_PASSWORD_LENGTH = 8

# Argon2id with OWASP's Password Storage Cheat Sheet parameters (its first listed configuration:
# m=19 MiB, t=2, p=1; ~0,07 s per hash here). A stored hash made with other parameters is
# re-hashed at the next successful login (`check_needs_rehash`).
ARGON2_TIME_COST = 2
ARGON2_MEMORY_KIB = 19 * 1024
ARGON2_PARALLELISM = 1
_hasher = PasswordHasher(time_cost=ARGON2_TIME_COST, memory_cost=ARGON2_MEMORY_KIB,
                         parallelism=ARGON2_PARALLELISM, hash_len=32, salt_len=16)
# At most this many Argon2 computations at once: each takes 19 MiB and a core, so a burst of logins
# queues here (outside any transaction) instead of exhausting memory.
_HASH_SLOTS = threading.BoundedSemaphore(max(2, os.cpu_count() or 2))
# A real hash to verify against when the login does not exist, so that the answer takes the
# same time for unknown users as for a wrong password.
_DUMMY_HASH = _hasher.hash("not-a-real-password-" + secrets.token_hex(8))


class AccessDenied(Refused, PermissionError):
    """Raised when a user asks for something outside their scope; the message is Russian."""


class AuthError(Refused, ValueError):
    """A login or account problem with a Russian message for the user."""


# ---------------------------------------------------------------------------------------------
# Passwords and tokens
# ---------------------------------------------------------------------------------------------
def hash_password(password: str) -> str:
    with _HASH_SLOTS:
        return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        with _HASH_SLOTS:
            return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    try:
        return _hasher.check_needs_rehash(password_hash)
    except (InvalidHashError, ValueError):
        return True


def check_password_rules(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AuthError(f"Пароль слишком короткий: нужно не меньше {MIN_PASSWORD_LENGTH} символов.")


MAX_LOGIN_LENGTH = 64  # the login form reads no more (server/routes.py), the column holds no more
MAX_NAME_LENGTH = 255
_LOGIN_CHARS = re.compile(r"[0-9a-zа-яё._@-]+")


def _bad_char(text: str) -> tuple[int, str] | None:
    """The first control, format (bidirectional override, zero-width) or unassigned character:
    (position from 1, its code as U+XXXX)."""
    for i, ch in enumerate(text, 1):
        if unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"):
            return i, f"U+{ord(ch):04X}"
    return None


def check_login(login: str) -> str:
    """The login as stored (trimmed, lower case), or a refusal that says what is wrong: the same
    limits as the login form (at most 64 characters), letters, digits and . _ - @ only."""
    login = (login or "").strip().lower()
    if not login:
        raise AuthError("Укажите логин.")
    bad = _bad_char(login)
    if bad:
        raise AuthError(f"Логин содержит недопустимый невидимый или управляющий символ ({bad[1]}, "
                        f"позиция {bad[0]}).")
    if len(login) > MAX_LOGIN_LENGTH:
        raise AuthError(f"Логин слишком длинный: {len(login)} символов, допускается не больше {MAX_LOGIN_LENGTH}.")
    if not _LOGIN_CHARS.fullmatch(login):
        wrong = next(ch for ch in login if not _LOGIN_CHARS.fullmatch(ch))
        raise AuthError(f"Логин может содержать только буквы, цифры и знаки . _ - @; «{wrong}» недопустим.")
    return login


def check_full_name(full_name: str) -> str:
    """The name as stored (trimmed, inner runs of spaces kept), or a refusal: at most 255
    characters, no control, bidirectional or other invisible characters."""
    full_name = (full_name or "").strip()
    bad = _bad_char(full_name)
    if bad:
        raise AuthError(f"ФИО содержит недопустимый невидимый или управляющий символ ({bad[1]}, позиция {bad[0]}).")
    if len(full_name) > MAX_NAME_LENGTH:
        raise AuthError(f"ФИО слишком длинное: {len(full_name)} символов, допускается не больше {MAX_NAME_LENGTH}.")
    return full_name


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

    def may(self, action: str) -> bool:
        """May this user's role attempt the action (core.policy)? Rows are the Scope's business."""
        return policy.allowed(self.role, action)

    @property
    def can_upload(self) -> bool:
        return policy.allowed(self.role, "upload")

    @property
    def can_edit_roadmap(self) -> bool:
        return policy.allowed(self.role, "edit_roadmap")

    @property
    def is_admin(self) -> bool:
        """Acts on every territory (uploads, users, maintenance): the policy's «act_on_any_upload»."""
        return policy.allowed(self.role, "act_on_any_upload")


def system_scope() -> Scope:
    """For start-up, the demo builder and CLI tools run by the operator."""
    return Scope(user_id=None, login="system", role="admin", territory_ids=None, school_ids=None)


def scope_for(session: Session, user: User) -> Scope:
    role = user.role
    sees = policy.sees(role) if role in policy.ROLES_SEE else None
    if sees == "everything":
        return Scope(user.id, user.login, role, None, None)
    if sees == "territory":  # their territory and every one it contains (a region's municipalities)
        return Scope(user.id, user.login, role, contained(session, [user.territory_id] if user.territory_id else []),
                     None)
    if sees == "own_school":
        if not user.school_id:
            return Scope(user.id, user.login, role, frozenset(), frozenset())
        school = session.get(School, user.school_id)
        return Scope(user.id, user.login, role, frozenset({school.territory_id}),
                     frozenset({school.id}), own_school_id=school.id)
    if sees == "curated":
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
          ip: str | None = None, territory_id: int | None = None, roadmap_id: int | None = None) -> None:
    """One event of the audit log; `territory_id` / `roadmap_id`: what it concerns (indexed)."""
    session.add(AuditEvent(user_id=user_id, login=login, action=action, object_type=object_type,
                           object_id=None if object_id is None else str(object_id),
                           details=json.dumps(details, ensure_ascii=False) if details else None, ip=ip,
                           territory_id=territory_id, roadmap_id=roadmap_id))


def require(scope: Scope, action: str, what: str, engine: Engine | None = None) -> None:
    """Refuse, audited, unless the scope's role may do the action (core.policy)."""
    if not policy.allowed(scope, action):
        raise deny(scope, what, engine)


def deny(scope: Scope, what: str, engine: Engine | None = None) -> AccessDenied:
    """Record a refused access in the audit log (its own transaction) and return the error.

    Inside a write transaction the entry is written right after that transaction ends (it rolls
    back when the error propagates): the refusal neither waits for the transaction's own write lock
    nor is lost with its rollback."""
    _audit_outside(engine, "access_denied", scope, {"what": what})
    return AccessDenied(f"Нет доступа: {what}")


def _audit_outside(engine: Engine | None, action: str, scope: Scope, details: dict) -> None:
    """An audit entry in its own transaction: at once, or, inside a write transaction, right after
    it ends (so that it neither waits for that transaction's lock nor is lost with its rollback)."""
    def write() -> None:
        with session_scope(engine, write=True, data=False) as s:
            audit(s, action, user_id=scope.user_id, login=scope.login, details=details)

    if in_write_transaction():
        after_write_transaction(write)
    else:
        write()


def _is_refusal(exc: BaseException) -> bool:
    """A write refused for its content with a message for the user (not a bug, not an access
    denial, which `deny` has audited already). Other modules mark their refusal classes with a
    class attribute `refusal = True` (IngestError and its CycleError, QuarterLocked, DraftError;
    StatusError; MaintenanceError), so that auth imports none of them."""
    if isinstance(exc, AccessDenied) or getattr(exc, "audited", False):
        return False
    return isinstance(exc, Refused)


def audits_refusals(what: str):
    """Decorator of core's write entry points (first parameter: the Scope): a refusal they raise
    (an undo conflict, a write into an approved quarter, a taken login …) is recorded in the audit
    log as `write_refused` — who, what was refused, why — in its own transaction after the refused
    one rolled back, and then raised as before. Once per refusal, however deep the call."""
    def deco(fn):
        sig = inspect.signature(fn)

        @functools.wraps(fn)
        def wrapper(scope: Scope, *args, **kwargs):
            try:
                return fn(scope, *args, **kwargs)
            except Exception as exc:
                if _is_refusal(exc):
                    exc.audited = True
                    engine = sig.bind_partial(scope, *args, **kwargs).arguments.get("engine")
                    _audit_outside(engine, "write_refused", scope, {"what": what, "why": str(exc)[:500]})
                raise

        wrapper.audits_refusals = what
        return wrapper

    return deco


# ---------------------------------------------------------------------------------------------
# Users
# ---------------------------------------------------------------------------------------------
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


# ---------------------------------------------------------------------------------------------
# Throttling and login
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Throttle:
    """Why and how long a login attempt must wait (seconds); 0: it may go ahead."""

    wait_seconds: float = 0.0
    reason: str = ""  # "login_address" | "address"


def _progressive(excess: int, settings: Settings) -> float:
    """1 s after the first failure over the limit, then doubling, up to the configured maximum."""
    return 0.0 if excess < 0 else min(settings.login_max_delay_seconds, float(2 ** min(excess, 30)))


def throttle_for(session: Session, login: str, ip: str | None, settings: Settings | None = None,
                 now: datetime | None = None) -> Throttle:
    """Progressive delay, never a hard lock, with two rules:

    - per (login, address): after `login_max_failures` failures in the window, each next attempt
      waits 1, 2, 4 … s after the last failure. The same login from another address is not
      affected, so whoever guesses at a login cannot lock its owner out;
    - per address: once `login_ip_max_logins` *distinct* logins failed from it in the window (a
      password spray), attempts from it wait the same way, except for a login that has
      succeeded from that address within the last 30 days (people behind the same proxy keep
      working)."""
    settings = settings or get_settings()
    now = now or utcnow()
    since = now - timedelta(minutes=settings.login_window_minutes)
    failed = (LoginAttempt.at >= since, LoginAttempt.success == False)  # noqa: E712
    same_ip = LoginAttempt.ip == ip if ip is not None else LoginAttempt.ip.is_(None)
    n, last = session.exec(select(func.count(), func.max(LoginAttempt.at))
                           .where(LoginAttempt.login == login, same_ip, *failed)).one()
    wait = 0.0
    if n >= settings.login_max_failures and last is not None:
        until = _aware(last) + timedelta(seconds=_progressive(n - settings.login_max_failures, settings))
        wait = max(wait, (until - now).total_seconds())
    if wait > 0:
        return Throttle(wait, "login_address")
    if ip is None:
        return Throttle()
    d, last_ip = session.exec(select(func.count(func.distinct(LoginAttempt.login)), func.max(LoginAttempt.at))
                              .where(LoginAttempt.ip == ip, *failed)).one()
    if d >= settings.login_ip_max_logins and last_ip is not None:
        until = _aware(last_ip) + timedelta(seconds=_progressive(d - settings.login_ip_max_logins, settings))
        if until > now:
            known = session.exec(select(LoginAttempt.id).where(
                LoginAttempt.login == login, LoginAttempt.ip == ip, LoginAttempt.success == True,  # noqa: E712
                LoginAttempt.at >= now - timedelta(days=30)).limit(1)).first()
            if known is None:
                return Throttle((until - now).total_seconds(), "address")
    return Throttle()


def is_throttled(session: Session, login: str, ip: str | None, settings: Settings | None = None) -> bool:
    return throttle_for(session, login, ip, settings).wait_seconds > 0


def throttle_message(wait_seconds: float) -> str:
    secs = max(1, int(wait_seconds + 0.999))
    when = f"{secs} с" if secs < 120 else f"{(secs + 59) // 60} мин"
    return f"Слишком много неудачных попыток входа. Подождите {when} и попробуйте снова."


@dataclass(frozen=True)
class LoginResult:
    ok: bool
    token: str | None = None
    user_id: int | None = None
    role: str | None = None
    message: str = ""
    retry_after: int = 0  # seconds, when throttled


def login(login_name: str, password: str, *, ip: str | None = None, user_agent: str | None = None,
          engine: Engine | None = None, settings: Settings | None = None,
          previous_token: str | None = None) -> LoginResult:
    """Check a password and open a session.

    Three steps, so that a burst of logins neither queues on the database's write lock nor holds
    it: (1) a read: throttle and the stored hash; (2) Argon2 with no transaction open (the same
    work for an unknown login as for a known one); (3) one short write: the throttle checked again
    (serialised per address, so a parallel burst is throttled as a sequential one), the attempt,
    the session, the audit entry, a re-hash when the parameters changed, and the revocation of the browser's
    previous session (`previous_token`)."""
    settings = settings or get_settings()
    login_name = (login_name or "").strip().lower()[:64]
    with session_scope(engine) as s:
        throttle = throttle_for(s, login_name, ip, settings)
        row = None
        if throttle.wait_seconds <= 0:
            row = s.exec(select(User.id, User.password_hash, User.is_active, User.role, User.login)
                         .where(User.login == login_name)).first()
    if throttle.wait_seconds > 0:
        with session_scope(engine, write=True, data=False) as s:
            audit(s, "login_throttled", login=login_name, ip=ip,
                  details={"rule": throttle.reason, "wait_s": int(throttle.wait_seconds + 0.999)})
        return LoginResult(False, message=throttle_message(throttle.wait_seconds),
                           retry_after=max(1, int(throttle.wait_seconds + 0.999)))
    stored_hash = row.password_hash if row else None
    ok = verify_password(stored_hash, password) and bool(row.is_active)
    new_hash = hash_password(password) if ok and needs_rehash(stored_hash) else None
    with session_scope(engine, write=True, data=False) as s:
        # The throttle again, now that this attempt's write is serialised with every other attempt
        # of the same address: a parallel burst all passed the read above, and is throttled here as
        # if its attempts had come one after another.
        _serialise_attempts(s, login_name, ip)
        throttle = throttle_for(s, login_name, ip, settings)
        if throttle.wait_seconds > 0:
            audit(s, "login_throttled", login=login_name, ip=ip,
                  details={"rule": throttle.reason, "wait_s": int(throttle.wait_seconds + 0.999)})
            return LoginResult(False, message=throttle_message(throttle.wait_seconds),
                               retry_after=max(1, int(throttle.wait_seconds + 0.999)))
        if ok:  # the password or the account may have changed while Argon2 ran
            ok = bool(s.exec(select(func.count()).select_from(User).where(
                User.id == row.id, User.password_hash == stored_hash, User.is_active == True)).one())  # noqa: E712
        s.add(LoginAttempt(login=login_name, ip=ip, success=ok))
        if not ok:
            audit(s, "login_failed", login=login_name, ip=ip)
            return LoginResult(False, message="Неверный логин или пароль.")
        if new_hash:
            s.execute(update(User).where(User.id == row.id, User.password_hash == stored_hash)
                      .values(password_hash=new_hash))
        if previous_token:
            _revoke_token(s, previous_token)
        token = secrets.token_urlsafe(32)
        now = utcnow()
        s.add(AuthSession(token_hash=token_hash(token), user_id=row.id, created_at=now, last_seen_at=now,
                          expires_at=now + timedelta(hours=settings.session_hours), ip=ip,
                          user_agent=(user_agent or "")[:255]))
        audit(s, "login", user_id=row.id, login=row.login, ip=ip,
              details={"rehashed": True} if new_hash else None)
        return LoginResult(True, token=token, user_id=row.id, role=row.role)


_ATTEMPTS_LOCK = 72_002  # PostgreSQL advisory lock class of login attempts (per address)


def _serialise_attempts(session: Session, login_name: str, ip: str | None) -> None:
    """Inside the attempt's write transaction: attempts from one address (or, without an address, of
    one login) are recorded one at a time, so each sees the ones before it. SQLite's BEGIN IMMEDIATE
    already serialises every write; on PostgreSQL a transaction-scoped advisory lock does it."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(CAST(:c AS integer), hashtext(:k))"),
                        {"c": _ATTEMPTS_LOCK, "k": f"ip:{ip}" if ip is not None else f"login:{login_name}"})


def _revoke_token(session: Session, token: str) -> int | None:
    """Revoke the session of `token` if still open; returns its user id."""
    sess = session.exec(select(AuthSession).where(AuthSession.token_hash == token_hash(token))).first()
    if sess is None or sess.revoked_at is not None:
        return None
    sess.revoked_at = utcnow()
    session.add(sess)
    sessions_ended()
    return sess.user_id


# ---------------------------------------------------------------------------------------------
# Throttles seen and cleared by the administrator (core.users wraps these with the admin check)
# ---------------------------------------------------------------------------------------------
def active_throttles(session: Session, settings: Settings | None = None) -> list[dict]:
    """Pairs (login, address) and addresses that currently make attempts wait, or are one failure
    away from it: login, ip, failures, last failure, wait in seconds, rule."""
    settings = settings or get_settings()
    now = utcnow()
    since = now - timedelta(minutes=settings.login_window_minutes)
    failed = (LoginAttempt.at >= since, LoginAttempt.success == False)  # noqa: E712
    out = []
    for login_, ip, n, last in session.exec(
            select(LoginAttempt.login, LoginAttempt.ip, func.count(), func.max(LoginAttempt.at))
            .where(*failed).group_by(LoginAttempt.login, LoginAttempt.ip)
            .having(func.count() >= max(1, settings.login_max_failures - 1))):
        wait = 0.0
        if n >= settings.login_max_failures:
            until = _aware(last) + timedelta(seconds=_progressive(n - settings.login_max_failures, settings))
            wait = max(0.0, (until - now).total_seconds())
        out.append(dict(login=login_, ip=ip, failures=n, last=_aware(last), wait_seconds=wait,
                        rule="login_address"))
    for ip, d, n, last in session.exec(
            select(LoginAttempt.ip, func.count(func.distinct(LoginAttempt.login)), func.count(),
                   func.max(LoginAttempt.at))
            .where(*failed, LoginAttempt.ip.is_not(None)).group_by(LoginAttempt.ip)
            .having(func.count(func.distinct(LoginAttempt.login)) >= settings.login_ip_max_logins)):
        until = _aware(last) + timedelta(seconds=_progressive(d - settings.login_ip_max_logins, settings))
        out.append(dict(login=None, ip=ip, failures=n, last=_aware(last),
                        wait_seconds=max(0.0, (until - now).total_seconds()), rule="address"))
    return sorted(out, key=lambda r: r["last"], reverse=True)


def clear_throttle(session: Session, *, login: str | None, ip: str | None,
                   settings: Settings | None = None) -> int:
    """Forget the failures in the window behind a throttle: of (login, ip), or of the whole address
    when `login` is None. The audit log keeps every failed login. Returns rows removed."""
    settings = settings or get_settings()
    since = utcnow() - timedelta(minutes=settings.login_window_minutes)
    q = delete(LoginAttempt).where(LoginAttempt.at >= since, LoginAttempt.success == False)  # noqa: E712
    q = q.where(LoginAttempt.ip == ip if ip is not None else LoginAttempt.ip.is_(None))
    if login is not None:
        q = q.where(LoginAttempt.login == login)
    return session.execute(q).rowcount or 0


# ---------------------------------------------------------------------------------------------
# Client address behind trusted proxies
# ---------------------------------------------------------------------------------------------
def _networks(entries: tuple[str, ...]) -> list:
    nets = []
    for e in entries:
        try:
            nets.append(ipaddress.ip_network(e, strict=False))
        except ValueError:
            continue
    return nets


def _in(nets: list, host: str | None) -> bool:
    try:
        addr = ipaddress.ip_address((host or "").strip())
    except ValueError:
        return False
    return any(addr in n for n in nets)


def client_address(peer: str | None, forwarded_for: list[str], trusted: tuple[str, ...]) -> str | None:
    """The client's address: the TCP peer, unless the peer is a trusted proxy; then the rightmost
    address of X-Forwarded-For that is not itself a trusted proxy (the left part of that header is
    written by the client and proves nothing)."""
    nets = _networks(trusted)
    if not nets or not _in(nets, peer):
        return peer
    hops = [h.strip() for v in forwarded_for for h in v.split(",") if h.strip()]
    for hop in reversed(hops):
        if not _in(nets, hop):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return peer  # garbage in the header: keep the proxy's address
    return peer


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
        with session_scope(engine, write=True, data=False) as s:
            fresh = s.get(AuthSession, sess.id)
            fresh.last_seen_at = now
            s.add(fresh)
    return user


def logout(token: str | None, *, engine: Engine | None = None) -> None:
    if not token:
        return
    with session_scope(engine, write=True, data=False) as s:
        user_id = _revoke_token(s, token)
        if user_id is not None:
            user = s.get(User, user_id)
            audit(s, "logout", user_id=user_id, login=user.login if user else None)


_SCRIPT_SESSIONS: dict[str, str] = {}  # Streamlit session id -> hash of the login session's token
_SCRIPT_SESSIONS_LOCK = threading.Lock()


def bind_script_session(script_session_id: str, session_token: str | None) -> None:
    """Record which login session a Streamlit session runs for (server.media checks downloads
    against it). Called on every script run."""
    if not script_session_id or not isinstance(session_token, str) or not session_token:
        return
    with _SCRIPT_SESSIONS_LOCK:
        _SCRIPT_SESSIONS[script_session_id] = token_hash(session_token)
        while len(_SCRIPT_SESSIONS) > 10000:
            _SCRIPT_SESSIONS.pop(next(iter(_SCRIPT_SESSIONS)))


def script_session_owner(script_session_id: str) -> str | None:
    with _SCRIPT_SESSIONS_LOCK:
        return _SCRIPT_SESSIONS.get(script_session_id)


def logout_csrf(session_token: str | None) -> str:
    """The CSRF token of the logout form: derived from the session token (which only this browser
    holds, in an HttpOnly cookie), so another site can neither read nor forge it."""
    if not isinstance(session_token, str) or not session_token:
        return ""
    return hmac.new(session_token.encode(), b"logout", "sha256").hexdigest()[:32]


_SESSIONS_ENDED: list = []  # callbacks of the server (server/sockets.py): sessions were ended here


def on_sessions_ended(fn) -> None:
    """Call `fn()` whenever this process ends login sessions (after the ending transaction): the
    server closes those sessions' open websockets. Core knows nothing of websockets."""
    if fn not in _SESSIONS_ENDED:
        _SESSIONS_ENDED.append(fn)


def sessions_ended() -> None:
    def tell():
        for fn in list(_SESSIONS_ENDED):
            try:
                fn()
            except Exception:  # noqa: BLE001 - a listener never undoes an ended session
                pass

    if in_write_transaction():
        after_write_transaction(tell)
    else:
        tell()


def revoke_all_sessions(session: Session) -> int:
    """End every open session (after a restore: the restored database brings back old sessions)."""
    sessions_ended()
    return session.execute(update(AuthSession).where(AuthSession.revoked_at.is_(None))
                           .values(revoked_at=utcnow())).rowcount or 0


def revoke_user_sessions(session: Session, user_id: int) -> None:
    sessions_ended()
    now = utcnow()
    for sess in session.exec(select(AuthSession).where(AuthSession.user_id == user_id,
                                                       AuthSession.revoked_at == None)).all():  # noqa: E711
        sess.revoked_at = now
        session.add(sess)
