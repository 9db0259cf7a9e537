"""From a workbook's grid to measurement entries, whatever the layout: the app's template (keys in a
hidden row, so renamed or reordered headers still import), a plain long table (codes or the
indicator names and period labels the app writes), the one-school form, a sheet per school, and
human variations: title rows above the header, headers of two or three rows with merged cells
(«№ п/п» / «Наименование ОО» over two rows, an indicator over «всего» / «из них» / «%»), notes
sheets, blank rows, an «Итого» row, extra columns. A column with numbers that names no known
quantity is a question for the user (map it or skip it), never a silent skip."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol, TypeVar

from core import periods
from core.ingest.excel import Workbook, col_letter, col_number
from core.ingest.numbers import cell_text
from core.ingest.problems import IngestError, Problem

META_SHEET = "_meta"
DATA_SHEET = "Данные"
FORM_SHEET = "Форма"
KEY_MARK = "school_code"
PARTS = ("value", "numerator", "denominator")

NOT_DATA = {"пп", "nпп", "номерпп", "номер", "no", "n", "нпп", ""}  # «№ п/п» and the like: never a question
PERCENT_WORDS = {"доля", "процент", "вдоле", "доляпроцент"}
LONG_HEADERS = {
    "school": {"кодшколы", "кодоо", "код", "schoolcode", "school", "кодорганизации", "школа", "оо",
               "наименованиеоо", "наименованиешколы", "название", "наименованиеобразовательнойорганизации",
               "образовательнаяорганизация", "наименованиеобщеобразовательнойорганизации",
               "общеобразовательнаяорганизация", "наименованиеорганизации", "наименованиеучреждения", "учреждение",
               "оу", "наименованиеоу"},
    "indicator": {"кодпоказателя", "показатель", "indicator", "indicatorcode", "наименованиепоказателя"},
    "period": {"период", "period", "periodcode", "отчетныйпериод", "периодотчета", "периодотчетности"},
    "value": {"значение", "value", "значениепоказателя"},
    "numerator": {"числитель", "numerator", "изних"},
    "denominator": {"знаменатель", "denominator", "всего"},
}
TOTAL_ROW = re.compile(r"^\s*(итого|всего|в\s+целом|по\s+(городу|району|округу|муниципал\w*|территории|группе|мо)\b)", re.I)
GENERIC_SHEET = re.compile(r"^(лист|sheet|данные|таблица)\s*\d*$", re.I)


def find_period(text) -> str | None:
    """The code of the period a cell, a title or a sheet's name names («IV кв. 2024», «за IV
    квартал 2024 г.», «за 1 полугодие 2025 г.», «2024/2025 учебный год», «с 01.10.2024 по
    31.12.2024»), by the calendar's one rule (core.periods.find), or a date as offices date a
    report («01.10.2024», «по состоянию на 01.01.2025», a date cell): the quarter it closes — the
    quarter's last day or the next one's first; None when there is none."""
    if isinstance(text, (date, datetime)):
        return _quarter_closed_by(text if isinstance(text, date) and not isinstance(text, datetime) else text.date())
    spec = periods.find(cell_text(text))
    if spec:
        return spec.code
    m = _AS_OF.search(cell_text(text).lower())
    if m:
        try:
            return _quarter_closed_by(date(int(m.group(3)), int(m.group(2)), int(m.group(1))))
        except ValueError:
            return None
    return None


# a date alone, or «на 01.10.2024» («по состоянию на …», «данные на …»), as the period of a report
_AS_OF = re.compile(r"(?:^|(?<!\w)на\s+)(\d\d?)\.(\d\d?)\.(20\d\d)(?:\s*(?:г\.?|года))?\s*$")


def _quarter_closed_by(d: date) -> str | None:
    if d.day == 1 and d.month in (1, 4, 7, 10):
        return periods.preceding(periods.quarter_of(d)).code
    q = periods.quarter_of(d)
    return q.code if q.end == d else None


@dataclass
class Question:
    """Something the file leaves open that the user must decide before anything is written."""

    key: str  # stable: "period", "column:<sheet>:<letter>"
    text: str
    options: list[tuple[str, str]]  # (answer value, Russian label)


def column_labels(ind: dict) -> list[tuple[str, str]]:
    """The template's columns for an indicator: a share gives two (its denominator and numerator
    labels), other kinds one."""
    if ind["value_kind"] == "share":
        return [("denominator", f"{ind['short_name']}: {ind['denominator_label'] or 'всего'}"),
                ("numerator", f"{ind['short_name']}: {ind['numerator_label'] or 'из них'}")]
    return [("value", f"{ind['short_name']}, {ind['unit']}" if ind["value_kind"] != "flag"
             else f"{ind['short_name']} (1 — да, 0 — нет)")]


def norm(text) -> str:
    return re.sub(r"[\W_]+", "", cell_text(text).lower().replace("ё", "е"))


@dataclass(slots=True)
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
    alt: str | None = None  # the school's name beside its code: the reference when the code matches nothing


@dataclass
class Parsed:
    entries: list[Entry] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    period: str | None = None  # from the template's hidden sheet
    kind: str = "table"  # template | school_form | long | table
    template_schools: list[str] = field(default_factory=list)  # codes the template was made for
    questions: list[Question] = field(default_factory=list)
    period_source: str | None = None  # where the file's own period was found (for the question)
    hidden_rows: dict[str, set[int]] = field(default_factory=dict)
    notes: list[Problem] = field(default_factory=list)  # rows and columns skipped on purpose, said (level "note")
    answered: list[tuple[str, str]] = field(default_factory=list)  # (column header, the user's answer): to remember


def _meta(wb: Workbook) -> dict[str, str]:
    rows = wb.sheets.get(META_SHEET) or []
    return {cell_text(r[0]): cell_text(r[1]) for r in rows if len(r) >= 2 and cell_text(r[0])}


# ---------------------------------------------------------------------------------------------
# The layouts: each says where its table is on a sheet (detect) and reads it (read); parse() tries
# them in a fixed order
# ---------------------------------------------------------------------------------------------
@dataclass
class Sheet:
    """One sheet as a layout reads it: its name and grid, and what the workbook says of it."""

    name: str
    rows: list[list]
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)  # (r0, c0, r1, c1), 0-based
    formulas: set[tuple[int, int]] = field(default_factory=set)  # (row, col), 1-based
    hidden_rows: set[int] = field(default_factory=set)  # 1-based
    meta: dict[str, str] = field(default_factory=dict)  # the book's hidden «_meta» sheet (the app's own files)

    @classmethod
    def of(cls, wb: Workbook, name: str, meta: dict[str, str]) -> Sheet:
        return cls(name, wb.sheets[name], wb.merged.get(name, []), wb.formulas.get(name, set()),
                   wb.hidden_rows.get(name, set()), meta)


Spot = TypeVar("Spot")


class Layout(Protocol[Spot]):
    """A way a sheet lays its data out. detect: where this layout's table is on the sheet (None: it is
    not there); read: its entries, problems, notes and questions into `out` — False when what was
    found holds no data after all (a list of schools, a notes sheet), so the next layout may try."""

    def detect(self, sheet: Sheet, ctx: Context) -> Spot | None: ...

    def read(self, sheet: Sheet, spot: Spot, ctx: Context, out: Parsed) -> bool: ...


def read_with(layout: Layout[Any], sheet: Sheet, ctx: Context, out: Parsed) -> bool:
    """The sheet read by one layout, when it is there; False when it is not."""
    ctx.merged = sheet.merged
    spot = layout.detect(sheet, ctx)
    return spot is not None and layout.read(sheet, spot, ctx, out)


class SchoolFormLayout:
    """The app's one-school form (a row per quantity, its key in a hidden column): the whole book."""

    def detect(self, sheet: Sheet, ctx: Context) -> str | None:
        """The form's school code, when the book is the app's one-school form and this its sheet."""
        if sheet.name == FORM_SHEET and sheet.meta.get("kind") == "school_form":
            return sheet.meta.get("school_code", "")
        return None

    def read(self, sheet: Sheet, spot: str, ctx: Context, out: Parsed) -> bool:
        for i, row in enumerate(sheet.rows, start=1):
            key = cell_text(row[3]) if len(row) > 3 else ""
            if ":" not in key:
                continue
            ind, part = key.split(":", 1)
            if part not in PARTS:
                continue
            out.entries.append(Entry(spot, ind, None, part, row[2] if len(row) > 2 else None, sheet.name, i, "C",
                                     f"{cell_text(row[0])} — {cell_text(row[1])}".strip(" —"),
                                     (i, 3) in sheet.formulas))
        return True


class TableLayout:
    """Tables under a header row: the app's template (its hidden key row), a long table, a table of
    schools by indicators with title rows above and a header of up to six rows, a sheet per school;
    several tables of one sheet (sections of one form) each under its own header."""

    def detect(self, sheet: Sheet, ctx: Context) -> Header | None:
        return _header_row(sheet.rows, ctx)

    def read(self, sheet: Sheet, spot: Header, ctx: Context, out: Parsed) -> bool:
        rows = sheet.rows
        found, before, got = False, 0, spot
        while got is not None:
            h_idx, depth, cols, heads = got
            nxt = _next_header(rows, h_idx + depth)
            end = nxt if nxt is not None else len(rows)
            read = _read_table(_Table(sheet, h_idx, depth, end, before, not found, cols, heads), ctx, out)
            found = found or read
            if nxt is None:
                break
            if read:  # the title rows of the next table start after this one
                before = end
            got = _header_row(rows, ctx, end)
        return found


class TurnedLayout:
    """A turned table — the indicators down a column, the schools across a row — read as if turned
    back, every message naming the file's own rows and columns; refused once, in words that say it
    is turned, when some of its rows name no indicator."""

    def detect(self, sheet: Sheet, ctx: Context) -> tuple[int, int] | None:
        """(header row, column of the indicators' names): two rows below name catalogue indicators."""
        rows = sheet.rows
        for r0 in range(min(len(rows), 30)):
            row = rows[r0]
            for c in range(min(len(row), 5)):
                names = [rows[i][c] for i in range(r0 + 1, min(len(rows), r0 + 60)) if c < len(rows[i])]
                known = sum(1 for v in names
                            if isinstance(v, str) and (ctx.classify(v, "") or ("",))[0] in ("key", "percent"))
                across = [v for v in row[c + 1:] if isinstance(v, str) and v.strip() and not _numeric(v)]
                if known >= 2 and len(across) >= 1:
                    return r0, c
        return None

    def read(self, sheet: Sheet, spot: tuple[int, int], ctx: Context, out: Parsed) -> bool:
        rows, (r0, c) = sheet.rows, spot
        width = max(len(r) for r in rows[r0:])
        turned = [[rows[r0 + i][c + j] if c + j < len(rows[r0 + i]) else "" for i in range(len(rows) - r0)]
                  for j in range(width - c)]
        turned[0][0] = "Наименование ОО"
        marks = (len(out.entries), len(out.problems), len(out.notes), len(out.questions))
        if out.period is None:
            _period_from_titles(sheet.name, rows[:r0], out)
        saved = ctx.merged
        read = read_with(TABLE, Sheet(sheet.name, turned), ctx, out)
        ctx.merged = saved
        turned_words = (f"Таблица на листе «{sheet.name}» повёрнута: школы — по столбцам, показатели — по строкам "
                        f"(столбец {col_letter(c + 1)})")
        if not read or len(out.questions) > marks[3]:
            rows_of = sorted({r0 + col_number(q.key.rsplit(":", 1)[-1].split("@")[0])
                              for q in out.questions[marks[3]:]})
            del out.questions[marks[3]:]
            raise IngestError(f"{turned_words}, и " + (f"строки {', '.join(map(str, rows_of))} не названы как "
                                                       "показатели справочника" if rows_of
                                                       else "в ней не найдены значения")
                              + ". Назовите показатели как в шаблоне или поверните таблицу (в Excel: «Копировать» → "
                                "«Специальная вставка» → «Транспонировать») и загрузите снова.")

        def back(row: int | None, letter: str | None) -> tuple[int | None, str | None]:
            """A cell of the turned grid -> the file's own (row, column letter)."""
            return (r0 + col_number(letter) if letter else None), (col_letter(c + row) if row else None)

        for e in out.entries[marks[0]:]:
            e.row, e.col = back(e.row, e.col)
        for items, mark in ((out.problems, marks[1]), (out.notes, marks[2])):
            for k in range(mark, len(items)):
                p = items[k]
                row, col = back(p.row, p.col)
                items[k] = Problem(p.level, p.message, p.sheet, row, col, p.header, p.cell)
        out.notes.append(Problem("note", turned_words + " — прочитана так", sheet.name))
        return True


SCHOOL_FORM = SchoolFormLayout()  # tried first, on the book's «Форма» sheet: when it is there, it is the book
TABLE = TableLayout()
TURNED = TurnedLayout()
SHEET_LAYOUTS: tuple[Layout[Any], ...] = (TABLE, TURNED)  # on every visible sheet, in this order, until one reads


def parse(wb: Workbook, indicator_labels: dict[str, tuple[str, str]], *, indicators: Sequence[dict] = (),
          answers: dict[str, str] | None = None, remembered: dict[str, str] | None = None) -> Parsed:
    """indicator_labels: normalised header text -> (indicator code, part), for templates whose key
    row was lost (a methodologist retyped the table); indicators: the catalogue, to read headers
    that name an indicator in words; answers: the user's decisions on earlier questions;
    remembered: normalised header -> answer kept for the user's territories (core.ingest.columns)."""
    meta = _meta(wb)
    out = Parsed(period=meta.get("period") or None, hidden_rows=wb.hidden_rows)
    if out.period:
        out.period_source = "скрытый лист шаблона"
    ctx = Context(indicator_labels, indicators, answers or {})
    ctx.remembered = remembered or {}
    if FORM_SHEET in wb.sheets and read_with(SCHOOL_FORM, Sheet.of(wb, FORM_SHEET, meta), ctx, out):
        out.kind = "school_form"
        return out
    found = False
    for name in wb.sheets:
        if name == META_SHEET or name in wb.hidden:
            continue
        sheet = Sheet.of(wb, name, meta)
        if any(read_with(layout, sheet, ctx, out) for layout in SHEET_LAYOUTS):
            found = True
    for question, sheets in ctx.asked.values():
        if sheets:
            question.text += (" Ответ относится и к столбцу с тем же заголовком на листах "
                              + ", ".join(f"«{x}»" for x in sheets) + ".")
    if not found:
        raise IngestError("В файле не найдена таблица с данными: нужна строка заголовков со столбцом школы "
                          "(«Код ОО», «Наименование ОО», «Школа») и столбцами показателей — как в шаблоне — или "
                          "таблица «Код школы», «Показатель», «Период», «Значение» (или «Числитель» и "
                          "«Знаменатель»). Заголовки ищутся в первых 30 строках каждого листа. Скачайте шаблон "
                          "на этой странице.")
    if meta.get("kind") == "template":
        out.kind = "template"
        out.template_schools = [c for c in meta.get("schools", "").split(",") if c]
    return out


class Context:
    def __init__(self, labels: dict, indicators: Sequence[dict], answers: dict[str, str]):
        self.labels = labels
        self.answers = answers
        self.remembered: dict[str, str] = {}  # normalised header -> answer kept for the territory
        self.merged: list[tuple[int, int, int, int]] = []  # of the sheet being read
        # an unknown column's header (normalised) -> the answer given for it on an earlier sheet of
        # this book, and the headers already asked: a book with a sheet per school or territory asks
        # once per header, not once per sheet
        self.header_answers: dict[tuple[str, int], str] = {}  # (header, its n-th column on a sheet) -> answer
        self.asked: dict[tuple[str, int], tuple[Question, list[str]]] = {}  # -> its question, the later sheets
        self.indicators = list(indicators)
        names = []
        for i in self.indicators:
            for n in {norm(i["short_name"]), norm(i["name"]), norm(i["code"])}:
                if n:
                    names.append((n, i))
        self.names = sorted(names, key=lambda x: -len(x[0]))  # longest first: «качествообучения5кл» before «…»
        # the catalogue's «из них» and «всего» labels alone («Из них прошли КПК», «Всего педагогов»):
        # a numerator label names its share; a denominator label may serve several ("den")
        self.by_num_label: dict[str, dict] = {}
        self.by_den_label: dict[str, list[dict]] = {}
        for i in self.indicators:
            if i.get("value_kind") == "share":
                if norm(i.get("numerator_label")) not in ("", "изних"):
                    self.by_num_label.setdefault(norm(i["numerator_label"]), i)
                if norm(i.get("denominator_label")) not in ("", "всего"):
                    self.by_den_label.setdefault(norm(i["denominator_label"]), []).append(i)
        self.choices = [(f"{i['code']}:{part}", label) for i in self.indicators if i.get("level", "school") == "school"
                        for part, label in column_labels(i)]

    def classify(self, top: str, sub: str) -> tuple[str, str] | None:
        """(kind, key) for a column headed `top` (over `sub` in a two-row header): kind 'long' (a
        long-table column), 'key' (indicator:part), 'percent' (a share's % next to its counts,
        derived: not read), 'skip' (numbering); None when not recognised."""
        full = norm(f"{top} {sub}")
        if full in NOT_DATA and not (top + sub).strip().isdigit():
            return ("skip", "") if (top or sub) else None
        for kind, names in LONG_HEADERS.items():
            if full in names or (not sub and norm(top) in names):
                return "long", kind
        if full in self.labels:
            return "key", ":".join(self.labels[full])
        for n, ind in self.names:
            if full.startswith(n):
                rest = full[len(n):]
                part = self._part(ind, rest, f"{top} {sub}")
                if part:
                    return part
        if full in self.by_num_label:
            return "key", f"{self.by_num_label[full]['code']}:numerator"
        dens = self.by_den_label.get(full)
        if dens:
            return ("key", f"{dens[0]['code']}:denominator") if len(dens) == 1 else ("den", full)
        return None

    @staticmethod
    def _part(ind: dict, rest: str, raw: str) -> tuple[str, str] | None:
        code = ind["code"]
        if "%" in raw or rest in PERCENT_WORDS:
            return ("percent", code) if ind["value_kind"] == "share" else ("key", f"{code}:value")
        if ind["value_kind"] == "share":
            if rest in {"всего", "знаменатель", norm(ind.get("denominator_label"))} or rest.startswith("всего"):
                return "key", f"{code}:denominator"
            if rest in {"изних", "числитель", norm(ind.get("numerator_label"))} or rest.startswith("изних"):
                return "key", f"{code}:numerator"
            return None
        if rest in {"", norm(ind.get("unit")), "значение", "чел", "человек", "шт", "да1нет0", "1да0нет"}:
            return "key", f"{code}:value"
        return None


def _numeric(v) -> bool:
    if isinstance(v, bool):
        return False
    if isinstance(v, (int, float)):
        return True
    t = cell_text(v).replace(" ", "").replace("\u00a0", "").replace(",", ".").rstrip("%")
    return bool(t) and bool(re.fullmatch(r"[+-]?\d+(\.\d*)?", t))


def _blank(c) -> bool:
    return c is None or c == "" or (isinstance(c, str) and not c.strip())


def _blank_row(row: list) -> bool:
    for c in row:  # stops at the first filled cell (usually the first)
        if c is not None and c != "" and not (c.__class__ is str and c.isspace()):
            return False
    return True


def _column_numbers(row: list) -> bool:
    """A row that only numbers the columns: 1, 2, 3, … (at least three)."""
    filled = [c for c in row if not _blank(c)]
    if len(filled) < 3 or not all(_numeric(c) for c in filled):
        return False
    try:
        nums = [float(cell_text(c).replace(",", ".")) for c in filled]
    except ValueError:
        return False
    return nums == [nums[0] + k for k in range(len(nums))] and nums[0] in (0, 1)


def _header_at(row: list) -> tuple[bool, bool]:
    """(names a school column, names an indicator and a value column) for a row of a header."""
    normed = [norm(c) if not cell_text(c).endswith(":") else "" for c in row]  # «Школа: | СОШ № 2» is no header
    has_school = any(n in LONG_HEADERS["school"] for n in normed)
    per_school = (any(n in LONG_HEADERS["indicator"] for n in normed)
                  and any(n in LONG_HEADERS["value"] | LONG_HEADERS["numerator"] for n in normed))
    return has_school, per_school


def _next_header(rows: list[list], start: int) -> int | None:
    """The first row from `start` that opens another table on the same sheet: it names a school
    column (or an indicator and a value column) and holds no number."""
    seen: dict[str, bool] = {}  # a long table repeats its texts: each looked at once
    for i in range(start, len(rows)):
        row = rows[i]
        for c in row:
            if c.__class__ is str:
                hit = seen.get(c)
                if hit is None:
                    hit = seen[c] = len(c) < 80 and norm(c) in _HEADER_WORDS
                if hit:
                    break
        else:
            continue
        if not any(_numeric(c) for c in row) and any(_header_at(row)):
            return i
    return None


# a table's header: (first header row, number of header rows, {column: (kind, key)}, {column: header text})
Header = tuple[int, int, dict[int, tuple[str, str]], dict[int, str]]


def _header_row(rows: list[list], ctx: Context, start: int = 0) -> Header | None:
    """(first header row, number of header rows, {column: (kind, key)}, {column: header text}) for
    the first row in the 30 from `start` that names a school column (or, for a sheet per school, an
    indicator and a value column). Unrecognised columns are returned with kind 'unknown'."""
    for idx in range(start, min(len(rows), start + 30)):
        row = rows[idx]
        cells = [cell_text(c) for c in row]
        if cells and cells[0] == KEY_MARK and any(":" in c and c.split(":", 1)[1] in PARTS for c in cells):
            # the template's hidden key row (a long table headed «school_code, indicator_code, …» is not)
            cols = {}
            for j, c in enumerate(cells):
                if c == KEY_MARK:
                    cols[j] = ("long", "school")
                elif c == "school_name":
                    cols[j] = ("long", "school_name")
                elif ":" in c and c.split(":", 1)[1] in PARTS:
                    cols[j] = ("key", c)
            visible = rows[idx + 1] if idx + 1 < len(rows) else row
            heads = {j: cell_text(visible[j]) if j < len(visible) else "" for j in range(max(len(cells), len(visible)))}
            for j, h in heads.items():
                if j not in cols and (h or (j < len(cells) and cells[j])):
                    heads[j] = h or cells[j]
                    cols[j] = ("unknown", "")
            return idx, 2, cols, heads
        normed = [norm(c) if not c.endswith(":") else "" for c in cells]
        has_school, per_school = _header_at(row)
        if not (has_school or per_school):
            continue
        school_j = next(j for j, n in enumerate(normed) if n in LONG_HEADERS["school"] | LONG_HEADERS["indicator"])
        depth = 1
        while depth < MAX_HEADER_ROWS and idx + depth < len(rows):
            nxt = rows[idx + depth]
            filled = [j for j, c in enumerate(nxt) if not _blank(c)]
            if not filled or any(_numeric(nxt[j]) for j in filled):
                break
            if school_j < len(nxt) and not _blank(nxt[school_j]):
                break  # the school column has a value: a data row, not more header
            if len(filled) == 1 and (filled[0] <= school_j or _merged_width(ctx.merged, idx + depth, filled[0]) > 2):
                break  # one text at the left or across the table: a group row («Школы с низкими …»)
            depth += 1
        width = max(len(r) for r in rows[idx:idx + depth])
        levels = [_filled_level(rows[idx + d], width, ctx.merged, idx + d) for d in range(depth)]
        for d in range(depth - 1):  # no merge information (.ods, .csv): «всего» | «из них» under one title
            for j in range(1, width):
                below, left_below = any(lv[j] for lv in levels[d + 1:]), any(lv[j - 1] for lv in levels[d + 1:])
                if not levels[d][j] and below and levels[d][j - 1] and left_below:
                    levels[d][j] = levels[d][j - 1]
        cols, heads, lasts = {}, {}, {}
        for j in range(width):
            stack: list[str] = []
            for lv in levels:
                if lv[j] and (not stack or stack[-1] != lv[j]):
                    stack.append(lv[j])
            heads[j] = " / ".join(stack)
            if not stack:
                continue
            got = ctx.classify(stack[0], " ".join(stack[1:]))
            # the catalogue's labels under a group title («Показатели», «Раздел 1.»): the title is
            # dropped, level by level, until the rest names a quantity
            for k in range(1, len(stack)):
                if got:
                    break
                inner = ctx.classify(stack[k], " ".join(stack[k + 1:]))
                got = inner if inner and inner[0] in ("key", "percent", "den") else None
            if got and got[0] == "long" and got[1] == "school" and ("long", "school") in cols.values():
                got = ("long", "school_name") if norm(stack[0]) not in {"код", "кодоо", "кодшколы"} else None
            cols[j] = got or ("unknown", "")
            lasts[j] = norm(stack[-1])
        _shared_denominators(cols, ctx)
        _total_before_parts(cols, lasts)
        return idx, depth, cols, heads
    return None


def _merged_width(merged: list[tuple[int, int, int, int]], r: int, c: int) -> int:
    for r0, c0, r1, c1 in merged:
        if r0 <= r <= r1 and c0 <= c <= c1:
            return c1 - c0 + 1
    return 1


def _filled_level(row: list, width: int, merged: list[tuple[int, int, int, int]], r: int) -> list[str]:
    """A header row with its horizontally merged cells (an indicator over its «всего» / «из них», a
    group title over several indicators) repeated over every column they cover."""
    out = [cell_text(row[j]) if j < len(row) else "" for j in range(width)]
    for r0, c0, r1, c1 in merged:
        if r0 == r and c1 > c0 and c0 < width:
            for j in range(c0 + 1, min(c1 + 1, width)):
                if not out[j]:
                    out[j] = out[c0]
    return out


def _shared_denominators(cols: dict[int, tuple[str, str]], ctx: "Context") -> None:
    """A «Всего педагогов» column serves every share of this table whose denominator has that label
    and whose «из них» column is here (and no «всего» of its own): one key per share, joined by «|»."""
    keys = {key for kind, key in cols.values() if kind == "key"}
    for j, (kind, label) in list(cols.items()):
        if kind != "den":
            continue
        served = [i["code"] for i in ctx.by_den_label.get(label, [])
                  if f"{i['code']}:numerator" in keys and f"{i['code']}:denominator" not in keys]
        cols[j] = ("key", "|".join(f"{c}:denominator" for c in served)) if served else ("unknown", "")


def _total_before_parts(cols: dict[int, tuple[str, str]], lasts: dict[int, str]) -> None:
    """«Педагогические работники: всего | из них прошли КПК | из них в сетевом …»: a bare «всего»
    followed by catalogue «из них» columns (of shares without a «всего» of their own) is their
    denominator."""
    keys = {key for kind, key in cols.values() if kind == "key"}
    for j, (kind, _) in list(cols.items()):
        if kind != "unknown" or not lasts.get(j, "").startswith("всего"):
            continue
        served, k = [], j + 1
        while k in cols and cols[k][0] == "key" and cols[k][1].endswith(":numerator"):
            code = cols[k][1].split(":", 1)[0]
            if f"{code}:denominator" not in keys:
                served.append(code)
            k += 1
        if served:
            cols[j] = ("key", "|".join(f"{c}:denominator" for c in served))


@dataclass
class _Table:
    """One table of a sheet: where its header, title rows and data rows are, and what its columns hold."""

    sheet: Sheet
    h_idx: int  # its first header row
    depth: int  # how many header rows
    end: int  # the row after its last (the next table's header, or the sheet's end)
    before: int  # the first of its title rows
    first: bool  # the first table of the sheet that was read
    cols: dict[int, tuple[str, str]]  # column -> (kind, key), settled by the questions' answers
    heads: dict[int, str]  # column -> its header's text
    data_rows: list[int] = field(default_factory=list)

    @property
    def start(self) -> int:
        return self.h_idx + self.depth

    @property
    def suffix(self) -> str:
        """The second table of a sheet keys its questions by its header row too."""
        return "" if self.first else f"@{self.h_idx + 1}"


def _read_table(t: _Table, ctx: Context, out: Parsed) -> bool:
    rows = t.sheet.rows
    t.data_rows = [i for i in range(t.start, t.end) if not _blank_row(rows[i])]
    if t.data_rows and _column_numbers(rows[t.data_rows[0]]):
        t.data_rows = t.data_rows[1:]  # «1 | 2 | 3 | …» under the header, as in official forms
    questions, problems = _settle_unknown_columns(t, ctx, out)
    if not questions:
        _percent_only(t, ctx, out, problems)
    cols = t.cols.values()
    if not questions and not any(p.level == "error" for p in problems) and not any(kind == "key" for kind, _ in cols) and not any(
            k in ("value", "numerator", "denominator") for kind, k in cols if kind == "long"):
        return False  # no quantity in this table: not the data (a list of schools, a notes sheet)
    out.questions.extend(questions)
    out.problems.extend(problems)
    if out.period is None and t.first:
        _period_from_titles(t.sheet.name, rows[:t.h_idx], out)
    reader = _RowReader(t, ctx, out)
    for i in t.data_rows:
        reader.read(i)
    return True


def _settle_unknown_columns(t: _Table, ctx: Context, out: Parsed) -> tuple[list[Question], list[Problem]]:
    """Columns nobody recognised: answered (now, on an earlier sheet, or remembered for the
    territory) they are read or skipped; with numbers in them and no answer a question, otherwise
    a warning."""
    sheet, rows, heads = t.sheet.name, t.sheet.rows, t.heads
    questions: list[Question] = []
    problems: list[Problem] = []
    nth: dict[str, int] = {}  # how many unknown columns of this sheet had each header before
    for j, (kind, _) in sorted(t.cols.items()):
        if kind != "unknown":
            continue
        letter = col_letter(j + 1)
        qkey = f"column:{sheet}:{letter}{t.suffix}"
        head = norm(heads[j])
        # the header and its place among this sheet's columns of that header: two «Число» columns of
        # one sheet are two questions, and a later sheet's second «Число» takes the second answer
        hkey = (head, nth.get(head, 0)) if head else None
        if head:
            nth[head] = nth.get(head, 0) + 1
        answer = _column_answer(t, j, qkey, hkey, ctx, out)
        numeric = any(j < len(rows[i]) and _numeric(rows[i][j]) for i in t.data_rows[:2000])
        if answer == "skip":
            t.cols[j] = ("skip", "")
            out.notes.append(Problem("note", "столбец пропущен по ответу", sheet, None, letter, heads[j]))
        elif answer and ":" in answer and answer.split(":", 1)[1] in PARTS:
            t.cols[j] = ("key", answer)
        elif numeric and hkey and hkey in ctx.asked:  # asked on an earlier sheet: that answer will serve here
            if sheet not in ctx.asked[hkey][1]:
                ctx.asked[hkey][1].append(sheet)
            t.cols[j] = ("skip", "")
        elif numeric:
            why_no_percent = (" Процента среди вариантов нет: доля загружается только двумя числами («всего» и "
                              "«из них»), процент приложение считает само; если в файле только проценты, добавьте "
                              "столбцы с числами." if "%" in heads[j] or any(w in norm(heads[j]) for w in PERCENT_WORDS)
                              else "")
            questions.append(Question(
                qkey, f"Лист «{sheet}», столбец {letter} («{heads[j]}»): в нём числа, но такого показателя нет в "
                      f"справочнике. Какой это показатель? Или пропустить столбец?{why_no_percent}",
                [("skip", "Пропустить столбец")] + ctx.choices))
            if hkey:
                ctx.asked[hkey] = (questions[-1], [])
            t.cols[j] = ("skip", "")
        else:
            problems.append(Problem("warning", "столбец не распознан и пропущен (в нём нет чисел)", sheet, t.start,
                                    letter, heads[j]))
            t.cols[j] = ("skip", "")
    return questions, problems


def _column_answer(t: _Table, j: int, qkey: str, hkey: tuple[str, int] | None, ctx: Context,
                   out: Parsed) -> str | None:
    """The answer for an unknown column: the user's (to this question, or to the same header on an
    earlier sheet: kept for the territory when the upload is written), else the one remembered."""
    heads = t.heads
    answer = ctx.answers.get(qkey) or (ctx.header_answers.get(hkey) if hkey else None)
    if answer and hkey:
        ctx.header_answers.setdefault(hkey, answer)
    head = norm(heads[j])
    if answer and (heads[j], answer) not in out.answered:
        out.answered.append((heads[j], answer))  # kept for the territory when the upload is written
    elif not answer and head in ctx.remembered:
        answer = ctx.remembered[head]
        out.notes.append(Problem("note", "столбец прочитан, как запомнено для территории: "
                                         + ("пропускается" if answer == "skip" else f"«{_choice_label(ctx, answer)}»"),
                                 t.sheet.name, None, col_letter(j + 1), heads[j]))
    return answer


def _percent_only(t: _Table, ctx: Context, out: Parsed, problems: list[Problem]) -> None:
    """A share's «%» with no counts beside it: never dropped silently."""
    sheet, rows, cols, heads = t.sheet.name, t.sheet.rows, t.cols, t.heads
    counted = {k for kind, key in cols.values() if kind == "key" for k in key.split("|")}
    by_code = {i["code"]: i for i in ctx.indicators}
    for j, (kind, code) in sorted(cols.items()):
        ind = by_code.get(code)
        if kind != "percent" or ind is None or ctx.answers.get(f"column:{sheet}:{col_letter(j + 1)}{t.suffix}") == "skip":
            continue
        if {f"{code}:numerator", f"{code}:denominator"} <= counted:
            out.notes.append(Problem("note", "столбец процентов не читается: процент приложение считает само "
                                             "из «всего» и «из них»", sheet, None, col_letter(j + 1), heads[j]))
            continue
        if any(j < len(rows[i]) and not _blank(rows[i][j]) for i in t.data_rows[:2000]):
            den, num = ind.get("denominator_label") or "всего", ind.get("numerator_label") or "из них"
            problems.append(Problem(
                "error", f"доля «{ind['short_name']}» задана только процентом, а загружается двумя числами: "
                         f"«{den}» (всего) и «{num}» (из них) — процент приложение считает само (по территории — "
                         "сумма «из них» к сумме «всего»). Добавьте эти два столбца (как в шаблоне) или удалите "
                         "столбец процентов", sheet, t.h_idx + 1, col_letter(j + 1), heads[j]))


class _RowReader:
    """The data rows of one table, each a school's entries or a row skipped and said why: a total
    (checked against the sum of its schools), a group's title, a note or a signature below."""

    def __init__(self, t: _Table, ctx: Context, out: Parsed):
        self.sheet, self.rows, self.ctx, self.out = t.sheet, t.sheet.rows, ctx, out
        cols = t.cols
        long_cols = {k: j for j, (kind, k) in cols.items() if kind == "long"}
        school_col = long_cols.get("school")
        name_col = long_cols.get("school_name")
        if school_col is None and name_col is not None:
            school_col, name_col = name_col, None
        self.school_col, self.name_col = school_col, name_col
        self.sheet_school = None
        if school_col is None:  # a sheet per school: the school is the sheet's name or its title
            self.sheet_school = _sheet_school(t.sheet.name, self.rows[t.before:t.h_idx])
        self.letters = {j: col_letter(j + 1) for j in cols}
        self.value_cols = [(part, long_cols[part]) for part in PARTS if part in long_cols]
        self.key_cols = [(j, ind, part) for j, (kind, key) in sorted(cols.items()) if kind == "key"
                         for ind, part in (k.split(":", 1) for k in key.split("|"))]
        self.key_js = sorted({j for j, _, _ in self.key_cols} | {j for _, j in self.value_cols})
        self.period_col = long_cols.get("period")
        self.ind_col = long_cols.get("indicator")
        self.heads = {j: t.heads.get(j) or (cols[j][1]) for j in cols}
        _fill_merged_down(self.rows, ctx.merged, t.start, t.end,
                          [c for c in (school_col, name_col, self.ind_col, self.period_col) if c is not None])
        self.texts: dict[str, str] = {}  # a long table repeats its codes, names and periods: each text cleaned once
        self.kinds: dict[str, str] = {}  # school cell text -> "" (a school) | "total" | "around" | "group"
        self.group: list[int] = []  # the school rows since the last group row or subtotal
        self.members: list[int] = []  # every school row of the table

    def text_of(self, v) -> str:
        if v.__class__ is not str:
            return cell_text(v)
        t = self.texts.get(v)
        if t is None:
            t = self.texts[v] = cell_text(v)
        return t

    def note(self, message: str, rownum: int) -> None:
        self.out.notes.append(Problem("note", message, self.sheet.name, rownum,
                                      hidden=(rownum,) if rownum in self.sheet.hidden_rows else ()))

    def read(self, i: int) -> None:
        row = self.rows[i]
        n = len(row)
        school = self.school_of(row)
        kind = self.kind_of(school, row)
        if not school or (kind and self.sheet_school is None):
            self.skip(i, school, kind)
            return
        period = None
        if self.period_col is not None and self.period_col < n:
            v = row[self.period_col]
            period = (find_period(v) or cell_text(v)) if v.__class__ in (date, datetime) else self.text_of(v) or None
        if self.ind_col is not None:  # long table: one row per school x indicator x period
            self.long_entries(i, school, period)
            return
        name_col = self.name_col
        alt = self.text_of(row[name_col]) or None if name_col is not None and name_col < n else None
        rownum, sheet, letters, heads, formulas = i + 1, self.sheet.name, self.letters, self.heads, self.sheet.formulas
        for j, ind, part in self.key_cols:
            if j < n:
                self.out.entries.append(Entry(school, ind, period, part,
                                              _marked(row[j], sheet, rownum, letters[j], heads[j], self.out),
                                              sheet, rownum, letters[j], heads[j], (rownum, j + 1) in formulas, alt))
        self.group.append(i)
        self.members.append(i)

    def long_entries(self, i: int, school: str, period: str | None) -> None:
        row = self.rows[i]
        n, rownum, sheet, letters, heads, formulas = len(row), i + 1, self.sheet.name, self.letters, self.heads, \
            self.sheet.formulas
        ind = self.text_of(row[self.ind_col]) if self.ind_col < n else ""
        for part, j in self.value_cols:
            if j < n and (not _blank(row[j]) or (rownum, j + 1) in formulas):
                self.out.entries.append(Entry(school, ind, period, part,
                                              _marked(row[j], sheet, rownum, letters[j], heads[j], self.out),
                                              sheet, rownum, letters[j], heads[j] or part, (rownum, j + 1) in formulas))

    def school_of(self, row: list) -> str:
        if self.sheet_school is not None:
            return self.sheet_school
        n = len(row)
        school = self.text_of(row[self.school_col]) if self.school_col < n else ""
        if not school and self.name_col is not None and self.name_col < n:
            school = self.text_of(row[self.name_col])
        return school

    def kind_of(self, school: str, row: list) -> str:
        """"" for a school's row; "total", "around" (a note, a signature) or "group" for a row that is not."""
        key_js = self.key_js
        kind = self.kinds.get(school)
        if kind is None:
            kind = self.kinds[school] = ("total" if TOTAL_ROW.match(school) else "around" if _AROUND.match(school)
                                         else "group" if _GROUP.search(school) else "")
        if (kind == "group" and _has_value(row, key_js)) or (kind == "around" and _has_number(row, key_js)):
            kind = ""  # values in it: a school, whatever its name says (numbers are never skipped)
        if not kind and self.school_col:  # text left of the school's column: «Исполнитель | Сидорова | тел. 2-34-56»
            for c in row[:self.school_col]:
                if c.__class__ is str and c.strip():
                    if _AROUND.match(c) and not _has_number(row, key_js):
                        kind = "around"
                    break
        return kind

    def skip(self, i: int, school: str, kind: str) -> None:
        """A row with no school or one that is not a school's: said why (an error when it holds numbers)."""
        row, rownum, name_col, key_js = self.rows[i], i + 1, self.name_col, self.key_js
        label = school or next((self.text_of(c) for c in row if not _blank(c) and not _numeric(c)), "")
        if name_col is not None and name_col < len(row) and TOTAL_ROW.match(self.text_of(row[name_col])):
            label = self.text_of(row[name_col])
        if label and TOTAL_ROW.match(label):  # «Итого», «Итого по группе», «По городу в целом»
            grand = (bool(_GRAND.search(label)) and not _OF_GROUP.search(label)) or not self.group
            _check_total(self.rows, i, key_js, self.members if grand else self.group, label, self.sheet.name,
                         self.letters, self.heads, self.out)
            if not grand:
                self.group = []
            self.note("строка итога — не школа, пропущена (итоги сверены с суммой по школам)", rownum)
            return
        if label and not _AROUND.match(label) and not _has_number(row, key_js) and (
                kind == "group" or _is_group(label, self.ctx.merged, i, row)):
            self.note("заголовок группы школ — не школа, строка пропущена", rownum)
            self.group = []
            return
        if label and not _has_number(row, key_js):
            self.note("текст вне таблицы (подпись, сноска, примечание) — строка пропущена", rownum)
            return
        self.out.problems.append(Problem("error", "не указана школа (код или наименование)", self.sheet.name, rownum,
                                         col_letter((self.school_col or 0) + 1),
                                         hidden=(rownum,) if rownum in self.sheet.hidden_rows else ()))


# Rows around and inside an office's table that are not a school's
_AROUND = re.compile(r"^\s*(\*|¹|²|примечани|сноск|исполнител|начальник|руководител|директор|заведующ|председател|"
                     r"заместител|главный специалист|ведущий специалист|специалист|подпис|м\.\s*п\.?|мп\b|тел\.|телефон|"
                     r"дата\b|отв\.|ответственн|_{3,})", re.I)
_GROUP = re.compile(r"(^школы\b|\bшнор\b|\bшнсу\b|\bгрупп[аы]\b|^раздел\b|^\d+\.\s|^[ivx]+\.\s)", re.I)
_GRAND = re.compile(r"(город|район|округ|муниципал|целом|территори|по\s+всем)", re.I)  # the whole table
_OF_GROUP = re.compile(r"(шнор|шнсу|групп)", re.I)  # «Всего по ШНОР», «Итого по группе»: the group above
_FOOTNOTE = re.compile(r"^\s*([+-]?\d[\d\s\u00a0]*(?:[.,]\d+)?)\s*(\*{1,3}|[¹²³])\s*$")
_HEADER_WORDS = LONG_HEADERS["school"] | LONG_HEADERS["indicator"]
MAX_HEADER_ROWS = 6


def _choice_label(ctx: Context, answer: str) -> str:
    return next((label for value, label in ctx.choices if value == answer), answer)


def _has_value(row: list, js: list[int]) -> bool:
    n = len(row)
    return any(j < n and not _blank(row[j]) for j in js)


def _has_number(row: list, js: list[int]) -> bool:
    n = len(row)
    return any(j < n and (_numeric(row[j]) or _FOOTNOTE.match(cell_text(row[j]))) for j in js)


def _is_group(text: str, merged: list, i: int, row: list) -> bool:
    """A row with one text that stands as a heading over the schools below it: a group's name
    merged across the table, or one the words say («Школы с низкими …», «ШНОР», «Раздел 2.»)."""
    if _GROUP.search(text):
        return True
    filled = [j for j, c in enumerate(row) if not _blank(c)]
    return len(filled) == 1 and _merged_width(merged, i, filled[0]) > 2 and not _AROUND.match(text)


def _fill_merged_down(rows: list[list], merged: list, start: int, end: int, columns: list[int]) -> None:
    """A school's name (its number, an indicator) merged down its rows: each row gets it."""
    for r0, c0, r1, c1 in merged:
        if r1 <= r0 or r0 < start or r0 >= end:
            continue
        for c in columns:
            if c0 <= c <= c1 and c < len(rows[r0]):
                value = rows[r0][c]
                for r in range(r0 + 1, min(r1 + 1, end)):
                    row = rows[r] = list(rows[r])
                    if len(row) <= c:
                        row.extend([""] * (c + 1 - len(row)))
                    if _blank(row[c]):
                        row[c] = value


def _marked(raw, sheet: str, rownum: int, letter: str, header: str, out: Parsed):
    """A number with a footnote mark («63*», «63¹»): the number, and a warning that names the mark."""
    if raw.__class__ is not str or not raw or raw[-1] not in "*¹²³":
        return raw
    m = _FOOTNOTE.match(raw)
    if not m:
        return raw
    out.problems.append(Problem("warning", f"у числа знак сноски «{m.group(2)}»: прочитано число без него — проверьте "
                                           "сноску под таблицей", sheet, rownum, letter, header, raw))
    return m.group(1)


def _check_total(rows: list[list], i: int, js: list[int], members: list[int], label: str, sheet: str,
                 letters: dict, heads: dict, out: Parsed) -> None:
    """A subtotal or the total against the sum of its schools, column by column: a warning where
    they disagree (a mistyped figure, a school left out)."""
    if not members:
        return
    row = rows[i]
    for j in js:
        given = _number(row[j]) if j < len(row) else None
        if given is None:
            continue
        parts = [_number(rows[r][j]) if j < len(rows[r]) else None for r in members]
        if any(p is None and j < len(rows[r]) and not _blank(rows[r][j]) for p, r in zip(parts, members)):
            continue  # a cell that is no number: its own error says so
        total = sum(p for p in parts if p is not None)
        if abs(total - given) > 1e-6:
            out.problems.append(Problem(
                "warning", f"итог не сходится с суммой по школам: в строке «{label}» {cell_text(row[j])}, а сумма "
                           f"{len(members)} {_schools_word(len(members))} над ней — {_plain(total)}",
                sheet, i + 1, letters[j], heads[j], cell_text(row[j])))


def _schools_word(n: int) -> str:
    return "школы" if n % 10 == 1 and n % 100 != 11 else "школ"


def _plain(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:.2f}".rstrip("0").replace(".", ",")


def _number(v) -> float | None:
    if v.__class__ in (int, float):
        return float(v)
    if _blank(v):
        return None
    m = _FOOTNOTE.match(cell_text(v))
    t = (m.group(1) if m else cell_text(v)).replace(" ", "").replace("\u00a0", "").replace(",", ".")
    try:
        return float(t)
    except ValueError:
        return None


def _sheet_school(sheet: str, title_rows: list[list]) -> str:
    """The school of a sheet per school: a «Школа: …» line above the table, a title that names a
    school, else the sheet's name (its title when the name is «Лист1»)."""
    for r in title_rows:
        cells = [cell_text(c) for c in r if not _blank(c)]
        if len(cells) >= 2 and re.fullmatch(r"(школа|оо|организация|наименование оо|образовательная организация)\s*:?",
                                            cells[0], re.I):
            return cells[1]
        if cells and re.match(r"^(школа|оо|организация)\s*:\s*\S", cells[0], re.I):
            return re.sub(r"^(школа|оо|организация)\s*:\s*", "", cells[0], flags=re.I)
    titles = [cell_text(r[0]) for r in title_rows if r and cell_text(r[0]) and not find_period(r[0])]
    if not GENERIC_SHEET.match(sheet.strip()) or not titles:
        return sheet
    named = [t for t in titles if _SCHOOL_WORDS.search(t)]
    return (named or titles)[0]


_SCHOOL_WORDS = re.compile(r"(\bсош\b|\bоош\b|\bнош\b|\bсш\b|гимнази|лице[йя]|школ|\bмбоу\b|\bмаоу\b|\bмкоу\b|№)", re.I)


def _period_from_titles(sheet: str, title_rows: list[list], out: Parsed) -> None:
    """The file's own period when it says one above the table («за IV квартал 2024 г.») or in the
    sheet's name («IV кв. 2024»)."""
    for r in title_rows:
        for c in r:
            code = find_period(c) if isinstance(c, str) else None
            if code:
                out.period, out.period_source = code, f"заголовок «{cell_text(c)[:80]}»"
                return
    code = find_period(sheet)
    if code:
        out.period, out.period_source = code, f"название листа «{sheet}»"
