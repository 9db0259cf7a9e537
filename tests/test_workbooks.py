"""Issue 14, «real workbooks from real offices»: files as people make them (hand-typed names, merged
headers, last quarter's template, .xls/.ods/.csv from real writers), what goes out is safe, undo
by every territory an upload touched, numbers in Russian. Every refused file changes nothing."""

import io
import re
import zipfile

import pytest
from openpyxl import load_workbook
from python_calamine import CalamineWorkbook
from sqlalchemy import text

from core import auth
from core.db import session_scope
from core.ingest import excel, pipeline, template
from core.ingest.__main__ import main as cli
from core.ingest.problems import IngestError
from core.models import School
from tests import ingest_files as f
from tests.test_ingest import _value, db, dump, methodist, scope_of  # noqa: F401 - fixtures


# ---------------------------------------------------------------------------------------------
# 7. Files going out are safe
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["=HYPERLINK(\"http://x\",\"СОШ\")", "+7 школа", "-СОШ", "@СОШ", "\tСОШ", "\rСОШ"])
def test_a_school_name_that_looks_like_a_formula_stays_text(db, methodist, name):
    with session_scope(db, write=True) as s:
        s.add(School(territory_id=1, code="NEV-90", name=name, short_name=name))
        sid = s.exec(__import__("sqlmodel").select(School.id).where(School.code == "NEV-90")).one()
    for data, sheet in ((template.build_template(methodist, "2024-Q4", territory_id=1, engine=db), "Данные"),
                        (template.build_school_form(methodist, "2024-Q4", sid, engine=db), "Форма")):
        xml = b"".join(zipfile.ZipFile(io.BytesIO(data)).read(n) for n in zipfile.ZipFile(io.BytesIO(data)).namelist()
                       if n.startswith("xl/worksheets/"))
        assert b"<f>" not in xml and b"<f " not in xml  # no cell is a formula
        ws = load_workbook(io.BytesIO(data))[sheet]
        cells = [c for row in ws.iter_rows() for c in row if isinstance(c.value, str) and c.value.startswith(name)]
        assert cells and all(c.data_type == "s" and c.quotePrefix for c in cells)
        grid = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_name(sheet).to_python()
        assert any(isinstance(v, str) and v.startswith(name) for row in grid for v in row)


# ---------------------------------------------------------------------------------------------
# 8. Numbers in Russian
# ---------------------------------------------------------------------------------------------
def test_jump_warning_and_sizes_are_written_in_russian(db, methodist):
    old = _value(db, "NEV-02", "teachers_trained", "2024-Q3")[0]
    data = f.long_table([["NEV-02", "teachers_trained", "2024-Q4", None, 2, 38]])  # 5,3 %
    pv = pipeline.prepare(methodist, [("x.xlsx", data)], engine=db)
    jump = next(w.message for w in pv.warnings if "резкое изменение" in w.message)
    expected = f"{old:.1f}".replace(".", ",") + " → 5,3\u00a0%"
    assert expected in jump and "п.п." not in jump, jump
    with pytest.raises(IngestError, match=r"слишком большой: 15,0\u00a0МБ, допускается не больше 15,0\u00a0МБ"):
        pipeline.prepare(methodist, [("big.xlsx", b"PK" + b"\0" * (excel.MAX_FILE_BYTES + 20))], engine=db)


def test_cli_prints_no_counts_for_a_file_it_refuses(db, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr("core.ingest.__main__.ensure_database", lambda: db)
    path = tmp_path / "bad.xlsx"
    path.write_bytes(f.long_table([["NEV-02", "olympiad_participants", "2024-Q4", -5, None, None],
                                   ["NEV-05", "olympiad_participants", "2024-Q4", 40, None, None]]))
    before = dump(db)
    assert cli([str(path), "--user", "demo-methodist", "--apply"]) == 1
    out = capsys.readouterr().out
    assert "Файл не принят: 1 ошибка. Ничего не записано." in out and "новых" not in out, out
    assert dump(db) == before


# ---------------------------------------------------------------------------------------------
# 6. Undo and the log by every territory an upload touched
# ---------------------------------------------------------------------------------------------
def _second_methodist(engine):
    with session_scope(engine, write=True) as s:
        auth.create_user(s, login="met2", password="x", full_name="Методист 2", role="methodologist",
                         territory_id=2, check_rules=False)
    return scope_of(engine, "met2")


def test_undo_needs_rights_on_every_territory_the_upload_touched(db, methodist):
    admin, other = scope_of(db, "demo-admin"), _second_methodist(db)
    # the admin's upload: the first row is Невинномысск (the methodologist's), the second another territory
    data = f.long_table([["NEV-02", "olympiad_participants", "2024-Q4", 40, None, None],
                         ["KHR-99", "olympiad_participants", "2024-Q4", 41, None, None]])
    uid = pipeline.apply(admin, pipeline.prepare(admin, [("x.xlsx", data)], engine=db), data,
                         accept_warnings=True, engine=db)
    for sc in (methodist, other):  # each sees it in the log (it touched their territory) ...
        assert uid in set(pipeline.uploads(sc, db)["id"])
        before = dump(db)
        with pytest.raises(auth.AccessDenied, match="вне ваших прав"):  # ... and neither may undo it alone
            pipeline.undo(sc, uid, engine=db)
        with pytest.raises(auth.AccessDenied):
            pipeline.original_file(sc, uid, engine=db)  # the file holds the other territory's values
        assert [ln for ln in dump(db).splitlines() if "audit" not in ln.lower()] == [
            ln for ln in before.splitlines() if "audit" not in ln.lower()]
    with db.connect() as c:  # each refusal is audited
        assert c.execute(text("SELECT COUNT(*) FROM auditevent WHERE action = 'access_denied'")).scalar() >= 4
    assert pipeline.undo(admin, uid, engine=db) == {"restored": 0, "removed": 2}


def test_a_methodologist_undoes_an_upload_of_their_territory_only(db, methodist):
    other = _second_methodist(db)
    data = f.long_table([["KHR-99", "olympiad_participants", "2024-Q4", 41, None, None]])
    admin = scope_of(db, "demo-admin")
    uid = pipeline.apply(admin, pipeline.prepare(admin, [("x.xlsx", data)], engine=db), data,
                         accept_warnings=True, engine=db)
    assert uid not in set(pipeline.uploads(methodist, db)["id"])
    with pytest.raises(auth.AccessDenied):
        pipeline.undo(methodist, uid, engine=db)
    assert pipeline.undo(other, uid, engine=db) == {"restored": 0, "removed": 1}


# ---------------------------------------------------------------------------------------------
# 5. Formats: files saved by other programs
# ---------------------------------------------------------------------------------------------
LONG = [f.LONG_HEAD, ["NEV-02", "olympiad_participants", "2024-Q4", "45", None, None],
        ["СОШ № 5 (демо)", "teachers_trained", "2024-Q4", None, "20", "41"]]


def _numbers(rows):
    return [[int(v) if isinstance(v, str) and v.isdigit() else v for v in r] for r in rows]


@pytest.mark.parametrize("name,make", [
    ("отчёт.xls", lambda: f.xls(_numbers(LONG))),
    ("отчёт.ods", lambda: f.ods(_numbers(LONG))),
    ("отчёт.csv", lambda: f.csv_bytes(LONG, "cp1251", ";")),
    ("отчёт.csv", lambda: f.csv_bytes(LONG, "utf-8-sig", ",")),
    ("report.csv", lambda: f.csv_bytes(LONG, "utf-8", ";")),
    ("отчёт.xlsm", f.with_macros),
], ids=["xls-xlwt", "ods-odfpy", "csv-cp1251-semicolon", "csv-utf8bom-comma", "csv-utf8", "xlsm-with-vba"])
def test_files_saved_by_other_programs_are_read(db, methodist, name, make):
    pv = pipeline.prepare(methodist, [(name, make())], engine=db)
    assert pv.errors == [], [e.text for e in pv.errors]
    rows = {(r.school, r.indicator_code): (r.value, r.numerator, r.denominator) for r in pv.rows}
    if name.endswith(".xlsm"):  # read like an .xlsx; the macros are never run
        assert rows == {("СОШ № 2 (демо)", "olympiad_participants"): (5, None, None)}
        return
    assert rows[("СОШ № 2 (демо)", "olympiad_participants")][0] == 45
    assert rows[("СОШ № 5 (демо)", "teachers_trained")][1:] == (20, 41)


def test_csv_with_numbers_typed_the_russian_way(db, methodist):
    data = f.csv_bytes([["Код школы", "Показатель", "Период", "Значение"],
                        ["NEV-02", "olympiad_participants", "2024-Q4", "1 234"]], "cp1251", ";")
    pv = pipeline.prepare(methodist, [("a.csv", data)], engine=db)
    assert pv.errors == [] and pv.rows[0].value == 1234


def test_an_old_xls_that_is_broken_is_named_so(db, methodist):
    before = dump(db)
    with pytest.raises(IngestError) as exc:
        pipeline.prepare(methodist, [("отчёт.xls", f.xls(LONG)[:3000])], engine=db)
    assert "старый формат Excel" in str(exc.value) and "Calamine" not in str(exc.value)
    assert dump(db) == before


# ---------------------------------------------------------------------------------------------
# 2. Schools as people name them
# ---------------------------------------------------------------------------------------------
def _school_rows(pv):
    return {r.school for r in pv.rows}


def test_hand_typed_names_match_the_uploaders_own_school_first(db, methodist):
    # the fixture has a «СОШ № 2 (демо)» in another territory too: the methodologist's own one wins
    with session_scope(db, write=True) as s:
        s.add(School(territory_id=1, code="NEV-40", name="МБОУ «Гимназия «Звёздочка»» г. Невинномысска",
                     short_name="Гимназия «Звёздочка»"))
    names = ['МБОУ "СОШ №2"', "сош № 2 г. Невинномысска", "Средняя общеобразовательная школа №2",
             "МАОУ «СОШ  №  2»", "'СОШ№2'", "муниципальное бюджетное общеобразовательное учреждение СОШ № 2"]
    for i, name in enumerate(names):
        data = f.long_table([[name, "olympiad_participants", "2024-Q4", 40 + i, None, None]])
        pv = pipeline.prepare(methodist, [("x.xlsx", data)], engine=db)
        assert pv.errors == [] and _school_rows(pv) == {"СОШ № 2 (демо)"}, (name, [e.text for e in pv.errors])
    data = f.long_table([["гимназия ЗВЕЗДОЧКА", "olympiad_participants", "2024-Q4", 40, None, None]])
    pv = pipeline.prepare(methodist, [("x.xlsx", data)], engine=db)
    assert _school_rows(pv) == {"Гимназия «Звёздочка»"}, [e.text for e in pv.errors]
    # the other territory's methodologist gets their own «СОШ № 2» from the same hand-typed name
    other = _second_methodist(db)
    pv = pipeline.prepare(other, [("x.xlsx", f.long_table([['МБОУ "СОШ №2"', "olympiad_participants", "2024-Q4",
                                                            40, None, None]]))], engine=db)
    assert pv.errors == [] and pv.rows[0].territory_id == 2


def test_a_name_of_another_territorys_school_is_said_to_be_so(db):
    principal = scope_of(db, "demo-principal")  # СОШ № 2 only
    data = f.long_table([["МБОУ «СОШ № 5»", "olympiad_participants", "2024-Q4", 40, None, None]])
    pv = pipeline.prepare(principal, [("x.xlsx", data)], engine=db)
    assert len(pv.errors) == 1 and "нет среди школ, данные которых вы загружаете" in pv.errors[0].message


def test_an_unknown_name_gets_three_close_names_and_its_rows_in_one_message(db, methodist):
    rows = [["Школа № 2 на Гагарина", ind, "2024-Q4", 40, None, None]
            for ind in ("olympiad_participants", "textbooks_needed")]
    rows.insert(1, ["NEV-05", "olympiad_participants", "2024-Q4", 41, None, None])
    data = f.long_table(rows)
    before = dump(db)
    pv = pipeline.prepare(methodist, [("x.xlsx", data)], engine=db)
    assert len(pv.errors) == 1, [e.text for e in pv.errors]
    e = pv.errors[0]
    assert e.text.startswith("Лист «Лист1», строки 2, 4: школа «Школа № 2 на Гагарина» не найдена"), e.text
    assert e.text.count("» (NEV-") == 3 and "«СОШ № 2 (демо)» (NEV-02)" in e.text, e.text
    assert [u["name"] for u in pv.unmatched] == ["Школа № 2 на Гагарина"]
    assert len(pv.unmatched[0]["candidates"]) == 3
    with pytest.raises(IngestError):
        pipeline.apply(methodist, pv, data, accept_warnings=True, engine=db)
    assert dump(db) == before


def test_a_name_confirmed_once_is_used_next_time_within_scope(db, methodist):
    from core.ingest.schools import learn_alias

    data = f.long_table([["Школа на Гагарина", "olympiad_participants", "2024-Q4", 40, None, None]])
    assert pipeline.prepare(methodist, [("x.xlsx", data)], engine=db).unmatched
    principal = scope_of(db, "demo-principal")
    with pytest.raises(auth.AccessDenied):  # a principal cannot name another school's alias
        learn_alias(principal, "Школа на Гагарина", 4, engine=db)
    pipeline.learn_alias(methodist, "Школа на Гагарина", 2, engine=db)
    pv = pipeline.prepare(methodist, [("x.xlsx", data)], engine=db)
    assert pv.errors == [] and _school_rows(pv) == {"СОШ № 2 (демо)"}
    # written a little differently next quarter: still the same key
    data2 = f.long_table([["МБОУ «Школа на  Гагарина»", "olympiad_participants", "2024-Q4", 40, None, None]])
    assert _school_rows(pipeline.prepare(methodist, [("y.xlsx", data2)], engine=db)) == {"СОШ № 2 (демо)"}
    # not for a user who may not load that school
    other = _second_methodist(db)
    assert pipeline.prepare(other, [("x.xlsx", data)], engine=db).rows == []
    with db.connect() as c:
        ev = c.execute(text("SELECT login, details FROM auditevent WHERE action = 'school_alias'")).one()
        assert ev.login == "demo-methodist" and "Школа на Гагарина" in ev.details
