"""Issue 25, «office workbooks land at once»: the forms municipal offices actually fill — a signature
block and footnotes under the table, school names merged down their rows, ШНОР/ШНСУ group rows with
subtotals, two tables on one sheet, one «Всего педагогов» for two «из них», the catalogue's labels
under a group title, a date as the period — land without needless questions. Every file is built as
a person makes it (openpyxl with merges, xlwt .xls); every refused one leaves the database unchanged."""

import pytest

from core.ingest import pipeline
from core.ingest.problems import IngestError
from tests import ingest_files as f
from tests.helpers import dump, scope_of


def _rows(pv):
    return {(r.school, r.indicator_code): (r.value, r.numerator, r.denominator) for r in pv.rows}


def _texts(problems):
    return [p.text for p in problems]


def _clean(pv):
    assert pv.errors == [] and pv.questions == [], _texts(pv.errors) + [q.text for q in pv.questions]


def _landed(db, methodist, name: str, data: bytes) -> dict:
    """The values of a file checked for IV кв. 2024 with no error and no question."""
    pv = pipeline.prepare(methodist, [(name, data)], "2024-Q4", engine=db)
    _clean(pv)
    return _rows(pv)


# ---------------------------------------------------------------------------------------------
# 1. Text around the table; 3. group rows and subtotals
# ---------------------------------------------------------------------------------------------
def test_signature_block_footnote_and_group_rows_are_skipped_and_said(db, methodist):
    data = f.signed_group_form()
    pv = pipeline.prepare(methodist, [("отчёт.xlsx", data)], "2024-Q4", engine=db)
    _clean(pv)
    rows = _rows(pv)
    assert len(rows) == 12  # four schools, three indicators: no group row, total or signature is a school
    assert rows[("Гимназия № 12 (демо)", "teachers_trained")][1:] == (40, 50)
    assert rows[("СОШ № 7 (демо)", "olympiad_participants")][0] == 5
    assert pv.unmatched == [] and not any("не указана школа" in t for t in _texts(pv.warnings))
    assert not any("По городу" in u["name"] or "Итого" in u["name"] for u in pv.unmatched)
    notes = {n.message: n for n in pv.notes}
    skipped_text = next(n for m, n in notes.items() if "подпись" in m)
    assert set(skipped_text.rows) == {17, 19, 20, 21}, skipped_text.text
    groups = next(n for m, n in notes.items() if "заголовок группы" in m)
    assert set(groups.rows) == {7, 11}
    totals = next(n for m, n in notes.items() if "итог" in m)
    assert set(totals.rows) == {10, 14, 15}
    assert not any("итог" in w.message for w in pv.warnings)  # every total agrees with its schools


def test_a_subtotal_that_disagrees_with_its_schools_is_a_warning(db, methodist):
    data = f.signed_group_form(olympiad_subtotal=26)
    pv = pipeline.prepare(methodist, [("отчёт.xlsx", data)], "2024-Q4", engine=db)
    _clean(pv)
    bad = [w for w in pv.warnings if "итог" in w.message]
    assert len(bad) == 1 and bad[0].row == 14 and bad[0].col == "H", _texts(pv.warnings)
    assert "26" in bad[0].message and "25" in bad[0].message and bad[0].header.startswith("Участники олимпиад")
    # the town's total (44) sums the schools, not the subtotals: it still agrees
    assert not any(w.row == 15 for w in pv.warnings)
    before = dump(db)
    with pytest.raises(IngestError, match="предупреждения"):
        pipeline.apply(methodist, pv, data, engine=db)
    assert dump(db) == before
    uid = pipeline.apply(methodist, pv, data, accept_warnings=True, engine=db)
    assert uid > 0


def test_values_without_a_school_under_the_table_are_still_an_error(db, methodist):
    """Text is skipped; numbers are not: a row with values and no school is never dropped silently."""
    data = f.office_table([[1, "СОШ № 2", 38, 30, None, 100, 45, 12], [None, None, 20, 10, None, None, None, None],
                           [], ["Исполнитель: Петрова А.А."]])
    before = dump(db)
    pv = pipeline.prepare(methodist, [("свод.xlsx", data)], "2024-Q4", engine=db)
    assert any("не указана школа" in t and "строка 6" in t for t in _texts(pv.errors)), _texts(pv.errors)
    assert len([t for t in _texts(pv.errors) if "не указана школа" in t]) == 1  # the signature is not one
    assert dump(db) == before


# ---------------------------------------------------------------------------------------------
# 2. Merged school names
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", ["xlsx", "xls"])
def test_a_school_name_merged_down_its_rows_is_filled_down(db, methodist, fmt):
    rows = _landed(db, methodist, f"сведения.{fmt}", f.merged_school_form(fmt))
    assert len(rows) == 6
    assert rows[("СОШ № 5 (демо)", "edu_quality")][1:] == (40, 80)
    assert rows[("СОШ № 5 (демо)", "olympiad_participants")][0] == 7


# ---------------------------------------------------------------------------------------------
# 4. Several tables on one sheet; 5. one denominator for several indicators
# ---------------------------------------------------------------------------------------------
def test_two_tables_on_one_sheet_and_one_total_for_two_shares(db, methodist):
    data = f.two_tables_form()
    pv = pipeline.prepare(methodist, [("свод.xlsx", data)], "2024-Q4", engine=db)
    _clean(pv)
    rows = _rows(pv)
    assert rows[("СОШ № 2 (демо)", "teachers_trained")][1:] == (30, 38)
    assert rows[("СОШ № 2 (демо)", "teachers_network")][1:] == (12, 38)
    assert rows[("СОШ № 5 (демо)", "teachers_network")][1:] == (9, 33)
    assert rows[("СОШ № 5 (демо)", "edu_quality")][1:] == (40, 80)
    assert rows[("СОШ № 2 (демо)", "olympiad_participants")][0] == 12
    assert len(rows) == 8
    assert not any("Наименование ОО" in u["name"] for u in pv.unmatched)


# ---------------------------------------------------------------------------------------------
# 6. The catalogue's labels under a group title
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", ["xlsx", "xls"])
def test_catalogue_labels_under_group_titles_ask_nothing(db, methodist, fmt):
    rows = _landed(db, methodist, f"форма.{fmt}", f.group_title_form(fmt))
    assert len(rows) == 8
    assert rows[("СОШ № 5 (демо)", "teachers_network")][1:] == (9, 33)
    assert rows[("СОШ № 2 (демо)", "edu_quality")][1:] == (45, 100)
    assert rows[("СОШ № 2 (демо)", "olympiad_participants")][0] == 12


# ---------------------------------------------------------------------------------------------
# 9. The period
# ---------------------------------------------------------------------------------------------
def test_a_templates_own_period_is_taken_when_the_user_chose_none(db, methodist):
    from core.ingest import template

    q4 = template.build_template(methodist, "2024-Q4", territory_id=1, engine=db)
    data = f.fill_template(q4, {("NEV-02", "olympiad_participants:value"): 40})
    # the page preselects the last finished quarter (III кв. 2024 on the demo clock): not a choice
    pv = pipeline.prepare(methodist, [("шаблон.xlsx", data)], None, engine=db, fallback_period="2024-Q3")
    _clean(pv)
    assert {r.period for r in pv.rows} == {"IV кв. 2024"} and pv.file_period == "2024-Q4"
    assert any("период «IV кв. 2024» взят из файла (скрытый лист шаблона)" in n.text for n in pv.notes)
    # a choice the user made is still asked about
    asked = pipeline.prepare(methodist, [("шаблон.xlsx", data)], "2024-Q3", engine=db)
    assert [q.key for q in asked.questions] == ["period"]


@pytest.mark.parametrize("title, code", [("Сведения по состоянию на 01.10.2024", "2024-Q3"),
                                         ("Данные на 01.01.2025 г.", "2024-Q4"),
                                         ("Отчёт на 31.12.2024", "2024-Q4")])
def test_a_date_as_the_period_is_the_quarter_it_closes(db, methodist, title, code):
    data = f.xlsx([[title], f.LONG_HEAD, ["NEV-02", "olympiad_participants", None, 40, None, None]])
    pv = pipeline.prepare(methodist, [("x.xlsx", data)], None, engine=db, fallback_period="2023-Q1")
    _clean(pv)
    assert pv.file_period == code and len(pv.rows) == 1
    asked = pipeline.prepare(methodist, [("x.xlsx", data)], "2023-Q1", engine=db)
    q = asked.questions[0]
    for value, _ in q.options:  # every option a question offers is a valid answer
        answered = pipeline.prepare(methodist, [("x.xlsx", data)], "2023-Q1", engine=db, answers={"period": value})
        _clean(answered)


def test_a_date_cell_in_the_period_column_is_the_quarter_it_closes(db, methodist):
    from datetime import datetime

    data = f.long_table([["NEV-02", "olympiad_participants", datetime(2024, 10, 1), 40, None, None],
                         ["NEV-05", "olympiad_participants", datetime(2024, 10, 1), 41, None, None]])
    pv = pipeline.prepare(methodist, [("x.xlsx", data)], None, engine=db, fallback_period="2023-Q1")
    _clean(pv)
    assert {r.period for r in pv.rows} == {"III кв. 2024"}


def test_cli_without_period_takes_the_files_own(db, tmp_path, monkeypatch, capsys):
    from core.ingest import template
    from core.ingest.__main__ import main as cli

    monkeypatch.setattr("core.ingest.__main__.ensure_database", lambda: db)
    path = tmp_path / "q4.xlsx"
    q4 = template.build_template(scope_of(db, "demo-methodist"), "2024-Q4", territory_id=1, engine=db)
    path.write_bytes(f.fill_template(q4, {("NEV-02", "olympiad_participants:value"): 40}))
    assert cli([str(path), "--user", "demo-methodist"]) == 0
    out = capsys.readouterr().out
    assert "ВОПРОС" not in out and "Значений: 1" in out and "взят из файла" in out, out


# ---------------------------------------------------------------------------------------------
# 10. School names
# ---------------------------------------------------------------------------------------------
def test_suggestions_rank_the_schools_number_first_and_the_cli_answers_a_school(db, tmp_path, monkeypatch, capsys):
    from core.ingest.__main__ import main as cli

    methodist = scope_of(db, "demo-methodist")
    data = f.long_table([["МБОУ СОШ №14 им. Героя Советского Союза Н. Н. Пономаренко", "olympiad_participants",
                          "2024-Q4", 40, None, None]])
    pv = pipeline.prepare(methodist, [("x.xlsx", data)], "2024-Q4", engine=db)
    assert pv.unmatched and pv.unmatched[0]["candidates"][0]["code"] == "NEV-14", pv.unmatched
    data = f.long_table([["СОШ №2 им. Героя Советского Союза И. И. Иванова", "olympiad_participants",
                          "2024-Q4", 40, None, None]])
    pv = pipeline.prepare(methodist, [("x.xlsx", data)], "2024-Q4", engine=db)
    assert pv.unmatched[0]["candidates"][0]["code"] == "NEV-02", pv.unmatched
    monkeypatch.setattr("core.ingest.__main__.ensure_database", lambda: db)
    path = tmp_path / "x.xlsx"
    path.write_bytes(data)
    before = dump(db)
    assert cli([str(path), "--user", "demo-methodist", "--period", "2024-Q4", "--apply"]) == 1
    out = capsys.readouterr().out
    assert "--answer 'school:СОШ №2 им. Героя Советского Союза И. И. Иванова=КОД'" in out and "NEV-02" in out, out
    assert dump(db) == before
    assert cli([str(path), "--user", "demo-methodist", "--period", "2024-Q4", "--apply", "--accept-warnings",
                "--answer", "school:СОШ №2 им. Героя Советского Союза И. И. Иванова=NEV-02"]) == 0
    assert "Записано" in capsys.readouterr().out


def test_a_regional_code_that_matches_nothing_falls_back_to_the_name_beside_it(db, methodist):
    data = f.xlsx([["Код ОО", "Наименование ОО", "Участники олимпиад и конкурсов, чел."],
                   ["260123", "МБОУ «СОШ № 2»", 40], ["260125", "МБОУ «СОШ № 5»", 41]])
    pv = pipeline.prepare(methodist, [("x.xlsx", data)], "2024-Q4", engine=db)
    _clean(pv)
    assert _rows(pv)[("СОШ № 5 (демо)", "olympiad_participants")][0] == 41
    assert any("код школы не найден" in n.message for n in pv.notes)


# ---------------------------------------------------------------------------------------------
# 11. Messages name what they are about
# ---------------------------------------------------------------------------------------------
def test_a_footnote_mark_after_a_number_is_said_with_its_column(db, methodist):
    data = f.office_table([[1, "СОШ № 2", 38, 30, None, 100, "63*", 12], [2, "СОШ № 5", 33, 25, None, 80, 40, "7¹"],
                           [], ["* по данным ВПР"], ["¹ с учётом дистанционных олимпиад"]])
    pv = pipeline.prepare(methodist, [("свод.xlsx", data)], "2024-Q4", engine=db)
    _clean(pv)
    assert _rows(pv)[("СОШ № 2 (демо)", "edu_quality")][1:] == (63, 100)
    marks = [w for w in pv.warnings if "знак сноски" in w.message]
    assert {(w.row, w.col, w.cell) for w in marks} == {(5, "G", "63*"), (6, "H", "7¹")}, _texts(pv.warnings)
    assert any(w.col == "G" and w.header == "Качество обучения / из них" for w in marks)
    percent = [n for n in pv.notes if "процент" in n.message]
    assert {n.col for n in percent} == {"E"} and "Педагоги прошли КПК / %" in percent[0].text


def test_a_sheet_per_school_under_one_title_is_no_false_repeat(db, methodist):
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    for n, (school, value) in enumerate((("МБОУ «СОШ № 2»", 12), ("МБОУ «СОШ № 5»", 7)), 1):
        ws = wb.create_sheet(f"Лист{n}")
        ws.append(["Мониторинг показателей ОО"])
        ws.append(["Школа:", school])
        ws.append(["за IV квартал 2024 г."])
        ws.append(["Показатель", "Значение"])
        ws.append(["Участники олимпиад и конкурсов", value])
    pv = pipeline.prepare(methodist, [("по школам.xlsx", f._save(wb))], "2024-Q4", engine=db)
    _clean(pv)
    assert _rows(pv)[("СОШ № 5 (демо)", "olympiad_participants")][0] == 7 and len(pv.rows) == 2


# ---------------------------------------------------------------------------------------------
# 12. The preview counts right
# ---------------------------------------------------------------------------------------------
def test_a_file_with_errors_still_counts_unchanged_values(db, methodist):
    body = [["NEV-02", "olympiad_participants", "2024-Q4", 40, None, None],
            ["NEV-05", "olympiad_participants", "2024-Q4", 41, None, None]]
    good = f.long_table(body)
    pipeline.apply(methodist, pipeline.prepare(methodist, [("a.xlsx", good)], engine=db), good,
                   accept_warnings=True, engine=db)
    bad = f.long_table(body + [["NEV-07", "olympiad_participants", "2024-Q4", -3, None, None]])
    before = dump(db)
    pv = pipeline.prepare(methodist, [("b.xlsx", bad)], engine=db)
    assert pv.errors and pv.counts() == {"new": 0, "changed": 0, "unchanged": 2}
    assert dump(db) == before


# ---------------------------------------------------------------------------------------------
# 7. Answers are remembered for the territory
# ---------------------------------------------------------------------------------------------
def test_a_column_answered_once_is_remembered_for_the_territory(db, methodist):
    from sqlalchemy import text

    from core import auth
    from core.ingest import columns

    q4 = f.office_table([[1, "СОШ № 2", 38, 30, None, 100, 45, None, 12]], extra=["Олимпиадники"])
    pv = pipeline.prepare(methodist, [("q4.xlsx", q4)], "2024-Q4", engine=db)
    assert [q.key for q in pv.questions] == ["column:Лист1:I"]
    pv = pipeline.prepare(methodist, [("q4.xlsx", q4)], "2024-Q4", engine=db,
                          answers={"column:Лист1:I": "olympiad_participants:value"})
    assert columns.listing(methodist, db) == []  # nothing is kept before the upload is written
    pipeline.apply(methodist, pv, q4, accept_warnings=True, engine=db)
    kept = columns.listing(methodist, db)
    assert [(m.header, m.answer) for m in kept] == [("Олимпиадники", "olympiad_participants:value")]
    # next quarter's same form asks nothing; a new column asks only about itself
    q1 = f.office_table([[1, "СОШ № 2", 38, 31, None, 100, 47, None, 14, 2]], extra=["Олимпиадники", "Призёры"],
                        title="Мониторинг показателей за I квартал 2025 г.")
    pv = pipeline.prepare(methodist, [("q1.xlsx", q1)], "2025-Q1", engine=db)
    assert [q.key for q in pv.questions] == ["column:Лист1:J"], [q.text for q in pv.questions]
    pv = pipeline.prepare(methodist, [("q1.xlsx", q1)], "2025-Q1", engine=db, answers={"column:Лист1:J": "skip"})
    _clean(pv)
    assert _rows(pv)[("СОШ № 2 (демо)", "olympiad_participants")][0] == 14
    assert any("как запомнено" in n.message and n.col == "I" for n in pv.notes)
    # another territory's methodologist is not served by it
    with db.connect() as c:
        assert c.execute(text("SELECT territory_id FROM columnmapping")).scalars().all() == [1]
    admin_other = auth.Scope(user_id=None, login="x", role="methodologist", territory_ids=frozenset({2}),
                             school_ids=None)
    assert columns.for_scope(admin_other, db) == {} and columns.listing(admin_other, db) == []
    # changed and removed by a methodologist of the territory, audited; a principal may not
    principal = scope_of(db, "demo-principal")
    mid = kept[0].id
    before = dump(db)
    for refused in (lambda: columns.remove(principal, mid, engine=db),
                    lambda: columns.change(principal, mid, "skip", engine=db),
                    lambda: columns.remove(admin_other, mid, engine=db)):
        with pytest.raises(auth.AccessDenied):
            refused()
    assert dump(db) == before
    columns.change(methodist, mid, "skip", engine=db)
    with pytest.raises(IngestError, match="не показатель"):
        columns.change(methodist, mid, "edu_quality:value", engine=db)
    pv = pipeline.prepare(methodist, [("q1.xlsx", q1)], "2025-Q1", engine=db, answers={"column:Лист1:J": "skip"})
    assert ("СОШ № 2 (демо)", "olympiad_participants") not in _rows(pv)
    columns.remove(methodist, mid, engine=db)
    pv = pipeline.prepare(methodist, [("q1.xlsx", q1)], "2025-Q1", engine=db)
    assert [q.key for q in pv.questions] == ["column:Лист1:I", "column:Лист1:J"]
    with db.connect() as c:
        actions = c.execute(text("SELECT action FROM auditevent WHERE action LIKE 'column_mapping%' ORDER BY id")).scalars().all()
    assert actions == ["column_mapping", "column_mapping", "column_mapping_removed"]



# ---------------------------------------------------------------------------------------------
# 8. A turned table
# ---------------------------------------------------------------------------------------------
def test_a_turned_table_is_read_with_the_files_own_cells_named(db, methodist):
    data = f.xlsx([["Сведения за IV квартал 2024 г."],
                   ["Показатель", "СОШ № 2", "СОШ № 5"],
                   ["Педагоги прошли КПК, всего", 38, 33],
                   ["Педагоги прошли КПК, из них", 30, 25],
                   ["Участники олимпиад и конкурсов", 12, "-7"]])
    pv = pipeline.prepare(methodist, [("повёрнутая.xlsx", data)], "2024-Q4", engine=db)
    assert pv.questions == []
    bad = [e for e in pv.errors if "отрицательное" in e.message]
    assert len(bad) == 1 and (bad[0].row, bad[0].col) == (5, "C"), _texts(pv.errors)
    assert _rows(pv)[("СОШ № 5 (демо)", "teachers_trained")][1:] == (25, 33)
    assert any("повёрнута" in n.text for n in pv.notes)


def test_a_turned_table_with_unknown_rows_is_refused_once_in_words(db, methodist):
    data = f.xlsx([["Показатель", "СОШ № 2", "СОШ № 5"],
                   ["Педагоги прошли КПК, всего", 38, 33],
                   ["Педагоги прошли КПК, из них", 30, 25],
                   ["Призёры олимпиад", 3, 1]])
    before = dump(db)
    with pytest.raises(IngestError, match=r"повёрнута: школы — по столбцам, показатели — по строкам.*строки 4 не "
                                          r"названы как показатели"):
        pipeline.prepare(methodist, [("повёрнутая.xlsx", data)], "2024-Q4", engine=db)
    assert dump(db) == before


def test_a_preview_in_an_approved_quarter_counts_unchanged_values(db, methodist):
    from core import cycle

    body = [["NEV-02", "olympiad_participants", "2024-Q3", 40, None, None],
            ["NEV-05", "olympiad_participants", "2024-Q3", 41, None, None]]
    good = f.long_table(body)
    pipeline.apply(methodist, pipeline.prepare(methodist, [("a.xlsx", good)], engine=db), good,
                   accept_warnings=True, engine=db)
    cycle.mark_checked(methodist, 1, "2024-Q3", db)
    cycle.approve(scope_of(db, "demo-head"), "город Невинномысск", "2024-Q3", db)
    again = f.long_table(body, head=f.LONG_HEAD + ["Примечание"])  # other bytes, the same values
    pv = pipeline.prepare(methodist, [("b.xlsx", again)], engine=db)
    assert any("утверждены" in e.message for e in pv.errors)
    assert pv.counts() == {"new": 0, "changed": 0, "unchanged": 2}


def test_a_remembered_column_is_kept_in_the_uploads_transaction_on_both_backends(demo_db_any):
    from sqlalchemy import text

    methodist = scope_of(demo_db_any, "demo-methodist")
    data = f.office_table([[1, "СОШ № 2", 38, 30, None, 100, 45, None, 12]], extra=["Олимпиадники"])
    answer = {"column:Лист1:I": "olympiad_participants:value"}
    pv = pipeline.prepare(methodist, [("q4.xlsx", data)], "2024-Q4", engine=demo_db_any, answers=answer)
    pipeline.apply(methodist, pv, data, accept_warnings=True, engine=demo_db_any)
    with demo_db_any.connect() as c:
        assert c.execute(text("SELECT header_key, answer FROM columnmapping")).all() == [
            ("олимпиадники", "olympiad_participants:value")]
    again = pipeline.prepare(methodist, [("q4.xlsx", data)], "2024-Q4", engine=demo_db_any)
    assert again.questions == [] and again.duplicate_of is not None


def test_a_districts_report_with_a_signature_across_its_columns_lands(db, methodist):
    pv = pipeline.prepare(methodist, [("район.xlsx", f.district_form())], None, engine=db, fallback_period="2024-Q4")
    _clean(pv)
    assert {r.period for r in pv.rows} == {"III кв. 2024"} and pv.file_period == "2024-Q3"
    rows = _rows(pv)
    assert len(rows) == 6 and rows[("СОШ № 8 (демо)", "teachers_trained")][1:] == (31, 52)
    text = next(n for n in pv.notes if "подпись" in n.message)
    assert set(text.rows) == {11, 13, 14}
    assert [(w.row, w.col) for w in pv.warnings if "сноски" in w.message] == [(7, "E")]
    assert not any("итог не сходится" in w.message for w in pv.warnings)


GROUPS_IN_THE_SCHOOL_COLUMN = [
    ["Мониторинг за IV квартал 2024 года"],
    ["№", "ОО", "Педагоги прошли КПК", None, "Участники олимпиад и конкурсов"],
    [None, None, "всего", "из них", "чел."],
    ["ШНОР"],
    [1, "СОШ № 2", 38, 30, 12],
    [2, "СОШ № 5", 33, 25, 7],
    [None, "Всего по ШНОР", 71, 55, 19],
    ["ШНСУ"],
    [3, "СОШ № 7", 40, 20, 5],
    [None, "Всего по ШНСУ", 40, 20, 5],
    [None, "Всего по городу", 111, 75, 25]]  # 12 + 7 + 5 = 24: the town's olympiad total is mistyped


@pytest.mark.parametrize("fmt", ["csv", "xls"])
def test_group_totals_named_by_the_group_sum_their_group_and_the_towns_sums_all(db, methodist, fmt):
    rows = GROUPS_IN_THE_SCHOOL_COLUMN
    data = (f.csv_bytes(rows) if fmt == "csv" else  # a CSV keeps no merged cells
            f.merged_book(rows, [(1, 2, 0, 0), (1, 2, 1, 1), (1, 1, 2, 3), (1, 2, 4, 4)], "Лист1", "xls"))
    pv = pipeline.prepare(methodist, [(f"свод.{fmt}", data)], None, engine=db, fallback_period="2024-Q3")
    _clean(pv)
    assert len(pv.rows) == 6 and {r.period for r in pv.rows} == {"IV кв. 2024"}
    totals = [w for w in pv.warnings if "итог не сходится" in w.message]
    assert [(w.row, w.col) for w in totals] == [(11, "E")], _texts(pv.warnings)
    assert "«Всего по городу» 25" in totals[0].message and "— 24" in totals[0].message
    assert {r for n in pv.notes if "заголовок группы" in n.message for r in n.rows} == {4, 8}


def test_a_bare_total_before_catalogue_parts_is_their_denominator(db, methodist):
    rows = [["Сведения за IV квартал 2024 г."],
            ["№", "Наименование ОО", "Педагогические работники", None, None, "Участники олимпиад и конкурсов"],
            [None, None, "всего", "из них прошли КПК", "из них участвуют в сетевом взаимодействии", None],
            [1, "СОШ № 2", 38, 30, 12, 12], [2, "СОШ № 5", 33, 25, 9, 7]]
    data = f.merged_book(rows, [(1, 2, 0, 0), (1, 2, 1, 1), (1, 1, 2, 4), (1, 2, 5, 5)], "Лист1")
    got = _landed(db, methodist, "свод.xlsx", data)
    assert got[("СОШ № 5 (демо)", "teachers_network")][1:] == (9, 33)
    assert got[("СОШ № 2 (демо)", "teachers_trained")][1:] == (30, 38) and len(got) == 6


def test_numbers_in_a_row_that_reads_like_a_signature_are_never_skipped(db, methodist):
    data = f.office_table([[1, "СОШ № 2", 38, 30, None, 100, 45, 12], ["* СОШ № 5", None, 33, 25, None, 80, 40, 7]])
    before = dump(db)
    pv = pipeline.prepare(methodist, [("свод.xlsx", data)], "2024-Q4", engine=db)
    assert any("не указана школа" in t and "строка 6" in t for t in _texts(pv.errors)), _texts(pv.errors)
    assert not any(6 in n.rows or n.row == 6 for n in pv.notes)
    assert dump(db) == before
