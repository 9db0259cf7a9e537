"""Static tables: `text_table` (st.table) and `html_table` (an HTML table in Markdown). st.table renders
every cell (and header) as Markdown, so a name or a file cell such as «[x](http://…)», «![i](…)» or
«**…**» would become a link, an image or bold text; here every text cell goes through
`core.formatting.table_text` first and is shown exactly as typed, on one line. `html_table` escapes every
cell the same way and costs the browser no script of its own (st.table's component is fetched and run on
the first page that has one: 0,1–0,2 CPU-s of a fresh browser's roadmap page, issue 27). Grids
(st.dataframe) render no Markdown and need nothing."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.formatting import table_text


def text_table(data, *, container=None, **kwargs):
    """st.table of `data` (a DataFrame or a list of row dicts) with every text cell and header
    shown as text; `kwargs` go to st.table (hide_index=True by default)."""
    frame = data if isinstance(data, pd.DataFrame) else pd.DataFrame(list(data))
    frame = frame.map(table_text)
    frame.columns = [table_text(c) for c in frame.columns]
    return (container or st).table(frame, **{"hide_index": True, **kwargs})


def html_table(frame: pd.DataFrame) -> str:
    """A few static rows as an HTML table (`st.markdown(..., unsafe_allow_html=True)`), every header and cell
    text as typed; it looks like st.table (ui/theme.py: `table.plain-table`)."""
    # table_text: one line each (a line break typed in a cell, or a blank line, would end the HTML block)
    head = "".join(f"<th>{table_text(c)}</th>" for c in frame.columns)
    rows = "".join("<tr>" + "".join(f"<td>{'' if _empty(v) else table_text(v)}</td>" for v in row) + "</tr>"
                   for row in frame.itertuples(index=False))
    # on a phone the box scrolls sideways, as st.table's does, instead of the table being cut at the edge
    return (f'<div class="plain-table-box"><table class="plain-table"><thead><tr>{head}</tr></thead>'
            f'<tbody>{rows}</tbody></table></div>')


def _empty(v) -> bool:
    """None or a missing value (pandas turns a None among texts into NaN: «nan» on screen otherwise)."""
    return v is None or (isinstance(v, float) and v != v) or v is pd.NA or v is pd.NaT
