"""The spreadsheet a methodologist sends to schools (openpyxl): sheet «Данные» with one row per
school (code and name filled and locked), one column per measured quantity, cell validation, an
instruction sheet and a hidden sheet that records version, period and the meaning of each column.
Also the one-school form."""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from sqlalchemy import bindparam, text
from sqlalchemy.engine import Engine

from core import auth, periods, settings
from core.auth import Scope
from core.db import get_engine
from core.formatting import natural_sorted
from core.ingest.parse import DATA_SHEET, FORM_SHEET, KEY_MARK, META_SHEET
from core.ingest.pipeline import column_labels
from core.ingest.problems import IngestError
from core.safe_xlsx import neutralise  # the one rule for every file sent out

TEMPLATE_VERSION = "1"
HEAD = PatternFill("solid", fgColor="0B4F8A")
LOCKED = PatternFill("solid", fgColor="EEF2F7")
THIN = Side(style="thin", color="9FB3C8")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)

# {cells}: where to type, {key}: what carries the columns' meaning — each workbook names its own sheet
INSTRUCTION = [
    "Как заполнить",
    "1. Заполняйте только белые ячейки {cells}.",
    "2. Для долей введите два целых числа: «всего» и «из них». Процент посчитает система.",
    "3. «Из них» не может быть больше, чем «всего». Отрицательные числа не принимаются.",
    "4. Если данных нет, оставьте ячейку пустой (не пишите 0, если значение неизвестно).",
    "5. Не удаляйте {key} и лист «_meta»: по ним система узнаёт {what}, "
    "даже если заголовки переименованы или переставлены.",
    "6. Сохраните файл как «Книга Excel (*.xlsx)» и загрузите на странице «Загрузка данных».",
]


def _indicators(engine: Engine, codes: list[str] | None) -> list[dict]:
    sql = ("SELECT id, code, name, short_name, unit, value_kind, numerator_label, denominator_label FROM indicator "
           "WHERE level = 'school'" + (" AND code IN :codes" if codes else "") + " ORDER BY id")
    stmt = text(sql).bindparams(bindparam("codes", expanding=True)) if codes else text(sql)
    with engine.connect() as c:
        return [dict(r._mapping) for r in c.execute(stmt, {"codes": codes} if codes else {})]


def indicators_of_territory(engine: Engine, territory_id: int) -> list[str]:
    """The codes of the school-level indicators that the territory's roadmaps target."""
    with engine.connect() as c:
        return [r[0] for r in c.execute(text("""
            SELECT DISTINCT i.code FROM target x JOIN roadmap r ON r.id = x.roadmap_id
            JOIN indicator i ON i.id = x.indicator_id
            WHERE i.level = 'school' AND r.territory_id IN
                  (SELECT ancestor_id FROM territoryclosure WHERE descendant_id = :t)"""), {"t": territory_id})]


def _period(engine: Engine, code: str) -> dict:
    """Any period the calendar knows, whether or not the database has data for it yet."""
    p = periods.parse(code)
    if p is None:
        raise IngestError(f"Неизвестный период «{code}»: пишите, например, «2026-Q3», «2026» или «2025/26».")
    return {"code": p.code, "label": p.label}


def _schools(engine: Engine, scope: Scope, territory_id: int | None, school_ids: list[int] | None) -> list[dict]:
    with engine.connect() as c:
        rows = [dict(r._mapping) for r in c.execute(text(
            "SELECT id, code, name, short_name, territory_id FROM school ORDER BY short_name"))]
    rows = [r for r in natural_sorted(rows, key=lambda r: r["short_name"]) if scope.can_see_school(r["id"], r["territory_id"])
            and (territory_id is None or r["territory_id"] == territory_id)
            and (school_ids is None or r["id"] in school_ids)]
    if not rows:
        raise IngestError("Нет школ для шаблона: выберите территорию или школы, доступные вашей учётной записи.")
    return rows


def _save(wb: Workbook) -> bytes:
    buf = io.BytesIO()
    neutralise(wb).save(buf)
    return buf.getvalue()


def _meta_sheet(wb: Workbook, items: list[tuple[str, str]]) -> None:
    ws = wb.create_sheet(META_SHEET)
    for k, v in items:
        ws.append([k, v])
    ws.sheet_state = "hidden"


def _instruction(wb: Workbook, title: str, **words: str) -> None:
    """The instruction sheet, naming the workbook's own sheet and key (`words`: cells, key, what)."""
    ws = wb.create_sheet("Инструкция")
    ws.append([title])
    ws["A1"].font = Font(bold=True, size=14)
    for line in INSTRUCTION:
        ws.append([line.format(**words)])
    ws["A2"].font = Font(bold=True)
    ws.column_dimensions["A"].width = 120


def build_template(scope: Scope, period_code: str, *, territory_id: int | None = None,
                   school_ids: list[int] | None = None, indicator_codes: list[str] | None = None,
                   engine: Engine | None = None) -> bytes:
    """The collection template for a period and a set of schools (all in the user's scope)."""
    engine = engine or get_engine()
    if not scope.can_upload:
        raise auth.deny(scope, "шаблон для сбора данных", engine)
    period = _period(engine, period_code)
    schools = _schools(engine, scope, territory_id, school_ids)
    if indicator_codes is None:
        indicator_codes = indicators_of_territory(engine, schools[0]["territory_id"]) or None
    inds = _indicators(engine, indicator_codes)
    wb = Workbook()
    ws = wb.active
    ws.title = DATA_SHEET
    columns = [(i, part, label) for i in inds for part, label in column_labels(i)]
    ncol = 2 + len(columns)
    ws.cell(1, 1, f"Мониторинг целевых показателей — {period['label']}")
    ws.cell(1, 1).font = Font(bold=True, size=14)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=max(ncol, 2))
    keys = [KEY_MARK, "school_name"] + [f"{i['code']}:{part}" for i, part, _ in columns]
    heads = ["Код ОО", "Наименование ОО"] + [label for _, _, label in columns]
    for j, (k, h) in enumerate(zip(keys, heads), start=1):
        ws.cell(2, j, k)
        c = ws.cell(3, j, h)
        c.font = Font(bold=True, color="FFFFFF")
        c.fill = HEAD
        c.alignment = Alignment(wrap_text=True, vertical="center")
        c.border = BOX
        ws.column_dimensions[get_column_letter(j)].width = 14 if j == 1 else 42 if j == 2 else max(
            16, min(34, len(h) * 0.55 + 4))
    ws.row_dimensions[2].hidden = True
    ws.row_dimensions[3].height = 64
    first, last = 4, 3 + len(schools)
    for r, s in enumerate(schools, start=first):
        for j, v in ((1, s["code"]), (2, s["name"])):
            c = ws.cell(r, j, v)
            c.fill = LOCKED
            c.border = BOX
            c.protection = Protection(locked=True)
        for j in range(3, ncol + 1):
            c = ws.cell(r, j)
            c.border = BOX
            c.protection = Protection(locked=False)
    _validations(ws, columns, first, last)
    ws.freeze_panes = "C4"
    ws.protection.sheet = True
    ws.protection.formatColumns = False
    ws.protection.formatRows = False
    _instruction(wb, f"Шаблон сбора данных за {period['label']}",
                 cells=f"листа «{DATA_SHEET}». Код и наименование школы менять нельзя",
                 key="скрытую вторую строку", what="столбцы")
    _meta_sheet(wb, [("template_version", TEMPLATE_VERSION), ("kind", "template"), ("period", period["code"]),
                     ("created", settings.office_date().isoformat()), ("schools", ",".join(s["code"] for s in schools))]
                + [(k, h) for k, h in zip(keys, heads)])
    return _save(wb)


def _validations(ws, columns: list[tuple[dict, str, str]], first: int, last: int) -> None:
    """Excel's own checks of the template's cells: whole numbers, 1 or 0 for a flag, «из них» not above «всего»."""
    whole = DataValidation(type="whole", operator="greaterThanOrEqual", formula1="0", allow_blank=True,
                           showErrorMessage=True, errorTitle="Неверное значение",
                           error="Введите целое число не меньше 0.")
    flag = DataValidation(type="list", formula1='"0,1"', allow_blank=True, showErrorMessage=True,
                          errorTitle="Неверное значение", error="Введите 1 (да) или 0 (нет).")
    decimal = DataValidation(type="decimal", operator="greaterThanOrEqual", formula1="0", allow_blank=True,
                             showErrorMessage=True, errorTitle="Неверное значение", error="Введите число не меньше 0.")
    for v in (whole, flag, decimal):
        ws.add_data_validation(v)
    for j, (i, part, _) in enumerate(columns, start=3):
        rng = f"{get_column_letter(j)}{first}:{get_column_letter(j)}{last}"
        if part == "numerator":  # numerator <= denominator (the column to the left)
            den = get_column_letter(j - 1)
            v = DataValidation(type="custom", formula1=f"AND(ISNUMBER({get_column_letter(j)}{first}),"
                                                       f"{get_column_letter(j)}{first}>=0,"
                                                       f"{get_column_letter(j)}{first}<={den}{first},"
                                                       f"INT({get_column_letter(j)}{first})={get_column_letter(j)}{first})",
                               allow_blank=True, showErrorMessage=True, errorTitle="Неверное значение",
                               error="«Из них» — целое число от 0 до «всего».")
            ws.add_data_validation(v)
            v.add(rng)
        elif i["value_kind"] == "flag":
            flag.add(rng)
        elif i["value_kind"] == "value":
            decimal.add(rng)
        else:
            whole.add(rng)


def build_school_form(scope: Scope, period_code: str, school_id: int, *, indicator_codes: list[str] | None = None,
                      engine: Engine | None = None) -> bytes:
    """A one-school form (vertical: one row per quantity) that a school fills and sends back."""
    engine = engine or get_engine()
    if not scope.can_upload:
        raise auth.deny(scope, "форма для школы", engine)
    period = _period(engine, period_code)
    school = _schools(engine, scope, None, [school_id])[0]
    if indicator_codes is None:
        indicator_codes = indicators_of_territory(engine, school["territory_id"]) or None
    inds = _indicators(engine, indicator_codes)
    wb = Workbook()
    ws = wb.active
    ws.title = FORM_SHEET
    ws.append([f"{school['name']} (код {school['code']})"])
    ws.append([f"Данные мониторинга за {period['label']}"])
    ws.append([])
    ws.append(["Показатель", "Что вводить", "Значение", "ключ"])
    for c in ws[4]:
        c.font = Font(bold=True, color="FFFFFF")
        c.fill = HEAD
    ws["A1"].font = Font(bold=True, size=13)
    whole = DataValidation(type="whole", operator="greaterThanOrEqual", formula1="0", allow_blank=True,
                           showErrorMessage=True, error="Введите целое число не меньше 0.")
    ws.add_data_validation(whole)
    for i in inds:
        for part, label in column_labels(i):
            what = label.split(": ", 1)[-1] if part != "value" else (i["unit"] or "значение")
            ws.append([i["short_name"], what, None, f"{i['code']}:{part}"])
            row = ws.max_row
            ws.cell(row, 3).protection = Protection(locked=False)
            ws.cell(row, 3).border = BOX
            if i["value_kind"] in ("share", "count"):
                whole.add(f"C{row}")
    ws.column_dimensions["A"].width = 44
    ws.column_dimensions["B"].width = 40
    ws.column_dimensions["C"].width = 16
    ws.column_dimensions["D"].hidden = True
    ws.protection.sheet = True
    _instruction(wb, f"Форма школы за {period['label']}",
                 cells=f"столбца «Значение» листа «{FORM_SHEET}». Показатели и подписи менять нельзя",
                 key="скрытый столбец D («ключ»)", what="строки")
    _meta_sheet(wb, [("template_version", TEMPLATE_VERSION), ("kind", "school_form"), ("period", period["code"]),
                     ("school_code", school["code"]), ("created", settings.office_date().isoformat())])
    return _save(wb)
