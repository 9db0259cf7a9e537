"""Login attempts and their throttle (per login and address, per address), what the administrator
sees and clears of it, and the client's address behind trusted proxies."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import datetime, timedelta

from typing import Any, cast

from sqlalchemy import CursorResult, delete, func, text
from sqlmodel import Session, col, select

from core.auth.base import aware
from core.models import LoginAttempt, utcnow
from core.settings import Settings, get_settings


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
    same_ip = col(LoginAttempt.ip) == ip if ip is not None else col(LoginAttempt.ip).is_(None)
    n, last = session.exec(select(func.count(), func.max(LoginAttempt.at))
                           .where(LoginAttempt.login == login, same_ip, *failed)).one()
    wait = 0.0
    if n >= settings.login_max_failures and last is not None:
        until = aware(last) + timedelta(seconds=_progressive(n - settings.login_max_failures, settings))
        wait = max(wait, (until - now).total_seconds())
    if wait > 0:
        return Throttle(wait, "login_address")
    if ip is None:
        return Throttle()
    d, last_ip = session.exec(select(func.count(func.distinct(LoginAttempt.login)), func.max(LoginAttempt.at))
                              .where(LoginAttempt.ip == ip, *failed)).one()
    if d >= settings.login_ip_max_logins and last_ip is not None:
        until = aware(last_ip) + timedelta(seconds=_progressive(d - settings.login_ip_max_logins, settings))
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


_ATTEMPTS_LOCK = 72_002  # PostgreSQL advisory lock class of login attempts (per address)


def serialise_attempts(session: Session, login_name: str, ip: str | None) -> None:
    """Inside the attempt's write transaction: attempts from one address (or, without an address, of
    one login) are recorded one at a time, so each sees the ones before it. SQLite's BEGIN IMMEDIATE
    already serialises every write; on PostgreSQL a transaction-scoped advisory lock does it."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(CAST(:c AS integer), hashtext(:k))"),
                        {"c": _ATTEMPTS_LOCK, "k": f"ip:{ip}" if ip is not None else f"login:{login_name}"})


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
            until = aware(last) + timedelta(seconds=_progressive(n - settings.login_max_failures, settings))
            wait = max(0.0, (until - now).total_seconds())
        out.append(dict(login=login_, ip=ip, failures=n, last=aware(last), wait_seconds=wait,
                        rule="login_address"))
    for ip, d, n, last in session.exec(
            select(LoginAttempt.ip, func.count(func.distinct(LoginAttempt.login)), func.count(),
                   func.max(LoginAttempt.at))
            .where(*failed, col(LoginAttempt.ip).is_not(None)).group_by(LoginAttempt.ip)
            .having(func.count(func.distinct(LoginAttempt.login)) >= settings.login_ip_max_logins)):
        until = aware(last) + timedelta(seconds=_progressive(d - settings.login_ip_max_logins, settings))
        out.append(dict(login=None, ip=ip, failures=n, last=aware(last),
                        wait_seconds=max(0.0, (until - now).total_seconds()), rule="address"))
    return sorted(out, key=lambda r: r["last"], reverse=True)


def clear_throttle(session: Session, *, login: str | None, ip: str | None,
                   settings: Settings | None = None) -> int:
    """Forget the failures in the window behind a throttle: of (login, ip), or of the whole address
    when `login` is None. The audit log keeps every failed login. Returns rows removed."""
    settings = settings or get_settings()
    since = utcnow() - timedelta(minutes=settings.login_window_minutes)
    q = delete(LoginAttempt).where(col(LoginAttempt.at) >= since, col(LoginAttempt.success) == False)  # noqa: E712
    q = q.where(col(LoginAttempt.ip) == ip if ip is not None else col(LoginAttempt.ip).is_(None))
    if login is not None:
        q = q.where(col(LoginAttempt.login) == login)
    return cast(CursorResult[Any], session.execute(q)).rowcount or 0


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
