"""A draft roadmap workbook from the office's own Word document (.docx).

`draft(data, file_name)` reads the document's tables — the plan table(s) found by their headers
(«№ п/п», «Мероприятие», «Срок», «Ответственные», «Ожидаемый результат», «Форма отчёта», «Код
параметра», year columns), their continuation tables after a page break, merged cells, section and
subsection rows — plus the control points, targets and risk tables when present, and the title,
approving order and territory from the text before the first table. `workbook(draft)` writes the
regular roadmap workbook (core.roadmap_book) with a «Проверить» column on each sheet saying what
was inferred and why; the methodologist reviews it in Excel and loads it through the importer,
which ignores that column. Nothing here touches the database.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field
from typing import Any

from core.formatting import plural
from core.ingest.excel import check_size
from core.ingest.problems import IngestError
from core.roadmap import parse_deadline
from core.roadmap_book import MAIN_FIELDS, MAIN_SHEET, SHEETS
from core.roadmap_book import write as write_book
from core import territory_match
from core.safe_xlsx import neutralise

CHECK = "Проверить"
CHECK_HINT = "что выведено из документа и почему; проверьте и очистите ячейку"
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
PLAN_COLUMNS = "«№ п/п», «Мероприятие», «Срок», «Ответственные» (и, если есть, «Ожидаемый результат», «Форма отчёта», «Код параметра»)"


class DraftError(IngestError):
    """The document cannot be drafted (a Russian message saying what the reader needs)."""


# ---------------------------------------------------------------------------------------------
# The document as blocks: paragraphs and tables (grids of cells)
# ---------------------------------------------------------------------------------------------
@dataclass
class Para:
    text: str
    numbered: bool = False  # Word's automatic list numbering (the number is not in the text)
    bold: bool = False


@dataclass
class TCell:
    paras: list[str]
    italic: bool = False
    span: int = 1
    merged: bool = False  # continues the cell above (vertical merge)
    bold: bool = False

    @property
    def text(self) -> str:
        return _clean("\n".join(self.paras))


# a word split by a hyphen at a line's end («монито-» / «ринг»); a compound («учебно-» / «методический»)
# and a range of months («июнь-» / «июль») keep their hyphen
_HYPHEN_RE = re.compile(r"([А-Яа-яЁё]{2,})[-\u00ad][ \t]*\n\s*([а-яё]{2,})")
_ADJ_END = re.compile(r"(ий|ый|ой|ая|яя|ое|ее|ые|ие|ого|его|ых|их|ому|ему|ыми|ими|ую|юю|ой)$")
_MONTH_START = re.compile(r"(январ|феврал|март|апрел|ма[йяе]|июн|июл|август|сентябр|октябр|ноябр|декабр)")


def _join_hyphen(m: re.Match) -> str:
    a, b = m.group(1), m.group(2)
    if _MONTH_START.match(b) or (a[-1:].lower() in ("о", "е") and _ADJ_END.search(b)):
        return f"{a}-{b}"
    return a + b


def _clean(s: str) -> str:
    s = (s or "").replace("\u00a0", " ")
    if "\n" in s:
        s = _HYPHEN_RE.sub(_join_hyphen, s)
    return re.sub(r"\s+", " ", s).strip()


def _runs_text(p) -> tuple[str, bool, bool]:
    """Text of a w:p, whether all its text is italic, whether all of it is bold."""
    out, italic, bold, any_text = [], True, True, False
    for r in p.iter(W + "r"):
        t = "".join((x.text or "") if x.tag == W + "t" else
                    ("\n" if x.tag in (W + "br", W + "cr") else " " if x.tag == W + "tab" else "") for x in r)
        if not t.strip():
            out.append(t)
            continue
        any_text = True
        rpr = r.find(W + "rPr")
        i = rpr.find(W + "i") if rpr is not None else None
        b = rpr.find(W + "b") if rpr is not None else None
        italic &= i is not None and i.get(W + "val") not in ("0", "false")
        bold &= b is not None and b.get(W + "val") not in ("0", "false")
        out.append(t)
    return "".join(out), italic and any_text, bold and any_text


def _table(tbl) -> list[list[TCell]]:
    """A table as a grid: one TCell per grid column; a horizontally merged cell is repeated with
    its span, a vertically merged one repeats the text of the cell it continues."""
    rows: list[list[TCell]] = []
    for tr in _own(tbl, "tr", "tbl"):  # rows, also those wrapped in content controls (w:sdt)
        row: list[TCell] = []
        trpr = tr.find(W + "trPr")
        before = trpr.find(W + "gridBefore") if trpr is not None else None
        if before is not None:
            row.extend(TCell([]) for _ in range(int(before.get(W + "val") or 0)))
        for tc in _own(tr, "tc", "tr"):
            pr = tc.find(W + "tcPr")
            span, vmerge = 1, None
            if pr is not None:
                gs = pr.find(W + "gridSpan")
                span = int(gs.get(W + "val")) if gs is not None else 1
                vm = pr.find(W + "vMerge")
                vmerge = (vm.get(W + "val") or "continue") if vm is not None else None
            paras, italic, bold = [], True, True
            for p in tc.iter(W + "p"):  # with the text of a table nested in the cell
                t, it, b = _runs_text(p)
                if t.strip():
                    paras.append(t)
                    italic &= it
                    bold &= b
            col = len(row)
            if vmerge == "continue" and rows and col < len(rows[-1]):
                above = rows[-1][col]
                cell = TCell(list(above.paras), above.italic, span, True, above.bold)
            else:
                cell = TCell(paras, italic and bool(paras), span, bold=bold and bool(paras))
            row.extend([cell] * span)
        rows.append(row)
    return rows


def _own(el, tag: str, owner: str) -> list:
    """The `tag` descendants of `el` whose nearest `owner` ancestor is `el` itself."""
    return [x for x in el.iter(W + tag) if next(x.iterancestors(W + owner), None) is el]


MAX_XML_BYTES = 60 * 1024 * 1024  # the unpacked text of the document; a bigger one is refused, not read


def _blocks(data: bytes, file_name: str) -> list:
    check_size(data, file_name)
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" or file_name.lower().endswith(".doc"):
        raise DraftError(f"«{file_name}» — документ Word старого формата (.doc). Откройте его в Word и сохраните как "
                         ".docx (Файл → Сохранить как → Документ Word), затем загрузите снова.")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            if z.getinfo("word/document.xml").file_size > MAX_XML_BYTES:
                raise DraftError(f"«{file_name}»: документ слишком велик для чтения (текст больше "
                                 f"{MAX_XML_BYTES // 1024 // 1024} МБ без сжатия). Оставьте в нём только дорожную карту.")
            xml = z.read("word/document.xml")
    except (zipfile.BadZipFile, KeyError, OSError):
        raise DraftError(f"«{file_name}» не является документом Word (.docx). Загрузите дорожную карту в формате "
                         ".docx; документ .doc или .pdf откройте в Word и сохраните как .docx.") from None
    from lxml import etree

    try:
        root = etree.fromstring(xml, etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError:
        raise DraftError(f"«{file_name}»: документ Word повреждён и не читается.") from None
    body = root.find(W + "body")
    out: list = []
    for el in _flat(body) if body is not None else []:
        if el.tag == W + "p":
            t, _, b = _runs_text(el)
            ppr = el.find(W + "pPr")
            out.append(Para(_clean(t), ppr is not None and ppr.find(W + "numPr") is not None, b))
        elif el.tag == W + "tbl":
            out.append(_table(el))
    return out


def _flat(body) -> list:
    """The body's paragraphs and tables in order, content controls (w:sdt) opened."""
    out = []
    for el in body:
        if el.tag == W + "sdt":
            content = el.find(W + "sdtContent")
            out.extend(_flat(content) if content is not None else [])
        else:
            out.append(el)
    return out


# ---------------------------------------------------------------------------------------------
# Headers
# ---------------------------------------------------------------------------------------------
# role -> (exact headers, stems that match loosely); the order of ROLE_ORDER decides ties
EXACT = {
    "number": {"№", "№ п/п", "п/п", "№п/п", "n п/п"},
    "title": {"мероприятие", "мероприятия", "наименование мероприятия", "основные мероприятия", "содержание действия",
              "содержание мероприятия", "наименование мероприятий"},
    "deadline": {"срок", "сроки", "срок исполнения", "сроки исполнения", "срок реализации", "сроки реализации",
                 "дата проведения", "срок проведения", "сроки проведения"},
    "responsible": {"ответственный", "ответственные", "ответственный исполнитель", "ответственные исполнители",
                    "исполнитель", "исполнители"},
    "expected_result": {"ожидаемый результат", "ожидаемые результаты", "результат"},
    "report_form": {"форма отчета", "формы отчета", "форма отчетности", "формы отчетных документов",
                    "отчетный документ", "форма отчетного документа"},
    "form": {"форма", "форма проведения"},
    "participants": {"участники", "контингент", "целевая аудитория"},
    "venue": {"место проведения", "место"},
    "risks": {"код параметра", "коды параметров", "код параметра риска", "параметры риска", "код", "код риска"},
    "direction": {"направление", "направления", "направление деятельности", "направление работы", "раздел",
                  "раздел плана", "направления деятельности"},
    "control": {"контрольная точка", "контрольные точки"},
}


def _role(h: str) -> tuple[str | None, bool]:
    """(role, exact) of a header cell."""
    t = _clean(h).lower().replace("ё", "е").rstrip(":. ")
    if not t or len(t) > 90:
        return None, False
    if re.fullmatch(r"20\d\d(\s*г(од|\.)?)?", t):
        return "year", True
    for role, names in EXACT.items():
        if t in names:
            return role, True
    if t.startswith("№") and len(t) <= 8:
        return "number", False
    if "код" in t and ("параметр" in t or "риск" in t):
        return "risks", False
    if t.startswith("направлени"):
        return "direction", False
    if "информацион" in t and "сопровожд" in t:
        return "report_form", False
    if "контрольн" in t and "точк" in t:
        return "control", False
    if "групп" in t and "риск" in t:
        return "risk_group", False
    if "индикатор" in t:
        return "progress", False
    if "целев" in t and "ориентир" in t:
        return "goals", False
    if "перечень" in t or "проявля" in t or "выявлен" in t or t in ("школы", "оо"):
        return "found_in", False
    if "фактор" in t:
        return "factor", False
    if "базов" in t:
        return "baseline", False
    if "целев" in t and "показател" in t:
        return "target", False
    if "показател" in t and "реализац" not in t and ("наименование" in t or t.startswith("показател")):
        return "target", False
    if "целевое значение" in t or t.startswith("значение"):
        return "value", False
    if "ответствен" in t or "исполнител" in t:
        return "responsible", False
    if "форм" in t and ("отчет" in t or "документ" in t):
        return "report_form", False
    if "документ" in t and "результат" in t:
        return "report_form", False
    if "срок" in t or "дата" in t or "период" in t:
        return "deadline", False
    if "мероприят" in t or "содержание" in t or "действи" in t or t.startswith("наименование мер"):
        return "title", False
    if "результат" in t or "показатель реализации" in t:
        return "expected_result", False
    if t.startswith("форм"):
        return "form", False
    if "контингент" in t or "участник" in t or "аудитори" in t:
        return "participants", False
    if "место" in t:
        return "venue", False
    if t in ("параметры", "параметр") or "параметр" in t:
        return "param", False
    if "наименование" in t:
        return "name", False
    return None, False


ROLE_LABEL = {"number": "№ п/п", "title": "Мероприятие", "deadline": "Срок", "responsible": "Ответственные",
              "expected_result": "Ожидаемый результат", "report_form": "Форма отчёта", "form": "Форма проведения",
              "participants": "Участники", "venue": "Место проведения", "risks": "Код параметра",
              "control": "Контрольная точка", "direction": "Направление"}


@dataclass
class Header:
    kind: str  # plan | control | audit | risk_groups | targets
    cols: dict[str, int]  # role -> grid column
    years: dict[int, int]  # grid column -> year
    rows: int  # header rows
    width: int
    loose: list[str] = field(default_factory=list)  # «header» taken as «role»
    texts: dict[str, str] = field(default_factory=dict)  # role -> the header as written
    dropped: dict[int, str] = field(default_factory=dict)  # grid column -> a header the workbook has no field for


def _header(grid: list[list[TCell]]) -> Header | None:
    cols: dict[str, int] = {}
    years: dict[int, int] = {}
    loose: dict[str, str] = {}
    texts: dict[str, str] = {}
    unknown: dict[int, str] = {}
    n_rows = 0
    for i, row in enumerate(grid[:4]):
        found, row_years = 0, {}
        row_roles: list[tuple[str, int, str, bool]] = []
        seen: set[str] = set()
        row_unknown: dict[int, str] = {}
        for j, c in enumerate(row):
            if c.text in seen:
                continue
            role, exact = _role(c.text)
            if role is None:
                if c.text and not re.fullmatch(r"[\d.]+", c.text):
                    row_unknown[j] = c.text
                continue
            seen.add(c.text)
            found += 1
            if role == "year":
                row_years[j] = int(c.text[:4])
            else:
                row_roles.append((role, j, c.text, exact))
        if not (found >= 2 or row_years):
            distinct = {c.text for c in row if c.text}
            if not n_rows and i < 2 and len(distinct) <= 1:  # a caption row above the header («План мероприятий»)
                continue
            break
        n_rows = i + 1
        years.update(row_years)
        unknown.update(row_unknown)
        for role, j, text, exact in row_roles:
            if role in cols and cols[role] != j and grid[i][cols[role]].text == text:
                continue
            cols.setdefault(role, j)
            texts.setdefault(role, text)
            if not exact:
                loose.setdefault(role, text)
    if not n_rows:
        return None
    if n_rows < len(grid) and _is_numbering(grid[n_rows]):
        n_rows += 1
    for j in years:  # a group header over the year columns («Ключевые мероприятия, сроки реализации»)
        for role in ("deadline", "title", "expected_result"):
            if cols.get(role) == j:
                del cols[role]
    width = max(len(r) for r in grid)
    if "control" in cols:
        kind = "control"
    elif "title" in cols and ("deadline" in cols or years or "responsible" in cols):
        kind = "plan"
    elif "risks" in cols and ("param" in cols or "factor" in cols or "name" in cols):
        kind = "audit"
    elif "risk_group" in cols:
        kind = "risk_groups"
    elif "target" in cols:
        kind = "targets"
    else:
        return None
    notes = [f"заголовок «{loose[r]}» принят за «{ROLE_LABEL[r]}»" for r in ROLE_LABEL if r in loose and r in cols]
    taken = set(cols.values()) | set(years)
    dropped = {j: t for j, t in unknown.items() if j not in taken and t not in texts.values()}
    return Header(kind, cols, years, n_rows, width, notes, texts, dropped)


def _is_numbering(row: list[TCell]) -> bool:
    texts = [c.text.rstrip(".") for k, c in enumerate(row) if c.text and (k == 0 or c is not row[k - 1])]
    return len(texts) >= 3 and all(t == str(k) for k, t in enumerate(texts, start=1))


# ---------------------------------------------------------------------------------------------
# The draft
# ---------------------------------------------------------------------------------------------
@dataclass
class Draft:
    file_name: str
    book: dict = field(default_factory=dict)  # for core.roadmap_book.write
    # sheet -> notes per row; MAIN_SHEET -> notes per field
    checks: dict[str, list[str] | dict[str, str]] = field(default_factory=dict)
    to_fill: list[str] = field(default_factory=list)  # what the user must fill before loading
    dropped: list[str] = field(default_factory=list)  # columns of the document the workbook has no field for

    def rows(self, sheet: str) -> list[dict]:
        return self.book.setdefault(sheet, [])

    def add(self, sheet: str, row: dict, notes: list[str]) -> None:
        self.rows(sheet).append(row)
        self.row_notes(sheet).append("; ".join(dict.fromkeys(n for n in notes if n)))

    def row_notes(self, sheet: str) -> list[str]:
        """The notes of a plan sheet's rows, one a row (MAIN_SHEET's are per field)."""
        notes = self.checks.setdefault(sheet, [])
        if not isinstance(notes, list):
            raise TypeError(f"{sheet}: notes per field, not per row")
        return notes

    def n_checks(self) -> int:
        return sum(1 for v in self.checks.values() for x in (v.values() if isinstance(v, dict) else v) if x)

    KINDS = (("Мероприятия", ("мероприятие", "мероприятия", "мероприятий")),
             ("Направления", ("направление", "направления", "направлений")),
             ("Контрольные точки", ("контрольная точка", "контрольные точки", "контрольных точек")),
             ("Целевые показатели", ("целевой показатель", "целевых показателя", "целевых показателей")),
             ("Группы рисков", ("группа рисков", "группы рисков", "групп рисков")),
             ("Параметры риска", ("параметр риска", "параметра риска", "параметров риска")))

    def counts(self) -> dict[str, int]:
        """What was found, by kind (the sheets of the draft), and the notes to check on each."""
        return {sheet: len(self.rows(sheet)) for sheet, _ in self.KINDS}

    def checks_by_sheet(self) -> dict[str, int]:
        out = {}
        for sheet in [MAIN_SHEET] + [k for k, _ in self.KINDS]:
            v = self.checks.get(sheet) or []
            n = sum(1 for x in (v.values() if isinstance(v, dict) else v) if x)
            if n:
                out[sheet] = n
        return out

    def found_text(self) -> str:
        """What was read, by kind, and how many guesses are marked, sheet by sheet."""
        acts = self.rows("Мероприятия")
        stages = sorted({a["stage"] for a in acts if a.get("stage")})
        parts = []
        for sheet, forms in self.KINDS:
            k = len(self.rows(sheet))
            if k or sheet == "Мероприятия":
                parts.append(f"{k} {plural(k, forms)}" + (f" (по годам {', '.join(stages)})"
                                                         if sheet == "Мероприятия" and stages else ""))
        text = f"Найдено: {', '.join(parts)}. "
        if self.dropped:
            text += (f"Не перенесены столбцы документа, для которых в файле нет поля: {', '.join(self.dropped)} — их "
                     f"текст записан в столбец «{CHECK}» у каждой строки. ")
        k = self.n_checks()
        if k:
            where = ", ".join(f"«{sheet}» — {n}" for sheet, n in self.checks_by_sheet().items())
            text += (f"Пометок «{CHECK}»: {k} ({where}) — это догадки чтения: что предположено и что ещё возможно; "
                     "просмотрите их в Excel.")
        else:
            text += "Догадок нет, но просмотрите черновик перед загрузкой."
        return text

    def fill_text(self) -> str:
        """What the user must fill before the importer takes the draft."""
        return ("Перед загрузкой проверьте или заполните: " + "; ".join(self.to_fill) + ".") if self.to_fill else ""

    def summary(self) -> str:
        return " ".join(x for x in (self.found_text(), self.fill_text()) if x)


def draft(data: bytes, file_name: str, territories: list[tuple[str, str]] | None = None) -> Draft:
    """Read a .docx and build the draft workbook's content; DraftError if it cannot. `territories`:
    (code, name) of those in the system the user may load for — the one the document names is proposed
    with its code."""
    blocks = _blocks(data, file_name)
    d = Draft(file_name)
    tables = [(i, b) for i, b in enumerate(blocks) if isinstance(b, list)]
    heads = [(i, g, _header(g)) for i, g in tables]
    if not any(h and h.kind == "plan" for _, _, h in heads):
        paras = [b for b in blocks if isinstance(b, Para) and b.text]
        listed = sum(1 for p in paras if p.numbered or re.match(r"^\d+(\.\d+)*[.)]\s", p.text))
        why = (f"мероприятия записаны списком ({listed} {plural(listed, ('пункт', 'пункта', 'пунктов'))}), а не таблицей"
               if listed >= 3 else
               "в документе нет таблиц" if not tables else
               f"ни в одной из таблиц ({len(tables)}) нет строки заголовков плана")
        raise DraftError(f"В «{file_name}» не найдена таблица плана мероприятий: {why}. Черновик строится по таблице "
                         f"со столбцами {PLAN_COLUMNS}; оформите план такой таблицей (Вставка → Таблица), сохраните "
                         "как .docx и загрузите снова.")
    first_table = tables[0][0]
    intro = [b for b in blocks[:first_table] if isinstance(b, Para)]
    text_dirs = _text_directions(intro)
    reader = _PlanReader(d, text_dirs)
    last: Header | None = None
    prev_end = 0  # the block after the previous table
    for idx, (i, grid, h) in enumerate(heads):
        if h is None and last is not None and max(len(r) for r in grid) == last.width:
            # a continuation table after a page break: same columns, no header row
            h = Header(last.kind, last.cols, last.years, 0, last.width,
                       ["продолжение таблицы без строки заголовков: столбцы взяты из таблицы выше"], last.texts,
                       last.dropped)
        between = [b for b in blocks[prev_end:i] if isinstance(b, Para) and b.text]
        prev_end = i + 1
        if h is None:
            last = None
            continue
        body = grid[h.rows:]
        if h.kind == "plan":
            heading = _heading(between, first=not reader.rows and reader.section is None)
            if heading is not None:  # «3. Работа с родителями» typed between two pieces of the table
                reader.section_heading(*heading)
            for j, head in h.dropped.items():
                msg = f"«{head}»" + (f" (таблица под заголовком «{fmt_clip(between[-1].text)}»)" if between else "")
                if msg not in d.dropped:
                    d.dropped.append(msg)
            reader.table(body, h)
        elif h.kind == "control":
            _control_points(d, body, h)
        elif h.kind == "audit":
            _audit(d, body, h)
        elif h.kind == "risk_groups":
            _risk_groups(d, body, h)
        elif h.kind == "targets":
            _targets(d, body, h)
        last = h
    reader.finish()
    _target_paragraphs(d, blocks)
    _main(d, intro, blocks, file_name, territories)
    _check_years(d)
    return d


_HEADING_RE = re.compile(r"^(?:(?:раздел|направление)\s*№?\s*)?(\d+|[IVX]+)[.)]?\s+(?=[А-ЯЁA-Z«\"])(.{3,200})$")
_NOT_HEADING = re.compile(r"(продолжение|дорожн\w+ карт|план мероприятий|целев\w+ показател|контрольн\w+ точ|риск|утвержд|приложени)",
                          re.I)


def _heading(paras: list[Para], first: bool) -> tuple[str, str] | None:
    """A section typed as a paragraph just above (a piece of) the plan table: (text, note) or None.
    «3. Работа с родителями» or «Раздел II. …» is read as written; an unnumbered one — a paragraph in
    bold or with Word's list numbering, or any short line above a table that has its own header — only
    between tables, and its number is assigned by order (said in the note)."""
    if not paras:
        return None
    p = paras[-1]
    text = p.text.strip()
    if len(text) > 200 or _NOT_HEADING.search(text) or text.endswith((":", ";")):
        return None
    m = _HEADING_RE.match(text)
    if m:
        if first and _arabic(m.group(1)) != "1":
            return None
        return text, ""
    if first:
        return None
    if p.bold or p.numbered or (len(text) <= 120 and text[:1].isupper() and not text.endswith(".")):
        return text, (f"раздел «{fmt_clip(text)}» взят из заголовка над частью таблицы; если это не направление "
                      "плана, перенесите его мероприятия в нужное направление")
    return None


# ---------------------------------------------------------------------------------------------
# The text before the first table
# ---------------------------------------------------------------------------------------------
def _text_directions(intro: list[Para]) -> list[tuple[str, str]]:
    """A numbered list of directions under a heading like «Основные направления деятельности:»."""
    out: list[tuple[str, str]] = []
    on = False
    for p in intro:
        if not p.text:
            continue
        low = p.text.lower()
        if not on and "направлени" in low and p.text.rstrip().endswith(":"):
            on = True
            continue
        if on:
            m = re.match(r"^(\d+)[.)]\s*(.+)$", p.text)
            if m:
                out.append((m.group(1), m.group(2).strip().rstrip(";.")))
            elif p.numbered:
                out.append((str(len(out) + 1), p.text.rstrip(";.")))
            else:
                break
    return out


_GEN_ENDINGS = [("городского", "городской"), ("городском", "городской"), ("ского", "ский"), ("цкого", "цкий"), ("ском", "ский"), ("цком", "цкий"), ("ного", "ный"),
                ("ном", "ный"), ("района", "район"), ("районе", "район"), ("округа", "округ"), ("округе", "округ"),
                ("города", "город"), ("городе", "город"), ("образовании", "образование"), ("образования", "образование")]


def _nominative(words: str) -> str:
    out = []
    for w in words.split():
        low = w.lower()
        for a, b in _GEN_ENDINGS:
            if low.endswith(a):
                w = w[: len(w) - len(a)] + b
                break
        out.append(w)
    return " ".join(out)


_TERRITORY_RE = re.compile(
    r"(?:(?:в|во)\s+)?(?P<t>(?:город[еа]?\s+[А-ЯЁ][а-яё-]+)|"
    r"(?:[А-ЯЁ][а-яё-]+(?:ского|ском|цкого|цком)\s+(?:муниципальн(?:ого|ом)\s+)?(?:городск(?:ого|ом)\s+)?"
    r"(?:район[аеу]?|округ[аеу]?))|"
    r"(?:муниципальн(?:ом|ого)\s+образовани[яи]\s+[А-ЯЁ][а-яё-]+\s+район))")
_REGION_RE = re.compile(r"([А-ЯЁ][а-яё-]+)(ой|ого)\s+(област[иь]|кра[яй])")
_TRANSLIT = dict(zip("абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
                     ["a", "b", "v", "g", "d", "e", "e", "zh", "z", "i", "y", "k", "l", "m", "n", "o", "p", "r", "s",
                      "t", "u", "f", "kh", "ts", "ch", "sh", "sch", "", "y", "", "e", "yu", "ya"]))


def _translit(s: str) -> str:
    return re.sub(r"[^a-z0-9-]+", "", "".join(_TRANSLIT.get(ch, ch) for ch in s.lower()))


def _main(d: Draft, intro: list[Para], blocks: list, file_name: str,
          territories: list[tuple[str, str]] | None = None) -> None:
    paras = [p for p in intro if p.text]
    texts = [p.text for p in paras]
    checks: dict[str, str] = {}
    main: dict[str, Any] = {}
    title = _title(paras)
    if title:
        main["title"] = title
        checks["title"] = "название взято из текста перед первой таблицей"
    else:
        d.to_fill.append("название дорожной карты (лист «Дорожная карта»)")
        checks["title"] = "название в документе не найдено"
    _approved_by(texts, main, checks)
    hay = " ".join([title or ""] + texts)
    _territory(d, title, hay, main, checks, territories)
    r = _REGION_RE.search(hay)
    if r:
        ending = "ая" if r.group(2) == "ой" else "ий"
        noun = "область" if r.group(3).startswith("област") else "край"
        main["region"] = f"{r.group(1)}{ending} {noun}"
        checks["region"] = f"регион выведен из слов «{r.group(0)}»"
    _years(d, title, main, checks)
    _goal(texts, main, checks)
    # the roadmap code
    year = main.get("year_from") or ""
    stem = _translit((main.get("territory_name") or "").replace("город ", ""))[:3]
    main["code"] = f"{stem}-{year}".strip("-") if stem else None
    if main["code"]:
        checks["code"] = "код предложен из территории и года; он должен быть уникален в системе"
    else:
        d.to_fill.append("код дорожной карты (лист «Дорожная карта»)")
        checks["code"] = "заполните код: латиница, цифры, дефис"
    main["source"] = f"Документ Word «{file_name}» (черновик, прочитан автоматически)"
    d.book["roadmap"] = main
    d.checks[MAIN_SHEET] = checks
    if main.get("territory_code"):
        d.to_fill.insert(0, f"код территории — как он записан в системе (предложен «{main['territory_code']}»"
                            + (", он есть в системе)" if territories and main["territory_code"] in dict(territories)
                               else ")"))
    if main.get("code"):
        d.to_fill.insert(1 if main.get("territory_code") else 0,
                         f"код дорожной карты, уникальный в системе (предложен «{main['code']}»)")


def _title(paras: list[Para]) -> str | None:
    """The paragraph naming the plan (a bold one first), with the lines that continue it."""
    texts = [p.text for p in paras]
    named = [k for k, t in enumerate(texts) if len(t) < 600 and re.match(
        r"^(муниципальн\w+\s+)?[«\"]?(дорожн\w+ карт|план мероприятий|план действий)", t, re.I)]
    named.sort(key=lambda k: not paras[k].bold)
    if not named:
        return None
    k = named[0]
    parts = [texts[k]]
    for nxt in texts[k + 1: k + 5]:
        if nxt[:1].islower() or re.match(r"^(на|в|во|по)\s", nxt):
            parts.append(nxt)
        else:
            break
    return _clean(" ".join(parts)).strip("*")


def _approved_by(texts: list[str], main: dict[str, Any], checks: dict[str, str]) -> None:
    """The approving order: «Утверждён приказом … от … № …» over a few lines."""
    for k, t in enumerate(texts):
        if re.search(r"\bприказ", t, re.I) and re.search(r"№\s*\d+|\bот\s+[«\"]?\d", t + " ".join(texts[k + 1:k + 4])):
            start = k
            while start > 0 and start > k - 3 and re.match(r"^(утвержд|приложени)", texts[start - 1], re.I):
                start -= 1
            block = [texts[start]]
            for nxt in texts[start + 1: start + 8]:
                block.append(nxt)
                if re.search(r"№\s*\d+", nxt) or re.search(r"№\s*\d+", block[0]) and re.search(r"\d{4}", nxt):
                    break
            if not re.search(r"№\s*\d+", " ".join(block)):
                continue
            main["approved_by"] = _clean(" ".join(block))
            checks["approved_by"] = "приказ найден в тексте перед первой таблицей; проверьте, что взяты его реквизиты"
            break


def _territory(d: Draft, title: str | None, hay: str, main: dict[str, Any], checks: dict[str, str],
               territories: list[tuple[str, str]] | None) -> None:
    """The territory from the title or the text, matched to the system's territories when it has one like it."""
    m = _TERRITORY_RE.search(title or "") or _TERRITORY_RE.search(hay)
    if not m:
        checks["territory_name"] = "территория в тексте не найдена"
        d.to_fill.append("территорию и её код (лист «Дорожная карта»)")
        return
    name = _nominative(m.group("t"))
    name = re.sub(r"^(город)\s+([А-ЯЁ][а-яё-]+?)(е|а)$", r"\1 \2", name)
    name = re.sub(r"^муниципальн\w+ образовани\w+\s+(\S+)\s+район$", r"\1 район", name)
    name = name[0].upper() + name[1:] if not name.startswith("город") else name
    main["territory_name"] = name
    checks["territory_name"] = f"территория выведена из слов «{m.group('t')}»; проверьте падеж"
    stem = name.split()[1] if name.startswith("город ") else name.split()[0]
    main["territory_code"] = _translit(stem)[:32]
    checks["territory_code"] = ("код предложен транслитерацией; если территория уже есть в системе, укажите её код "
                                "(новую территорию добавляет администратор)")
    match = territory_match.similar(name, territories or [])
    if match:
        code, known, score = match[0]
        main["territory_name"], main["territory_code"] = known, code
        others = "; ".join(f"«{n}» (код {c})" for c, n, _ in match[1:3])
        checks["territory_name"] = checks["territory_code"] = (
            f"предложена территория системы «{known}» с кодом «{code}»: она похожа на слова документа "
            f"«{m.group('t')}» (совпадение {score} %)" + (f"; похожи и {others}" if others else "")
            + "; если в документе другая территория, исправьте код и название")
    elif territories is not None:
        checks["territory_code"] = (f"в системе нет территории, похожей на «{name}»: код предложен "
                                    "транслитерацией; новую территорию добавляет администратор")


def _years(d: Draft, title: str | None, main: dict[str, Any], checks: dict[str, str]) -> None:
    """The plan's years: from its stage columns, else from the title, else from the deadlines."""
    years = [int(y) for y in re.findall(r"(?<!\d)(20\d\d)(?!\d)", title or "")]
    acts = d.rows("Мероприятия")
    stage_years = [int(a["stage"]) for a in acts if re.fullmatch(r"20\d\d", a.get("stage") or "")]
    if stage_years:
        years = stage_years
        checks["year_from"] = checks["year_to"] = "годы взяты из столбцов этапов плана"
    elif years:
        checks["year_from"] = checks["year_to"] = "годы взяты из названия"
    else:
        for a in acts + d.rows("Контрольные точки"):
            dl = parse_deadline(a.get("deadline"))
            if dl.due:
                years.append(dl.due.year)
        if years:
            checks["year_from"] = checks["year_to"] = "годы выведены из сроков мероприятий"
    if years:
        main["year_from"], main["year_to"] = min(years), max(years)


def _goal(texts: list[str], main: dict[str, Any], checks: dict[str, str]) -> None:
    for k, t in enumerate(texts):
        g = re.match(r"^(\d+\.\s*)?цел[ьи]\b[^:]*:?\s*(.*)$", t, re.I)
        if g and len(t) < 2000:
            goal = g.group(2).strip(" «»\"")
            if not goal and k + 1 < len(texts):
                goal = texts[k + 1]
            if goal:
                main["goal"] = goal
                checks["goal"] = "цель взята из абзаца «Цель…»"
            break


# ---------------------------------------------------------------------------------------------
# The plan table(s)
# ---------------------------------------------------------------------------------------------
_SECTION_RE = re.compile(r"^(?:(?:направление|раздел)\s*№?\s*)?(\d+(?:\.\d+)*|[IVX]+|[А-ЯЁA-Z])[.:)]?\s+[:.–—-]?\s*(.+)$",
                         re.I | re.S)
_DEADLINE_START = re.compile(
    r"(?:(?<=\s)|^)(?:(?:в течение|до|с|к)\s+)?(?:январ|феврал|март|апрел|ма[йяе]|июн|июл|август|сентябр|октябр|ноябр|"
    r"декабр|(?:i{1,3}|iv)\s+квартал|\d{1,2}\.\d{1,2}\.\d{4}|ежегодно|ежемесячно|постоянно|в течение|по графику|20\d\d)",
    re.I)


_ROMAN = {"I": 1, "V": 5, "X": 10}


def _arabic(code: str) -> str:
    """«IV» → «4»; any other code as it is."""
    if not re.fullmatch(r"[IVX]+", code or ""):
        return code
    total = 0
    for k, ch in enumerate(code):
        v = _ROMAN[ch]
        total += -v if k + 1 < len(code) and _ROMAN[code[k + 1]] > v else v
    return str(total)


def fmt_clip(text: str, n: int = 60) -> str:
    return text if len(text) <= n else text[: n - 1].rstrip() + "…"


def _words(s: str) -> set[str]:
    return {w[:5] for w in re.findall(r"[а-яёa-z]{4,}", s.lower())}


class _PlanReader:
    def __init__(self, d: Draft, text_dirs: list[tuple[str, str]]):
        self.d = d
        self.text_dirs = text_dirs
        self.dirs: list[dict] = [{"number": n, "title": t, "note": "направление из перечня в тексте документа"}
                                 for n, t in text_dirs]
        self.used_dirs: set[str] = set()
        self.section: dict | None = None  # {"code", "dir"}
        self.sub: dict | None = None  # {"code", "title"}
        self.rows: list[dict] = []  # raw activity rows: {"cells": {role: text}, "years": {...}, ...}
        self.n_sections = 0
        self.subsections: list[dict] = []
        self.dir_text = ""  # the «Направление» column's current text

    # --- rows ---
    def table(self, body: list[list[TCell]], h: Header) -> None:
        cols = h.cols
        dcol = cols.get("direction")
        for k_row, row in enumerate(body):
            distinct = []
            for k, c in enumerate(row):
                if c.text and (k == 0 or c is not row[k - 1]) and c.text not in distinct and k != dcol:
                    distinct.append(c.text)
            if dcol is not None and dcol < len(row) and row[dcol].text and row[dcol].text != self.dir_text \
                    and not self._is_header_again(row, h):
                self.dir_text = row[dcol].text  # the «Направление» column, merged down or repeated
                self._section(row[dcol].text, False, "", column=True)
            if not distinct:
                continue
            if _is_numbering(row):
                continue
            if self._is_header_again(row, h):
                continue
            num = row[cols["number"]].text if "number" in cols and cols["number"] < len(row) else ""
            title_cell = row[cols["title"]] if cols["title"] < len(row) else TCell([])
            spans = any(c.span > 1 and c.text for c in row)
            only_first = len(distinct) == 1 and row and row[0].text == distinct[0]
            if len(distinct) == 1 and (spans or only_first or (title_cell.italic and not num)) \
                    and not re.fullmatch(r"[\d.]+", distinct[0]) and not (num and title_cell.text and num != title_cell.text):
                self._section(distinct[0], all(c.italic for c in row if c.text),
                              "" if spans else "строка с текстом только в первом столбце принята за раздел плана")
                continue
            why = self._numbered_section(row, body[k_row + 1:], h, num, title_cell, distinct)
            if why is not None:
                self._section(f"{num.rstrip('.')}. {title_cell.text}", title_cell.italic, why)
                continue
            cells = {role: (row[j].text if j < len(row) else "") for role, j in cols.items() if role != "direction"}
            merged = {role for role, j in cols.items() if j < len(row) and row[j].merged}
            years = {y: row[j] for j, y in h.years.items() if j < len(row)}
            if "number" in cols and not num and self.rows and self.rows[-1]["numbered"] and "number" not in merged:
                prev = self.rows[-1]  # the rest of a row split over a page break
                for role, v in cells.items():
                    if v and role not in merged:  # a line's end: a word split by a hyphen is joined
                        prev["cells"][role] = _clean(f"{prev['cells'].get(role, '')}\n{v}")
                for y, c in years.items():
                    if c.paras and not c.merged:
                        prev["years"][y] = TCell(prev["years"].get(y, TCell([])).paras + c.paras)
                prev["notes"].append("строка продолжена со следующей страницы (перенос строки таблицы)")
                continue
            notes = _head_notes(h)
            for j, head in h.dropped.items():
                value = row[j].text if j < len(row) and (j == 0 or row[j] is not row[j - 1]) else ""
                if value:
                    notes.append(f"столбец «{head}» не перенесён (в файле для него нет поля): «{value}»")
            if not cells.get("title"):
                notes.append("в строке нет названия мероприятия: впишите его или удалите строку")
            if "deadline" in merged:
                notes.append("срок взят из объединённой ячейки (общий для нескольких строк)")
            self.rows.append({"cells": cells, "years": years, "numbered": bool(num), "notes": notes,
                              "section": self.section, "sub": self.sub})

    def section_heading(self, text: str, why: str) -> None:
        self._section(text, False, why)
        self.dir_text = ""

    @staticmethod
    def _numbered_section(row: list[TCell], rest: list[list[TCell]], h: Header, num: str, title: TCell,
                          distinct: list[str]) -> str | None:
        """A section row typed with its number in the «№» column and its name beside it («I.» |
        «Организационная работа», merged across or alone in its row): None if the row is an activity,
        else the note to make ("" when the merge makes it certain)."""
        code = num.rstrip(". ")
        if not (code and title.text and len(distinct) == 2 and re.fullmatch(r"[IVX]+|\d+(\.\d+)*", code)):
            return None
        if any(c.text for j, c in enumerate(row) if j in h.years.keys() and c is not title):
            return None
        if title.span > 1:
            return ""
        nxt = next((r for r in rest if any(c.text for c in r)), None)
        nxt_num = nxt[h.cols["number"]].text.rstrip(". ") if nxt is not None and h.cols["number"] < len(nxt) else ""
        if nxt_num.startswith(_arabic(code) + ".") or nxt_num.startswith(code + "."):
            return (f"строка «{num} {fmt_clip(title.text)}» принята за раздел: в ней только номер и название, а "
                    f"следующий номер {nxt_num} — внутри неё; если это мероприятие, перенесите строку на лист «Мероприятия»")
        if re.fullmatch(r"[IVX]+", code) or title.bold:
            return (f"строка «{num} {fmt_clip(title.text)}» принята за раздел: в ней только номер и "
                    + ("название, номер римский" if re.fullmatch(r"[IVX]+", code) else "название жирным шрифтом")
                    + "; если это мероприятие, перенесите строку на лист «Мероприятия»")
        return None

    @staticmethod
    def _is_header_again(row: list[TCell], h: Header) -> bool:
        roles = [_role(t)[0] for t in dict.fromkeys(c.text for c in row if c.text)]
        return len(roles) >= 2 and sum(1 for r in roles if r in h.cols or r == "year") >= max(2, len(roles) - 1)

    def _section(self, text: str, italic: bool, why: str = "", column: bool = False) -> None:
        m = _SECTION_RE.match(text)
        code, title = (_arabic(m.group(1).rstrip(".")), m.group(2).strip()) if m else (None, text)
        if column and code and "." in code:  # the «Направление» column names directions, not subsections
            code = code.split(".")[0]
        title = title.strip(" :.")
        is_sub = bool(code and "." in code) or (italic and self.section is not None)
        if is_sub:
            if not code:
                code = f"{self.section['code']}.{len([s for s in self.subsections if s['parent'] is self.section]) + 1}"
            self.sub = {"code": code, "title": title, "parent": self.section}
            self.subsections.append(self.sub)
            return
        self.n_sections += 1
        assumed = code is None
        code = code or str(self.n_sections)
        self.section = {"code": code, "title": title, "dir": self._direction(code, title, assumed)}
        self.section["guess"] = self.section["dir"].get("guesses", {}).get(title, "")
        if why:
            self.section["dir"]["note"] = "; ".join(x for x in (self.section["dir"]["note"], why) if x)
        self.sub = None

    def _direction(self, code: str, title: str, assumed: bool) -> dict:
        if self.text_dirs:  # match the section to the list of directions in the text
            words = _words(title)
            scored = sorted(((len(_words(dr["title"]) & words) / max(1, len(_words(dr["title"]))), k, dr)
                             for k, dr in enumerate(self.dirs[: len(self.text_dirs)])), key=lambda x: (-x[0], x[1]))
            if scored and scored[0][0] >= 0.6:
                best = scored[0][2]
                other = next((dr for sc, _, dr in scored[1:] if sc > 0), None)
                guess = (f"раздел плана «{fmt_clip(title)}» сопоставлен с направлением {best['number']} из перечня в "
                         f"тексте по словам названия; " + (f"может быть направление {other['number']} «{fmt_clip(other['title'])}»"
                                                           if other else "если это другое направление, исправьте номер"))
                best["note"] = "направление из перечня в тексте документа; " + guess
                best.setdefault("guesses", {})[title] = guess
                return best
        taken = {x["number"] for x in self.dirs}
        number = code
        note = "номер направления присвоен по порядку (в строке раздела номера нет)" if assumed else ""
        if number in taken:
            number = str(max([int(x) for x in taken if x.isdigit()] + [0]) + 1)
            note = f"раздел «{code}» назван номером {number}: номер {code} занят направлением из перечня"
        dr = {"number": number, "title": title, "note": note}
        self.dirs.append(dr)
        return dr

    # --- output ---
    def finish(self) -> None:
        d = self.d
        numbers = [r["cells"].get("number", "").rstrip(".") for r in self.rows if r["cells"].get("number")]
        restarts = len(numbers) != len(set(numbers))
        by_section: dict[str, int] = {}
        risk_from_subs = bool(self.subsections) and not d.rows("Параметры риска") and bool(d.rows("Группы рисков"))
        for r in self.rows:
            c, notes = r["cells"], r["notes"]
            sec, sub = r["section"], r["sub"]
            written = c.get("number", "").rstrip(". ")
            parent = sub or sec
            if written and restarts and parent:
                number = f"{parent['code']}.{written}"
                notes.append(f"номер {number} составлен из номера раздела и номера «{c.get('number')}» в документе: "
                             f"нумерация начинается заново в разделе {parent['code']}")
            elif written:
                number = written
            else:
                key = parent["code"] if parent else ""
                by_section[key] = by_section.get(key, 0) + 1
                number = f"{key}.{by_section[key]}" if key else str(by_section[key])
                notes.append("номер присвоен по порядку в разделе (в таблице нет столбца «№»)")
            direction = sec["dir"]["number"] if sec else None
            if sec is not None and sec.get("guess"):
                notes.append(f"направление {direction} — догадка: {sec['guess']}")
            if sec is None and self.n_sections:
                notes.append("направление не указано: строка стоит до первого раздела плана")
            else:
                self.used_dirs.add(direction)
            risks = c.get("risks") or None
            if risk_from_subs and sub and not risks:
                risks = sub["code"]
                notes.append(f"параметр риска {sub['code']} предположен по подразделу плана, в котором стоит строка; "
                             "в строке кода нет — может быть и другой параметр")
            base = {"number": number, "direction": direction, "title": c.get("title"),
                    "responsible": c.get("responsible") or None, "expected_result": c.get("expected_result") or None,
                    "report_form": c.get("report_form") or None, "form": c.get("form") or None,
                    "participants": c.get("participants") or None, "venue": c.get("venue") or None,
                    "risks": risks}
            if not base["responsible"]:
                notes.append("ответственный не указан")
            if r["years"]:
                for y, cell in sorted(r["years"].items()):
                    if not cell.paras:
                        continue
                    result, deadline, how = _split_result(cell.paras, y)
                    n2 = notes + [how] if how else list(notes)
                    row = dict(base, stage=str(y), expected_result=result or base["expected_result"], deadline=deadline)
                    d.add("Мероприятия", row, n2 + _deadline_notes(deadline, y))
                continue
            deadline = c.get("deadline") or None
            d.add("Мероприятия", dict(base, stage=None, deadline=deadline), notes + _deadline_notes(deadline, None))
        for dr in self.dirs:
            if dr["number"] in self.used_dirs or dr in self.dirs[: len(self.text_dirs)]:
                d.add("Направления", {"number": dr["number"], "title": dr["title"]}, [dr["note"]])
        if risk_from_subs:
            groups = {g["code"] for g in d.rows("Группы рисков")}
            for s in self.subsections:
                name = re.sub(r"^действия,?\s+направленные\s+на\s+(преодоление\s+)?", "", s["title"], flags=re.I)
                name = name[:1].upper() + name[1:]
                grp = s["code"].split(".")[0]
                d.add("Параметры риска", {"group": grp, "code": s["code"], "name": name},
                      [f"параметр риска предположен по подразделу плана «{s['code']} {s['title']}»; проверьте формулировку"]
                      + ([] if grp in groups else [f"группы {grp} нет на листе «Группы рисков»"]))


def _deadline_notes(deadline: str | None, year: int | None) -> list[str]:
    if not deadline:
        return ["срок не указан"]
    if parse_deadline(deadline, default_year=year).kind == "unparsed":
        return [f"срок «{deadline}» не распознан: сохранится как написан, без даты"]
    return []


def _split_result(paras: list[str], year: int) -> tuple[str | None, str | None, str | None]:
    """A year cell «Проведён анализ … Сентябрь – октябрь 2020»: the result and the deadline — the
    deadline is the shortest readable tail, starting at a month, a quarter, a date, «в течение»…"""
    paras = [_clean(p) for p in paras if _clean(p)]
    text = _clean("\n".join(paras))  # a word split by a hyphen at a line's end is joined
    for m in _DEADLINE_START.finditer(text):
        tail = text[m.start():].strip()
        if parse_deadline(tail, default_year=year).kind not in ("unparsed", "undated"):
            head = text[: m.start()].strip()
            clean_cut = len(paras) > 1 and paras[-1] == tail
            return head or None, tail, ("срок выделен из конца текста ячейки года; проверьте, где кончается результат"
                                                  if head and not clean_cut else None)
    return text, None, "в ячейке года срок не найден: весь текст принят за результат"


# ---------------------------------------------------------------------------------------------
# The other tables
# ---------------------------------------------------------------------------------------------
def _head_notes(h: Header) -> list[str]:
    """What was inferred about a table's header: said once, on the first row read from the table."""
    notes, h.loose = list(h.loose), []
    return notes


def _cell(row: list[TCell], cols: dict[str, int], role: str) -> str:
    j = cols.get(role)
    return row[j].text if j is not None and j < len(row) else ""


def _control_points(d: Draft, body: list[list[TCell]], h: Header) -> None:
    for row in body:
        title = _cell(row, h.cols, "control")
        if not title or _is_numbering(row):
            continue
        notes = _head_notes(h)
        number = _cell(row, h.cols, "number").rstrip(". ")
        if not number:
            number = str(len(d.rows("Контрольные точки")) + 1)
            notes.append("номер присвоен по порядку")
        deadline = _cell(row, h.cols, "deadline") or None
        d.add("Контрольные точки", {"number": number, "title": title,
                                     "responsible": _cell(row, h.cols, "responsible") or None, "deadline": deadline},
              notes + _deadline_notes(deadline, None))


def _audit(d: Draft, body: list[list[TCell]], h: Header) -> None:
    """The risk audit: group (№, name), parameter, its code, the schools where it was found."""
    name_col = "param" if "param" in h.cols else "name"
    group_col = "factor" if "factor" in h.cols and h.cols.get("factor") != h.cols.get(name_col) else None
    groups = {g["code"] for g in d.rows("Группы рисков")}
    last_group_name = ""
    group_row: tuple[str, str] | None = None  # («1», «Низкое качество преподавания») from a row merged across
    for row in body:
        code = _cell(row, h.cols, "risks").rstrip(". ")
        if not re.fullmatch(r"\d+(\.\d+)+", code):
            written = _cell(row, h.cols, "number").rstrip(". ")
            if re.fullmatch(r"\d+(\.\d+)+", written) and not code:
                code = written  # the code typed in the «№» column
            else:
                group_row = _group_row(row) or group_row
                continue
        grp = code.split(".")[0]
        gname = _cell(row, h.cols, group_col) if group_col else ""
        if group_row and group_row[0] == grp:
            gname = group_row[1]
        gname = gname or (last_group_name if groups and grp in groups else "")
        last_group_name = gname
        notes = _head_notes(h)
        written = _cell(row, h.cols, "number").rstrip(". ")
        if grp not in groups:
            gnotes = [] if not written or written == grp else \
                [f"в документе группа названа № {written}; код группы взят из кода параметра {code}"]
            d.add("Группы рисков", {"code": grp, "name": gname or f"Группа {grp}"},
                  gnotes + ([] if gname else ["название группы не найдено"]))
            groups.add(grp)
        found = _cell(row, h.cols, "found_in")
        name = _cell(row, h.cols, name_col)
        if not name or name == gname or re.fullmatch(r"[\d.]+", name):
            # the name typed in another column (or the group's name repeated there): the longest other text
            others = [c.text for j, c in enumerate(row) if c.text and c.text not in (code, found, gname)
                      and not re.fullmatch(r"[\d.\s]+", c.text) and (j == 0 or c is not row[j - 1])]
            name = max(others, key=len) if others else ""
            notes.append(f"название параметра взято из другого столбца: «{fmt_clip(name)}»" if name else
                         f"название параметра {code} в документе не найдено: впишите его (поле обязательно)")
            name = name or f"Параметр {code} (впишите название)"
        d.add("Параметры риска", {"group": grp, "code": code, "name": name, "found_in_text": found or None},
              notes + ([f"школы «{found}» не сопоставлены с кодами школ: укажите коды в столбце «Школы (коды)»"]
                       if found else []))


def _group_row(row: list[TCell]) -> tuple[str, str] | None:
    """A risk group typed as a row merged across its parameters: «1. Низкое качество преподавания»
    or «Группа 2 — …» (code, name), or None."""
    texts = list(dict.fromkeys(c.text for c in row if c.text))
    if not texts:
        return None
    text = " ".join(texts)
    m = re.match(r"^(?:группа\s*(?:рисков|риска)?\s*№?\s*)?(\d+)[.):]?\s*[–—-]?\s*(.{3,})$", text, re.I)
    return (m.group(1), m.group(2).strip(" .:«»")) if m else None


def _risk_groups(d: Draft, body: list[list[TCell]], h: Header) -> None:
    for row in body:
        name = _cell(row, h.cols, "risk_group")
        code = _cell(row, h.cols, "number").rstrip(". ")
        if not name or _is_numbering(row):
            continue
        notes = _head_notes(h)
        if not code:
            code = str(len(d.rows("Группы рисков")) + 1)
            notes.append("код группы присвоен по порядку")
        d.add("Группы рисков", {"code": code, "name": name, "goals": _cell(row, h.cols, "goals") or None,
                                "progress_indicators": _cell(row, h.cols, "progress") or None}, notes)


_KIND_WORDS = [("не ниже средн", "не ниже среднего"), ("не менее", "не менее"), ("не более", "не более"),
               ("не ниже", "не менее"), ("отсутств", "не более")]
_NUM_RE = re.compile(r"[-+]?\d+(?:[.,]\d+)?")


def _num(text: str) -> str | None:
    m = _NUM_RE.search((text or "").replace("\u00a0", "").replace(" ", ""))
    return m.group(0).replace(",", ".") if m else None


def _targets(d: Draft, body: list[list[TCell]], h: Header) -> None:
    """The targets table: wording, base and target values, the due year or values by year."""
    years = sorted(h.years.items(), key=lambda kv: kv[1])  # (column, year)
    base_year = re.search(r"20\d\d", h.texts.get("baseline", ""))
    for row in body:
        wording = _cell(row, h.cols, "target")
        if not wording or _is_numbering(row) or re.fullmatch(r"[\d.]+", wording):
            continue
        notes = _head_notes(h) + ["укажите код показателя (и опишите его на листе «Показатели», если его нет в системе)"]
        low = wording.lower()
        value = _num(_cell(row, h.cols, "value"))
        by_year = [(y, _num(row[j].text)) for j, y in years if j < len(row) and _num(row[j].text) is not None]
        kind = next((k for w, k in _KIND_WORDS if w in low), None)
        if by_year and value is None and kind is None:
            kind = "по этапам"
            notes.append("значения по годам приняты за этапы цели; может быть и одна цель на последний год")
        elif kind is None and re.search(r"(рост|увеличени|повышени)", low):
            kind = "рост, п.п." if "%" in wording and "п.п" in low else "рост, %"
            notes.append(f"вид цели «{kind}» предположен по формулировке: проверьте (п.п. или %)")
        elif kind:
            other = "рост, п.п." if kind == "не менее" else "не менее"
            notes.append(f"вид цели «{kind}» предположен по словам формулировки; может быть «{other}»")
        else:
            notes.append("вид цели не понят: выберите его")
        if value is None and kind not in ("по этапам", "не ниже среднего"):
            value = by_year[-1][1] if by_year else _num(wording)
            if value is not None:
                notes.append("значение взято " + ("из последнего года" if by_year else "из формулировки"))
        base = _cell(row, h.cols, "baseline")
        if base:
            notes.append(f"базовое значение в документе: {base} (в системе база — данные за базовый период)")
        due_text = _cell(row, h.cols, "deadline")
        due = re.search(r"20\d\d", due_text or "")
        due_year = due.group(0) if due else (str(by_year[-1][0]) if by_year else None)
        d.add("Целевые показатели", {
            "number": _cell(row, h.cols, "number").rstrip(". ") or str(len(d.rows("Целевые показатели")) + 1),
            "wording": wording, "indicator": None, "kind": kind,
            "value": None if kind == "по этапам" else value,
            "baseline": base_year.group(0) if base_year else None, "due": due_year,
            "milestones": "; ".join(f"{y}: {v}" for y, v in by_year) if kind == "по этапам" else None}, notes)
    if d.rows("Целевые показатели"):
        msg = "на листе «Целевые показатели» — код показателя и вид цели"
        if msg not in d.to_fill:
            d.to_fill.append(msg)


_TARGETS_HEAD = re.compile(r"(целев\w+ (показател|индикатор|значени)|показател\w+ (эффективност|результативност|"
                           r"реализации)|индикатор\w*)", re.I)
_LIST_ITEM = re.compile(r"^(?:\d{1,2}[.)]|[-–—•·▪])\s*(.+)$")


def _target_kind(wording: str) -> tuple[str | None, str | None, str]:
    """(kind, value, note) of a target typed as a sentence: the kind is always a guess from its words,
    said with what else it could be."""
    low = wording.lower().replace("ё", "е").replace("\u00a0", " ")
    num = r"(\d+(?:[.,]\d+)?)"
    pp = re.search(num + r"\s*(?:п\.\s*п\.?|процентн\w* пункт)", low)
    pct = re.search(num + r"\s*%", low)
    bound = re.search(r"не (менее|ниже|более|выше)\s*(?:чем\s*)?(?:на\s*)?" + num, low)
    grow = re.match(r"^(рост|увелич|повыш|прирост)", low) or re.search(r"(рост|увелич|повыш|прирост)\w*\s.*\bна\s*\d", low)
    if "не ниже средн" in low or "не ниже регионал" in low or "не ниже област" in low:
        return "не ниже среднего", None, ("вид цели «не ниже среднего» предположен по словам «не ниже средн…»; "
                                          "проверьте, с чем сравнивать (по региону, по району) или это «не менее» с числом")
    if grow and pp:
        return "рост, п.п.", pp.group(1).replace(",", "."), (
            f"вид цели «рост, п.п.» предположен по словам «{grow.group(1)}…» и «п.п.»; может быть «не менее» "
            f"(если {pp.group(1)} — уровень, а не прирост)")
    if grow and pct:
        return "рост, %", pct.group(1).replace(",", "."), (
            f"вид цели «рост, %» предположен по словам «{grow.group(1)}…» и «%»; может быть «рост, п.п.» (если это "
            "доля) или «не менее»")
    if bound:
        kind = "не менее" if bound.group(1) in ("менее", "ниже") else "не более"
        other = "рост, п.п." if kind == "не менее" else "не менее"
        return kind, bound.group(2).replace(",", "."), (
            f"вид цели «{kind}» предположен по словам «не {bound.group(1)}»; может быть «{other}»")
    if grow:
        return None, None, f"вид цели не понят: по слову «{grow.group(1)}…» это рост, но в п.п. или в % — не сказано; выберите вид"
    return None, None, "вид цели не понят: выберите его"


def _target_paragraphs(d: Draft, blocks: list) -> None:
    """Targets typed as a numbered list under a heading («Целевые показатели:», then «1. Увеличение
    доли … на 5 п.п.»): each a target with the kind and value its words suggest, flagged."""
    on = False
    for b in blocks:
        if not isinstance(b, Para):
            on = False
            continue
        if not b.text:
            continue
        if len(b.text) <= 150 and _TARGETS_HEAD.search(b.text) and not _LIST_ITEM.match(b.text):
            on = True
            continue
        if not on:
            continue
        m = _LIST_ITEM.match(b.text)
        wording = (m.group(1) if m else b.text if b.numbered else "").strip().rstrip(";.")
        if not wording:
            on = False
            continue
        kind, value, why = _target_kind(wording)
        due = re.findall(r"(?<!\d)(20\d\d)(?!\d)", wording)
        d.add("Целевые показатели", {
            "number": str(len(d.rows("Целевые показатели")) + 1), "wording": wording, "indicator": None, "kind": kind,
            "value": value, "baseline": None, "due": due[-1] if due else None, "milestones": None},
            ["цель записана абзацем списка: " + why,
             "укажите код показателя (и опишите его на листе «Показатели», если его нет в системе)"])
    if d.rows("Целевые показатели"):
        msg = "на листе «Целевые показатели» — код показателя и вид цели"
        if msg not in d.to_fill:
            d.to_fill.append(msg)


def _check_years(d: Draft) -> None:
    """A deadline before the plan's first year is flagged on its row; a school year is explained."""
    first = d.book.get("roadmap", {}).get("year_from")
    for sheet in ("Мероприятия", "Контрольные точки"):
        for k, row in enumerate(d.rows(sheet)):
            text = row.get("deadline")
            if not text:
                continue
            dl = parse_deadline(text, default_year=int(row["stage"]) if str(row.get("stage") or "").isdigit() else None)
            notes = []
            if dl.due and first and dl.due.year < first:
                notes.append(f"срок «{text}» раньше первого года плана ({first}): проверьте год")
            if dl.kind == "year" and dl.due and (dl.due.month, dl.due.day) == (8, 31):
                notes.append(f"«{text}» — учебный год: срок принят до его конца, {dl.due:%d.%m.%Y}")
            if notes:
                old = d.row_notes(sheet)[k]
                d.row_notes(sheet)[k] = "; ".join(x for x in [old, *notes] if x)


# ---------------------------------------------------------------------------------------------
# The workbook
# ---------------------------------------------------------------------------------------------
def workbook(d: Draft) -> bytes:
    """The regular roadmap workbook with a «Проверить» column on each sheet (the importer ignores it)."""
    from openpyxl import load_workbook
    from openpyxl.styles import Alignment, Font, PatternFill

    wb = load_workbook(io.BytesIO(write_book(d.book)))
    mark = PatternFill("solid", fgColor="FFF2CC")
    head = PatternFill("solid", fgColor="F4B183")
    wrap = Alignment(wrap_text=True, vertical="top")
    for name in [MAIN_SHEET, *SHEETS]:
        ws = wb[name]
        col = 4 if name == MAIN_SHEET else len(SHEETS[name]) + 1
        ws.cell(1, col, CHECK).font = Font(bold=True)
        ws.cell(1, col).fill = head
        ws.column_dimensions[ws.cell(1, col).column_letter].width = 60
        checks = d.checks.get(name) or []
        if isinstance(checks, dict):  # MAIN_SHEET: per field
            values = [(2 + k, checks.get(c.key, "")) for k, c in enumerate(MAIN_FIELDS)]
        else:
            ws.cell(2, col, CHECK_HINT).font = Font(italic=True, color="666666", size=9)
            values = [(3 + k, v) for k, v in enumerate(checks)]
        for r, v in values:
            if v:
                c = ws.cell(r, col, v)
                c.alignment, c.fill = wrap, mark
                for k in range(1, col):
                    ws.cell(r, k).fill = mark
    ws = wb["Инструкция"]
    ws.insert_rows(1, 2)
    ws.cell(1, 1, f"Черновик, прочитанный из документа Word «{d.file_name}». Строки с пометкой в столбце «{CHECK}» "
                  "содержат догадки: проверьте их, исправьте и очистите пометку. Столбец «Проверить» при загрузке "
                  "не читается.").font = Font(bold=True)
    out = io.BytesIO()
    neutralise(wb).save(out)
    return out.getvalue()


def draft_workbook(data: bytes, file_name: str,
                   territories: list[tuple[str, str]] | None = None) -> tuple[bytes, Draft]:
    d = draft(data, file_name, territories)
    return workbook(d), d
