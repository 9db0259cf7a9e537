"""Login sessions. The browser holds only a random token in an HttpOnly cookie; the database keeps
its SHA-256. A session ends when revoked (logout, a new login in the same browser, a password or
access change, a restore), when it expires, after `idle_minutes` without a request, or when the
password changed after it began; the server is told (`on_sessions_ended`) to close its websockets."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from dataclasses import dataclass
from datetime import timedelta

from typing import Any, cast

from sqlalchemy import CursorResult, func, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

import core.auth.passwords as passwords
import core.auth.throttling as throttling
from core.auth.auditing import audit
from core.auth.base import aware
from core.db import after_write_transaction, in_write_transaction, session_scope
from core.models import AuthSession, LoginAttempt, User, utcnow
from core.settings import Settings, get_settings

COOKIE_NAME = "mon_session"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


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
        throttle = throttling.throttle_for(s, login_name, ip, settings)
        row = None
        if throttle.wait_seconds <= 0:
            row = s.exec(select(User).where(User.login == login_name)).first()
    if throttle.wait_seconds > 0:
        with session_scope(engine, write=True, data=False) as s:
            audit(s, "login_throttled", login=login_name, ip=ip,
                  details={"rule": throttle.reason, "wait_s": int(throttle.wait_seconds + 0.999)})
        return LoginResult(False, message=throttling.throttle_message(throttle.wait_seconds),
                           retry_after=max(1, int(throttle.wait_seconds + 0.999)))
    stored_hash = row.password_hash if row else None
    ok = passwords.verify_password(stored_hash, password) and bool(row.is_active)
    new_hash = passwords.hash_password(password) if ok and passwords.needs_rehash(stored_hash) else None
    with session_scope(engine, write=True, data=False) as s:
        # The throttle again, now that this attempt's write is serialised with every other attempt
        # of the same address: a parallel burst all passed the read above, and is throttled here as
        # if its attempts had come one after another.
        throttling.serialise_attempts(s, login_name, ip)
        throttle = throttling.throttle_for(s, login_name, ip, settings)
        if throttle.wait_seconds > 0:
            audit(s, "login_throttled", login=login_name, ip=ip,
                  details={"rule": throttle.reason, "wait_s": int(throttle.wait_seconds + 0.999)})
            return LoginResult(False, message=throttling.throttle_message(throttle.wait_seconds),
                               retry_after=max(1, int(throttle.wait_seconds + 0.999)))
        if ok:  # the password or the account may have changed while Argon2 ran
            ok = bool(s.exec(select(func.count()).select_from(User).where(
                User.id == row.id, User.password_hash == stored_hash, User.is_active == True)).one())  # noqa: E712
        s.add(LoginAttempt(login=login_name, ip=ip, success=ok))
        if not ok:
            audit(s, "login_failed", login=login_name, ip=ip)
            return LoginResult(False, message="Неверный логин или пароль.")
        if new_hash:
            s.execute(update(User).where(col(User.id) == row.id, col(User.password_hash) == stored_hash)
                      .values(password_hash=new_hash))
        if previous_token:
            revoke_token(s, previous_token)
        token = secrets.token_urlsafe(32)
        now = utcnow()
        s.add(AuthSession(token_hash=token_hash(token), user_id=row.id, created_at=now, last_seen_at=now,
                          expires_at=now + timedelta(hours=settings.session_hours), ip=ip,
                          user_agent=(user_agent or "")[:255]))
        audit(s, "login", user_id=row.id, login=row.login, ip=ip,
              details={"rehashed": True} if new_hash else None)
        return LoginResult(True, token=token, user_id=row.id, role=row.role)


def revoke_token(session: Session, token: str) -> int | None:
    """Revoke the session of `token` if still open; returns its user id."""
    sess = session.exec(select(AuthSession).where(AuthSession.token_hash == token_hash(token))).first()
    if sess is None or sess.revoked_at is not None:
        return None
    sess.revoked_at = utcnow()
    session.add(sess)
    sessions_ended()
    return sess.user_id


def resolve(token: str | None, *, engine: Engine | None = None, settings: Settings | None = None,
            touch: bool = True) -> User | None:
    """The active user behind a session token, or None (unknown, revoked, expired, idle, inactive)."""
    if not token:
        return None
    settings = settings or get_settings()
    now = utcnow()
    with session_scope(engine) as s:
        row = s.exec(select(AuthSession, User).join(User, col(User.id) == col(AuthSession.user_id))
                     .where(AuthSession.token_hash == token_hash(token))).first()
        if row is None:
            return None
        sess, user = row
        if sess.revoked_at is not None or not user.is_active:
            return None
        if aware(sess.expires_at) <= now:
            return None
        if aware(sess.last_seen_at) + timedelta(minutes=settings.idle_minutes) <= now:
            return None
        if aware(user.password_changed_at) > aware(sess.created_at):
            return None
        needs_touch = touch and (now - aware(sess.last_seen_at)) > timedelta(minutes=1)
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
        user_id = revoke_token(s, token)
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
    ended = session.execute(update(AuthSession).where(col(AuthSession.revoked_at).is_(None)).values(revoked_at=utcnow()))
    return cast(CursorResult[Any], ended).rowcount or 0


def revoke_user_sessions(session: Session, user_id: int) -> None:
    sessions_ended()
    now = utcnow()
    for sess in session.exec(select(AuthSession).where(AuthSession.user_id == user_id,
                                                       AuthSession.revoked_at == None)).all():  # noqa: E711
        sess.revoked_at = now
        session.add(sess)
