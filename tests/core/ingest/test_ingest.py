"""Spreadsheets in: the template, reading what people send, the bad-input corpus (every case
refused with a Russian message and the database byte-for-byte unchanged), apply, history, undo."""

import io
from datetime import date

import pytest
from openpyxl import load_workbook
from sqlalchemy import text

from core import auth, summary
from core.read import overview as read_overview
from core.db import session_scope
from core.ingest import excel, pipeline, template
from core.ingest.__main__ import main as cli
from core.ingest.numbers import NotANumber, parse_number
from core.ingest.problems import IngestError
from tests import ingest_files as f
from tests.helpers import dump, scope_of, stored_value


def test_numbers_as_people_type_them():
    assert parse_number("45,5") == 45.5
    assert parse_number("45,5%") == 45.5
    assert parse_number(" 12 ") == 12
    assert parse_number("1 234") == 1234
    assert parse_number("1\u00a0234,5") == 1234.5
    assert parse_number(7) == 7 and parse_number(None) is None and parse_number("") is None
    for bad in ("abc", "12,5,1", "1.2.3", "12а"):
        with pytest.raises(NotANumber):
            parse_number(bad)


# ---------------------------------------------------------------------------------------------
# The template
# ---------------------------------------------------------------------------------------------
def test_template_layout(db, methodist):
    data = template.build_template(methodist, "2024-Q4", territory_id=1, engine=db)
    wb = load_workbook(io.BytesIO(data))
    assert wb.sheetnames == ["Данные", "Инструкция", "_meta"]
    assert wb["_meta"].sheet_state == "hidden"
    ws = wb["Данные"]
    assert ws.row_dimensions[2].hidden and ws.cell(2, 1).value == "school_code"
    heads = [c.value for c in ws[3]]
    assert heads[:2] == ["Код ОО", "Наименование ОО"]
    assert "Педагоги прошли КПК: Всего педагогов" in heads and "Педагоги прошли КПК: Из них прошли КПК" in heads
    assert len(heads) == 2 + 4 * 2 + 1  # four shares give two columns each, the count one
    codes = [ws.cell(r, 1).value for r in range(4, ws.max_row + 1)]
    assert sorted(codes) == sorted(f"NEV-{n:02d}" for n in (1, 2, 3, 5, 7, 8, 11, 12, 14, 16))
    assert ws.protection.sheet and ws.cell(4, 1).protection.locked and not ws.cell(4, 3).protection.locked
    assert ws.freeze_panes == "C4"
    kinds = {dv.type for dv in ws.data_validations.dataValidation}
    assert {"whole", "custom"} <= kinds
    meta = {r[0].value: r[1].value for r in wb["_meta"].iter_rows()}
    assert meta["period"] == "2024-Q4" and meta["kind"] == "template" and meta["template_version"] == "1"


def test_principal_gets_a_template_of_their_school_only(db):
    sc = scope_of(db, "demo-principal")
    ws = load_workbook(io.BytesIO(template.build_template(sc, "2024-Q4", engine=db)))["Данные"]
    assert [ws.cell(r, 1).value for r in range(4, ws.max_row + 1)] == ["NEV-02"]


# ---------------------------------------------------------------------------------------------
# Reading what people send
# ---------------------------------------------------------------------------------------------
VALUES = {("NEV-02", "teachers_trained:denominator"): 38, ("NEV-02", "teachers_trained:numerator"): 30,
          ("NEV-05", "teachers_trained:denominator"): "33", ("NEV-05", "teachers_trained:numerator"): " 25 ",
          ("NEV-02", "olympiad_participants:value"): "1 234"}


def _rows(pv):
    return {(r.school, r.indicator_code): (r.value, r.numerator, r.denominator) for r in pv.rows}


def test_filled_template_reads_back(db, methodist):
    data = f.fill_template(template.build_template(methodist, "2024-Q4", territory_id=1, engine=db), VALUES)
    pv = pipeline.prepare(methodist, [("t.xlsx", data)], engine=db)
    assert pv.errors == [] and pv.kind == "template"
    rows = _rows(pv)
    assert rows[("СОШ № 2 (демо)", "teachers_trained")] == (pytest.approx(100 * 30 / 38), 30, 38)
    assert rows[("СОШ № 5 (демо)", "teachers_trained")][1:] == (25, 33)
    assert rows[("СОШ № 2 (демо)", "olympiad_participants")][0] == 1234
    assert pv.counts() == {"new": 3, "changed": 0, "unchanged": 0}
    assert any("нет данных по школам" in w.message for w in pv.warnings)  # eight schools did not report


def test_renamed_reordered_headers_extra_columns_blank_and_total_rows(db, methodist):
    def edit(ws):
        ws.cell(3, 3).value = "Учебников надо (переименовано)"
        ws.move_range("C2:D14", cols=ws.max_column)  # two columns moved to the far right, keys with them
        ws.cell(3, ws.max_column + 1).value = "Комментарий школы"
        ws.cell(4, ws.max_column).value = "всё хорошо"
        ws.insert_rows(6)  # a blank row in the middle
        last = ws.max_row + 1
        ws.cell(last, 1).value = "Итого"
        ws.cell(last, 5).value = 999

    data = f.fill_template(template.build_template(methodist, "2024-Q4", territory_id=1, engine=db), VALUES,
                           edit=edit)
    pv = pipeline.prepare(methodist, [("t.xlsx", data)], engine=db)
    assert pv.errors == []
    assert _rows(pv)[("СОШ № 2 (демо)", "teachers_trained")][1:] == (30, 38)
    assert any(w.message.startswith("столбец не распознан и пропущен") and w.header == "Комментарий школы"
               for w in pv.warnings)


def test_template_retyped_without_keys_is_read_by_its_labels(db, methodist):
    data = f.fill_template(template.build_template(methodist, "2024-Q4", territory_id=1, engine=db), VALUES,
                           drop_key_row=True)
    pv = pipeline.prepare(methodist, [("t.xlsx", data)], "2024-Q4", engine=db)
    assert pv.errors == [] and _rows(pv)[("СОШ № 5 (демо)", "teachers_trained")][1:] == (25, 33)


def test_long_table_with_title_rows_percent_and_school_names(db, methodist):
    data = f.xlsx([["Сведения для мониторинга"], ["(заполняет МБУ «ЦРО»)"], f.LONG_HEAD,
                   ["МБОУ «СОШ № 5 (демо)»", "olympiad_participants", "2024-Q4", " 52 ", None, None],
                   ["NEV-08", "teachers_trained", "2024-Q4", None, "20", "41"],
                   [None, None, None, None, None, None],
                   ["nev-11", "edu_quality", "2024-Q4", None, "1 0", "19"]])
    pv = pipeline.prepare(methodist, [("long.xlsx", data)], engine=db)
    assert pv.errors == [], [e.text for e in pv.errors]
    rows = _rows(pv)
    assert rows[("СОШ № 5 (демо)", "olympiad_participants")][0] == 52
    assert rows[("СОШ № 8 (демо)", "teachers_trained")][1:] == (20, 41)
    assert rows[("ООШ № 11 (демо)", "edu_quality")][1:] == (10, 19)


def test_many_school_forms_at_once(db, methodist):
    forms = []
    for sid, code in ((2, "NEV-02"), (4, "NEV-05")):
        blank = template.build_school_form(methodist, "2024-Q4", sid, engine=db)
        forms.append((f"form_{code}.xlsx", f.fill_form(blank, {"teachers_trained:denominator": 40,
                                                               "teachers_trained:numerator": "30",
                                                               "olympiad_participants:value": 44})))
    pv = pipeline.prepare(methodist, forms, engine=db)
    assert pv.errors == [] and pv.kind == "school_forms" and len(pv.rows) == 4
    uid = pipeline.apply(methodist, pv, pipeline.bundle(forms), accept_warnings=True, engine=db)
    name, content = pipeline.original_file(methodist, uid, engine=db)
    assert content == pipeline.bundle(forms)


def test_several_files_are_bundled_into_the_same_bytes_whatever_the_clock(monkeypatch):
    """The page bundles the files again when «Записать» is clicked, seconds after the preview: the
    bundle must not carry the clock, or the write is refused as «Файл изменился после проверки»."""
    import time

    files = [("form_1.xlsx", b"first"), ("form_2.xlsx", b"second")]
    monkeypatch.setattr(time, "time", lambda: 1_700_000_000.0)
    first = pipeline.bundle(files)
    monkeypatch.setattr(time, "time", lambda: 1_700_000_000.0 + 3600)
    assert pipeline.bundle(files) == first


def test_formula_with_a_cached_value_is_used_and_said(db, methodist):
    pv = pipeline.prepare(methodist, [("f.xlsx", f.with_formula(cached=True))], engine=db)
    assert pv.errors == [] and _rows(pv)[("СОШ № 2 (демо)", "olympiad_participants")][0] == 42
    assert any("формула: использовано её вычисленное значение" in w.message for w in pv.warnings)


# ---------------------------------------------------------------------------------------------
# The bad-input corpus: refused with a clear Russian message, the database unchanged
# ---------------------------------------------------------------------------------------------
def _big() -> bytes:
    return b"PK" + b"\x00" * (excel.MAX_FILE_BYTES + 1)


FILE_LEVEL = [  # (case, file name, bytes factory, message part)
    ("empty file", "a.xlsx", lambda: b"", "пустой (0 байт)"),
    ("renamed CSV", "a.xlsx", lambda: "Код школы;Значение\nNEV-02;5\n".encode("utf-8"), "текстовый файл"),
    ("renamed PDF", "a.xlsx", lambda: b"%PDF-1.4\n%...", "а PDF"),
    ("old xls", "a.xlsx", lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "старый формат Excel"),
    ("binary junk", "a.xlsx", lambda: bytes(range(1, 256)) * 4, "не книга Excel .xlsx"),
    ("corrupt zip", "a.xlsx", lambda: b"PK\x03\x04" + b"\x13\x37" * 200, "повреждён"),
    ("zip that is no workbook", "a.xlsx", lambda: f.zip_of({"readme.txt": b"hello"}), "нет частей книги"),
    ("password", "a.xlsx", f.encrypted, "защищён паролем — снимите пароль"),
    ("broken workbook inside a good zip", "a.xlsx", f.broken_workbook, "повреждён"),
    ("zip bomb", "a.xlsx", f.zip_bomb, "после распаковки"),
    ("too large", "a.xlsx", _big, "слишком большой"),
    ("wrong template", "a.xlsx", lambda: f.xlsx([["Отчёт о посещаемости"], ["Класс", "Учеников"], ["5А", 25]]),
     "не найдена таблица с данными"),
    ("no value columns", "a.xlsx", lambda: f.xlsx([["Код школы", "Директор"], ["NEV-02", "Иванов"]]),
     "не найдена таблица с данными"),
]

ROW_LEVEL = [  # (case, rows of a long table, period fallback, message part)
    ("unknown period", [["NEV-02", "olympiad_participants", "2031-Q9", 5, None, None]], None,
     "неизвестный период «2031-Q9»"),
    ("unknown school code", [["NEV-77", "olympiad_participants", "2024-Q4", 5, None, None]], None,
     "школа «NEV-77» не найдена в справочнике"),
    ("ambiguous school name", [["СОШ № 2 (демо)", "olympiad_participants", "2024-Q4", 5, None, None]], None,
     "неоднозначна"),
    ("unknown indicator", [["NEV-02", "happiness", "2024-Q4", 5, None, None]], None,
     "неизвестный показатель «happiness»"),
    ("text in a number cell", [["NEV-02", "olympiad_participants", "2024-Q4", "много", None, None]], None,
     "ожидается число, а в ячейке текст"),
    ("negative number", [["NEV-02", "olympiad_participants", "2024-Q4", -3, None, None]], None,
     "отрицательное число"),
    ("fractional count", [["NEV-02", "olympiad_participants", "2024-Q4", "12,5", None, None]], None,
     "ожидается целое число"),
    ("fractional numerator", [["NEV-02", "teachers_trained", "2024-Q4", None, "10,5", 20]], None,
     "ожидается целое число"),
    ("numerator above denominator", [["NEV-02", "teachers_trained", "2024-Q4", None, 35, 30]], None,
     "35 больше, чем «Всего педагогов» (30)"),
    ("only the numerator", [["NEV-02", "teachers_trained", "2024-Q4", None, 10, None]], None, "нужны оба числа"),
    ("flag not 0 or 1", [["OKN-01", "resilient_school", "2024", 2, None, None]], None, "ожидается 1 (да) или 0 (нет)"),
    ("duplicate rows", [["NEV-02", "olympiad_participants", "2024-Q4", 5, None, None],
                        ["nev-02", "olympiad_participants", "2024-Q4", 6, None, None]], None, "повтор"),
    ("school cell empty", [[None, "olympiad_participants", "2024-Q4", 5, None, None]], None, "не указана школа"),
    ("no period anywhere", [["NEV-02", "olympiad_participants", None, 5, None, None]], None, "не указан период"),
    ("bool in a number cell", [["NEV-02", "olympiad_participants", "2024-Q4", True, None, None]], None,
     "логическое значение"),
]


@pytest.mark.parametrize("case,name,make,message", FILE_LEVEL, ids=[c[0] for c in FILE_LEVEL])
def test_refused_files_change_nothing(db, methodist, case, name, make, message):
    before = dump(db)
    with pytest.raises(IngestError, match=message.replace("(", r"\(").replace(")", r"\)")):
        pipeline.prepare(methodist, [(name, make())], engine=db)
    assert dump(db) == before


@pytest.mark.parametrize("case,rows,period,message", ROW_LEVEL, ids=[c[0] for c in ROW_LEVEL])
def test_bad_values_are_located_and_change_nothing(db, methodist, case, rows, period, message):
    data = f.long_table(rows)
    before = dump(db)
    if case in ("flag not 0 or 1", "ambiguous school name"):  # the name is ambiguous for who sees both
        methodist = scope_of(db, "demo-admin")
    pv = pipeline.prepare(methodist, [("bad.xlsx", data)], period, engine=db)
    texts = [e.text for e in pv.errors]
    assert any(message in t for t in texts), texts
    assert all(t.startswith("Лист «Лист1», строка ") for t in texts), texts  # located
    with pytest.raises(IngestError, match="ошибки"):
        pipeline.apply(methodist, pv, data, accept_warnings=True, engine=db)
    assert dump(db) == before


def test_the_message_names_sheet_row_column_and_header(db, methodist):
    data = f.fill_template(template.build_template(methodist, "2024-Q4", territory_id=1, engine=db),
                           {("NEV-02", "teachers_trained:denominator"): 30, ("NEV-02", "teachers_trained:numerator"): 35})
    pv = pipeline.prepare(methodist, [("t.xlsx", data)], engine=db)
    row = next(r for r in range(4, 14) if load_workbook(io.BytesIO(data))["Данные"].cell(r, 1).value == "NEV-02")
    assert [e.text for e in pv.errors] == [
        f"Лист «Данные», строка {row}, столбец H («Педагоги прошли КПК: Из них прошли КПК»), школа «NEV-02»: 35 больше, чем "
        "«Всего педагогов» (30)"]
    assert pv.errors[0].cell == "35"


def test_principal_cannot_load_another_school(db):
    sc = scope_of(db, "demo-principal")
    data = f.long_table([["NEV-05", "olympiad_participants", "2024-Q4", 5, None, None]])
    before = dump(db)
    pv = pipeline.prepare(sc, [("x.xlsx", data)], engine=db)
    assert [e.message for e in pv.errors] == ["нет прав загружать данные школы «СОШ № 5 (демо)»"]
    assert dump(db) == before


def test_a_head_cannot_upload_at_all(db):
    with pytest.raises(auth.AccessDenied):
        pipeline.prepare(scope_of(db, "demo-head"), [("x.xlsx", f.long_table([]))], engine=db)


def test_formula_without_a_value_is_refused(db, methodist):
    data = f.with_formula(cached=False)
    before = dump(db)
    pv = pipeline.prepare(methodist, [("f.xlsx", data)], engine=db)
    assert any("формула без сохранённого значения" in e.message for e in pv.errors)
    assert dump(db) == before


def test_too_many_rows(db, methodist, monkeypatch):
    monkeypatch.setattr(excel, "MAX_ROWS", 3)
    data = f.long_table([["NEV-02", "olympiad_participants", f"2024-Q{q}", 5, None, None] for q in range(1, 5)])
    before = dump(db)
    with pytest.raises(IngestError, match="допускается не больше 3"):
        pipeline.prepare(methodist, [("x.xlsx", data)], engine=db)
    assert dump(db) == before


def test_same_key_in_two_school_forms(db, methodist):
    blank = template.build_school_form(methodist, "2024-Q4", 2, engine=db)
    form = f.fill_form(blank, {"olympiad_participants:value": 44})
    form2 = f.fill_form(blank, {"olympiad_participants:value": 45})
    pv = pipeline.prepare(methodist, [("a.xlsx", form), ("b.xlsx", form2)], engine=db)
    assert any("повтор" in e.message for e in pv.errors)


def test_warnings_must_be_accepted_and_a_file_loads_once(db, methodist):
    data = f.long_table([["NEV-02", "olympiad_participants", "2024-Q4", 500, None, None]])  # a jump from ~43
    pv = pipeline.prepare(methodist, [("x.xlsx", data)], engine=db)
    assert pv.ok and any("резкое изменение" in w.message for w in pv.warnings)
    before = dump(db)
    with pytest.raises(IngestError, match="подтвердите"):
        pipeline.apply(methodist, pv, data, engine=db)
    assert dump(db) == before
    pipeline.apply(methodist, pv, data, accept_warnings=True, engine=db)
    again = pipeline.prepare(methodist, [("copy.xlsx", data)], engine=db)
    assert again.duplicate_of is not None and not again.ok
    before = dump(db)
    with pytest.raises(IngestError, match="уже загружен"):
        pipeline.apply(methodist, again, data, accept_warnings=True, engine=db)
    assert dump(db) == before


# ---------------------------------------------------------------------------------------------
# Apply, history, summary, undo
# ---------------------------------------------------------------------------------------------
def summary_rows(engine):
    with engine.connect() as c:
        return sorted((r[0], r[1], r[2], r[3], r[4], round(r[5], 6), r[6], r[7], r[8]) for r in c.execute(text(
            "SELECT territory_id, grp, indicator_id, period_id, n_schools, sum_value, sum_numerator, "
            "sum_denominator, n_flag FROM measurementsummary")))


END_2024 = date(2024, 12, 31)  # the cut that shows IV кв. 2024 (the demo clock is in October 2024)


def test_apply_overwrites_with_history_updates_the_overview_and_undo_restores(db, methodist):
    old = stored_value(db, "NEV-02", "teachers_trained", "2024-Q3")
    before_overview = read_overview.overview(methodist, 1, END_2024, engine=db)
    data = f.long_table([["NEV-02", "teachers_trained", "2024-Q3", None, 38, 38],
                         ["NEV-02", "teachers_trained", "2024-Q4", None, 30, 38],
                         ["NEV-05", "olympiad_participants", "2024-Q3", 41, None, None]])
    pv = pipeline.prepare(methodist, [("x.xlsx", data)], engine=db)
    counts = pv.counts()
    assert counts["new"] == 1 and counts["changed"] + counts["unchanged"] == 2
    dump_before = dump(db)
    summary_before = summary_rows(db)
    uid = pipeline.apply(methodist, pv, data, accept_warnings=True, engine=db)
    assert tuple(stored_value(db, "NEV-02", "teachers_trained", "2024-Q3")) == (100.0, 38, 38)
    with db.connect() as c:
        h = c.execute(text("SELECT old_value, old_numerator, old_denominator, new_numerator, changed_by, action "
                           "FROM measurementhistory WHERE upload_id = :u AND school_id = 2"), {"u": uid}).one()
        assert tuple(h[:3]) == tuple(old) and h[3] == 38 and h[5] == "update" and h[4] == methodist.user_id
        up = c.execute(text("SELECT checksum, content, status FROM upload WHERE id = :u"), {"u": uid}).one()
        assert up.content == data and up.status == "applied"
    after = read_overview.overview(methodist, 1, END_2024, engine=db)  # the summary moved in the same transaction
    kpk = lambda ov: next(c for c in ov.cards if c.indicator_code == "teachers_trained")  # noqa: E731
    # one school's IV quarter is a quarter being collected: the tile stays on III (whose value moved)
    assert kpk(after).as_of_label == "III кв. 2024" and kpk(before_overview).as_of_label == "III кв. 2024"
    assert kpk(after).evaluation.value > kpk(before_overview).evaluation.value
    assert "идёт сбор IV кв. 2024: 1 из 5 школ" in kpk(after).notes
    res = pipeline.undo(methodist, uid, engine=db)
    assert res == {"restored": counts["changed"], "removed": 1}
    assert tuple(stored_value(db, "NEV-02", "teachers_trained", "2024-Q3")) == tuple(old)
    assert stored_value(db, "NEV-02", "teachers_trained", "2024-Q4") is None
    # the measurements are exactly as before (who entered them and when included), and so is the
    # summary (its rows were recomputed: compared without their ids); only the log grew
    rows = lambda d: [ln for ln in d.splitlines() if ln.startswith('INSERT INTO "measurement" ')]  # noqa: E731
    assert rows(dump(db)) == rows(dump_before)
    assert summary_rows(db) == summary_before
    with pytest.raises(IngestError, match="уже отменена"):
        pipeline.undo(methodist, uid, engine=db)


def _aggregates(engine) -> dict[str, list]:
    tables = {"measurementsummary": "territory_id, grp, indicator_id, period_id, n_schools, sum_value, sum_numerator, "
                                    "sum_denominator, n_flag",
              "targetcount": "target_id, territory_id, period_id, n_group, n_meeting",
              "targetgroupvalue": "target_id, territory_id, period_id, n_members, n, sv, sn, sd, nf, bsv, bsn, bsd, bnf"}
    with engine.connect() as c:
        return {t: sorted(tuple(round(x, 6) if isinstance(x, float) else x for x in r)
                          for r in c.execute(text(f"SELECT {cols} FROM {t}"))) for t, cols in tables.items()}


def test_an_upload_refreshes_only_what_it_touched_and_that_equals_a_full_recount(empty_db):
    """The summary, the target counts and the like-for-like sums kept after an upload (refreshed
    for the touched keys only, in the write transaction) and after its undo are what a full
    recount gives — on both backends, in a tree (country > regions > municipalities) where the
    upload touches one municipality: its rows and its ancestors' change, its siblings' stay."""
    from core import synthetic

    engine, scope = empty_db, auth.system_scope()
    synthetic.build(engine, synthetic.Scale("tree", regions=2, municipalities=3, schools=4, indicators=3, periods=4))
    with engine.connect() as c:
        schools = [r[0] for r in c.execute(text("SELECT code FROM school WHERE territory_id = "
                                                "(SELECT MIN(territory_id) FROM school) ORDER BY id"))]
        inds = {k: code for code, k in c.execute(text("SELECT code, value_kind FROM indicator i WHERE EXISTS "
                                                        "(SELECT 1 FROM target x WHERE x.indicator_id = i.id)"))}
        quarters_ = [r[0] for r in c.execute(text("SELECT code FROM period ORDER BY \"end\""))]
    assert len(schools) == 4 and {"share", "count"} <= set(inds), inds
    data = f.long_table([[schools[0], inds["share"], quarters_[-1], None, 3, 40],
                         [schools[1], inds["share"], quarters_[-2], None, 39, 40],
                         [schools[2], inds["count"], quarters_[-1], 17, None, None],
                         [schools[3], inds["share"], "2099-Q1", None, 20, 21]])  # a new value (and period)
    pv = pipeline.prepare(scope, [("x.xlsx", data)], engine=engine)
    assert not pv.errors and pv.counts()["changed"] == 3 and pv.counts()["new"] == 1, pv.counts()
    before = _aggregates(engine)
    uid = pipeline.apply(scope, pv, data, accept_warnings=True, engine=engine)

    def full_recount_changes_nothing():
        kept = _aggregates(engine)
        with session_scope(engine, write=True) as s:
            summary.refresh(s)
        assert _aggregates(engine) == kept
        return kept

    after = full_recount_changes_nothing()
    assert after["targetgroupvalue"] != before["targetgroupvalue"]  # not a vacuous agreement
    pipeline.undo(scope, uid, engine=engine)
    full_recount_changes_nothing()


def test_undo_refused_when_a_later_upload_changed_the_values(db, methodist):
    first = f.long_table([["NEV-02", "olympiad_participants", "2024-Q4", 40, None, None]])
    second = f.long_table([["NEV-02", "olympiad_participants", "2024-Q4", 41, None, None]])
    u1 = pipeline.apply(methodist, pipeline.prepare(methodist, [("1.xlsx", first)], engine=db), first,
                        accept_warnings=True, engine=db)
    u2 = pipeline.apply(methodist, pipeline.prepare(methodist, [("2.xlsx", second)], engine=db), second,
                        accept_warnings=True, engine=db)
    before = dump(db)
    with pytest.raises(IngestError, match=f"изменена загрузкой № {u2}"):
        pipeline.undo(methodist, u1, engine=db)
    assert dump(db) == before
    pipeline.undo(methodist, u2, engine=db)
    assert stored_value(db, "NEV-02", "olympiad_participants", "2024-Q4")[0] == 40
    pipeline.undo(methodist, u1, engine=db)
    assert stored_value(db, "NEV-02", "olympiad_participants", "2024-Q4") is None


def test_cli_checks_and_applies(db, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr("core.ingest.__main__.ensure_database", lambda: db)
    path = tmp_path / "long.xlsx"
    path.write_bytes(f.long_table([["NEV-02", "olympiad_participants", None, 40, None, None]]))
    assert cli([str(path), "--user", "demo-methodist", "--period", "2024-Q4"]) == 0
    assert "новых 1" in capsys.readouterr().out
    assert stored_value(db, "NEV-02", "olympiad_participants", "2024-Q4") is None  # a check writes nothing
    assert cli([str(path), "--user", "demo-methodist", "--period", "2024-Q4", "--apply"]) == 0
    assert stored_value(db, "NEV-02", "olympiad_participants", "2024-Q4")[0] == 40
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"not excel")
    assert cli([str(bad), "--user", "demo-methodist"]) == 1
    assert "не книга Excel" in capsys.readouterr().err
    out = tmp_path / "t.xlsx"
    assert cli(["--template", str(out), "--user", "demo-methodist", "--period", "2024-Q4"]) == 0
    assert load_workbook(out).sheetnames[0] == "Данные"


def test_apply_and_undo_on_both_backends(demo_db_any):
    db = demo_db_any
    sc = scope_of(db, "demo-methodist")
    old = stored_value(db, "NEV-05", "teachers_trained", "2024-Q3")
    data = f.long_table([["NEV-05", "teachers_trained", "2024-Q3", None, 33, 33],
                         ["NEV-05", "olympiad_participants", "2025-Q1", 48, None, None]])
    pv = pipeline.prepare(sc, [("x.xlsx", data)], engine=db)
    assert pv.counts() == {"new": 1, "changed": 1, "unchanged": 0}
    uid = pipeline.apply(sc, pv, data, accept_warnings=True, engine=db)
    assert tuple(stored_value(db, "NEV-05", "teachers_trained", "2024-Q3")) == (100.0, 33, 33)
    with db.connect() as c:
        assert c.execute(text("SELECT COUNT(*) FROM measurementhistory WHERE upload_id = :u"), {"u": uid}).scalar() == 1
    assert pipeline.undo(sc, uid, engine=db) == {"restored": 1, "removed": 1}
    assert tuple(stored_value(db, "NEV-05", "teachers_trained", "2024-Q3")) == tuple(old)
    assert stored_value(db, "NEV-05", "olympiad_participants", "2025-Q1") is None


def _kept(engine, target_code_ind, period_code):
    with engine.connect() as c:
        return tuple(c.execute(text(
            "SELECT k.n_group, k.n_meeting FROM targetcount k JOIN target x ON x.id = k.target_id "
            "JOIN indicator i ON i.id = x.indicator_id JOIN period p ON p.id = k.period_id "
            "WHERE i.code = :i AND p.code = :p AND k.territory_id = 1"), {"i": target_code_ind, "p": period_code}).one())


def test_kept_target_counts_follow_uploads_and_undo(db, methodist):
    ov = read_overview.overview(methodist, 1, engine=db)
    kpk = next(c for c in ov.cards if c.indicator_code == "teachers_trained")
    assert _kept(db, "teachers_trained", "2024-Q3") == (kpk.n_schools, kpk.n_meeting) == (5, 4)
    # a school that met the target (>= 60 %) falls below it: the kept count moves in the same transaction
    data = f.long_table([["NEV-02", "teachers_trained", "2024-Q3", None, 10, 38]])
    uid = pipeline.apply(methodist, pipeline.prepare(methodist, [("x.xlsx", data)], engine=db), data,
                         accept_warnings=True, engine=db)
    assert _kept(db, "teachers_trained", "2024-Q3") == (5, 3)
    assert next(c for c in read_overview.overview(methodist, 1, engine=db).cards
                if c.indicator_code == "teachers_trained").n_meeting == 3
    pipeline.undo(methodist, uid, engine=db)
    assert _kept(db, "teachers_trained", "2024-Q3") == (5, 4)
