"""Plain helpers shared by several test modules; the fixtures they share are in the conftest.py files
(tests/conftest.py: the databases and `app_db`; tests/core/ingest/conftest.py: `db`, `methodist`), the
browser tests' helpers in tests/e2e/helpers.py.

- who a demo user is and ids by code: `scope_of`, `school_id`, `roadmap_id`, `settings`;
- the database as it stands: `dump` (SQLite, as SQL text), `snapshot` (either backend), `stored_value`,
  `open_items`;
- AppTest of the pages: `run_as`, `open_page`, `markdown_text`, `metrics`, `uploader`;
- writes made the way people make them: `upload_by_hand`, `correct`, `approve_q3`, `reload_roadmap`,
  `fill_draft` (a draft roadmap workbook with fields typed in), `draft_to_load`, `minimal_book`.
"""

from __future__ import annotations

import io

from openpyxl import load_workbook
from sqlalchemy import text
from sqlmodel import select

from core import auth, cycle, roadmap_book, roadmap_docx
from core.db import session_scope
from core.ingest import pipeline
from core.models import School, User
from core.settings import DATA_DIR, Settings
from devkit import HARNESS
from devkit.office_docs import C, P, T, python_docx
from tests.ingest_files import long_table

NEV = 1  # город Невинномысск in the demo
SEED = DATA_DIR / "roadmaps" / "000_nevinnomyssk_2024.xlsx"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ROADMAP = "../app_pages/roadmap.py"  # pages as AppTest.switch_page takes them: relative to the harness
RISKS = "../app_pages/risks.py"


# ---------------------------------------------------------------------------------------------
# Who, and ids by code
# ---------------------------------------------------------------------------------------------
def scope_of(engine, login):
    with session_scope(engine) as s:
        return auth.scope_for(s, s.exec(select(User).where(User.login == login)).one())


def school_id(engine, code):
    with session_scope(engine) as s:
        return s.exec(select(School.id).where(School.code == code)).one()


def roadmap_id(engine, code):
    with engine.connect() as c:
        return c.execute(text("SELECT id FROM roadmap WHERE code = :c"), {"c": code}).scalar()


def settings(**kw) -> Settings:
    base = dict(database_url="", demo="0", session_hours=12, idle_minutes=60, secure_cookie=False,
                login_max_failures=3, login_window_minutes=15)
    base.update(kw)
    return Settings(**base)


# ---------------------------------------------------------------------------------------------
# The database as it stands
# ---------------------------------------------------------------------------------------------
def dump(engine) -> str:
    """The whole SQLite database as SQL text, less the audit log (a refused write is recorded there
    by design, core.auth.audits_refusals): equal dumps mean unchanged data."""
    raw = engine.raw_connection()
    try:
        return "\n".join(line for line in raw.driver_connection.iterdump()
                         if not line.startswith('INSERT INTO "auditevent"'))
    finally:
        raw.close()


def snapshot(engine) -> tuple:
    """What a refused write must leave as it found it, on either backend: the values, their history,
    the uploads and the data version."""
    with engine.connect() as c:
        return (c.execute(text("SELECT school_id, indicator_id, period_id, value, numerator, denominator "
                               "FROM measurement ORDER BY 1, 2, 3")).all(),
                c.execute(text("SELECT COUNT(*) FROM measurementhistory")).scalar(),
                c.execute(text("SELECT COUNT(*) FROM upload")).scalar(),
                c.execute(text("SELECT value FROM appmeta WHERE key = 'data_version'")).scalar())


def stored_value(engine, code, ind, period):
    """(value, numerator, denominator) of school `code`, indicator `ind`, period `period` (codes)."""
    with engine.connect() as c:
        return c.execute(text(
            "SELECT m.value, m.numerator, m.denominator FROM measurement m JOIN school s ON s.id = m.school_id "
            "JOIN indicator i ON i.id = m.indicator_id JOIN period p ON p.id = m.period_id "
            "WHERE s.code = :s AND i.code = :i AND p.code = :p"), {"s": code, "i": ind, "p": period}).first()


def open_items(engine, n):
    """The first `n` open control points and the first `n` open activities of roadmap 1."""
    with engine.connect() as c:
        return [("control_point", r[0]) for r in c.execute(text(
            "SELECT id FROM controlpoint WHERE roadmap_id = 1 AND status NOT IN ('done', 'cancelled') ORDER BY id"))
        ][:n] + [("activity", r[0]) for r in c.execute(text(
            "SELECT id FROM activity WHERE roadmap_id = 1 AND status NOT IN ('done', 'cancelled') ORDER BY id"))][:n]


# ---------------------------------------------------------------------------------------------
# AppTest of the pages (on the `app_db` fixture)
# ---------------------------------------------------------------------------------------------
def run_as(login, page=None, **params):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(HARNESS, default_timeout=60)
    if login:
        at.session_state["test_login"] = login
    for k, v in params.items():
        at.query_params[k] = v
    at.run()
    if page:
        at.switch_page(page)
        at.run()
    assert not at.exception, at.exception
    return at


def open_page(login: str, page: str, code: str):
    """The page with a roadmap chosen in its select box (AppTest's switch_page drops the URL's query)."""
    at = run_as(login, page)
    key = "plan_roadmap" if page == ROADMAP else "risk_roadmap"
    if at.selectbox(key=key).value != code:
        at.selectbox(key=key).set_value(code).run()
    assert not at.exception, at.exception
    return at


def open_tab(at, label: str, key: str = "rm_tab"):
    """Choose a tab of a page whose tabs are built when open (ui.common.lazy_tabs; the roadmap page's
    by default, the overview's is "ov_tab"), as a click does: its state changes and the page reruns."""
    return _clicked(at, key, label)


def expand(at, key: str):
    """Open an expander whose content is built when open (ui.common.lazy_expander), as a click does."""
    return _clicked(at, key, True)


def _clicked(at, key: str, value):
    """A container that reruns on a click (a tab chosen, an expander opened): its state set, the page rerun."""
    at.session_state[key] = value
    at.run()
    assert not at.exception, at.exception
    return at


def markdown_text(at):
    return "\n".join(m.value for m in at.markdown)


def metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def uploader(at, key: str):
    return next(u for u in at.get("file_uploader") if u.proto.id.endswith(key))


# ---------------------------------------------------------------------------------------------
# Writes made the way people make them
# ---------------------------------------------------------------------------------------------
def upload_by_hand(eng, scope, rows, name="кпк_3кв.xlsx"):
    data = long_table(rows)
    pv = pipeline.prepare(scope, [(name, data)], None, eng)
    assert not pv.errors, [p.text for p in pv.errors]
    return pipeline.apply(scope, pv, data, accept_warnings=True, engine=eng)


def correct(eng, scope, school_id, numerator, denominator, reason):
    pv, data = cycle.prepare_entry(scope, school_id, "2024-Q3",
                                   {"teachers_trained": {"numerator": numerator, "denominator": denominator}},
                                   reason=reason, engine=eng)
    return pipeline.apply(scope, pv, data, accept_warnings=True, engine=eng)


def approve_q3(eng):
    cycle.mark_checked(scope_of(eng, "demo-methodist"), NEV, "2024-Q3", eng)
    return cycle.approve(scope_of(eng, "demo-head"), NEV, "2024-Q3", eng)


def reload_roadmap(eng):
    """The office corrects its roadmap workbook by hand and loads it again: target 3 «не менее 60 %»
    becomes 65 %, and a new ШНОР school is added on the «Школы» sheet."""
    wb = load_workbook(io.BytesIO(SEED.read_bytes()))
    ws = wb["Целевые показатели"]
    for row in ws.iter_rows(min_row=3):
        if row[2].value == "teachers_trained":
            assert row[4].value == 60
            row[4].value = 65
    wb["Школы"].append(["NEV-20", "МБОУ «СОШ № 20» (демо)", "СОШ № 20 (демо)", "СОШ", "да", "нет", "нет"])
    buf = io.BytesIO()
    wb.save(buf)
    meth = scope_of(eng, "demo-methodist")
    pv = roadmap_book.prepare(meth, buf.getvalue(), "нев-дк-2024-исправленная.xlsx", eng)
    assert pv.ok, [p.text for p in pv.errors]
    roadmap_book.apply(meth, pv, buf.getvalue(), engine=eng)


def fill_draft(raw: bytes, fields: dict[str, str]) -> bytes:
    """What the methodologist does in Excel: type the missing fields on the roadmap sheet."""
    wb = load_workbook(io.BytesIO(raw))
    ws = wb[roadmap_book.MAIN_SHEET]
    labels = {c.header: c.key for c in roadmap_book.MAIN_FIELDS}
    for row in ws.iter_rows(min_row=2):
        key = labels.get(str(row[0].value or "").rstrip(" *"))
        if key in fields:
            row[1].value = fields[key]
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# An office's Word roadmap (issue 26, item 1): «I.» / «II.» in the «№» column, the name merged across;
# the numbering restarts in each section; recurring and school-year deadlines
OFFICE_TITLE = P("Дорожная карта по поддержке школ с низкими образовательными результатами Харовского муниципального "
                 "района Вологодской области на 2024-2025 годы", bold=True)
OFFICE_HEAD = ["№ п/п", "Мероприятие", "Срок исполнения", "Ответственные", "Ожидаемый результат"]
ROMAN_SECTIONS = [OFFICE_TITLE, T([
    OFFICE_HEAD,
    ["I.", C("Организационно-управленческие мероприятия", span=4, bold=True)],
    ["1.", "Совещание с руководителями школ", "ежеквартально", "Управление образования", "Протокол"],
    ["2.", "Мониторинг реализации программ перехода в эффективный режим", "ежемесячно", "ЦОКО", "Справка"],
    ["II.", C("Работа с педагогическими кадрами", span=4, bold=True)],
    ["1.", "Курсы повышения квалификации учителей математики", "2024-2025 уч. год", "ИРО", "Удостоверения"],
    ["2.", "Методический десант в школы", "в течение года", "Методическая служба", "Отчёт"],
    ["3.", "Семинар по формирующему оцениванию", "Март 2023 года", "Методическая служба", "Материалы"],
])]


def draft_to_load(code: str) -> bytes:
    """The draft of the office's Word document (ROMAN_SECTIONS) the methodologist reviewed: only the
    roadmap's code typed in."""
    raw = roadmap_docx.workbook(roadmap_docx.draft(python_docx(ROMAN_SECTIONS), "карта.docx"))
    return fill_draft(raw, {"code": code})


def minimal_book(**changes) -> dict:
    """The smallest valid roadmap workbook (as roadmap_book.write takes it), with `changes` per sheet."""
    book = {
        "roadmap": {"code": "nev-2025", "title": "План на 2025 год", "territory_code": "nevinnomyssk",
                    "territory_name": "город Невинномысск", "year_from": 2025, "year_to": 2025},
        "Направления": [{"number": "1", "title": "Методическое сопровождение"}],
        "Группы рисков": [{"code": "1", "name": "Кадры"}],
        "Параметры риска": [{"group": "1", "code": "1.1", "name": "Дефицит педагогов", "schools": "NEV-02, NEV-05"}],
        "Мероприятия": [{"number": "1", "direction": "1", "title": "Семинар", "deadline": "Март 2025 года",
                         "risks": "1.1", "indicators": "edu_quality", "schools": "NEV-02"}],
        "Контрольные точки": [{"number": "1", "title": "Анализ ГИА", "deadline": "Июль 2025"}],
        "Целевые показатели": [{"number": 1, "wording": "Качество не ниже 60 %", "indicator": "edu_quality",
                                "kind": "не менее", "value": 60, "due": "2025-Q4"}],
        "Кураторы": [{"curator": "NEV-01", "school": "NEV-08"}],
    }
    for k, v in changes.items():
        book[k] = v
    return book


# ---------------------------------------------------------------------------------------------
# ASGI
# ---------------------------------------------------------------------------------------------
def call_asgi(app, path: str, headers: dict[str, str] | None = None, method: str = "GET"):
    """One HTTP request through an ASGI app, in a thread of its own: (status, headers, body)."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    scope = {"type": "http", "method": method, "path": path, "raw_path": path.encode(), "query_string": b"",
             "root_path": "", "scheme": "http", "server": ("test", 80), "client": ("127.0.0.1", 1),
             "http_version": "1.1", "asgi": {"version": "3.0"},
             "headers": [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]}
    sent, asked = [], []

    async def receive():  # the request, then a client that stays connected
        asked.append(1)
        if len(asked) == 1:
            return {"type": "http.request", "body": b"", "more_body": False}
        await asyncio.Event().wait()

    async def send(message):
        sent.append(message)

    # its own thread: a browser test run before in this worker leaves Playwright's loop running here
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, app(scope, receive, send)).result()
    start = sent[0]
    return (start["status"], {k.decode().lower(): v.decode() for k, v in start["headers"]},
            b"".join(m.get("body", b"") for m in sent[1:]))
