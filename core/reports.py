"""Documents out: the quarterly справка on a roadmap (DOCX), the school card (DOCX), XLSX exports,
chart images. The numbers come from core.read / core.targets, the charts from core.charts
(rendered offline by vl-convert), so a document shows what the screen shows."""

from __future__ import annotations

import io
from datetime import date
from types import SimpleNamespace

import vl_convert as vlc
from docx.document import Document as DocxDocument
from docx.shared import Cm
from sqlalchemy import text
from sqlalchemy.engine import Engine

from core import access, charts, explain, periods, provenance, quarters, school_plan
from core import formatting as fmt
from core import settings
from core.auth import Scope
from core.docs_parts import (  # noqa: F401 - the MIME types and the table fitting, re-exported
    CELL_PADDING_CM, DOCX_MIME, XLSX_MIME, fit_widths, new_document, para, plain, save, table, workbook)
from core.read.overview import overview, roadmap_info
from core.read.school import school_view
from core.targets.evaluation import Subject, as_date
from core.db import get_engine
from core.roadmap import ACTIVITY_STATUSES, is_overdue
from core.vocabulary import OFF_TRACK, SCHOOL_UNIT, STATUS_LABELS


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
    doc = new_document()
    para(doc, "СПРАВКА", bold=True, size=14, center=True)
    para(doc, f"о ходе реализации дорожной карты «{rm.title}»", bold=True, center=True)
    para(doc, f"{rm.territory}, по состоянию на {ov.as_of_label or '—'}", center=True)
    for info in quarters.approvals(scope, rm.territory_id, (c.period_id for c in ov.cards), engine).values():
        para(doc, info.note, italic=True)
    if rm.approved_by:
        para(doc, f"Основание: {rm.approved_by}.", italic=True)
    if ov.is_demo:
        para(doc, "Демонстрационные данные: значения показателей вымышлены.", italic=True)
    para(doc, f"Дата составления: {fmt.day_month_year(today)}.")
    _targets_section(doc, ov)
    _items_section(doc, engine, roadmap_id, cut)
    _risks_section(doc, engine, roadmap_id)
    _completeness_section(doc, _missing_reports(engine, scope, ov))
    doc.add_heading("5. Как считается", level=2)
    for line in explain.for_document(scope, roadmap_id, engine):
        para(doc, line)
    _sources_appendix(doc, scope, ov, engine)
    return save(doc)


def _targets_section(doc: DocxDocument, ov) -> None:
    """1. The targets: how many in which state, the table, then each target with its chart."""
    doc.add_heading("1. Достижение целевых показателей", level=2)
    if not ov.cards:
        para(doc, "В дорожной карте не заданы измеримые целевые показатели.")
    else:
        n = len(ov.cards)
        counts = {s: sum(1 for c in ov.cards if c.evaluation.status == s) for s in STATUS_LABELS}
        summary = ", ".join(f"{STATUS_LABELS[s].lower()} — {k}" for s, k in counts.items() if k)
        para(doc, f"Дорожная карта содержит {n} {fmt.plural(n, ('целевой показатель', 'целевых показателя', 'целевых показателей'))}. "
                  f"Их состояние: {summary}.")
        table(doc, ["№", "Показатель", "База", "Цель", "Текущее значение", "Пройдено пути", "Статус"],
              target_rows(ov.cards), [0.8, 3.8, 2.4, 3.0, 2.6, 1.8, 2.4])
        for card in ov.cards:
            ev = card.evaluation
            doc.add_heading(f"1.{card.number}. {card.indicator_name}", level=3)
            para(doc, f"«{card.wording}» Правило: {card.rule_text}. Группа: {card.population_text}."
                      f" Значение {fmt.value(ev.value, card.unit)}"
                      f" при цели {fmt.value(ev.target_value, card.unit)}; статус — {_status_word(ev.status)}"
                      f" ({ev.reason})." + (f" Данные: {card.coverage.removeprefix('данные ')}." if card.coverage else "")
                      + "".join(f" {n[:1].upper()}{n[1:]}." for n in card.notes)
                      + (f" {card.forecast_text}." if ev.forecast is not None and card.forecast_basis else ""))
            if card.approval is not None:  # the figures as approved; what changed since, and today's figure
                para(doc, f"Значения {card.approval.label} (данные за {card.approval.quarter_label})."
                     + (f" {card.approval.changes_text()} {card.approval.today_text(card.unit)}."
                        if card.approval.changed else ""), italic=True)
            if any(s.value is not None for s in card.series):  # a series of gaps only has nothing to draw
                doc.add_picture(io.BytesIO(chart_png(target_chart(card, height=180))), width=Cm(14))
            if card.n_schools:
                para(doc, f"{card.meeting_text.capitalize()}."
                          + (f" {STATUS_LABELS[OFF_TRACK]}: {', '.join(card.lagging)}." if card.lagging else ""))


def _items_section(doc: DocxDocument, engine: Engine, roadmap_id: int, cut: date) -> None:
    """2. Activities and control points done, overdue and due by the end of the next quarter, as of the cut."""
    doc.add_heading("2. Мероприятия и контрольные точки", level=2)
    items = _roadmap_items(engine, roadmap_id)
    if not items:
        para(doc, "Мероприятия и контрольные точки дорожной карты в систему не внесены.")
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
            para(doc, f"{name}: {len(rows)}.", bold=True)
            if rows:
                table(doc, ["Что", "№", "Содержание", "Срок", "Ответственный", "Статус"],
                      [[r["kind"], r["number"], r["title"], r["deadline_text"] or "—", r["responsible"] or "—",
                        ACTIVITY_STATUSES.get(r["status"], r["status"])] for r in rows], [2.4, 1.0, 6.0, 2.4, 3.2, 2.0])


def _risks_section(doc: DocxDocument, engine: Engine, roadmap_id: int) -> None:
    """3. The risk parameters no activity addresses."""
    doc.add_heading("3. Факторы риска без мероприятий", level=2)
    n_risks, uncovered = _risks_without_activity(engine, roadmap_id)
    if not n_risks:
        para(doc, "Результаты аудита факторов риска в систему не внесены.")
    elif not uncovered:
        para(doc, f"Каждому из {n_risks} параметров риска соответствует хотя бы одно мероприятие.")
    else:
        para(doc, f"Не обеспечены мероприятиями {len(uncovered)} из {n_risks} параметров риска:")
        for r in uncovered:
            para(doc, f"{r['code']} — {r['name']}")


def _completeness_section(doc: DocxDocument, missing: dict[str, list[str]]) -> None:
    """4. The schools whose data a target's value lacks."""
    doc.add_heading("4. Полнота данных", level=2)
    if not missing:
        para(doc, "Все школы целевых групп представили данные по всем показателям за отчётный и базовый периоды.")
    else:
        for ind, names in missing.items():
            para(doc, f"«{ind}»: нет данных за отчётный или базовый период у "
                      f"{len(names)} {fmt.plural(len(names), fmt.SCHOOL_GENITIVE)} — {', '.join(names)}"
                      " (значение группы посчитано без них).")


def _sources_appendix(doc: DocxDocument, scope: Scope, ov, engine: Engine) -> None:
    """«Приложение. Откуда эти числа»: for each target, the school values behind its figure."""
    if not ov.cards:
        return
    doc.add_heading("Приложение. Откуда эти числа", level=2)
    if ov.unit != SCHOOL_UNIT:
        para(doc, "Значения территорий складываются из значений их школ; источники значений школ — в справках "
                  "территорий.")
        return
    para(doc, "Значения школ, из которых сложено значение каждого целевого показателя: загрузка (номер, файл, вид — "
              "загрузка, ввод в браузере или исправление), кто и когда внёс значение, какое значение оно заменило "
              "и причина исправления.")
    subject = Subject.territory(ov.roadmap.territory_id)
    for card in ov.cards:
        p = provenance.sources(scope, card.target_id, subject, card.period_id, engine=engine)
        para(doc, f"{card.number}. {card.short_name}: {fmt.value(card.evaluation.value, card.unit)}"
                  + (f" ({card.as_of_label})" if card.as_of_label else ""), bold=True)
        if not p.rows:
            para(doc, "Значений нет.")
            continue
        table(doc, provenance.HEAD, [provenance.cells(r, card.unit, marks_in_reason=True)
                                     for r in fmt.natural_sorted(p.rows, key=lambda r: r.school)],
              [2.6, 2.0, 2.2, 3.2, 2.6, 1.6, 2.6])


def school_card(scope: Scope, school_id: int, as_of: date | None = None, *, engine: Engine | None = None,
                today: date | None = None) -> bytes:
    """One school's card (DOCX): its targets against its own target and the territory average, as of
    the page's cut `as_of` (default: today), as the school page shows them."""
    engine = engine or get_engine()
    view = school_view(scope, school_id, engine, today=today, as_of=as_of)  # refuses a school outside the scope
    s = view.school
    doc = new_document()
    para(doc, "КАРТОЧКА ШКОЛЫ", bold=True, size=14, center=True)
    para(doc, s.name, bold=True, center=True)
    flags = [x for x, on in (("ШНОР", s.is_shnor), ("ШНСУ", s.is_shnsu)) if on]
    para(doc, f"{s.territory}" + (f"; {', '.join(flags)}" if flags else "")
         + f". Дата составления: {fmt.day_month_year(today or settings.today(engine))}.", center=True)
    if as_of:
        named = next((p.label for t in view.targets for p in t.series if p.end == as_of), None)
        para(doc, f"По состоянию на {named or fmt.cut_label(as_of)}.", center=True)  # a year as «2023 г.»
    if s.is_demo:
        para(doc, "Демонстрационные данные: значения показателей вымышлены.", italic=True)
    if view.curators:
        para(doc, f"Куратор: {', '.join(view.curators)}.")
    doc.add_heading("Целевые показатели", level=2)
    if not view.targets:
        para(doc, "Для школы нет целевых показателей, которые оцениваются по каждой школе.")
    else:
        table(doc, ["Показатель", "Значение", "Цель школы", "База", "Среднее по территории", "Статус"],
              [[t.short_name, t.value_text + (f" ({t.as_of_label})" if t.as_of_label else ""),
                fmt.goal(t.rule_text, t.evaluation.target_value, t.unit),
                fmt.value(t.evaluation.baseline, t.unit), fmt.value(t.average, t.unit),
                STATUS_LABELS[t.evaluation.status] + (f" ({t.approval.label})" if t.approval else "")]
               for t in view.targets], [3.4, 2.6, 3.2, 1.8, 2.4, 2.2])
        for t in view.targets:  # approved figures whose basis changed since: what, and today's figure
            if t.approval is not None and t.approval.changed:
                para(doc, f"{t.short_name}: {t.approval.changes_text()} {t.approval.today_text(t.unit)}.",
                     italic=True)
    doc.add_heading("Факторы риска", level=2)
    if not view.risks:
        para(doc, "Результаты аудита факторов риска для школы не внесены.")
    else:
        for r in view.risks:
            para(doc, f"{r.code} — {r.name}")
    doc.add_heading("Мероприятия и контрольные точки", level=2)
    if not view.activities:
        para(doc, "Мероприятия и контрольные точки не внесены.")
    else:
        # the page's rule and counts (school_plan.own_items): the school's own items, and the office's
        # items for information only — never counted as the school's overdue
        mask, n_own, n_late = school_plan.own_items(view.activities)
        head, widths = ["Статус", "Срок", "Что", "№", "Содержание", "Ответственный"], [2.2, 2.4, 2.2, 1.2, 6.0, 2.6]

        def rows(own: bool) -> list[list[str]]:
            return [["просрочено" if r.overdue else r.status_text, r.deadline_text or "—", r.kind, r.number or "—",
                     r.title, r.responsible or "—"] for r, m in zip(view.activities, mask) if m == own]

        para(doc, school_plan.own_items_text(n_own, n_late, markdown=False)
             + " (школа названа в дорожной карте или среди ответственных образовательные организации).", bold=True)
        if n_own:
            table(doc, head, rows(True), widths)
        else:
            para(doc, "Дорожная карта не поручает школе отдельных мероприятий.")
        n_city = len(view.activities) - n_own
        if n_city:
            para(doc, f"Мероприятия управления образования и контрольные точки (для сведения; в просроченные школы "
                      f"не входят): {n_city}.", bold=True)
            table(doc, head, rows(False), widths)
    return save(doc)


# ---------------------------------------------------------------------------------------------
# XLSX exports
# ---------------------------------------------------------------------------------------------
def frame_xlsx(frame, sheet: str) -> bytes:
    """A table as it is on screen (its columns, in order, with their headings) as an .xlsx of one
    sheet; text is text, never a formula (core.docs_parts.workbook)."""
    return workbook({sheet: ([str(c) for c in frame.columns],
                             [[plain(v) for v in row] for row in frame.itertuples(index=False, name=None)])})


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
    return workbook({"Значения": (
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
    return workbook({
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
