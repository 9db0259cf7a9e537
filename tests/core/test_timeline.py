"""The roadmap's timeline as HTML (core.plan_charts.Timeline): where things fall on the axis, the month
ticks, what a row and its hover say, and that nothing a user typed becomes markup."""

import html as html_lib
import re
from datetime import date

import pandas as pd

from core import plan_charts

TODAY = date(2024, 10, 15)


def item(number, title, *, kind="activity", direction="1", deadline_kind="month", due=None, dates=(), status="planned",
         overdue=False, responsible="МКУО", position=0, stage=None, deadline_text="по плану"):
    return {"kind": kind, "number": number, "title": title, "direction": direction, "deadline_kind": deadline_kind,
            "due_date": due, "dates": tuple(dates), "status": status, "overdue": overdue,
            "deadline_text": deadline_text, "responsible": responsible, "position": position, "stage": stage}


def items(*rows) -> pd.DataFrame:
    return pd.DataFrame(list(rows))


def rows_of(html: str) -> list[str]:
    return html.split('<div class="tl-row')[1:]


def labels_of(html: str) -> list[tuple[str, str]]:
    return [(html_lib.unescape(g), html_lib.unescape(t)) for g, t in
            re.findall(r'<div class="tl-lab" title="[^"]*"><b>([^<]*)</b> ([^<]*)</div>', html)]


def hovers_of(html: str) -> list[list[str]]:
    return [html_lib.unescape(h).replace("\u2060", "").split("\n")
            for h in re.findall(r'class="tl-(?:bar|pt)" style="[^"]*" title="([^"]*)"', html)]


def test_rows_in_their_groups_and_only_items_with_a_date():
    tl = plan_charts.timeline(items(
        item("2.1", "Второе направление", direction="2", due=date(2024, 3, 31), position=4),
        item("1.1", "Первое направление", due=date(2024, 5, 31), position=1),
        item("1.3", "Первое направление", due=date(2024, 7, 31), position=3),  # reads alike: a row of its own
        item("3", "Контрольная точка", kind="control_point", direction=None, deadline_kind="multiple",
             dates=(date(2024, 6, 1), date(2024, 12, 1)), status="done"),
        item("1.2", "Регулярно", deadline_kind="recurring", position=2)), TODAY)
    html = tl.html()
    assert labels_of(html) == [("КТ", "3. Контрольная точка"), ("Напр. 1", "1.1. Первое направление"),
                               ("Напр. 1", "1.3. Первое направление"),
                               ("Напр. 2", "2.1. Второе направление")]  # «Регулярно» has no date: not drawn
    rows = rows_of(html)
    # each group opens with a rule, and only its first row
    assert [r.startswith(' tl-first"') for r in rows] == [True, True, False, True]
    assert rows[0].count('class="tl-pt"') == 2 and rows[1].count('class="tl-bar"') == 1  # two dates, one month
    # the legend: only the states drawn, in the house's order, each a colour and its word
    assert re.findall(r'<span class="tl-key"><i style="background:(#\w+)"></i>([^<]+)</span>', html) == [
        ("#8a99ad", "Запланировано"), ("#00785A", "Выполнено")]
    assert hovers_of(html)[0] == ["Контрольная точка 3: Контрольная точка", "Срок: по плану", "Статус: Выполнено",
                                  "Ответственные: МКУО"]


def test_positions_ticks_and_today():
    tl = plan_charts.timeline(items(item("1", "Год", deadline_kind="year", dates=(date(2025, 5, 31),))), TODAY)
    assert tl.lo == date(2024, 9, 1) - pd.Timedelta(days=20) and tl.hi == date(2025, 5, 31) + pd.Timedelta(days=20)
    assert tl.pos(tl.lo) == 0 and tl.pos(tl.hi) == 100 and 0 < tl.pos(TODAY) < 100
    html = tl.html()
    bar = re.search(r'class="tl-bar" style="left:([\d.]+)%;width:([\d.]+)%', html)
    assert float(bar[1]) == tl.pos(date(2024, 9, 1))
    assert abs(float(bar[1]) + float(bar[2]) - tl.pos(date(2025, 5, 31))) < 0.01
    assert tl.ticks() == [date(2024, 9, 1), date(2024, 11, 1), date(2025, 1, 1), date(2025, 3, 1),
                          date(2025, 5, 1)]  # ten months: every second
    # the line at today, and its label on the line's wider side (today at 19 %: to its right)
    assert re.findall(r'<i class="tl-now" style="left:([\d.]+)%">', html) == [str(tl.pos(TODAY))]
    assert f'<span class="" style="left:{tl.pos(TODAY)}%">сегодня, 15.10.2024</span>' in html
    late = plan_charts.timeline(items(item("1", "Год", due=date(2024, 1, 31))), TODAY).html()
    assert re.search(r'<span class="tl-right" style="left:[\d.]+%">сегодня, 15.10.2024</span>', late)


def test_ticks_stay_few_over_years_and_the_ends_align_inwards():
    for last in (date(2025, 12, 31), date(2204, 9, 1)):  # five years; a year typed 2204 for 2024
        tl = plan_charts.timeline(items(item("1", "Долго", deadline_kind="range", dates=(date(2021, 1, 15), last))),
                                  TODAY)
        ticks = tl.ticks()
        assert 3 <= len(ticks) <= 8 and all(t.day == 1 and tl.lo < t <= tl.hi for t in ticks), ticks
        assert len({(b.year - a.year) * 12 + b.month - a.month for a, b in zip(ticks, ticks[1:])}) == 1  # evenly
    tl = plan_charts.timeline(items(item("1", "Долго", deadline_kind="range",
                                         dates=(date(2021, 1, 15), date(2025, 12, 31)))), TODAY)
    heads = re.findall(r'<span class="([^"]*)" style="left:([\d.]+)%">(\d\d\.\d{4})</span>', tl.html())
    assert [h[2] for h in heads] == [f"{t:%m.%Y}" for t in tl.ticks()]
    for cls, left, _ in heads:
        assert ("tl-end" in cls) == (float(left) > 95) and ("tl-start" in cls) == (float(left) < 5)
    # a phone has room for three month labels: the others are marked to hide there
    assert sum("phone-hide" not in cls for cls, *_ in heads) <= 3 and "phone-hide" not in heads[0][0]


def test_user_text_is_text_in_the_labels_and_the_hover():
    hostile = '"><img src=x onerror=alert(1)> **жирный** <b>x</b>'
    tl = plan_charts.timeline(items(item("1", hostile, responsible=hostile, due=date(2024, 9, 30),
                                         direction='1"><script>')), TODAY)
    html = tl.html()
    assert "<style" not in html  # markup only: its look is the app's stylesheet (ui/theme.py)
    assert "<img" not in html and "<script" not in html and "<b>x" not in html and "**" not in html
    # the hover holds the full text, the deadline, the state and the responsible, one a line, as typed
    assert hovers_of(html)[0] == [f"Мероприятие 1: {hostile}", "Срок: по плану", "Статус: Запланировано",
                                  "Ответственные: " + plan_charts.clip(hostile, 80)]
    assert '<div class="tl-lab" title="' in html and f"1. {hostile}" in html_lib.unescape(html)
    two = plan_charts.timeline(items(item("1", hostile, due=date(2024, 9, 30), direction='1"><script>'),
                                     item("2", "КТ", kind="control_point", due=date(2024, 9, 30))), TODAY).html()
    assert labels_of(two)[1] == ('Напр. 1"><script>', f"1. {hostile}") and "<script" not in two


def test_one_group_is_not_named_on_every_row():
    """A roadmap without directions (kal-2023): «Прочие» before every row would only take the label's room."""
    html = plan_charts.timeline(items(item("1", "Первое", direction=None, due=date(2024, 9, 30)),
                                      item("2", "Второе", direction=None, due=date(2024, 10, 31))), TODAY).html()
    assert "<b>" not in html and "Прочие" not in html and html.count('<div class="tl-row') == 2


def test_line_breaks_typed_in_cells_do_not_end_the_html_block():
    """A blank line ends an HTML block in Markdown: the rest of the timeline would show as text."""
    broken = "Иванов\r\n\r\nПетров\n \nСидоров"
    tl = plan_charts.timeline(items(item("1", "Первая строка\n\nвторая", responsible=broken, deadline_text=broken,
                                         direction="1\n\n2", due=date(2024, 9, 30))), TODAY)
    html = tl.html()
    assert "\n" not in html and "\r" not in html and "\ufffd" not in html
    assert hovers_of(html)[0] == ["Мероприятие 1: Первая строка вторая", "Срок: Иванов Петров Сидоров",
                                  "Статус: Запланировано", "Ответственные: Иванов Петров Сидоров"]
    assert '">1. Первая строка вторая</div>' in html_lib.unescape(html)


def test_nothing_to_draw():
    assert plan_charts.timeline(items(item("1", "Регулярно", deadline_kind="recurring")), TODAY) is None
