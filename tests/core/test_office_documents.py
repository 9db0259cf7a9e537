"""Documents as the office prints them: no word broken mid-word in a table, the school form's
instructions name the form's own sheet, schools in natural order («СОШ № 2» before «СОШ № 14»)."""

import io
import re
from datetime import date
from pathlib import Path

import pytest
from docx import Document
from docx.shared import Pt
from openpyxl import load_workbook

from core import docs_parts, reports
from core.ingest import template
from tests.helpers import school_id, scope_of

SERIF = Path("/usr/share/fonts/truetype/liberation")  # Times New Roman's metric twin


def _unbroken(data: bytes) -> list[str]:
    """Words wider than their table column (less the cell margins), measured in Liberation Serif."""
    ImageFont = pytest.importorskip("PIL.ImageFont")
    if not (SERIF / "LiberationSerif-Bold.ttf").exists():
        pytest.skip("Liberation Serif fonts are not installed")
    fonts = {b: ImageFont.truetype(str(SERIF / f"LiberationSerif-{'Bold' if b else 'Regular'}.ttf"), 1000)
             for b in (True, False)}
    broken = []
    for table in Document(io.BytesIO(data)).tables:
        for row in table.rows:
            for cell in row.cells:
                room_pt = cell.width / Pt(1) - reports.CELL_PADDING_CM / 2.54 * 72
                for p in cell.paragraphs:
                    for run in p.runs:
                        size = (run.font.size or Pt(12)) / Pt(1)
                        for word in docs_parts.words(run.text):  # Word breaks after a hyphen
                            if fonts[bool(run.bold)].getlength(word) * size / 1000 > room_pt:
                                broken.append(word)
    return broken


def test_document_tables_break_no_word(demo_db):
    sc = scope_of(demo_db, "demo-principal")
    card = reports.school_card(sc, school_id(demo_db, "NEV-02"), engine=demo_db, today=date(2024, 10, 15))
    assert _unbroken(card) == []  # «Ответственный», «Среднее», «территории» in their columns
    head = scope_of(demo_db, "demo-head")
    assert _unbroken(reports.roadmap_report(head, 1, engine=demo_db, today=date(2024, 10, 15))) == []


def test_fitting_keeps_the_tables_width():
    widths = [2.2, 2.4, 2.2, 1.2, 6.0, 2.6]
    fitted = reports.fit_widths(["Статус", "Срок", "Что", "№", "Содержание", "Ответственный"],
                                [["просрочено", "2024", "мероприятие", "1.1", "текст", "ОО"]], widths)
    assert abs(sum(fitted) - sum(widths)) < 1e-9 and fitted[5] > 2.6 and fitted[4] < 6.0


def test_the_school_forms_instructions_name_its_sheet(demo_db):
    sc = scope_of(demo_db, "demo-methodist")
    form = load_workbook(io.BytesIO(template.build_school_form(sc, "2024-Q3", school_id(demo_db, "NEV-02"),
                                                               engine=demo_db)))
    said = " ".join(str(r[0].value) for r in form["Инструкция"].iter_rows())
    assert "листа «Форма»" in said and "«Данные»" not in said and "второй строк" not in said
    assert form["Форма"].column_dimensions["D"].hidden and "столбец D" in said
    book = load_workbook(io.BytesIO(template.build_template(sc, "2024-Q3", engine=demo_db)))
    said = " ".join(str(r[0].value) for r in book["Инструкция"].iter_rows())
    assert "листа «Данные»" in said and "вторую строку" in said


def test_the_template_lists_schools_in_natural_order(demo_db):
    sc = scope_of(demo_db, "demo-methodist")
    ws = load_workbook(io.BytesIO(template.build_template(sc, "2024-Q3", engine=demo_db)))["Данные"]
    names = [str(r[1].value) for r in ws.iter_rows(min_row=3) if r[1].value]
    soshs = [int(m[1]) for n in names if (m := re.search(r"«Средняя общеобразовательная школа № (\d+)", n))]
    assert len(soshs) > 2 and soshs == sorted(soshs), names
