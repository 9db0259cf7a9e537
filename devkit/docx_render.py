"""Tests and bench/word.py: a roadmap workbook (data/roadmaps/*.xlsx) rendered to .docx in the layout of the office's
original document — the way a person types it in Word — so that core.roadmap_docx can draft it back.

Layouts (one per seed): 000 a control points table and a plan table without a «№» column, with section
rows mapped to a numbered list of directions in the text, the plan split over a page break into a
continuation table without a header, some deadlines typed as «Март» / «2024 года» in two paragraphs;
rows broken over a page break into two table rows (the second without a «№») in 002, 003, 004 as in
their converted documents; 001 a numbered plan table with unnumbered section rows; 002 year
columns under a two-row header; 003 a risk audit table and a plan table with «Код параметра»; 004 a
risk groups table and a plan table with numbered sections and italic subsections.
"""

from __future__ import annotations

import io
import re
from collections import defaultdict

from docx import Document
from docx.enum.text import WD_BREAK

from core import roadmap_book


def read_book(data: bytes, name: str) -> dict:
    """The workbook as {"roadmap": {key: text}, sheet: [{key: text}]}."""
    b = roadmap_book.read(data, name)
    out = {"roadmap": {k: c.value for k, c in b.main.items()}}
    for sheet, rows in b.sheets.items():
        out[sheet] = [{k: c.value for k, c in r.items()} for r in rows]
    return out


def _row(table, values, *, bold=False, italic=False):
    cells = table.add_row().cells
    for c, v in zip(cells, values):
        _write(c, v, bold=bold, italic=italic)
    return cells


def _write(cell, text, *, bold=False, italic=False):
    cell.text = ""
    lines = str(text or "").split("\n")
    p = cell.paragraphs[0]
    for k, line in enumerate(lines):
        if k:
            p = cell.add_paragraph()
        r = p.add_run(line)
        r.bold, r.italic = bold or None, italic or None


def _split_row(table, values, keep=()):
    """A row broken over a page break the way converted documents carry it: the first half of each
    longer text in one row, the rest in the next row with an empty «№» (column 0)."""
    first, rest = [], []
    for k, v in enumerate(values):
        words = str(v or "").split(" ")
        if k == 0 or k in keep or len(words) < 4:
            first.append(v)
            rest.append("")
        else:
            first.append(" ".join(words[: len(words) // 2]))
            rest.append(" ".join(words[len(words) // 2:]))
    _row(table, first)
    _row(table, rest)


def _section(table, text, *, italic=False):
    cells = table.add_row().cells
    merged = cells[0].merge(cells[-1])
    _write(merged, text, bold=not italic, italic=italic)


def _table(doc, header, *, rows=()):
    t = doc.add_table(rows=0, cols=len(header))
    t.style = "Table Grid"
    _row(t, header, bold=True)
    for r in rows:
        _row(t, r)
    return t


def _page_break(doc):
    doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)


def _intro(doc, rm, *, approval_first=True):
    if approval_first and rm.get("approved_by"):
        for line in rm["approved_by"].split("\n"):
            doc.add_paragraph(line)
    p = doc.add_paragraph()
    p.add_run(rm["title"]).bold = True
    if rm.get("goal"):
        doc.add_paragraph(f"Цель: {rm['goal']}")


def _groups(acts, key):
    out = defaultdict(list)
    for a in acts:
        out[key(a)].append(a)
    return out


def render_000(book) -> bytes:
    doc = Document()
    rm = book["roadmap"]
    _intro(doc, rm)
    doc.add_paragraph("Определение основных направлений деятельности:")
    for d in book["Направления"]:
        if d["number"].isdigit():
            doc.add_paragraph(f"{d['number']}. {d['title']}")
    doc.add_paragraph("Контрольные точки достижения целевых показателей реализации дорожной карты")
    _table(doc, ["№", "Контрольная точка", "Ответственный", "Сроки"],
           rows=[(f"{c['number']}. ", c["title"], c["responsible"], c["deadline"]) for c in book["Контрольные точки"]])
    doc.add_paragraph("Разработка плана-графика реализации мероприятий дорожной карты")
    header = ["Мероприятие", "Сроки", "Ответственные", "Показатель реализации", "Формы отчетных документов"]
    dirs = {d["number"]: d["title"] for d in book["Направления"]}
    t = _table(doc, header)
    n = 0
    for prefix, acts in _groups(book["Мероприятия"], lambda a: a["number"].split(".")[0]).items():
        d = acts[0]["direction"]
        _section(t, f"{prefix}. Мероприятия, направленные на {dirs[d]}" if d.isdigit() else f"{prefix}. {dirs[d]}")
        for a in acts:
            if n == 12:  # the plan goes on on the next page: a new table without a header row
                _page_break(doc)
                t = doc.add_table(rows=0, cols=len(header))
                t.style = "Table Grid"
            n += 1
            deadline = a["deadline"] or ""
            if n % 3 == 0 and re.fullmatch(r"\w+ 2024 года", deadline):  # «Март» / «2024 года» as typed
                deadline = deadline.replace(" ", "\n\n", 1)
            _row(t, [a["title"], deadline, a["responsible"], a["expected_result"], a["report_form"]])
    return _save(doc)


def render_001(book) -> bytes:
    doc = Document()
    _intro(doc, book["roadmap"])
    t = _table(doc, ["№\nп/п", "Основные мероприятия", "Сроки\nисполнения", "Ответственные", "Характеристика результата"])
    dirs = {d["number"]: d["title"] for d in book["Направления"]}
    for d, acts in _groups(book["Мероприятия"], lambda a: a["direction"]).items():
        _section(t, dirs[d])
        for a in acts:
            _row(t, [a["number"], a["title"], a["deadline"], a["responsible"], a["expected_result"]])
    return _save(doc)


def render_002(book) -> bytes:
    doc = Document()
    rm = book["roadmap"]
    doc.add_paragraph("П Р И К А З")
    _intro(doc, rm)
    acts = book["Мероприятия"]
    years = sorted({a["stage"] for a in acts})
    t = doc.add_table(rows=2, cols=4 + len(years))
    t.style = "Table Grid"
    top, sub = t.rows[0].cells, t.rows[1].cells
    for k, h in ((0, "№ п/п"), (1, "Мероприятия")):
        _write(top[k], h, bold=True)
        top[k].merge(sub[k])
    _write(top[2], "Ключевые мероприятия, сроки реализации", bold=True)
    top[2].merge(top[1 + len(years)])
    for k, y in enumerate(years):
        _write(t.rows[1].cells[2 + k], y, bold=True)
    for k, h in ((2 + len(years), "Ответственный исполнитель"), (3 + len(years), "Документы, закрепляющие результат")):
        _write(t.rows[0].cells[k], h, bold=True)
        t.rows[0].cells[k].merge(t.rows[1].cells[k])
    dirs = {d["number"]: d["title"] for d in book["Направления"]}
    for d, part in _groups(acts, lambda a: a["direction"]).items():
        _section(t, f"Направление № {d}: {dirs[d]}")
        for num, stages in _groups(part, lambda a: a["number"]).items():
            by_year = {a["stage"]: a for a in stages}
            a = stages[0]
            cells = [num, a["title"]]
            cells += [f"{by_year[y]['expected_result']} {by_year[y]['deadline']}" if y in by_year else "" for y in years]
            if num in SPLIT["002"]:
                _split_row(t, cells + [a["responsible"], a["report_form"]])
            else:
                _row(t, cells + [a["responsible"], a["report_form"]])
    return _save(doc)


def render_003(book) -> bytes:
    doc = Document()
    rm = book["roadmap"]
    _intro(doc, rm)
    doc.add_paragraph("I. Результаты входного аудита")
    t = doc.add_table(rows=2, cols=5)
    t.style = "Table Grid"
    top, sub = t.rows[0].cells, t.rows[1].cells
    _write(top[0], "№", bold=True)
    top[0].merge(sub[0])
    _write(top[1], "Фактор негативного влияния (риска)", bold=True)
    top[1].merge(top[3])
    _write(top[4], "Перечень ОО, в работе которых проявляются негативные факторы", bold=True)
    top[4].merge(sub[4])
    for k, h in ((1, "наименование фактора"), (2, "параметры"), (3, "код параметра")):
        _write(t.rows[1].cells[k], h, bold=True)
    groups = {g["code"]: g["name"] for g in book["Группы рисков"]}
    for g, params in _groups(book["Параметры риска"], lambda r: r["group"]).items():
        first = None
        for r in params:
            cells = _row(t, ["", "", r["name"], r["code"] + ".", r["found_in_text"]])
            if first is None:
                first = cells
                _write(cells[0], g)
                _write(cells[1], groups[g])
            else:
                first[0].merge(cells[0])
                first[1].merge(cells[1])
    doc.add_paragraph("II. Муниципальная дорожная карта по профилактике учебной неуспешности")
    t = _table(doc, ["№", "Мероприятие", "Форма", "Код параметра", "Контингент", "Место проведения", "Дата проведения",
                     "Ответственные"])
    for a in book["Мероприятия"]:
        cells = [f"{a['number']}.", a["title"], a["form"], a["risks"], a["participants"], a["venue"], a["deadline"],
                 a["responsible"]]
        if a["number"] in SPLIT["003"]:
            _split_row(t, cells, keep=(3, 6))
        else:
            _row(t, cells)
    return _save(doc)


def render_004(book) -> bytes:
    doc = Document()
    _intro(doc, book["roadmap"])
    doc.add_paragraph("I. Целевые ориентиры и индикаторы с учетом групп рисков")
    _table(doc, ["№ п/п", "Группы рисков", "Целевые ориентиры", "Индикаторы продвижения по достижению целевых ориентиров"],
           rows=[(f"{g['code']}.", g["name"], g["goals"], g["progress_indicators"]) for g in book["Группы рисков"]])
    doc.add_paragraph("II. План действий")
    t = _table(doc, ["№ п/п", "Содержание действия", "Ответственный исполнитель", "Сроки", "Ожидаемые результаты"])
    dirs = {d["number"]: d["title"] for d in book["Направления"]}
    params = {r["code"]: r["name"] for r in book["Параметры риска"]}
    for d, part in _groups(book["Мероприятия"], lambda a: a["direction"]).items():
        _section(t, f"{d}. {dirs[d]}")
        for sub, acts in _groups(part, lambda a: a["number"].rsplit(".", 1)[0]).items():
            if sub in params:
                _section(t, f"{sub} Действия, направленные на преодоление: {params[sub]}", italic=True)
            for a in acts:
                cells = [a["number"].rsplit(".", 1)[1] + ".", a["title"], a["responsible"], a["deadline"],
                         a["expected_result"]]
                (_split_row if a["number"] in SPLIT["004"] else _row)(t, cells)
    return _save(doc)


SPLIT = {"002": {"3", "7", "12"}, "003": {"8", "13"}, "004": {"1.1.1", "2.1.3"}}  # rows broken over a page
RENDERERS = {"000": render_000, "001": render_001, "002": render_002, "003": render_003, "004": render_004}


def _save(doc) -> bytes:
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
