"""core.roadmap: overdue and ordering rules."""

from datetime import date

import pytest

from core.roadmap import is_overdue, parse_deadline, sort_key

TODAY = date(2024, 6, 1)


def test_overdue_needs_a_past_date_and_an_open_status():
    assert is_overdue(date(2024, 5, 31), "planned", TODAY)
    assert is_overdue(date(2024, 5, 31), "in_progress", TODAY)
    assert not is_overdue(date(2024, 6, 1), "planned", TODAY)  # due today is not late yet
    assert not is_overdue(date(2024, 5, 31), "done", TODAY)
    assert not is_overdue(date(2024, 5, 31), "cancelled", TODAY)
    assert not is_overdue(None, "planned", TODAY)


def test_order_overdue_open_undated_closed():
    items = [(None, "planned"), (date(2024, 9, 1), "planned"), (date(2024, 1, 1), "done"),
             (date(2024, 3, 1), "planned"), (date(2024, 2, 1), "in_progress")]
    ordered = sorted(items, key=lambda x: sort_key(x[0], x[1], TODAY))
    assert ordered == [(date(2024, 2, 1), "in_progress"), (date(2024, 3, 1), "planned"),
                       (date(2024, 9, 1), "planned"), (None, "planned"), (date(2024, 1, 1), "done")]


# ---------------------------------------------------------------------------------------------
# Russian deadlines: strings as they stand in the seed roadmaps (000, 003, 004 of docs/seeds.md) and
# variants. (kind, due, number of dates named)
# ---------------------------------------------------------------------------------------------
D = date
SEED_DEADLINES = [
    ("До 01.03.2022 года", "date", D(2022, 3, 1), 1),
    ("До 01.01.2021", "date", D(2021, 1, 1), 1),
    ("до 01.01.2021г.", "date", D(2021, 1, 1), 1),
    ("Сентябрь 2024 года", "month", D(2024, 9, 30), 1),
    ("декабрь 2024", "month", D(2024, 12, 31), 1),
    ("Декабрь  2024 года", "month", D(2024, 12, 31), 1),
    ("Март\n\n2024 года", "month", D(2024, 3, 31), 1),
    ("октябрь 2020г.", "month", D(2020, 10, 31), 1),
    ("Апрель 2023 г", "month", D(2023, 4, 30), 1),
    ("Май 2024 года", "month", D(2024, 5, 31), 1),
    ("I квартал 2024 года", "quarter", D(2024, 3, 31), 1),
    ("III квартал 2023", "quarter", D(2023, 9, 30), 1),
    ("Июнь-июль 2024 года", "range", D(2024, 7, 31), 2),
    ("Март-апрель 2022", "range", D(2022, 4, 30), 2),
    ("Сентябрь-октябрь 2024 года", "range", D(2024, 10, 31), 2),
    ("ноябрь 2020г.-январь 2021г.", "range", D(2021, 1, 31), 2),
    ("октябрь 2020г. – июнь 2021г.", "range", D(2021, 6, 30), 2),
    ("июнь 2021г. – июнь 2022г.", "range", D(2022, 6, 30), 2),
    ("В течение 2022 года", "year", D(2022, 12, 31), 1),
    ("в течение 2020-2023гг.", "year", D(2023, 12, 31), 2),
    ("В течение 2024-2025 года в соответствии с графиком Дорожной карты", "year", D(2025, 12, 31), 2),
    ("до 2023г.", "year", D(2022, 12, 31), 1),
    ("2020г.", "year", D(2020, 12, 31), 1),
    ("до января 2021г.", "date", D(2020, 12, 31), 1),
    ("Май, декабрь 2023, май, декабрь 2024", "multiple", D(2024, 12, 31), 4),
    ("Июнь 2024 года, декабрь 2024 года", "multiple", D(2024, 12, 31), 2),
    ("Апрель ноябрь 2024 года", "multiple", D(2024, 11, 30), 2),
    ("Декабрь 2020 Январь 2021 Февраль 2021 Март 2021", "multiple", D(2021, 3, 31), 4),
    ("25.11.2021 27.01.2022 29.03.2022", "multiple", D(2022, 3, 29), 3),
    ("Сентябрь 2023, 2024", "multiple", D(2024, 9, 30), 2),
    ("Сентябрь 2023 Февраль 2024 Декабрь 2024", "multiple", D(2024, 12, 31), 3),
    ("Март 2023 Март 2024", "multiple", D(2024, 3, 31), 2),
    ("<p>Март, август, ноябрь 2023</p> <p>Январь, март, август, ноябрь 2024</p>", "multiple", D(2024, 11, 30), 7),
    ("ежегодно", "recurring", None, 0),
    ("Ежегодное увеличение", "recurring", None, 0),
    ("Ежегодно (апрель) в соответствии с планом работы МКУО ЦОКО", "recurring", None, 0),
    ("Март, ноябрь ежегодно", "recurring", None, 0),
    ("1 раз в 2 недели", "recurring", None, 0),
    ("1 раз в 2 недели с ноября", "recurring", None, 0),
    ("1 раз в месяц", "recurring", None, 0),
    ("1 раз в 3 года при проведении", "recurring", None, 0),
    ("постоянно", "recurring", None, 0),
    ("По вторникам 1 раз в неделю", "recurring", None, 0),
    ("Весь период", "recurring", None, 0),
    ("с ноября 2020г.", "recurring", None, 1),
    ("с октября 2020г. постоянно", "recurring", None, 1),
    ("По отдельному графику", "undated", None, 0),
    ("по необходимости", "undated", None, 0),
    ("по необходимост и", "undated", None, 0),
    ("с учетом сроков НПО", "undated", None, 0),
    ("В сроки, установленные ИРООО", "undated", None, 0),
    ("в течение срока проекта", "undated", None, 0),
    ("В течение года в соответствии с планом-проспектом курсовых мероприятий", "undated", None, 0),
    ("", "undated", None, 0),
    ("Дата проведения", "unparsed", None, 0),
    ("когда-нибудь потом", "unparsed", None, 0),
]


@pytest.mark.parametrize("text,kind,due,n", SEED_DEADLINES, ids=[s[0][:40] for s in SEED_DEADLINES])
def test_deadlines_as_written(text, kind, due, n):
    d = parse_deadline(text)
    assert (d.kind, d.due, len(d.dates)) == (kind, due, n)
    assert d.text == text.strip()  # the wording is always kept


def test_a_year_from_the_roadmap_completes_undated_phrases():
    assert parse_deadline("В течение года", default_year=2024).due == D(2024, 12, 31)
    assert parse_deadline("II квартал", default_year=2023).due == D(2023, 6, 30)
    assert parse_deadline("II квартал").kind == "unparsed"  # no year, no guess


DAY_DEADLINES = [  # a day named with its month keeps that day (it once fell back to the month before)
    ("до 30 апреля 2022 года", "date", D(2022, 4, 30), 1),
    ("До 30 апреля 2022 г.", "date", D(2022, 4, 30), 1),
    ("до 1 сентября 2022 г.", "date", D(2022, 9, 1), 1),
    ("не позднее 15.05.2023", "date", D(2023, 5, 15), 1),
    ("до 01.03.2022 года", "date", D(2022, 3, 1), 1),
    ("не позднее 25 декабря 2024 года", "date", D(2024, 12, 25), 1),
    ("30 мая 2023", "date", D(2023, 5, 30), 1),
    ("до 30 апреля и до 15 мая 2023 года", "multiple", D(2023, 5, 15), 2),
    ("до 31 июня 2022 года", "unparsed", None, 0),  # no such day: kept as written, not guessed
    ("с 1 сентября 2023 г. ежегодно", "recurring", None, 1),
]


@pytest.mark.parametrize("text,kind,due,n", DAY_DEADLINES, ids=[s[0] for s in DAY_DEADLINES])
def test_a_day_with_its_month_name_is_kept(text, kind, due, n):
    d = parse_deadline(text)
    assert (d.kind, d.due, len(d.dates)) == (kind, due, n)


def test_a_day_without_a_year_takes_the_stage_year():
    assert parse_deadline("до 15 мая", default_year=2024).due == D(2024, 5, 15)
    assert parse_deadline("до 15 мая").kind == "unparsed"  # no year, no guess


def test_school_year_and_recurring_deadlines_as_offices_write_them():
    """«2021-2022 уч. год» ends the school year; «ежеквартально», «ежемесячно», «в течение года»
    are due at each period's end over the plan's years, and an untouched one is overdue once the
    first period has ended (issue 26, item 7)."""
    d = parse_deadline("2021-2022 уч. год")
    assert (d.kind, d.due) == ("year", D(2022, 8, 31))
    assert parse_deadline("в течение 2023-2024 учебного года").due == D(2024, 8, 31)
    q = parse_deadline("Ежеквартально", years=(2024, 2025))
    assert (q.kind, q.due, q.dates[:2]) == ("recurring", D(2025, 12, 31), (D(2024, 3, 31), D(2024, 6, 30)))
    assert len(q.dates) == 8
    m = parse_deadline("ежемесячно", default_year=2024)  # a stage's year: that year's months
    assert (m.kind, len(m.dates), m.dates[0], m.due) == ("recurring", 12, D(2024, 1, 31), D(2024, 12, 31))
    y = parse_deadline("В течение года", years=(2023, 2024))
    assert (y.kind, y.dates) == ("recurring", (D(2023, 12, 31), D(2024, 12, 31)))
    assert parse_deadline("ежеквартально").kind == "recurring"  # no years known: no date, but not «не распознан»
    assert parse_deadline("ежеквартально").due is None
    due = q.due
    assert is_overdue(due, "planned", D(2024, 4, 1), "Ежеквартально", 2024)  # the first quarter has ended
    assert not is_overdue(due, "planned", D(2024, 3, 31), "Ежеквартально", 2024)
    assert not is_overdue(due, "in_progress", D(2024, 4, 1), "Ежеквартально", 2024)
    assert is_overdue(due, "in_progress", D(2026, 1, 1), "Ежеквартально", 2024)  # the plan is over
    assert sort_key(due, "planned", D(2024, 4, 1), "Ежеквартально", 2024)[0] == 0
