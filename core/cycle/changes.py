"""Control points and activities marked done in bulk, and what changed in a roadmap's territory since
the last visit (from the audit log)."""

from __future__ import annotations

import json
from datetime import date
from typing import cast

import pandas as pd
from sqlalchemy import bindparam, text
from sqlalchemy.engine import Engine

from core import auth, roadmap_view, settings
from core import formatting as fmt
from core import roadmap as rules
from core.auth import Scope
from core.db import get_engine, session_scope
from core.models import Activity, ControlPoint
from core.quarters import as_date, aware_utc
from core.territories import contained


@auth.audits_refusals("отметка пунктов выполненными")
def mark_done_many(scope: Scope, items: list[tuple[str, int]], completed_on: date, evidence: str, *,
                   today: date | None = None, engine: Engine | None = None) -> int:
    """Mark several activities / control points «выполнено» with one date and one evidence note: the
    rules and audit of a single status change (core.roadmap_view), all in one transaction — one bad
    item and nothing is written. Returns how many changed."""
    engine = engine or get_engine()
    if not items:
        raise roadmap_view.StatusError("Не выбран ни один пункт.")
    today = today or settings.today(engine)
    models = {key: roadmap_view.item_model(scope, key[0], key[1], engine, write=True) for key in dict.fromkeys(items)}
    changed = 0
    with session_scope(engine, write=True) as s:
        for (kind, item_id), model in models.items():
            obj = cast(Activity | ControlPoint, s.get(model, item_id))  # Session.get types a union as SQLModel
            before = (obj.status, obj.completed_on, obj.evidence)
            roadmap_view.write_status(s, scope, kind, obj, "done", completed_on=completed_on, evidence=evidence,
                                      today=today)
            changed += before != (obj.status, obj.completed_on, obj.evidence)
    return changed


def previous_visit(scope: Scope, engine: Engine | None = None) -> date | None:
    """The day of the user's login before the current one (the default «since» of the changes)."""
    engine = engine or get_engine()
    with engine.connect() as c:
        rows = c.execute(text("SELECT at FROM auditevent WHERE action = 'login' AND user_id = :u ORDER BY id DESC "
                              "LIMIT 2"), {"u": scope.user_id}).all()
    return fmt.local_time(rows[1][0]).date() if len(rows) > 1 else None  # the office's day of that login


CHANGE_COLUMNS = ["at", "login", "what", "detail"]


def changes_since(scope: Scope, roadmap_id: int, since: date, engine: Engine | None = None) -> pd.DataFrame:
    """What changed in a roadmap's territory since a day, newest first, from the audit log: status
    changes of its activities and control points, uploads and entries, the quarters' checks and
    approvals."""
    engine = engine or get_engine()
    rm = roadmap_view.roadmap_meta(scope, roadmap_id, engine)  # refuses what the user may not see
    if not scope.sees_whole_territory:  # the log names every school's uploads and corrections
        raise auth.deny(scope, f"изменения дорожной карты № {roadmap_id}", engine)
    start = fmt.office_midnight(since).replace(tzinfo=None)  # the office's midnight, as the log stores it (naive UTC)
    with engine.connect() as c:
        terrs = contained(c, [rm["territory_id"]])
        # one scoped query, the limit last: another roadmap's busy log never hides this one's changes
        events = c.execute(text("""
            SELECT e.id, e.at, e.login, e.action, e.object_type, e.object_id, e.details, u.territory_id AS up_territory,
                   u.file_name, u.kind AS up_kind, u.status AS up_status
            FROM auditevent e LEFT JOIN upload u ON e.action IN ('upload', 'upload_undone') AND u.id = """
            + ("CAST(e.object_id AS INTEGER)" if engine.dialect.name == "sqlite" else
               "CASE WHEN e.object_id ~ '^[0-9]+$' THEN CAST(e.object_id AS INTEGER) END") + """
            WHERE e.at >= :since AND ((e.action = 'roadmap_status' AND e.roadmap_id = :rid)
                  OR ((e.action IN ('upload', 'upload_undone') OR e.action LIKE 'quarter\\_%' ESCAPE '\\')
                      AND e.territory_id IN :terrs))
            ORDER BY e.id DESC LIMIT 500""").bindparams(bindparam("terrs", expanding=True)),
            {"since": start, "rid": roadmap_id, "terrs": sorted(terrs) or [-1]}).all()
        titles = {(k, r.id): (r.number, r.title) for k, table in (("activity", "activity"),
                                                                  ("control_point", "controlpoint"))
                  for r in c.execute(text(f"SELECT id, number, title FROM {table} WHERE roadmap_id = :r"),
                                     {"r": roadmap_id})}
    out = []
    for e in events:
        d = json.loads(e.details or "{}")
        if e.action == "roadmap_status":
            if d.get("roadmap_id") != roadmap_id or d.get("demo"):
                continue
            number, title = titles.get((e.object_type, int(e.object_id)), (d.get("number"), ""))
            what = f"{'КТ' if e.object_type == 'control_point' else 'Мероприятие'} {number}. {fmt.clip(title, 90)}"
            old, new = d.get("old", {}), d.get("new", {})
            detail = (f"{rules.ACTIVITY_STATUSES.get(old.get('status'), old.get('status'))} → "
                      f"{rules.ACTIVITY_STATUSES.get(new.get('status'), new.get('status'))}")
            if new.get("completed_on"):
                detail += f" ({as_date(new['completed_on']):%d.%m.%Y})"
            if new.get("evidence"):
                detail += f": {fmt.clip(new['evidence'], 120)}"
        elif e.action in ("upload", "upload_undone"):
            if e.up_territory not in terrs:
                continue
            kind = {"entry": "Ввод в браузере", "correction": "Исправление"}.get(e.up_kind, "Загрузка")
            what = f"{kind} № {e.object_id}"
            if e.action == "upload":
                detail = f"новых {d.get('new', 0)}, изменено {d.get('changed', 0)}: {fmt.clip(e.file_name or '', 90)}"
            else:
                detail = "отменена"
        else:
            t_id = int(str(e.object_id or "0:").split(":")[0] or 0)
            if t_id not in terrs:
                continue
            what = f"Данные за {d.get('period_label') or d.get('period', '')}"
            detail = {"quarter_checked": "отмечены как проверенные", "quarter_approved": "утверждены",
                      "quarter_unlocked": f"утверждение снято: {d.get('reason', '')}",
                      "quarter_reopened": "возвращены в работу", "quarter_deadline": "изменён срок представления",
                      }.get(e.action, e.action)
        out.append({"at": aware_utc(e.at), "login": e.login, "what": what, "detail": detail})
    return pd.DataFrame(out, columns=CHANGE_COLUMNS)
