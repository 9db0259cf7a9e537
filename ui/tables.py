"""The one way to put data into a static table: `text_table`. st.table renders every cell (and
header) as Markdown, so a name or a file cell such as «[x](http://…)», «![i](…)» or «**…**» would
become a link, an image or bold text; here every text cell goes through `core.formatting.table_text`
first and is shown exactly as typed. Grids (st.dataframe) render no Markdown and need nothing."""

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
