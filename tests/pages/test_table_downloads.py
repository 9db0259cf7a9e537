"""Tables a user takes away: «Скачать (.xlsx)» under the audit log, the upload history, the collection
status (ui.common.table_with_download). The file holds the rows and columns on screen — the same
core call, so the same scope — and text that a spreadsheet would run as a formula is neutralised."""

import io
from datetime import datetime

import pandas as pd
import pytest
from openpyxl import load_workbook
from sqlalchemy import text
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from core import reports, safe_xlsx
from tests.helpers import expand, run_as


@pytest.fixture
def downloads(monkeypatch):
    """Every download button drawn, by key: its label and its bytes (a deferred one is produced
    as the click would)."""
    seen = {}
    original, module_level = DeltaGenerator.download_button, st.download_button

    def record(self, label, data, *args, **kwargs):
        seen[kwargs.get("key")] = (label, data)
        return original(self, label, data, *args, **kwargs)

    def record_st(label, data, *args, **kwargs):
        seen[kwargs.get("key")] = (label, data)
        return module_level(label, data, *args, **kwargs)

    monkeypatch.setattr(DeltaGenerator, "download_button", record)
    monkeypatch.setattr(st, "download_button", record_st)

    def get(key):
        label, data = seen[key]
        return label, (data() if callable(data) else data)

    return get


def _sheet(data: bytes) -> list[list]:
    ws = load_workbook(io.BytesIO(data)).active
    return [[c.value for c in row] for row in ws.iter_rows()]


def _upload(engine, login: str, file_name: str) -> None:
    with engine.begin() as c:
        uid = c.execute(text('SELECT id FROM "user" WHERE login = :l'), {"l": login}).scalar()
        c.execute(text("INSERT INTO upload (file_name, checksum, kind, uploaded_by, uploaded_at, n_rows, n_new, "
                       "n_changed, n_unchanged, status) VALUES (:f, 'x', 'measurements', :u, :at, 1, 1, 0, 0, "
                       "'applied')"), {"f": file_name, "u": uid, "at": datetime(2025, 1, 10, 9, 30)})


def test_audit_log_downloads_as_on_screen_with_formulas_neutralised(app_db, downloads):
    with app_db.begin() as c:  # a login typed as a formula at the login form lands in the log
        c.execute(text("INSERT INTO auditevent (at, login, action, details) VALUES (:at, '=HYPERLINK(\"x\")', "
                       "'login_failed', NULL)"), {"at": datetime.now()})
    at = run_as("demo-admin", "../app_pages/admin.py")
    shown = at.dataframe[-1].value
    label, data = downloads("audit_xlsx")
    assert label == "Скачать (.xlsx)"
    rows = _sheet(data)
    assert rows[0] == list(shown.columns) and len(rows) - 1 == len(shown) > 0
    cells = [c for row in load_workbook(io.BytesIO(data)).active.iter_rows(min_row=2) for c in row
             if isinstance(c.value, str)]
    # as typed, stored as text marked as typed text (the quote prefix): shown as text, never run
    link = next(c for c in cells if c.value == '=HYPERLINK("x")')
    assert link.data_type == "s" and link.quotePrefix
    assert all(c.data_type == "s" and c.quotePrefix == c.value.startswith(safe_xlsx.FORMULA_START) for c in cells)


def test_principal_downloads_only_their_uploads(app_db, downloads):
    _upload(app_db, "demo-principal", "моя_школа.xlsx")
    _upload(app_db, "demo-methodist", "весь_город.xlsx")
    at = run_as("demo-principal", "../app_pages/upload.py")
    label, data = downloads("log_xlsx")
    rows = _sheet(data)
    assert label == "Скачать (.xlsx)" and rows[0][:4] == ["№", "Когда", "Вид", "Файл"]
    files = [r[3] for r in rows[1:]]
    assert files == ["моя_школа.xlsx"]
    assert list(at.dataframe[-1].value["Файл"]) == files
    run_as("demo-methodist", "../app_pages/upload.py")
    assert "весь_город.xlsx" in [r[3] for r in _sheet(downloads("log_xlsx")[1])[1:]]


def test_collection_table_downloads_every_school_shown(app_db, downloads):
    at = run_as("demo-methodist", "../app_pages/collection.py")
    shown = at.dataframe[0].value
    rows = _sheet(downloads("col_table_xlsx")[1])
    assert rows[0] == list(shown.columns) and [r[0] for r in rows[1:]] == list(shown["Школа"])


def test_frame_xlsx_keeps_numbers_dates_and_blanks():
    frame = pd.DataFrame({"Текст": ["+7 900", "@x", "обычный"], "Число": [1, 2.5, None],
                          "Когда": [pd.Timestamp("2025-01-10 09:30", tz="UTC"), pd.NaT, pd.Timestamp("2025-02-01")]})
    data = reports.frame_xlsx(frame, "лист")
    rows = _sheet(data)
    assert rows == [["Текст", "Число", "Когда"], ["+7 900", 1, datetime(2025, 1, 10, 9, 30)],
                    ["@x", 2.5, None], ["обычный", None, datetime(2025, 2, 1)]]
    ws = load_workbook(io.BytesIO(data)).active  # text that looks like a formula: text with the quote prefix
    assert [(c.data_type, c.quotePrefix) for c in ws["A"][1:]] == [("s", True), ("s", True), ("s", False)]


def test_principal_downloads_their_school_activities(app_db, downloads):
    at = run_as("demo-principal", "../app_pages/school.py")
    own = at.dataframe[0].value
    rows = _sheet(downloads("school_items_xlsx")[1])
    assert rows[0] == list(own.columns) and len(rows) - 1 == len(own) > 0
    assert [r[4] for r in rows[1:]] == list(own["Содержание"])
    # the office's items are built when their expander is opened (ui.common.lazy_expander)
    with pytest.raises(KeyError):
        downloads("city_items_xlsx")
    expand(at, "school_office_items")
    assert downloads("city_items_xlsx")[0] == "Скачать (.xlsx)"
