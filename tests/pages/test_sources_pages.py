"""AppTest: «Откуда это число» on the overview's tiles and matrix, the school page and the indicator
page, for the head and a principal; the approved figures with the note of what changed since."""

from __future__ import annotations

from sqlalchemy import text

from tests.helpers import approve_q3, correct, reload_roadmap, run_as, scope_of

OVERVIEW = "../app_pages/overview.py"
SCHOOL = "../app_pages/school.py"
INDICATOR = "../app_pages/indicator.py"


def popovers(at) -> list[str]:
    return [p.proto.popover.label for p in at.get("popover")]


def opened(at, key):
    """Open the popover `key` as a click would (it reruns the page)."""
    at.session_state[key] = True
    at.run()
    assert not at.exception, at.exception
    return at


def texts(at) -> str:
    return "\n".join([m.value for m in at.markdown] + [m.value for m in at.caption] + [m.value for m in at.warning])


def test_head_asks_where_a_tile_and_a_cell_come_from(app_db):
    at = run_as("demo-head", OVERVIEW)
    assert popovers(at).count("Откуда это число") == 2  # the tiles, the matrix
    assert not at.dataframe  # nothing is read while closed
    opened(at, "prov_tiles")
    at.selectbox(key="prov_tiles_pick").select_index(2).run()  # target 3, teachers trained
    df = at.dataframe[0].value
    assert {"СОШ № 2 (демо)", "СОШ № 5 (демо)", "ООШ № 11 (демо)"} <= set(df["Школа"])
    assert "Гимназия № 12 (демо)" not in set(df["Школа"])  # not in the target's group
    assert set(df["Источник"]) == {"демо-данные"} and "III кв. 2024" in set(df["Период"])
    opened(at, "prov_matrix")
    pick = at.selectbox(key="prov_matrix_pick")
    pick.select_index(next(i for i, o in enumerate(pick.options) if o.startswith("СОШ № 5 (демо)"))).run()
    lines = next(m.value for m in at.markdown if m.value.startswith("- **III кв. 2024:")).splitlines()
    assert len(lines) == 2 and lines[1].startswith("- **IV кв. 2023 (база):")  # the period judged and the baseline
    assert "демо-данные" in lines[0]


def test_principal_sees_the_correction_of_their_school(app_db):
    correct(app_db, scope_of(app_db, "demo-methodist"), 2, 30, 40, "Приказ о КПК ещё 10 педагогов")
    at = run_as("demo-principal", SCHOOL)
    assert "Откуда это число" in popovers(at)
    opened(at, "prov_school")
    pick = at.selectbox(key="prov_school_pick")
    assert len(pick.options) == 5  # the school's five targets
    pick.select_index(2).run()  # target 3, teachers trained
    lines = next(m.value for m in at.markdown if "III кв. 2024" in m.value and "IV кв. 2023 (база)" in m.value)
    now = next(x for x in lines.splitlines() if "III кв. 2024" in x)
    assert now.startswith("- **III кв. 2024: 75") and "исправление №" in now and "Методист" in now
    assert "заменило 52,5" not in now and "; заменило " in now  # the demo's value it replaced
    assert now.endswith("причина: Приказ о КПК ещё 10 педагогов")
    assert any(b.label.startswith("Исходный файл: исправление") for b in at.get("download_button"))


def test_indicator_page_has_the_control(app_db):
    at = run_as("demo-head", INDICATOR, roadmap="nev-2024", target="3")
    assert "Откуда это число" in popovers(at)
    opened(at, "prov_indicator")
    df = at.dataframe[0].value
    assert "СОШ № 8 (демо)" in set(df["Школа"])


def test_the_overview_shows_the_approved_figure_and_what_changed(app_db):
    approve_q3(app_db)
    reload_roadmap(app_db)
    at = run_as("demo-head", OVERVIEW)
    body = texts(at)
    assert "Изменено после утверждения; сейчас 62,1" in body
    assert "цель 3: значение 60 → 65" in body and "добавлена СОШ № 20 (демо)" in body
    with app_db.connect() as c:
        assert c.execute(text("SELECT COUNT(*) FROM approvalfigure")).scalar() > 0
    slides = run_as("demo-head", OVERVIEW, roadmap="nev-2024", meeting="1")
    assert "⚠ Изменено после утверждения; сейчас" in "\n".join(m.value for m in slides.markdown)


def test_a_tile_is_marked_after_a_correction_since_the_approval(app_db):
    from core import cycle

    meth, head = scope_of(app_db, "demo-methodist"), scope_of(app_db, "demo-head")
    approve_q3(app_db)
    cycle.unlock(head, 1, "2024-Q3", "СОШ № 2 уточняет данные", app_db)
    correct(app_db, meth, 2, 30, 40, "Приказ о КПК ещё 10 педагогов")
    at = run_as("demo-head", OVERVIEW)
    tiles = next(m.value for m in at.markdown if 'class="tiles"' in m.value)
    assert tiles.count("⚑ изменено после утверждения") == 1
