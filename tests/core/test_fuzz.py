"""Issue 29: property tests (hypothesis) over the upload reader, the browser entry form and the Word
reader with random cells and values: never a crash, only Russian refusals, the database unchanged.
Example counts are modest so that each test takes a few seconds."""

from __future__ import annotations

import io
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core import cycle, roadmap_docx
from core.auth import AccessDenied
from core.ingest import pipeline
from core.ingest.problems import IngestError
from tests.ingest_files import LONG_HEAD
from tests.helpers import school_id, scope_of, snapshot

RUSSIAN = re.compile(r"[А-Яа-яЁё]")
FUZZ = settings(max_examples=20, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
# text a person might type or paste, hostile included; no character a worksheet cannot hold
TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\x0b\x0c"
                                      + "".join(chr(c) for c in range(1, 32) if c not in (9, 10, 13))),
               max_size=40)
WORDS = st.sampled_from(["NEV-02", "NEV-05", "СОШ № 2 (демо)", "olympiad_participants", "edu_quality",
                         "Качество обучения", "2024-Q4", "III кв. 2024", "2024", "45,5 %", "1 234", "-3", "1e308",
                         "=SUM(A1:A2)", "[x](http://evil)", "**b**", "\u202eevil", "", " "])
NUMBERS = st.one_of(st.sampled_from([0, 1, 7, 38, 610, 10**6, 1e26, 1e27, 1e308, float("inf"), float("nan"), -1, 0.5]),
                    st.integers(min_value=-10**30, max_value=10**30), st.floats(allow_nan=True, allow_infinity=True))
CELL = st.one_of(st.none(), NUMBERS, TEXT, WORDS)
HEADER = st.one_of(st.just(LONG_HEAD), st.lists(st.one_of(WORDS, TEXT, st.sampled_from(LONG_HEAD)),
                                                min_size=1, max_size=7))


def _russian_refusal(exc: Exception) -> None:
    assert isinstance(exc, (IngestError, AccessDenied, cycle.CycleError)), repr(exc)
    assert RUSSIAN.search(str(exc)), str(exc)


def _shown(pv) -> None:
    """What the page shows of a preview: its problems (in Russian) and its table of values."""
    from core.ingest.problems import problems_frame

    for p in pv.errors + pv.warnings:
        assert RUSSIAN.search(p.text), p.text
    problems_frame(pv.errors + pv.warnings)
    pv.table()
    pv.counts()


def _xlsx(head: list, rows: list[list]) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(head)
    for r in rows:
        ws.append([v if not isinstance(v, float) or v == v and abs(v) != float("inf") else str(v) for v in r])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


@FUZZ
@given(head=HEADER, rows=st.lists(st.lists(CELL, min_size=1, max_size=7), min_size=1, max_size=6))
def test_the_upload_reader_never_crashes(demo_db_rw, head, rows):
    before = snapshot(demo_db_rw)
    methodist = scope_of(demo_db_rw, "demo-methodist")
    data = _xlsx(head, rows)
    try:
        pv = pipeline.prepare(methodist, [("случайный.xlsx", data)], period_code="2024-Q4", engine=demo_db_rw)
    except Exception as exc:  # noqa: BLE001 - what is raised must be a Russian refusal
        _russian_refusal(exc)
    else:
        _shown(pv)
        if not pv.ok:
            with pytest.raises((IngestError, AccessDenied)):
                pipeline.apply(methodist, pv, data, accept_warnings=True, engine=demo_db_rw)
    assert snapshot(demo_db_rw) == before


@settings(FUZZ, max_examples=40)
@given(rows=st.lists(st.tuples(st.sampled_from(["NEV-02", "NEV-05", "NEV-01"]),
                               st.sampled_from(["olympiad_participants", "edu_quality", "teachers_trained",
                                                "resilient_school", "start_conditions"]),
                               st.one_of(st.none(), NUMBERS), st.one_of(st.none(), NUMBERS),
                               st.one_of(st.none(), NUMBERS)), min_size=1, max_size=5))
def test_the_upload_reader_keeps_values_within_reason(demo_db_rw, rows):
    """A well-formed long table with any numbers: what passes is within its indicator's range."""
    before = snapshot(demo_db_rw)
    table = [[s, i, "2024-Q4", v, n, d] for s, i, v, n, d in rows]
    pv = pipeline.prepare(scope_of(demo_db_rw, "demo-methodist"), [("значения.xlsx", _xlsx(LONG_HEAD, table))],
                          engine=demo_db_rw)
    _shown(pv)
    for r in pv.rows:
        assert r.value is not None and 0 <= r.value <= 100_000, r
        assert r.denominator is None or r.denominator <= 100_000, r
    assert snapshot(demo_db_rw) == before


@FUZZ
@given(data=st.binary(max_size=2000))
def test_the_upload_reader_takes_any_bytes(demo_db_rw, data):
    before = snapshot(demo_db_rw)
    try:
        pipeline.prepare(scope_of(demo_db_rw, "demo-methodist"), [("файл.xlsx", data)], engine=demo_db_rw)
    except Exception as exc:  # noqa: BLE001
        _russian_refusal(exc)
    assert snapshot(demo_db_rw) == before


ENTRY_VALUE = st.one_of(st.none(), NUMBERS)
SHARE = st.fixed_dictionaries({"numerator": ENTRY_VALUE, "denominator": ENTRY_VALUE})
ONE = st.fixed_dictionaries({"value": ENTRY_VALUE})


@settings(FUZZ, max_examples=60)  # cheap: no file to read
@given(values=st.fixed_dictionaries({}, optional={"olympiad_participants": ONE, "resilient_school": ONE,
                                                  "edu_quality": SHARE, "teachers_trained": SHARE,
                                                  "sp_registered": SHARE}))
def test_the_entry_form_never_crashes(demo_db_rw, values):
    before = snapshot(demo_db_rw)
    principal = scope_of(demo_db_rw, "demo-principal")
    try:
        pv, data = cycle.prepare_entry(principal, school_id(demo_db_rw, "NEV-02"), "2024-Q4", values,
                                       engine=demo_db_rw)
    except Exception as exc:  # noqa: BLE001
        _russian_refusal(exc)
    else:
        _shown(pv)
        for r in pv.rows:  # whatever passes is within reason
            assert r.value is not None and 0 <= r.value <= 100_000
        if not pv.ok:
            with pytest.raises((IngestError, AccessDenied)):
                pipeline.apply(principal, pv, data, accept_warnings=True, engine=demo_db_rw)
    assert snapshot(demo_db_rw) == before


DOC_TEXT = st.one_of(TEXT.map(lambda s: s.replace("\r", "")), WORDS,
                     st.sampled_from(["№ п/п", "Мероприятие", "Срок", "Ответственный", "Ожидаемый результат",
                                      "Март 2025 года", "I квартал 2025", "ежегодно", "Направление 1. Кадры",
                                      '=HYPERLINK("http://evil","x")']))


@FUZZ
@given(intro=st.lists(DOC_TEXT, max_size=3),
       tables=st.lists(st.lists(st.lists(DOC_TEXT, min_size=1, max_size=6), min_size=1, max_size=6),
                       min_size=0, max_size=2))
def test_the_word_reader_never_crashes(intro, tables):
    from docx import Document

    doc = Document()
    for line in intro:
        doc.add_paragraph(line)
    for rows in tables:
        width = max(len(r) for r in rows)
        t = doc.add_table(rows=0, cols=width)
        for r in rows:
            for c, v in zip(t.add_row().cells, r):
                c.text = v
    out = io.BytesIO()
    doc.save(out)
    try:
        xlsx, d = roadmap_docx.draft_workbook(out.getvalue(), "случайный.docx")
    except Exception as exc:  # noqa: BLE001
        _russian_refusal(exc)
    else:
        assert xlsx[:2] == b"PK" and RUSSIAN.search(d.summary())
