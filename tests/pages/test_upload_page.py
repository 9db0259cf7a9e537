"""The upload page's questions, as a methodologist meets them (AppTest): the file's own period
against the chosen one, a column with numbers that names no indicator, a school name confirmed
once and remembered. Nothing is written before the answer."""

from sqlalchemy import text

from tests import ingest_files as f
from tests.helpers import XLSX, run_as


def _uploads(engine) -> int:
    with engine.connect() as c:
        return c.execute(text("SELECT COUNT(*) FROM upload WHERE kind <> 'roadmap'")).scalar()


def _write_button(at):
    return [b for b in at.button if b.label == "Записать"]


def test_period_conflict_is_asked_then_written_for_the_period_chosen(app_db):
    at = run_as("demo-methodist", "../app_pages/upload.py")
    at.selectbox(key="up_period").set_value("2024-Q4")
    data = f.xlsx([["Сведения за III квартал 2024 г."], f.LONG_HEAD,
                   ["NEV-02", "olympiad_participants", None, 47, None, None]])
    at.get("file_uploader")[0].set_value(("свод.xlsx", data, XLSX)).run()
    assert not at.exception
    radio = at.radio(key="q_period")
    assert "«III кв. 2024» (заголовок «Сведения за III квартал 2024 г.»)" in radio.label
    assert "выбран «IV кв. 2024»" in radio.label and radio.value is None
    assert not _write_button(at) and _uploads(app_db) == 0
    radio.set_value("2024-Q4").run()
    assert not at.exception and not [r for r in at.radio if r.key == "q_period"]
    assert any("период — IV кв. 2024" in c.value for c in at.caption)
    table = at.dataframe[-1].value
    assert list(table["Период"]) == ["IV кв. 2024"]
    _write_button(at)[0].click().run()
    assert any("Записано: загрузка №" in s.value for s in at.success) and _uploads(app_db) == 1


def test_an_unknown_number_column_is_asked_and_can_be_skipped(app_db):
    at = run_as("demo-methodist", "../app_pages/upload.py")
    at.selectbox(key="up_period").set_value("2024-Q4")
    data = f.office_table([[1, "СОШ № 2", 38, 30, None, 100, 45, 12, 3]], extra=["Призёры олимпиад"])
    at.get("file_uploader")[0].set_value(("свод.xlsx", data, XLSX)).run()
    box = at.selectbox(key="q_column:Лист1:I")
    assert "«Призёры олимпиад»" in box.label and not _write_button(at)
    box.set_value("skip").run()
    assert not at.exception and not [s for s in at.selectbox if s.key == "q_column:Лист1:I"]
    assert [m.value for m in at.metric][0] == "3"
    assert _write_button(at)


def test_a_school_name_is_confirmed_once_and_remembered(app_db):
    at = run_as("demo-methodist", "../app_pages/upload.py")
    at.selectbox(key="up_period").set_value("2024-Q4")
    data = f.long_table([["Школа на Гагарина", "olympiad_participants", "2024-Q4", 40, None, None]])
    at.get("file_uploader")[0].set_value(("x.xlsx", data, XLSX)).run()
    assert any("не найдена" in m.value and "Школа на Гагарина" in m.value for m in at.markdown)
    pick = at.selectbox(key="alias_pick_0")
    assert "СОШ № 2 (демо)" in pick.options and pick.value is None  # nothing is chosen for the user
    pick.set_value(2).run()  # NEV-02
    [b for b in at.button if b.key == "alias_save_0"][0].click().run()
    assert not at.exception
    assert not [s for s in at.selectbox if s.key == "alias_pick_0"]
    assert [m.value for m in at.metric][0] == "1" and _write_button(at)
    with app_db.connect() as c:
        assert c.execute(text("SELECT alias_text FROM schoolalias")).scalar() == "Школа на Гагарина"
    # next time, in a new session, the name is known without a question
    at2 = run_as("demo-methodist", "../app_pages/upload.py")
    at2.selectbox(key="up_period").set_value("2024-Q4")
    at2.get("file_uploader")[0].set_value(("y.xlsx", data, XLSX)).run()
    assert not [s for s in at2.selectbox if s.key == "alias_pick_0"] and [m.value for m in at2.metric][0] == "1"


def test_an_office_table_saved_as_xlsb_is_uploaded_on_the_page(app_db):
    """The .xlsb (written with the records Excel writes, tests/xlsb_writer.py) goes through the
    page like an .xlsx: the preview counts its values and «Записать» writes them."""
    at = run_as("demo-methodist", "../app_pages/upload.py")
    at.selectbox(key="up_period").set_value("2024-Q4")
    rows = f.office_rows([[1, 'МБОУ "СОШ №2"', 38, 30, "78,9 %", 100, 45, 12],
                          [2, "«СОШ № 5» г. Невинномысска", 33, 25, 0.758, 80, 40, 7]])
    data = f.xlsb(rows, merged=f.OFFICE_MERGED)
    at.get("file_uploader")[0].set_value(("свод.xlsb", data, "application/vnd.ms-excel.sheet.binary.macroEnabled.12")).run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert [m.value for m in at.metric][0] == "6"
    if [c for c in at.checkbox if c.key == "up_accept"]:  # warnings (sharp changes) are confirmed
        at.checkbox(key="up_accept").check().run()
    _write_button(at)[0].click().run()
    assert any("Записано: загрузка №" in s.value for s in at.success) and _uploads(app_db) == 1
    with app_db.connect() as c:
        got = c.execute(text("SELECT m.value FROM measurement m JOIN school s ON s.id = m.school_id "
                             "JOIN indicator i ON i.id = m.indicator_id JOIN period p ON p.id = m.period_id "
                             "WHERE s.code = 'NEV-05' AND i.code = 'olympiad_participants' AND p.code = '2024-Q4'")).scalar()
    assert got == 7


def test_a_templates_own_period_is_preselected_and_asks_nothing(app_db):
    """Issue 25: the page's default period (the last finished quarter) is no choice — a IV quarter
    template is read for its own period, said, and the period box shows it."""
    from core import auth
    from core.ingest import template

    at = run_as("demo-methodist", "../app_pages/upload.py")
    assert at.selectbox(key="up_period").value == "2024-Q3"  # the demo clock's last finished quarter
    q4 = template.build_template(auth.system_scope(), "2024-Q4", territory_id=1, engine=app_db)
    data = f.fill_template(q4, {("NEV-02", "olympiad_participants:value"): 40})
    at.get("file_uploader")[0].set_value(("шаблон.xlsx", data, XLSX)).run()
    assert not at.exception and not [r for r in at.radio if r.key == "q_period"]
    assert at.selectbox(key="up_period").value == "2024-Q4"
    assert any("взят из файла (скрытый лист шаблона)" in i.value for i in at.info)
    if [c for c in at.checkbox if c.key == "up_accept"]:
        at.checkbox(key="up_accept").check().run()
    _write_button(at)[0].click().run()
    assert any("Записано: загрузка №" in s.value for s in at.success) and _uploads(app_db) == 1
    with app_db.connect() as c:
        assert c.execute(text("SELECT p.code FROM measurement m JOIN period p ON p.id = m.period_id "
                              "WHERE m.upload_id IS NOT NULL")).scalar() == "2024-Q4"


def test_an_office_form_with_errors_counts_unchanged_values_and_lists_what_it_skipped(app_db):
    at = run_as("demo-methodist", "../app_pages/upload.py")
    at.selectbox(key="up_period").set_value("2024-Q4")
    at.get("file_uploader")[0].set_value(("отчёт.xlsx", f.signed_group_form(), XLSX)).run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert [m.value for m in at.metric] == ["12", "12", "0", "0"]
    assert any(e.label.startswith("Пропущено при чтении") for e in at.expander)
    skipped = at.table[-1].value
    assert any("заголовок группы" in t for t in skipped["Что не так"]), skipped
    if [c for c in at.checkbox if c.key == "up_accept"]:
        at.checkbox(key="up_accept").check().run()
    _write_button(at)[0].click().run()
    assert _uploads(app_db) == 1
    # the same values again, one cell now wrong: the preview still says they are unchanged
    at2 = run_as("demo-methodist", "../app_pages/upload.py")
    at2.selectbox(key="up_period").set_value("2024-Q4")
    from openpyxl import load_workbook
    import io

    wb = load_workbook(io.BytesIO(f.signed_group_form()))
    wb.active["H9"] = -7
    buf = io.BytesIO()
    wb.save(buf)
    at2.get("file_uploader")[0].set_value(("отчёт2.xlsx", buf.getvalue(), XLSX)).run()
    assert not at2.exception and at2.error
    assert [m.value for m in at2.metric] == ["11", "0", "0", "11"]
    assert not _write_button(at2) and _uploads(app_db) == 1


def test_a_column_answered_on_the_page_is_remembered_listed_and_forgotten(app_db):
    at = run_as("demo-methodist", "../app_pages/upload.py")
    at.selectbox(key="up_period").set_value("2024-Q4")
    data = f.office_table([[1, "СОШ № 2", 38, 30, None, 100, 45, None, 12]], extra=["Олимпиадники"])
    at.get("file_uploader")[0].set_value(("свод.xlsx", data, XLSX)).run()
    at.selectbox(key="q_column:Лист1:I").set_value("olympiad_participants:value").run()
    if [c for c in at.checkbox if c.key == "up_accept"]:
        at.checkbox(key="up_accept").check().run()
    _write_button(at)[0].click().run()
    assert _uploads(app_db) == 1
    # a new session, the form refilled: it asks nothing, and the kept column is listed
    at2 = run_as("demo-methodist", "../app_pages/upload.py")
    assert any(e.label == "Запомненные столбцы: 1" for e in at2.expander)
    listed = at2.table[-1].value
    assert list(listed["Столбец"]) == ["Олимпиадники"] and "Участники олимпиад" in listed["Читается как"].iloc[0]
    again = f.office_table([[1, "СОШ № 2", 38, 31, None, 100, 47, None, 14]], extra=["Олимпиадники"])
    at2.get("file_uploader")[0].set_value(("свод2.xlsx", again, XLSX)).run()
    assert not [s for s in at2.selectbox if s.key == "q_column:Лист1:I"] and _write_button(at2)
    at2.button(key="colmap_remove").click().run()
    assert not at2.exception and not any(e.label.startswith("Запомненные столбцы") for e in at2.expander)
    with app_db.connect() as c:
        assert c.execute(text("SELECT COUNT(*) FROM columnmapping")).scalar() == 0
        assert c.execute(text("SELECT COUNT(*) FROM auditevent WHERE action = 'column_mapping_removed'")).scalar() == 1
