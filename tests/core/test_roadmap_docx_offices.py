"""Word roadmaps as offices type them (issue 26): the plan's structure — section rows, a «Направление»
column, headings between pieces of the table, a second table under its own heading, targets typed as a
numbered list, a risk audit with group rows, deadlines as written — read from documents made both with
python-docx and with LibreOffice Writer (devkit/office_docs.py), in layouts other than the project's
renderer's; «Проверить» says what was guessed and what else it could be, and nothing on a row read
exactly."""

from __future__ import annotations

import pytest

from core import roadmap_docx
from devkit.office_docs import C, P, T, libreoffice, python_docx
from tests.helpers import OFFICE_HEAD as HEAD, OFFICE_TITLE as TITLE, ROMAN_SECTIONS, draft_to_load

LAYOUTS = {
    # item 1: «I.» / «II.» in the «№» column, the name merged across; the numbering restarts in each
    "roman_sections": ROMAN_SECTIONS,  # tests/helpers.py: the e2e test loads its draft too
    # item 1: «1.» merged across, «1.1.» a subsection, «2.» typed in bold in the title column only
    "arabic_sections": [TITLE, T([
        ["№", "Содержание мероприятия", "Сроки", "Исполнители"],
        ["1.", C("Повышение качества преподавания", span=3, bold=True)],
        ["1.1.", C("Поддержка молодых учителей", span=3)],
        ["1.1.1.", "Наставничество для молодых учителей", "Сентябрь 2024 года", "Школы"],
        ["1.1.2.", "Школа молодого педагога", "Октябрь 2024 года", "Методическая служба"],
        ["2.", C("Работа с родителями", bold=True), "", ""],
        ["2.1.", "Родительские собрания по вопросам качества образования", "Ежеквартально", "Школы"],
    ])],
    # item 2: a «Направление» column, merged down for the first direction, repeated for the second
    "direction_column": [TITLE, T([
        ["№ п/п", "Направление", "Мероприятие", "Срок", "Ответственный"],
        ["1.", C("1. Работа с педагогическими кадрами", down=2), "Диагностика профессиональных дефицитов",
         "Январь 2024 года", "ЦОКО"],
        ["2.", "Индивидуальные образовательные маршруты педагогов", "Март 2024 года", "Методическая служба"],
        ["3.", "Работа с родителями", "Родительский всеобуч", "ежеквартально", "Школы"],
        ["4.", "Работа с родителями", "Анкетирование родителей", "Май 2024 года", "Школы"],
    ])],
    # items 3 and 4: headings typed between pieces of the table; a second table under its own heading
    "headings_between": [
        TITLE,
        P("1. Организационная работа"),
        T([HEAD, ["1", "Совещание с руководителями школ", "Февраль 2024 года", "Управление образования", "Протокол"],
           ["2", "Утверждение программ перехода", "Март 2024 года", "Школы", "Программы"]]),
        P("2. Работа с педагогами"),
        T([["1", "Курсы повышения квалификации", "Апрель 2024 года", "ИРО", "Удостоверения"],
           ["2", "Стажировки в школах-лидерах", "Май 2024 года", "Методическая служба", "Отчёт"]]),
        P("3. Работа с родителями"),
        T([["1", "Родительский всеобуч", "Сентябрь 2024 года", "Школы", "Протоколы"]]),
        P("Механизмы реализации", bold=True),
        T([["№", "Мероприятие", "Срок", "Ответственный", "Информационное сопровождение", "Финансирование"],
           ["1", "Публичный доклад о ходе реализации", "Декабрь 2024 года", "Управление образования",
            "Сайт управления образования", "Не требуется"],
           ["2", "Совещание по итогам года", "Декабрь 2025 года", "Управление образования", "Пресс-релиз", ""]]),
    ],
    # item 5: targets typed as a numbered list under a heading
    "targets_list": [
        TITLE,
        T([HEAD, ["1", "Семинар для заместителей директоров", "Март 2024 года", "Методическая служба", "Материалы"]]),
        P("Целевые показатели:"),
        P("Увеличение доли обучающихся, успешно выполнивших ВПР по математике, на 5 п.п. к 2025 году", numbered=True),
        P("Рост числа участников региональных олимпиад на 10 %", numbered=True),
        P("Доля педагогов, прошедших курсы повышения квалификации, не менее 80 %", numbered=True),
        P("Средний балл ОГЭ по русскому языку не ниже среднего по региону", numbered=True),
        P("Ответственный за мониторинг — ЦОКО."),
    ],
    # item 6: a risk audit, each group a row merged above its parameters; one parameter's name missing
    "risk_audit": [
        TITLE,
        P("Результаты аудита рисков"),
        T([["Код", "Параметр риска", "Школы, в которых выявлен"],
           [C("1. Низкое качество преподавания", span=3, bold=True)],
           ["1.1", "Высокая доля учителей без курсов повышения квалификации", "СОШ № 1, СОШ № 3"],
           ["1.2", "Низкая мотивация педагогов", "СОШ № 2"],
           [C("2. Недостаточная предметная и методическая компетентность педагогов", span=3, bold=True)],
           ["2.1", "Дефициты предметных компетенций", "все школы"],
           ["2.2", "", "СОШ № 4"]]),
        T([HEAD, ["1", "Курсы для учителей", "Апрель 2024 года", "ИРО", "Удостоверения"]]),
    ],
    # item 8: the plan's sections matched to a list of directions typed in the text, by their words
    "listed_directions": [
        TITLE,
        P("Основные направления деятельности:"),
        P("Повышение профессиональной компетентности педагогов", numbered=True),
        P("Работа с родительской общественностью", numbered=True),
        T([HEAD,
           [C("Работа с родительской общественностью и семьями обучающихся", span=5, bold=True)],
           ["1", "Родительский всеобуч", "Октябрь 2024 года", "Школы", "Протоколы"],
           [C("Повышение компетентности педагогов и работа с родителями", span=5, bold=True)],
           ["2", "Курсы повышения квалификации", "Ноябрь 2024 года", "ИРО", "Удостоверения"],
           ["3", "Стажировки", "Декабрь 2024 года", "Методическая служба", "Отчёт"]]),
    ],
    # item 7: a word split by a hyphen at a line's end — also at a page's end, where the row goes on in a
    # table of its own without a header; a compound keeps its hyphen
    "hyphens": [TITLE, T([
        HEAD,
        ["1", "Монито-\nринг результатов ВПР", "Апрель 2024 года", "ЦОКО", "Аналитическая справка"],
        ["2", "Учебно-\nметодический семинар", "Июнь-\nиюль 2024 года", "Методическая служба", "Материалы"],
        ["3", "Анкетирование родителей по вопросам удовлетво-", "Май 2024 года", "Школы", "Справка по итогам анке-"],
    ]), P(""), T([["", "ренности качеством образования", "", "", "тирования"]])],
    # item 10: what the page's summary counts (set below: two of the targets above and a risk audit)
    "summary": [
        P("Результаты аудита рисков"),
        T([["Код", "Параметр риска", "Школы, в которых выявлен"],
           [C("1. Низкое качество преподавания", span=3, bold=True)],
           ["1.1", "Высокая доля учителей без курсов повышения квалификации", "СОШ № 1, СОШ № 3"],
           [C("2. Недостаточная предметная компетентность педагогов", span=3, bold=True)],
           ["2.1", "Дефициты предметных компетенций", "все школы"]]),
    ],
}


LAYOUTS["summary"] = LAYOUTS["targets_list"][:4] + LAYOUTS["targets_list"][5:6] + LAYOUTS["summary"]


@pytest.fixture(scope="module")
def made_by_libreoffice() -> dict[str, bytes]:
    return libreoffice(LAYOUTS)


@pytest.fixture(params=["python-docx", "libreoffice"])
def doc(request):
    """The layout's document as made by python-docx or by LibreOffice Writer."""
    if request.param == "python-docx":
        return lambda name: python_docx(LAYOUTS[name])
    made = request.getfixturevalue("made_by_libreoffice")
    return lambda name: made[name]


def draft(doc, name: str) -> roadmap_docx.Draft:
    return roadmap_docx.draft(doc(name), f"{name}.docx")


def acts(d, *keys):
    return [tuple(a[k] for k in keys) for a in d.rows("Мероприятия")]


def test_roman_section_rows_are_directions_and_numbers_restart_in_them(doc):
    d = draft(doc, "roman_sections")
    assert d.rows("Направления") == [{"number": "1", "title": "Организационно-управленческие мероприятия"},
                                     {"number": "2", "title": "Работа с педагогическими кадрами"}]
    assert d.checks["Направления"] == ["", ""]  # a merged section row is read exactly
    assert acts(d, "number", "direction") == [("1.1", "1"), ("1.2", "1"), ("2.1", "2"), ("2.2", "2"), ("2.3", "2")]
    checks = d.checks["Мероприятия"]
    assert all("не распознан" not in c for c in checks), checks  # ежеквартально, ежемесячно, в течение года, уч. год
    assert "учебный год: срок принят до его конца, 31.08.2025" in checks[2]
    assert "раньше первого года плана (2024)" in checks[4]
    assert not any("раньше" in c or "учебный год" in c for c in checks[:2] + checks[3:4])


def test_arabic_sections_subsections_and_a_bold_row_are_not_activities(doc):
    d = draft(doc, "arabic_sections")
    assert d.rows("Направления") == [{"number": "1", "title": "Повышение качества преподавания"},
                                     {"number": "2", "title": "Работа с родителями"}]
    assert acts(d, "number", "direction", "title") == [
        ("1.1.1", "1", "Наставничество для молодых учителей"), ("1.1.2", "1", "Школа молодого педагога"),
        ("2.1", "2", "Родительские собрания по вопросам качества образования")]
    assert d.checks["Мероприятия"] == ["", "", ""]  # rows read exactly carry no note
    dir_checks = d.checks["Направления"]
    assert dir_checks[0] == ""
    # «2.» was not merged: a guess, said as one, with what else it could be
    assert "принята за раздел" in dir_checks[1] and "если это мероприятие" in dir_checks[1]


def test_a_direction_column_merged_down_or_repeated_gives_each_row_its_direction(doc):
    d = draft(doc, "direction_column")
    assert [x["title"] for x in d.rows("Направления")] == ["Работа с педагогическими кадрами", "Работа с родителями"]
    numbers = [x["number"] for x in d.rows("Направления")]
    assert numbers[0] == "1" and numbers[1] != "1"
    assert acts(d, "number", "direction") == [("1", "1"), ("2", "1"), ("3", numbers[1]), ("4", numbers[1])]
    assert d.checks["Направления"][0] == ""
    assert "присвоен по порядку" in d.checks["Направления"][1]  # «Работа с родителями» has no number
    assert d.checks["Мероприятия"] == ["", "", "", ""]


def test_headings_between_pieces_of_the_table_and_a_second_table_under_its_heading(doc):
    d = draft(doc, "headings_between")
    dirs = d.rows("Направления")
    assert [(x["number"], x["title"]) for x in dirs] == [
        ("1", "Организационная работа"), ("2", "Работа с педагогами"), ("3", "Работа с родителями"),
        ("4", "Механизмы реализации")]
    assert acts(d, "number", "direction") == [("1.1", "1"), ("1.2", "1"), ("2.1", "2"), ("2.2", "2"), ("3.1", "3"),
                                              ("4.1", "4"), ("4.2", "4")]
    assert d.checks["Направления"][:3] == ["", "", ""]  # numbered headings are read as written
    assert "взят из заголовка над частью таблицы" in d.checks["Направления"][3]
    mech = d.rows("Мероприятия")[5:]
    assert [a["report_form"] for a in mech] == ["Сайт управления образования", "Пресс-релиз"]
    checks = d.checks["Мероприятия"]
    assert "заголовок «Информационное сопровождение» принят за «Форма отчёта»" in checks[5]
    assert "столбец «Финансирование» не перенесён (в файле для него нет поля): «Не требуется»" in checks[5]
    assert "Финансирование" in d.found_text() and "Не перенесены столбцы" in d.found_text()


def test_targets_typed_as_a_numbered_list(doc):
    d = draft(doc, "targets_list")
    t = d.rows("Целевые показатели")
    assert [(x["kind"], x["value"], x["due"]) for x in t] == [
        ("рост, п.п.", "5", "2025"), ("рост, %", "10", None), ("не менее", "80", None), ("не ниже среднего", None, None)]
    assert t[0]["wording"].startswith("Увеличение доли обучающихся")
    for note in d.checks["Целевые показатели"]:  # each kind a guess, with what else it could be
        assert "предположен" in note and ("может быть" in note or "или" in note), note
    assert "код показателя и вид цели" in d.fill_text()


def test_a_risk_audit_with_group_rows_above_their_parameters(doc):
    d = draft(doc, "risk_audit")
    assert d.rows("Группы рисков") == [
        {"code": "1", "name": "Низкое качество преподавания"},
        {"code": "2", "name": "Недостаточная предметная и методическая компетентность педагогов"}]
    params = d.rows("Параметры риска")
    assert [(p["group"], p["code"], p["name"]) for p in params] == [
        ("1", "1.1", "Высокая доля учителей без курсов повышения квалификации"),
        ("1", "1.2", "Низкая мотивация педагогов"), ("2", "2.1", "Дефициты предметных компетенций"),
        ("2", "2.2", "Параметр 2.2 (впишите название)")]
    assert all(p["name"] for p in params)  # the importer refuses an empty required name
    assert "название параметра 2.2 в документе не найдено" in d.checks["Параметры риска"][3]
    assert d.checks["Группы рисков"] == ["", ""]


def test_words_split_by_a_hyphen_at_a_line_end_are_joined(doc):
    d = draft(doc, "hyphens")
    assert acts(d, "title", "deadline") == [
        ("Мониторинг результатов ВПР", "Апрель 2024 года"), ("Учебно-методический семинар", "Июнь-июль 2024 года"),
        ("Анкетирование родителей по вопросам удовлетворенности качеством образования", "Май 2024 года")]
    assert d.rows("Мероприятия")[2]["expected_result"] == "Справка по итогам анкетирования"


def test_a_section_matched_by_its_words_is_flagged_on_each_row_with_what_else_it_could_be(doc):
    d = draft(doc, "listed_directions")
    assert [(x["number"], x["title"]) for x in d.rows("Направления")] == [
        ("1", "Повышение профессиональной компетентности педагогов"), ("2", "Работа с родительской общественностью")]
    assert acts(d, "number", "direction") == [("1", "2"), ("2", "1"), ("3", "1")]
    checks = d.checks["Мероприятия"]
    assert "направление 2 — догадка: раздел плана «Работа с родительской общественностью и семьями обучающихся» " \
           "сопоставлен с направлением 2" in checks[0]
    assert "если это другое направление, исправьте номер" in checks[0]
    assert "направление 1 — догадка" in checks[1] and "может быть направление 2 «Работа с родительской" in checks[1]
    assert checks[1].count("догадка") == 1 and checks[2].count("догадка") == 1


# ---------------------------------------------------------------------------------------------
# Item 9: the territory — proposed from the system by its name; never created twice silently
# ---------------------------------------------------------------------------------------------
SYSTEM = [("kharovsk", "Харовский муниципальный район"), ("khasan", "Хасанский район"),
          ("nevinnomyssk", "город Невинномысск")]


def test_the_draft_proposes_the_systems_territory_with_its_code(doc):
    d = roadmap_docx.draft(doc("hyphens"), "hyphens.docx", SYSTEM)
    rm = d.book["roadmap"]
    assert (rm["territory_code"], rm["territory_name"]) == ("kharovsk", "Харовский муниципальный район")
    note = d.checks["Дорожная карта"]["territory_code"]
    assert "предложена территория системы «Харовский муниципальный район» с кодом «kharovsk»" in note
    assert "если в документе другая территория" in note
    assert "предложен «kharovsk», он есть в системе" in d.fill_text()
    alone = roadmap_docx.draft(doc("hyphens"), "hyphens.docx", [("khasan", "Хасанский район")])
    assert alone.book["roadmap"]["territory_code"] == "kharovskiy"  # nothing alike: transliterated, and said so
    assert "в системе нет территории, похожей на «Харовский муниципальный район»" in \
        alone.checks["Дорожная карта"]["territory_code"]


def _territories(engine, like: str) -> list[tuple[str, str]]:
    from sqlalchemy import text

    with engine.connect() as c:
        return [tuple(r) for r in c.execute(text("SELECT code, name FROM territory WHERE name LIKE :n ORDER BY code"),
                                            {"n": f"%{like}%"})]


def test_cli_asks_which_territory_instead_of_creating_a_second_one(empty_db, monkeypatch, capsys, tmp_path):
    from pathlib import Path

    from core import cli
    from core.settings import reset_settings_cache

    monkeypatch.setenv("DATABASE_URL", str(empty_db.url.render_as_string(hide_password=False)))
    monkeypatch.setenv("MONITORING_DEMO", "0")
    reset_settings_cache()
    draft_file = tmp_path / "черновик.xlsx"
    draft_file.write_bytes(draft_to_load("khr-word"))
    try:
        assert cli.main(["load-roadmap", str(Path("data/roadmaps/001_kharovsk_2022.xlsx"))]) == 0
        capsys.readouterr()
        assert cli.main(["load-roadmap", str(draft_file)]) == 1  # «kharovskiy» is new, its name is not
        err = capsys.readouterr().err
        assert "по названию «Харовский муниципальный район» это, похоже, «Харовский муниципальный район» (код kharovsk)" in err
        assert "--territory КОД" in err and "kharovsk — «Харовский муниципальный район»" in err
        assert _territories(empty_db, "Харов") == [("kharovsk", "Харовский муниципальный район")]
        assert cli.main(["load-roadmap", str(draft_file), "--territory", "kharovsk"]) == 0
        assert "«khr-word» записана" in capsys.readouterr().out
        assert _territories(empty_db, "Харов") == [("kharovsk", "Харовский муниципальный район")]
        _recurring_deadlines_on_the_roadmap_page(empty_db, "khr-word")
        draft_file.write_bytes(draft_to_load("khr-word-2"))
        assert cli.main(["load-roadmap", str(draft_file), "--new-territory"]) == 0  # said in so many words
        assert [c for c, _ in _territories(empty_db, "Харов")] == ["kharovsk", "kharovskiy"]
    finally:
        reset_settings_cache()


def _recurring_deadlines_on_the_roadmap_page(engine, code: str) -> None:
    """Item 7 after loading: the roadmap page's items (core.roadmap_view) date «ежеквартально» at each
    quarter's end of the plan's years (2024-2025) and count it overdue once a quarter has passed
    untouched; «2024-2025 уч. год» is due on 31.08.2025; «в течение года» at each year's end."""
    from datetime import date

    from sqlalchemy import text

    from core import auth, roadmap_view

    with engine.connect() as c:
        rid = c.execute(text("SELECT id FROM roadmap WHERE code = :c"), {"c": code}).scalar()
    items = roadmap_view.items(auth.system_scope(), rid, date(2024, 4, 2), engine)
    by = {r["number"]: r for r in items.to_dict("records")}
    q = by["1.1"]
    assert (q["deadline_kind"], q["due_date"], len(q["dates"])) == ("recurring", date(2025, 12, 31), 8)
    assert q["dates"][0] == date(2024, 3, 31) and q["overdue"]  # the first quarter ended, nothing started
    assert by["1.2"]["deadline_kind"] == "recurring" and len(by["1.2"]["dates"]) == 24  # ежемесячно
    assert (by["2.1"]["deadline_kind"], by["2.1"]["due_date"]) == ("year", date(2025, 8, 31))
    assert by["2.2"]["dates"] == (date(2024, 12, 31), date(2025, 12, 31)) and not by["2.2"]["overdue"]


def test_page_asks_an_administrator_which_territory_and_shows_the_roadmap_written(app_db):
    from tests.helpers import ROADMAP, open_page, open_tab
    from tests.helpers import uploader

    at = open_tab(open_page("demo-admin", ROADMAP, "nev-2024"), "Загрузить дорожную карту")
    at.tabs  # noqa: B018 - the load tab is drawn on every run
    uploader(at, "rm_file").set_value(("черновик.xlsx", draft_to_load("khr-word"), "application/octet-stream")).run()
    assert not at.exception
    shown = " ".join(t.value.to_string() for t in at.table)
    assert "это, похоже, «Харовский муниципальный район» (код kharovsk)" in shown, shown
    assert "Записать дорожную карту" not in [b.label for b in at.button]  # nothing is written before the answer
    radio = at.radio(key="rm_territory_pick")
    assert radio.options[0].startswith("Это «Харовский муниципальный район» (код kharovsk)")
    radio.set_value("kharovsk")
    [b for b in at.button if b.label == "Применить"][0].click().run()
    assert not at.exception
    [b for b in at.button if b.label == "Записать дорожную карту"][0].click().run()
    assert not at.exception
    assert any(s.value.startswith("Записана: дорожная карта «khr-word»") for s in at.success)
    assert at.selectbox(key="plan_roadmap").value == "khr-word"  # the page shows the roadmap just written
    assert any("Харовский муниципальный район" in c.value for c in at.caption)
    assert _territories(app_db, "Харов") == [("kharovsk", "Харовский муниципальный район")]


@pytest.mark.parametrize("maker", ["python-docx", "libreoffice"])
def test_page_summary_counts_what_the_word_document_holds_by_kind(app_db, maker, request):
    from tests.helpers import ROADMAP, metrics, open_page, open_tab
    from tests.helpers import uploader

    at = open_tab(open_page("demo-methodist", ROADMAP, "nev-2024"), "Загрузить дорожную карту")
    data = (python_docx(LAYOUTS["summary"]) if maker == "python-docx"
            else request.getfixturevalue("made_by_libreoffice")["summary"])
    uploader(at, "rm_docx").set_value(("карта.docx", data, "application/octet-stream")).run()
    assert not at.exception
    m = metrics(at)
    assert (m["Направления"], m["Мероприятия"], m["Контрольные точки"], m["Целевые показатели"]) == ("0", "1", "0", "2")
    assert m["Риски"] == "2 / 2"
    d = roadmap_docx.draft(data, "карта.docx")
    assert m["Проверить"] == str(d.n_checks()) and d.n_checks() > 0
    assert any("«Целевые показатели» — 2" in s.value for s in at.success)
