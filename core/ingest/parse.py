"""From a workbook's grid to measurement entries, whatever the layout: the app's template (keys in a
hidden row, so renamed or reordered headers still import), a plain long table (codes or the
indicator names and period labels the app writes), the one-school form, a sheet per school, and
human variations: title rows above the header, headers of two or three rows with merged cells
(«№ п/п» / «Наименование ОО» over two rows, an indicator over «всего» / «из них» / «%»), notes
sheets, blank rows, an «Итого» row, extra columns. A column with numbers that names no known
quantity is a question for the user (map it or skip it), never a silent skip."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from core import periods
from core.ingest.excel import Workbook, col_letter
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
TOTAL_ROW = re.compile(r"^\s*(итого|всего)\b", re.I)
GENERIC_SHEET = re.compile(r"^(лист|sheet|данные|таблица)\s*\d*$", re.I)


def find_period(text) -> str | None:
    """The code of the period a cell, a title or a sheet's name names («IV кв. 2024», «за IV
    квартал 2024 г.», «за 1 полугодие 2025 г.», «2024/2025 учебный год», «с 01.10.2024 по
    31.12.2024»), by the calendar's one rule (core.periods.find); None when there is none."""
    spec = periods.find(cell_text(text))
    return spec.code if spec else None


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


def _meta(wb: Workbook) -> dict[str, str]:
    rows = wb.sheets.get(META_SHEET) or []
    return {cell_text(r[0]): cell_text(r[1]) for r in rows if len(r) >= 2 and cell_text(r[0])}


def parse(wb: Workbook, indicator_labels: dict[str, tuple[str, str]], *, indicators: list[dict] = (),
          answers: dict[str, str] | None = None) -> Parsed:
    """indicator_labels: normalised header text -> (indicator code, part), for templates whose key
    row was lost (a methodologist retyped the table); indicators: the catalogue, to read headers
    that name an indicator in words; answers: the user's decisions on earlier questions."""
    meta = _meta(wb)
    out = Parsed(period=meta.get("period") or None, hidden_rows=wb.hidden_rows)
    if out.period:
        out.period_source = "скрытый лист шаблона"
    if meta.get("kind") == "school_form" and FORM_SHEET in wb.sheets:
        out.kind = "school_form"
        _parse_form(wb, meta, out)
        return out
    ctx = _Context(indicator_labels, indicators, answers or {})
    found = False
    for name, rows in wb.sheets.items():
        if name == META_SHEET or name in wb.hidden:
            continue
        if _parse_grid(name, rows, wb, ctx, out):
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


class _Context:
    def __init__(self, labels: dict, indicators: list[dict], answers: dict[str, str]):
        self.labels = labels
        self.answers = answers
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


def _header_row(rows: list[list], ctx: _Context) -> tuple[int, int, dict[int, tuple[str, str]], dict[int, str]] | None:
    """(first header row, number of header rows, {column: (kind, key)}, {column: header text}) for
    the first row in the top 30 that names a school column (or, for a sheet per school, an
    indicator and a value column). Unrecognised columns are returned with kind 'unknown'."""
    for idx, row in enumerate(rows[:30]):
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
        normed = [norm(c) for c in cells]
        has_school = any(n in LONG_HEADERS["school"] for n in normed)
        per_school = (any(n in LONG_HEADERS["indicator"] for n in normed)
                      and any(n in LONG_HEADERS["value"] | LONG_HEADERS["numerator"] for n in normed))
        if not (has_school or per_school):
            continue
        depth = 1
        while depth < 3 and idx + depth < len(rows):
            nxt = rows[idx + depth]
            filled = [c for c in nxt if not _blank(c)]
            if not filled or any(_numeric(c) for c in filled):
                break
            school_j = next(j for j, n in enumerate(normed) if n in LONG_HEADERS["school"] | LONG_HEADERS["indicator"])
            if school_j < len(nxt) and not _blank(nxt[school_j]):
                break  # the school column has a value: a data row, not more header
            depth += 1
        width = max(len(r) for r in rows[idx:idx + depth])
        tops = _filled_top(rows[idx], width, [m for m in ctx.merged if m[0] <= idx <= m[2]])
        subs_of = {j: [cell_text(rows[idx + d][j]) if j < len(rows[idx + d]) else "" for d in range(1, depth)]
                   for j in range(width)}
        for j in range(1, width):  # no merge information (.ods, .csv): «всего» | «из них» under one title
            if not tops[j] and any(subs_of[j]) and tops[j - 1] and any(subs_of[j - 1]):
                tops[j] = tops[j - 1]
        cols, heads = {}, {}
        for j in range(width):
            subs = subs_of[j]
            top, sub = tops[j], " ".join(x for x in subs if x)
            heads[j] = " / ".join(x for x in [top, *subs] if x)
            if not heads[j]:
                continue
            got = ctx.classify(top, sub)
            if got and got[0] == "long" and got[1] == "school" and ("long", "school") in cols.values():
                got = ("long", "school_name") if norm(top) not in {"код", "кодоо", "кодшколы"} else None
            cols[j] = got or ("unknown", "")
        return idx, depth, cols, heads
    return None


def _filled_top(row: list, width: int, merged: list[tuple[int, int, int, int]]) -> list[str]:
    """The first header row with horizontally merged cells (an indicator over its «всего» / «из
    них») repeated over every column they cover."""
    tops = [cell_text(row[j]) if j < len(row) else "" for j in range(width)]
    for r0, c0, r1, c1 in merged:
        for j in range(c0 + 1, min(c1 + 1, width)):
            if not tops[j]:
                tops[j] = tops[c0] if c0 < width else ""
    return tops


def _parse_grid(sheet: str, rows: list[list], wb: Workbook, ctx: _Context, out: Parsed) -> bool:
    formulas = wb.formulas.get(sheet, set())
    ctx.merged = wb.merged.get(sheet, [])
    found = _header_row(rows, ctx)
    if found is None:
        return False
    h_idx, depth, cols, heads = found
    start = h_idx + depth
    hidden = wb.hidden_rows.get(sheet, set())
    data_rows = [i for i in range(start, len(rows)) if not _blank_row(rows[i])]
    if data_rows and _column_numbers(rows[data_rows[0]]):
        data_rows = data_rows[1:]  # «1 | 2 | 3 | …» under the header, as in official forms
    # columns nobody recognised: with numbers in them a question, otherwise a warning
    questions, problems = [], []
    nth: dict[str, int] = {}  # how many unknown columns of this sheet had each header before
    for j, (kind, _) in sorted(cols.items()):
        if kind != "unknown":
            continue
        letter = col_letter(j + 1)
        qkey = f"column:{sheet}:{letter}"
        head = norm(heads[j])
        # the header and its place among this sheet's columns of that header: two «Число» columns of
        # one sheet are two questions, and a later sheet's second «Число» takes the second answer
        hkey = (head, nth.get(head, 0)) if head else None
        if head:
            nth[head] = nth.get(head, 0) + 1
        answer = ctx.answers.get(qkey) or (ctx.header_answers.get(hkey) if hkey else None)
        if answer and hkey:
            ctx.header_answers.setdefault(hkey, answer)
        numeric = any(j < len(rows[i]) and _numeric(rows[i][j]) for i in data_rows[:2000])
        if answer == "skip":
            cols[j] = ("skip", "")
        elif answer and ":" in answer and answer.split(":", 1)[1] in PARTS:
            cols[j] = ("key", answer)
        elif numeric and hkey and hkey in ctx.asked:  # asked on an earlier sheet: that answer will serve here
            if sheet not in ctx.asked[hkey][1]:
                ctx.asked[hkey][1].append(sheet)
            cols[j] = ("skip", "")
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
            cols[j] = ("skip", "")
        else:
            problems.append(Problem("warning", "столбец не распознан и пропущен (в нём нет чисел)", sheet, start,
                                    letter, heads[j]))
            cols[j] = ("skip", "")
    if not questions:  # a share's «%» with no counts beside it: never dropped silently
        counted = {key for kind, key in cols.values() if kind == "key"}
        by_code = {i["code"]: i for i in ctx.indicators}
        for j, (kind, code) in sorted(cols.items()):
            ind = by_code.get(code)
            if kind != "percent" or ind is None or ctx.answers.get(f"column:{sheet}:{col_letter(j + 1)}") == "skip":
                continue
            if {f"{code}:numerator", f"{code}:denominator"} <= counted:
                continue
            if any(j < len(rows[i]) and not _blank(rows[i][j]) for i in data_rows[:2000]):
                den, num = ind.get("denominator_label") or "всего", ind.get("numerator_label") or "из них"
                problems.append(Problem(
                    "error", f"доля «{ind['short_name']}» задана только процентом, а загружается двумя числами: "
                             f"«{den}» (всего) и «{num}» (из них) — процент приложение считает само (по территории — "
                             "сумма «из них» к сумме «всего»). Добавьте эти два столбца (как в шаблоне) или удалите "
                             "столбец процентов", sheet, h_idx + 1, col_letter(j + 1), heads[j]))
    if not questions and not any(p.level == "error" for p in problems) and not any(kind == "key" for kind, _ in cols.values()) and not any(
            k in ("value", "numerator", "denominator") for kind, k in cols.values() if kind == "long"):
        return False  # no quantity in this table: not the data (a list of schools, a notes sheet)
    out.questions.extend(questions)
    out.problems.extend(problems)
    if out.period is None:
        _period_from_titles(sheet, rows[:h_idx], out)
    long_cols = {k: j for j, (kind, k) in cols.items() if kind == "long"}
    school_col = long_cols.get("school")
    name_col = long_cols.get("school_name")
    if school_col is None and name_col is not None:
        school_col, name_col = name_col, None
    sheet_school = None
    if school_col is None:  # a sheet per school: the school is the sheet's name or its title
        titles = [cell_text(r[0]) for r in rows[:h_idx] if r and cell_text(r[0]) and not find_period(r[0])]
        sheet_school = titles[0] if GENERIC_SHEET.match(sheet.strip()) and titles else sheet
        sheet_school = re.sub(r"^(школа|оо|организация)\s*:\s*", "", sheet_school, flags=re.I)
    letters = {j: col_letter(j + 1) for j in cols}
    value_cols = [(part, long_cols[part]) for part in PARTS if part in long_cols]
    key_cols = [(j, *key.split(":", 1)) for j, (kind, key) in sorted(cols.items()) if kind == "key"]
    period_col = long_cols.get("period")
    ind_col = long_cols.get("indicator")
    heads = {j: heads.get(j) or (cols[j][1]) for j in cols}
    texts: dict[str, str] = {}  # a long table repeats its codes, names and periods: each text cleaned once

    def text_of(v) -> str:
        if v.__class__ is not str:
            return cell_text(v)
        t = texts.get(v)
        if t is None:
            t = texts[v] = cell_text(v)
        return t

    totals: dict[str, bool] = {}
    for i in data_rows:
        row = rows[i]
        rownum = i + 1
        n = len(row)
        if sheet_school is not None:
            school = sheet_school
        else:
            school = text_of(row[school_col]) if school_col < n else ""
            if not school and name_col is not None and name_col < n:
                school = text_of(row[name_col])
        total = totals.get(school)
        if total is None:
            total = totals[school] = bool(TOTAL_ROW.match(school))
        if total or (name_col is not None and name_col < n and TOTAL_ROW.match(text_of(row[name_col]))):
            continue  # «Итого» row
        if not school:
            out.problems.append(Problem("error", "не указана школа (код или наименование)", sheet, rownum,
                                        col_letter((school_col or 0) + 1), hidden=(rownum,) if rownum in hidden else ()))
            continue
        period = None
        if period_col is not None and period_col < n:
            period = text_of(row[period_col]) or None
        if ind_col is not None:  # long table: one row per school x indicator x period
            ind = text_of(row[ind_col]) if ind_col < n else ""
            for part, j in value_cols:
                if j < n and (not _blank(row[j]) or (rownum, j + 1) in formulas):
                    out.entries.append(Entry(school, ind, period, part, row[j], sheet, rownum, letters[j],
                                             heads[j] or part, (rownum, j + 1) in formulas))
            continue
        for j, ind, part in key_cols:
            if j < n:
                out.entries.append(Entry(school, ind, period, part, row[j], sheet, rownum, letters[j], heads[j],
                                         (rownum, j + 1) in formulas))
    return True


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
