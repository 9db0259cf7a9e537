"""What a fresh-eyes tour at 1280×720 found: one date format, overdue stages, natural order of schools."""

from datetime import date

from core import formatting as fmt
from core import roadmap as rules
from core import roadmap_view
from tests.test_auth import scope_of


def test_an_item_with_several_dated_stages_is_overdue_when_a_passed_stage_is_not_started():
    two = "Июнь 2024 года, декабрь 2024 года"
    oct15 = date(2024, 10, 15)
    assert rules.parse_deadline(two).kind == "multiple"
    assert rules.is_overdue(date(2024, 12, 31), "planned", oct15, two)  # June passed, nothing started
    assert not rules.is_overdue(date(2024, 12, 31), "in_progress", oct15, two)  # June's stage under way
    assert not rules.is_overdue(date(2024, 12, 31), "done", oct15, two)
    assert not rules.is_overdue(date(2024, 12, 31), "planned", date(2024, 6, 15), two)  # June not over yet
    # a range is one stage: «июнь–июль» in mid-July is not late
    assert not rules.is_overdue(date(2024, 7, 31), "planned", date(2024, 7, 15), "Июнь-июль 2024 года")
    assert rules.is_overdue(date(2024, 7, 31), "planned", date(2024, 8, 1), "Июнь-июль 2024 года")
    assert rules.sort_key(date(2024, 12, 31), "planned", oct15, two)[0] == 0  # listed with the overdue


def test_the_roadmap_page_flags_the_passed_stage(demo_db):
    items = roadmap_view.items(scope_of(demo_db, "demo-head"), 1, date(2024, 10, 15), demo_db)
    cp3 = items[(items["kind"] == "control_point") & (items["number"] == "3")].iloc[0]
    assert cp3["deadline_text"] == "Июнь 2024 года, декабрь 2024 года" and cp3["status"] == "planned"
    assert bool(cp3["overdue"])


def test_one_date_format():
    assert fmt.date_text(date(2024, 10, 1)) == "01.10.2024" and fmt.date_text(None) == "—"
    assert fmt.month_year(date(2024, 9, 30)) == "сентябрь 2024"
    assert fmt.period_label("quarter", date(2024, 7, 1), date(2024, 9, 30)) == "III кв. 2024"
