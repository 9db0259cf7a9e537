"""The building blocks of the documents core writes: a DOCX page with paragraphs and tables whose
columns never break a word, and an XLSX workbook whose text is never a formula. Used by
core.reports (the справка, the school card, the exports) and core.cycle (the reminder letter)."""

from __future__ import annotations

import io
import re

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Cm, Pt
from openpyxl import Workbook
from openpyxl.styles import Font

from core.safe_xlsx import is_risky

DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# ---------------------------------------------------------------------------------------------
# DOCX
# ---------------------------------------------------------------------------------------------
def new_document(landscape: bool = False) -> DocxDocument:
    doc = Document()
    style = doc.styles["Normal"]
    style.font.name = "Times New Roman"
    style.font.size = Pt(12)
    sec = doc.sections[0]
    if landscape:
        sec.orientation = WD_ORIENT.LANDSCAPE
        sec.page_width, sec.page_height = sec.page_height, sec.page_width
    sec.left_margin, sec.right_margin, sec.top_margin, sec.bottom_margin = Cm(2.5), Cm(1.5), Cm(2), Cm(2)
    return doc


def para(doc: DocxDocument, text_: str, *, bold: bool = False, size: int | None = None, center: bool = False,
         italic: bool = False):
    p = doc.add_paragraph()
    run = p.add_run(text_)
    run.bold, run.italic = bold, italic
    if size:
        run.font.size = Pt(size)
    if center:
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    return p


TABLE_PT = 10  # the size of a table's words
CELL_PADDING_CM = 0.38  # Word's default left and right cell margins (0,19 cm each)
_EM_CM = 2.54 / 72  # one point in cm


def _word_cm(word: str, *, bold: bool) -> float:
    """A word's width at TABLE_PT in Times New Roman, estimated by character class (measured on its
    metric twin Liberation Serif: Cyrillic lower case averages 0,53 em, upper case 0,72, digits 0,5),
    a little generous so that an estimate never comes out short."""
    em = sum(0.75 if c.isupper() else 0.56 if c.isalpha() else 0.5 for c in word) * (1.08 if bold else 1.0)
    return em * TABLE_PT * _EM_CM * 1.04


def words(text: str) -> list[str]:
    """The pieces a line may break between: words, and a hyphenated word after its hyphen
    («Сентябрь-октябрь» → «Сентябрь-», «октябрь»)."""
    return [p for w in str(text).split() for p in re.findall(r"[^-]*-|[^-]+", w)]


def fit_widths(head: list[str], rows: list[list[str]], widths: list[float], room: float = 0.0) -> list[float]:
    """Column widths (cm) in which no word is broken mid-word: each column at least as wide as its
    longest word (the heading's in bold), the room taken from the columns that have it to spare; the
    table keeps its width, or grows to `room` (the page's text width) when its words need it. A word
    longer than a third of the table (a link) may still break."""
    total = sum(widths)
    need = []
    for i, w in enumerate(widths):
        found = [(x, True) for x in words(head[i])] + [(x, False) for r in rows for x in words(r[i])]
        longest = max((_word_cm(x, bold=b) for x, b in found), default=0.0) + CELL_PADDING_CM
        need.append(min(longest, total / 3))
    if sum(need) > total and room > total:  # the page has the room the words need: grow up to it
        grow = min(sum(need), room) - total
        more = [max(n - w, 0.0) for n, w in zip(need, widths)]
        widths = [w + grow * m / sum(more) for w, m in zip(widths, more)]
    short = sum(max(n - w, 0.0) for n, w in zip(need, widths))
    spare = sum(max(w - n, 0.0) for n, w in zip(need, widths))
    if short <= 0 or spare <= 0:
        return list(widths)
    take, give = min(short, spare) / spare, min(short, spare) / short  # when the page is too narrow for
    return [w + (n - w) * give if n > w else w - (w - n) * take for n, w in zip(need, widths)]  # all: share


def table(doc: DocxDocument, head: list[str], rows: list[list[str]], widths: list[float] | None = None):
    if widths:
        sec = doc.sections[-1]
        widths = fit_widths(head, rows, widths, (sec.page_width - sec.left_margin - sec.right_margin) / Cm(1))
    t = doc.add_table(rows=1, cols=len(head))
    t.style = "Table Grid"
    t.autofit = False
    for cell, h in zip(t.rows[0].cells, head):
        cell.text = ""
        r = cell.paragraphs[0].add_run(h)
        r.bold = True
        r.font.size = Pt(TABLE_PT)
    for row in rows:
        cells = t.add_row().cells
        for cell, v in zip(cells, row):
            cell.text = ""
            cell.paragraphs[0].add_run(v).font.size = Pt(TABLE_PT)
    if widths:
        for col, w in zip(t.columns, widths):
            col.width = Cm(w)
        for row in t.rows:
            for cell, w in zip(row.cells, widths):
                cell.width = Cm(w)
    return t


def save(doc: DocxDocument) -> bytes:
    """The document's bytes."""
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


# ---------------------------------------------------------------------------------------------
# XLSX
# ---------------------------------------------------------------------------------------------
def workbook(sheets: dict[str, tuple[list[str], list[list]]],
             formats: dict[str, dict[int, str]] | None = None) -> bytes:
    """Sheets of a header row and rows. Numbers and dates are written as numbers and dates; text is
    always text (never a formula, whatever it starts with): a text that looks like a formula
    («+5 п.п.», «=HYPERLINK(…)») is stored as text with the cell's quote prefix — the mark Excel
    and LibreOffice set when one types «'» before it — so it shows without an apostrophe and stays
    text when the cell is edited. `formats`: per sheet, {column index: number format}."""
    wb = Workbook()
    wb.remove(wb.active)
    for name, (head, rows) in sheets.items():
        ws = wb.create_sheet(name[:31])
        ws.append(head)
        for c in ws[1]:
            c.font = Font(bold=True)
        col_formats = (formats or {}).get(name, {})
        for row in rows:
            ws.append(row)
            for i, c in enumerate(ws[ws.max_row]):
                if isinstance(c.value, str):
                    c.data_type = "s"  # never a formula, whatever the text
                    if is_risky(c.value):  # the one rule (core.safe_xlsx)
                        c.quotePrefix = True
                elif i in col_formats and isinstance(c.value, (int, float)):
                    c.number_format = col_formats[i]
        for i, h in enumerate(head, start=1):
            ws.column_dimensions[ws.cell(1, i).column_letter].width = max(12, min(60, len(h) + 4))
        ws.freeze_panes = "A2"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def plain(value):
    """A table cell as openpyxl takes it: pandas' empties as blank, numpy scalars as Python, a
    timestamp as a naive datetime, anything else that is not a number or a date as its text."""
    import datetime as dt
    import numbers

    import pandas as pd

    if value is None or (not isinstance(value, (str, bytes, list, dict, tuple)) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None)
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()  # numpy scalar
    if isinstance(value, (bool, numbers.Number, dt.date, dt.time, str)):
        return value
    return str(value)
