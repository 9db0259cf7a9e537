"""Approval freezes what was approved (core.approval): the figures of an approved quarter stay as
approved when the roadmap is reloaded afterwards (target 60 → 65, one school added), with a note of
what changed, when and by whom, and today's figure beside; unlock discards them. Both backends."""

from __future__ import annotations

import io
import json
from datetime import date

from docx import Document
from sqlalchemy import text

from core.db import session_scope
from core import cycle, reports
from core import formatting as fmt
from core.read import overview as read_overview
from core.read import school as read_school
from tests.helpers import approve_q3, reload_roadmap, scope_of

NEV = 1  # город Невинномысск in the demo
ROADMAP = 1


def target3(ov):
    return next(c for c in ov.cards if c.indicator_code == "teachers_trained")


def test_approved_figures_survive_a_roadmap_reload_with_a_note(demo_db_any):
    eng = demo_db_any
    head = scope_of(eng, "demo-head")
    info = approve_q3(eng)
    before = read_overview.overview(head, ROADMAP, None, eng)
    card = target3(before)
    assert card.as_of_label == "III кв. 2024"
    assert card.evaluation.status == "achieved" and card.evaluation.target_value == 60
    assert card.approval is not None and card.approval.label == f"утверждены {fmt.moment(info.approved_at)[:10]}"
    assert not card.approval.changed
    # an earlier cut is not what was approved
    assert all(c.approval is None for c in read_overview.overview(head, ROADMAP, date(2024, 6, 30), eng).cards)
    approved = {(c.target_id, c.evaluation.status, round(c.evaluation.value, 6)) for c in before.cards}

    reload_roadmap(eng)
    after = read_overview.overview(head, ROADMAP, None, eng)
    card = target3(after)
    # the approved verdict stays: 62,1 % against 60 %, «Достигнут», labelled as approved
    assert {(c.target_id, c.evaluation.status, round(c.evaluation.value, 6)) for c in after.cards} == approved
    assert card.evaluation.target_value == 60 and card.approval.label.startswith("утверждены ")
    # ... with what changed, when and by whom, and today's figure beside
    note = card.approval.changes_text()
    assert "цель 3: значение 60 → 65" in note and "добавлена СОШ № 20 (демо)" in note
    assert "дорожная карта загружена заново" in note and "Методист" in note
    assert card.approval.today.target_value == 65 and card.approval.today.status != "achieved"
    assert "По действующим правилам: 62,1\u00a0%" in card.approval.today_text(card.unit)
    # the matrix and the school page show the approved figures too
    row = next(r for r in after.rows if r.name.startswith("СОШ № 2 "))
    assert row.cells[card.target_id].evaluation.target_value == 60
    assert (card.target_id, "school", row.unit_id) in after.approvals
    view = read_school.school_view(scope_of(eng, "demo-principal"), row.unit_id, eng)
    t = next(t for t in view.targets if t.target_id == card.target_id)
    assert t.evaluation.target_value == 60 and t.approval is not None
    assert any("60 → 65" in c.text for c in t.approval.changes)
    assert t.approval.today.target_value == 65
    card_doc = Document(io.BytesIO(reports.school_card(scope_of(eng, "demo-principal"), row.unit_id, engine=eng)))
    assert "утверждены" in " ".join(c.text for t_ in card_doc.tables for r_ in t_.rows for c in r_.cells)
    assert any("60 → 65" in p.text for p in card_doc.paragraphs)
    # the справка says the same
    doc = Document(io.BytesIO(reports.roadmap_report(head, ROADMAP, engine=eng)))
    body = "\n".join(p.text for p in doc.paragraphs)
    assert "утверждены" in body and "цель 3: значение 60 → 65" in body and "По действующим правилам" in body


def test_a_changed_target_kind_is_named_in_words(demo_db_any):
    """A target whose kind changed since the approval: the note names both kinds in the roadmap's words."""
    eng = demo_db_any
    approve_q3(eng)
    with session_scope(eng, write=True) as s:
        tid = s.execute(text("""SELECT x.id FROM target x JOIN indicator i ON i.id = x.indicator_id
                                WHERE x.roadmap_id = :r AND i.code = 'teachers_trained'"""), {"r": ROADMAP}).scalar()
        s.execute(text("UPDATE target SET kind = 'at_most' WHERE id = :t"), {"t": tid})
    card = target3(read_overview.overview(scope_of(eng, "demo-head"), ROADMAP, None, eng))
    assert "цель 3: вид «не менее» → «не более»" in card.approval.changes_text()


def test_unlock_discards_the_snapshot(demo_db_any):
    eng = demo_db_any
    head = scope_of(eng, "demo-head")
    approve_q3(eng)
    with eng.connect() as c:
        n = c.execute(text("SELECT COUNT(*) FROM approvalfigure")).scalar()
        # the tile of each of the 5 targets and each of them on each of the 5 ШНОР/ШНСУ schools
        assert n == 5 + 5 * 5
        details = json.loads(c.execute(text("SELECT details FROM auditevent WHERE action = 'quarter_approved'"))
                             .scalar())
        assert details["figures"] == n
    reload_roadmap(eng)
    cycle.unlock(head, NEV, "2024-Q3", "Цель 3 уточнена приказом", eng)
    with eng.connect() as c:
        assert c.execute(text("SELECT COUNT(*) FROM approvalfigure")).scalar() == 0
        assert c.execute(text("SELECT COUNT(*) FROM approvalsnapshot")).scalar() == 0
        details = json.loads(c.execute(text("SELECT details FROM auditevent WHERE action = 'quarter_unlocked'"))
                             .scalar())
    assert details["figures_discarded"] == n and details["reason"] == "Цель 3 уточнена приказом"
    card = target3(read_overview.overview(head, ROADMAP, None, eng))
    assert card.approval is None and card.evaluation.target_value == 65


def test_a_refused_approval_stores_nothing(demo_db_any):
    """Approval of an unchecked quarter is refused: no snapshot either (one transaction)."""
    eng = demo_db_any
    import pytest

    with pytest.raises(cycle.CycleError):
        cycle.approve(scope_of(eng, "demo-head"), NEV, "2024-Q3", eng)
    with eng.connect() as c:
        assert c.execute(text("SELECT COUNT(*) FROM approvalsnapshot")).scalar() == 0


def test_figures_are_computed_before_the_write_lock_and_again_after_a_write(demo_db_any, monkeypatch):
    """The figures are computed before the approval's write transaction; a write that lands in between
    (another quarter's upload) makes the approval compute them again inside it."""
    from core import approval
    from tests.helpers import upload_by_hand

    eng = demo_db_any
    calls = []
    compute = approval._compute
    monkeypatch.setattr(approval, "_compute", lambda *a: calls.append(a[1:]) or compute(*a))
    approve_q3(eng)
    assert len(calls) == 1
    head, meth = scope_of(eng, "demo-head"), scope_of(eng, "demo-methodist")
    cycle.unlock(head, NEV, "2024-Q3", "Повторная проверка", eng)
    cycle.mark_checked(meth, NEV, "2024-Q3", eng)
    prepare = approval.prepare

    def prepare_then_a_write(*a):
        out = prepare(*a)
        upload_by_hand(eng, meth, [["NEV-02", "teachers_trained", "2024-Q2", None, 20, 40]], name="кпк_2кв.xlsx")
        return out

    monkeypatch.setattr(approval, "prepare", prepare_then_a_write)
    cycle.approve(head, NEV, "2024-Q3", eng)
    assert len(calls) == 3  # prepared, then again inside the transaction
    with eng.connect() as c:
        assert c.execute(text("SELECT COUNT(*) FROM approvalfigure")).scalar() == 30
