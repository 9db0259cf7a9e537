"""The quarterly cycle: who has reported (collection), entry and correction of values in the browser,
the steps that change a territory's period — open → checked → approved, unlocked with a reason —
and control points / activities in bulk with what changed since the last visit.

Every function takes the caller's Scope. The state as everyone reads it, and the lock an approval
puts on writes of measurements (checked by core.ingest.pipeline inside its write transaction), are
core.quarters; its names are available here too. Every state change is in the audit log (action
`quarter_*`)."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from datetime import date, datetime

import pandas as pd
from sqlalchemy import bindparam, text
from sqlalchemy.engine import Engine

from core import access, approval, auth, periods, policy, quarters, settings
from core import formatting as fmt
from core.auth import Scope
from core.db import get_engine, session_scope
from core.models import QuarterState, utcnow
from core.territories import contained, contained_sql
from core.quarters import (  # noqa: F401 - the state's names, used here and by callers of the cycle
    ADVISORY_LOCK, DEADLINE_DAYS, STATE_LABELS, STATES, CycleError, QuarterInfo, QuarterLocked, _as_date, aware_utc,
    _info, _state_rows, approval_note, approvals, default_deadline, guard_writes, locked_messages,
    period_row, quarter_state, refuse_if_locked, short_note, territory_row)


# ---------------------------------------------------------------------------------------------
# State changes
# ---------------------------------------------------------------------------------------------
def _may_manage(scope: Scope, territory_id: int, action: str) -> bool:
    return policy.allowed(scope, action) and scope.sees_whole_territory and scope.can_see_territory(territory_id)


def may_change_state(scope: Scope, territory_id: int, action: str) -> bool:
    """May the user check / approve / unlock / set the deadline of this territory's periods (the
    page shows the buttons only then; the change itself checks again)."""
    return _may_manage(scope, territory_id, action)


def _change(scope: Scope, territory: int | str, period: str | int, *, action: str, what: str,
            engine: Engine | None, step) -> QuarterInfo:
    """Run one state change in a write transaction: check the role, lock, read the row, let `step`
    change it (or raise CycleError), audit."""
    engine = engine or get_engine()
    with engine.connect() as c:
        terr = territory_row(c, territory)
        per = period_row(c, period)
    if not _may_manage(scope, terr["id"], action):
        raise auth.deny(scope, f"{what}: {terr['name']}, {per['label']}", engine)
    with session_scope(engine, write=True) as s:
        quarters.serialise_writes(s)
        if per["id"] is None:  # a quarter nobody has reported yet: its period row is made now
            per["id"] = periods.ensure(s, [per["code"]])[per["code"]]
        row = s.get(QuarterState, (terr["id"], per["id"]))
        if row is None:
            row = QuarterState(territory_id=terr["id"], period_id=per["id"], state="open")
        old = row.state
        action, details = step(s, row, terr, per)
        row.updated_by, row.updated_at = scope.user_id, utcnow()
        s.add(row)
        auth.audit(s, action, user_id=scope.user_id, login=scope.login, object_type="quarter",
                   object_id=f"{terr['id']}:{per['code']}", territory_id=terr["id"],
                   details={"territory": terr["name"], "period": per["code"], "period_label": per["label"], "old": old,
                            "new": row.state, **details})
    return quarter_state(terr["id"], per["id"], engine)


def _above_approved(s, terr: dict, per: dict) -> None:
    rows = [r for r in _state_rows(s, terr["id"], per["id"]) if r["depth"] > 0 and r["state"] == "approved"]
    if rows:
        raise CycleError(f"{per['label']} утверждён для территории «{rows[0]['territory']}», в которую входит "
                         f"«{terr['name']}». Изменить состояние можно после снятия того утверждения.")


@auth.audits_refusals("отметка «проверен»")
def mark_checked(scope: Scope, territory: int | str, period: str | int, engine: Engine | None = None) -> QuarterInfo:
    """The methodologist has checked the figures of the period: open → checked."""
    def step(s, row, terr, per):
        _above_approved(s, terr, per)
        if row.state == "approved":
            raise CycleError(f"{per['label']} по территории «{terr['name']}» уже утверждён.")
        if row.state == "checked":
            raise CycleError(f"{per['label']} по территории «{terr['name']}» уже отмечен как проверенный.")
        row.state, row.checked_by, row.checked_at = "checked", scope.user_id, utcnow()
        return "quarter_checked", {}
    return _change(scope, territory, period, action="check", what="отметка «проверено»",
                   engine=engine, step=step)


@auth.audits_refusals("возврат периода в работу")
def reopen(scope: Scope, territory: int | str, period: str | int, engine: Engine | None = None) -> QuarterInfo:
    """The methodologist takes a checked period back into work: checked → open."""
    def step(s, row, terr, per):
        if row.state != "checked":
            raise CycleError(f"{per['label']} по территории «{terr['name']}» не отмечен как проверенный.")
        row.state, row.checked_by, row.checked_at = "open", None, None
        return "quarter_reopened", {}
    return _change(scope, territory, period, action="check", what="снятие отметки «проверено»",
                   engine=engine, step=step)


@auth.audits_refusals("утверждение периода")
def approve(scope: Scope, territory: int | str, period: str | int, engine: Engine | None = None) -> QuarterInfo:
    """The head approves a checked period: checked → approved; writes into it are refused from now on."""
    engine = engine or get_engine()
    prepared = None
    with engine.connect() as c:  # the figures to freeze, computed before the write lock is taken
        terr0, per0 = territory_row(c, territory), period_row(c, period)
    if _may_manage(scope, terr0["id"], "approve") and quarter_state(terr0["id"], per0["code"],
                                                                            engine).state == "checked":
        prepared = approval.prepare(engine, terr0["id"], per0)

    def step(s, row, terr, per):
        _above_approved(s, terr, per)
        if row.state == "approved":
            raise CycleError(f"{per['label']} по территории «{terr['name']}» уже утверждён.")
        if row.state != "checked":
            raise CycleError(f"{per['label']} по территории «{terr['name']}» ещё не проверен: сначала методист "
                             "отмечает данные как проверенные, затем руководитель утверждает.")
        row.state, row.approved_by, row.approved_at = "approved", scope.user_id, utcnow()
        # what was approved is frozen in the same transaction (core.approval)
        n = approval.take(s, terr["id"], per, approved_by=scope.user_id, approved_at=row.approved_at,
                          prepared=prepared)
        return "quarter_approved", {"figures": n}
    return _change(scope, territory, period, action="approve", what="утверждение данных", engine=engine,
                   step=step)


@auth.audits_refusals("снятие утверждения периода")
def unlock(scope: Scope, territory: int | str, period: str | int, reason: str,
           engine: Engine | None = None) -> QuarterInfo:
    """The head takes an approval back, with a reason: approved → open (to be checked again)."""
    reason = (reason or "").strip()

    def step(s, row, terr, per):
        if row.state != "approved":
            raise CycleError(f"{per['label']} по территории «{terr['name']}» не утверждён: снимать нечего.")
        if not reason:
            raise CycleError("Укажите причину снятия утверждения.")
        row.state, row.approved_by, row.approved_at = "open", None, None
        row.checked_by, row.checked_at = None, None
        n = approval.discard(s, terr["id"], per["id"])  # the frozen figures go with the approval
        return "quarter_unlocked", {"reason": reason[:1000], "figures_discarded": n}
    return _change(scope, territory, period, action="unlock", what="снятие утверждения", engine=engine,
                   step=step)


@auth.audits_refusals("срок сдачи периода")
def set_deadline(scope: Scope, territory: int | str, period: str | int, deadline: date | None,
                 engine: Engine | None = None) -> QuarterInfo:
    """The date by which schools report the period (None: back to the default)."""
    def step(s, row, terr, per):
        if deadline is not None and deadline < per["start"]:
            raise CycleError(f"Срок {deadline:%d.%m.%Y} раньше начала периода ({per['start']:%d.%m.%Y}).")
        old = row.deadline
        row.deadline = deadline
        return "quarter_deadline", {"old_deadline": old.isoformat() if old else None,
                                    "deadline": deadline.isoformat() if deadline else None}
    return _change(scope, territory, period, action="set_deadline", what="срок представления данных",
                   engine=engine, step=step)


# ---------------------------------------------------------------------------------------------
# Collection: who has reported
# ---------------------------------------------------------------------------------------------
_EXPECTED = """
    sch AS (
        SELECT s.id, s.code, s.short_name, s.territory_id FROM school s
        WHERE s.territory_id IN (""" + contained_sql("t") + """) {only}
    ),
    exp AS (
        SELECT DISTINCT sch.id AS school_id, tg.indicator_id
        FROM sch JOIN territoryclosure cl ON cl.descendant_id = sch.territory_id
        JOIN roadmap r ON r.territory_id = cl.ancestor_id
        JOIN target tg ON tg.roadmap_id = r.id
        JOIN indicator i ON i.id = tg.indicator_id
        WHERE i.level = 'school'
    )"""

COLLECTION_COLUMNS = ["school_id", "code", "school", "territory_id", "expected", "reported_values", "reported",
                      "complete", "status", "first_at", "last_at", "by", "via", "upload_id", "late"]


@dataclass
class Collection:
    info: QuarterInfo
    rows: pd.DataFrame = field(repr=False)  # COLLECTION_COLUMNS, one row per school expected to report
    today: date = field(default_factory=date.today)

    @property
    def n_schools(self) -> int:
        return len(self.rows)

    @property
    def n_reported(self) -> int:
        return int(self.rows["reported"].sum())

    @property
    def n_complete(self) -> int:
        return int(self.rows["complete"].sum())

    @property
    def n_late(self) -> int:
        return int(self.rows["late"].sum())

    @property
    def not_reported(self) -> pd.DataFrame:
        return self.rows[~self.rows["reported"]]

    @property
    def latest(self) -> dict | None:
        """The school whose values came last through an upload or an entry (not the demo's)."""
        real = self.rows[self.rows["upload_id"].notna()]
        return None if real.empty else real.sort_values("last_at").iloc[-1].to_dict()

    def filtered(self, *, late_only: bool = False, incomplete_only: bool = False) -> pd.DataFrame:
        df = self.rows
        if late_only:
            df = df[df["late"]]
        if incomplete_only:
            df = df[~df["complete"]]
        return df


def _via(kind: str | None, upload_id: int | None, is_demo: bool) -> str:
    if upload_id is None:
        return "демо-данные" if is_demo else "—"
    return {"entry": "ввод в браузере", "correction": "исправление"}.get(kind or "", "загрузка файла") + f" № {upload_id}"


def collection(scope: Scope, territory_id: int, period: str | int, *, today: date | None = None,
               engine: Engine | None = None) -> Collection:
    """Every school of the territory that has roadmap targets × has it reported the period: n of m
    values (the school-level indicators of the targets of the roadmaps over it), when, by whom,
    through which upload or entry, late or not. One aggregate query; a curator or a principal gets
    only their schools."""
    engine = engine or get_engine()
    today = today or settings.today(engine)
    if not scope.can_see_territory(territory_id):
        raise auth.deny(scope, f"сбор данных по территории {territory_id}", engine)
    with engine.connect() as c:
        info = _info(c, territory_id, period)
        params: dict = {"t": territory_id, "p": info.period_id or -1}  # -1: no row yet, nobody has reported
        sql = "WITH " + _EXPECTED.format(only="AND s.id IN ({schools})") + """,
            got AS (
                SELECT m.school_id, m.entered_at, m.entered_by, m.upload_id, m.is_demo,
                       ROW_NUMBER() OVER (PARTITION BY m.school_id ORDER BY m.entered_at DESC, m.id DESC) AS rn
                FROM measurement m JOIN exp ON exp.school_id = m.school_id AND exp.indicator_id = m.indicator_id
                WHERE m.period_id = :p AND m.value IS NOT NULL
            ),
            exp_n AS (SELECT school_id, COUNT(*) AS m FROM exp GROUP BY school_id),
            got_n AS (SELECT school_id, COUNT(*) AS n,  -- demo values were written when the demo was built: never late
                      MIN(CASE WHEN is_demo THEN NULL ELSE entered_at END) AS first_at FROM got GROUP BY school_id)
            SELECT sch.id AS school_id, sch.code, sch.short_name AS school, sch.territory_id, e.m AS expected,
                   COALESCE(g.n, 0) AS reported_values, g.first_at, l.entered_at AS last_at, u.full_name AS by_name,
                   u.login AS by_login, l.upload_id, up.kind, l.is_demo
            FROM sch JOIN exp_n e ON e.school_id = sch.id
            LEFT JOIN got_n g ON g.school_id = sch.id
            LEFT JOIN got l ON l.school_id = sch.id AND l.rn = 1
            LEFT JOIN "user" u ON u.id = l.entered_by
            LEFT JOIN upload up ON up.id = l.upload_id
            ORDER BY sch.short_name, sch.code"""
        raw = access.rows(c, sql, scope, params)  # a curator or a principal: their schools only
    raw = sorted(raw, key=lambda r: (fmt.natural_key(r["school"]), r["code"]))  # «СОШ № 2» before «№ 14»
    overdue = today > info.deadline
    out = []
    for r in raw:
        n, m = int(r["reported_values"]), int(r["expected"])
        first = aware_utc(r["first_at"])
        late = (first is not None and first.date() > info.deadline) or (n == 0 and overdue)
        if n == 0:
            status = "не представлены" + (" (срок прошёл)" if overdue else "")
        elif n < m:
            status = f"частично: {n} из {m}"
        else:
            status = "представлены"
        if n and late:
            status += ", с опозданием"
        out.append({"school_id": r["school_id"], "code": r["code"], "school": r["school"],
                    "territory_id": r["territory_id"], "expected": m, "reported_values": n, "reported": n > 0,
                    "complete": n >= m, "status": status, "first_at": first,
                    "last_at": None if r["is_demo"] else aware_utc(r["last_at"]),  # the demo's: when it was built
                    "by": r["by_name"] or r["by_login"] or ("—" if not r["is_demo"] else "демо"),
                    "via": _via(r["kind"], r["upload_id"], bool(r["is_demo"])) if n else "—",
                    "upload_id": r["upload_id"], "late": bool(late)})
    df = pd.DataFrame(out, columns=COLLECTION_COLUMNS)
    for col in ("reported", "complete", "late"):
        df[col] = df[col].astype(bool)
    return Collection(info=info, rows=df, today=today)


def territories(scope: Scope, engine: Engine | None = None) -> pd.DataFrame:
    """Territories the user may see that have roadmap targets measured per school (the ones with a
    collection), the user's own first."""
    engine = engine or get_engine()
    with engine.connect() as c:
        rows = access.rows(c, """
            SELECT DISTINCT t.id, t.name FROM territory t
            JOIN territoryclosure cl ON cl.descendant_id = t.id
            JOIN roadmap r ON r.territory_id = cl.ancestor_id
            JOIN target tg ON tg.roadmap_id = r.id JOIN indicator i ON i.id = tg.indicator_id AND i.level = 'school'
            WHERE EXISTS (SELECT 1 FROM territoryclosure c2 JOIN school s ON s.territory_id = c2.descendant_id
                          WHERE c2.ancestor_id = t.id)
              AND t.id IN ({territories})
            ORDER BY t.name""", scope)
    return pd.DataFrame(rows, columns=["id", "name"])


# ---------------------------------------------------------------------------------------------
# Schools that have not reported: a list, a spreadsheet, a letter
# ---------------------------------------------------------------------------------------------
def not_reported_xlsx(col: Collection) -> bytes:
    from core import reports

    rows = [[r.code, r.school, r.reported_values, r.expected, r.status] for r in col.not_reported.itertuples()]
    return reports._workbook({"Не представили": (
        ["Код школы", "Школа", "Представлено значений", "Ожидается значений", "Состояние"], rows)})


def not_reported_letter(col: Collection, *, today: date | None = None) -> bytes:
    """A short letter «О представлении данных мониторинга…» to the schools that have not reported."""
    from core import reports

    today = today or col.today
    info = col.info
    doc = reports._document()
    reports._para(doc, f"{fmt.day_month_year(today)}", center=False)
    reports._para(doc, "Руководителям общеобразовательных организаций (по списку)", italic=True)
    reports._para(doc, f"О представлении данных мониторинга целевых показателей дорожной карты за {info.period_label}",
                  bold=True, center=True)
    missing = col.not_reported
    deadline = info.deadline
    if today <= deadline:
        lead = f"Напоминаем, что данные мониторинга за {info.period_label} представляются до {deadline:%d.%m.%Y}."
    else:
        lead = (f"Срок представления данных мониторинга за {info.period_label} истёк {deadline:%d.%m.%Y}. "
                f"На {today:%d.%m.%Y} данные не представили {len(missing)} "
                f"{fmt.plural(len(missing), ('организация', 'организации', 'организаций'))}.")
    reports._para(doc, lead)
    reports._para(doc, "Просим в течение трёх рабочих дней заполнить форму мониторинга (файл Excel или ввод в "
                       "системе мониторинга) и представить её в управление образования.")
    if len(missing):
        reports._table(doc, ["№", "Код", "Организация"],
                       [[str(i), r.code, r.school] for i, r in enumerate(missing.itertuples(), 1)], [1.2, 3.0, 12.0])
    else:
        reports._para(doc, "Все организации данные представили.")
    reports._para(doc, "")
    reports._para(doc, "Руководитель управления образования  ____________________")
    reports._para(doc, f"Территория: {info.territory}.", italic=True)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


# ---------------------------------------------------------------------------------------------
# Entry in the browser: the same pipeline as a file
# ---------------------------------------------------------------------------------------------
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
        sql = "WITH " + _EXPECTED.format(only="AND s.id = :s") + """
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


# ---------------------------------------------------------------------------------------------
# Control points and activities in bulk; what changed since the last meeting
# ---------------------------------------------------------------------------------------------
@auth.audits_refusals("отметка пунктов выполненными")
def mark_done_many(scope: Scope, items: list[tuple[str, int]], completed_on: date, evidence: str, *,
                   today: date | None = None, engine: Engine | None = None) -> int:
    """Mark several activities / control points «выполнено» with one date and one evidence note: the
    rules and audit of a single status change (core.roadmap_view), all in one transaction — one bad
    item and nothing is written. Returns how many changed."""
    from core import roadmap_view

    engine = engine or get_engine()
    if not items:
        raise roadmap_view.StatusError("Не выбран ни один пункт.")
    today = today or settings.today(engine)
    models = {key: roadmap_view._item(scope, key[0], key[1], engine, write=True) for key in dict.fromkeys(items)}
    changed = 0
    with session_scope(engine, write=True) as s:
        for (kind, item_id), model in models.items():
            obj = s.get(model, item_id)
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
    return _as_date(rows[1][0]) if len(rows) > 1 else None


CHANGE_COLUMNS = ["at", "login", "what", "detail"]


def changes_since(scope: Scope, roadmap_id: int, since: date, engine: Engine | None = None) -> pd.DataFrame:
    """What changed in a roadmap's territory since a day, newest first, from the audit log: status
    changes of its activities and control points, uploads and entries, the quarters' checks and
    approvals."""
    from core import roadmap as rules
    from core import roadmap_view

    engine = engine or get_engine()
    rm = roadmap_view.roadmap_meta(scope, roadmap_id, engine)  # refuses what the user may not see
    if not scope.sees_whole_territory:  # the log names every school's uploads and corrections
        raise auth.deny(scope, f"изменения дорожной карты № {roadmap_id}", engine)
    start = datetime.combine(since, datetime.min.time())
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
                detail += f" ({_as_date(new['completed_on']):%d.%m.%Y})"
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
