"""The upload page's questions, as a methodologist meets them (AppTest): the file's own period
against the chosen one, a column with numbers that names no indicator, a school name confirmed
once and remembered. Nothing is written before the answer."""

from sqlalchemy import text

from tests import ingest_files as f
from tests.test_pages import XLSX, app_db, run_as  # noqa: F401 - fixture


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
