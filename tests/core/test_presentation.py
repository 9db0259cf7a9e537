"""What people read: Russian numbers, plurals, years and order (babel); the audit log as sentences;
the administrator's edit of a user; chart axes fitted to the data."""

import json
import re

import pytest
from sqlalchemy import text

from core import auth, charts, users
from core import formatting as fmt
from core.audit_text import describe
from tests.helpers import school_id, scope_of

NB = "\u00a0"


def test_numbers_units_and_plurals():
    assert fmt.num(10500) == f"10{NB}500" and fmt.num(1234567.891) == f"1{NB}234{NB}567,9"
    assert fmt.num(45.5) == "45,5" and fmt.num(None) == "—" and fmt.num(float("nan")) == "—"
    assert fmt.value(217.8, "чел.") == f"218{NB}чел."  # a count of people is a whole number
    assert fmt.value(62.14, "%") == f"62,1{NB}%"
    forms = ("школа", "школы", "школ")
    assert [fmt.plural(n, forms) for n in (1, 2, 5, 11, 21, 22, 112, 1.5)] == [
        "школа", "школы", "школ", "школ", "школа", "школы", "школ", "школы"]
    assert fmt.count(10500, forms) == f"10{NB}500{NB}школ"


def test_years_goal_and_baseline_wording():
    assert fmt.years(2024, 2024) == "2024 г." and fmt.years(2021, 2023) == "2021–2023 гг." and fmt.years(None, None) == ""
    assert fmt.rule("increase_pp", 5, "%", "IV кв. 2023") == "+5 п.п. от IV кв. 2023"  # a start, not a deadline
    rule = fmt.rule("at_least", 60, "%")
    assert fmt.goal(rule, 60, "%") == rule == f"≥ 60{NB}%"  # not «≥ 60 % → 60 %»
    assert fmt.goal("+5 п.п. от IV кв. 2023", 57.1, "%") == f"+5 п.п. от IV кв. 2023 → 57,1{NB}%"


def test_natural_order_of_school_names():
    names = ["СОШ № 14", "СОШ № 2", "ООШ № 11", "СОШ № 1", "Гимназия № 12"]
    assert fmt.natural_sorted(names) == ["Гимназия № 12", "ООШ № 11", "СОШ № 1", "СОШ № 2", "СОШ № 14"]


def test_audit_events_read_as_sentences():
    assert describe("access_denied", None, None, json.dumps({"what": "школа 5"})) == "Отказано в доступе: школа 5."
    s = describe("roadmap_status", "activity", "3", {"number": "2.2", "old": {"status": "planned"},
                                                     "new": {"status": "done", "completed_on": "2024-09-30",
                                                             "evidence": "Приказ № 5"}})
    assert s == "Мероприятие № 2.2: статус «запланировано» → «выполнено» (30.09.2024). Подтверждение: Приказ № 5."
    assert describe("user_created", "user", "7", {"login": "ivanova", "role": "principal"}) == \
        "Создан пользователь ivanova с ролью «Руководитель школы»."
    for action in users.AUDIT_ACTIONS:  # no action falls through to raw JSON
        assert "{" not in describe(action, "user", "1", {"login": "x", "what": "y"})


def test_admin_edits_role_school_and_territory(demo_db_rw):
    db = demo_db_rw
    admin, head = scope_of(db, "demo-admin"), scope_of(db, "demo-head")
    with db.connect() as c:
        uid = c.execute(text("SELECT id FROM user WHERE login = 'demo-curator'")).scalar()
    nev5 = school_id(db, "NEV-05")
    with pytest.raises(auth.AccessDenied):
        users.update(head, uid, role="principal", territory_id=None, school_id=nev5, engine=db)
    with pytest.raises(auth.AuthError, match="укажите школу"):
        users.update(admin, uid, role="principal", territory_id=None, school_id=None, engine=db)
    changes = users.update(admin, uid, role="principal", territory_id=None, school_id=nev5, engine=db)
    assert changes["role"] == {"old": "curator", "new": "principal"}
    assert changes["school_id"]["new"] == "СОШ № 5 (демо)"
    with db.connect() as c:
        role, sid, tid = c.execute(text("SELECT role, school_id, territory_id FROM user WHERE id = :i"), {"i": uid}).one()
        details = c.execute(text("SELECT details FROM auditevent WHERE action = 'user_updated'")).scalar()
        nev_t = c.execute(text("SELECT territory_id FROM school WHERE id = :s"), {"s": nev5}).scalar()
    assert (role, sid, tid) == ("principal", nev5, nev_t)  # the school brings its territory
    log = users.audit_log(admin, actions=["user_updated"], engine=db)
    assert log["Что произошло"].iloc[0] == (
        "Изменён пользователь demo-curator: роль: Куратор → Руководитель школы; территория: — → город Невинномысск; "
        "школа: СОШ № 1 (демо) → СОШ № 5 (демо).")
    assert json.loads(details)["changes"]["role"]["new"] == "principal"
    assert users.update(admin, uid, role="principal", territory_id=None, school_id=nev5, engine=db) == {}


def test_axes_fit_the_data_with_honest_padding():
    lo, hi = charts.fitted_domain([88.0, 91.0, 97.0], "%")
    assert 85 < lo < 88 and 97 < hi <= 100  # 88–97 % is not drawn on 0–100
    assert charts.fitted_domain([98.0, 99.5], "%")[1] == 100.0  # shares stay within 0–100
    assert charts.fitted_domain([120, 180, 218], "чел.", zero=True)[0] == 0.0  # bars of counts start at zero
    assert charts.fitted_domain([3, 10], "чел.")[0] == 0.0  # near zero anyway: zero shown
    chart = charts.trend([], unit="%", target_value=60)
    assert chart.to_dict()  # no data: still a chart (the target), no crash


@pytest.mark.parametrize("kind", ["trend", "trend_meeting", "ranking", "distribution"])
def test_every_chart_kind_carries_the_house_style_and_a_valid_spec(kind):
    """Each builder's chart: a Vega-Lite spec that passes the schema (to_dict validates), its own height,
    the Russian locale (decimal comma, narrow no-break space groups) and the requested font sizes."""
    chart, height, size = {
        "trend": lambda: (charts.trend(_quarters(4, 2024), unit="%", target_value=60, height=220), 220, 16),
        "trend_meeting": lambda: (charts.trend(_quarters(8, 2023), unit="чел.", height=400, font_size=28,
                                               legend=False), 400, 28),
        "ranking": lambda: (charts.ranking([{"name": "СОШ № 2", "value": 71.5, "status": "on_track"},
                                            {"name": "СОШ № 5", "value": 48.0, "status": "lagging"}],
                                           unit="%", target_value=60.0, average=59.7), 140, 16),
        "distribution": lambda: (charts.distribution([48.0, 55.5, 71.5], unit="%", height=220), 220, 16),
    }[kind]()
    spec = chart.to_dict()
    assert spec["height"] == height
    assert spec["config"]["locale"]["number"]["decimal"] == "," and spec["config"]["font"] == charts.FONT
    assert spec["config"]["axis"]["labelFontSize"] == size and spec["config"]["legend"]["labelFontSize"] == size
    assert spec["config"]["view"]["strokeWidth"] == 0
    assert chart.to_dict() == spec  # building set the style once; reading it changes nothing


def test_school_level_items():
    from core.school_plan import is_school_level

    assert is_school_level(False, "МБУ «ЦРО», ОО") and is_school_level(False, "руководители ОО")
    assert is_school_level(False, "ГМО, ШМО") and is_school_level(True, "Управление образования")
    assert not is_school_level(False, "МБУ «ЦРО»") and not is_school_level(False, "Управление образования, ГМО")


def test_principal_page_answers_three_questions(app_db):
    from tests.helpers import markdown_text, run_as

    at = run_as("demo-principal")
    assert not at.exception
    df = at.table[0].value
    assert list(df.columns) == ["Показатель", "Сейчас", "Ожидается сейчас", "Цель", "Статус", "Нужно",
                                "Среднее по территории"]
    # the number to reach by the roadmap's next control point after «сегодня» (15.10.2024)
    assert any("к контрольной точке 31.12.2024 «" in x for x in df["Нужно"])
    text = markdown_text(at)
    assert "**Мероприятия школы:**" in text and "(для сведения)" in text  # city-level items apart
    head = run_as("demo-head", "../app_pages/school.py", school="8")  # Гимназия № 12: no targets of its own
    assert "Показатели школы и территории" in markdown_text(head)
    table = head.table[0].value
    assert list(table.columns) == ["Показатель", "Период", "Школа", "Территория", "Сравнение"] and len(table) == 5
    assert "Курирует" in markdown_text(head) and "не назначен" not in markdown_text(head)  # a curator school


def test_school_indicators_against_the_territory(demo_db):
    """Both backends: the school's latest values beside the territory's (shares as a ratio of sums)."""
    from datetime import date

    from core.school_plan import school_indicators

    gym = school_id(demo_db, "NEV-12")
    rows = school_indicators(scope_of(demo_db, "demo-head"), gym, date(2024, 10, 15), demo_db)
    assert len(rows) == 5 and all(r["label"] == "III кв. 2024" for r in rows)
    with demo_db.connect() as c:
        num, den = c.execute(text("""
            SELECT SUM(m.numerator), SUM(m.denominator) FROM measurement m JOIN school s ON s.id = m.school_id
            JOIN indicator i ON i.id = m.indicator_id JOIN period p ON p.id = m.period_id
            WHERE i.short_name = 'Качество обучения' AND p.code = '2024-Q3' AND s.territory_id =
                  (SELECT territory_id FROM school WHERE id = :g)"""), {"g": gym}).one()
    quality = next(r for r in rows if r["short_name"] == "Качество обучения")
    assert abs(quality["territory_value"] - 100.0 * num / den) < 1e-9
    with pytest.raises(auth.AccessDenied):  # the principal of another school
        school_indicators(scope_of(demo_db, "demo-principal"), gym, date(2024, 10, 15), demo_db)


def test_a_page_error_is_told_in_russian_with_an_incident_number():
    """An unexpected error on a page: a Russian message with a number that the server log carries with
    the traceback; never Streamlit's English exception box."""
    import logging

    from streamlit.testing.v1 import AppTest

    def script():
        from ui.shell import run_page

        class Nav:
            def run(self):
                raise ZeroDivisionError("деление на ноль в странице")

        run_page(Nav())

    records = []
    handler = logging.Handler()
    handler.emit = records.append
    logger = logging.getLogger("monitoring.pages")
    logger.addHandler(handler)
    try:
        at = AppTest.from_function(script).run()
    finally:
        logger.removeHandler(handler)
    assert not at.exception
    message = at.error[0].value
    number = re.search(r"Номер обращения: \*\*(\d{6}-\d{4}-\d{4})\*\*", message).group(1)
    assert "непредвиденная ошибка" in message
    logged = [r for r in records if number in r.getMessage()]
    assert logged and logged[0].exc_info[0] is ZeroDivisionError  # the traceback is in the server log


def test_admin_page_edits_a_user_and_the_log_says_it(app_db):
    from tests.helpers import run_as

    at = run_as("demo-admin", "../app_pages/admin.py")
    at.selectbox(key="admin_user_pick").set_value("demo-methodist").run()
    with app_db.connect() as c:
        uid = c.execute(text("SELECT id FROM user WHERE login = 'demo-methodist'")).scalar()
        nev5 = c.execute(text("SELECT id FROM school WHERE code = 'NEV-05'")).scalar()
    at.selectbox(key=f"edit_role_{uid}").set_value("curator")
    at.selectbox(key=f"edit_school_{uid}").set_value(nev5)
    next(b for b in at.button if b.label == "Сохранить роль и привязку").click().run()
    assert not at.exception and not at.error
    with app_db.connect() as c:
        assert tuple(c.execute(text("SELECT role, school_id FROM user WHERE id = :i"), {"i": uid}).one()) == \
            ("curator", nev5)
    log = users.audit_log(scope_of(app_db, "demo-admin"), actions=["user_updated"], engine=app_db)
    assert log["Что произошло"].iloc[0].startswith("Изменён пользователь demo-methodist: роль: Методист → Куратор")


def test_readme_is_russian_first():
    from core.settings import ROOT

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    ru, _, en = text.partition("\n# In English")
    assert en, "the English part follows the Russian one"
    letters = re.findall(r"[A-Za-zА-Яа-яЁё]", re.sub(r"`[^`]*`|```.*?```|\([^)]*\.md\)", "", ru, flags=re.S))
    assert sum(c.isascii() for c in letters) < 0.15 * len(letters)  # the first part is Russian
    for name in ("DEMO_TODAY", "DATABASE_URL", "MONITORING_DEMO", "streamlit run app.py", "demo-principal"):
        assert name in ru and name in en


def _quarters(n: int, first_year: int = 2022):

    from core import periods
    from core.read.types import SeriesPoint

    out = []
    for i in range(n):
        p = periods.quarter(first_year + i // 4, i % 4 + 1)
        out.append(SeriesPoint(i + 1, p.label, p.start, p.end, 90.0 + i))
    return out


def _texts(chart) -> list[str]:
    import vl_convert as vlc

    return re.findall(r"<text[^>]*>([^<]+)</text>", vlc.vegalite_to_svg(chart.to_json()))


@pytest.mark.parametrize("n, expected", [
    (4, ["I кв. 2024", "II кв. 2024", "III кв. 2024", "IV кв. 2024"]),
    (8, ["I.23", "II.23", "III.23", "IV.23", "I.24", "II.24", "III.24", "IV.24"]),
    (16, ["2021", "2022", "2023", "2024"])])
def test_trend_x_axis_reads_as_the_periods_not_months(n, expected):
    """The quarterly trend's x axis names the data's periods («III кв. 2024»; crowded «III.24»; more
    crowded, years) at the points' dates — not d3's month ticks («апр 2022»). The tick values are ISO
    dates: Streamlit's Vega-Lite draws no axis at all for epoch milliseconds (vl-convert does)."""
    chart = charts.trend(_quarters(n, 2025 - (n + 3) // 4), unit="%", target_value=99, height=200)
    chart = chart.properties(width=1200)
    layer = chart.to_dict()["layer"][0]
    axis = layer["encoding"]["x"]["axis"]
    assert all(isinstance(v, str) and re.fullmatch(r"\d{4}-\d\d-\d\d", v) for v in axis["values"])
    texts = _texts(chart)  # the x axis is drawn first, then the values, the unit, the legend
    assert texts[:len(expected)] == expected
    assert not any(m in " ".join(texts) for m in ("янв", "апр", "июл", "окт"))
