"""The audit log's entries, and the refusals core audits: an access denied (`require`, `deny`) and
a write refused for its content (`audits_refusals`)."""

from __future__ import annotations

import functools
import inspect
import json
from typing import TypeGuard

from sqlalchemy.engine import Engine
from sqlmodel import Session

from core import policy
from core.auth.base import AccessDenied
from core.auth.scope import Scope
from core.db import after_write_transaction, in_write_transaction, session_scope
from core.errors import Refused
from core.models import AuditEvent


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


def _is_refusal(exc: BaseException) -> TypeGuard[Refused]:
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
