"""Roadmap activities and control points: statuses and deadlines (pure rules)."""

from __future__ import annotations

from datetime import date

ACTIVITY_STATUSES = {
    "planned": "запланировано",
    "in_progress": "выполняется",
    "done": "выполнено",
    "cancelled": "отменено",
}
CLOSED = {"done", "cancelled"}


def is_overdue(due: date | None, status: str, today: date) -> bool:
    """Past its due date and neither done nor cancelled. An item with no date is never overdue."""
    return due is not None and status not in CLOSED and due < today


def sort_key(due: date | None, status: str, today: date) -> tuple:
    """Overdue first (oldest first), then open items by date, undated after, closed ones last."""
    if is_overdue(due, status, today):
        return (0, due)
    if status in CLOSED:
        return (3, due or date.max)
    return (1, due) if due is not None else (2, date.max)
