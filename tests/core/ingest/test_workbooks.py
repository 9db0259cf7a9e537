"""Issue 14, «real workbooks from real offices»: files as people make them (hand-typed names, merged
headers, last quarter's template, .xls/.ods/.csv from real writers), what goes out is safe, undo
by every territory an upload touched, numbers in Russian. Every refused file changes nothing."""

import io
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
from tests.helpers import dump, scope_of, stored_value


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
    old = stored_value(db, "NEV-02", "teachers_trained", "2024-Q3")[0]
    data = f.long_table([["NEV-02", "teachers_trained", "2024-Q4", None, 2, 38]])  # 5,3 %
    pv = pipeline.prepare(methodist, [("x.xlsx", data)], engine=db)
    jump = next(w.message for w in pv.warnings if "резкое изменение" in w.message)
    expected = f"{old:.1f}".replace(".", ",") + " → 5,3\u00a0%"
    assert expected in jump and "п.п." not in jump, jump
    # just over: «15,0 МБ, допускается 15,0 МБ» would give no reason, so the bytes are counted
    with pytest.raises(IngestError, match=r"слишком большой: 15\u00a0728\u00a0662 байт, допускается не больше "
                                          r"15,0\u00a0МБ \(15\u00a0728\u00a0640 байт\)"):
        pipeline.prepare(methodist, [("big.xlsx", b"PK" + b"\0" * (excel.MAX_FILE_BYTES + 20))], engine=db)
    with pytest.raises(IngestError, match=r"слишком большой: 20,8\u00a0МБ, допускается не больше 15,0\u00a0МБ\.$"):
        pipeline.prepare(methodist, [("big.xlsx", b"PK" + b"\0" * 21_810_000)], engine=db)


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
    with pytest.raises(auth.AccessDenied):  # nor their own: an alias serves the whole territory's uploads
        learn_alias(principal, "Школа на Гагарина", principal.school_ids and next(iter(principal.school_ids)), engine=db)
    with pytest.raises(IngestError, match="наименование другой школы"):  # another school's own name
        pipeline.learn_alias(methodist, "СОШ № 5 (демо)", 2, engine=db)
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


# ---------------------------------------------------------------------------------------------
# 3. Tables as people make them; 4. one message per cause
# ---------------------------------------------------------------------------------------------
def _by_school(pv):
    return {(r.school, r.indicator_code): (r.value, r.numerator, r.denominator) for r in pv.rows}


def test_merged_two_row_header_with_title_notes_and_percent_columns(db, methodist):
    data = f.office_table([[1, 'МБОУ "СОШ №2"', 38, 30, "78,9 %", 100, 45, 12],
                           [2, "«СОШ № 5» г. Невинномысска", 33, 25, 0.758, 80, 40, 7]])
    pv = pipeline.prepare(methodist, [("свод.xlsx", data)], "2024-Q4", engine=db)
    assert pv.errors == [] and pv.questions == [], [e.text for e in pv.errors] + [q.text for q in pv.questions]
    rows = _by_school(pv)
    assert rows[("СОШ № 2 (демо)", "teachers_trained")][1:] == (30, 38)
    assert rows[("СОШ № 2 (демо)", "edu_quality")][1:] == (45, 100)
    assert rows[("СОШ № 5 (демо)", "olympiad_participants")][0] == 7
    assert len(rows) == 6  # the «%» columns are derived and not read; «№ п/п» is no question
    assert not any("№ п/п" in (w.header or "") for w in pv.warnings)


def test_a_row_of_column_numbers_under_the_header_is_not_data(db, methodist):
    data = f.office_table([[1, 2, 3, 4, 5, 6, 7, 8], [1, "СОШ № 2", 38, 30, None, 100, 45, 12]])
    pv = pipeline.prepare(methodist, [("свод.xlsx", data)], "2024-Q4", engine=db)
    assert pv.errors == [] and len(pv.rows) == 3, [e.text for e in pv.errors]


def test_percent_in_a_count_column_is_an_error(db, methodist):
    data = f.office_table([[1, "СОШ № 2", 38, 30, None, 100, 45, "62 %"],
                           [2, "СОШ № 5", "40 %", 25, None, 80, 40, 7]])
    before = dump(db)
    pv = pipeline.prepare(methodist, [("свод.xlsx", data)], "2024-Q4", engine=db)
    texts = [e.text for e in pv.errors]
    assert any(t.startswith("Лист «Лист1», строка 5, столбец H") and "знак «%» в столбце количества" in t
               for t in texts), texts
    assert any(t.startswith("Лист «Лист1», строка 6, столбец C") for t in texts), texts
    assert any("школа «СОШ № 2»: знак «%»" in t for t in texts), texts  # the school as written in the row
    with pytest.raises(IngestError):
        pipeline.apply(methodist, pv, data, accept_warnings=True, engine=db)
    assert dump(db) == before


def test_an_unrecognised_column_with_numbers_is_a_question_not_a_skip(db, methodist):
    data = f.office_table([[1, "СОШ № 2", 38, 30, None, 100, 45, 12, 3, "ок"],
                           [2, "СОШ № 5", 33, 25, None, 80, 40, 7, 1, ""]], extra=["Призёры олимпиад", "Примечание"])
    pv = pipeline.prepare(methodist, [("свод.xlsx", data)], "2024-Q4", engine=db)
    assert [q.key for q in pv.questions] == ["column:Лист1:I"] and not pv.ok
    q = pv.questions[0]
    assert "«Призёры олимпиад»" in q.text and ("skip", "Пропустить столбец") in q.options
    assert ("olympiad_participants:value", "Участники олимпиад и конкурсов, чел.") in q.options
    assert any(w.header == "Примечание" for w in pv.warnings)  # text only: a warning, no question
    before = dump(db)
    with pytest.raises(IngestError, match="вопросы без ответа"):
        pipeline.apply(methodist, pv, data, accept_warnings=True, engine=db)
    assert dump(db) == before
    skipped = pipeline.prepare(methodist, [("свод.xlsx", data)], "2024-Q4", engine=db,
                               answers={"column:Лист1:I": "skip"})
    assert skipped.questions == [] and skipped.errors == [] and len(skipped.rows) == 6
    # renamed count column mapped by the user: read as that indicator
    renamed = f.office_table([[1, "СОШ № 2", 38, 30, None, 100, 45, None, 12]], extra=["Олимпиадники"])
    pv = pipeline.prepare(methodist, [("свод.xlsx", renamed)], "2024-Q4", engine=db,
                          answers={"column:Лист1:I": "olympiad_participants:value"})
    assert pv.questions == [] and _by_school(pv)[("СОШ № 2 (демо)", "olympiad_participants")][0] == 12


def test_a_sheet_per_school_with_indicator_names(db, methodist):
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.title = "Инструкция"
    wb.active.append(["Заполните лист своей школы. Показатели — как в дорожной карте."])
    for name, total, of_them, olymp in (("СОШ № 2", 38, 30, 12), ("СОШ № 5", 33, 25, 7)):
        ws = wb.create_sheet(name)
        ws.append(["Отчёт школы за IV кв. 2024"])
        ws.append(["Показатель", "Значение"])
        ws.append(["Педагоги прошли КПК, всего", total])
        ws.append(["Педагоги прошли КПК, из них", of_them])
        ws.append(["Участники олимпиад и конкурсов", olymp])
    buf = io.BytesIO()
    wb.save(buf)
    pv = pipeline.prepare(methodist, [("по школам.xlsx", buf.getvalue())], "2024-Q4", engine=db)
    assert pv.errors == [] and pv.questions == [], [e.text for e in pv.errors]
    rows = _by_school(pv)
    assert rows[("СОШ № 5 (демо)", "teachers_trained")][1:] == (25, 33)
    assert rows[("СОШ № 2 (демо)", "olympiad_participants")][0] == 12


def test_long_table_with_russian_names_and_the_apps_period_labels(db, methodist):
    data = f.long_table([["СОШ № 2", "Качество обучения", "IV кв. 2024", None, 45, 100],
                         ["СОШ № 2", "Участники олимпиад и конкурсов", "IV кв. 2024", 12, None, None],
                         ["СОШ № 5", "edu_quality", "2024-Q4", None, 40, 80]])
    pv = pipeline.prepare(methodist, [("long.xlsx", data)], engine=db)
    assert pv.errors == [], [e.text for e in pv.errors]
    assert _by_school(pv)[("СОШ № 2 (демо)", "edu_quality")][1:] == (45, 100)


def test_unknown_values_list_what_is_accepted_once_per_cause(db, methodist):
    rows = [["NEV-02", "Счастье", "2024-Q4", 5, None, None]]
    rows += [["NEV-05", "edu_quality", "V кв. 2024", None, 10 + i, 50] for i in range(30)]  # one cause, 30 rows
    pv = pipeline.prepare(methodist, [("long.xlsx", f.long_table(rows))], engine=db)
    texts = [e.text for e in pv.errors]
    assert len(texts) == 2, texts
    assert texts[0].startswith("Лист «Лист1», строка 2, столбец D") and "«Качество обучения» (edu_quality)" in texts[0]
    assert texts[1].startswith("Лист «Лист1», строки 3, 4, 5,") and "и ещё 10" in texts[1], texts[1]
    assert "неизвестный период «V кв. 2024»: пишите код" in texts[1] and "«III кв. 2026»" in texts[1]


def test_a_hidden_duplicate_row_is_one_message_naming_the_school_and_saying_hidden(db, methodist):
    data = f.office_table([[1, "СОШ № 2", 38, 30, None, 100, 45, 12],
                           [2, "СОШ № 5", 33, 25, None, 80, 40, 7],
                           [3, "МБОУ «СОШ № 2»", 38, 31, None, 100, 46, 13]], hidden_rows=(7,))
    pv = pipeline.prepare(methodist, [("свод.xlsx", data)], "2024-Q4", engine=db)
    assert [e.text for e in pv.errors] == [
        "Лист «Лист1», строка 7 (скрыта в файле): повтор: значения школы «СОШ № 2 (демо)» за IV кв. 2024 уже есть "
        "в строке 5"]


# ---------------------------------------------------------------------------------------------
# 1. The file's own period against the chosen one
# ---------------------------------------------------------------------------------------------
def test_last_quarters_template_refilled_asks_which_period(db, methodist):
    q3 = template.build_template(methodist, "2024-Q3", territory_id=1, engine=db)
    first = f.fill_template(q3, {("NEV-02", "olympiad_participants:value"): 40})
    admin = scope_of(db, "demo-admin")
    u1 = pipeline.apply(admin, pipeline.prepare(admin, [("q3.xlsx", first)], engine=db), first,
                        accept_warnings=True, engine=db)
    # next quarter the methodologist refills the same file and chooses IV quarter on the page
    again = f.fill_template(q3, {("NEV-02", "olympiad_participants:value"): 47,
                                 ("NEV-05", "olympiad_participants:value"): 44})
    before = dump(db)
    pv = pipeline.prepare(methodist, [("q3-again.xlsx", again)], "2024-Q4", engine=db)
    assert [q.key for q in pv.questions] == ["period"] and not pv.ok
    q = pv.questions[0]
    assert "«III кв. 2024» (скрытый лист шаблона)" in q.text and "выбран «IV кв. 2024»" in q.text
    assert [v for v, _ in q.options] == ["2024-Q3", "2024-Q4"]
    with pytest.raises(IngestError, match="вопросы без ответа"):
        pipeline.apply(methodist, pv, again, accept_warnings=True, engine=db)
    assert dump(db) == before
    q4 = pipeline.prepare(methodist, [("q3-again.xlsx", again)], "2024-Q4", engine=db, answers={"period": "2024-Q4"})
    assert q4.questions == [] and {r.period for r in q4.rows} == {"IV кв. 2024"}
    kept = pipeline.prepare(methodist, [("q3-again.xlsx", again)], "2024-Q4", engine=db,
                            answers={"period": "2024-Q3"})
    changed = [r for r in kept.rows if r.school == "СОШ № 2 (демо)"]
    assert changed[0].change == "changed" and changed[0].old[0] == 40 and changed[0].value == 47
    assert any(f"уже внесены загрузкой № {u1} и изменятся" in w.message for w in kept.warnings)
    assert ["40", "47"] in kept.table().query("Изменение == 'изменится'")[["Было", "Станет"]].values.tolist()


@pytest.mark.parametrize("how", ["title", "sheet name", "period column", "1C dates", "from-to dates"])
def test_a_period_written_in_the_file_is_compared_with_the_chosen_one(db, methodist, how):
    body = [["СОШ № 2", "olympiad_participants", "III кв. 2024" if how == "period column" else None, 40, None, None]]
    if how == "title":
        data = f.xlsx([["Сведения за III квартал 2024 г."], f.LONG_HEAD] + body)
    elif how == "1C dates":
        data = f.xlsx([["Мониторинг показателей ОО"], ["Период: 01.07.2024 - 30.09.2024"],
                       ["Отчет сформирован: 13.01.2025 10:34:12"], [], f.LONG_HEAD] + body)
    elif how == "from-to dates":
        data = f.xlsx([["Сведения с 01.07.2024 по 30.09.2024"], f.LONG_HEAD] + body)
    elif how == "sheet name":
        data = f.xlsx([f.LONG_HEAD] + body, sheet="III кв. 2024")
    else:
        data = f.long_table(body)
    pv = pipeline.prepare(methodist, [("x.xlsx", data)], "2024-Q4", engine=db)
    assert [q.key for q in pv.questions] == ["period"], [e.text for e in pv.errors]
    assert "«III кв. 2024»" in pv.questions[0].text and "«IV кв. 2024»" in pv.questions[0].text
    pv = pipeline.prepare(methodist, [("x.xlsx", data)], "2024-Q4", engine=db, answers={"period": "2024-Q4"})
    assert pv.ok and {r.period for r in pv.rows} == {"IV кв. 2024"}
    same = pipeline.prepare(methodist, [("x.xlsx", data)], "2024-Q3", engine=db)
    assert same.questions == [] and {r.period for r in same.rows} == {"III кв. 2024"}


@pytest.mark.parametrize("title, code, label", [
    ("Мониторинг показателей за 1 полугодие 2025 г.", "2025-H1", "I полуг. 2025"),
    ("Сведения за II полугодие 2024 года", "2024-H2", "II полуг. 2024"),
    ("2024/2025 учебный год", "2024/25", "2024/25 уч. г."),
    ("Мониторинг за 2024-2025 уч. г.", "2024/25", "2024/25 уч. г."),
    ("Сведения с 01.09.2024 по 31.08.2025", "2024/25", "2024/25 уч. г."),
])
def test_a_half_year_or_school_year_in_the_title_is_the_files_period(db, methodist, title, code, label):
    """The title's period is read by the calendar's one rule (core.periods): half-years and school
    years too, so a title «за 1 полугодие 2025 г.» against the chosen quarter is the period question."""
    body = [["СОШ № 2", "olympiad_participants", None, 40, None, None]]
    data = f.xlsx([[title], f.LONG_HEAD] + body)
    pv = pipeline.prepare(methodist, [("x.xlsx", data)], "2024-Q4", engine=db)
    assert [q.key for q in pv.questions] == ["period"], ([e.text for e in pv.errors], pv.questions)
    assert f"«{label}»" in pv.questions[0].text and "«IV кв. 2024»" in pv.questions[0].text, pv.questions[0].text
    pv = pipeline.prepare(methodist, [("x.xlsx", data)], "2024-Q4", engine=db, answers={"period": code})
    assert not pv.errors and not pv.questions and {r.period for r in pv.rows} == {label}


def test_a_title_with_years_that_name_no_period_asks_nothing(db, methodist):
    for title in ("Дорожная карта на 2024-2025 годы", "Школа № 2024", "по состоянию на 01.01.2025"):
        data = f.xlsx([[title], f.LONG_HEAD, ["СОШ № 2", "olympiad_participants", None, 40, None, None]])
        pv = pipeline.prepare(methodist, [("x.xlsx", data)], "2024-Q4", engine=db)
        assert pv.questions == [] and {r.period for r in pv.rows} == {"IV кв. 2024"}, (title, pv.questions)


def test_a_part_of_a_school_year_is_never_read_as_a_calendar_period(db, methodist):
    """«2 полугодие 2024-2025 учебного года» is January to June 2025, not «II полуг. 2024» (July to
    December 2024); a quarter («четверть») or half of a school year has no period in the calendar:
    in a title the chosen period stands, in a «Период» cell it is refused in words — never written
    into the wrong half-year."""
    from core.ingest.parse import find_period

    for title in ("Мониторинг за 2 полугодие 2024-2025 учебного года", "I полугодие 2024/2025 учебного года",
                  "за II полугодие 2024/25 уч. г.", "1 четверть 2024-2025 учебного года",
                  "III квартал 2024/2025 уч. года"):
        assert find_period(title) is None, title
        data = f.xlsx([[title], f.LONG_HEAD, ["СОШ № 2", "olympiad_participants", None, 40, None, None]])
        pv = pipeline.prepare(methodist, [("x.xlsx", data)], "2025-H1", engine=db)
        assert pv.questions == [] and {r.period for r in pv.rows} == {"I полуг. 2025"}, (title, pv.questions)
    assert find_period("Сведения за II полугодие 2024 года") == "2024-H2"  # a calendar half-year still is
    assert find_period("с 01.01.2025 по 30.06.2025 (2 полугодие 2024/2025 уч. г.)") == "2025-H1"  # exact dates
    data = f.xlsx([f.LONG_HEAD, ["СОШ № 2", "olympiad_participants", "2 полугодие 2024/25 уч. г.", 40, None, None]])
    pv = pipeline.prepare(methodist, [("x.xlsx", data)], "2025-H1", engine=db)
    assert not pv.rows and any("неизвестный период «2 полугодие 2024/25 уч. г.»" in e.text for e in pv.errors), (
        [e.text for e in pv.errors], [(r.period, r.value) for r in pv.rows])


def _grid(rows) -> list[list]:
    """A sheet as both readers give it, blanks as None, numbers as floats, trailing blanks cut."""
    out = [[None if v in ("", None) else float(v) if isinstance(v, (int, float)) else v for v in r] for r in rows]
    return [r[:max((i + 1 for i, v in enumerate(r) if v is not None), default=0)] for r in out]


def test_the_xlsb_writer_is_read_alike_by_two_independent_readers(tmp_path):
    """The test-only .xlsb writer is checked against pyxlsb (a pure-Python reader of its own), not
    only against calamine, which the upload uses: the same sheets, texts and numbers."""
    import pyxlsb
    from python_calamine import CalamineWorkbook

    rows = f.office_rows([[1, "МБОУ «СОШ № 2» г. Невинномысска", 38, 30, "78,9 %", 100, 45, 12],
                          [2, "Школа ё, 2,5 и -3", 12.25, 1e10, None, 2 ** 40, -7, 0]])
    data = f.xlsb(rows, merged=f.OFFICE_MERGED)
    path = tmp_path / "свод.xlsb"
    path.write_bytes(data)
    with pyxlsb.open_workbook(str(path)) as wb:
        assert wb.sheets == ["Лист1", "Примечания"]
        with wb.get_sheet(1) as sheet:
            by_pyxlsb = [[c.v for c in row] for row in sheet.rows()]
    book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    assert book.sheet_names == ["Лист1", "Примечания"]
    sheet = book.get_sheet_by_name("Лист1")
    assert _grid(by_pyxlsb) == _grid(sheet.to_python()) == _grid(rows)
    # neither reader gives an .xlsb's merged cells (calamine: None): the upload reads its header
    # from the cells' values, the merged ones blank below and right of their first cell
    assert not sheet.merged_cell_ranges


def test_an_office_table_saved_as_xlsb_lands(db, methodist):
    """A methodologist's own table saved by Excel as .xlsb: a title, a two-row header with merged
    «№ п/п» / «Наименование ОО», hand-typed Russian names, a notes sheet. The values land."""
    rows = f.office_rows([[1, 'МБОУ "СОШ №2"', 38, 30, "78,9 %", 100, 45, 12],
                          [2, "«СОШ № 5» г. Невинномысска", 33, 25, 0.758, 80, 40, 7]])
    data = f.xlsb(rows, merged=f.OFFICE_MERGED)
    pv = pipeline.prepare(methodist, [("свод.xlsb", data)], "2024-Q4", engine=db)
    assert pv.errors == [] and pv.questions == [], [e.text for e in pv.errors] + [q.text for q in pv.questions]
    assert pv.kind != "" and len(pv.rows) == 6
    pipeline.apply(methodist, pv, data, accept_warnings=True, engine=db)
    with db.connect() as c:
        got = {(r[0], r[1]): tuple(r[2:]) for r in c.execute(text(
            "SELECT s.code, i.code, m.value, m.numerator, m.denominator FROM measurement m "
            "JOIN school s ON s.id = m.school_id JOIN indicator i ON i.id = m.indicator_id "
            "JOIN period p ON p.id = m.period_id WHERE p.code = '2024-Q4' AND s.code IN ('NEV-02', 'NEV-05')"))}
    assert got[("NEV-02", "teachers_trained")][1:] == (30, 38)
    assert got[("NEV-02", "edu_quality")][1:] == (45, 100)
    assert got[("NEV-05", "olympiad_participants")][0] == 7 and got[("NEV-02", "olympiad_participants")][0] == 12


def test_a_book_with_a_sheet_per_school_asks_an_unknown_column_once(db, methodist):
    """Three sheets with the same unrecognised column «Олимпиадники»: one question (naming the
    other sheets), and its answer maps the column on every sheet."""
    def sheet(name):
        return [["Наименование ОО", "Качество обучения: всего", "Качество обучения: из них", "Олимпиадники"],
                [name, 100, 45, 12]]

    data = f.xlsx(sheet("СОШ № 2"), sheet="СОШ 2", extra_sheets={"СОШ 5": sheet("СОШ № 5"), "СОШ 7": sheet("СОШ № 7")})
    pv = pipeline.prepare(methodist, [("свод.xlsx", data)], "2024-Q4", engine=db)
    assert [q.key for q in pv.questions] == ["column:СОШ 2:D"], [q.text for q in pv.questions]
    assert "на листах «СОШ 5», «СОШ 7»" in pv.questions[0].text, pv.questions[0].text
    pv = pipeline.prepare(methodist, [("свод.xlsx", data)], "2024-Q4", engine=db,
                          answers={"column:СОШ 2:D": "olympiad_participants:value"})
    assert not pv.errors and not pv.questions, [e.text for e in pv.errors] + [q.text for q in pv.questions]
    olympiad = sorted(r.school for r in pv.rows if r.indicator_code == "olympiad_participants")
    assert len(olympiad) == 3 and all(r.value == 12 for r in pv.rows if r.indicator_code == "olympiad_participants")
    pv = pipeline.prepare(methodist, [("свод.xlsx", data)], "2024-Q4", engine=db, answers={"column:СОШ 2:D": "skip"})
    assert not pv.questions and not any(r.indicator_code == "olympiad_participants" for r in pv.rows)
    assert len(pv.rows) == 3  # the share of each school still lands


def test_two_unknown_columns_with_one_header_on_one_sheet_are_two_questions(db, methodist):
    """Two columns «Число» side by side on one sheet are two columns, not one header answered twice:
    each is asked, each answer maps its own column (and on a later sheet the column in the same
    place among the «Число» columns) — the second is never mapped to the first one's indicator."""
    def sheet(name, a, b):
        return [["Наименование ОО", "Качество обучения: всего", "Качество обучения: из них", "Число", "Число"],
                [name, 100, 45, a, b]]

    data = f.xlsx(sheet("СОШ № 2", 12, 30), sheet="СОШ 2", extra_sheets={"СОШ 5": sheet("СОШ № 5", 7, 21)})
    pv = pipeline.prepare(methodist, [("свод.xlsx", data)], "2024-Q4", engine=db)
    assert [q.key for q in pv.questions] == ["column:СОШ 2:D", "column:СОШ 2:E"], [q.text for q in pv.questions]
    assert all("на листах «СОШ 5»." in q.text for q in pv.questions), [q.text for q in pv.questions]
    pv = pipeline.prepare(methodist, [("свод.xlsx", data)], "2024-Q4", engine=db,
                          answers={"column:СОШ 2:D": "olympiad_participants:value", "column:СОШ 2:E": "skip"})
    assert not pv.errors and not pv.questions, [e.text for e in pv.errors] + [q.text for q in pv.questions]
    got = sorted((r.school, r.value) for r in pv.rows if r.indicator_code == "olympiad_participants")
    assert [v for _, v in got] == [12, 7] or [v for _, v in got] == [7, 12], got
    assert not any(r.value in (30, 21) for r in pv.rows)  # the skipped «Число» lands nowhere



def test_a_broken_xlsb_is_named_and_refused_in_russian(db, methodist):
    # no program that writes .xlsb installs from the registries here: the container is built by
    # hand (the parts a real .xlsb has), its workbook part cut short
    data = f.zip_of({"[Content_Types].xml": b'<?xml version="1.0"?><Types/>', "xl/workbook.bin": b"\x83\x01\x00",
                     "xl/worksheets/sheet1.bin": b"\x81\x01\x00"})
    before = dump(db)
    with pytest.raises(IngestError) as exc:
        pipeline.prepare(methodist, [("свод.xlsb", data)], engine=db)
    assert "двоичная книга Excel, .xlsb" in str(exc.value) and "повреждён" in str(exc.value)
    assert dump(db) == before


def test_undo_by_every_territory_and_the_set_based_update_on_both_backends(demo_db_any):
    db = demo_db_any
    with session_scope(db, write=True) as s:
        s.add(School(territory_id=2, code="KHR-98", name="МБОУ «СОШ № 98»", short_name="СОШ № 98"))
    admin, methodist_ = scope_of(db, "demo-admin"), scope_of(db, "demo-methodist")
    old = stored_value(db, "NEV-05", "teachers_trained", "2024-Q3")
    data = f.long_table([["NEV-05", "teachers_trained", "2024-Q3", None, 33, 33],  # an update (history)
                         ["KHR-98", "olympiad_participants", "2024-Q4", 41, None, None]])
    pv = pipeline.prepare(admin, [("x.xlsx", data)], engine=db)
    assert pv.counts() == {"new": 1, "changed": 1, "unchanged": 0}
    uid = pipeline.apply(admin, pv, data, accept_warnings=True, engine=db)
    assert tuple(stored_value(db, "NEV-05", "teachers_trained", "2024-Q3")) == (100.0, 33, 33)
    with pytest.raises(auth.AccessDenied, match="вне ваших прав"):
        pipeline.undo(methodist_, uid, engine=db)
    assert pipeline.undo(admin, uid, engine=db) == {"restored": 1, "removed": 1}
    assert tuple(stored_value(db, "NEV-05", "teachers_trained", "2024-Q3")) == tuple(old)


# ---------------------------------------------------------------------------------------------
# Holdout defects: what a hand-made file says is never silently dropped
# ---------------------------------------------------------------------------------------------
def test_a_share_given_only_as_percent_is_an_error_naming_its_counts(db, methodist):
    from openpyxl import Workbook
    wb = Workbook()
    ws = wb.active
    ws.append(["№", "Наименование ОО", "Качество обучения, %", "Доля педагогов с КПК, %", "Участники олимпиад и конкурсов, чел."])
    ws.append([1, "СОШ № 2", "60,4 %", 0.688, 12])
    ws.append([2, "СОШ № 5", 52.1, 0.7, 7])
    ws["D2"].number_format = "0.0%"
    buf = io.BytesIO()
    wb.save(buf)
    data = buf.getvalue()
    before = dump(db)
    pv = pipeline.prepare(methodist, [("проценты.xlsx", data)], "2024-Q4", engine=db)
    q = next(q for q in pv.questions if q.key == "column:Sheet:D")
    assert "Процента среди вариантов нет" in q.text, q.text
    pv = pipeline.prepare(methodist, [("проценты.xlsx", data)], "2024-Q4", engine=db,
                          answers={"column:Sheet:D": "skip"})
    err = [e.text for e in pv.errors if "только процентом" in e.text]
    assert len(err) == 1 and err[0].startswith("Лист «Sheet», строка 1, столбец C («Качество обучения, %»)"), pv.errors
    assert "«Обучающихся, прошедших аттестацию»" in err[0] and "из них" in err[0], err[0]
    with pytest.raises(IngestError):
        pipeline.apply(methodist, pv, data, accept_warnings=True, engine=db)
    assert dump(db) == before
    # the same «%» next to its counts is derived: no error
    ok = f.office_table([[1, "СОШ № 2", 38, 30, "78,9 %", 100, 45, 12]])
    assert not pipeline.prepare(methodist, [("свод.xlsx", ok)], "2024-Q4", engine=db).errors
    # a long table with only the «%» row of a share
    long = f.long_table([["NEV-02", "Качество обучения, %", "2024-Q4", 60.4, None, None]])
    pv = pipeline.prepare(methodist, [("x.xlsx", long)], "2024-Q4", engine=db)
    assert any("Обучающихся, прошедших аттестацию" in e.text for e in pv.errors), [e.text for e in pv.errors]


def test_a_date_range_is_a_period_only_when_it_covers_a_quarter_or_a_year():
    from core.ingest.parse import find_period
    assert find_period("Период: 01.07.2024 - 30.09.2024") == "2024-Q3"
    assert find_period("с 01.10.2024 по 31.12.2024") == "2024-Q4"
    assert find_period("с 01.01.2024 г. по 31.12.2024 г.") == "2024"
    assert find_period("с 01.01.2024 по 31.03.2024") == "2024-Q1"
    assert find_period("по состоянию на 01.01.2025") == "2024-Q4"  # issue 25: a date is the quarter it closes
    assert find_period("по состоянию на 15.11.2024") is None  # a date inside a quarter closes none
    assert find_period("01.07.2024 - 15.09.2024") is None  # not a whole quarter
    assert find_period("Отчет сформирован: 13.01.2025 10:34:12") is None
    assert find_period("с 01.01.2025 по 30.06.2025") == "2025-H1"
    assert find_period("с 01.09.2024 по 31.08.2025") == "2024/25"
    assert find_period("с 01.09.2024 по 31.12.2024") is None  # four months: no period


@pytest.mark.parametrize("head", ["Наименование образовательной организации", "Образовательная организация",
                                  "Наименование общеобразовательной организации", "Наименование учреждения", "ОУ",
                                  "Наименование ОУ"])
def test_common_school_column_headers_are_the_school_column(db, methodist, head):
    data = f.xlsx([["№", head, "Участники олимпиад и конкурсов, чел."], [1, "СОШ № 2", 12], [2, "СОШ № 5", 7]])
    pv = pipeline.prepare(methodist, [("свод.xlsx", data)], "2024-Q4", engine=db)
    assert pv.ok and not pv.questions, [e.text for e in pv.errors]
    assert {(r.school, r.value) for r in pv.rows} == {("СОШ № 2 (демо)", 12), ("СОШ № 5 (демо)", 7)}
    # and in a long table
    data = f.xlsx([[head, "Показатель", "Период", "Значение"], ["СОШ № 2", "olympiad_participants", "2024-Q4", 9]])
    pv = pipeline.prepare(methodist, [("long.xlsx", data)], "2024-Q4", engine=db)
    assert pv.ok and [(r.school, r.value) for r in pv.rows] == [("СОШ № 2 (демо)", 9)], [e.text for e in pv.errors]


def test_a_semicolon_csv_with_commas_in_its_headers_is_read_with_semicolons(db, methodist):
    # Excel «CSV (разделители — точки с запятой)»: cp1251, «;», commas inside header cells, decimal comma
    body = ("№;Наименование ОО;Качество обучения, всего;Качество обучения, из них;"
            "Участники олимпиад и конкурсов, чел.\r\n"
            '1;МБОУ "СОШ № 2";612;319;47\r\n2;СОШ № 5;538;322;45\r\n')
    pv = pipeline.prepare(methodist, [("свод.csv", body.encode("cp1251"))], "2024-Q4", engine=db)
    assert pv.ok and not pv.questions, ([e.text for e in pv.errors], [q.text for q in pv.questions])
    got = {(r.school, r.indicator_code): (r.numerator, r.denominator, r.value) for r in pv.rows}
    assert got[("СОШ № 2 (демо)", "edu_quality")][:2] == (319, 612)
    assert got[("СОШ № 5 (демо)", "olympiad_participants")][2] == 45
    # a «,» file with a quoted comma in a name stays a «,» file; a tab file with commas a tab file
    assert excel._delimiter('Код школы,Показатель\n"СОШ, 1",x\n') == ","
    assert excel._delimiter("a\tb, c\n1\t2,5\n") == "\t"


@pytest.mark.parametrize("period_head", ["Отчётный период", "Период отчёта"])
def test_long_table_headers_report_period_and_indicator_value(db, methodist, period_head):
    data = f.xlsx([["Код школы", "Показатель", period_head, "Значение показателя"],
                   ["NEV-02", "olympiad_participants", "III кв. 2024", 9]])
    pv = pipeline.prepare(methodist, [("long.xlsx", data)], "2024-Q3", engine=db)
    assert pv.ok and not pv.questions and not [w for w in pv.warnings if w.col], ([e.text for e in pv.errors], pv.warnings)
    assert [(r.period, r.value) for r in pv.rows] == [("III кв. 2024", 9)]


def test_a_row_problem_names_the_school_as_written(db, methodist):
    data = f.office_table([[1, "МБОУ СОШ № 7", 38, 30, None, 480, 500, 12],
                           [2, "СОШ № 5", 40, 25, None, 80, 40, "ок"],
                           [3, "СОШ № 2", 40, 25, None, 80, 40, "н/д"]])
    pv = pipeline.prepare(methodist, [("свод.xlsx", data)], "2024-Q4", engine=db)
    texts = [e.text for e in pv.errors]
    assert any(t.startswith("Лист «Лист1», строка 5, столбец G") and "школа «МБОУ СОШ № 7»: 500 больше, чем" in t
               for t in texts), texts
    # one message for one cause: its rows and its schools listed
    assert any("строки 6, 7" in t and "школы «СОШ № 5», «СОШ № 2»" in t for t in texts), texts


def test_a_long_csv_headed_with_the_documented_codes_is_a_long_table(db, methodist):
    body = ("\ufeffschool_code,indicator_code,period,value,numerator,denominator\r\n"
            "NEV-02,teachers_trained,2024-Q4,,26,38\r\nNEV-02,olympiad_participants,2024-Q4,47,,\r\n")
    pv = pipeline.prepare(methodist, [("long.csv", body.encode("utf-8"))], "2024-Q4", engine=db)
    assert pv.ok and not pv.questions, ([e.text for e in pv.errors], [q.text for q in pv.questions])
    assert sorted((r.indicator_code, r.numerator, r.denominator, r.value) for r in pv.rows)[0][:3] == \
        ("olympiad_participants", None, None)
    assert len(pv.rows) == 2


def test_a_quiet_territorys_upload_log_is_not_cut_short_by_a_busy_one(db, methodist):
    """The log is one scoped query with the LIMIT last: 200 newer uploads of another territory do
    not push the methodologist's own territory's upload out of their log."""
    from core.models import Upload

    admin = scope_of(db, "demo-admin")
    data = f.long_table([["NEV-02", "olympiad_participants", "2024-Q4", 40, None, None]])
    uid = pipeline.apply(admin, pipeline.prepare(admin, [("x.xlsx", data)], engine=db), data,
                         accept_warnings=True, engine=db)
    other = _second_methodist(db)
    with session_scope(db, write=True) as s:  # the busy territory: 200 later uploads made for it
        for i in range(200):
            s.add(Upload(file_name=f"busy{i}.xlsx", checksum=f"{i:064d}", territory_id=2, uploaded_by=None))
    quiet = pipeline.uploads(methodist, db)
    assert uid in set(quiet["id"]) and not any(n.startswith("busy") for n in quiet["file_name"])
    busy = pipeline.uploads(other, db)
    assert len(busy) == 200 and uid not in set(busy["id"])
    assert uid not in set(pipeline.uploads(admin, db)["id"])  # the administrator's 200 newest: the limit holds
