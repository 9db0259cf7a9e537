"""The roadmap's timeline as HTML (core.plan_charts.Timeline): where things fall on the axis, the month
ticks, what a row and its hover say, and that nothing a user typed becomes markup."""

import html as html_lib
import re
from datetime import date

import pandas as pd

from core import plan_charts

TODAY = date(2024, 10, 15)


def item(number, title, *, kind="activity", direction="1", deadline_kind="month", due=None, dates=(), status="planned",
         overdue=False, responsible="МКУО", position=0, stage=None):
    return {"kind": kind, "number": number, "title": title, "direction": direction, "deadline_kind": deadline_kind,
            "due_date": due, "dates": tuple(dates), "status": status, "overdue": overdue,
            "deadline_text": "по плану", "responsible": responsible, "position": position, "stage": stage}


def items(*rows) -> pd.DataFrame:
    return pd.DataFrame(list(rows))


def test_rows_in_their_groups_and_only_items_with_a_date():
    tl = plan_charts.timeline(items(
        item("2.1", "Второе направление", direction="2", due=date(2024, 3, 31), position=3),
        item("1.1", "Первое направление", due=date(2024, 5, 31), position=1),
        item("3", "Контрольная точка", kind="control_point", direction=None, deadline_kind="multiple",
             dates=(date(2024, 6, 1), date(2024, 12, 1)), status="done"),
        item("1.2", "Регулярно", deadline_kind="recurring", position=2)), TODAY)
    html = tl.html()
    labels = [(g, html_lib.unescape(t)) for g, t in
              re.findall(r'<div class="tl-lab" title="[^"]*"><b>([^<]*)</b> ([^<]*)</div>', html)]
    assert labels == [("КТ", "3. Контрольная точка"), ("Напр. 1", "1.1. Первое направление"),
                      ("Напр. 2", "2.1. Второе направление")]  # «Регулярно» has no date: not drawn
    assert html.count('<div class="tl-row tl-first">') == 3  # each group opens with a rule
    rows = html.split('<div class="tl-row')[1:]
    assert rows[0].count('class="tl-pt"') == 2 and rows[1].count('class="tl-bar"') == 1  # two dates, one month
    # the legend: only the states drawn, in the house's order, each a colour and its word
    assert re.findall(r'<span class="tl-key"><i style="background:(#\w+)"></i>([^<]+)</span>', html) == [
        ("#8a99ad", "Запланировано"), ("#00785A", "Выполнено")]


def test_positions_ticks_and_today():
    tl = plan_charts.timeline(items(item("1", "Год", deadline_kind="year", dates=(date(2025, 5, 31),))), TODAY)
    assert tl.lo == date(2024, 9, 1) - pd.Timedelta(days=20) and tl.hi == date(2025, 5, 31) + pd.Timedelta(days=20)
    assert tl.pos(tl.lo) == 0 and tl.pos(tl.hi) == 100 and 0 < tl.pos(TODAY) < 100
    bar = re.search(r'class="tl-bar" style="left:([\d.]+)%;width:([\d.]+)%', tl.html())
    assert float(bar[1]) == tl.pos(date(2024, 9, 1)) and abs(float(bar[1]) + float(bar[2]) - tl.pos(date(2025, 5, 31))) < 0.01
    assert tl.ticks() == [date(2024, 9, 1), date(2024, 11, 1), date(2025, 1, 1), date(2025, 3, 1),
                          date(2025, 5, 1)]  # ten months: every second
    assert f'left:{tl.pos(TODAY)}%">сегодня, 15.10.2024</span>' in tl.html()


def test_ticks_stay_few_over_years_and_the_ends_align_inwards():
    tl = plan_charts.timeline(items(item("1", "Долго", deadline_kind="range",
                                         dates=(date(2021, 1, 15), date(2025, 12, 31)))), TODAY)
    ticks = tl.ticks()
    assert 3 <= len(ticks) <= 8 and all(t.day == 1 and tl.lo < t <= tl.hi for t in ticks)
    assert len({(b.year - a.year) * 12 + b.month - a.month for a, b in zip(ticks, ticks[1:])}) == 1  # evenly
    heads = re.findall(r'<span class="([^"]*)" style="left:([\d.]+)%">(\d\d\.\d{4})</span>', tl.html())
    assert [h[2] for h in heads] == [f"{t:%m.%Y}" for t in ticks]
    for cls, left, _ in heads:
        assert ("tl-end" in cls) == (float(left) > 95) and ("tl-start" in cls) == (float(left) < 5)


def test_user_text_is_text_in_the_labels_and_the_hover():
    hostile = '"><img src=x onerror=alert(1)> **жирный** <b>x</b>'
    tl = plan_charts.timeline(items(item("1", hostile, responsible=hostile, due=date(2024, 9, 30),
                                         direction='1"><script>')), TODAY)
    html = tl.html()
    body = html  # markup only: its look is the app's stylesheet (ui/theme.py)
    assert "<style" not in body
    assert "<img" not in body and "<script" not in body and "<b>x" not in body and "**" not in body
    # the hover holds the full text, the deadline, the state and the responsible, one a line
    hover = re.search(r'class="tl-bar" style="[^"]*" title="([^"]*)"', body)[1]
    assert hover.split("&#10;")[1:] == ["Срок: по плану", "Статус: Запланировано",
                                        "Ответственные: " + plan_charts.clip(hostile, 80).replace("\n", "")
                                        .translate({ord(c): f"&#{ord(c)};" for c in "\\`*_[]<>&$|~#\"'"})]


def test_nothing_to_draw():
    assert plan_charts.timeline(items(item("1", "Регулярно", deadline_kind="recurring")), TODAY) is None
