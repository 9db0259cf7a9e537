"""The roadmap workbook: the five transcribed seeds (counts taken from the documents), every deadline
in them, the importer's checks (located Russian messages, nothing written), status changes."""

from __future__ import annotations

import io
import json
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import bindparam, text

from core import auth, roadmap_book as rb, roadmap_view
from core.auth import AccessDenied
from core.ingest.problems import IngestError
from core.roadmap import expand_risk_codes, parse_deadline
from core.settings import DATA_DIR
from tests.helpers import dump, minimal_book, scope_of

FILES = sorted((DATA_DIR / "roadmaps").glob("*.xlsx"))
SEED = {p.name[:3]: p for p in FILES}


def read(path: Path) -> rb.Book:
    return rb.read(path.read_bytes(), path.name)


def rows(path: Path, sheet: str) -> list[dict[str, str]]:
    return [{k: c.value for k, c in r.items()} for r in read(path).sheets[sheet]]


# ---------------------------------------------------------------------------------------------
# The transcribed seeds
# ---------------------------------------------------------------------------------------------
def test_five_files_one_per_seed():
    assert sorted(SEED) == ["000", "001", "002", "003", "004"]
    assert [read(p).main["code"].value for p in FILES] == ["nev-2024", "khr-2022", "yak-2020", "kal-2023", "okn-2021"]


def test_seed_000_nevinnomyssk():
    p = SEED["000"]
    assert len(rows(p, "Контрольные точки")) == 10
    acts = rows(p, "Мероприятия")
    # the plan-schedule's five sections (19 activities) and the six «mechanisms of implementation»
    assert len(acts) == 25
    assert Counter(a["direction"] for a in acts) == {"1": 9, "2": 3, "3": 4, "4": 2, "5": 1, "М": 6}
    assert [t["kind"] for t in rows(p, "Целевые показатели")] == ["не ниже среднего", "рост, п.п.", "не менее",
                                                                   "не менее", "рост, %"]
    assert len(rows(p, "Направления")) == 6 and rows(p, "Школы") == []  # the document names no school


def test_seed_001_kharovsk():
    p = SEED["001"]
    acts = rows(p, "Мероприятия")
    assert [a["number"] for a in acts] == [str(i) for i in range(1, 27)]
    assert acts[20]["title"].startswith("Разработка социального паспорта школы")
    # the social passport's five shares are indicators of activity 21
    assert acts[20]["indicators"].split(", ") == ["sp_parents_higher_ed", "sp_single_parent", "sp_large_family",
                                                 "sp_good_marks", "sp_registered"]
    assert {i["code"] for i in rows(p, "Показатели")} == set(acts[20]["indicators"].split(", "))
    assert [(s["code"], s["is_shnor"]) for s in rows(p, "Школы")] == [("KHR-01", "да"), ("KHR-02", "нет")]
    assert rows(p, "Кураторы") == [{"curator": "KHR-02", "school": "KHR-01"}]


def test_seed_002_yakovlevsky_by_year():
    acts = rows(SEED["002"], "Мероприятия")
    assert len({a["number"] for a in acts}) == 15
    # activities 10 and 11 have nothing in the 2020 column
    assert Counter(a["stage"] for a in acts) == {"2020": 13, "2021": 15, "2022": 15}
    assert {a["direction"] for a in acts} == {"1", "2", "3", "4", "6"}  # the document has no direction 5
    by = {(a["number"], a["stage"]): a for a in acts}
    assert by[("2", "2022")]["deadline"] == "Июнь-август 2021"  # kept as the document writes it


def test_seed_003_kalininsky_audit():
    p = SEED["003"]
    acts = rows(p, "Мероприятия")
    assert len(acts) == 44
    risks = {r["code"]: r for r in rows(p, "Параметры риска")}
    assert len(rows(p, "Группы рисков")) == 7
    assert list(risks) == ["1.1", "1.2", "1.3", "1.4", "2.1", "2.2", "2.3", "2.4", "3.1", "3.2", "3.3", "4.1", "4.2",
                           "4.3", "4.4", "5.1", "5.2", "5.3", "5.4", "6.1", "6.2", "6.3", "7.1", "7.2"]
    assert risks["1.1"]["schools"] == "KAL-02, KAL-09, KAL-10, KAL-14, KAL-11"  # «СОШ №2, 9, 10, 14, ООШ №11»
    assert len(risks["3.1"]["schools"].split(", ")) == 14  # «СОШ № 1-14»
    assert risks["5.2"]["schools"].endswith("KAL-RV")  # «…, 12, РВСОШ»
    assert risks["7.1"]["schools"] == "" and risks["7.2"]["found_in_text"] == "МКУО ЦОКО"
    assert [a["risks"] for a in acts][:4] == ["все выявленные параметры"] * 3 + ["1.1"]
    assert sum(1 for a in acts if a["risks"]) == 44


def test_seed_004_okoneshnikovo():
    p = SEED["004"]
    acts = rows(p, "Мероприятия")
    assert len(acts) == 59
    assert Counter(a["direction"] for a in acts) == {"1": 15, "2": 22, "3": 19, "4": 3}
    assert len(rows(p, "Параметры риска")) == 16 and len(rows(p, "Группы рисков")) == 3
    triads = rows(p, "Группы школ")
    assert [t["schools"] for t in triads] == ["OKN-03, OKN-04, OKN-07", "OKN-05, OKN-08, OKN-09", "OKN-02, OKN-01, OKN-06"]
    targets = rows(p, "Целевые показатели")
    assert [t["indicator"] for t in targets] == ["biased_results", "resilient_school", "curator_directors"]
    assert targets[1]["milestones"].startswith("2021: 3")


def test_every_deadline_in_the_files_is_read():
    """Each deadline string of the transcribed seeds: none unparsed, and the kinds as counted."""
    kinds: Counter = Counter()
    for p in FILES:
        for sheet in ("Мероприятия", "Контрольные точки"):
            for r in rows(p, sheet):
                stage = r.get("stage") or ""
                d = parse_deadline(r["deadline"], default_year=int(stage) if stage.isdigit() else None)
                assert d.kind != "unparsed", (p.name, r["number"], r["deadline"])
                assert d.text == r["deadline"]  # the text is kept as written
                if d.kind in ("date", "month", "quarter", "range", "year", "multiple"):
                    assert d.due is not None and 2019 <= d.due.year <= 2026, (p.name, r["deadline"], d)
                kinds[d.kind] += 1
    assert sum(kinds.values()) == 25 + 10 + 26 + 43 + 44 + 59
    assert kinds == {"month": 69, "recurring": 56, "range": 26, "year": 19, "undated": 17, "multiple": 12,
                     "date": 7, "quarter": 1}


@pytest.mark.parametrize("text_, default_year, kind, due", [
    ("Сентябрь – октябрь 2020", None, "range", date(2020, 10, 31)),
    ("В течение учебного года", 2021, "year", date(2022, 5, 31)),
    ("В течение учебного года", None, "undated", None),
    ("В течение всего периода", None, "recurring", None),
    ("апрель 2023 апрель 2024", None, "multiple", date(2024, 4, 30)),
    ("Март, август, ноябрь 2023\nЯнварь, март, август, ноябрь 2024", None, "multiple", date(2024, 11, 30)),
    ("25.11.2021 27.01.2022 29.03.2022", None, "multiple", date(2022, 3, 29)),
    ("", 2020, "undated", None),
    ("Ежегодно\nСентябрь-октябрь 2022 года", None, "recurring", None),
])
def test_deadline_variants_from_the_files(text_, default_year, kind, due):
    d = parse_deadline(text_, default_year=default_year)
    assert (d.kind, d.due) == (kind, due)


def test_risk_codes_as_written():
    known = ["1.1", "1.2", "1.3", "1.4", "2.1", "2.2", "4.1", "4.2", "4.3", "4.4", "7.1", "7.2"]
    assert expand_risk_codes("1.1.", known) == (["1.1"], [])
    assert expand_risk_codes("1.2-1.3", known) == (["1.2", "1.3"], [])
    assert expand_risk_codes("4.1.-4.3", known) == (["4.1", "4.2", "4.3"], [])
    assert expand_risk_codes("2.1., 2.2., 2.3., 2.4", known) == (["2.1", "2.2"], ["2.3.", "2.4"])
    assert expand_risk_codes("все выявленные параметры", known, {"1.1", "7.2"}) == (["1.1", "7.2"], [])
    assert expand_risk_codes("", known) == ([], [])


# ---------------------------------------------------------------------------------------------
# Loaded into the demo (both backends)
# ---------------------------------------------------------------------------------------------
def test_demo_holds_the_five_roadmaps(demo_db):
    with demo_db.connect() as c:
        q = lambda sql: c.execute(text(sql)).all()  # noqa: E731
        per = dict(q("SELECT r.code, COUNT(a.id) FROM roadmap r LEFT JOIN activity a ON a.roadmap_id = r.id "
                     "GROUP BY r.code"))
        assert per == {"nev-2024": 25, "khr-2022": 26, "yak-2020": 43, "kal-2023": 44, "okn-2021": 59}
        assert q("SELECT COUNT(*) FROM controlpoint")[0][0] == 10
        assert dict(q("SELECT r.code, COUNT(f.id) FROM roadmap r JOIN riskfactor f ON f.roadmap_id = r.id "
                      "GROUP BY r.code")) == {"kal-2023": 24, "okn-2021": 16}
        assert q("SELECT COUNT(*) FROM schoolrisk")[0][0] == 120  # the school lists of seed 003's audit
        # activity 1 of seed 003 addresses «все выявленные параметры»: the 23 found somewhere (not 7.1)
        assert q("SELECT COUNT(*) FROM activityrisk l JOIN activity a ON a.id = l.activity_id "
                 "JOIN roadmap r ON r.id = a.roadmap_id WHERE r.code = 'kal-2023' AND a.number = '1'")[0][0] == 23
        assert q("SELECT COUNT(*) FROM schoolgroupmember")[0][0] == 9
        assert q("SELECT COUNT(*) FROM upload WHERE kind = 'roadmap'")[0][0] == 5  # the original files kept
        assert q("SELECT COUNT(*) FROM activity WHERE deadline_kind = 'unparsed'")[0][0] == 0


def test_risk_view_finds_the_uncovered_parameter(demo_db):
    rid = demo_db.connect().execute(text("SELECT id FROM roadmap WHERE code = 'kal-2023'")).scalar()
    rv = roadmap_view.risk_view(auth.system_scope(), rid, engine=demo_db)
    assert list(rv.uncovered["code"]) == ["7.1"]
    m = rv.matrix()
    assert int(m.to_numpy().sum()) == 120 and m.shape == (15, 24)


def test_head_of_another_territory_cannot_read_a_roadmap(demo_db):
    rid = demo_db.connect().execute(text("SELECT id FROM roadmap WHERE code = 'kal-2023'")).scalar()
    with pytest.raises(AccessDenied):
        roadmap_view.items(scope_of(demo_db, "demo-head"), rid, engine=demo_db)
    with pytest.raises(AccessDenied):
        roadmap_view.items(scope_of(demo_db, "demo-principal"), 1, engine=demo_db)


# ---------------------------------------------------------------------------------------------
# The importer's checks
# ---------------------------------------------------------------------------------------------
def test_a_valid_file_is_written_in_one_go(demo_db_rw):
    sc = scope_of(demo_db_rw, "demo-methodist")
    data = rb.write(minimal_book())
    pv = rb.prepare(sc, data, "план.xlsx", demo_db_rw)
    assert pv.ok, [p.text for p in pv.problems]
    out = rb.apply(sc, pv, data, engine=demo_db_rw)
    with demo_db_rw.connect() as c:
        rid = out["roadmap_id"]
        assert c.execute(text("SELECT COUNT(*) FROM activity WHERE roadmap_id = :r"), {"r": rid}).scalar() == 1
        assert c.execute(text("SELECT due_date FROM activity WHERE roadmap_id = :r"), {"r": rid}).scalar()[:10] == "2025-03-31"
        assert c.execute(text("SELECT COUNT(*) FROM curatorlink WHERE roadmap_id = :r"), {"r": rid}).scalar() == 1
        assert c.execute(text("SELECT COUNT(*) FROM targetcount t JOIN target x ON x.id = t.target_id "
                              "WHERE x.roadmap_id = :r"), {"r": rid}).scalar() > 0  # counted with the write
        assert c.execute(text("SELECT login FROM auditevent WHERE action = 'roadmap_loaded' ORDER BY id DESC")).first()[0] == "demo-methodist"
    assert rb.original(sc, rid, demo_db_rw) == ("план.xlsx", data)


BAD = [
    ("code of another territory's roadmap", {"roadmap": {**minimal_book()["roadmap"], "code": "kal-2023"}},
     "Лист «Дорожная карта», строка 2, столбец B («Код дорожной карты»): дорожная карта с кодом «kal-2023» уже загружена для другой территории"),
    ("unknown school in the audit", {"Параметры риска": [{"group": "1", "code": "1.1", "name": "Дефицит", "schools": "NEV-99"}]},
     "Лист «Параметры риска», строка 3, столбец E («Школы (коды)»): школы с кодом «NEV-99» нет ни в системе, ни на листе «Школы»"),
    ("school of another territory", {"Мероприятия": [{"number": "1", "title": "Семинар", "schools": "KAL-01"}]},
     "Лист «Мероприятия», строка 3, столбец O («Школы (коды)»): школа «KAL-01» относится к другой территории"),
    ("unknown risk code", {"Мероприятия": [{"number": "1", "title": "Семинар", "risks": "1.1, 9.9"}]},
     "Лист «Мероприятия», строка 3, столбец M («Параметры риска (коды)»): параметра риска «9.9» нет на листе «Параметры риска»"),
    ("unknown direction", {"Мероприятия": [{"number": "1", "direction": "7", "title": "Семинар"}]},
     "Лист «Мероприятия», строка 3, столбец C («Направление (№)»): направления № 7 нет на листе «Направления»"),
    ("same activity twice", {"Мероприятия": [{"number": "1", "title": "А"}, {"number": "1", "title": "Б"}]},
     "Лист «Мероприятия», строка 4, столбец A («№»): мероприятие № 1 указано дважды"),
    ("unknown indicator", {"Мероприятия": [{"number": "1", "title": "А", "indicators": "nonexistent"}]},
     "Лист «Мероприятия», строка 3, столбец L («Показатели (коды)»): показателя с кодом «nonexistent» нет ни в системе, ни на листе «Показатели»"),
    ("target kind", {"Целевые показатели": [{"number": 1, "wording": "x", "indicator": "edu_quality", "kind": "побольше"}]},
     "Лист «Целевые показатели», строка 3, столбец D («Вид цели»): допустимые значения: «не менее», «не более», «рост, п.п.», «рост, %», «не ниже среднего», «по этапам»"),
    ("target value text", {"Целевые показатели": [{"number": 1, "wording": "x", "indicator": "edu_quality", "kind": "не менее", "value": "шестьдесят"}]},
     "Лист «Целевые показатели», строка 3, столбец E («Значение»): ожидается число, а в ячейке текст"),
    ("period", {"Целевые показатели": [{"number": 1, "wording": "x", "indicator": "edu_quality", "kind": "не менее", "value": 60, "due": "конец года"}]},
     "Лист «Целевые показатели», строка 3, столбец G («Срок (период)»): неизвестный период: пишите «2024-Q4» или «IV кв. 2024» (квартал), «2024» (год), "
     "«2024-H1» (полугодие) или «2023/24» (учебный год)"),
    ("growth without baseline", {"Целевые показатели": [{"number": 1, "wording": "x", "indicator": "edu_quality", "kind": "рост, п.п.", "value": 5}]},
     "Лист «Целевые показатели», строка 3, столбец F («Базовый период»): для роста к базе нужен базовый период"),
    ("flag", {"Школы": [{"code": "NEV-20", "name": "Школа 20", "short_name": "СОШ 20", "is_shnor": "может быть"}]},
     "Лист «Школы», строка 3, столбец E («ШНОР»): ожидается «да» или «нет»"),
    ("indicator kind clash", {"Показатели": [{"code": "edu_quality", "name": "x", "short_name": "x", "unit": "чел.", "value_kind": "количество"}]},
     "Лист «Показатели», строка 3, столбец E («Вид»): показатель «edu_quality» уже есть в системе с другим видом или уровнем"),
    ("curator of itself", {"Кураторы": [{"curator": "NEV-01", "school": "NEV-01"}]},
     "Лист «Кураторы», строка 3, столбец B («Курируемая школа (код)»): школа не может курировать саму себя"),
    ("required field", {"roadmap": {**minimal_book()["roadmap"], "title": ""}},
     "Лист «Дорожная карта», строка 3, столбец B («Название»): не заполнено"),
    ("too long", {"Мероприятия": [{"number": "1", "title": "А", "deadline": "я" * 501}]},
     "Лист «Мероприятия», строка 3, столбец E («Срок (как в документе)»): слишком длинный текст: 501 знаков, допускается до 500"),
    ("new territory by a methodologist", {"roadmap": {**minimal_book()["roadmap"], "territory_code": "new-town"}},
     "Лист «Дорожная карта», строка 4, столбец B («Код территории»): территории с кодом «new-town» нет в системе; по названию это, похоже, «город Невинномысск» (код nevinnomyssk) — укажите этот код"),
    ("another territory", {"roadmap": {**minimal_book()["roadmap"], "territory_code": "kalininsky"}, "Мероприятия": [{"number": "1", "title": "А"}],
                           "Параметры риска": [], "Кураторы": []},
     "Лист «Дорожная карта», строка 4, столбец B («Код территории»): это не ваша территория: загружать дорожные карты можно только для своей"),
]


@pytest.mark.parametrize("name, changes, message", BAD, ids=[b[0] for b in BAD])
def test_bad_roadmap_files_are_refused_with_located_messages(demo_db_rw, name, changes, message):
    sc = scope_of(demo_db_rw, "demo-methodist")
    before = dump(demo_db_rw)
    data = rb.write(minimal_book(**changes))
    pv = rb.prepare(sc, data, "план.xlsx", demo_db_rw)
    assert not pv.ok
    assert any(p.text.startswith(message) for p in pv.errors), [p.text for p in pv.errors]
    with pytest.raises(IngestError):
        rb.apply(sc, pv, data, engine=demo_db_rw)
    assert dump(demo_db_rw) == before


@pytest.mark.parametrize("data, message", [
    (b"", "пустой"),
    (b"code;name\n1;2\n", "не книга Excel .xlsx"),
    (None, "нет листа «Дорожная карта»"),
])
def test_not_a_roadmap_file(demo_db_rw, data, message):
    if data is None:
        from openpyxl import Workbook

        wb, buf = Workbook(), io.BytesIO()
        wb.active.title = "Лист1"
        wb.save(buf)
        data = buf.getvalue()
    with pytest.raises(IngestError, match=message):
        rb.prepare(scope_of(demo_db_rw, "demo-methodist"), data, "x.xlsx", demo_db_rw)


def test_the_template_is_empty_and_says_so(demo_db_rw):
    pv = rb.prepare(scope_of(demo_db_rw, "demo-admin"), rb.template(), "шаблон.xlsx", demo_db_rw)
    texts = [p.text for p in pv.errors]
    assert "Лист «Дорожная карта», строка 2, столбец B («Код дорожной карты»): не заполнено" in texts
    wb = load_workbook(io.BytesIO(rb.template()))
    assert wb.sheetnames[:3] == ["Инструкция", "Дорожная карта", "Показатели"] and wb["_meta"].sheet_state == "hidden"


def test_only_editors_may_load(demo_db_rw):
    data = rb.write(minimal_book())
    for login in ("demo-head", "demo-principal", "demo-curator"):
        with pytest.raises(AccessDenied):
            rb.prepare(scope_of(demo_db_rw, login), data, "план.xlsx", demo_db_rw)


def test_an_admin_may_create_a_territory(demo_db_rw):
    book = minimal_book(roadmap={**minimal_book()["roadmap"], "territory_code": "new-town", "territory_name": "Новый город"},
                   **{"Мероприятия": [{"number": "1", "title": "А", "deadline": "ежегодно"}], "Параметры риска": [],
                      "Кураторы": [], "Школы": [{"code": "NT-1", "name": "МБОУ СОШ № 1", "short_name": "СОШ № 1",
                                                "is_shnor": "да"}],
                      "Группы школ": [{"name": "Пара", "schools": "NT-1"}]})
    out = rb.load(auth.system_scope(), rb.write(book), "new.xlsx", engine=demo_db_rw)
    with demo_db_rw.connect() as c:
        assert c.execute(text("SELECT t.name FROM school s JOIN territory t ON t.id = s.territory_id "
                              "WHERE s.code = 'NT-1'")).scalar() == "Новый город"
        assert c.execute(text("SELECT COUNT(*) FROM territoryclosure t JOIN territory x ON x.id = t.descendant_id "
                              "WHERE x.code = 'new-town'")).scalar() == 1
    assert out["Новые школы"] == 1


def test_a_methodologist_cannot_create_a_territory_and_the_refusal_is_audited(demo_db_rw):
    """The write itself refuses (not only the page): a preview made for a new territory, applied by a
    methodologist, writes nothing and leaves one audit entry written after the rolled-back transaction."""
    book = minimal_book(roadmap={**minimal_book()["roadmap"], "territory_code": "far-town", "territory_name": "Дальний"},
                        **{"Мероприятия": [{"number": "1", "title": "А", "deadline": "ежегодно"}], "Параметры риска": [],
                           "Кураторы": [], "Школы": [], "Группы школ": []})
    data = rb.write(book)
    pv = rb.prepare(auth.system_scope(), data, "far.xlsx", demo_db_rw)
    assert pv.territory["id"] is None
    with pytest.raises(AccessDenied):
        rb.apply(scope_of(demo_db_rw, "demo-methodist"), pv, data, engine=demo_db_rw)
    with demo_db_rw.connect() as c:
        assert c.execute(text("SELECT COUNT(*) FROM territory WHERE code = 'far-town'")).scalar() == 0
        assert c.execute(text("SELECT COUNT(*) FROM upload WHERE file_name = 'far.xlsx'")).scalar() == 0
        assert c.execute(text("SELECT login FROM auditevent WHERE action = 'access_denied' AND details LIKE "
                              "'%territory_create%' ORDER BY id DESC")).first()[0] == "demo-methodist"


# ---------------------------------------------------------------------------------------------
# Status changes
# ---------------------------------------------------------------------------------------------
def test_status_rules_and_history(demo_db_any):
    db = demo_db_any
    sc = scope_of(db, "demo-methodist")
    aid = db.connect().execute(text("SELECT id FROM activity WHERE roadmap_id = 1 AND number = '2.2'")).scalar()
    today = date(2024, 10, 15)
    for status, kw, msg in [
        ("done", {"evidence": "Справка"}, "укажите дату выполнения"),
        ("done", {"completed_on": date(2024, 10, 16), "evidence": "Справка"}, "ещё не наступила"),
        ("done", {"completed_on": date(2024, 3, 30)}, "укажите подтверждение"),
        ("cancelled", {"evidence": "  "}, "укажите причину"),
        ("finished", {}, "Неизвестный статус"),
    ]:
        with pytest.raises(roadmap_view.StatusError, match=msg):
            roadmap_view.set_status(sc, "activity", aid, status, today=today, engine=db, **kw)
    roadmap_view.set_status(sc, "activity", aid, "in_progress", today=today, engine=db)
    roadmap_view.set_status(sc, "activity", aid, "done", completed_on=date(2024, 3, 30), evidence="Справка № 5",
                            today=today, engine=db)
    hist = roadmap_view.status_history(sc, "activity", aid, db)
    # newest first; the oldest entry is the demo's own (2.2 done in the demo's year, see core/demo.apply_statuses)
    assert [(h["old"]["status"], h["new"]["status"]) for h in hist] == [
        ("in_progress", "done"), ("done", "in_progress"), ("planned", "done")]
    assert hist[-1]["demo"] is True and "demo" not in hist[0]
    assert hist[0]["new"] == {"status": "done", "completed_on": "2024-03-30", "evidence": "Справка № 5"}
    items = roadmap_view.items(sc, 1, today, db)
    row = items[(items["kind"] == "activity") & (items["id"] == aid)].iloc[0]
    assert (row["status"], bool(row["overdue"]), row["evidence"]) == ("done", False, "Справка № 5")
    for login in ("demo-head", "demo-principal", "demo-curator"):
        with pytest.raises(AccessDenied):
            roadmap_view.set_status(scope_of(db, login), "activity", aid, "planned", today=today, engine=db)
    with db.connect() as c:
        assert c.execute(text("SELECT COUNT(*) FROM auditevent WHERE action = 'access_denied'")).scalar() >= 3
        assert c.execute(text("SELECT status FROM activity WHERE id = :i"), {"i": aid}).scalar() == "done"


def test_filters_are_pure(demo_db):
    items = roadmap_view.items(auth.system_scope(), 1, date(2024, 10, 15), demo_db)
    f = roadmap_view.filter_items
    assert len(f(items, responsible="ГМО")) == 2  # 3.6 «ГМО, ШМО» and М.3 «УО, ГМО, ОО»
    assert len(f(items, indicator="olympiad_participants")) == 3  # 4.1, 4.2 and М.5
    assert len(f(items, overdue_only=True)) == 4  # 4.1, 4.4, control point 1 (the demo's statuses) and control
    # point 3, whose June stage passed unmarked (a passed stage of a multi-date deadline is overdue)
    assert set(f(items, statuses=["planned"])["status"]) == {"planned"}
    assert "МБУ «ЦРО»" in roadmap_view.responsibles(items)


def test_cli_loads_a_seed_into_a_new_database(empty_db, monkeypatch, capsys, tmp_path):
    """The operator's path on a real (non-demo) database: the territory, schools, indicators and
    periods the file names are created; a second load of the same code replaces the content."""
    from core import cli

    monkeypatch.setenv("DATABASE_URL", str(empty_db.url.render_as_string(hide_password=False)))
    monkeypatch.setenv("MONITORING_DEMO", "0")
    from core.settings import reset_settings_cache

    reset_settings_cache()
    try:
        assert cli.main(["load-roadmap", str(SEED["003"]), "--check"]) == 0
        assert "Ничего не записано" in capsys.readouterr().out
        assert cli.main(["load-roadmap", str(SEED["003"])]) == 0
        assert "44 мероприятия" in capsys.readouterr().out
        assert cli.main(["load-roadmap", str(SEED["003"])]) == 0  # the same code again: a corrected file
        out = capsys.readouterr()
        assert "заменена" in out.out and "файл заменит её содержание" in out.err
        bad = tmp_path / "bad.xlsx"
        bad.write_bytes(b"not a workbook")
        assert cli.main(["load-roadmap", str(bad)]) == 2
    finally:
        reset_settings_cache()
    with empty_db.connect() as c:
        assert c.execute(text("SELECT COUNT(*) FROM school")).scalar() == 15
        assert c.execute(text("SELECT COUNT(*) FROM activity")).scalar() == 44


def test_school_page_names_the_triad(demo_db):
    from core.read import school as read_school

    sid = demo_db.connect().execute(text("SELECT id FROM school WHERE code = 'OKN-03'")).scalar()
    view = read_school.school_view(auth.system_scope(), sid, engine=demo_db)
    assert view.groups == ("Триада 1: Золотонивская СШ, Красовская СШ, Сергеевская СШ",)
    kh = demo_db.connect().execute(text("SELECT id FROM school WHERE code = 'KHR-01'")).scalar()
    assert read_school.school_view(auth.system_scope(), kh, engine=demo_db).curators == ("Харовская СОШ им. В. Прокатова",)


def _unmark(db, roadmap_id: int) -> None:
    """The roadmap as loaded, before anyone marked anything (the demo gives its items statuses)."""
    with db.begin() as c:
        for table in ("activity", "controlpoint"):
            c.execute(text(f"UPDATE {table} SET status = 'planned', completed_on = NULL, evidence = NULL "
                           "WHERE roadmap_id = :r"), {"r": roadmap_id})
        c.execute(text("DELETE FROM auditevent WHERE action = 'roadmap_status'"))


def test_a_corrected_file_replaces_the_roadmap_and_keeps_statuses(demo_db_any):
    """The office fixes its roadmap and loads it again under the same code: the content is replaced in
    one transaction, statuses stay with the items of the same number, a dropped item's status stays
    in the audit log, and nothing else (measurements, other roadmaps) changes."""
    db = demo_db_any
    sc = scope_of(db, "demo-methodist")
    _unmark(db, 1)
    with db.connect() as c:
        aid = c.execute(text("SELECT id FROM activity WHERE roadmap_id = 1 AND number = '2.2'")).scalar()
        cid = c.execute(text("SELECT id FROM controlpoint WHERE roadmap_id = 1 AND number = '10'")).scalar()
        n_meas = c.execute(text("SELECT COUNT(*) FROM measurement")).scalar()
        ids_before = c.execute(text("SELECT number, id FROM activity WHERE roadmap_id = 1 ORDER BY id")).all()
        targets_before = c.execute(text("SELECT id, indicator_id FROM target WHERE roadmap_id = 1 ORDER BY id")).all()
    roadmap_view.set_status(sc, "activity", aid, "done", completed_on=date(2024, 3, 30), evidence="Справка № 5", engine=db)
    roadmap_view.set_status(sc, "control_point", cid, "cancelled", evidence="Объединена с КТ 9", engine=db)
    wb = load_workbook(io.BytesIO(SEED["000"].read_bytes()))
    ws = wb["Контрольные точки"]
    last = ws.max_row
    assert ws.cell(last, 1).value == "10"
    ws.delete_rows(last)  # control point 10 is dropped
    wb["Мероприятия"]["D3"] = "Мониторинг обеспечения ОО учебниками (уточнено)"  # activity 1.1 reworded
    buf = io.BytesIO()
    wb.save(buf)
    data = buf.getvalue()
    pv = rb.prepare(sc, data, "nev-2024-испр.xlsx", db)
    assert pv.ok and pv.replaces == 1
    warnings = [p.text for p in pv.warnings]
    assert any("файл заменит её содержание" in w for w in warnings)
    assert any("в файле нет контрольной точки № 10" in w and "«отменено»" in w for w in warnings)
    assert rb.replace_text(pv).endswith("Отметки о выполнении сохранятся у 1 пункта с теми же номерами; у 1 пункта "
                                        "в файле нет — они будут удалены, их отметки останутся в журнале действий.")
    rb.apply(sc, pv, data, engine=db)
    with db.connect() as c:
        assert c.execute(text("SELECT COUNT(*) FROM roadmap")).scalar() == 5
        assert c.execute(text("SELECT COUNT(*) FROM controlpoint WHERE roadmap_id = 1")).scalar() == 9
        assert c.execute(text("SELECT COUNT(*) FROM activity WHERE roadmap_id = 1")).scalar() == 25
        row = c.execute(text("SELECT status, evidence FROM activity WHERE roadmap_id = 1 AND number = '2.2'")).one()
        assert tuple(row) == ("done", "Справка № 5")
        assert c.execute(text("SELECT title FROM activity WHERE roadmap_id = 1 AND number = '1.1'")).scalar() == \
            "Мониторинг обеспечения ОО учебниками (уточнено)"
        assert c.execute(text("SELECT COUNT(*) FROM target WHERE roadmap_id = 1")).scalar() == 5
        assert c.execute(text("SELECT COUNT(*) FROM targetcount t JOIN target x ON x.id = t.target_id "
                              "WHERE x.roadmap_id = 1")).scalar() > 0
        assert c.execute(text("SELECT COUNT(*) FROM measurement")).scalar() == n_meas
        assert c.execute(text("SELECT COUNT(*) FROM activity")).scalar() == 25 + 26 + 43 + 44 + 59
        details = c.execute(text("SELECT details FROM auditevent WHERE action = 'roadmap_replaced'")).scalar()
        # items and targets are updated in place: their ids (URLs, status history) survive
        assert c.execute(text("SELECT number, id FROM activity WHERE roadmap_id = 1 ORDER BY id")).all() == ids_before
        assert c.execute(text("SELECT id, indicator_id FROM target WHERE roadmap_id = 1 ORDER BY id")).all() == \
            targets_before
        assert c.execute(text("SELECT COUNT(*) FROM activityindicator ai JOIN activity a ON a.id = ai.activity_id "
                              "WHERE a.roadmap_id = 1")).scalar() > 0
        assert c.execute(text("SELECT COUNT(*) FROM activity WHERE roadmap_id = 1 AND direction_id IS NULL")).scalar() == 0
    assert [(h["old"]["status"], h["new"]["status"]) for h in roadmap_view.status_history(sc, "activity", aid, engine=db)] == [
        ("planned", "done")]
    d = json.loads(details)
    assert d["statuses_kept"] == 1
    assert d["dropped"] == [{"kind": "control_point", "number": "10", "stage": "", "status": "cancelled",
                             "title": d["dropped"][0]["title"], "evidence": "Объединена с КТ 9"}]


def test_a_corrected_file_without_a_target_removes_it_and_its_counts(demo_db_any):
    """The last target dropped from a corrected file: that target, its milestones and its counts of
    schools meeting it go; the other targets keep their ids."""
    db = demo_db_any
    sc = scope_of(db, "demo-methodist")
    wb = load_workbook(io.BytesIO(SEED["000"].read_bytes()))
    ws = wb["Целевые показатели"]
    gone_indicator = ws.cell(ws.max_row, 3).value
    ws.delete_rows(ws.max_row)
    buf = io.BytesIO()
    wb.save(buf)
    q = ("SELECT t.id FROM target t JOIN indicator i ON i.id = t.indicator_id "
         "WHERE t.roadmap_id = 1 AND i.code {} :c ORDER BY t.id")
    with db.connect() as c:
        gone = c.execute(text(q.format("=")), {"c": gone_indicator}).scalar_one()
        others = c.execute(text(q.format("<>")), {"c": gone_indicator}).scalars().all()
        assert c.execute(text("SELECT COUNT(*) FROM targetcount WHERE target_id = :t"), {"t": gone}).scalar() > 0
    pv = rb.prepare(sc, buf.getvalue(), "nev-2024-без-цели.xlsx", db)
    assert pv.ok and pv.replaces == 1 and len(pv.targets) == 4
    said = [p.text for p in pv.warnings if "целевого показателя" in p.text]
    assert len(said) == 1 and f"(показатель {gone_indicator}): цель будет удалена" in said[0]
    assert "Целевых показателей, которых в файле нет и которые будут удалены: 1." in rb.replace_text(pv)
    rb.apply(sc, pv, buf.getvalue(), engine=db)
    with db.connect() as c:
        assert c.execute(text(q.format("<>")), {"c": gone_indicator}).scalars().all() == others
        for table in ("target WHERE id", "targetcount WHERE target_id", "targetmilestone WHERE target_id"):
            assert c.execute(text(f"SELECT COUNT(*) FROM {table} = :t"), {"t": gone}).scalar() == 0
        assert c.execute(text("SELECT COUNT(*) FROM targetcount WHERE target_id IN :ids").bindparams(
            bindparam("ids", expanding=True)), {"ids": others}).scalar() > 0
        details = c.execute(text("SELECT details FROM auditevent WHERE action = 'roadmap_replaced'")).scalar()
    assert len(json.loads(details)["targets_dropped"]) == 1


def test_a_roadmap_names_periods_by_label_and_they_are_created(demo_db_rw):
    """«IV кв. 2026» and «2025/26 уч. г.» are periods of the calendar: created when the roadmap is written."""
    sc = scope_of(demo_db_rw, "demo-methodist")
    book = minimal_book(**{"Целевые показатели": [
        {"number": 1, "wording": "Качество не ниже 60 %", "indicator": "edu_quality", "kind": "рост, п.п.",
         "value": 5, "baseline": "2025/26 уч. г.", "due": "IV кв. 2026"}]})
    data = rb.write(book)
    pv = rb.prepare(sc, data, "план.xlsx", demo_db_rw)
    assert pv.ok, [p.text for p in pv.problems]
    rid = rb.apply(sc, pv, data, engine=demo_db_rw)["roadmap_id"]
    with demo_db_rw.connect() as c:
        row = c.execute(text("SELECT b.code, b.label, d.code, d.label, d.\"end\" FROM target x "
                             "JOIN period b ON b.id = x.baseline_period_id JOIN period d ON d.id = x.due_period_id "
                             "WHERE x.roadmap_id = :r"), {"r": rid}).one()
    assert tuple(row[:4]) == ("2025/26", "2025/26 уч. г.", "2026-Q4", "IV кв. 2026") and str(row[4]) == "2026-12-31"
