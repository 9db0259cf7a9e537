"""«Откуда это число» (core.provenance): the school values behind a figure with their uploads, who,
when, the value replaced and the correction's reason; scoped by the user in SQL; the original file
for those allowed; marks for values changed since the last approval or the previous visit. Both
backends."""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
from docx import Document
from sqlalchemy import text

from core import cycle, provenance, reports
from core.auth import AccessDenied
from core.models import utcnow
from core.targets.evaluation import Subject
from tests.helpers import correct, scope_of, upload_by_hand

NEV = 1
TRAINED = 3  # target 3 of the Nevinnomyssk roadmap: «не менее 60 %» of teachers trained (teachers_trained)


def ids(eng) -> dict:
    with eng.connect() as c:
        return {"q3": c.execute(text("SELECT id FROM period WHERE code = '2024-Q3'")).scalar(),
                "no2": c.execute(text("SELECT id FROM school WHERE code = 'NEV-02'")).scalar(),
                "no5": c.execute(text("SELECT id FROM school WHERE code = 'NEV-05'")).scalar()}


def test_a_correction_shows_the_old_value_the_reason_who_and_the_file(demo_db_any):
    eng = demo_db_any
    meth, head = scope_of(eng, "demo-methodist"), scope_of(eng, "demo-head")
    x = ids(eng)
    first = upload_by_hand(eng, meth, [["NEV-02", "teachers_trained", "2024-Q3", None, 20, 40]])
    second = correct(eng, meth, x["no2"], 30, 40, "Школа представила приказ о КПК ещё 10 педагогов")
    p = provenance.sources(head, TRAINED, Subject.territory(NEV), x["q3"], engine=eng)
    assert p.period_label == "III кв. 2024" and p.baseline_label == "IV кв. 2023"
    now = next(r for r in p.rows if r.school_id == x["no2"] and not r.is_baseline)
    assert now.value == 75.0 and (now.numerator, now.denominator) == (30, 40)
    assert now.kind == "исправление" and now.upload_id == second
    assert now.replaced == 50.0 and now.reason == "Школа представила приказ о КПК ещё 10 педагогов"
    assert now.by and "Методист" in now.by and now.at is not None and now.downloadable
    assert provenance.value_text(now, "%") == "75\u00a0% (30 из 40)"
    base = next(r for r in p.rows if r.school_id == x["no2"] and r.is_baseline)
    assert base.kind == "демо-данные" and base.upload_id is None
    # every school of the group is listed, the territory's other schools are not
    names = {r.school for r in p.rows}
    assert "СОШ № 5 (демо)" in names and "Гимназия № 12 (демо)" not in names
    # the head downloads the correction as it was typed, and the first upload's file
    name, data = provenance.original_file(head, second, eng)
    assert json.loads(data)["reason"].startswith("Школа представила") and name.endswith(".json")
    assert provenance.original_file(head, first, eng)[0] == "кпк_3кв.xlsx"


def test_a_principal_sees_only_their_school(demo_db_any):
    eng = demo_db_any
    meth, principal = scope_of(eng, "demo-methodist"), scope_of(eng, "demo-principal")
    x = ids(eng)
    assert principal.own_school_id == x["no2"]
    both = upload_by_hand(eng, meth, [["NEV-02", "teachers_trained", "2024-Q3", None, 21, 40],
                                      ["NEV-05", "teachers_trained", "2024-Q3", None, 22, 33]])
    own = correct(eng, meth, x["no2"], 25, 40, "Опечатка в числе педагогов")
    p = provenance.sources(principal, TRAINED, Subject.school(x["no2"]), x["q3"], engine=eng)
    assert {r.school_id for r in p.rows} == {x["no2"]}
    now = next(r for r in p.rows if not r.is_baseline)
    assert now.replaced == 52.5 and now.reason == "Опечатка в числе педагогов" and now.downloadable
    # another school's values, the territory's figure and a file with another school's values: refused
    with pytest.raises(AccessDenied):
        provenance.sources(principal, TRAINED, Subject.school(x["no5"]), x["q3"], engine=eng)
    with pytest.raises(AccessDenied):
        provenance.sources(principal, TRAINED, Subject.territory(NEV), x["q3"], engine=eng)
    with pytest.raises(AccessDenied):
        provenance.original_file(principal, both, eng)
    assert provenance.original_file(principal, own, eng)[1]
    with eng.connect() as c:
        assert c.execute(text("SELECT COUNT(*) FROM auditevent WHERE action = 'access_denied' AND login = :l"),
                         {"l": principal.login}).scalar() >= 3


def test_changes_since_the_last_approval_and_the_previous_visit_are_marked(demo_db_any):
    eng = demo_db_any
    meth, head = scope_of(eng, "demo-methodist"), scope_of(eng, "demo-head")
    x = ids(eng)
    assert provenance.record_visit(head.user_id, eng) is None  # the first visit
    cycle.mark_checked(meth, NEV, "2024-Q3", eng)
    cycle.approve(head, NEV, "2024-Q3", eng)
    p = provenance.sources(head, TRAINED, Subject.territory(NEV), x["q3"], engine=eng)
    assert p.last_approval is not None and not p.changed
    cycle.unlock(head, NEV, "2024-Q3", "СОШ № 5 уточняет данные", eng)
    correct(eng, meth, x["no5"], 25, 33, "Уточнены данные о КПК")
    # the head comes back two hours later: the correction is after the approval and after the last visit
    previous = provenance.record_visit(head.user_id, eng, now=utcnow() + timedelta(hours=2))
    assert previous is not None
    p = provenance.sources(head, TRAINED, Subject.territory(NEV), x["q3"], since=previous, engine=eng)
    changed = {r.school_id: r.marks for r in p.changed}
    assert set(changed) == {x["no5"]}
    assert changed[x["no5"]][0].startswith("изменено после утверждения ")
    assert "изменено после вашего прошлого визита" in changed[x["no5"]]
    # a visit within half an hour continues the same visit: the previous one stays
    assert provenance.record_visit(head.user_id, eng, now=utcnow() + timedelta(hours=2, minutes=10)) == previous


def test_the_spravka_has_the_appendix(demo_db_any):
    eng = demo_db_any
    meth, head = scope_of(eng, "demo-methodist"), scope_of(eng, "demo-head")
    correct(eng, meth, ids(eng)["no2"], 30, 40, "Школа представила приказ о КПК")
    doc = Document(io.BytesIO(reports.roadmap_report(head, 1, engine=eng)))
    body = "\n".join(p.text for p in doc.paragraphs)
    assert "Приложение. Откуда эти числа" in body
    cells = [c.text for t in doc.tables for row in t.rows for c in row.cells]
    assert any("исправление №" in c for c in cells) and "Школа представила приказ о КПК" in cells


def test_a_tile_is_marked_when_a_value_behind_it_changed(demo_db_any):
    """A correction after an approval that was taken back, and after the head's previous visit: the
    tile of the target counts it; the other tiles are not marked."""
    eng = demo_db_any
    meth, head = scope_of(eng, "demo-methodist"), scope_of(eng, "demo-head")
    x = ids(eng)
    figures = [(t, x["q3"]) for t in (1, 2, 3, 4, 5)]
    before = utcnow()
    assert provenance.changed(head, NEV, figures, since=before, engine=eng) == {}
    cycle.mark_checked(meth, NEV, "2024-Q3", eng)
    cycle.approve(head, NEV, "2024-Q3", eng)
    cycle.unlock(head, NEV, "2024-Q3", "СОШ № 5 уточняет данные", eng)
    correct(eng, meth, x["no5"], 25, 33, "Уточнены данные о КПК")
    marks = provenance.changed(head, NEV, figures, since=before, engine=eng)
    assert set(marks) == {TRAINED}
    assert marks[TRAINED].after_approval == 1 and marks[TRAINED].since_visit == 1
    assert marks[TRAINED].text.startswith("⚑ изменено после утверждения ")
    assert provenance.changed(head, NEV, figures, since=utcnow(), engine=eng)[TRAINED].since_visit == 0
    with pytest.raises(AccessDenied):
        provenance.changed(scope_of(eng, "demo-principal"), NEV, figures, engine=eng)
