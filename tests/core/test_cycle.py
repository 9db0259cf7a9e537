"""The quarterly cycle (core.cycle): approval and the lock on writes, the collection status, entry and
correction in the browser through the upload pipeline, the not-reported list, the CLI. Both backends."""

from __future__ import annotations

import io
import json
from datetime import date

import pytest
from docx import Document
from openpyxl import load_workbook
from sqlalchemy import text

from core import auth, cycle, settings
from core import formatting as fmt
from core.auth import AccessDenied
from core.db import session_scope
from core.ingest import pipeline
from tests.ingest_files import long_table
from tests.helpers import open_items, scope_of

NEV = 1  # город Невинномысск in the demo


def snapshot(engine) -> tuple:
    with engine.connect() as c:
        return tuple(c.execute(text(q)).all() for q in (
            "SELECT id, school_id, indicator_id, period_id, value, numerator, denominator, upload_id "
            "FROM measurement ORDER BY id",
            "SELECT COUNT(*) FROM measurementhistory", "SELECT COUNT(*) FROM upload",
            "SELECT territory_id, grp, indicator_id, period_id, n_schools, sum_value FROM measurementsummary "
            "ORDER BY territory_id, grp, indicator_id, period_id"))


def audit_actions(engine, prefix="quarter_") -> list[str]:
    with engine.connect() as c:
        return [r[0] for r in c.execute(text("SELECT action FROM auditevent WHERE action LIKE :p ORDER BY id"),
                                        {"p": prefix + "%"})]


def upload_one(engine, scope, value=77, period="2024-Q3", school="NEV-02"):
    data = long_table([[school, "olympiad_participants", period, value, None, None]])
    pv = pipeline.prepare(scope, [("olymp.xlsx", data)], None, engine)
    return pv, data


# ---------------------------------------------------------------------------------------------
# Approval and the lock
# ---------------------------------------------------------------------------------------------
def test_open_checked_approved_locks_and_unlock_reopens(demo_db_any):
    eng = demo_db_any
    meth, head = scope_of(eng, "demo-methodist"), scope_of(eng, "demo-head")
    assert cycle.quarter_state(NEV, "2024-Q3", eng).state == "open"
    assert "предварительные" in cycle.quarter_state(NEV, "2024-Q3", eng).note
    info = cycle.mark_checked(meth, NEV, "2024-Q3", eng)
    assert info.state == "checked" and info.checked_by
    info = cycle.approve(head, "город Невинномысск", "2024-Q3", eng)
    assert info.is_approved and info.approved_by and "утверждены" in info.note
    # an upload into the approved quarter: the preview says so, the write is refused, nothing changes
    pv, data = upload_one(eng, meth)
    assert not pv.ok and any("утверждены" in p.message for p in pv.errors)
    before = snapshot(eng)
    pv.errors.clear()  # a preview made before the approval
    with pytest.raises(cycle.QuarterLocked, match="утверждены.*Ничего не записано"):
        pipeline.apply(meth, pv, data, accept_warnings=True, engine=eng)
    assert snapshot(eng) == before
    # another quarter of the same territory is not locked
    pv2, data2 = upload_one(eng, meth, period="2024-Q2")
    assert pv2.ok
    with pytest.raises(cycle.CycleError, match="причину"):
        cycle.unlock(head, NEV, "2024-Q3", "  ", eng)
    info = cycle.unlock(head, NEV, "2024-Q3", "Школа № 2 прислала исправленные данные", eng)
    assert info.state == "open"
    pv, data = upload_one(eng, meth)
    assert pv.ok
    pipeline.apply(meth, pv, data, accept_warnings=True, engine=eng)
    assert audit_actions(eng) == ["quarter_checked", "quarter_approved", "quarter_write_refused", "quarter_unlocked"]
    with eng.connect() as c:
        details = json.loads(c.execute(text("SELECT details FROM auditevent WHERE action = 'quarter_unlocked'"))
                             .scalar())
    assert details["reason"].startswith("Школа № 2") and details["old"] == "approved"


def test_the_lock_is_checked_inside_the_write_transaction(demo_db_any, monkeypatch):
    """A preview made before the approval and a pre-check that missed it (a race): the write
    transaction itself refuses."""
    eng = demo_db_any
    meth, head = scope_of(eng, "demo-methodist"), scope_of(eng, "demo-head")
    pv, data = upload_one(eng, meth)
    cycle.mark_checked(meth, NEV, "2024-Q3", eng)
    cycle.approve(head, NEV, "2024-Q3", eng)
    before = snapshot(eng)
    from core import quarters

    monkeypatch.setattr(quarters, "refuse_if_locked", lambda *a, **k: None)
    with pytest.raises(cycle.QuarterLocked):
        pipeline.apply(meth, pv, data, accept_warnings=True, engine=eng)
    assert snapshot(eng) == before


def upload_then_approve(eng, meth, head) -> int:
    """One upload by the methodologist, then III кв. 2024 checked and approved: the upload's id."""
    pv, data = upload_one(eng, meth)
    uid = pipeline.apply(meth, pv, data, accept_warnings=True, engine=eng)
    cycle.mark_checked(meth, NEV, "2024-Q3", eng)
    cycle.approve(head, NEV, "2024-Q3", eng)
    return uid


def test_undo_into_an_approved_quarter_is_refused(demo_db_any):
    eng = demo_db_any
    meth, head = scope_of(eng, "demo-methodist"), scope_of(eng, "demo-head")
    uid = upload_then_approve(eng, meth, head)
    before = snapshot(eng)
    with pytest.raises(cycle.QuarterLocked):
        pipeline.undo(meth, uid, eng)
    assert snapshot(eng) == before


def test_a_write_after_the_check_takes_the_quarter_back_to_open(demo_db_any):
    eng = demo_db_any
    meth = scope_of(eng, "demo-methodist")
    cycle.mark_checked(meth, NEV, "2024-Q3", eng)
    pv, data = upload_one(eng, meth)
    pipeline.apply(meth, pv, data, accept_warnings=True, engine=eng)
    assert cycle.quarter_state(NEV, "2024-Q3", eng).state == "open"
    assert audit_actions(eng)[-1] == "quarter_reopened"
    with pytest.raises(cycle.CycleError, match="ещё не проверен"):
        cycle.approve(scope_of(eng, "demo-head"), NEV, "2024-Q3", eng)


@pytest.mark.parametrize("login, step", [
    ("demo-head", "mark_checked"), ("demo-methodist", "approve"), ("demo-principal", "approve"),
    ("demo-curator", "mark_checked"), ("demo-principal", "set_deadline")])
def test_roles_that_may_not_change_the_state_are_refused_and_logged(demo_db, login, step):
    eng = demo_db
    sc = scope_of(eng, login)
    args = (date(2024, 10, 20),) if step == "set_deadline" else ()
    with eng.connect() as c:
        n = c.execute(text("SELECT COUNT(*) FROM auditevent WHERE action = 'access_denied'")).scalar()
    with pytest.raises(AccessDenied):
        getattr(cycle, step)(sc, NEV, "2024-Q3", *args, engine=eng)
    with eng.connect() as c:
        assert c.execute(text("SELECT COUNT(*) FROM auditevent WHERE action = 'access_denied'")).scalar() == n + 1
        assert c.execute(text("SELECT COUNT(*) FROM quarterstate")).scalar() == 0


def test_a_head_of_another_territory_is_refused(demo_db_any):
    eng = demo_db_any
    with pytest.raises(AccessDenied):
        cycle.approve(scope_of(eng, "demo-head"), "Оконешниковский муниципальный район", "2024-Q3", eng)


def test_approval_states_only_of_a_territory_the_user_sees(demo_db_any):
    """The tiles' «утверждены / предварительные» are read through core's access check: a principal
    and a head of Невинномысск get their own territory's, another territory's is refused."""
    eng = demo_db_any
    with eng.connect() as c:
        other = c.execute(text("SELECT id FROM territory WHERE name = 'Оконешниковский муниципальный район'")).scalar()
        pid = c.execute(text("SELECT id FROM period WHERE code = '2024-Q3'")).scalar()
    for login in ("demo-head", "demo-principal"):
        sc = scope_of(eng, login)
        assert list(cycle.approvals(sc, NEV, [pid], eng)) == [pid]
        with pytest.raises(AccessDenied):
            cycle.approvals(sc, other, [pid], eng)
    assert list(cycle.approvals(auth.system_scope(), other, [pid], eng)) == [pid]


def test_approve_needs_a_check_and_unknown_names_are_reported(demo_db_any):
    eng = demo_db_any
    head = scope_of(eng, "demo-head")
    with pytest.raises(cycle.CycleError, match="ещё не проверен"):
        cycle.approve(head, NEV, "2024-Q3", eng)
    with pytest.raises(cycle.CycleError, match="Период «2031-Q9» не найден"):
        cycle.approve(head, NEV, "2031-Q9", eng)
    with pytest.raises(cycle.CycleError, match="Территория «Атлантида» не найдена"):
        cycle.approve(head, "Атлантида", "2024-Q3", eng)
    with pytest.raises(cycle.CycleError, match="не утверждён"):
        cycle.unlock(head, NEV, "2024-Q3", "причина", eng)


def test_deadline_default_and_set(demo_db_any):
    eng = demo_db_any
    meth = scope_of(eng, "demo-methodist")
    info = cycle.quarter_state(NEV, "2024-Q3", eng)
    assert info.deadline == date(2024, 10, 10) and info.deadline_is_default
    info = cycle.set_deadline(meth, NEV, "2024-Q3", date(2024, 10, 15), eng)
    assert info.deadline == date(2024, 10, 15) and not info.deadline_is_default
    with pytest.raises(cycle.CycleError, match="раньше начала"):
        cycle.set_deadline(meth, NEV, "2024-Q3", date(2024, 1, 1), eng)
    assert cycle.set_deadline(meth, NEV, "2024-Q3", None, eng).deadline_is_default


# ---------------------------------------------------------------------------------------------
# Collection
# ---------------------------------------------------------------------------------------------
def test_collection_counts_each_school_n_of_m(demo_db):
    eng = demo_db
    col = cycle.collection(scope_of(eng, "demo-methodist"), NEV, "2024-Q3", today=date(2024, 10, 5), engine=eng)
    assert col.n_schools == 10 and col.n_reported == 10 and col.n_complete == 9
    partial = col.rows[~col.rows["complete"]].iloc[0]
    assert partial["school"] == "ООШ № 11 (демо)" and partial["reported_values"] == 4 and partial["expected"] == 5
    assert partial["status"] == "частично: 4 из 5"
    assert col.rows["via"].eq("демо-данные").all()
    assert list(col.filtered(incomplete_only=True)["school"]) == ["ООШ № 11 (демо)"]
    # the next quarter: nobody has reported; before the deadline not late, after it every school is
    before = cycle.collection(scope_of(eng, "demo-methodist"), NEV, "2024-Q4", today=date(2025, 1, 10), engine=eng)
    assert before.n_reported == 0 and before.n_late == 0 and len(before.not_reported) == 10
    after = cycle.collection(scope_of(eng, "demo-methodist"), NEV, "2024-Q4", today=date(2025, 1, 11), engine=eng)
    assert after.n_late == 10 and after.rows["status"].str.contains("срок прошёл").all()


def test_collection_scope(demo_db):
    eng = demo_db
    cur = cycle.collection(scope_of(eng, "demo-curator"), NEV, "2024-Q3", engine=eng)
    curator = scope_of(eng, "demo-curator")
    assert set(cur.rows["school_id"]) == set(curator.school_ids) and 0 < cur.n_schools < 10
    own = cycle.collection(scope_of(eng, "demo-principal"), NEV, "2024-Q3", engine=eng)
    assert list(own.rows["school"]) == ["СОШ № 2 (демо)"]
    with pytest.raises(AccessDenied):
        cycle.collection(scope_of(eng, "demo-head"), 5, "2024-Q3", engine=eng)
    assert list(cycle.territories(scope_of(eng, "demo-head"), eng)["id"]) == [NEV]
    assert len(cycle.territories(auth.system_scope(), eng)) == 2  # Невинномысск and Оконешниковский


def test_not_reported_xlsx_and_letter(demo_db_rw):
    eng = demo_db_rw
    with eng.begin() as c:  # a school whose name a spreadsheet would run as a formula
        c.execute(text("UPDATE school SET short_name = '=HYPERLINK(\"x\")' WHERE code = 'NEV-03'"))
    col = cycle.collection(scope_of(eng, "demo-methodist"), NEV, "2024-Q4", today=date(2025, 2, 1), engine=eng)
    ws = load_workbook(io.BytesIO(cycle.not_reported_xlsx(col))).active
    assert ws.max_row == 11 and ws["A1"].value == "Код школы"
    names = [ws.cell(r, 2).value for r in range(2, 12)]
    assert '=HYPERLINK("x")' in names and all(ws.cell(r, 2).data_type == "s" for r in range(2, 12))
    assert [ws.cell(r, 2).quotePrefix for r in range(2, 12)] == [n.startswith("=") for n in names]
    doc = Document(io.BytesIO(cycle.not_reported_letter(col, today=date(2025, 2, 1))))
    body = "\n".join(p.text for p in doc.paragraphs)
    assert "О представлении данных мониторинга" in body and "IV кв. 2024" in body and "истёк 10.01.2025" in body
    assert len(doc.tables[0].rows) == 11


# ---------------------------------------------------------------------------------------------
# Entry and correction in the browser
# ---------------------------------------------------------------------------------------------
def _school_id(engine, code):
    with engine.connect() as c:
        return c.execute(text("SELECT id FROM school WHERE code = :c"), {"c": code}).scalar()


def test_principal_enters_own_school_through_the_pipeline(demo_db_any):
    eng = demo_db_any
    pr = scope_of(eng, "demo-principal")
    sid = _school_id(eng, "NEV-02")
    school, per, rows = cycle.entry_form(pr, sid, "2024-Q4", eng)
    assert [r.code for r in rows][:2] == ["start_conditions", "edu_quality"] and len(rows) == 5
    assert all(r.current is None and r.previous is not None and r.previous_label == "III кв. 2024" for r in rows)
    values = {"edu_quality": {"denominator": 600, "numerator": 320}, "olympiad_participants": {"value": 44}}
    pv, data = cycle.prepare_entry(pr, sid, "2024-Q4", values, engine=eng)
    assert pv.ok and pv.kind == "entry" and pv.counts()["new"] == 2
    uid = pipeline.apply(pr, pv, data, accept_warnings=True, engine=eng)
    log = pipeline.uploads(pr, eng)
    assert log.iloc[0]["id"] == uid and log.iloc[0]["file_name"].startswith("Ввод в браузере: СОШ № 2 (демо)")
    col = cycle.collection(scope_of(eng, "demo-methodist"), NEV, "2024-Q4", today=date(2025, 1, 5), engine=eng)
    row = col.rows[col.rows["code"] == "NEV-02"].iloc[0]
    assert row["reported_values"] == 2 and row["by"] == "Директор СОШ № 2 (демо)"
    assert row["status"] == "частично: 2 из 5, с опозданием" and row["late"]  # entered today, due 10.01.2025
    assert row["via"] == f"ввод в браузере № {uid}"
    # the same undo as an upload
    assert pipeline.undo(pr, uid, eng) == {"restored": 0, "removed": 2}
    assert cycle.collection(scope_of(eng, "demo-methodist"), NEV, "2024-Q4", engine=eng).n_reported == 0


@pytest.mark.parametrize("stored, late", [("2025-01-10 20:30:00", False),   # 23:30 in Moscow on the deadline
                                           ("2025-01-10 22:30:00", True)])   # 01:30 in Moscow the day after
def test_late_is_judged_by_the_offices_day(demo_db_rw, monkeypatch, stored, late):
    """The deadline (10.01.2025 for IV кв. 2024) is a day in the office: a value first sent at 01:30 in Moscow
    on the 11th is late, though the moment stored in UTC is still on the 10th."""
    monkeypatch.delenv("TIME_ZONE", raising=False)  # the default, Europe/Moscow
    settings.reset_settings_cache()
    eng = demo_db_rw
    pr = scope_of(eng, "demo-principal")
    sid = _school_id(eng, "NEV-02")
    pv, data = cycle.prepare_entry(pr, sid, "2024-Q4", {"olympiad_participants": {"value": 44}}, engine=eng)
    pipeline.apply(pr, pv, data, accept_warnings=True, engine=eng)
    with eng.begin() as c:
        c.execute(text("UPDATE measurement SET entered_at = :at WHERE school_id = :s AND is_demo = :f"),
                  {"at": stored, "s": sid, "f": False})
    col = cycle.collection(scope_of(eng, "demo-methodist"), NEV, "2024-Q4", today=date(2025, 1, 20), engine=eng)
    row = col.rows[col.rows["code"] == "NEV-02"].iloc[0]
    assert bool(row["late"]) is late and row["status"].endswith(", с опозданием") is late


def test_entry_validation_is_the_uploads(demo_db):
    eng = demo_db
    pr = scope_of(eng, "demo-principal")
    sid = _school_id(eng, "NEV-02")
    pv, _ = cycle.prepare_entry(pr, sid, "2024-Q4", {
        "edu_quality": {"denominator": 600, "numerator": 700},
        "teachers_trained": {"denominator": 38.5, "numerator": 20},
        "teachers_network": {"denominator": 38, "numerator": None},
        "olympiad_participants": {"value": 400}}, engine=eng)
    msgs = [p.text for p in pv.errors]
    assert any("больше, чем" in m and "Форма ввода" in m for m in msgs)
    assert any("ожидается целое число" in m for m in msgs)
    assert any("нужны оба числа" in m for m in msgs)
    assert not pv.ok
    pv, _ = cycle.prepare_entry(pr, sid, "2024-Q4", {"olympiad_participants": {"value": 400}}, engine=eng)
    assert pv.ok and any("резкое изменение" in p.message for p in pv.warnings)
    with pytest.raises(cycle.CycleError, match="Не введено ни одного значения"):
        cycle.prepare_entry(pr, sid, "2024-Q4", {"olympiad_participants": {"value": None}}, engine=eng)


def test_principal_may_not_enter_another_school(demo_db):
    eng = demo_db
    with pytest.raises(AccessDenied):
        cycle.entry_form(scope_of(eng, "demo-principal"), _school_id(eng, "NEV-03"), "2024-Q4", eng)
    with pytest.raises(AccessDenied):
        cycle.prepare_entry(scope_of(eng, "demo-curator"), _school_id(eng, "NEV-01"), "2024-Q4",
                            {"olympiad_participants": {"value": 3}}, engine=eng)
    with pytest.raises(AccessDenied):
        cycle.entry_form(scope_of(eng, "demo-head"), _school_id(eng, "NEV-03"), "2024-Q4", eng)


def test_methodologist_corrects_one_value_with_a_reason(demo_db_any):
    eng = demo_db_any
    meth = scope_of(eng, "demo-methodist")
    sid = _school_id(eng, "NEV-03")
    with pytest.raises(cycle.CycleError, match="причину исправления"):
        cycle.prepare_entry(meth, sid, "2024-Q3", {"olympiad_participants": {"value": 12}}, engine=eng)
    pv, data = cycle.prepare_entry(meth, sid, "2024-Q3", {"olympiad_participants": {"value": 12}},
                                   reason="звонок директора: опечатка", engine=eng)
    assert pv.kind == "correction" and pv.counts() == {"new": 0, "changed": 1, "unchanged": 0}
    uid = pipeline.apply(meth, pv, data, accept_warnings=True, engine=eng)
    with eng.connect() as c:
        h = c.execute(text("SELECT new_value, upload_id, changed_by FROM measurementhistory")).one()
        kind, name = c.execute(text("SELECT kind, file_name FROM upload WHERE id = :u"), {"u": uid}).one()
    assert h[0] == 12 and h[1] == uid and kind == "correction" and "опечатка" in name
    # an approved quarter refuses an entry too
    cycle.mark_checked(meth, NEV, "2024-Q3", eng)
    cycle.approve(scope_of(eng, "demo-head"), NEV, "2024-Q3", eng)
    pv, data = cycle.prepare_entry(meth, sid, "2024-Q3", {"olympiad_participants": {"value": 13}},
                                   reason="ещё раз", engine=eng)
    assert any("утверждены" in p.message for p in pv.errors)


# ---------------------------------------------------------------------------------------------
# CLI
# ---------------------------------------------------------------------------------------------
def test_cli_approve_and_unlock(demo_db_any, monkeypatch, capsys):
    from core import cli

    eng = demo_db_any
    monkeypatch.setattr(cli, "ensure_database", lambda: eng)
    base = ["--territory", "город Невинномысск", "--period", "2024-Q3"]
    assert cli.main(["approve", *base, "--user", "demo-head"]) == 1
    assert "ещё не проверен" in capsys.readouterr().err
    cycle.mark_checked(scope_of(eng, "demo-methodist"), NEV, "2024-Q3", eng)
    assert cli.main(["approve", *base, "--user", "demo-methodist"]) == 1
    assert "Нет доступа" in capsys.readouterr().err
    assert cli.main(["approve", *base, "--user", "demo-head"]) == 0
    assert "утверждён" in capsys.readouterr().out
    assert cli.main(["unlock", *base, "--user", "demo-head", "--reason", "исправление школы"]) == 0
    assert "открыт" in capsys.readouterr().out
    assert cli.main(["approve", *base, "--user", "nobody"]) == 2
    assert audit_actions(eng) == ["quarter_checked", "quarter_approved", "quarter_unlocked"]


def test_the_spravka_says_whether_its_figures_are_approved(demo_db_any):
    from core import reports

    eng = demo_db_any
    head = scope_of(eng, "demo-head")

    def body():
        doc = Document(io.BytesIO(reports.roadmap_report(head, 1, engine=eng)))
        return "\n".join(p.text for p in doc.paragraphs)

    assert "Данные за III кв. 2024 предварительные: не проверены и не утверждены." in body()
    cycle.mark_checked(scope_of(eng, "demo-methodist"), NEV, "2024-Q3", eng)
    info = cycle.approve(head, NEV, "2024-Q3", eng)
    assert f"Данные за III кв. 2024 утверждены {fmt.moment(info.approved_at)}" in body()  # the office's time


# ---------------------------------------------------------------------------------------------
# Bulk status and the changes since the last meeting
# ---------------------------------------------------------------------------------------------
def test_mark_several_done_with_one_date_and_evidence(demo_db_any):
    from core import roadmap_view

    eng = demo_db_any
    meth = scope_of(eng, "demo-methodist")
    items = open_items(eng, 2)
    assert len(items) == 4
    with pytest.raises(roadmap_view.StatusError, match="подтверждение"):
        cycle.mark_done_many(meth, items, date(2024, 10, 1), "  ", today=date(2024, 10, 15), engine=eng)
    with pytest.raises(roadmap_view.StatusError, match="ещё не наступила"):
        cycle.mark_done_many(meth, items, date(2024, 11, 1), "протокол", today=date(2024, 10, 15), engine=eng)
    with eng.connect() as c:
        assert c.execute(text("SELECT COUNT(*) FROM controlpoint WHERE status = 'done' AND evidence = 'протокол № 7'")
                         ).scalar() == 0
    assert cycle.mark_done_many(meth, items, date(2024, 10, 1), "протокол № 7", today=date(2024, 10, 15),
                                engine=eng) == 4
    with eng.connect() as c:
        rows = c.execute(text("SELECT status, completed_on, evidence FROM activity WHERE id IN :i")
                         .bindparams(__import__("sqlalchemy").bindparam("i", expanding=True)),
                         {"i": [i for k, i in items if k == "activity"]}).all()
    assert {(r[0], str(r[1])[:10], r[2]) for r in rows} == {("done", "2024-10-01", "протокол № 7")}
    changes = cycle.changes_since(scope_of(eng, "demo-head"), 1, date(2020, 1, 1), eng)
    assert (changes["detail"].str.contains("→ выполнено \\(01.10.2024\\): протокол № 7")).sum() == 4
    with pytest.raises(AccessDenied):
        cycle.mark_done_many(scope_of(eng, "demo-head"), items[:1], date(2024, 10, 1), "x",
                             today=date(2024, 10, 15), engine=eng)


def test_changes_since_lists_uploads_and_approvals_of_the_territory(demo_db_any):
    eng = demo_db_any
    meth, head = scope_of(eng, "demo-methodist"), scope_of(eng, "demo-head")
    uid = upload_then_approve(eng, meth, head)
    ch = cycle.changes_since(head, 1, date(2020, 1, 1), eng)
    assert list(ch["what"][:3]) == ["Данные за III кв. 2024", "Данные за III кв. 2024", f"Загрузка № {uid}"]
    assert list(ch["detail"][:2]) == ["утверждены", "отмечены как проверенные"]
    # another territory's head sees none of it; tomorrow nothing changed yet
    assert cycle.changes_since(auth.system_scope(), 5, date(2020, 1, 1), eng).empty
    assert cycle.changes_since(head, 1, date(2099, 1, 1), eng).empty
    # the log names every school's uploads and corrections: not for a principal or a curator
    for login in ("demo-principal", "demo-curator"):
        with pytest.raises(auth.AccessDenied):
            cycle.changes_since(scope_of(eng, login), 1, date(2020, 1, 1), eng)
    with pytest.raises(AccessDenied):
        cycle.changes_since(head, 5, date(2020, 1, 1), eng)


def test_changes_since_a_day_start_at_the_offices_midnight(demo_db_rw, monkeypatch):
    """«Изменения с 15.10.2024» include what was done at 01:30 in Moscow on the 15th (stored 22:30 UTC on the
    14th); the default «since», the day of the previous login, is the office's day too."""
    monkeypatch.delenv("TIME_ZONE", raising=False)  # the default, Europe/Moscow
    settings.reset_settings_cache()
    eng = demo_db_rw
    meth, head = scope_of(eng, "demo-methodist"), scope_of(eng, "demo-head")
    pv, data = upload_one(eng, meth)
    uid = pipeline.apply(meth, pv, data, accept_warnings=True, engine=eng)
    with eng.begin() as c:
        c.execute(text("UPDATE auditevent SET at = :at WHERE action = 'upload' AND object_id = :u"),
                  {"at": "2024-10-14 22:30:00", "u": str(uid)})
        c.execute(text("DELETE FROM auditevent WHERE action = 'login' AND user_id = :h"), {"h": head.user_id})
        for at in ("2024-10-14 22:30:00", "2024-10-20 09:00:00"):
            c.execute(text("INSERT INTO auditevent (at, user_id, login, action) VALUES (:at, :h, 'demo-head', 'login')"),
                      {"at": at, "h": head.user_id})
    assert f"Загрузка № {uid}" in list(cycle.changes_since(head, 1, date(2024, 10, 15), eng)["what"])
    assert f"Загрузка № {uid}" not in list(cycle.changes_since(head, 1, date(2024, 10, 16), eng)["what"])
    assert cycle.previous_visit(head, eng) == date(2024, 10, 15)
    settings.reset_settings_cache()


def test_an_approval_and_an_upload_at_once_never_both_land(demo_db_any):
    """Two people at once: the head approves while the methodologist writes into the checked quarter.
    Either the write lands first (the quarter goes back to open and the approval is refused) or the
    approval does (the write is refused); never both."""
    import threading

    eng = demo_db_any
    meth, head = scope_of(eng, "demo-methodist"), scope_of(eng, "demo-head")
    seen = set()
    for i in range(4):
        cycle.mark_checked(meth, NEV, "2024-Q3", eng)
        pv, data = upload_one(eng, meth, value=60 + i)
        barrier, out = threading.Barrier(2), {}

        def write():
            barrier.wait()
            try:
                pipeline.apply(meth, pv, data, accept_warnings=True, engine=eng)
                out["write"] = "ok"
            except cycle.QuarterLocked:
                out["write"] = "refused"

        def approve():
            barrier.wait()
            try:
                cycle.approve(head, NEV, "2024-Q3", eng)
                out["approve"] = "ok"
            except cycle.CycleError:
                out["approve"] = "refused"

        threads = [threading.Thread(target=write), threading.Thread(target=approve)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert out in ({"write": "ok", "approve": "refused"}, {"write": "refused", "approve": "ok"}), out
        seen.add(out["write"])
        state = cycle.quarter_state(NEV, "2024-Q3", eng).state
        assert state == ("approved" if out["approve"] == "ok" else "open")
        if state == "approved":
            cycle.unlock(head, NEV, "2024-Q3", "следующий круг", eng)


def test_a_quarter_nobody_has_reported_yet(demo_db_any):
    """Periods are made when data first arrives: the collection of 2026-Q1 (no row yet) lists every
    school as not reported; setting its deadline or entering a value makes the row."""
    eng = demo_db_any
    meth, pr = scope_of(eng, "demo-methodist"), scope_of(eng, "demo-principal")

    def has_row():
        with eng.connect() as c:
            return c.execute(text("SELECT COUNT(*) FROM period WHERE code = '2026-Q1'")).scalar() == 1

    assert not has_row()
    col = cycle.collection(meth, NEV, "2026-Q1", today=date(2026, 4, 20), engine=eng)
    assert col.n_schools == 10 and col.n_reported == 0 and col.n_late == 10
    assert col.info.deadline == date(2026, 4, 10) and col.info.state == "open" and not has_row()
    school, per, rows = cycle.entry_form(pr, _school_id(eng, "NEV-02"), "2026-Q1", eng)
    assert per["id"] is None and rows[0].current is None
    assert rows[0].previous is None and rows[0].previous_label == "IV кв. 2025"  # nobody reported it either
    pv, data = cycle.prepare_entry(pr, school["id"], "2026-Q1", {"olympiad_participants": {"value": 40}}, engine=eng)
    assert pv.ok
    pipeline.apply(pr, pv, data, accept_warnings=True, engine=eng)
    assert has_row()
    assert cycle.collection(meth, NEV, "2026-Q1", engine=eng).n_reported == 1
    cycle.set_deadline(meth, NEV, "2026-Q2", date(2026, 7, 15), eng)  # a state step makes its row too
    assert cycle.quarter_state(NEV, "2026-Q2", eng).deadline == date(2026, 7, 15)
    with pytest.raises(cycle.CycleError, match="Период «2026-Q7» не найден"):
        cycle.collection(meth, NEV, "2026-Q7", engine=eng)


def test_an_approval_of_a_region_locks_its_municipalities(empty_db):
    """A region's approved quarter refuses writes into the schools of its municipalities, and the
    municipalities' own state cannot be changed under it."""
    from core import synthetic

    eng = empty_db
    info = synthetic.build(eng, synthetic.Scale("tree", 1, 2, 3, 3, 2))
    admin = auth.system_scope()
    region = info["territory_id"]
    with eng.connect() as c:
        muni = c.execute(text("SELECT id FROM territory WHERE parent_id = :r ORDER BY id"), {"r": region}).scalar()
        school = c.execute(text("SELECT code FROM school WHERE territory_id = :m ORDER BY id"), {"m": muni}).scalar()
    assert cycle.collection(admin, region, "2022-Q2", engine=eng).n_schools == 6
    cycle.mark_checked(admin, region, "2022-Q2", eng)
    cycle.approve(admin, region, "2022-Q2", eng)
    below = cycle.quarter_state(muni, "2022-Q2", eng)
    assert below.is_approved and below.approved_above == "Синтетика: tree"
    with pytest.raises(cycle.CycleError, match="утверждён для территории «Синтетика: tree»"):
        cycle.mark_checked(admin, muni, "2022-Q2", eng)
    data = long_table([[school, "tree-i2", "2022-Q2", 5, None, None]])
    pv = pipeline.prepare(admin, [("t.xlsx", data)], None, eng)
    assert any("«Синтетика: tree» утверждены" in p.message for p in pv.errors)
    pv = pipeline.prepare(admin, [("t.xlsx", long_table([[school, "tree-i2", "2022-Q1", 5, None, None]]))], None, eng)
    assert pv.ok  # another quarter


def test_changes_since_is_not_hidden_by_another_roadmaps_busy_log(demo_db_any):
    """Issue 28: «Что изменилось» read the last 500 events of every territory and filtered by roadmap
    in Python — 600 status changes in another roadmap hid this roadmap's one change."""
    eng = demo_db_any
    meth, head = scope_of(eng, "demo-methodist"), scope_of(eng, "demo-head")
    pv, data = upload_one(eng, meth)
    uid = pipeline.apply(meth, pv, data, accept_warnings=True, engine=eng)
    with eng.connect() as c:
        other = c.execute(text("SELECT id, territory_id FROM roadmap WHERE code = 'okn-2021'")).one()
        act = c.execute(text("SELECT id FROM activity WHERE roadmap_id = :r LIMIT 1"), {"r": other.id}).scalar()
    with session_scope(eng, write=True) as s:
        for i in range(600):
            auth.audit(s, "roadmap_status", login="demo-admin", object_type="activity", object_id=act,
                       details={"roadmap_id": other.id, "number": "1", "old": {}, "new": {"status": "done"}},
                       roadmap_id=other.id, territory_id=other.territory_id)
    ch = cycle.changes_since(head, 1, date(2020, 1, 1), eng)
    assert f"Загрузка № {uid}" in list(ch["what"])
