"""A territory's period in the quarterly cycle as everyone reads it: its state (open → checked →
approved), its deadline, the note tiles, slides and the справка print, and the lock an approval
puts on writes of measurements (`guard_writes`, called by core.ingest.pipeline inside its write
transaction). The steps that change the state, the collection and the entry form are core.cycle.

Reads and imports only what sits below the pipeline and the reports, so both import it freely."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import text
from sqlalchemy.engine import Engine

from core import access, auth, periods
from core.auth import Scope
from core.db import get_engine, session_scope, statement
from core.formatting import moment, moment_day
from core.ingest.problems import IngestError
from core.models import QuarterState, utcnow

STATES = ("open", "checked", "approved")
STATE_LABELS = {"open": "открыт", "checked": "проверен", "approved": "утверждён"}
DEADLINE_DAYS = 10  # default: schools report by the 10th day after the period ends
ADVISORY_LOCK = 774201  # the same lock as the upload pipeline's: a state change waits for a write in flight


class CycleError(IngestError):
    """A cycle step refused for its content (a Russian message); nothing was written."""


class QuarterLocked(CycleError):
    """A write into an approved period."""


# ---------------------------------------------------------------------------------------------
# Small reads
# ---------------------------------------------------------------------------------------------
def _expanding(sql: str, *names: str):
    return statement(sql, names)


def aware_utc(value) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def as_date(value) -> date | None:
    """A date as the database returns it (a date, a datetime, or ISO text) as a date."""
    if value is None or isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, datetime):
        return value.date()
    return date.fromisoformat(str(value)[:10])


def period_row(executor, period: str | int) -> dict:
    """A period by code or id. A code the calendar knows whose row is not there yet (no data for it
    has arrived) gives its dict with id None: the row is made by the first write (`_ensure_period`).
    CycleError for anything else."""
    col = "id" if isinstance(period, int) else "code"
    r = executor.execute(text(f'SELECT id, code, kind, label, start, "end" FROM period WHERE {col} = :v'),
                         {"v": period}).first()
    if r is None:
        spec = periods.parse(period) if isinstance(period, str) else None
        if spec is None or not isinstance(period, str) or spec.code != period.strip():
            raise CycleError(f"Период «{period}» не найден.")
        return {"id": None, "code": spec.code, "kind": spec.kind, "label": spec.label, "start": spec.start,
                "end": spec.end}
    d = dict(r._mapping)
    d["start"], d["end"] = as_date(d["start"]), as_date(d["end"])
    return d


def territory_row(executor, territory: str | int) -> dict:
    """A territory by id, code or name; CycleError when there is none."""
    if isinstance(territory, int):
        r = executor.execute(text("SELECT id, code, name FROM territory WHERE id = :v"), {"v": territory}).first()
    else:
        r = executor.execute(text("SELECT id, code, name FROM territory WHERE code = :v OR lower(name) = lower(:v) "
                                  "ORDER BY id"), {"v": territory.strip()}).first()
    if r is None:
        raise CycleError(f"Территория «{territory}» не найдена.")
    return dict(r._mapping)


def default_deadline(period_end: date) -> date:
    return period_end + timedelta(days=DEADLINE_DAYS)


@dataclass(frozen=True)
class QuarterInfo:
    territory_id: int
    territory: str
    period_id: int | None  # None: a quarter of the calendar nobody has reported yet (no period row)
    period_code: str
    period_label: str
    state: str  # open | checked | approved (an approval of a territory above counts)
    deadline: date
    deadline_is_default: bool
    approved_at: datetime | None = None
    approved_by: str | None = None
    checked_at: datetime | None = None
    checked_by: str | None = None
    approved_above: str | None = None  # the territory above whose approval covers this one

    @property
    def is_approved(self) -> bool:
        return self.state == "approved"

    @property
    def label(self) -> str:
        return STATE_LABELS[self.state]

    @property
    def note(self) -> str:
        """One line for tiles, slides and the справка: are these figures approved or preliminary?"""
        if self.state == "approved":
            when = f" {moment(self.approved_at)}" if self.approved_at else ""  # the office's time
            who = f" ({self.approved_by})" if self.approved_by else ""
            return f"Данные за {self.period_label} утверждены{when}{who}."
        if self.state == "checked":
            return f"Данные за {self.period_label} предварительные: проверены методистом, не утверждены."
        return f"Данные за {self.period_label} предварительные: не проверены и не утверждены."


def state_rows(c, territory_id: int, period_id: int) -> list[dict]:
    """On an open connection or session: the state rows of the territory and every territory above it for the period, nearest first."""
    return [dict(r._mapping) for r in c.execute(text("""
        SELECT q.territory_id, t.name AS territory, q.state, q.deadline, q.checked_at, q.approved_at,
               cu.full_name AS checked_by, au.full_name AS approved_by, cl.depth
        FROM territoryclosure cl JOIN quarterstate q ON q.territory_id = cl.ancestor_id AND q.period_id = :p
        JOIN territory t ON t.id = q.territory_id
        LEFT JOIN "user" cu ON cu.id = q.checked_by LEFT JOIN "user" au ON au.id = q.approved_by
        WHERE cl.descendant_id = :t ORDER BY cl.depth"""), {"t": territory_id, "p": period_id})]


def quarter_info(c, territory_id: int, period: str | int) -> QuarterInfo:
    """`quarter_state` on an open connection (or session)."""
    terr = territory_row(c, territory_id)
    per = period_row(c, period)
    rows = state_rows(c, territory_id, per["id"] or -1)
    own = next((r for r in rows if r["depth"] == 0), None)
    above = next((r for r in rows if r["depth"] > 0 and r["state"] == "approved"), None)
    deadline = as_date(own["deadline"]) if own and own["deadline"] else None
    src = own if own and own["state"] != "open" else None
    state = own["state"] if own else "open"
    if above and state != "approved":
        state, src = "approved", above
    return QuarterInfo(
        territory_id=terr["id"], territory=terr["name"], period_id=per["id"], period_code=per["code"],
        period_label=per["label"], state=state, deadline=deadline or default_deadline(per["end"]),
        deadline_is_default=deadline is None,
        approved_at=aware_utc(src["approved_at"]) if src else None, approved_by=src["approved_by"] if src else None,
        checked_at=aware_utc(own["checked_at"]) if own else None, checked_by=own["checked_by"] if own else None,
        approved_above=above["territory"] if above and above is src else None)


def quarter_state(territory_id: int, period: str | int, engine: Engine | None = None) -> QuarterInfo:
    """The state of a territory's period (public: the label on tiles, slides and the справка)."""
    engine = engine or get_engine()
    with engine.connect() as c:
        return quarter_info(c, territory_id, period)


def approval_note(territory_id: int, period: str | int | None, engine: Engine | None = None) -> str | None:
    """`quarter_state(...).note`, or None when there is no period (no data yet)."""
    if period is None:
        return None
    try:
        return quarter_state(territory_id, period, engine).note
    except CycleError:
        return None


def approvals(scope: Scope, territory_id: int, period_ids, engine: Engine | None = None) -> dict[int, QuarterInfo]:
    """The state of each period for a territory the user sees: what tiles and documents say about
    their figures. A territory outside the scope is refused (access is checked here, not by callers)."""
    engine = engine or get_engine()
    with engine.connect() as c:
        if not access.rows(c, "SELECT id FROM territory WHERE id = :t AND id IN ({territories})", scope,
                           {"t": territory_id}):
            raise auth.deny(scope, f"территория {territory_id}", engine)
        return {pid: quarter_info(c, territory_id, int(pid)) for pid in sorted({p for p in period_ids if p is not None})}


def short_note(info: QuarterInfo | None) -> str:
    """«утверждены 12.10.2024» / «предварительные»: the words a tile has room for."""
    if info is None:
        return ""
    if info.is_approved:
        return "утверждены" + (f" {moment_day(info.approved_at)}" if info.approved_at else "")
    return "предварительные"



# ---------------------------------------------------------------------------------------------
# The lock on writes (called by core.ingest.pipeline)
# ---------------------------------------------------------------------------------------------
def _locks(executor, pairs: set[tuple[int, int]]) -> list[dict]:
    if not pairs:
        return []
    rows = executor.execute(_expanding("""
        SELECT cl.descendant_id, q.territory_id, q.period_id, q.state, q.approved_at, t.name AS territory,
               p.label AS period, p.code AS period_code
        FROM quarterstate q JOIN territoryclosure cl ON cl.ancestor_id = q.territory_id
        JOIN territory t ON t.id = q.territory_id JOIN period p ON p.id = q.period_id
        WHERE cl.descendant_id IN :t AND q.period_id IN :p AND q.state IN ('checked', 'approved')""", "t", "p"),
        {"t": sorted({t for t, _ in pairs}), "p": sorted({p for _, p in pairs})})
    return [dict(r._mapping) for r in rows if (r.descendant_id, r.period_id) in pairs]


def _locked_message(r: dict) -> str:
    when = f" {moment(aware_utc(r['approved_at']))}" if r["approved_at"] else ""
    return (f"Данные за {r['period']} по территории «{r['territory']}» утверждены{when}: изменения не принимаются. "
            "Чтобы внести их, руководитель должен снять утверждение, указав причину.")


def locked_messages(pairs: set[tuple[int, int]], engine: Engine | None = None) -> list[str]:
    """For a preview: one message per approved (territory, period) that these writes would touch."""
    engine = engine or get_engine()
    with engine.connect() as c:
        locks = [r for r in _locks(c, pairs) if r["state"] == "approved"]
    return sorted({_locked_message(r) for r in locks})


@auth.audits_refusals("запись в утверждённый период")  # audited below as quarter_write_refused
def refuse_if_locked(scope: Scope, pairs: set[tuple[int, int]], engine: Engine | None = None) -> None:
    """Before a write transaction: an approved period is refused and the refusal audited."""
    msgs = locked_messages(pairs, engine)
    if msgs:
        with session_scope(engine or get_engine(), write=True, data=False) as s:  # only the audit entry
            auth.audit(s, "quarter_write_refused", user_id=scope.user_id, login=scope.login,
                       details={"why": msgs[0]})
        exc = QuarterLocked(msgs[0] + " Ничего не записано.")
        exc.audited = True  # as quarter_write_refused, just above
        raise exc


def guard_writes(s, scope: Scope, pairs: set[tuple[int, int]]) -> None:
    """Inside a write transaction of measurements (after its lock is taken): refuse when a touched
    (territory, period) is approved at its level or above; a checked one goes back to open, since
    the check no longer covers the figures (audited)."""
    locks = _locks(s, pairs)
    approved = [r for r in locks if r["state"] == "approved"]
    if approved:
        raise QuarterLocked(_locked_message(approved[0]) + " Ничего не записано.")
    reopened = {(r["territory_id"], r["period_id"]): r for r in locks}
    for (t_id, p_id), r in sorted(reopened.items()):
        row = s.get(QuarterState, (t_id, p_id))
        row.state, row.checked_by, row.checked_at = "open", None, None
        row.updated_by, row.updated_at = scope.user_id, utcnow()
        s.add(row)
        auth.audit(s, "quarter_reopened", user_id=scope.user_id, login=scope.login, object_type="quarter",
                   object_id=f"{t_id}:{r['period_code']}", territory_id=t_id,
                   details={"territory": r["territory"], "period": r["period_code"], "period_label": r["period"],
                            "why": "данные изменены после проверки", "old": "checked", "new": "open"})


def serialise_writes(s) -> None:
    """Writes that change measurements, their kept sums or a quarter's state run one at a time:
    SQLite's BEGIN IMMEDIATE already holds the write lock; on PostgreSQL a transaction-scoped
    advisory lock does the same."""
    if s.connection().dialect.name == "postgresql":
        s.execute(text(f"SELECT pg_advisory_xact_lock({ADVISORY_LOCK})"))
