"""Tables that fit the page: column widths for `st.dataframe` so that a table's columns add up to the
main area of a 1280 px screen (about 980 px beside the menu) instead of scrolling sideways. Columns keep
their natural width (their longest text) when everything fits; otherwise the widest columns — long
texts such as an activity's content — are narrowed to one common width (their text is cut with «…» and
shown whole on hover), the narrow ones (numbers, dates, statuses) stay readable."""

from __future__ import annotations

ROOM_PX = 960  # the main area at 1280×720 beside the menu (977 px), less the table's frame
IN_EXPANDER_PX = 920  # the same inside an expander (its frame and padding: a grid box of 941 px)
CHAR_PX = 7.6  # an average character of the table's font (Source Sans, Cyrillic), measured in Chromium
PAD_PX = 24  # a cell's padding and the header's sort mark
MIN_PX = 64
SAMPLE_ROWS = 300


def natural_width(frame, col) -> int:
    """The width in px of column `col` with its longest text (of the first SAMPLE_ROWS) whole."""
    texts = [str(col)] + ["" if v is None else str(v) for v in frame[col].head(SAMPLE_ROWS)]
    return int(max(MIN_PX, PAD_PX + CHAR_PX * max(len(t) for t in texts)))


def column_widths(frame, room_px: int = ROOM_PX) -> dict[str, int]:
    """{column: width in px} for every column when the natural widths would not fit `room_px`; {} when
    they fit (Streamlit's own sizing is then right)."""
    need = {col: natural_width(frame, col) for col in frame.columns}
    if sum(need.values()) <= room_px:
        return {}
    lo, hi = MIN_PX, max(need.values())  # the common cap of the widest columns: as wide as the room allows
    for _ in range(40):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if sum(min(n, mid) for n in need.values()) <= room_px else (lo, mid)
    return {str(col): int(min(n, lo)) for col, n in need.items()}


def fitted(frame, *, room_px: int = ROOM_PX, **config) -> dict:
    """`column_config` for `st.dataframe(frame, …)`: the fitted widths, under the page's own `config`."""
    import streamlit as st

    return {**{c: st.column_config.Column(width=w) for c, w in column_widths(frame, room_px).items()}, **config}
