"""Administration of users and reading the audit log. Every function takes the caller's Scope;
only an administrator may manage others, everybody may change their own password."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from core import auth, policy
from core.audit_text import describe
from core.formatting import moment, natural_key, office_midnight
from core.auth import AuthError, Scope
from core.db import get_engine, session_scope
from core.models import AuditEvent, School, Territory, User
from core.vocabulary import ROLES

AUDIT_ACTIONS = {
    "login": "вход",
    "login_failed": "неудачный вход",
    "login_throttled": "вход заблокирован (много попыток)",
    "logout": "выход",
    "access_denied": "отказ в доступе",
    "user_created": "создан пользователь",
    "user_updated": "изменён пользователь",
    "user_deactivated": "пользователь отключён",
    "user_activated": "пользователь включён",
    "password_changed": "смена пароля",
    "password_reset": "сброс пароля",
    "demo_built": "создана демо-база",
    "upload": "загрузка",
    "upload_undone": "отмена загрузки",
    "status_changed": "смена статуса",
    "roadmap_status": "статус пункта дорожной карты",
    "roadmap_loaded": "загружена дорожная карта",
    "roadmap_replaced": "заменена дорожная карта",
    "school_alias": "запомнено написание школы",
    "column_mapping": "запомнен столбец",
    "column_mapping_removed": "забыт столбец",
    "backup_made": "резервная копия",
    "quarter_write_refused": "запись в закрытый период отклонена",
    "write_refused": "запись отклонена",
    "quarter_reopened": "период возвращён в работу",
    "quarter_checked": "период проверен",
    "quarter_approved": "период утверждён",
    "quarter_unlocked": "утверждение периода снято",
    "quarter_deadline": "срок сдачи периода",
    "throttle_cleared": "снята задержка входа",
    "sessions_ended": "завершены все сеансы",
    "backup_restored": "восстановлена резервная копия",
}


def _require_admin(scope: Scope, what: str, engine: Engine) -> None:
    auth.require(scope, "manage_users", what, engine)


def list_users(scope: Scope, engine: Engine | None = None) -> pd.DataFrame:
    engine = engine or get_engine()
    _require_admin(scope, "список пользователей", engine)
    with session_scope(engine) as s:
        rows = s.exec(select(User, Territory.name, School.short_name)
                      .join(Territory, col(Territory.id) == col(User.territory_id), isouter=True)
                      .join(School, col(School.id) == col(User.school_id), isouter=True)
                      .order_by(User.login)).all()
        return pd.DataFrame([{
            "id": u.id, "login": u.login, "full_name": u.full_name, "role": u.role, "territory": t,
            "school": sch, "is_active": u.is_active, "created_at": u.created_at,
            "territory_id": u.territory_id, "school_id": u.school_id,
        } for u, t, sch in rows], columns=["id", "login", "full_name", "role", "territory", "school",
                                           "is_active", "created_at", "territory_id", "school_id"])


@auth.audits_refusals("создание пользователя")
def create(scope: Scope, *, login: str, password: str, full_name: str, role: str,
           territory_id: int | None = None, school_id: int | None = None, engine: Engine | None = None) -> int:
    engine = engine or get_engine()
    _require_admin(scope, "создание пользователя", engine)
    auth.check_password_rules(password)
    password_hash = auth.hash_password(password)  # Argon2 before, not inside, the write transaction
    with session_scope(engine, write=True) as s:
        if school_id and not territory_id:
            territory_id = s.get(School, school_id).territory_id
        user = auth.create_user(s, login=login, password=password, full_name=full_name, role=role,
                                territory_id=territory_id, school_id=school_id, password_hash=password_hash)
        auth.audit(s, "user_created", user_id=scope.user_id, login=scope.login, object_type="user",
                   object_id=user.id, details={"login": user.login, "role": role})
        return user.id


@auth.audits_refusals("изменение пользователя")
def update(scope: Scope, user_id: int, *, role: str, territory_id: int | None, school_id: int | None,
           full_name: str | None = None, engine: Engine | None = None) -> dict:
    """Change a user's role, territory, school (and name) in one transaction, audited with the old
    and new values. A school implies its territory; the rules of `auth.create_user` apply (a
    principal and a curator need a school, a head and a methodologist a territory). A change of role,
    territory or school ends the user's sessions (their access changes). Returns the changes."""
    engine = engine or get_engine()
    _require_admin(scope, "изменение пользователя", engine)
    if role not in ROLES:
        raise AuthError(f"Неизвестная роль: {role}")
    with session_scope(engine, write=True) as s:
        user = s.get(User, user_id)
        if user is None:
            raise AuthError("Пользователь не найден.")
        if school_id:
            school = s.get(School, school_id)
            if school is None:
                raise AuthError("Школа не найдена.")
            if territory_id and territory_id != school.territory_id:
                raise AuthError(f"Школа «{school.short_name}» не относится к выбранной территории.")
            territory_id = school.territory_id
        auth.check_ties(role, territory_id, school_id)
        if user_id == scope.user_id and not policy.allowed(role, "manage_users"):
            raise AuthError("Нельзя снять роль администратора с собственной учётной записи.")
        if policy.sees(role) == "everything":
            territory_id = school_id = None
        names = {"territory_id": lambda i: i and s.get(Territory, i).name, "school_id": lambda i: i and s.get(School, i).short_name,
                 "role": lambda r: r, "full_name": lambda n: n}
        new = {"role": role, "territory_id": territory_id, "school_id": school_id}
        if full_name is not None and full_name.strip():
            new["full_name"] = auth.check_full_name(full_name)
        changes = {k: {"old": names[k](getattr(user, k)), "new": names[k](v)} for k, v in new.items()
                   if getattr(user, k) != v}
        if not changes:
            return {}
        for k, v in new.items():
            setattr(user, k, v)
        s.add(user)
        if set(changes) - {"full_name"}:
            auth.revoke_user_sessions(s, user_id)
        auth.audit(s, "user_updated", user_id=scope.user_id, login=scope.login, object_type="user",
                   object_id=user_id, details={"login": user.login, "changes": changes})
        return changes


@auth.audits_refusals("включение или отключение пользователя")
def set_active(scope: Scope, user_id: int, active: bool, engine: Engine | None = None) -> None:
    """Deactivation revokes every session of the user at once."""
    engine = engine or get_engine()
    _require_admin(scope, "отключение пользователя", engine)
    if user_id == scope.user_id and not active:
        raise AuthError("Нельзя отключить собственную учётную запись.")
    with session_scope(engine, write=True) as s:
        user = s.get(User, user_id)
        if user is None:
            raise AuthError("Пользователь не найден.")
        user.is_active = active
        s.add(user)
        if not active:
            auth.revoke_user_sessions(s, user_id)
        auth.audit(s, "user_activated" if active else "user_deactivated", user_id=scope.user_id,
                   login=scope.login, object_type="user", object_id=user_id, details={"login": user.login})


@auth.audits_refusals("сброс пароля")
def reset_password(scope: Scope, user_id: int, new_password: str, engine: Engine | None = None) -> None:
    engine = engine or get_engine()
    _require_admin(scope, "сброс пароля", engine)
    auth.check_password_rules(new_password)
    password_hash = auth.hash_password(new_password)
    with session_scope(engine, write=True) as s:
        user = s.get(User, user_id)
        if user is None:
            raise AuthError("Пользователь не найден.")
        auth.set_password(s, user, new_password, by=scope, password_hash=password_hash)
        auth.audit(s, "password_reset", user_id=scope.user_id, login=scope.login, object_type="user",
                   object_id=user_id, details={"login": user.login})


@auth.audits_refusals("смена своего пароля")
def change_own_password(scope: Scope, old_password: str, new_password: str, engine: Engine | None = None) -> None:
    """Every session of the user ends, the current one included: they log in again."""
    engine = engine or get_engine()
    with session_scope(engine) as s:
        user = s.get(User, scope.user_id)
        old_hash = user.password_hash if user else None
    if user is None or not auth.verify_password(old_hash, old_password):  # Argon2 outside the lock
        raise AuthError("Текущий пароль указан неверно.")
    if old_password == new_password:
        raise AuthError("Новый пароль совпадает с текущим.")
    auth.check_password_rules(new_password)
    password_hash = auth.hash_password(new_password)
    with session_scope(engine, write=True) as s:
        user = s.get(User, scope.user_id)
        if user.password_hash != old_hash:
            raise AuthError("Пароль только что изменён в другом окне. Войдите заново.")
        auth.set_password(s, user, new_password, password_hash=password_hash)


def throttles(scope: Scope, engine: Engine | None = None) -> pd.DataFrame:
    """Logins and addresses whose attempts now wait (or are one failure away from it)."""
    engine = engine or get_engine()
    _require_admin(scope, "задержки входа", engine)
    with session_scope(engine) as s:
        rows = auth.active_throttles(s)
    cols = ["login", "ip", "failures", "last", "wait_seconds", "rule"]
    return pd.DataFrame(rows, columns=cols)


@auth.audits_refusals("снятие задержки входа")
def clear_throttle(scope: Scope, *, login: str | None, ip: str | None, engine: Engine | None = None) -> int:
    """Lift a throttle (of a login at an address, or of a whole address when `login` is None)."""
    engine = engine or get_engine()
    _require_admin(scope, "снятие задержки входа", engine)
    with session_scope(engine, write=True, data=False) as s:
        n = auth.clear_throttle(s, login=login, ip=ip)
        auth.audit(s, "throttle_cleared", user_id=scope.user_id, login=scope.login, object_type="login",
                   object_id=login or "*", details={"ip": ip, "failures_cleared": n})
        return n


def audit_log(scope: Scope, *, actions: list[str] | None = None, login: str | None = None,
              since: date | None = None, until: date | None = None, limit: int = 500,
              engine: Engine | None = None) -> pd.DataFrame:
    engine = engine or get_engine()
    _require_admin(scope, "журнал аудита", engine)
    q = select(AuditEvent).order_by(col(AuditEvent.at).desc(), col(AuditEvent.id).desc()).limit(limit)
    if actions:
        q = q.where(col(AuditEvent.action).in_(actions))
    if login:
        q = q.where(AuditEvent.login == login.strip().lower())
    if since:
        q = q.where(AuditEvent.at >= office_midnight(since))
    if until:
        q = q.where(AuditEvent.at < office_midnight(until + timedelta(days=1)))
    with session_scope(engine) as s:
        rows = s.exec(q).all()
        return pd.DataFrame([{
            "Когда": moment(e.at),
            "Действие": AUDIT_ACTIONS.get(e.action, e.action),
            "Пользователь": e.login or "", "Что произошло": describe(e.action, e.object_type, e.object_id, e.details),
            "Адрес": e.ip or "",
        } for e in rows], columns=["Когда", "Действие", "Пользователь", "Что произошло", "Адрес"])


def territories_and_schools(scope: Scope, engine: Engine | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    engine = engine or get_engine()
    _require_admin(scope, "справочник территорий", engine)
    with session_scope(engine) as s:
        terr = pd.DataFrame([{"id": t.id, "name": t.name} for t in s.exec(select(Territory).order_by(Territory.name))],
                            columns=["id", "name"])
        # the picker's words: a school with its territory («СОШ № 2 — город Невинномысск»: five territories
        # each have a «СОШ № 2»), by territory, then in natural order
        names = dict(zip(terr["id"], terr["name"]))
        found = sorted(s.exec(select(School)).all(),
                       key=lambda x: (names.get(x.territory_id, ""), natural_key(x.short_name)))
        sch = pd.DataFrame([{"id": x.id, "name": x.short_name, "territory_id": x.territory_id,
                             "label": f"{x.short_name} — {names.get(x.territory_id, '—')}"} for x in found],
                           columns=["id", "name", "territory_id", "label"])
        return terr, sch
