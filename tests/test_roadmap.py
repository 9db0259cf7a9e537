"""core.roadmap: overdue and ordering rules."""

from datetime import date

from core.roadmap import is_overdue, sort_key

TODAY = date(2024, 6, 1)


def test_overdue_needs_a_past_date_and_an_open_status():
    assert is_overdue(date(2024, 5, 31), "planned", TODAY)
    assert is_overdue(date(2024, 5, 31), "in_progress", TODAY)
    assert not is_overdue(date(2024, 6, 1), "planned", TODAY)  # due today is not late yet
    assert not is_overdue(date(2024, 5, 31), "done", TODAY)
    assert not is_overdue(date(2024, 5, 31), "cancelled", TODAY)
    assert not is_overdue(None, "planned", TODAY)


def test_order_overdue_open_undated_closed():
    items = [(None, "planned"), (date(2024, 9, 1), "planned"), (date(2024, 1, 1), "done"),
             (date(2024, 3, 1), "planned"), (date(2024, 2, 1), "in_progress")]
    ordered = sorted(items, key=lambda x: sort_key(x[0], x[1], TODAY))
    assert ordered == [(date(2024, 2, 1), "in_progress"), (date(2024, 3, 1), "planned"),
                       (date(2024, 9, 1), "planned"), (None, "planned"), (date(2024, 1, 1), "done")]
