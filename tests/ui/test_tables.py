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
        ["- 3", "По графику", "ежемесячно"]]  # «- 3» stays text, not a list
