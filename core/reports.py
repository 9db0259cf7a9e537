"""Documents out: the quarterly справка on a roadmap (DOCX), the school card (DOCX), XLSX exports,
chart images. The numbers come from core.read / core.targets, the charts from core.charts
(rendered offline by vl-convert), so a document shows what the screen shows."""

from __future__ import annotations

import io
import re
from datetime import date
from types import SimpleNamespace

import vl_convert as vlc
from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Cm, Pt
from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy import text
from sqlalchemy.engine import Engine

from core import access, charts, explain, periods, provenance, quarters, school_plan
from core import formatting as fmt
from core import settings
from core.auth import Scope
from core.read.overview import overview, roadmap_info
from core.read.school import school_view
from core.targets.evaluation import Subject, as_date
from core.db import get_engine
from core.roadmap import ACTIVITY_STATUSES, is_overdue
from core.vocabulary import OFF_TRACK, SCHOOL_UNIT, STATUS_LABELS

from core.safe_xlsx import is_risky, safe_cell  # noqa: F401 - the one rule, used here and re-exported
DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# ---------------------------------------------------------------------------------------------
# Chart images
# ---------------------------------------------------------------------------------------------
def chart_png(chart, scale: float = 2.0) -> bytes:
    return vlc.vegalite_to_png(chart.to_json(), scale=scale)


def chart_svg(chart) -> str:
    return vlc.vegalite_to_svg(chart.to_json())


def target_chart(card, height: int = 240):
    ev = card.evaluation
    forecast = {"end": card.due_end, "value": ev.forecast} if ev.forecast is not None and card.due_end else None
    return charts.trend(card.series, unit=card.unit, target_value=ev.target_value, expected_path=card.expected_path,
                        average_series=card.average_series, milestones=card.milestones, forecast=forecast,
                        height=height)


# ---------------------------------------------------------------------------------------------
# DOCX helpers
# ---------------------------------------------------------------------------------------------
def _document(landscape: bool = False) -> Document:
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


def _para(doc, text_: str, *, bold: bool = False, size: int | None = None, center: bool = False, italic: bool = False):
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


def _words(text: str) -> list[str]:
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
        words = [(x, True) for x in _words(head[i])] + [(x, False) for r in rows for x in _words(r[i])]
        longest = max((_word_cm(x, bold=b) for x, b in words), default=0.0) + CELL_PADDING_CM
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


def _table(doc, head: list[str], rows: list[list[str]], widths: list[float] | None = None):
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


def _status_word(status: str) -> str:
    return STATUS_LABELS[status].lower()


def target_rows(cards) -> list[list[str]]:
    """The targets table of the справка: the very numbers core.targets computed."""
    out = []
    for c in cards:
        ev = c.evaluation
        out.append([str(c.number), c.short_name + (f" ({c.population})" if c.population else ""),
                    fmt.value(ev.baseline, c.unit) + (
            f" ({c.baseline_label})" if c.baseline_label else ""), fmt.goal(c.rule_text, ev.target_value, c.unit),
            fmt.value(ev.value, c.unit) + (f" ({c.as_of_label})" if c.as_of_label else "")
            + (f"; {c.coverage}" if getattr(c, "coverage", None) else "")
            + (f"; {c.territory_note}" if c.territory_note else ""),
            "—" if ev.progress is None else fmt.num(100 * ev.progress, 0, unit="%"),
            STATUS_LABELS[ev.status] + (f" ({c.approval.label})" if getattr(c, "approval", None) else "")])
    return out


# ---------------------------------------------------------------------------------------------
# The справка
# ---------------------------------------------------------------------------------------------
def _roadmap_items(engine: Engine, roadmap_id: int) -> list[dict]:
    with engine.connect() as c:
        rows = [dict(r._mapping) for r in c.execute(text("""
            SELECT 'Мероприятие' AS kind, number, title, deadline_text, due_date, responsible, status, completed_on
            FROM activity WHERE roadmap_id = :r
            UNION ALL
            SELECT 'Контрольная точка', number, title, deadline_text, due_date, responsible, status, completed_on
            FROM controlpoint WHERE roadmap_id = :r"""), {"r": roadmap_id})]
    for r in rows:
        r["due_date"] = as_date(r["due_date"]) if r["due_date"] else None
    return rows


def _risks_without_activity(engine: Engine, roadmap_id: int) -> tuple[int, list[dict]]:
    with engine.connect() as c:
        n = c.execute(text("SELECT COUNT(*) FROM riskfactor WHERE roadmap_id = :r"), {"r": roadmap_id}).scalar()
        rows = [dict(r._mapping) for r in c.execute(text("""
            SELECT f.code, f.name FROM riskfactor f WHERE f.roadmap_id = :r
              AND NOT EXISTS (SELECT 1 FROM activityrisk a WHERE a.risk_factor_id = f.id) ORDER BY f.code"""),
            {"r": roadmap_id})]
    return n, rows


def _missing_reports(engine: Engine, scope: Scope, ov) -> dict[str, list[str]]:
    """Per target: the schools of its group whose data its value lacks (the period judged or the
    baseline), as the evaluation found them."""
    if ov.unit != SCHOOL_UNIT:
        return {}
    return {card.column or card.short_name: card.missing for card in ov.cards if card.level == "school" and card.missing}


def roadmap_report(scope: Scope, roadmap_id: int, as_of: date | None = None, *, engine: Engine | None = None,
                   today: date | None = None) -> bytes:
    """Справка о ходе реализации дорожной карты (DOCX)."""
    engine = engine or get_engine()
    ov = overview(scope, roadmap_id, as_of, engine)  # refuses users who may not see the territory
    today = today or settings.today(engine)
    cut = ov.cut or today  # overdue and upcoming items as of the cut, like the values
    rm = ov.roadmap
    doc = _document()
    _para(doc, "СПРАВКА", bold=True, size=14, center=True)
    _para(doc, f"о ходе реализации дорожной карты «{rm.title}»", bold=True, center=True)
    _para(doc, f"{rm.territory}, по состоянию на {ov.as_of_label or '—'}", center=True)
    for info in quarters.approvals(scope, rm.territory_id, (c.period_id for c in ov.cards), engine).values():
        _para(doc, info.note, italic=True)
    if rm.approved_by:
        _para(doc, f"Основание: {rm.approved_by}.", italic=True)
    if ov.is_demo:
        _para(doc, "Демонстрационные данные: значения показателей вымышлены.", italic=True)
    _para(doc, f"Дата составления: {fmt.day_month_year(today)}.")

    doc.add_heading("1. Достижение целевых показателей", level=2)
    if not ov.cards:
        _para(doc, "В дорожной карте не заданы измеримые целевые показатели.")
    else:
        n = len(ov.cards)
        counts = {s: sum(1 for c in ov.cards if c.evaluation.status == s) for s in STATUS_LABELS}
        summary = ", ".join(f"{STATUS_LABELS[s].lower()} — {k}" for s, k in counts.items() if k)
        _para(doc, f"Дорожная карта содержит {n} {fmt.plural(n, ('целевой показатель', 'целевых показателя', 'целевых показателей'))}. "
                   f"Их состояние: {summary}.")
        _table(doc, ["№", "Показатель", "База", "Цель", "Текущее значение", "Пройдено пути", "Статус"],
               target_rows(ov.cards), [0.8, 3.8, 2.4, 3.0, 2.6, 1.8, 2.4])
        for card in ov.cards:
            ev = card.evaluation
            doc.add_heading(f"1.{card.number}. {card.indicator_name}", level=3)
            _para(doc, f"«{card.wording}» Правило: {card.rule_text}. Группа: {card.population_text}."
                       f" Значение {fmt.value(ev.value, card.unit)}"
                       f" при цели {fmt.value(ev.target_value, card.unit)}; статус — {_status_word(ev.status)}"
                       f" ({ev.reason})." + (f" Данные: {card.coverage.removeprefix('данные ')}." if card.coverage else "")
                       + "".join(f" {n[:1].upper()}{n[1:]}." for n in card.notes)
                       + (f" {card.forecast_text}." if ev.forecast is not None and card.forecast_basis else ""))
            if card.approval is not None:  # the figures as approved; what changed since, and today's figure
                _para(doc, f"Значения {card.approval.label} (данные за {card.approval.quarter_label})."
                      + (f" {card.approval.changes_text()} {card.approval.today_text(card.unit)}."
                         if card.approval.changed else ""), italic=True)
            if any(s.value is not None for s in card.series):  # a series of gaps only has nothing to draw
                doc.add_picture(io.BytesIO(chart_png(target_chart(card, height=180))), width=Cm(14))
            if card.n_schools:
                _para(doc, f"{card.meeting_text.capitalize()}."
                           + (f" {STATUS_LABELS[OFF_TRACK]}: {', '.join(card.lagging)}." if card.lagging else ""))

    doc.add_heading("2. Мероприятия и контрольные точки", level=2)
    items = _roadmap_items(engine, roadmap_id)
    if not items:
        _para(doc, "Мероприятия и контрольные точки дорожной карты в систему не внесены.")
    else:
        horizon = periods.following(periods.quarter_of(cut)).end  # the end of the next quarter
        overdue = [i for i in items if is_overdue(i["due_date"], i["status"], cut, i["deadline_text"])]
        groups = {  # an item is in one list: overdue (a passed stage) wins over upcoming (its last date)
            "Выполнено": [i for i in items if i["status"] == "done"],
            "Просрочено": overdue,
            "Предстоит до конца следующего квартала": [
                i for i in items if i["status"] not in ("done", "cancelled") and i["due_date"]
                and cut <= i["due_date"] <= horizon and i not in overdue],
        }
        for name, rows in groups.items():
            _para(doc, f"{name}: {len(rows)}.", bold=True)
            if rows:
                _table(doc, ["Что", "№", "Содержание", "Срок", "Ответственный", "Статус"],
                       [[r["kind"], r["number"], r["title"], r["deadline_text"] or "—", r["responsible"] or "—",
                         ACTIVITY_STATUSES.get(r["status"], r["status"])] for r in rows], [2.4, 1.0, 6.0, 2.4, 3.2, 2.0])

    doc.add_heading("3. Факторы риска без мероприятий", level=2)
    n_risks, uncovered = _risks_without_activity(engine, roadmap_id)
    if not n_risks:
        _para(doc, "Результаты аудита факторов риска в систему не внесены.")
    elif not uncovered:
        _para(doc, f"Каждому из {n_risks} параметров риска соответствует хотя бы одно мероприятие.")
    else:
        _para(doc, f"Не обеспечены мероприятиями {len(uncovered)} из {n_risks} параметров риска:")
        for r in uncovered:
            _para(doc, f"{r['code']} — {r['name']}")

    doc.add_heading("4. Полнота данных", level=2)
    missing = _missing_reports(engine, scope, ov)
    if not missing:
        _para(doc, "Все школы целевых групп представили данные по всем показателям за отчётный и базовый периоды.")
    else:
        for ind, names in missing.items():
            _para(doc, f"«{ind}»: нет данных за отчётный или базовый период у "
                       f"{len(names)} {fmt.plural(len(names), fmt.SCHOOL_GENITIVE)} — {', '.join(names)}"
                       " (значение группы посчитано без них).")

    doc.add_heading("5. Как считается", level=2)
    for line in explain.for_document(scope, roadmap_id, engine):
        _para(doc, line)
    _sources_appendix(doc, scope, ov, engine)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def _sources_appendix(doc, scope: Scope, ov, engine: Engine) -> None:
    """«Приложение. Откуда эти числа»: for each target, the school values behind its figure."""
    if not ov.cards:
        return
    doc.add_heading("Приложение. Откуда эти числа", level=2)
    if ov.unit != SCHOOL_UNIT:
        _para(doc, "Значения территорий складываются из значений их школ; источники значений школ — в справках "
                   "территорий.")
        return
    _para(doc, "Значения школ, из которых сложено значение каждого целевого показателя: загрузка (номер, файл, вид — "
               "загрузка, ввод в браузере или исправление), кто и когда внёс значение, какое значение оно заменило "
               "и причина исправления.")
    subject = Subject.territory(ov.roadmap.territory_id)
    for card in ov.cards:
        p = provenance.sources(scope, card.target_id, subject, card.period_id, engine=engine)
        _para(doc, f"{card.number}. {card.short_name}: {fmt.value(card.evaluation.value, card.unit)}"
                   + (f" ({card.as_of_label})" if card.as_of_label else ""), bold=True)
        if not p.rows:
            _para(doc, "Значений нет.")
            continue
        _table(doc, provenance.HEAD, [provenance.cells(r, card.unit, marks_in_reason=True)
                                      for r in fmt.natural_sorted(p.rows, key=lambda r: r.school)],
               [2.6, 2.0, 2.2, 3.2, 2.6, 1.6, 2.6])


def school_card(scope: Scope, school_id: int, as_of: date | None = None, *, engine: Engine | None = None,
                today: date | None = None) -> bytes:
    """One school's card (DOCX): its targets against its own target and the territory average, as of
    the page's cut `as_of` (default: today), as the school page shows them."""
    engine = engine or get_engine()
    view = school_view(scope, school_id, engine, today=today, as_of=as_of)  # refuses a school outside the scope
    s = view.school
    doc = _document()
    _para(doc, "КАРТОЧКА ШКОЛЫ", bold=True, size=14, center=True)
    _para(doc, s.name, bold=True, center=True)
    flags = [x for x, on in (("ШНОР", s.is_shnor), ("ШНСУ", s.is_shnsu)) if on]
    _para(doc, f"{s.territory}" + (f"; {', '.join(flags)}" if flags else "")
          + f". Дата составления: {fmt.day_month_year(today or settings.today(engine))}.", center=True)
    if as_of:
        named = next((p.label for t in view.targets for p in t.series if p.end == as_of), None)
        _para(doc, f"По состоянию на {named or fmt.cut_label(as_of)}.", center=True)  # a year as «2023 г.»
    if s.is_demo:
        _para(doc, "Демонстрационные данные: значения показателей вымышлены.", italic=True)
    if view.curators:
        _para(doc, f"Куратор: {', '.join(view.curators)}.")
    doc.add_heading("Целевые показатели", level=2)
    if not view.targets:
        _para(doc, "Для школы нет целевых показателей, которые оцениваются по каждой школе.")
    else:
        _table(doc, ["Показатель", "Значение", "Цель школы", "База", "Среднее по территории", "Статус"],
               [[t.short_name, t.value_text + (f" ({t.as_of_label})" if t.as_of_label else ""),
                 fmt.goal(t.rule_text, t.evaluation.target_value, t.unit),
                 fmt.value(t.evaluation.baseline, t.unit), fmt.value(t.average, t.unit),
                 STATUS_LABELS[t.evaluation.status] + (f" ({t.approval.label})" if t.approval else "")]
                for t in view.targets], [3.4, 2.6, 3.2, 1.8, 2.4, 2.2])
        for t in view.targets:  # approved figures whose basis changed since: what, and today's figure
            if t.approval is not None and t.approval.changed:
                _para(doc, f"{t.short_name}: {t.approval.changes_text()} {t.approval.today_text(t.unit)}.",
                      italic=True)
    doc.add_heading("Факторы риска", level=2)
    if not view.risks:
        _para(doc, "Результаты аудита факторов риска для школы не внесены.")
    else:
        for r in view.risks:
            _para(doc, f"{r.code} — {r.name}")
    doc.add_heading("Мероприятия и контрольные точки", level=2)
    if not view.activities:
        _para(doc, "Мероприятия и контрольные точки не внесены.")
    else:
        # the page's rule and counts (school_plan.own_items): the school's own items, and the office's
        # items for information only — never counted as the school's overdue
        mask, n_own, n_late = school_plan.own_items(view.activities)
        head, widths = ["Статус", "Срок", "Что", "№", "Содержание", "Ответственный"], [2.2, 2.4, 2.2, 1.2, 6.0, 2.6]

        def rows(own: bool) -> list[list[str]]:
            return [["просрочено" if r.overdue else r.status_text, r.deadline_text or "—", r.kind, r.number or "—",
                     r.title, r.responsible or "—"] for r, m in zip(view.activities, mask) if m == own]

        _para(doc, school_plan.own_items_text(n_own, n_late, markdown=False)
              + " (школа названа в дорожной карте или среди ответственных образовательные организации).", bold=True)
        if n_own:
            _table(doc, head, rows(True), widths)
        else:
            _para(doc, "Дорожная карта не поручает школе отдельных мероприятий.")
        n_city = len(view.activities) - n_own
        if n_city:
            _para(doc, f"Мероприятия управления образования и контрольные точки (для сведения; в просроченные школы "
                       f"не входят): {n_city}.", bold=True)
            _table(doc, head, rows(False), widths)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


# ---------------------------------------------------------------------------------------------
# XLSX exports
# ---------------------------------------------------------------------------------------------
def _workbook(sheets: dict[str, tuple[list[str], list[list]]],
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


def _plain(value):
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


def frame_xlsx(frame, sheet: str) -> bytes:
    """A table as it is on screen (its columns, in order, with their headings) as an .xlsx of one
    sheet; text is text, never a formula (_workbook)."""
    return _workbook({sheet: ([str(c) for c in frame.columns],
                              [[_plain(v) for v in row] for row in frame.itertuples(index=False, name=None)])})


def measurements_xlsx(scope: Scope, roadmap_id: int, *, indicator_ids: list[int] | None = None,
                      engine: Engine | None = None) -> bytes:
    """The values of the roadmap's indicators (or of the ones asked for, as filtered on screen) for
    the schools the user sees, every period."""
    engine = engine or get_engine()
    rm = roadmap_info(scope, roadmap_id, engine)
    only = "AND m.indicator_id IN :only" if indicator_ids is not None else ""
    rows = [SimpleNamespace(**r) for r in access.rows(engine, f"""
            SELECT s.id AS school_id, s.code, s.short_name, i.id AS indicator_id, i.code AS ind,
                   i.short_name AS indicator, p.code AS period,
                   p.label, m.value, m.numerator, m.denominator, m.is_demo
            FROM measurement m JOIN school s ON s.id = m.school_id JOIN indicator i ON i.id = m.indicator_id
            JOIN period p ON p.id = m.period_id
            WHERE s.territory_id IN (SELECT descendant_id FROM territoryclosure WHERE ancestor_id = :t)
              AND m.indicator_id IN (SELECT indicator_id FROM target WHERE roadmap_id = :r) {only}
              AND s.id IN ({{schools}})
            ORDER BY s.short_name, i.id, p."end" """, scope,
            {"t": rm.territory_id, "r": roadmap_id, **({"only": list(indicator_ids) or [-1]}
                                                         if indicator_ids is not None else {})},
            ("only",) if indicator_ids is not None else ())]
    return _workbook({"Значения": (
        ["Код школы", "Школа", "Код показателя", "Показатель", "Период", "Значение", "Из них", "Всего", "Демо"],
        [[r.code, r.short_name, r.ind, r.indicator, r.label, r.value, r.numerator, r.denominator,
          "да" if r.is_demo else "нет"] for r in sorted(rows, key=lambda r: fmt.natural_key(r.short_name))])})


def roadmap_xlsx(scope: Scope, roadmap_id: int, as_of: date | None = None, *, engine: Engine | None = None,
                 today: date | None = None) -> bytes:
    """The roadmap with statuses: targets (as evaluated) and activities / control points."""
    engine = engine or get_engine()
    ov = overview(scope, roadmap_id, as_of, engine)
    today = ov.cut or today or settings.today(engine)  # overdue as of the cut
    items = _roadmap_items(engine, roadmap_id)
    return _workbook({
        "Целевые показатели": (TARGET_SHEET_HEAD, target_sheet_rows(ov.cards)),
        "Мероприятия": (["Что", "№", "Содержание", "Срок (как в документе)", "Срок (дата)", "Ответственный", "Статус",
                         "Просрочено"],
                        [[i["kind"], i["number"], i["title"], i["deadline_text"], i["due_date"], i["responsible"],
                          ACTIVITY_STATUSES.get(i["status"], i["status"]),
                          "да" if is_overdue(i["due_date"], i["status"], today, i["deadline_text"]) else "нет"] for i in items]),
    }, formats={"Целевые показатели": TARGET_SHEET_FORMATS})


TARGET_SHEET_HEAD = ["№", "Показатель", "Группа школ", "Единица", "База", "Базовый период", "Цель",
                     "Целевое значение", "Значение", "Период", "Данные", "Значение по территории (все школы)",
                     "Ожидается по плану", "Пройдено пути, %", "Прогноз к сроку", "Срок", "Статус"]
TARGET_SHEET_FORMATS = {i: "0.0" for i in (4, 7, 8, 11, 12, 14)} | {13: "0"}


def _number(x: float | None) -> float | None:
    return None if x is None or x != x else float(x)


def target_sheet_rows(cards) -> list[list]:
    """The targets sheet of the roadmap's XLSX: the same figures as the справка's table, numbers as
    numbers (a value, its unit and its period in their own columns), the rule as text."""
    out = []
    for c in cards:
        ev = c.evaluation
        out.append([c.number, c.short_name, c.population, c.unit, _number(ev.baseline), c.baseline_label,
                    fmt.goal(c.rule_text, ev.target_value, c.unit), _number(ev.target_value), _number(ev.value),
                    c.as_of_label, c.coverage, _number(c.territory_value), _number(c.expected),
                    None if ev.progress is None else round(100 * ev.progress), _number(ev.forecast), c.due_label,
                    STATUS_LABELS[ev.status]])
    return out
