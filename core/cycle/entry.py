"""Entry and correction of values in the browser: the school's form, and what is typed turned into
the upload pipeline's preview, so that it goes the same way as a file."""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.engine import Engine

from core import auth, periods, policy
from core.auth import Scope
from core.cycle.reported import EXPECTED_SQL
from core.db import get_engine
from core.models import utcnow
from core.quarters import CycleError, period_row


ENTRY_SHEET = "Форма ввода"


@dataclass
class EntryRow:
    indicator_id: int
    code: str
    name: str
    short_name: str
    value_kind: str
    unit: str
    numerator_label: str | None
    denominator_label: str | None
    current: tuple | None  # (value, numerator, denominator) of the period, or None
    previous: tuple | None  # the same for the previous period of the same kind
    previous_label: str | None


def _school(c, school_id: int) -> dict:
    r = c.execute(text("SELECT id, code, short_name, name, territory_id FROM school WHERE id = :s"),
                  {"s": school_id}).first()
    return dict(r._mapping) if r else None


def is_correction(scope: Scope) -> bool:
    """An entry by this user is a correction (of another's figures: a reason is required)."""
    return policy.allowed(scope, "correct")


def may_enter(scope: Scope, school: dict | None) -> bool:
    """A principal enters their own school; a methodologist (or administrator) corrects any school
    of their territory."""
    if school is None or not scope.can_upload:
        return False
    if policy.allowed(scope, "enter_own_school_only"):
        return scope.own_school_id == school["id"]
    return scope.sees_whole_territory and scope.can_see_territory(school["territory_id"])


def _previous_code(per: dict) -> str | None:
    """The calendar's period before this one, of the same kind (its row may not exist)."""
    spec = periods.parse(per["code"])
    return None if spec is None else periods.preceding(spec).code


def entry_form(scope: Scope, school_id: int, period: str | int, engine: Engine | None = None
               ) -> tuple[dict, dict, list[EntryRow]]:
    """The school, the period and the indicators the school reports (those of its roadmap targets),
    each with its current and its previous-period value."""
    engine = engine or get_engine()
    with engine.connect() as c:
        school = _school(c, school_id)
        if not may_enter(scope, school):
            raise auth.deny(scope, f"ввод данных школы {school_id}", engine)
        per = period_row(c, period)
        prev_code = _previous_code(per)
        prev = c.execute(text('SELECT id FROM period WHERE code = :c'), {"c": prev_code}).first()
        sql = "WITH " + EXPECTED_SQL.format(only="AND s.id = :s") + """
            SELECT i.id, i.code, i.name, i.short_name, i.value_kind, i.unit, i.numerator_label, i.denominator_label,
                   m.value, m.numerator, m.denominator, pm.value AS p_value, pm.numerator AS p_numerator,
                   pm.denominator AS p_denominator
            FROM exp JOIN indicator i ON i.id = exp.indicator_id
            LEFT JOIN measurement m ON m.school_id = exp.school_id AND m.indicator_id = i.id AND m.period_id = :p
            LEFT JOIN measurement pm ON pm.school_id = exp.school_id AND pm.indicator_id = i.id AND pm.period_id = :pp
            ORDER BY i.id"""
        rows = c.execute(text(sql), {"t": school["territory_id"], "s": school_id, "p": per["id"] or -1,
                                     "pp": prev.id if prev else -1}).all()
    out = [EntryRow(r.id, r.code, r.name, r.short_name, r.value_kind, r.unit, r.numerator_label, r.denominator_label,
                    (r.value, r.numerator, r.denominator) if r.value is not None else None,
                    (r.p_value, r.p_numerator, r.p_denominator) if r.p_value is not None else None,
                    periods.parse(prev_code).label if prev_code else None) for r in rows]
    return school, per, out


def _same_as_current(row: EntryRow, parts: dict) -> bool:
    if row.current is None:
        return False
    now = dict(zip(("value", "numerator", "denominator"), row.current))
    return all(v is not None and now.get(k) is not None and abs(float(v) - now[k]) < 1e-9 for k, v in parts.items())


def prepare_entry(scope: Scope, school_id: int, period: str | int, values: dict[str, dict[str, float | None]], *,
                  reason: str | None = None, engine: Engine | None = None):
    """Values typed in the form -> the upload pipeline's preview, and the bytes kept as the original
    (a JSON of what was typed). `values`: indicator code -> {"value"|"numerator"|"denominator": number
    or None}. A methodologist's (or administrator's) correction needs a reason; a principal's entry
    is of their own school. Returns (preview, data) for `pipeline.apply`."""
    from core.ingest import pipeline
    from core.ingest.parse import Entry, Parsed

    engine = engine or get_engine()
    school, per, rows = entry_form(scope, school_id, period, engine)
    reason = (reason or "").strip() or None
    correction = is_correction(scope)
    if correction and not reason:
        raise CycleError("Укажите причину исправления: она сохраняется в журнале загрузок и в истории значений.")
    known = {r.code: r for r in rows}
    entries = []
    for code, parts in values.items():
        r = known.get(code)
        if r is None:
            raise CycleError(f"Показатель «{code}» не входит в форму этой школы.")
        for part, raw in parts.items():
            label = {"value": r.short_name, "numerator": f"{r.short_name}: {r.numerator_label or 'из них'}",
                     "denominator": f"{r.short_name}: {r.denominator_label or 'всего'}"}[part]
            entries.append(Entry(school_ref=school["code"], indicator=code, period=per["code"], part=part, raw=raw,
                                 sheet=ENTRY_SHEET, row=None, col=label, header=None))
    typed = {code: parts for code, parts in values.items() if any(v is not None for v in parts.values())}
    if not typed:
        raise CycleError("Не введено ни одного значения.")
    typed = {code: parts for code, parts in typed.items() if not _same_as_current(known[code], parts)}
    if not typed:
        raise CycleError("Введённые значения совпадают с уже записанными: записывать нечего.")
    entries = [e for e in entries if e.indicator in typed]
    kind = "correction" if correction else "entry"
    data = json.dumps({"kind": kind, "school": school["code"], "period": per["code"], "values": typed,
                       "reason": reason, "by": scope.login, "at": utcnow().isoformat()},
                      ensure_ascii=False, sort_keys=True).encode("utf-8")
    title = ("Исправление" if correction else "Ввод в браузере") + f": {school['short_name']}, {per['label']}"
    if reason:
        title += f" — {reason}"
    pv = pipeline.prepare_parsed(scope, Parsed(entries=entries, kind=kind), title[:255], data, per["code"], engine)
    return pv, data
