"""From a workbook's grid to measurement entries, whatever the layout: the app's template (keys in a
hidden row, so renamed or reordered headers still import), a plain long table, the one-school form,
and human variations (title rows above the header, blank rows, an «Итого» row, extra columns)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from core.ingest.excel import Workbook, col_letter
from core.ingest.numbers import cell_text
from core.ingest.problems import IngestError, Problem

META_SHEET = "_meta"
DATA_SHEET = "Данные"
FORM_SHEET = "Форма"
KEY_MARK = "school_code"
PARTS = ("value", "numerator", "denominator")

LONG_HEADERS = {
    "school": {"кодшколы", "кодоо", "код", "schoolcode", "school", "кодорганизации", "школа", "оо",
               "наименованиеоо", "наименованиешколы", "название"},
    "indicator": {"кодпоказателя", "показатель", "indicator", "indicatorcode"},
    "period": {"период", "period", "periodcode"},
    "value": {"значение", "value"},
    "numerator": {"числитель", "numerator", "изних"},
    "denominator": {"знаменатель", "denominator", "всего"},
}
TOTAL_ROW = re.compile(r"^\s*(итого|всего)\b", re.I)


def norm(text) -> str:
    return re.sub(r"[\W_]+", "", cell_text(text).lower().replace("ё", "е"))


@dataclass
class Entry:
    school_ref: str  # code or name as typed
    indicator: str  # indicator code
    period: str | None  # period code (None: the upload's period)
    part: str  # value | numerator | denominator
    raw: object
    sheet: str
    row: int
    col: str
    header: str
    formula: bool = False


@dataclass
class Parsed:
    entries: list[Entry] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    period: str | None = None  # from the template's hidden sheet
    kind: str = "table"  # template | school_form | long | table
    template_schools: list[str] = field(default_factory=list)  # codes the template was made for


def _meta(wb: Workbook) -> dict[str, str]:
    rows = wb.sheets.get(META_SHEET) or []
    return {cell_text(r[0]): cell_text(r[1]) for r in rows if len(r) >= 2 and cell_text(r[0])}


def parse(wb: Workbook, indicator_labels: dict[str, tuple[str, str]]) -> Parsed:
    """indicator_labels: normalised header text -> (indicator code, part), for templates whose key
    row was lost (a methodologist retyped the table)."""
    meta = _meta(wb)
    out = Parsed(period=meta.get("period") or None)
    if meta.get("kind") == "school_form" and FORM_SHEET in wb.sheets:
        out.kind = "school_form"
        _parse_form(wb, meta, out)
        return out
    found = False
    for name, rows in wb.sheets.items():
        if name == META_SHEET or name in wb.hidden:
            continue
        if _parse_grid(name, rows, wb.formulas.get(name, set()), indicator_labels, out):
            found = True
    if not found:
        raise IngestError("В файле не найдена таблица с данными: нужен лист «Данные» из шаблона или таблица "
                          "со столбцами «Код школы», «Показатель», «Период», «Значение» (или «Числитель» и "
                          "«Знаменатель»). Скачайте шаблон на этой странице.")
    if meta.get("kind") == "template":
        out.kind = "template"
        out.template_schools = [c for c in meta.get("schools", "").split(",") if c]
    return out


def _parse_form(wb: Workbook, meta: dict, out: Parsed) -> None:
    school = meta.get("school_code", "")
    for i, row in enumerate(wb.sheets[FORM_SHEET], start=1):
        key = cell_text(row[3]) if len(row) > 3 else ""
        if ":" not in key:
            continue
        ind, part = key.split(":", 1)
        if part not in PARTS:
            continue
        out.entries.append(Entry(school, ind, None, part, row[2] if len(row) > 2 else None, FORM_SHEET, i, "C",
                                 f"{cell_text(row[0])} — {cell_text(row[1])}".strip(" —"),
                                 (i, 3) in wb.formulas.get(FORM_SHEET, set())))


def _header_row(rows: list[list], labels: dict) -> tuple[int, dict[int, tuple[str, str]]] | None:
    """(index of the header row, {column index: (kind, key)}) for the first row in the top 30 that
    names a school column. kind: 'key' (template key), 'long' (long-table column), 'label'."""
    for idx, row in enumerate(rows[:30]):
        cells = [cell_text(c) for c in row]
        if cells and cells[0] == KEY_MARK:  # the template's hidden key row
            cols = {}
            for j, c in enumerate(cells):
                if c == KEY_MARK:
                    cols[j] = ("long", "school")
                elif c == "school_name":
                    cols[j] = ("long", "school_name")
                elif ":" in c and c.split(":", 1)[1] in PARTS:
                    cols[j] = ("key", c)
            return idx, cols
        normed = [norm(c) for c in cells]
        if not any(n in LONG_HEADERS["school"] for n in normed):
            continue
        cols = {}
        for j, n in enumerate(normed):
            for kind, names in LONG_HEADERS.items():
                if n in names and (kind != "school" or ("long", "school") not in cols.values()):
                    cols[j] = ("long", kind)
                    break
            else:
                if n in labels:
                    cols[j] = ("key", ":".join(labels[n]))
        return idx, cols
    return None


def _parse_grid(sheet: str, rows: list[list], formulas: set, labels: dict, out: Parsed) -> bool:
    found = _header_row(rows, labels)
    if found is None:
        return False
    h_idx, cols = found
    if not any(kind == "key" for kind, _ in cols.values()) and not any(
            k in ("value", "numerator", "denominator") for kind, k in cols.values() if kind == "long"):
        return False
    header_row = rows[h_idx]
    # With a key row, the visible headers are the next row (the user may have renamed them).
    visible = rows[h_idx + 1] if cell_text(header_row[0]) == KEY_MARK and h_idx + 1 < len(rows) else header_row
    start = h_idx + (2 if visible is not header_row else 1)
    for j in range(max(len(header_row), len(visible))):
        shown = cell_text(visible[j]) if j < len(visible) else ""
        key = cell_text(header_row[j]) if j < len(header_row) else ""
        if j not in cols and (shown or key):
            out.problems.append(Problem("warning", "столбец не распознан и пропущен", sheet, start, col_letter(j + 1),
                                        shown or key))
    long_cols = {k: j for j, (kind, k) in cols.items() if kind == "long"}
    school_col = long_cols.get("school")
    heads = {j: cell_text(visible[j]) if j < len(visible) else key for j, (_, key) in cols.items()}
    letters = {j: col_letter(j + 1) for j in cols}
    value_cols = [(part, long_cols[part]) for part in PARTS if part in long_cols]
    key_cols = [(j, *key.split(":", 1)) for j, (kind, key) in sorted(cols.items()) if kind == "key"]
    for i in range(start, len(rows)):
        row = rows[i]
        rownum = i + 1
        if all(c is None or c == "" or (isinstance(c, str) and not c.strip()) for c in row):
            continue  # blank row
        school = cell_text(row[school_col]) if school_col is not None and school_col < len(row) else ""
        name_col = long_cols.get("school_name")
        if not school and name_col is not None and name_col < len(row):
            school = cell_text(row[name_col])
        if TOTAL_ROW.match(school) or (name_col is not None and name_col < len(row)
                                       and TOTAL_ROW.match(cell_text(row[name_col]))):
            continue  # «Итого» row
        if not school:
            out.problems.append(Problem("error", "не указана школа (код или наименование)", sheet, rownum,
                                        col_letter((school_col or 0) + 1)))
            continue
        period = None
        if "period" in long_cols and long_cols["period"] < len(row):
            period = cell_text(row[long_cols["period"]]) or None
        if "indicator" in long_cols:  # long table: one row per school x indicator x period
            ind = cell_text(row[long_cols["indicator"]]) if long_cols["indicator"] < len(row) else ""
            for part, j in value_cols:
                if j < len(row) and (row[j] not in (None, "") or (rownum, j + 1) in formulas):
                    out.entries.append(Entry(school, ind, period, part, row[j], sheet, rownum, letters[j],
                                             heads[j] or part, (rownum, j + 1) in formulas))
            continue
        for j, ind, part in key_cols:
            if j < len(row):
                out.entries.append(Entry(school, ind, period, part, row[j], sheet, rownum, letters[j], heads[j],
                                         (rownum, j + 1) in formulas))
    return True
