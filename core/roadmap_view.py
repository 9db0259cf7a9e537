"""Reads and writes of the roadmap and risk pages: the plan's items with their links, status
changes (recorded in the audit log with the old values), the audit matrix of risk factors.

Every function checks the scope: roadmap and risk pages are for users who see the roadmap's
whole territory; status changes for the roles with `can_edit_roadmap`."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

import pandas as pd
from sqlalchemy import select, text
from sqlalchemy.engine import Engine
from sqlmodel import col

from core import access, auth, settings
from core import roadmap as rules
from core.auth import Scope, deny
from core.db import get_engine, session_scope
from core.errors import Refused
from core.models import Activity, ControlPoint

KIND_LABELS = {"activity": "Мероприятие", "control_point": "Контрольная точка"}
ITEM_MODELS: dict[str, type[Activity] | type[ControlPoint]] = {"activity": Activity, "control_point": ControlPoint}
ITEM_COLUMNS = ["kind", "id", "number", "stage", "position", "direction", "direction_title", "title", "deadline_text",
                "due_date", "deadline_kind", "dates", "responsible", "expected_result", "report_form", "form",
                "participants", "venue", "risk_codes_text", "schools_text", "status", "completed_on", "evidence",
                "overdue", "indicators", "risks", "schools", "school_ids"]


class StatusError(Refused, ValueError):
    """A status change refused for its content (a Russian message); nothing was written."""



def _rows(c, sql: str, params: dict) -> list[dict]:
    return [dict(r._mapping) for r in c.execute(text(sql), params)]


def _frame(rows: list[dict], columns: list[str], ints: tuple[str, ...] = (), bools: tuple[str, ...] = ()) -> pd.DataFrame:
    """A frame whose empty texts stay None (pandas would make them NaN, which is truthy)."""
    df = pd.DataFrame(rows, columns=columns, dtype=object)
    for c in ints:
        df[c] = df[c].astype(int)
    for c in bools:
        df[c] = df[c].astype(bool)
    return df


def _as_date(x) -> date | None:
    if x is None or isinstance(x, date):
        return x
    return date.fromisoformat(str(x)[:10])


def roadmap_meta(scope: Scope, roadmap_id: int, engine: Engine | None = None) -> dict:
    engine = engine or get_engine()
    rows = access.rows(engine, """SELECT r.*, t.name AS territory, t.region_name FROM roadmap r
                                  JOIN territory t ON t.id = r.territory_id
                                  WHERE r.id = :r AND r.territory_id IN ({territories})""", scope, {"r": roadmap_id})
    if not rows or not scope.sees_whole_territory:
        raise deny(scope, f"дорожная карта {roadmap_id}", engine)
    return rows[0]


def items(scope: Scope, roadmap_id: int, today: date | None = None, engine: Engine | None = None) -> pd.DataFrame:
    """Activities and control points of a roadmap with their links, overdue first."""
    engine = engine or get_engine()
    meta = roadmap_meta(scope, roadmap_id, engine)
    today = today or settings.today(engine)
    plan = (meta["year_from"], meta["year_to"]) if meta.get("year_from") and meta.get("year_to") else None
    with engine.connect() as c:
        acts = _rows(c, """
            SELECT 'activity' AS kind, a.id, a.number, a.stage, a.position, d.number AS direction,
                   d.title AS direction_title, a.title, a.deadline_text, a.due_date, a.deadline_kind, a.responsible,
                   a.expected_result, a.report_form, a.form, a.participants, a.venue, a.risk_codes_text,
                   a.schools_text, a.status, a.completed_on, a.evidence
            FROM activity a LEFT JOIN direction d ON d.id = a.direction_id
            WHERE a.roadmap_id = :r""", {"r": roadmap_id})
        cps = _rows(c, """
            SELECT 'control_point' AS kind, id, number, '' AS stage, position, title, deadline_text, due_date,
                   deadline_kind, responsible, status, completed_on, evidence
            FROM controlpoint WHERE roadmap_id = :r""", {"r": roadmap_id})
        links = {
            "indicators": _rows(c, """SELECT l.activity_id, i.code AS v FROM activityindicator l
                JOIN indicator i ON i.id = l.indicator_id JOIN activity a ON a.id = l.activity_id
                WHERE a.roadmap_id = :r ORDER BY i.id""", {"r": roadmap_id}),
            "risks": _rows(c, """SELECT l.activity_id, f.code AS v FROM activityrisk l
                JOIN riskfactor f ON f.id = l.risk_factor_id JOIN activity a ON a.id = l.activity_id
                WHERE a.roadmap_id = :r ORDER BY f.position""", {"r": roadmap_id}),
            "schools": _rows(c, """SELECT l.activity_id, s.short_name AS v FROM activityschool l
                JOIN school s ON s.id = l.school_id JOIN activity a ON a.id = l.activity_id
                WHERE a.roadmap_id = :r ORDER BY s.code""", {"r": roadmap_id}),
            "school_ids": _rows(c, """SELECT l.activity_id, l.school_id AS v FROM activityschool l
                JOIN activity a ON a.id = l.activity_id WHERE a.roadmap_id = :r""", {"r": roadmap_id}),
        }
    by: dict[str, dict[int, list]] = {k: {} for k in links}
    for k, rows in links.items():
        for r in rows:
            by[k].setdefault(r["activity_id"], []).append(r["v"])
    out = []
    for r in acts + cps:
        r["due_date"], r["completed_on"] = _as_date(r["due_date"]), _as_date(r["completed_on"])
        stage = int(r["stage"]) if (r.get("stage") or "").isdigit() else None
        r["dates"] = rules.parse_deadline(r["deadline_text"], default_year=stage, years=plan).dates
        r["start_year"] = stage or (plan[0] if plan else None)
        r["overdue"] = rules.is_overdue(r["due_date"], r["status"], today, r["deadline_text"], r["start_year"])
        for k in links:
            r[k] = by[k].get(r["id"], []) if r["kind"] == "activity" else []
        out.append(r)
    out.sort(key=lambda r: (rules.sort_key(r["due_date"], r["status"], today, r["deadline_text"], r["start_year"]),
                            r["kind"] != "control_point",
                            r["position"]))
    return _frame(out, ITEM_COLUMNS, ints=("id", "position"), bools=("overdue",))


def filter_items(df: pd.DataFrame, *, responsible: str | None = None, statuses: list[str] | None = None,
                 school: str | None = None, indicator: str | None = None, risk: str | None = None,
                 overdue_only: bool = False) -> pd.DataFrame:
    """The page's filters (pure). `responsible` is one of the names in the «responsible» texts
    (see `responsibles`); `school` is a school's short name: activities naming it, or naming no school."""
    m = pd.Series(True, index=df.index)
    if responsible:
        m &= df["responsible"].map(lambda t: responsible in _people(t))
    if statuses:
        m &= df["status"].isin(statuses)
    if school:
        m &= df["schools"].map(lambda xs: school in xs or not xs)
    if indicator:
        m &= df["indicators"].map(lambda xs: indicator in xs)
    if risk:
        m &= df["risks"].map(lambda xs: risk in xs)
    if overdue_only:
        m &= df["overdue"]
    return df[m]


def _people(text_: str | None) -> list[str]:
    """«МБУ «ЦРО», руководители ОО» → ["МБУ «ЦРО»", "руководители ОО"] (split at commas and line breaks)."""
    parts = [p.strip().strip(".").strip() for p in (text_ or "").replace("\n", ",").split(",")]
    return [p for p in parts if len(p) > 1]


def responsibles(df: pd.DataFrame) -> list[str]:
    """The names in the «responsible» texts, most frequent first, for the filter."""
    names: dict[str, int] = {}
    for text_ in df["responsible"]:
        for part in _people(text_):
            names[part] = names.get(part, 0) + 1
    return sorted(names, key=lambda n: (-names[n], n))


def status_history(scope: Scope, kind: str, item_id: int, engine: Engine | None = None) -> list[dict]:
    """Earlier statuses of an item from the audit log, newest first."""
    engine = engine or get_engine()
    model = item_model(scope, kind, item_id, engine, write=False)
    with engine.connect() as c:
        own = tuple(c.execute(select(col(model.roadmap_id), col(model.number)).where(col(model.id) == item_id)).one())
        rows = _rows(c, """SELECT at, login, details FROM auditevent WHERE action = 'roadmap_status'
                           AND object_type = :k AND object_id = :i ORDER BY id DESC""",
                     {"k": kind, "i": str(item_id)})
    for r in rows:
        r.update(json.loads(r.pop("details") or "{}"))
    # an id freed by an item a corrected file dropped may be given to a new item: not its history
    return [r for r in rows if (r.get("roadmap_id"), r.get("number")) == own]


def item_model(scope: Scope, kind: str, item_id: int, engine: Engine, *, write: bool) -> type[Activity] | type[ControlPoint]:
    """The model of an activity («activity») or a control point («control_point») that the user may
    see, and with `write` change the status of; refused (audited) otherwise."""
    model = ITEM_MODELS.get(kind)
    if model is None:
        raise ValueError(kind)
    with session_scope(engine) as s:
        roadmap_id = s.execute(select(col(model.roadmap_id)).where(col(model.id) == item_id)).scalar()
        visible = roadmap_id is not None and bool(access.rows(
            s, "SELECT id FROM roadmap WHERE id = :r AND territory_id IN ({territories})", scope,
            {"r": roadmap_id}))
    if not visible or not scope.sees_whole_territory:
        raise deny(scope, f"{kind} {item_id}", engine)
    if write and not scope.can_edit_roadmap:
        raise deny(scope, f"изменение статуса: {kind} {item_id}", engine)
    return model


@auth.audits_refusals("смена статуса пункта дорожной карты")
def set_status(scope: Scope, kind: str, item_id: int, status: str, *, completed_on: date | None = None,
               evidence: str | None = None, today: date | None = None, engine: Engine | None = None) -> dict:
    """Change an activity's or a control point's status, in one transaction with an audit entry that
    keeps the old status, date and evidence. «Выполнено» needs a date (not in the future) and what
    confirms it; «отменено» needs the reason."""
    engine = engine or get_engine()
    model = item_model(scope, kind, item_id, engine, write=True)
    today = today or settings.today(engine)
    with session_scope(engine, write=True) as s:
        return write_status(s, scope, kind, s.get(model, item_id), status, completed_on=completed_on,
                            evidence=evidence, today=today)


def write_status(s, scope: Scope, kind: str, obj, status: str, *, completed_on: date | None, evidence: str | None,
                 today: date, demo: bool = False) -> dict:
    """The status rules and the audited write inside the caller's transaction (`set_status` after its
    access checks; the demo builder). Raises StatusError before writing anything."""
    evidence = (evidence or "").strip() or None
    if status not in rules.ACTIVITY_STATUSES:
        raise StatusError(f"Неизвестный статус «{status}».")
    if status == "done":
        if completed_on is None:
            raise StatusError("Для статуса «выполнено» укажите дату выполнения.")
        if completed_on > today:
            raise StatusError(f"Дата выполнения {completed_on:%d.%m.%Y} ещё не наступила.")
        if not evidence:
            raise StatusError("Для статуса «выполнено» укажите подтверждение: документ, ссылку или что сделано.")
    elif status == "cancelled":
        if not evidence:
            raise StatusError("Для статуса «отменено» укажите причину.")
        completed_on = None
    else:
        completed_on = None
    old = {"status": obj.status, "completed_on": obj.completed_on.isoformat() if obj.completed_on else None,
           "evidence": obj.evidence}
    new = {"status": status, "completed_on": completed_on.isoformat() if completed_on else None,
           "evidence": evidence}
    if old == new:
        return new
    obj.status, obj.completed_on, obj.evidence = status, completed_on, evidence
    s.add(obj)
    details = {"roadmap_id": obj.roadmap_id, "number": obj.number, "old": old, "new": new}
    if demo:
        details["demo"] = True
    territory = s.execute(text("SELECT territory_id FROM roadmap WHERE id = :r"), {"r": obj.roadmap_id}).scalar()
    auth.audit(s, "roadmap_status", user_id=scope.user_id, login=scope.login, object_type=kind, object_id=obj.id,
               details=details, roadmap_id=obj.roadmap_id, territory_id=territory)
    return new


# ---------------------------------------------------------------------------------------------
# Risk factors
# ---------------------------------------------------------------------------------------------
@dataclass
class RiskView:
    groups: pd.DataFrame  # code, name, goals, progress_indicators
    factors: pd.DataFrame  # id, group_code, group_name, code, name, found_in_text, n_schools, n_activities
    schools: pd.DataFrame  # id, code, short_name, is_shnor, is_shnsu, n_risks (the territory's schools)
    found: pd.DataFrame  # school_id, factor_id
    activities: pd.DataFrame  # factor_id, activity_id, number, stage, title, status, deadline_text, overdue

    @property
    def uncovered(self) -> pd.DataFrame:
        """Parameters no activity addresses."""
        return self.factors[self.factors["n_activities"] == 0]

    def matrix(self) -> pd.DataFrame:
        """Schools (rows, those with a finding first) x parameters (columns, in document order): 1 found, 0 not."""
        m = pd.DataFrame(0, index=self.schools["id"], columns=self.factors["id"])
        for r in self.found.itertuples():
            m.loc[r.school_id, r.factor_id] = 1
        return m


def risk_view(scope: Scope, roadmap_id: int, today: date | None = None, engine: Engine | None = None) -> RiskView:
    engine = engine or get_engine()
    rm = roadmap_meta(scope, roadmap_id, engine)
    today = today or settings.today(engine)
    with engine.connect() as c:
        groups = _rows(c, "SELECT code, name, goals, progress_indicators FROM riskgroup WHERE roadmap_id = :r ORDER BY id",
                       {"r": roadmap_id})
        factors = _rows(c, """
            SELECT f.id, f.group_code, f.group_name, f.code, f.name, f.found_in_text,
                   (SELECT COUNT(*) FROM schoolrisk x WHERE x.risk_factor_id = f.id) AS n_schools,
                   (SELECT COUNT(*) FROM activityrisk x WHERE x.risk_factor_id = f.id) AS n_activities
            FROM riskfactor f WHERE f.roadmap_id = :r ORDER BY f.position, f.id""", {"r": roadmap_id})
        schools = _rows(c, """
            SELECT s.id, s.code, s.short_name, s.is_shnor, s.is_shnsu,
                   (SELECT COUNT(*) FROM schoolrisk x JOIN riskfactor f ON f.id = x.risk_factor_id
                    WHERE x.school_id = s.id AND f.roadmap_id = :r) AS n_risks
            FROM school s WHERE s.territory_id IN
                (SELECT descendant_id FROM territoryclosure WHERE ancestor_id = :t)
            ORDER BY s.code""", {"r": roadmap_id, "t": rm["territory_id"]})
        found = _rows(c, """SELECT x.school_id, x.risk_factor_id AS factor_id FROM schoolrisk x
                            JOIN riskfactor f ON f.id = x.risk_factor_id WHERE f.roadmap_id = :r""", {"r": roadmap_id})
        acts = _rows(c, """
            SELECT l.risk_factor_id AS factor_id, a.id AS activity_id, a.number, a.stage, a.title, a.status,
                   a.deadline_text, a.due_date, a.position
            FROM activityrisk l JOIN activity a ON a.id = l.activity_id
            WHERE a.roadmap_id = :r ORDER BY a.position""", {"r": roadmap_id})
    for a in acts:
        a["overdue"] = rules.is_overdue(_as_date(a.pop("due_date")), a["status"], today, a["deadline_text"])
    return RiskView(
        groups=_frame(groups, ["code", "name", "goals", "progress_indicators"]),
        factors=_frame(factors, ["id", "group_code", "group_name", "code", "name", "found_in_text", "n_schools",
                                 "n_activities"], ints=("id", "n_schools", "n_activities")),
        schools=_frame(schools, ["id", "code", "short_name", "is_shnor", "is_shnsu", "n_risks"], ints=("id", "n_risks"),
                       bools=("is_shnor", "is_shnsu")),
        found=_frame(found, ["school_id", "factor_id"], ints=("school_id", "factor_id")),
        activities=_frame(acts, ["factor_id", "activity_id", "number", "stage", "title", "status", "deadline_text",
                                 "position", "overdue"], ints=("factor_id", "activity_id", "position"),
                          bools=("overdue",)))
