"""The steps that change a territory's period: open → checked → approved, unlocked with a reason,
and its deadline. Each runs in one write transaction that waits for writes of measurements in flight
(core.quarters.serialise_writes), and is audited (action `quarter_*`)."""

from __future__ import annotations

from datetime import date

from sqlalchemy.engine import Engine

from core import approval, auth, periods, policy, quarters
from core.auth import Scope
from core.db import get_engine, session_scope
from core.models import QuarterState, utcnow
from core.quarters import CycleError, QuarterInfo, period_row, quarter_state, state_rows, territory_row


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
    rows = [r for r in state_rows(s, terr["id"], per["id"]) if r["depth"] > 0 and r["state"] == "approved"]
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
