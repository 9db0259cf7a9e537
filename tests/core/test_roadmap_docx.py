"""Drafting a roadmap workbook from the office's Word document (core.roadmap_docx): the five seeds
rendered to .docx in their documents' layouts and drafted back; hand-made documents the way people
type them; refusals; the draft loads through the importer once the few missing fields are filled."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from docx import Document
from docx.enum.text import WD_BREAK
from openpyxl import load_workbook

from core import auth, roadmap_book, roadmap_docx
from core.ingest.problems import IngestError
from core.roadmap import expand_risk_codes
from devkit.docx_render import RENDERERS, read_book
from tests.helpers import fill_draft, uploader

SEEDS = sorted(Path("data/roadmaps").glob("*.xlsx"))
FIELDS = ("number", "stage", "title", "deadline", "responsible", "direction", "risks", "expected_result", "report_form",
          "form", "participants", "venue")


def _norm(v) -> str:
    return re.sub(r"\s+", " ", str(v or "")).strip().rstrip(".").lower()


def _risks(v: str | None, known: list[str]) -> tuple:
    codes, unknown = expand_risk_codes(v, known)
    return tuple(codes) + tuple(unknown)


def compare(book: dict, d: roadmap_docx.Draft) -> tuple[int, int, list[str]]:
    """(equal fields, compared fields, differences) between the seed's activities and the draft's:
    activity by activity in document order; directions compared by title, risk codes expanded."""
    dirs_a = {x["number"]: x["title"] for x in book["Направления"]}
    dirs_b = {x["number"]: x["title"] for x in d.rows("Направления")}
    known = [r["code"] for r in book["Параметры риска"]]
    a_rows, b_rows = book["Мероприятия"], d.rows("Мероприятия")
    equal, total, diffs = 0, 0, []
    if len(a_rows) != len(b_rows):
        diffs.append(f"мероприятий {len(a_rows)} в карте, {len(b_rows)} в черновике")
    for k in range(max(len(a_rows), len(b_rows))):
        a = a_rows[k] if k < len(a_rows) else {}
        b = b_rows[k] if k < len(b_rows) else {}
        for f in FIELDS:
            if f == "direction":
                va, vb = dirs_a.get(a.get(f) or ""), dirs_b.get(b.get(f) or "")
            elif f == "risks":
                va, vb = _risks(a.get(f), known), _risks(b.get(f), known)
            else:
                va, vb = a.get(f), b.get(f)
            total += 1
            if _norm(va) == _norm(vb):
                equal += 1
            else:
                diffs.append(f"№ {a.get('number')} {f}: «{va}» ≠ «{vb}»")
    return equal, total, diffs


@pytest.mark.parametrize("path", SEEDS, ids=[p.stem for p in SEEDS])
def test_round_trip_of_each_seed(path):
    book = read_book(path.read_bytes(), path.name)
    data = RENDERERS[path.name[:3]](book)
    d = roadmap_docx.draft(data, path.stem + ".docx")
    equal, total, diffs = compare(book, d)
    print(f"\n{path.stem}: {equal}/{total} fields equal ({equal / total:.1%})" + "".join(f"\n  {x}" for x in diffs))
    assert equal / total >= 0.95, diffs
    if book["Контрольные точки"]:
        got = [tuple(_norm(c[k]) for k in ("number", "title", "responsible", "deadline")) for c in d.rows("Контрольные точки")]
        want = [tuple(_norm(c[k]) for k in ("number", "title", "responsible", "deadline")) for c in book["Контрольные точки"]]
        assert got == want
    if book["Параметры риска"] and path.name.startswith("003"):
        got = [tuple(_norm(r[k]) for k in ("group", "code", "name", "found_in_text")) for r in d.rows("Параметры риска")]
        want = [tuple(_norm(r[k]) for k in ("group", "code", "name", "found_in_text")) for r in book["Параметры риска"]]
        assert got == want


@pytest.mark.parametrize("path", SEEDS, ids=[p.stem for p in SEEDS])
def test_draft_of_each_seed_loads_through_the_importer(path, empty_db):
    """The draft is the regular workbook: with the territory the document names already in the system,
    it loads through roadmap_book.prepare without errors."""
    book = read_book(path.read_bytes(), path.name)
    raw, d = roadmap_docx.draft_workbook(RENDERERS[path.name[:3]](book), path.stem + ".docx")
    wb = load_workbook(io.BytesIO(raw))
    for name in ["Дорожная карта", *roadmap_book.SHEETS]:
        assert roadmap_docx.CHECK in [c.value for c in wb[name][1]], name
    filled = fill_draft(raw, {"territory_code": book["roadmap"]["territory_code"], "code": book["roadmap"]["code"]})
    scope = auth.system_scope()
    pv = roadmap_book.prepare(scope, filled, "draft.xlsx", empty_db)
    assert pv.ok, [p.text for p in pv.errors]
    assert len(pv.activities) == len(book["Мероприятия"])


# ---------------------------------------------------------------------------------------------
# Documents made by hand
# ---------------------------------------------------------------------------------------------
def _doc(intro=("Дорожная карта по поддержке школ в Берёзовском районе на 2025 год",)) -> Document:
    doc = Document()
    for line in intro:
        doc.add_paragraph(line)
    return doc


def _bytes(doc) -> bytes:
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _table(doc, rows):
    t = doc.add_table(rows=0, cols=len(rows[0]))
    for r in rows:
        cells = t.add_row().cells
        for c, v in zip(cells, r):
            c.text = v
    return t


HEAD = ["№ п/п", "Мероприятие", "Срок", "Ответственный", "Ожидаемый результат"]


def test_continuation_table_without_header_after_a_page_break():
    doc = _doc()
    _table(doc, [HEAD, ["1", "Семинар для завучей", "Март 2025 года", "УО", "Проведён"],
                 ["2", "Мониторинг ВПР", "Апрель 2025 года", "ЦОКО", "Справка"]])
    doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    _table(doc, [["3", "Методический десант", "Май 2025 года", "ЦОКО", "Отчёт"],
                 ["4", "Круглый стол", "когда получится", "", "Протокол"]])
    d = roadmap_docx.draft(_bytes(doc), "cont.docx")
    acts = d.rows("Мероприятия")
    assert [a["number"] for a in acts] == ["1", "2", "3", "4"]
    assert acts[2]["deadline"] == "Май 2025 года" and acts[2]["responsible"] == "ЦОКО"
    checks = d.checks["Мероприятия"]
    assert "продолжение таблицы" in checks[2]
    assert "не распознан" in checks[3] and "ответственный не указан" in checks[3]
    assert checks[0] == ""
    assert d.book["roadmap"]["territory_name"] == "Берёзовский район"
    assert d.book["roadmap"]["year_from"] == 2025


def test_merged_deadline_cell_spanning_rows_and_a_row_split_over_pages():
    doc = _doc()
    t = _table(doc, [HEAD, ["1", "Семинар", "I квартал 2025 года", "УО", "Проведён"],
                     ["2", "Мониторинг", "", "ЦОКО", "Справка"], ["3", "Анкетирование", "", "ОО", "Анкеты"],
                     ["4", "Оценка текущих и перспективных", "Май 2025 года", "УО", "Анализ"],
                     ["", "потребностей кадров", "", "", "кадров"]])
    t.cell(1, 2).merge(t.cell(3, 2))  # «Срок» written once for three activities
    d = roadmap_docx.draft(_bytes(doc), "merged.docx")
    acts = d.rows("Мероприятия")
    assert [a["deadline"] for a in acts] == ["I квартал 2025 года"] * 3 + ["Май 2025 года"]
    assert "объединённой ячейки" in d.checks["Мероприятия"][1]
    assert acts[3]["title"] == "Оценка текущих и перспективных потребностей кадров"
    assert acts[3]["expected_result"] == "Анализ кадров"
    assert "перенос строки" in d.checks["Мероприятия"][3]


def test_section_rows_become_directions_and_loose_headers_are_marked():
    doc = _doc()
    t = _table(doc, [["№", "Содержание работы по мероприятию", "Сроки выполнения", "Исполнители", "Итог"],
                     ["", "", "", "", ""], ["1", "Семинар", "Март 2025 года", "УО", "Проведён"]])
    row = t.rows[1].cells
    m = row[0].merge(row[-1])
    m.text = "Направление 2. Работа с кадрами"
    d = roadmap_docx.draft(_bytes(doc), "loose.docx")
    assert d.rows("Направления") == [{"number": "2", "title": "Работа с кадрами"}]
    assert d.rows("Мероприятия")[0]["direction"] == "2"
    assert "принят за «Мероприятие»" in d.checks["Мероприятия"][0]


def test_a_numbered_list_instead_of_a_table_is_refused_saying_what_is_needed():
    doc = _doc()
    for k, line in enumerate(["Семинар, март 2025, УО", "Мониторинг, апрель 2025, ЦОКО", "Десант, май 2025, ЦОКО"], 1):
        doc.add_paragraph(f"{k}. {line}")
    with pytest.raises(IngestError) as e:
        roadmap_docx.draft(_bytes(doc), "list.docx")
    msg = str(e.value)
    assert "списком (3 пункта)" in msg and "«Мероприятие», «Срок», «Ответственные»" in msg


def test_old_doc_and_random_files_are_refused():
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 500
    with pytest.raises(IngestError, match=r"сохраните как \.docx"):
        roadmap_docx.draft(ole, "карта.doc")
    with pytest.raises(IngestError, match=r"сохраните как \.docx"):  # a .doc renamed to .docx
        roadmap_docx.draft(ole, "карта.docx")
    with pytest.raises(IngestError, match="не является документом Word"):
        roadmap_docx.draft(b"%PDF-1.4 random bytes", "карта.docx")
    with pytest.raises(IngestError, match="не является документом Word"):
        roadmap_docx.draft(_zip_without_document(), "карта.docx")


def _zip_without_document() -> bytes:
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("hello.txt", "not a document")
    return out.getvalue()


def test_summary_says_what_was_found_and_what_to_fill():
    doc = _doc(("Дорожная карта поддержки школ",))
    _table(doc, [HEAD, ["1", "Семинар", "Март 2025 года", "УО", "Проведён"]])
    d = roadmap_docx.draft(_bytes(doc), "x.docx")
    s = d.summary()
    assert "1 мероприятие" in s and "территорию и её код" in s


def test_cli_drafts_a_workbook_without_a_database(tmp_path, capsys):
    from core import cli

    book = read_book(SEEDS[1].read_bytes(), SEEDS[1].name)
    src = tmp_path / "карта.docx"
    src.write_bytes(RENDERERS["001"](book))
    out = tmp_path / "черновик.xlsx"
    assert cli.main(["draft-roadmap", str(src), "-o", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "26 мероприятий" in printed and "код дорожной карты" in printed
    wb = load_workbook(out)
    assert wb["Мероприятия"].max_row == 2 + 26
    bad = tmp_path / "старый.doc"
    bad.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100)
    assert cli.main(["draft-roadmap", str(bad), "-o", str(out)]) == 2
    assert "сохраните как .docx" in capsys.readouterr().err


# ---------------------------------------------------------------------------------------------
# The page (AppTest): the Word document in, the draft out, the reviewed draft loaded
# ---------------------------------------------------------------------------------------------
def test_page_drafts_from_word_and_loads_the_reviewed_draft(app_db):
    from sqlalchemy import text

    from tests.helpers import ROADMAP, open_page, open_tab

    at = open_tab(open_page("demo-methodist", ROADMAP, "nev-2024"), "Загрузить дорожную карту")
    bad = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100
    uploader(at, "rm_docx").set_value(("карта.doc", bad, "application/msword")).run()
    assert any("сохраните как .docx" in e.value for e in at.error)
    assert "Скачать черновик дорожной карты (.xlsx)" not in [b.label for b in at.get("download_button")]
    book = read_book(SEEDS[0].read_bytes(), SEEDS[0].name)
    doc = RENDERERS["000"](book)
    uploader(at, "rm_docx").set_value(("Невинномысск.docx", doc, "application/octet-stream")).run()
    assert not at.exception
    assert any(s.value.startswith("Найдено: 25 мероприятий, 6 направлений, 10 контрольных точек") for s in at.success)
    assert any("код дорожной карты, уникальный в системе (предложен «nev-2024»)" in w.value for w in at.warning)
    assert "Скачать черновик дорожной карты (.xlsx)" in [b.label for b in at.get("download_button")]
    # the methodologist fixes the code in Excel (nev-2024 is loaded already) and loads the draft
    raw = roadmap_docx.workbook(roadmap_docx.draft(doc, "Невинномысск.docx"))
    uploader(at, "rm_file").set_value(("черновик.xlsx", fill_draft(raw, {"code": "nev-2024-word"}), "application/octet-stream")).run()
    assert not at.exception
    assert not [e.value for e in at.error if "ошиб" in e.value]
    [b for b in at.button if b.label == "Записать дорожную карту"][0].click().run()
    assert any(s.value.startswith("Записана: дорожная карта «nev-2024-word», 25 мероприятий") for s in at.success)
    assert at.selectbox(key="plan_roadmap").value == "nev-2024-word"  # the page shows the roadmap just written
    with app_db.connect() as c:
        n = c.execute(text("SELECT COUNT(*) FROM activity a JOIN roadmap r ON r.id = a.roadmap_id "
                           "WHERE r.code = 'nev-2024-word' AND a.direction_id IS NOT NULL")).scalar()
    assert n == 25


def test_targets_table_with_base_values_and_years():
    doc = _doc()
    _table(doc, [HEAD, ["1", "Семинар", "Март 2025 года", "УО", "Проведён"]])
    doc.add_paragraph("Целевые показатели")
    _table(doc, [["№", "Наименование показателя", "Базовое значение (2024 г.)", "Целевое значение", "Срок"],
                 ["1", "Доля педагогов, прошедших КПК, не менее 60 %", "45,5 %", "60 %", "Декабрь 2025 года"],
                 ["2", "Рост доли обучающихся, участвующих в олимпиадах", "12 %", "на 10 %", "2026"]])
    _table(doc, [["Показатель", "2025", "2026", "2027"], ["Число резильентных школ", "3", "5", "7"]])
    d = roadmap_docx.draft(_bytes(doc), "targets.docx")
    t = d.rows("Целевые показатели")
    assert [(x["kind"], x["value"], x["baseline"], x["due"]) for x in t] == [
        ("не менее", "60", "2024", "2025"), ("рост, %", "10", "2024", "2026"), ("по этапам", None, None, "2027")]
    assert t[2]["milestones"] == "2025: 3; 2026: 5; 2027: 7"
    checks = d.checks["Целевые показатели"]
    assert "базовое значение в документе: 45,5 %" in checks[0] and "укажите код показателя" in checks[0]
    assert "код показателя и вид цели" in d.fill_text()


def test_a_row_without_a_title_is_kept_and_marked_and_a_repeated_header_is_skipped():
    doc = _doc()
    _table(doc, [HEAD, ["1", "Семинар", "Март 2025 года", "УО", "Проведён"],
                 ["2", "", "Апрель 2025 года", "ЦОКО", "Справка"]])
    doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    _table(doc, [HEAD, ["1", "2", "3", "4", "5"], ["3", "Десант", "Май 2025 года", "ЦОКО", "Отчёт"]])
    d = roadmap_docx.draft(_bytes(doc), "x.docx")
    assert [a["number"] for a in d.rows("Мероприятия")] == ["1", "2", "3"]
    assert "нет названия мероприятия" in d.checks["Мероприятия"][1]


def test_year_columns_give_one_activity_per_year_as_stages():
    doc = _doc()
    t = doc.add_table(rows=0, cols=6)
    for r in (["№ п/п", "Мероприятия", "2024", "2025", "2026", "Ответственный"],
              ["1", "Семинары для завучей", "", "", "", "УО"], ["2", "Мониторинг", "Справка Май 2024", "", "", "ЦОКО"]):
        cells = t.add_row().cells
        for c, v in zip(cells, r):
            c.text = v
    row = t.rows[1].cells
    row[2].text = "Проведены семинары"
    row[2].add_paragraph("апрель - май 2024")
    row[3].text = "Проведены семинары"
    row[3].add_paragraph("В течение учебного года")
    d = roadmap_docx.draft(_bytes(doc), "years.docx")
    acts = d.rows("Мероприятия")
    assert [(a["number"], a["stage"], a["expected_result"], a["deadline"]) for a in acts] == [
        ("1", "2024", "Проведены семинары", "апрель - май 2024"),
        ("1", "2025", "Проведены семинары", "В течение учебного года"),
        ("2", "2024", "Справка", "Май 2024")]
    assert "срок выделен из конца текста" in d.checks["Мероприятия"][2]
    assert (d.book["roadmap"]["year_from"], d.book["roadmap"]["year_to"]) == (2024, 2025)


def test_a_caption_row_above_the_header_and_a_numbering_row_below_it():
    doc = _doc()
    t = _table(doc, [["", "", "", "", ""], HEAD, ["1", "2", "3", "4", "5"], ["1", "Семинар", "Март 2025 года", "УО", "Проведён"]])
    caption = t.rows[0].cells[0].merge(t.rows[0].cells[-1])
    caption.text = "План мероприятий на 2025 год"
    d = roadmap_docx.draft(_bytes(doc), "caption.docx")
    assert [(a["number"], a["title"]) for a in d.rows("Мероприятия")] == [("1", "Семинар")]
    assert d.rows("Направления") == []


def test_title_order_and_territory_from_the_text_before_the_table():
    doc = Document()
    for line in ("УТВЕРЖДЕНА", "приказом управления образования", "от 12.01.2025 № 17",
                 "Дорожная карта рассматривается на совещании ежеквартально."):
        doc.add_paragraph(line)
    p = doc.add_paragraph()
    p.add_run("Дорожная карта").bold = True
    doc.add_paragraph("по поддержке школ с низкими результатами")
    doc.add_paragraph("в Берёзовском муниципальном районе Омской области на 2025-2026 годы")
    doc.add_paragraph("Цель: повышение качества образования.")
    _table(doc, [HEAD, ["1", "Семинар", "Март 2025 года", "УО", "Проведён"]])
    rm = roadmap_docx.draft(_bytes(doc), "t.docx").book["roadmap"]
    assert rm["title"] == ("Дорожная карта по поддержке школ с низкими результатами в Берёзовском муниципальном "
                           "районе Омской области на 2025-2026 годы")
    assert rm["approved_by"] == "УТВЕРЖДЕНА приказом управления образования от 12.01.2025 № 17"
    assert (rm["territory_name"], rm["region"]) == ("Берёзовский муниципальный район", "Омская область")
    assert (rm["year_from"], rm["year_to"], rm["goal"]) == (2025, 2026, "повышение качества образования.")
    assert rm["code"] == "ber-2025"


def test_roadmap_uploaders_refuse_in_russian_whatever_the_file(app_db):
    """The roadmap page's two uploaders take any file (no widget type or size limit, which would
    refuse in English): a PDF, a workbook in the Word box, an oversized document — each is core's
    Russian message, and nothing is drafted or written."""
    from core.ingest.excel import MAX_FILE_BYTES
    from tests.helpers import ROADMAP, open_page, open_tab

    at = open_tab(open_page("demo-methodist", ROADMAP, "nev-2024"), "Загрузить дорожную карту")
    pdf = b"%PDF-1.4\n" + b"0" * 200
    uploader(at, "rm_file").set_value(("карта.pdf", pdf, "application/pdf")).run()
    assert not at.exception
    assert any("PDF" in e.value for e in at.error), [e.value for e in at.error]
    big = b"PK\x03\x04" + b"\0" * (MAX_FILE_BYTES + 10)
    uploader(at, "rm_docx").set_value(("карта.docx", big, "application/octet-stream")).run()
    assert not at.exception
    assert any("слишком большой" in e.value and "допускается не больше 15,0" in e.value for e in at.error), \
        [e.value for e in at.error]
    uploader(at, "rm_docx").set_value(("карта.pdf", pdf, "application/pdf")).run()
    assert any("не является документом Word (.docx)" in e.value for e in at.error), [e.value for e in at.error]
    assert "Скачать черновик дорожной карты (.xlsx)" not in [b.label for b in at.get("download_button")]
