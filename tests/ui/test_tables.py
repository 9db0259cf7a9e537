"""ui.tables.html_table: a few static rows as HTML, every header and cell shown as typed."""

import html
import re

import pandas as pd

from ui.tables import html_table


def test_cells_and_headers_are_text_and_in_order():
    frame = pd.DataFrame([{"№": "1.2", "Содержание": '<img src=x onerror=alert(1)> [x](http://e.ru) **b**',
                           "Срок": None},
                          {"№": "- 3", "Содержание": "По графику", "Срок": "ежемесячно"}])
    out = html_table(frame)
    assert out.startswith('<div class="plain-table-box"><table class="plain-table">') and "<img" not in out and "**" not in out
    cells = [[html.unescape(c) for c in re.findall(r"<t[hd]>([^<]*)</t[hd]>", row)]
             for row in re.findall(r"<tr>(.*?)</tr>", out)]
    assert [[c.replace("\u2060", "") for c in row] for row in cells] == [
        ["№", "Содержание", "Срок"],
        ["1.2", '<img src=x onerror=alert(1)> [x](http://e.ru) **b**', ""],
        ["- 3", "По графику", "ежемесячно"]]
    assert "<td>- 3" not in out  # «- 3» at a line's start would open a list: it is written as an entity


def test_line_breaks_typed_in_cells_stay_inside_the_table():
    """A blank line ends an HTML block in Markdown: the rest of the table would show as text."""
    out = html_table(pd.DataFrame([{"Ответственные": "Иванов\r\n\r\nПетров\n \nСидоров", "Срок": "по\tграфику"}]))
    assert "\n" not in out and "\r" not in out
    assert [" ".join(c.split()) for c in re.findall(r"<td>([^<]*)</td>", out)] == ["Иванов Петров Сидоров",
                                                                                  "по графику"]  # as HTML shows it


def test_one_line_keeps_no_break_spaces():
    """Line breaks go; a no-break space between a number and its unit stays (the page writes «92,8 %» with
    one, and a phone card showed «92,8 %» split once it went)."""
    from core.formatting import one_line

    assert one_line("92,8\xa0% (III кв.\xa02024)") == "92,8\xa0% (III кв.\xa02024)"
    assert one_line(" Иванов\r\n\r\nПетров\n \nСидоров\tмл. ") == "Иванов Петров Сидоров мл."
    assert one_line(None) == ""
