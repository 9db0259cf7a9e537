"""The one rule for text in every spreadsheet the app sends out: text a spreadsheet would run as a
formula (=, +, -, @, tab or CR first: «=HYPERLINK(…)», «+7 900…», «@user») is never a formula.

`neutralise(wb)` keeps such text as it is, typed as a string with Excel's quote prefix (nothing is
evaluated when the file is opened or a cell edited, and the text reads back unchanged when the file
is loaded again): every workbook written with openpyxl passes through it before it is saved.
`safe_cell(value)` is the same rule for a flat value (CSV and the like), where no cell type
exists: a leading apostrophe."""

from __future__ import annotations

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def is_risky(value) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_START)


def safe_cell(value):
    """Text that a spreadsheet would run as a formula gets a leading apostrophe; numbers and dates
    pass unchanged."""
    return "'" + value if is_risky(value) else value


def neutralise(wb):
    """Every risky text cell of every sheet of `wb` (an openpyxl Workbook) typed as a string with
    the quote prefix; returns `wb`."""
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if is_risky(c.value):
                    c.data_type = "s"
                    c.quotePrefix = True
    return wb
