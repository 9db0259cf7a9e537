"""The roadmap workbook: one Excel file holds a whole roadmap as the office wrote it (the roadmap,
its indicators and schools, directions, activities, control points, targets, risk groups and
parameters with the schools where each was found, curator links, groups of schools).

`write` makes the workbook (an empty template, an export of a loaded roadmap, the transcribed
seeds in data/roadmaps/); `prepare` reads and checks one against the database and says what
would be written, each problem located by sheet, row and column; `apply` writes it in one
transaction. The demo database is built by loading data/roadmaps/*.xlsx through the same path.
"""

from __future__ import annotations

import hashlib
import io
import re
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import bindparam
from sqlalchemy import text as sql
from sqlalchemy.engine import Engine
from sqlmodel import select

from core import auth, policy, quarters, territory_match
from core.auth import Scope
from core.db import get_engine, session_scope
from core.formatting import clip, plural
from core.ingest.excel import col_letter, open_workbook
from core.ingest.numbers import NotANumber, cell_text, parse_number
from core.ingest.parse import norm
from core.ingest.problems import IngestError, Problem
from core.periods import ensure as ensure_periods
from core.periods import parse as parse_period
from core.models import (Activity, ActivityIndicator, ActivityRisk, ActivitySchool, ControlPoint, CuratorLink,
                         Direction, Indicator, Period, RiskFactor, RiskGroup, Roadmap, School, SchoolGroup,
                         SchoolGroupMember, SchoolRisk, Target, TargetMilestone, Territory, Upload)
from core.roadmap import ACTIVITY_STATUSES, expand_risk_codes, parse_deadline
from core.targets import kinds as target_kinds
from core.safe_xlsx import neutralise
from core.territories import add_territory

FORMAT = "roadmap-v1"
META_SHEET = "_meta"
MAIN_SHEET = "Дорожная карта"


@dataclass(frozen=True)
class Col:
    key: str
    header: str
    required: bool = False
    width: int = 18
    hint: str = ""


# Lengths of the database columns the workbook fills (longer text would be cut or refused)
MAX_LEN = {("code", MAIN_SHEET): 64, ("territory_code", MAIN_SHEET): 64, ("territory_name", MAIN_SHEET): 255,
           ("region", MAIN_SHEET): 255, ("code", "Показатели"): 64, ("name", "Показатели"): 500,
           ("short_name", "Показатели"): 120, ("unit", "Показатели"): 32, ("numerator_label", "Показатели"): 255,
           ("denominator_label", "Показатели"): 255, ("code", "Школы"): 64, ("name", "Школы"): 500,
           ("short_name", "Школы"): 255, ("kind", "Школы"): 32, ("number", "Направления"): 16,
           ("number", "Мероприятия"): 32, ("stage", "Мероприятия"): 32, ("deadline", "Мероприятия"): 500,
           ("risks", "Мероприятия"): 255, ("number", "Контрольные точки"): 16, ("deadline", "Контрольные точки"): 500,
           ("code", "Группы рисков"): 16, ("group", "Параметры риска"): 16, ("code", "Параметры риска"): 16,
           ("name", "Группы школ"): 255}


# The roadmap sheet is a list of fields (column A: field, column B: value).
MAIN_FIELDS = [
    Col("code", "Код дорожной карты", True, hint="латиница, цифры, дефис; например nev-2024"),
    Col("title", "Название", True),
    Col("territory_code", "Код территории", True, hint="как в системе, например nevinnomyssk"),
    Col("territory_name", "Территория", True),
    Col("region", "Регион"),
    Col("year_from", "Год начала"),
    Col("year_to", "Год окончания"),
    Col("approved_by", "Утверждена", hint="приказ: кем, дата, номер"),
    Col("goal", "Цель"),
    Col("tasks", "Задачи"),
    Col("participants", "Участники реализации", hint="кто участвует, их функции и индикаторы"),
    Col("source", "Источник", hint="документ, из которого перенесена карта"),
]

SHEETS: dict[str, list[Col]] = {
    "Показатели": [
        Col("code", "Код", True, 22), Col("name", "Наименование", True, 50), Col("short_name", "Краткое наименование", True, 28),
        Col("unit", "Единица", True, 10), Col("value_kind", "Вид", True, 14, "доля | количество | значение | признак"),
        Col("level", "Уровень", False, 12, "школа | территория"), Col("higher_is_better", "Больше — лучше", False, 12, "да | нет"),
        Col("numerator_label", "Числитель", False, 30), Col("denominator_label", "Знаменатель", False, 30),
    ],
    "Школы": [
        Col("code", "Код школы", True, 14), Col("name", "Полное наименование", True, 50),
        Col("short_name", "Краткое наименование", True, 28), Col("kind", "Тип", False, 10, "СОШ, ООШ, СШ, гимназия…"),
        Col("is_shnor", "ШНОР", False, 8, "да | нет"), Col("is_shnsu", "ШНСУ", False, 8, "да | нет"),
        Col("is_leader", "Школа-лидер", False, 10, "да | нет"),
    ],
    "Направления": [Col("number", "№", True, 8), Col("title", "Направление", True, 80)],
    "Мероприятия": [
        Col("number", "№", True, 8), Col("stage", "Этап (год)", False, 10, "для планов, расписанных по годам"),
        Col("direction", "Направление (№)", False, 12), Col("title", "Мероприятие", True, 60),
        Col("deadline", "Срок (как в документе)", False, 24), Col("responsible", "Ответственные", False, 26),
        Col("expected_result", "Ожидаемый результат", False, 40), Col("report_form", "Форма отчёта", False, 20),
        Col("form", "Форма проведения", False, 20), Col("participants", "Участники", False, 22),
        Col("venue", "Место проведения", False, 18), Col("indicators", "Показатели (коды)", False, 22, "через запятую"),
        Col("risks", "Параметры риска (коды)", False, 18, "1.1, 2.1-2.3 или «все выявленные параметры»"),
        Col("schools_text", "Школы (как в документе)", False, 30), Col("schools", "Школы (коды)", False, 22, "через запятую"),
    ],
    "Контрольные точки": [
        Col("number", "№", True, 8), Col("title", "Контрольная точка", True, 70),
        Col("responsible", "Ответственный", False, 28), Col("deadline", "Срок (как в документе)", False, 24),
    ],
    "Целевые показатели": [
        Col("number", "№", True, 6), Col("wording", "Формулировка (как в документе)", True, 60),
        Col("indicator", "Показатель (код)", True, 22),
        Col("kind", "Вид цели", True, 18, " | ".join(target_kinds.labels().values())),
        Col("value", "Значение", False, 10), Col("baseline", "Базовый период", False, 14, "2023-Q4 или 2023"),
        Col("due", "Срок (период)", False, 14), Col("applies_to", "Группа школ", False, 16, "ШНОР | ШНСУ | ШНОР и ШНСУ | все школы"),
        Col("judged_on", "Оценивается", False, 18, "группа | каждая школа | группа и каждая школа"),
        Col("milestones", "Этапы", False, 40, "период: значение (пояснение); …"),
    ],
    "Группы рисков": [
        Col("code", "Код группы", True, 10), Col("name", "Группа рисков", True, 40),
        Col("goals", "Целевые ориентиры", False, 50), Col("progress_indicators", "Индикаторы продвижения", False, 50),
    ],
    "Параметры риска": [
        Col("group", "Код группы", True, 10), Col("code", "Код параметра", True, 10), Col("name", "Параметр", True, 60),
        Col("found_in_text", "Где выявлен (как в документе)", False, 30), Col("schools", "Школы (коды)", False, 30),
        Col("audit_date", "Дата аудита", False, 12),
    ],
    "Кураторы": [Col("curator", "Школа-куратор (код)", True, 20), Col("school", "Курируемая школа (код)", True, 20)],
    "Группы школ": [
        Col("name", "Группа", True, 20), Col("schools", "Школы (коды)", True, 40), Col("note", "Примечание", False, 50),
    ],
}

VALUE_KINDS = {"доля": "share", "количество": "count", "значение": "value", "признак": "flag"}
AGGREGATION = {"share": "ratio_of_sums", "count": "sum", "value": "mean", "flag": "count_flags"}
LEVELS = {"школа": "school", "территория": "territory"}
APPLIES_TO = {"ШНОР": "shnor", "ШНСУ": "shnsu", "ШНОР и ШНСУ": "target", "все школы": "all"}
JUDGED_ON = {"группа": "group", "каждая школа": "school", "группа и каждая школа": "both"}
YES, NO = {"да", "1", "true", "yes", "+"}, {"нет", "0", "false", "no", "-", ""}


def _inverse(d: dict[str, str]) -> dict[str, str]:
    return {v: k for k, v in d.items()}


# ---------------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------------
def write(book: dict) -> bytes:
    """A workbook from `book` = {"roadmap": {key: value}, sheet name: [row dicts]} (every sheet
    optional: an empty one is the template)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    head_font, head_fill = Font(bold=True), PatternFill("solid", fgColor="DDE6F0")
    wrap = Alignment(wrap_text=True, vertical="top")
    ws = wb.active
    ws.title = MAIN_SHEET
    ws.append(["Поле", "Значение", "Подсказка"])
    for c in MAIN_FIELDS:
        v = (book.get("roadmap") or {}).get(c.key)
        ws.append([c.header + (" *" if c.required else ""), v, c.hint])
    for cell in ws[1]:
        cell.font, cell.fill = head_font, head_fill
    ws.column_dimensions["A"].width, ws.column_dimensions["B"].width, ws.column_dimensions["C"].width = 26, 100, 40
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = wrap
    for name, cols in SHEETS.items():
        ws = wb.create_sheet(name)
        ws.append([c.header + (" *" if c.required else "") for c in cols])
        ws.append([c.hint for c in cols])
        for i, c in enumerate(cols, start=1):
            ws.column_dimensions[get_column_letter(i)].width = c.width
            ws.cell(1, i).font, ws.cell(1, i).fill = head_font, head_fill
            ws.cell(2, i).font = Font(italic=True, color="666666", size=9)
        for r in book.get(name) or []:
            ws.append([_out(r.get(c.key)) for c in cols])
        for row in ws.iter_rows(min_row=1):
            for cell in row:
                cell.alignment = wrap
        ws.freeze_panes = "A3"
    ws = wb.create_sheet("Инструкция", 0)
    for line in INSTRUCTION:
        ws.append([line])
    ws.column_dimensions["A"].width = 120
    meta = wb.create_sheet(META_SHEET)
    meta.append(["format", FORMAT])
    meta.sheet_state = "hidden"
    wb.active = 1
    out = io.BytesIO()
    neutralise(wb).save(out)
    return out.getvalue()


def _out(v):
    if isinstance(v, (list, tuple)):
        return ", ".join(str(x) for x in v)
    return v


INSTRUCTION = [
    "Дорожная карта в одном файле Excel.",
    "Заполните листы: «Дорожная карта» (код, название, территория, годы, приказ, цель), «Показатели» (те, на которые "
    "ссылаются цели и мероприятия; уже известные системе можно не повторять), «Школы» (новые для системы школы "
    "территории), «Направления», «Мероприятия», «Контрольные точки», «Целевые показатели», «Группы рисков», "
    "«Параметры риска» (со школами, где выявлен фактор), «Кураторы», «Группы школ».",
    "Столбцы со звёздочкой (*) обязательны. Вторая строка каждого листа — подсказка, её не удаляйте и не заполняйте.",
    "Сроки пишите так, как в документе («Сентябрь 2024 года», «I квартал 2024 года», «ежегодно»): система сама "
    "определит дату; нераспознанный срок сохраняется как написан и показывается в проверке.",
    "Коды школ, показателей и параметров риска перечисляйте через запятую; диапазон параметров — через дефис "
    "(«2.1-2.3»); «все выявленные параметры» — все параметры, для которых указаны школы.",
    "При загрузке файл проверяется целиком: если есть ошибки, ничего не записывается, а каждая ошибка указана с "
    "листом, строкой и столбцом.",
]


def template() -> bytes:
    return write({})


# ---------------------------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------------------------
@dataclass
class Cell:
    value: str
    sheet: str
    row: int
    col: str
    header: str

    def problem(self, message: str, level: str = "error") -> Problem:
        return Problem(level, message, self.sheet, self.row, self.col, self.header, self.value or None)


@dataclass
class Book:
    main: dict[str, Cell] = field(default_factory=dict)
    sheets: dict[str, list[dict[str, Cell]]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)


def read(data: bytes, file_name: str) -> Book:
    wb = open_workbook(data, file_name)
    book = Book()
    meta = {cell_text(r[0]): cell_text(r[1]) for r in wb.sheets.get(META_SHEET, []) if len(r) >= 2}
    if MAIN_SHEET not in wb.sheets:
        if meta.get("format") == "measurements" or any(norm(n) == "данные" for n in wb.sheets):
            raise IngestError("Это файл с данными мониторинга, а не дорожная карта: загрузите его на странице "
                              "«Загрузка данных», раздел «Данные мониторинга».")
        raise IngestError(f"В файле нет листа «{MAIN_SHEET}»: это не файл дорожной карты. Скачайте шаблон "
                          "дорожной карты и перенесите данные в него.")
    labels = {norm(c.header): c for c in MAIN_FIELDS}
    for i, r in enumerate(wb.sheets[MAIN_SHEET], start=1):
        if not r:
            continue
        c = labels.get(norm(cell_text(r[0])))
        if c:
            book.main[c.key] = Cell(cell_text(r[1]) if len(r) > 1 else "", MAIN_SHEET, i, "B", c.header)
    for name, cols in SHEETS.items():
        book.sheets[name] = _read_table(wb.sheets.get(name), name, cols, book.problems)
    cells = [(MAIN_SHEET, k, c) for k, c in book.main.items()]
    cells += [(name, k, c) for name, rows in book.sheets.items() for r in rows for k, c in r.items()]
    for sheet, key, c in cells:
        limit = MAX_LEN.get((key, sheet))
        if limit and len(c.value) > limit:
            book.problems.append(c.problem(f"слишком длинный текст: {len(c.value)} знаков, допускается до {limit}"))
    return book


def _read_table(rows: list[list] | None, sheet: str, cols: list[Col], problems: list[Problem]) -> list[dict[str, Cell]]:
    if not rows:
        return []
    by_header = {norm(c.header): c for c in cols}
    head_at, mapping = None, {}
    for i, r in enumerate(rows[:10]):
        found = {j: by_header[norm(cell_text(v))] for j, v in enumerate(r) if norm(cell_text(v)) in by_header}
        if found and all(c in found.values() for c in cols if c.required):
            head_at, mapping = i, found
            break
    if head_at is None:
        missing = ", ".join(f"«{c.header}»" for c in cols if c.required)
        problems.append(Problem("error", f"не найдена строка заголовков (нужны столбцы {missing})", sheet))
        return []
    hints = {norm(c.hint) for c in cols if c.hint}
    out = []
    for i, r in enumerate(rows[head_at + 1:], start=head_at + 2):
        cells = {c.key: Cell(cell_text(r[j]) if j < len(r) else "", sheet, i, col_letter(j + 1), c.header)
                 for j, c in mapping.items()}
        values = [x.value for x in cells.values() if x.value]
        if not values:
            continue
        if all(norm(v) in hints for v in values):  # the hint row of the template
            continue
        for c in cols:
            cells.setdefault(c.key, Cell("", sheet, i, "", c.header))
        out.append(cells)
    return out


# ---------------------------------------------------------------------------------------------
# Checking against the database
# ---------------------------------------------------------------------------------------------
@dataclass
class Preview:
    file_name: str
    checksum: str
    roadmap: dict = field(default_factory=dict)
    territory: dict = field(default_factory=dict)  # {"id": int|None, "code", "name", "region"}
    indicators: list[dict] = field(default_factory=list)  # new ones
    schools: list[dict] = field(default_factory=list)  # new ones
    directions: list[dict] = field(default_factory=list)
    activities: list[dict] = field(default_factory=list)
    control_points: list[dict] = field(default_factory=list)
    targets: list[dict] = field(default_factory=list)
    risk_groups: list[dict] = field(default_factory=list)
    risks: list[dict] = field(default_factory=list)
    curators: list[dict] = field(default_factory=list)
    school_groups: list[dict] = field(default_factory=list)
    periods: list[str] = field(default_factory=list)  # period codes to create
    problems: list[Problem] = field(default_factory=list)
    replaces: int | None = None  # the id of the loaded roadmap with the same code (a corrected file)
    marked: list[dict] = field(default_factory=list)  # its items with a status other than «planned»
    loaded_targets: list[dict] = field(default_factory=list)  # its targets (indicator, applies_to, wording)
    # the file names a new territory code, but territories in the system have a matching name: the
    # user is asked which (prepare(territory=…)) — [{"code", "name", "score"}], best first
    territory_match: list[dict] = field(default_factory=list)

    def dropped_marks(self) -> list[dict]:
        """Items of the loaded roadmap with a status that the new file no longer has (their status
        stays in the audit log only)."""
        keep = {("activity", a["number"], a["stage"] or "") for a in self.activities}
        keep |= {("control_point", c["number"], "") for c in self.control_points}
        return [m for m in self.marked if (m["kind"], m["number"], m["stage"] or "") not in keep]

    def dropped_targets(self) -> list[dict]:
        """Targets of the loaded roadmap (by indicator and group) that the new file no longer has."""
        keep = {(x["indicator"], x["applies_to"]) for x in self.targets}
        return [t for t in self.loaded_targets if (t["indicator"], t["applies_to"]) not in keep]

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.level == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.level == "warning"]

    @property
    def ok(self) -> bool:
        return not self.errors

    def counts(self) -> dict[str, int]:
        return {"Направления": len(self.directions), "Мероприятия": len(self.activities),
                "Контрольные точки": len(self.control_points), "Целевые показатели": len(self.targets),
                "Группы рисков": len(self.risk_groups), "Параметры риска": len(self.risks),
                "Школы, где выявлены риски": sum(len(r["schools"]) for r in self.risks),
                "Новые школы": len(self.schools), "Новые показатели": len(self.indicators),
                "Кураторы": len(self.curators), "Группы школ": len(self.school_groups)}

    def unparsed_deadlines(self) -> list[str]:
        return [x["deadline"] for x in self.activities + self.control_points if x["deadline_kind"] == "unparsed"]


_CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def _split_codes(text: str) -> list[str]:
    return [x.strip() for x in re.split(r"[,;\n]+", text or "") if x.strip()]


def _flag(cell: Cell, out: list[Problem]) -> bool:
    v = cell.value.strip().lower()
    if v in YES:
        return True
    if v not in NO:
        out.append(cell.problem("ожидается «да» или «нет»"))
    return False


def _choice(cell: Cell, options: dict[str, str], out: list[Problem], default: str | None = None) -> str | None:
    if not cell.value:
        if default is None:
            out.append(cell.problem("не заполнено"))
        return default
    for label, key in options.items():
        if norm(label) == norm(cell.value) or cell.value == key:
            return key
    out.append(cell.problem("допустимые значения: " + ", ".join(f"«{x}»" for x in options)))
    return default


def _number(cell: Cell, out: list[Problem]) -> float | None:
    try:
        return parse_number(cell.value)
    except NotANumber as exc:
        out.append(cell.problem(str(exc)))
        return None


def _period_code(cell: Cell, known: dict[str, dict], out: list[Problem], create: list[str]) -> str | None:
    """A period named by its code or its label («2024-Q4», «IV кв. 2024», «2024», «2023/24 уч. г.»);
    one the database does not hold yet is listed in `create` (made when the roadmap is written)."""
    v = cell.value.strip()
    if not v:
        return None
    if v in known:
        return v
    spec = parse_period(v)
    if spec is None:
        out.append(cell.problem("неизвестный период: пишите «2024-Q4» или «IV кв. 2024» (квартал), «2024» (год), "
                                "«2024-H1» (полугодие) или «2023/24» (учебный год)"))
        return None
    if spec.code not in known and spec.code not in create:
        create.append(spec.code)
    return spec.code


NEW_TERRITORY = "new"  # prepare(territory=…): create the file's territory although one with a similar name exists


def prepare(scope: Scope, data: bytes, file_name: str, engine: Engine | None = None, *, connection=None,
            territory: str | None = None) -> Preview:
    """Read the workbook and check it whole; nothing is written. `connection`: read through it
    (the demo builder checks each file inside its one transaction). `territory`: the answer to the
    question asked when the file's territory code is new but its name matches a territory in the
    system (`Preview.territory_match`) — that territory's code (load for it), or NEW_TERRITORY. Each sheet or rule is one
    named check (`CHECKS`), run in order on one `_Check`: later checks see what earlier ones
    found (schools and indicators of the file, directions, risk parameters)."""
    engine = engine or get_engine()
    if not scope.can_edit_roadmap:
        raise auth.deny(scope, "roadmap_upload", engine)
    pv = Preview(file_name=file_name, checksum=hashlib.sha256(data).hexdigest())
    book = read(data, file_name)
    pv.problems.extend(book.problems)
    with (nullcontext(connection) if connection is not None else engine.connect()) as c:
        known = _Known.read(c, book)
    ctx = _Check(scope=scope, book=book, pv=pv, known=known,
                 ind_kinds={code: r["value_kind"] for code, r in known.indicators.items()},
                 known_schools=dict(known.schools), territory_choice=territory)
    for check in CHECKS:
        check(ctx)
    return pv


@dataclass
class _Known:
    """What the database holds that the checks compare the file with."""

    territories: dict[str, dict]
    schools: dict[str, dict]
    indicators: dict[str, dict]
    periods: dict[str, dict]
    roadmaps: dict[str, dict]
    curator_pairs: dict[tuple[str, str], int]
    marked: list[dict]  # a reload: items of the loaded roadmap that have a status
    loaded_targets: list[dict]  # a reload: the loaded roadmap's targets

    @classmethod
    def read(cls, c, book: Book) -> "_Known":
        q = lambda s, **k: [dict(r._mapping) for r in c.execute(sql(s), k)]  # noqa: E731
        roadmaps = {r["code"]: r for r in q("SELECT id, code, territory_id FROM roadmap")}
        code_cell = book.main.get("code")
        marked, loaded_targets = [], []
        if code_cell is not None and code_cell.value in roadmaps:
            rid = roadmaps[code_cell.value]["id"]
            marked = q("""SELECT 'activity' AS kind, number, stage, title, status FROM activity
                          WHERE roadmap_id = :r AND status <> 'planned'
                          UNION ALL SELECT 'control_point', number, '', title, status FROM controlpoint
                          WHERE roadmap_id = :r AND status <> 'planned'""", r=rid)
            loaded_targets = q("""SELECT i.code AS indicator, t.applies_to, t.wording FROM target t
                                  JOIN indicator i ON i.id = t.indicator_id WHERE t.roadmap_id = :r""", r=rid)
        return cls(
            territories={r["code"]: r for r in q("SELECT id, code, name FROM territory")},
            schools={r["code"]: r for r in q("SELECT id, code, territory_id, short_name FROM school")},
            indicators={r["code"]: r for r in q("SELECT id, code, value_kind, level FROM indicator")},
            periods={r["code"]: r for r in q("SELECT id, code, label FROM period")},
            roadmaps=roadmaps,
            curator_pairs={(r["a"], r["b"]): r["roadmap_id"] for r in q(
                """SELECT c.code AS a, s.code AS b, l.roadmap_id FROM curatorlink l
                   JOIN school c ON c.id = l.curator_school_id JOIN school s ON s.id = l.school_id""")},
            marked=marked, loaded_targets=loaded_targets)


@dataclass
class _Check:
    """The state the checks share: the file, the preview they fill, the database's view, and what
    the file itself adds (indicators, schools, directions, risk parameters)."""

    scope: Scope
    book: Book
    pv: Preview
    known: _Known
    ind_kinds: dict[str, str | None]  # indicator code -> value kind, the database's and the file's
    known_schools: dict[str, dict]  # school code -> row, the database's and the file's ({"new": True})
    territory_id: int | None = None
    dir_numbers: set[str] = field(default_factory=set)
    risk_codes: list[str] = field(default_factory=list)
    found: set[str] = field(default_factory=set)  # risk parameters found in some school
    territory_choice: str | None = None  # prepare(territory=…)

    @property
    def problems(self) -> list[Problem]:
        return self.pv.problems

    def school_refs(self, cell: Cell) -> list[str]:
        out = []
        for code in _split_codes(cell.value):
            s = self.known_schools.get(code)
            if s is None:
                self.problems.append(cell.problem(f"школы с кодом «{code}» нет ни в системе, ни на листе «Школы»"))
            elif self.territory_id is not None and s["territory_id"] != self.territory_id:
                self.problems.append(cell.problem(f"школа «{code}» относится к другой территории"))
            elif code not in out:
                out.append(code)
        return out

    def indicator_refs(self, cell: Cell) -> list[str]:
        out = []
        for code in _split_codes(cell.value):
            if code not in self.ind_kinds:
                self.problems.append(cell.problem(f"показателя с кодом «{code}» нет ни в системе, ни на листе «Показатели»"))
            elif code not in out:
                out.append(code)
        return out


def check_roadmap(ctx: _Check) -> None:
    """Sheet «Дорожная карта»: required fields, years, the code (new, or a reload of the same
    territory's roadmap), the territory (the user's own; a new one only by an administrator)."""
    P, main, pv, known, scope = ctx.problems, ctx.book.main, ctx.pv, ctx.known, ctx.scope
    for c in MAIN_FIELDS:
        if c.required and not (main.get(c.key) and main[c.key].value):
            cell = main.get(c.key)
            P.append(cell.problem("не заполнено") if cell else
                     Problem("error", f"нет поля «{c.header}»", MAIN_SHEET))
    get = lambda k: main[k].value if k in main and main[k].value else None  # noqa: E731
    rm: dict[str, Any] = {k: get(k) for k in ("code", "title", "approved_by", "goal", "tasks", "participants", "source")}
    for k in ("year_from", "year_to"):
        if get(k):
            n = _number(main[k], P)
            if n is not None and not (2000 <= n <= 2100 and n == int(n)):
                P.append(main[k].problem("ожидается год, например 2024"))
            rm[k] = int(n) if n is not None and n == int(n) else None
        else:
            rm[k] = None
    if rm["code"] and not _CODE_RE.match(rm["code"]):
        P.append(main["code"].problem("код: латинские буквы, цифры, точка, дефис, подчёркивание, до 64 знаков"))
    pv.roadmap = rm
    tcode = get("territory_code")
    choice = ctx.territory_choice
    if choice and choice != NEW_TERRITORY:
        if choice not in known.territories:
            P.append(main["territory_code"].problem(f"территории с кодом «{choice}» нет в системе"))
        else:
            tcode = choice  # the user said: this file is that territory's
    if rm["code"] in known.roadmaps:
        old = known.roadmaps[rm["code"]]
        if tcode in known.territories and known.territories[tcode]["id"] != old["territory_id"]:
            P.append(main["code"].problem(f"дорожная карта с кодом «{rm['code']}» уже загружена для другой "
                                          "территории; дайте этой карте свой код"))
        else:
            pv.replaces = old["id"]
            P.append(main["code"].problem(f"дорожная карта «{rm['code']}» уже загружена: файл заменит её содержание; "
                                          "отметки о выполнении сохранятся у пунктов с теми же номерами", "warning"))
            pv.marked = known.marked
            pv.loaded_targets = known.loaded_targets
    if tcode:
        t = known.territories.get(tcode)
        pv.territory = {"id": t["id"] if t else None, "code": tcode,
                        "name": (t or {}).get("name") if t and choice == tcode else
                        get("territory_name") or (t or {}).get("name"), "region": get("region")}
        match = [] if t is not None or choice == NEW_TERRITORY else territory_match.similar(
            get("territory_name") or "", [(c, r["name"]) for c, r in known.territories.items()
                                          if scope.can_see_territory(r["id"]) or policy.allowed(scope, "create_territory")])
        pv.territory_match = [{"code": c, "name": n, "score": sc} for c, n, sc in match]
        named = "; ".join(f"«{n}» (код {c})" for c, n, _ in match)
        if t is None and not policy.allowed(scope, "create_territory"):
            P.append(main["territory_code"].problem(
                f"территории с кодом «{tcode}» нет в системе; " + (f"по названию это, похоже, {named} — укажите этот "
                                                                    "код" if match else "новую территорию добавляет администратор")))
        elif match:
            P.append(main["territory_code"].problem(
                f"территории с кодом «{tcode}» нет в системе, но по названию «{get('territory_name')}» это, похоже, "
                f"{named}. Выберите, для какой территории загрузить карту, или подтвердите создание новой территории "
                "— вторая территория с тем же названием не создаётся молча"))
        elif t is not None and not scope.can_see_territory(t["id"]):
            P.append(main["territory_code"].problem("это не ваша территория: загружать дорожные карты можно только "
                                                    "для своей"))
        elif t is None and not _CODE_RE.match(tcode):
            P.append(main["territory_code"].problem("код: латинские буквы, цифры, точка, дефис, подчёркивание"))
    ctx.territory_id = pv.territory.get("id")


def check_indicators(ctx: _Check) -> None:
    """Sheet «Показатели»: a new indicator is complete; a known code keeps its kind and level."""
    P, indicators = ctx.problems, ctx.known.indicators
    for r in ctx.book.sheets["Показатели"]:
        code = r["code"].value
        kind = _choice(r["value_kind"], VALUE_KINDS, P)
        level = _choice(r["level"], LEVELS, P, "school")
        for k in ("name", "short_name", "unit"):
            if not r[k].value:
                P.append(r[k].problem("не заполнено"))
        if code in ctx.ind_kinds and code not in indicators:
            P.append(r["code"].problem(f"показатель «{code}» уже описан на этом листе выше"))
            continue
        if code in indicators:
            if kind and (indicators[code]["value_kind"] != kind or indicators[code]["level"] != level):
                P.append(r["value_kind"].problem(f"показатель «{code}» уже есть в системе с другим видом или уровнем; "
                                                 "дайте новому показателю свой код"))
            continue
        if not _CODE_RE.match(code):
            P.append(r["code"].problem("код: латинские буквы, цифры, точка, дефис, подчёркивание"))
        ctx.ind_kinds[code] = kind
        ctx.pv.indicators.append({"code": code, "name": r["name"].value, "short_name": r["short_name"].value,
                                  "unit": r["unit"].value, "value_kind": kind, "level": level,
                                  "aggregation": AGGREGATION.get(kind or "", "sum"),
                                  "higher_is_better": _flag(r["higher_is_better"], P) if r["higher_is_better"].value
                                  else True,
                                  "numerator_label": r["numerator_label"].value or None,
                                  "denominator_label": r["denominator_label"].value or None})


def check_schools(ctx: _Check) -> None:
    """Sheet «Школы»: a new school is complete; a known code on this territory is left as it is."""
    P = ctx.problems
    for r in ctx.book.sheets["Школы"]:
        code = r["code"].value
        for k in ("name", "short_name"):
            if not r[k].value:
                P.append(r[k].problem("не заполнено"))
        flags = {k: _flag(r[k], P) for k in ("is_shnor", "is_shnsu", "is_leader")}
        if code in ctx.known_schools:
            s = ctx.known_schools[code]
            if s.get("new"):
                P.append(r["code"].problem(f"школа «{code}» уже описана на этом листе выше"))
            elif ctx.territory_id is not None and s["territory_id"] != ctx.territory_id:
                P.append(r["code"].problem(f"школа с кодом «{code}» уже есть в системе на другой территории"))
            else:
                P.append(r["code"].problem(f"школа «{code}» уже есть в системе: её данные не меняются этой загрузкой",
                                           "warning"))
            continue
        if not _CODE_RE.match(code):
            P.append(r["code"].problem("код: латинские буквы, цифры, точка, дефис, подчёркивание"))
        ctx.known_schools[code] = {"new": True, "territory_id": ctx.territory_id}
        ctx.pv.schools.append({"code": code, "name": r["name"].value, "short_name": r["short_name"].value,
                               "kind": r["kind"].value or "СОШ", **flags})


def check_directions(ctx: _Check) -> None:
    """Sheet «Направления»: numbers unique."""
    for r in ctx.book.sheets["Направления"]:
        n = r["number"].value
        if n in ctx.dir_numbers:
            ctx.problems.append(r["number"].problem(f"направление № {n} указано дважды"))
        ctx.dir_numbers.add(n)
        ctx.pv.directions.append({"number": n, "title": r["title"].value})


def check_risks(ctx: _Check) -> None:
    """Sheets «Группы рисков» and «Параметры риска»: codes unique, each parameter in a group, its
    schools known, its audit date a date."""
    P, pv = ctx.problems, ctx.pv
    group_names = {}
    for r in ctx.book.sheets["Группы рисков"]:
        code = r["code"].value.rstrip(".")
        if code in group_names:
            P.append(r["code"].problem(f"группа рисков «{code}» указана дважды"))
        group_names[code] = r["name"].value
        pv.risk_groups.append({"code": code, "name": r["name"].value, "goals": r["goals"].value or None,
                               "progress_indicators": r["progress_indicators"].value or None})
    for r in ctx.book.sheets["Параметры риска"]:
        code, grp = r["code"].value.rstrip("."), r["group"].value.rstrip(".")
        if grp not in group_names:
            P.append(r["group"].problem(f"группы рисков «{grp}» нет на листе «Группы рисков»"))
        if code in ctx.risk_codes:
            P.append(r["code"].problem(f"параметр «{code}» указан дважды"))
            continue
        audit_date = None
        if r["audit_date"].value:
            try:
                audit_date = date.fromisoformat(r["audit_date"].value[:10])
            except ValueError:
                d = parse_deadline(r["audit_date"].value)
                if d.kind == "date":
                    audit_date = d.due
                else:
                    P.append(r["audit_date"].problem("ожидается дата, например 01.03.2023"))
        ctx.risk_codes.append(code)
        codes = ctx.school_refs(r["schools"])
        if codes or r["found_in_text"].value:
            ctx.found.add(code)
        pv.risks.append({"group_code": grp, "group_name": group_names.get(grp, ""), "code": code, "name": r["name"].value,
                         "found_in_text": r["found_in_text"].value or None, "schools": codes, "audit_date": audit_date})


def _plan_years(pv: Preview) -> tuple[int, int] | None:
    """The roadmap's years, for recurring deadlines («ежеквартально» is due at each quarter's end)."""
    a, b = pv.roadmap.get("year_from"), pv.roadmap.get("year_to")
    return (a, b) if a and b and a <= b else None


def check_activities(ctx: _Check) -> None:
    """Sheet «Мероприятия»: number and stage unique, the direction listed, the deadline read (an
    unreadable one is a warning, kept as written), risk codes, indicators and schools known."""
    P = ctx.problems
    seen: set[tuple[str, str]] = set()
    for r in ctx.book.sheets["Мероприятия"]:
        n, stage = r["number"].value, r["stage"].value
        if (n, stage) in seen:
            P.append(r["number"].problem(f"мероприятие № {n}" + (f" ({stage})" if stage else "") + " указано дважды"))
        seen.add((n, stage))
        d = r["direction"].value
        if d and d not in ctx.dir_numbers:
            P.append(r["direction"].problem(f"направления № {d} нет на листе «Направления»"))
        default_year = int(stage) if re.fullmatch(r"20\d\d", stage or "") else None
        dl = parse_deadline(r["deadline"].value, default_year=default_year, years=_plan_years(ctx.pv))
        if dl.kind == "unparsed":
            P.append(r["deadline"].problem("срок не распознан: он сохранится как написан, без даты", "warning"))
        codes, unknown = expand_risk_codes(r["risks"].value, ctx.risk_codes, ctx.found)
        for u in unknown:
            P.append(r["risks"].problem(f"параметра риска «{u}» нет на листе «Параметры риска»"))
        ctx.pv.activities.append({
            "number": n, "stage": stage, "direction": d or None, "title": r["title"].value,
            "deadline": r["deadline"].value or None, "due_date": dl.due, "deadline_kind": dl.kind,
            **{k: r[k].value or None for k in ("responsible", "expected_result", "report_form", "form",
                                               "participants", "venue", "schools_text")},
            "risk_codes_text": r["risks"].value or None, "risks": codes,
            "indicators": ctx.indicator_refs(r["indicators"]), "schools": ctx.school_refs(r["schools"])})


def check_control_points(ctx: _Check) -> None:
    """Sheet «Контрольные точки»: numbers unique, deadlines read."""
    cp_numbers: set[str] = set()
    for r in ctx.book.sheets["Контрольные точки"]:
        n = r["number"].value.rstrip(".")
        if n in cp_numbers:
            ctx.problems.append(r["number"].problem(f"контрольная точка № {n} указана дважды"))
        cp_numbers.add(n)
        dl = parse_deadline(r["deadline"].value, years=_plan_years(ctx.pv))
        if dl.kind == "unparsed":
            ctx.problems.append(r["deadline"].problem("срок не распознан: он сохранится как написан, без даты",
                                                      "warning"))
        ctx.pv.control_points.append({"number": n, "title": r["title"].value,
                                      "responsible": r["responsible"].value or None,
                                      "deadline": r["deadline"].value or None, "due_date": dl.due,
                                      "deadline_kind": dl.kind})


def check_targets(ctx: _Check) -> None:
    """Sheet «Целевые показатели»: kind, group and judging known; a value where the kind needs
    one; periods of the calendar (new ones listed for creation); milestones read; one target per
    indicator and group."""
    P, pv, periods = ctx.problems, ctx.pv, ctx.known.periods
    t_keys: set[tuple[str, str]] = set()
    for r in ctx.book.sheets["Целевые показатели"]:
        kind = _choice(r["kind"], target_kinds.by_label(), P)
        applies = _choice(r["applies_to"], APPLIES_TO, P, "target")
        judged = _choice(r["judged_on"], JUDGED_ON, P, "both")
        ind = ctx.indicator_refs(r["indicator"])
        value = _number(r["value"], P)
        num = _number(r["number"], P)
        k = target_kinds.REGISTRY.get(kind)
        if k is not None and k.needs_amount and value is None and r["value"].value == "":
            P.append(r["value"].problem("для этого вида цели нужно значение"))
        baseline = _period_code(r["baseline"], periods, P, pv.periods)
        due = _period_code(r["due"], periods, P, pv.periods)
        if k is not None and k.needs_baseline and not baseline:
            P.append(r["baseline"].problem("для роста к базе нужен базовый период"))
        milestones = []
        for part in [x.strip() for x in r["milestones"].value.split(";") if x.strip()]:
            m = re.match(r"^([^:]+):\s*([-+]?[\d\s]+(?:[.,]\d+)?)\s*(?:\((.*)\))?\s*$", part)
            if not m:
                P.append(r["milestones"].problem(f"этап «{part}» не прочитан: пишите «2022: 5 (пояснение)»"))
                continue
            pc = _period_code(Cell(m.group(1).strip(), *_loc(r["milestones"])), periods, P, pv.periods)
            milestones.append({"period": pc, "value": float(m.group(2).replace(" ", "").replace(",", ".")),
                               "note": m.group(3)})
        if k is not None and k.uses_milestones and not milestones:
            P.append(r["milestones"].problem("для цели «по этапам» перечислите этапы"))
        if ind:
            key = (ind[0], applies or "")
            if key in t_keys:
                P.append(r["indicator"].problem("цель по этому показателю для этой группы школ указана дважды"))
            t_keys.add(key)
        pv.targets.append({"number": int(num) if num is not None else len(pv.targets) + 1, "wording": r["wording"].value,
                           "indicator": ind[0] if ind else None, "kind": kind, "value": value,
                           "baseline": baseline, "due": due, "applies_to": applies, "judged_on": judged,
                           "milestones": milestones})


def check_curators(ctx: _Check) -> None:
    """Sheet «Кураторы»: one pair a row, no school its own curator, no pair twice (a pair another
    roadmap already holds is a warning and skipped)."""
    P, pv = ctx.problems, ctx.pv
    pairs = set()
    for r in ctx.book.sheets["Кураторы"]:
        a, b = ctx.school_refs(r["curator"]), ctx.school_refs(r["school"])
        if len(a) > 1 or len(b) > 1:
            P.append(r["curator"].problem("в строке одна пара: школа-куратор и курируемая школа"))
        if a and b:
            held = ctx.known.curator_pairs
            if a[0] == b[0]:
                P.append(r["school"].problem("школа не может курировать саму себя"))
            elif (a[0], b[0]) in pairs:
                P.append(r["school"].problem("эта пара уже указана выше"))
            elif (a[0], b[0]) in held and (pv.replaces is None or held[(a[0], b[0])] != pv.replaces):
                P.append(r["school"].problem("эта школа уже закреплена за этим куратором; строка пропущена",
                                             "warning"))
            else:
                pv.curators.append({"curator": a[0], "school": b[0]})
            pairs.add((a[0], b[0]))


def check_school_groups(ctx: _Check) -> None:
    """Sheet «Группы школ»: the schools known."""
    for r in ctx.book.sheets["Группы школ"]:
        ctx.pv.school_groups.append({"name": r["name"].value, "schools": ctx.school_refs(r["schools"]),
                                     "note": r["note"].value or None})


def check_replacement(ctx: _Check) -> None:
    """A reload names what it drops (items with a status, targets); a file with nothing to load is
    refused."""
    P, pv = ctx.problems, ctx.pv
    for m in pv.dropped_marks():
        label = "контрольной точки" if m["kind"] == "control_point" else "мероприятия"
        P.append(Problem("warning", f"в файле нет {label} № {m['number']}" + (f" ({m['stage']})" if m["stage"] else "")
                         + f" «{clip(m['title'], 80)}» со статусом «{ACTIVITY_STATUSES.get(m['status'], m['status'])}»: "
                         "пункт будет удалён, его отметка останется в журнале действий"))
    for t in pv.dropped_targets():
        P.append(Problem("warning", f"в файле нет целевого показателя «{clip(t['wording'], 80)}» (показатель "
                         f"{t['indicator']}): цель будет удалена, значения показателя останутся"))
    if not pv.activities and not pv.control_points and not pv.targets and not P:
        P.append(Problem("error", "в файле нет ни мероприятий, ни контрольных точек, ни целевых показателей"))


CHECKS = (check_roadmap, check_indicators, check_schools, check_directions, check_risks, check_activities,
          check_control_points, check_targets, check_curators, check_school_groups, check_replacement)


def _loc(cell: Cell) -> tuple:
    return cell.sheet, cell.row, cell.col, cell.header


# ---------------------------------------------------------------------------------------------
# Writing to the database
# ---------------------------------------------------------------------------------------------
@auth.audits_refusals("загрузка дорожной карты")
def apply(scope: Scope, pv: Preview, data: bytes, *, engine: Engine | None = None, is_demo: bool = False,
          now: datetime | None = None) -> dict[str, int]:
    """Write a checked roadmap in one transaction. Returns {"roadmap_id", "upload_id", counts...}."""
    engine = engine or get_engine()
    if not scope.can_edit_roadmap:
        raise auth.deny(scope, "roadmap_upload", engine)
    if not pv.ok:
        raise IngestError("В файле есть ошибки — исправьте их и загрузите снова; ничего не записано.")
    if hashlib.sha256(data).hexdigest() != pv.checksum:
        raise IngestError("Файл изменился после проверки: загрузите его снова.")
    with session_scope(engine, write=True) as s:
        quarters.serialise_writes(s)  # it refreshes the kept counts an upload refreshes too
        return write_checked(s, scope, pv, data, is_demo=is_demo, now=now)


def write_checked(s, scope: Scope, pv: Preview, data: bytes, *, is_demo: bool = False,
                  now: datetime | None = None) -> dict[str, int]:
    """The writes of `apply`, inside the caller's transaction `s` (a refusal is audited on the same
    database after that transaction ends)."""
    existing = s.exec(select(Roadmap).where(Roadmap.code == pv.roadmap["code"])).first()
    if existing is not None and existing.id != pv.replaces:
        raise IngestError(f"Дорожная карта с кодом «{pv.roadmap['code']}» загружена, пока файл проверялся; "
                          "проверьте файл снова. Ничего не записано.")
    if existing is None and pv.replaces is not None:
        raise IngestError("Заменяемая дорожная карта удалена, пока файл проверялся; проверьте файл снова.")
    terr = _territory_to_write(s, scope, pv, is_demo)
    up = Upload(file_name=pv.file_name, checksum=pv.checksum, content=data, kind="roadmap", territory_id=terr.id,
                uploaded_by=scope.user_id, n_rows=len(pv.activities) + len(pv.control_points) + len(pv.targets),
                n_new=len(pv.activities) + len(pv.control_points) + len(pv.targets), status="applied")
    if now:
        up.uploaded_at = now
    s.add(up)
    ensure_periods(s, pv.periods)
    for x in pv.indicators:
        s.add(Indicator(**x))
    for x in pv.schools:
        s.add(School(territory_id=terr.id, is_demo=is_demo, **x))
    s.flush()
    ids = _Ids(periods={p.code: p.id for p in s.exec(select(Period)).all()},
               inds={i.code: i.id for i in s.exec(select(Indicator)).all()},
               schools={c: i for c, i in s.exec(select(School.code, School.id)
                                                 .where(School.territory_id == terr.id)).all()})
    old_items: dict[tuple, Activity | ControlPoint] = {}  # a corrected file: the loaded items by key, updated in place
    old_targets: dict[tuple, Target] = {}
    if existing is not None:
        _clear_roadmap(s, existing.id)
        rm = existing
        for k, v in pv.roadmap.items():
            setattr(rm, k, v)
        rm.upload_id = up.id
        for model in (Activity, ControlPoint):
            old_items.update({_item_key(o): o for o in s.exec(select(model).where(model.roadmap_id == rm.id)).all()})
        old_targets = {(t.indicator_id, t.applies_to): t for t in s.exec(select(Target).where(Target.roadmap_id == rm.id))}
    else:
        rm = Roadmap(territory_id=terr.id, is_demo=is_demo, upload_id=up.id, **pv.roadmap)
    s.add(rm)
    s.flush()
    dirs, risks = _write_structure(s, pv, rm.id, ids)
    links, dropped = _write_items(s, pv, rm.id, dirs, old_items)
    for act, a in links:
        if a is None:
            continue
        s.add_all([ActivityIndicator(activity_id=act.id, indicator_id=ids.inds[c]) for c in a["indicators"]])
        s.add_all([ActivityRisk(activity_id=act.id, risk_factor_id=risks[c][0].id) for c in a["risks"]])
        s.add_all([ActivitySchool(activity_id=act.id, school_id=ids.schools[c]) for c in a["schools"]])
    targets_dropped = _write_targets(s, pv, rm.id, ids, old_targets)
    _write_school_links(s, pv, rm.id, ids)
    if pv.targets:  # the meeting counts of the new targets, in the same transaction
        from core import target_counts
        s.flush()
        target_counts.refresh(s, territory_ids={terr.id},
                              indicator_ids=sorted({ids.inds[x["indicator"]] for x in pv.targets}), period_ids=None)
    counts = pv.counts()
    details: dict[str, Any] = {"code": rm.code, "file": pv.file_name, **counts}
    if existing is not None:
        details.update(replaced=True, statuses_kept=sum(1 for o, _ in links if o.status != "planned"),
                       dropped=dropped, targets_dropped=targets_dropped)
    auth.audit(s, "roadmap_replaced" if existing is not None else "roadmap_loaded", user_id=scope.user_id,
               login=scope.login, object_type="roadmap", object_id=rm.id, details=details, territory_id=terr.id,
               roadmap_id=rm.id)
    s.flush()
    return {"roadmap_id": rm.id, "upload_id": up.id, **counts}


@dataclass
class _Ids:
    """Codes -> ids, once the file's new periods, indicators and schools are written."""

    periods: dict[str, int]
    inds: dict[str, int]
    schools: dict[str, int]  # of the roadmap's territory


def _territory_to_write(s, scope: Scope, pv: Preview, is_demo: bool) -> Territory:
    """The roadmap's territory: the user's own, or a new one (an administrator's right)."""
    engine = s.get_bind()  # a refusal's audit entry goes to this database, after the transaction
    t = pv.territory
    if t["id"] is None:
        auth.require(scope, "create_territory", "territory_create", engine)
        return add_territory(s, Territory(code=t["code"], name=t["name"], region_name=t.get("region"), is_demo=is_demo))
    terr = s.get(Territory, t["id"])
    if not scope.can_see_territory(terr.id):
        raise auth.deny(scope, f"roadmap_upload territory {terr.id}", engine)
    return terr


def _write_structure(s, pv: Preview, roadmap_id: int, ids: _Ids
                     ) -> tuple[dict[str, Direction], dict[str, tuple[RiskFactor, dict]]]:
    """Directions, risk groups and risk factors (with their schools): by number and by code."""
    dirs = {}
    for d in pv.directions:
        dirs[d["number"]] = Direction(roadmap_id=roadmap_id, **d)
        s.add(dirs[d["number"]])
    groups = {}
    for g in pv.risk_groups:
        groups[g["code"]] = g
        s.add(RiskGroup(roadmap_id=roadmap_id, **g))
    risks = {}
    for i, r in enumerate(pv.risks):
        rf = RiskFactor(roadmap_id=roadmap_id, group_code=r["group_code"], group_name=r["group_name"], code=r["code"],
                        name=r["name"], found_in_text=r["found_in_text"], position=i)
        s.add(rf)
        risks[r["code"]] = (rf, r)
    s.flush()
    for rf, r in risks.values():
        for code in r["schools"]:
            s.add(SchoolRisk(school_id=ids.schools[code], risk_factor_id=rf.id, audit_date=r["audit_date"]))
    return dirs, risks


def _write_items(s, pv: Preview, roadmap_id: int, dirs: dict[str, Direction],
                 old_items: dict[tuple, Activity | ControlPoint]
                 ) -> tuple[list[tuple[Activity | ControlPoint, dict | None]], list[dict]]:
    """Activities and control points, a loaded one updated in place (its status and evidence kept);
    the loaded ones the file no longer has deleted. Returns (item, its row) and the dropped ones
    that had a status."""
    links: list[tuple[Activity | ControlPoint, dict | None]] = []
    for i, a in enumerate(pv.activities):
        fields = {k: a[k] for k in ("number", "stage", "title", "responsible", "expected_result", "report_form", "form",
                                    "participants", "venue", "risk_codes_text", "schools_text", "due_date",
                                    "deadline_kind")}
        fields.update(direction_id=dirs[a["direction"]].id if a["direction"] else None, position=i,
                      deadline_text=a["deadline"])
        act = old_items.pop(("activity", a["number"], a["stage"] or ""), None) or Activity(roadmap_id=roadmap_id,
                                                                                          **fields)
        for k, v in fields.items():
            setattr(act, k, v)
        s.add(act)
        links.append((act, a))
    for i, c in enumerate(pv.control_points):
        fields = dict(number=c["number"], position=i, title=c["title"], responsible=c["responsible"],
                      deadline_text=c["deadline"], due_date=c["due_date"], deadline_kind=c["deadline_kind"])
        cp = old_items.pop(("control_point", c["number"], ""), None) or ControlPoint(roadmap_id=roadmap_id, **fields)
        for k, v in fields.items():
            setattr(cp, k, v)
        s.add(cp)
        links.append((cp, None))
    dropped = [{"kind": k[0], "number": o.number, "stage": k[2], "title": o.title, "status": o.status,
                "evidence": o.evidence} for k, o in old_items.items() if o.status != "planned"]
    for o in old_items.values():  # items the corrected file no longer has
        s.delete(o)
    s.flush()
    return links, dropped


def _write_targets(s, pv: Preview, roadmap_id: int, ids: _Ids, old_targets: dict[tuple, Target]) -> list[str]:
    """Targets with their milestones, a loaded one updated in place; the wordings of the loaded ones
    the file no longer has (deleted, with their kept counts)."""
    for x in pv.targets:
        fields = dict(indicator_id=ids.inds[x["indicator"]], number=x["number"], wording=x["wording"], kind=x["kind"],
                      value=x["value"], baseline_period_id=ids.periods[x["baseline"]] if x["baseline"] else None,
                      due_period_id=ids.periods[x["due"]] if x["due"] else None, applies_to=x["applies_to"],
                      judged_on=x["judged_on"])
        tgt = old_targets.pop((ids.inds[x["indicator"]], x["applies_to"]), None) or Target(roadmap_id=roadmap_id,
                                                                                           **fields)
        for k, v in fields.items():
            setattr(tgt, k, v)
        s.add(tgt)
        s.flush()
        for m in x["milestones"]:
            s.add(TargetMilestone(target_id=tgt.id, period_id=ids.periods[m["period"]], value=m["value"],
                                  note=m["note"]))
    targets_dropped = [t.wording for t in old_targets.values()]
    if old_targets:  # targets the corrected file no longer has
        gone = {"ids": [t.id for t in old_targets.values()]}
        s.execute(sql("DELETE FROM targetcount WHERE target_id IN :ids").bindparams(bindparam("ids", expanding=True)), gone)
        s.execute(sql("DELETE FROM targetgroupvalue WHERE target_id IN :ids").bindparams(bindparam("ids", expanding=True)),
                  gone)
        for t in old_targets.values():
            s.delete(t)
    return targets_dropped


def _write_school_links(s, pv: Preview, roadmap_id: int, ids: _Ids) -> None:
    """Curators of schools and the roadmap's groups of schools."""
    for c in pv.curators:
        s.add(CuratorLink(curator_school_id=ids.schools[c["curator"]], school_id=ids.schools[c["school"]],
                          roadmap_id=roadmap_id))
    for g in pv.school_groups:
        grp = SchoolGroup(roadmap_id=roadmap_id, name=g["name"], note=g["note"])
        s.add(grp)
        s.flush()
        s.add_all([SchoolGroupMember(group_id=grp.id, school_id=ids.schools[c]) for c in g["schools"]])


def _clear_roadmap(s, roadmap_id: int) -> None:
    """Before a corrected file is written over a loaded roadmap: remove what is rebuilt from the file
    (links, directions, risks, milestones, curators, groups). Activities, control points and targets
    stay: they are updated in place by their key so their ids — URLs, status history — survive."""
    p = {"r": roadmap_id}
    acts = "SELECT id FROM activity WHERE roadmap_id = :r"
    for stmt in (f"DELETE FROM activityindicator WHERE activity_id IN ({acts})",
                 f"DELETE FROM activityrisk WHERE activity_id IN ({acts})",
                 f"DELETE FROM activityschool WHERE activity_id IN ({acts})",
                 "UPDATE activity SET direction_id = NULL WHERE roadmap_id = :r",
                 "DELETE FROM direction WHERE roadmap_id = :r",
                 "DELETE FROM schoolrisk WHERE risk_factor_id IN (SELECT id FROM riskfactor WHERE roadmap_id = :r)",
                 "DELETE FROM riskfactor WHERE roadmap_id = :r",
                 "DELETE FROM riskgroup WHERE roadmap_id = :r",
                 "DELETE FROM targetmilestone WHERE target_id IN (SELECT id FROM target WHERE roadmap_id = :r)",
                 "DELETE FROM curatorlink WHERE roadmap_id = :r",
                 "DELETE FROM schoolgroupmember WHERE group_id IN (SELECT id FROM schoolgroup WHERE roadmap_id = :r)",
                 "DELETE FROM schoolgroup WHERE roadmap_id = :r"):
        s.execute(sql(stmt), p)
    s.expire_all()  # the ORM must not hold the direction ids just cleared


def _item_key(obj) -> tuple:
    return ("activity" if isinstance(obj, Activity) else "control_point", obj.number, getattr(obj, "stage", None) or "")


def load(scope: Scope, data: bytes, file_name: str, *, engine: Engine | None = None, is_demo: bool = False) -> dict:
    """prepare + apply; raises IngestError listing the errors (CLI and demo)."""
    pv = prepare(scope, data, file_name, engine)
    if not pv.ok:
        raise IngestError(f"{file_name}: " + "; ".join(p.text for p in pv.errors[:20]))
    return apply(scope, pv, data, engine=engine, is_demo=is_demo)


def summary_text(pv: Preview) -> str:
    c = pv.counts()
    return (f"{c['Мероприятия']} {plural(c['Мероприятия'], ('мероприятие', 'мероприятия', 'мероприятий'))}, "
            f"{c['Контрольные точки']} {plural(c['Контрольные точки'], ('контрольная точка', 'контрольные точки', 'контрольных точек'))}, "
            f"{c['Целевые показатели']} {plural(c['Целевые показатели'], ('целевой показатель', 'целевых показателя', 'целевых показателей'))}, "
            f"{c['Параметры риска']} {plural(c['Параметры риска'], ('параметр риска', 'параметра риска', 'параметров риска'))}")


def replace_text(pv: Preview) -> str | None:
    """What writing a corrected file of an already loaded roadmap will do, in one sentence pair;
    None for a new roadmap."""
    if pv.replaces is None:
        return None
    dropped = len(pv.dropped_marks())
    kept = len(pv.marked) - dropped
    text = (f"Дорожная карта «{pv.roadmap['code']}» уже загружена: запись заменит её мероприятия, контрольные точки, "
            "целевые показатели, риски, кураторов и группы школ содержимым этого файла. ")
    if pv.dropped_targets():
        n = len(pv.dropped_targets())
        text += f"Целевых показателей, которых в файле нет и которые будут удалены: {n}. "
    if not pv.marked:
        return text + "Отметок о выполнении у неё нет."
    text += (f"Отметки о выполнении сохранятся у {kept} {plural(kept, ('пункта', 'пунктов', 'пунктов'))} "
             "с теми же номерами")
    if dropped:
        text += (f"; у {dropped} {plural(dropped, ('пункта', 'пунктов', 'пунктов'))} в файле нет — они будут удалены, "
                 "их отметки останутся в журнале действий")
    return text + "."


def original(scope: Scope, roadmap_id: int, engine: Engine | None = None) -> tuple[str, bytes]:
    """The workbook a roadmap was loaded from, as uploaded (for users who see the roadmap)."""
    engine = engine or get_engine()
    with engine.connect() as c:
        r = c.execute(sql("""SELECT r.territory_id, u.file_name, u.content FROM roadmap r
                             JOIN upload u ON u.id = r.upload_id WHERE r.id = :r"""), {"r": roadmap_id}).first()
    if r is None or not scope.sees_whole_territory or not scope.can_see_territory(r.territory_id):
        raise auth.deny(scope, f"файл дорожной карты {roadmap_id}", engine)
    return r.file_name, bytes(r.content)
