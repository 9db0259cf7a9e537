"""The audit log in sentences: each stored event (action, object, JSON details) told in Russian, for
the administrator's journal. Pure functions; the stored JSON stays as it is (it is the record)."""

from __future__ import annotations

import json
import re
from typing import Any

from core.roadmap import ACTIVITY_STATUSES
from core.vocabulary import ROLE_LABELS

OBJECT_LABELS = {
    "user": "пользователь", "activity": "мероприятие", "control_point": "контрольная точка",
    "upload": "загрузка", "roadmap": "дорожная карта", "quarter": "период", "school": "школа",
    "login": "логин",
}
QUARTER_STATES = {"open": "открыт", "checked": "проверен", "approved": "утверждён"}
# Keys of details as the app writes them, in words (a key not listed is shown as it is stored)
KEY_LABELS = {
    "file": "файл", "rows": "строк", "new": "новых", "changed": "изменено", "unchanged": "без изменений",
    "restored": "восстановлено", "removed": "удалено", "measurements": "значений", "roadmaps": "дорожные карты",
    "ip": "адрес", "failures_cleared": "снято неудачных попыток", "rule": "правило", "wait_s": "ожидание, с",
    "saved_before": "копия до восстановления", "sessions_ended": "завершено сеансов", "code": "код",
    "why": "причина", "reason": "причина", "territory": "территория", "period": "период", "school": "школа",
    "written": "как записано", "key": "ключ", "first_run": "первый запуск", "rehashed": "пароль перехеширован",
    "role": "роль", "login": "логин", "what": "что", "statuses_kept": "сохранено отметок", "dropped": "удалено пунктов",
    "school_id": "школа", "territory_id": "территория", "full_name": "имя", "old_deadline": "прежний срок",
    "deadline": "срок", "targets_dropped": "удалено целей", "replaced": "замена", "number": "номер",
    "evidence": "подтверждение", "status": "статус", "completed_on": "дата выполнения", "activities": "мероприятий",
    "control_points": "контрольных точек", "targets": "целей", "schools": "школ", "indicators": "показателей",
    "directions": "направлений", "risk_factors": "параметров риска", "risks": "факторов риска",
    "curator_links": "кураторских связей", "school_groups": "групп школ", "title": "название",
}
# Coded values of details, in words («login_address» is how the throttle names its rule)
VALUE_LABELS = {
    "rule": {"login_address": "логин с адреса", "address": "весь адрес (разные логины)"},
}
# Keys that are the record's internals (ids, the stored period code beside its label): not told
HIDDEN_KEYS = {"roadmap_id", "replaced_school_id", "period_label", "demo", "object_id", "user_id", "upload_id"}
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


def _v(value) -> str:
    if value is True:
        return "да"
    if value is False:
        return "нет"
    if value is None or value == "":
        return "—"
    if isinstance(value, list):
        if not value:
            return "нет"
        return ", ".join(_v(x) for x in value[:12]) + (f" и ещё {len(value) - 12}" if len(value) > 12 else "")
    if isinstance(value, dict):
        return _pairs(value)
    m = _ISO_DATE.match(str(value))
    return f"{m[3]}.{m[2]}.{m[1]}" if m else str(value)


def _pairs(details: dict, skip: tuple[str, ...] = ()) -> str:
    """«ключ: значение» in words; a key the app does not name in words is an internal of the record
    (kept in the stored JSON, not told): the journal never shows «login_address» or «roadmap_id»."""
    return "; ".join(f"{_label(k)}: {_v(VALUE_LABELS.get(k, {}).get(v, v) if isinstance(v, str) else v)}"
                     for k, v in details.items() if k not in skip and _label(k) and k not in HIDDEN_KEYS)


def _label(key: str) -> str | None:
    """A key in words: from KEY_LABELS, or the key itself when it already is words (the roadmap
    importer's counts are stored as «Мероприятия»); None for any other Latin key."""
    return KEY_LABELS.get(key) or (None if re.search(r"[A-Za-z_]", key) else key)


def _rest(details: dict, skip: tuple[str, ...] = ()) -> str:
    text = _pairs(details, skip)
    return (text[:1].upper() + text[1:] + ".") if text else ""


def _status(s: dict | None) -> str:
    s = s or {}
    text = f"«{ACTIVITY_STATUSES.get(s.get('status'), s.get('status') or '—')}»"
    if s.get("completed_on"):
        text += f" ({s['completed_on'][8:10]}.{s['completed_on'][5:7]}.{s['completed_on'][:4]})"
    return text


def describe(action: str, object_type: str | None, object_id: str | None, details: str | dict | None) -> str:
    """One event as a Russian sentence (without who and when: the journal has columns for those)."""
    parsed: Any
    if isinstance(details, str):
        try:
            parsed = json.loads(details) if details else {}
        except ValueError:
            parsed = {"что": details}
    else:
        parsed = dict(details or {})
    d: dict[str, Any] = parsed if isinstance(parsed, dict) else {"что": parsed}
    obj = OBJECT_LABELS.get(object_type or "", object_type or "")
    if action == "access_denied":
        return f"Отказано в доступе: {d.get('what', '—')}."
    if action == "write_refused":
        return f"Отклонено ({d.get('what', '—')}): {d.get('why', '—')}"
    if action in ("login", "logout", "login_failed"):
        return {"login": "Вход в систему", "logout": "Выход из системы",
                "login_failed": "Неудачная попытка входа"}[action] + (" (пароль перехеширован)." if d.get("rehashed") else ".")
    if action == "login_throttled":
        rule = VALUE_LABELS["rule"].get(d.get("rule"), "—")
        return f"Вход задержан после неудачных попыток ({rule}); ждать {d.get('wait_s', '—')} с."
    if action == "user_created":
        role = ROLE_LABELS.get(d.get("role"), d.get("role") or "—")
        return (f"Создан пользователь {d.get('login', '')} с ролью «{role}»".replace("  ", " ")
                + (" при первом запуске" if d.get("first_run") else "") + ".")
    if action == "user_updated":
        changes = d.get("changes", {})
        word = {"role": lambda r: ROLE_LABELS.get(r, r)}
        parts = [f"{KEY_LABELS.get(k, k)}: {_v(word.get(k, _v)(v.get('old')))} → {_v(word.get(k, _v)(v.get('new')))}"
                 for k, v in changes.items()]
        return f"Изменён пользователь {d.get('login', '')}: " + ("; ".join(parts) or "без изменений") + "."
    if action in ("user_activated", "user_deactivated"):
        return f"Пользователь {d.get('login', '')} {'включён' if action == 'user_activated' else 'отключён'}."
    if action in ("password_reset", "password_changed"):
        who = d.get("login")
        return ("Администратор сбросил пароль" if action == "password_reset" else "Изменён пароль") + (
            f" пользователя {who}." if who else ".")
    if action == "roadmap_status":
        kind = OBJECT_LABELS.get(object_type or "", "пункт")
        text = (f"{kind.capitalize()} № {d.get('number', object_id)}: статус {_status(d.get('old'))} → "
                f"{_status(d.get('new'))}.")
        ev = (d.get("new") or {}).get("evidence")
        if ev:
            text += f" Подтверждение: {ev}."
        if d.get("demo"):
            text += " (демонстрационная отметка)"
        return text
    if action == "upload":
        return f"Загружен файл «{d.get('file', '—')}». " + _rest(d, ("file",))
    if action == "upload_undone":
        return f"Отменена загрузка № {object_id}. " + _rest(d)
    if action in ("roadmap_loaded", "roadmap_replaced"):
        verb = "Загружена" if action == "roadmap_loaded" else "Заменена"
        return f"{verb} дорожная карта «{d.get('code', object_id)}» из файла «{d.get('file', '—')}». " + _rest(
            d, ("code", "file"))
    if action == "demo_built":
        return f"Создана демонстрационная база: {d.get('measurements', '—')} значений, дорожных карт: {len(d.get('roadmaps', []))}."
    if action.startswith("quarter"):
        old, new = QUARTER_STATES.get(d.get("old"), d.get("old")), QUARTER_STATES.get(d.get("new"), d.get("new"))
        head = f"Период {d.get('period_label') or d.get('period') or '—'}, {d.get('territory', '')}".rstrip(", ")
        if (old or new) and old != new:
            head += f": {old or '—'} → {new or '—'}"
        return head + ". " + _rest(d, ("period", "territory", "old", "new"))
    if action == "throttle_cleared":
        return f"Снята задержка входа для {'логина ' + object_id if object_id and object_id != '*' else 'адреса'}. " + _rest(d)
    if action == "column_mapping":
        return (f"Запомнен столбец «{d.get('header', '—')}»: {d.get('answer', '—')}"
                + (f" (было: {d['old']})." if d.get("old") else "."))
    if action == "column_mapping_removed":
        return f"Забыт столбец «{d.get('header', '—')}» (было: {d.get('old', '—')})."
    if action == "school_alias":
        return f"Запомнено написание школы «{d.get('written', '—')}» для {d.get('school', '—')}."
    if action in ("backup_made", "backup_restored"):
        verb = "Сделана резервная копия" if action == "backup_made" else "Восстановлена резервная копия"
        return f"{verb} «{d.get('file', '—')}». " + _rest(d, ("file",))
    head = f"{obj.capitalize()} {object_id or ''}".strip()
    return ((head + ". ") if head else "") + _rest(d)
