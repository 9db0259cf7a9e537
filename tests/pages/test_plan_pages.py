"""AppTest tests of the roadmap, risk and curated-schools pages against the demo (the five seed
roadmaps loaded from data/roadmaps/)."""


import pytest
from sqlalchemy import text

from core import auth, roadmap_view, settings
from tests.helpers import RISKS, ROADMAP, markdown_text, metrics, open_page, open_tab, roadmap_id, run_as


def timeline_rows(at) -> int:
    """Rows of the timeline on the page (core.plan_charts.Timeline.html: one `tl-row` a row)."""
    return markdown_text(at).count('<div class="tl-row')


@pytest.mark.parametrize("login", ["demo-head", "demo-methodist", "demo-admin"])
def test_roadmap_page_counts_and_timeline(app_db, login):
    at = open_page(login, ROADMAP, "nev-2024")
    m = metrics(at)
    assert m["Мероприятия"] == "25" and m["Контрольные точки"] == "10"
    items = roadmap_view.items(auth.system_scope(), roadmap_id(app_db, "nev-2024"), settings.today(app_db), app_db)
    assert m["Просрочено"] == str(int(items["overdue"].sum())) != "0"  # the demo clock (2024-10-15) is inside the plan: some items are late
    assert any(e.value.startswith(f"Просрочено: {m['Просрочено']}") for e in at.error)
    assert timeline_rows(at) == 34 and len(at.get("vega_lite_chart")) == 0  # 35 items, one without a date
    tabs = [t.label for t in at.tabs]
    assert tabs[:2] == ["График", "Таблица по направлениям"]
    assert ("Отметить выполнение" in tabs) == (login != "demo-head")  # the head reads, does not edit


def test_roadmap_page_sends_only_the_open_tab(app_db):
    """The first screen is the timeline: the tables, the changes' date picker are built and sent when
    their tab is chosen (issue 27: seven hidden grids cost the browser most of the page's time)."""
    at = open_page("demo-head", ROADMAP, "nev-2024")
    assert timeline_rows(at) == 34
    assert len(at.dataframe) == 0 and len(at.date_input) == 0
    assert "Без даты на графике: 1" in markdown_text(at) and '<table class="plain-table">' in markdown_text(at)
    open_tab(at, "Таблица по направлениям")
    assert timeline_rows(at) == 0 and len(at.dataframe) == 7  # control points + six directions
    open_tab(at, "Изменения")
    assert len(at.dataframe) == 0 and [d.label for d in at.date_input] == ["Изменения с"]


def test_roadmap_page_tables_are_grouped_by_direction(app_db):
    at = open_tab(open_page("demo-head", ROADMAP, "nev-2024"), "Таблица по направлениям")
    heads = [m.value for m in at.markdown if m.value.startswith("####")]
    assert heads[0].startswith("#### Контрольные точки (10")
    assert any(h.startswith("#### Направление 1. адресное методическое сопровождение") for h in heads)
    assert sum(h.startswith("#### Направление") for h in heads) == 6  # five directions + the mechanisms
    first = at.dataframe[1].value  # the first direction's table: overdue first
    flags = list(first["Статус"])
    assert flags == sorted(flags, key=lambda s: s != "⚠ просрочено")


def test_roadmap_filters(app_db):
    at = open_page("demo-admin", ROADMAP, "kal-2023")
    assert metrics(at)["Мероприятия"] == "44"
    # the five lists are built when «Отбор» is on: a first screen without them (the timeline higher, the
    # browser's work a fifth less)
    assert "flt_risk" not in [s.key for s in at.selectbox]
    at.toggle(key="flt_open").set_value(True).run()
    at.selectbox(key="flt_risk").set_value("7.2").run()
    assert not at.exception
    # 7.2 (vacancies in the methodical service, found at МКУО ЦОКО): activity 44 names it, and
    # activities 1-3 address «все выявленные параметры»
    assert any("Показано 4 из 44" in c.value for c in at.caption)
    at.selectbox(key="flt_risk").select_index(0).run()  # «все»
    at.selectbox(key="flt_resp").set_value("УО").run()  # the office itself, not «МКУО ЦОКО»: activity 12
    assert any("Показано 1 из 44" in c.value for c in at.caption)
    # «Отбор» off: nothing is filtered and the lists are gone; on again: the choice is back, and applied
    at.toggle(key="flt_open").set_value(False).run()
    assert not any("Показано" in c.value for c in at.caption)
    assert "flt_resp" not in [s.key for s in at.selectbox]
    at.toggle(key="flt_open").set_value(True).run()
    assert at.selectbox(key="flt_resp").value == "УО"
    assert any("Показано 1 из 44" in c.value for c in at.caption)
    # «Только просроченные» works without the lists
    at.toggle(key="flt_open").set_value(False).run()
    n_over = metrics(at)["Просрочено"]
    assert n_over != "0"
    at.toggle(key="flt_overdue").set_value(True).run()
    assert any(c.value.startswith(f"Показано {n_over} из 44") for c in at.caption)


def test_roadmap_filters_survive_another_roadmap(app_db):
    """A responsible chosen on one roadmap that the next one does not have: the page still opens."""
    at = open_page("demo-admin", ROADMAP, "kal-2023")
    at.toggle(key="flt_open").set_value(True).run()
    at.selectbox(key="flt_resp").set_value("МКУО ЦОКО").run()
    at.selectbox(key="plan_roadmap").set_value("nev-2024").run()
    assert not at.exception
    assert at.selectbox(key="flt_resp").value == ""  # «все»: nothing filtered
    assert not any("Показано" in c.value for c in at.caption)
    # the same with «Отбор» off while the roadmap changes: the saved choice meets the other list on return
    at.selectbox(key="plan_roadmap").set_value("kal-2023").run()
    at.selectbox(key="flt_resp").set_value("МКУО ЦОКО").run()
    at.toggle(key="flt_open").set_value(False).run()
    at.selectbox(key="plan_roadmap").set_value("nev-2024").run()
    at.toggle(key="flt_open").set_value(True).run()
    assert not at.exception and at.selectbox(key="flt_resp").value == ""


def test_status_change_is_recorded(app_db):
    at = open_tab(open_page("demo-methodist", ROADMAP, "nev-2024"), "Отметить выполнение")
    key = at.selectbox(key="st_item").value
    kind, item_id = key.split(":")[0], int(key.split(":")[1])
    # «done» without evidence: refused with a message, nothing written
    at.radio[0].set_value("done")
    at.text_area[0].set_value("")
    form_submit = [b for b in at.button if b.label == "Сохранить"][0]
    form_submit.click().run()
    assert any("укажите подтверждение" in e.value for e in at.error)
    recorded = "SELECT COUNT(*) FROM auditevent WHERE action = 'roadmap_status' AND login <> 'demo'"  # not the demo's
    with app_db.connect() as c:
        assert c.execute(text(recorded)).scalar() == 0
    at.radio[0].set_value("done")
    at.text_area[0].set_value("Приказ № 12 от 01.02.2024")
    [b for b in at.button if b.label == "Сохранить"][0].click().run()
    assert not at.exception
    assert any(s.value.startswith("Сохранено") for s in at.success)
    table = "activity" if kind == "activity" else "controlpoint"
    with app_db.connect() as c:
        status, evidence = c.execute(text(f"SELECT status, evidence FROM {table} WHERE id = :i"), {"i": item_id}).one()
        assert (status, evidence) == ("done", "Приказ № 12 от 01.02.2024")
        assert c.execute(text("SELECT login FROM auditevent WHERE action = 'roadmap_status' "
                              "ORDER BY id DESC")).scalar() == "demo-methodist"


def test_risk_page_matrix_and_gaps(app_db):
    at = open_page("demo-admin", RISKS, "kal-2023")
    m = metrics(at)
    assert m["Группы рисков"] == "7" and m["Параметры"] == "24"
    assert m["Школы с выявленными факторами"] == "15 из 15"  # СОШ № 1-14 (3.1-3.3) and РВСОШ (5.2, 5.3)
    assert m["Параметры без мероприятий"] == "1"  # 7.1: no activity of the plan names it
    assert any("7.1 — Низкая привлекательность муниципалитета" in e.value for e in at.error)
    assert len(at.get("vega_lite_chart")) == 1


def test_risk_page_without_findings_says_so(app_db):
    at = open_page("demo-admin", RISKS, "okn-2021")
    assert metrics(at)["Параметры"] == "16"
    assert any("Документ не указывает, в каких школах" in i.value for i in at.info)
    at = open_page("demo-admin", RISKS, "yak-2020")  # who loads roadmaps is told how
    assert any("не загружены. Внесите их на листы «Группы рисков»" in i.value for i in at.info)
    at = open_page("demo-head", RISKS, "nev-2024")  # the head cannot load files: told who does
    assert any("Их вносит методист управления образования" in i.value for i in at.info)
    assert not any("Внесите" in i.value for i in at.info)


def test_curator_sees_the_schools_they_curate(app_db):
    at = run_as("demo-curator")
    assert at.title[0].value == "Курируемые школы"
    links = [p.label for p in at.get("page_link") if "СОШ" in p.label]
    assert links == ["СОШ № 2 (демо)", "СОШ № 5 (демо)"]


def test_principal_and_curator_do_not_get_the_roadmap_pages(app_db):
    for login in ("demo-principal", "demo-curator"):
        at = run_as(login)
        for page in (ROADMAP, RISKS):
            with pytest.raises(ValueError, match="Could not find a navigation page"):
                at.switch_page(page)


def test_methodologist_loads_a_roadmap_on_the_page(app_db):
    from core import roadmap_book as rb
    from tests.helpers import uploader
    from tests.helpers import minimal_book

    at = open_tab(open_page("demo-methodist", ROADMAP, "nev-2024"), "Загрузить дорожную карту")
    assert "Шаблон дорожной карты (.xlsx)" in [b.label for b in at.get("download_button")]
    bad = rb.write(minimal_book(**{"Мероприятия": [{"number": "1", "title": "Семинар", "direction": "9"}]}))
    uploader(at, "rm_file").set_value(("plan.xlsx", bad, "application/octet-stream")).run()
    assert any("Найдено ошибок: 1" in e.value for e in at.error)
    problems = at.table[-1].value  # an HTML table that wraps at 1280 px (the data upload's), not a clipping grid
    assert list(problems.columns) == ["Уровень", "Что не так", "Где", "Значение в ячейке"]
    assert problems.iloc[0]["Где"] == "Лист «Мероприятия», строка 3, столбец C («Направление (№)»)"
    assert not [d for d in at.dataframe if "Что не так" in d.value.columns]
    assert not [b for b in at.button if b.label == "Записать дорожную карту"]
    uploader(at, "rm_file").set_value(("plan.xlsx", rb.write(minimal_book()), "application/octet-stream")).run()
    [b for b in at.button if b.label == "Записать дорожную карту"][0].click().run()
    assert not at.exception
    assert any(s.value.startswith("Записана: дорожная карта «nev-2025»") for s in at.success)
    with app_db.connect() as c:
        assert c.execute(text("SELECT COUNT(*) FROM roadmap WHERE code = 'nev-2025'")).scalar() == 1
    # the same code again: the page says it replaces, and what happens to the marks
    uploader(at, "rm_file").set_value(("plan.xlsx", rb.write(minimal_book()), "application/octet-stream")).run()
    assert [w.value for w in at.warning if "уже загружена" in w.value] == [
        "Дорожная карта «nev-2025» уже загружена: запись заменит её мероприятия, контрольные точки, целевые "
        "показатели, риски, кураторов и группы школ содержимым этого файла. Отметок о выполнении у неё нет."]
    assert not [b for b in at.button if b.label == "Записать дорожную карту"]
    [b for b in at.button if b.label == "Заменить загруженную дорожную карту"][0].click().run()
    assert any(s.value.startswith("Заменена: дорожная карта «nev-2025»") for s in at.success)
    with app_db.connect() as c:
        assert c.execute(text("SELECT COUNT(*) FROM roadmap WHERE code = 'nev-2025'")).scalar() == 1


def test_curator_card_and_school_page_count_the_same_overdue(app_db):
    """СОШ № 2: the curator's card and the principal's school page say the same «Мероприятия школы: N,
    из них просрочено: M» (one rule, core.school_plan.own_items; the office's items are not counted)."""
    import re

    from tests.helpers import markdown_text

    def own_line(at) -> str:
        m = re.search(r"\*\*Мероприятия школы:\*\* \d+(, из них просрочено: \d+|, просроченных нет)",
                      markdown_text(at))
        assert m, markdown_text(at)[:2000]
        return m.group(0)

    curator = run_as("demo-curator")
    assert not curator.exception
    principal = run_as("demo-principal", "../app_pages/school.py")  # the principal of СОШ № 2
    assert not principal.exception and "СОШ № 2" in markdown_text(principal)
    line = own_line(principal)
    assert "из них просрочено" in line  # the demo has overdue items of СОШ № 2's own
    assert own_line(curator) == line  # the first card is СОШ № 2 (natural order)
    assert "Просрочено пунктов" not in markdown_text(curator)


def test_roadmap_picker_labels_that_read_alike_get_their_code():
    """A roadmap loaded again under another code reads like the first in the picker; Streamlit maps the
    label the browser sends back to an option, so the page jumped to the later one on the next rerun."""
    from core.read.lists import RoadmapRow
    from ui.common import picker_labels

    def row(i, code, title):
        return RoadmapRow(i, code, title, 2024, 2024, False, 1, "город Невинномысск", 0)

    labels = picker_labels([row(1, "nev-2024", "План"), row(2, "nev-2024-word", "План"), row(3, "nev-x", "Другой")])
    assert labels == {"nev-2024": "город Невинномысск — План (nev-2024)",
                      "nev-2024-word": "город Невинномысск — План (nev-2024-word)",
                      "nev-x": "город Невинномысск — Другой"}
