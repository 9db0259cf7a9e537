"""The quarterly cycle: who has reported (collection), entry and correction of values in the browser,
the steps that change a territory's period — open → checked → approved, unlocked with a reason —
and control points / activities in bulk with what changed since the last visit.

Every function takes the caller's Scope. The state as everyone reads it, and the lock an approval
puts on writes of measurements (checked by core.ingest.pipeline inside its write transaction), are
core.quarters; its names are available here too. Every state change is in the audit log (action
`quarter_*`).

The parts:
    states    the steps that change a period's state and its deadline
    reported  who has reported a period (the collection), the territories that have one
    letters   the schools that have not reported: a spreadsheet, a reminder letter
    entry     entry and correction in the browser, through the upload pipeline
    changes   items marked done in bulk; what changed since the last visit

Callers use the package (`from core import cycle; cycle.approve(...)`): every public name is here.
"""

from core.quarters import (
    ADVISORY_LOCK, DEADLINE_DAYS, STATE_LABELS, STATES, CycleError, QuarterInfo, QuarterLocked, approval_note,
    approvals, aware_utc, default_deadline, guard_writes, locked_messages, period_row, quarter_state,
    refuse_if_locked, short_note, territory_row)
from core.cycle.states import approve, mark_checked, may_change_state, reopen, set_deadline, unlock
from core.cycle.reported import COLLECTION_COLUMNS, Collection, collection, territories
from core.cycle.letters import not_reported_letter, not_reported_xlsx
from core.cycle.entry import ENTRY_SHEET, EntryRow, entry_form, is_correction, may_enter, prepare_entry
from core.cycle.changes import CHANGE_COLUMNS, changes_since, mark_done_many, previous_visit

__all__ = [
    "ADVISORY_LOCK", "DEADLINE_DAYS", "STATE_LABELS", "STATES", "CycleError", "QuarterInfo", "QuarterLocked",
    "approval_note", "approvals", "aware_utc", "default_deadline", "guard_writes", "locked_messages", "period_row",
    "quarter_state", "refuse_if_locked", "short_note", "territory_row",
    "approve", "mark_checked", "may_change_state", "reopen", "set_deadline", "unlock",
    "COLLECTION_COLUMNS", "Collection", "collection", "territories",
    "not_reported_letter", "not_reported_xlsx",
    "ENTRY_SHEET", "EntryRow", "entry_form", "is_correction", "may_enter", "prepare_entry",
    "CHANGE_COLUMNS", "changes_since", "mark_done_many", "previous_visit",
]
