"""The app on a phone (a viewport up to 640 px wide): one CSS block that switches between the desktop's
tables and the phone's cards, makes the headers compact and every touch target at least 44 px high; and
the cards themselves.

Streamlit tells the script nothing of the viewport (st.context in 1.67 has headers, cookies, locale, theme,
time zone, URL — no width; a User-Agent guess would misjudge tablets, split screens and narrow windows), so a
page that needs another layout on a phone draws both, each in a keyed container (`desk(...)`, `phone(...)`),
and the CSS shows one of them. Below 640 px Streamlit already stacks columns; the rules here take over from
there. The desktop (from 641 px) sees nothing of this but hidden containers."""

from __future__ import annotations

from core.formatting import md_text as escape  # user text safe for Markdown and HTML alike
from core.formatting import one_line

import pandas as pd
import streamlit as st

from core.vocabulary import STATUS_COLORS, STATUS_ICONS, STATUS_INK, STATUS_LABELS

WIDTH = 640  # px: the widest viewport that gets the phone layout (Streamlit stacks columns below it too)

CSS = f"""<style>
  /* a keyed container sits in a layout wrapper, itself a flex item with the column's gap: both hidden */
  [data-testid="stLayoutWrapper"]:has(> [class*="st-key-phone_"]), [class*="st-key-phone_"] {{ display: none !important }}
  .phone-card {{ border: 1px solid #d9e2ec; border-radius: 10px; padding: 10px 12px; margin: 0 0 10px 0;
                 background: #fff; overflow-wrap: anywhere }}
  .phone-card .phone-card-title {{ font-weight: 700; font-size: 1.05rem; line-height: 1.3; margin: 6px 0 4px 0;
                                   color: #102a43 }}
  .phone-card .phone-badge {{ display: inline-block; padding: 2px 10px; border-radius: 12px; font-weight: 700;
                              font-size: .95rem; white-space: nowrap }}
  .phone-card dl {{ display: grid; grid-template-columns: minmax(0, 8.5em) minmax(0, 1fr); gap: 2px 10px; margin: 0;
                    font-size: .95rem; line-height: 1.35 }}
  .phone-card dt {{ color: #486581; font-weight: 400; overflow-wrap: break-word }}
  .phone-card dd {{ margin: 0; color: #102a43; min-width: 0 }}
  .phone-card dd.phone-strong {{ font-weight: 700 }}
  @media (max-width: {WIDTH}px) {{
    [data-testid="stLayoutWrapper"]:has(> [class*="st-key-desk_"]), [class*="st-key-desk_"] {{ display: none !important }}
    [data-testid="stLayoutWrapper"]:has(> [class*="st-key-phone_"]), [class*="st-key-phone_"] {{ display: flex !important }}
    .block-container {{ padding: 2.6rem .9rem 3rem .9rem !important }}
    h1 {{ font-size: 1.65rem !important; padding: .2rem 0 !important; line-height: 1.2 !important }}
    h2 {{ font-size: 1.35rem !important }}
    h3 {{ font-size: 1.2rem !important }}
    h4 {{ font-size: 1.1rem !important; padding: .6rem 0 .3rem 0 !important; line-height: 1.3 !important }}
    .phone-hide {{ display: none !important }}
    .demo-line {{ font-size: .85rem; padding: 3px 8px; margin-bottom: 4px }}
    /* touch: every control at least 44 px high (WCAG 2.5.5, Apple's 44 pt) */
    button, [data-testid="stPageLink"] a, [data-baseweb="select"] > div, [data-testid="stExpander"] summary,
    [data-testid="stNumberInputContainer"], [data-testid="stTextInputRootElement"], [data-testid="stTab"],
    [data-testid="stCheckbox"] label, form.logout-form button {{ min-height: 44px !important }}
    [data-testid="stNumberInput"] button, [data-testid="stExpandSidebarButton"] {{ min-width: 44px !important }}
    [data-testid="stPageLink"] a, [data-testid="stCheckbox"] label {{ display: flex; align-items: center }}
    /* a form's submit and the entry's «Записать»: the whole width, for a thumb */
    [data-testid="stElementContainer"]:has(button[data-testid$="FormSubmit"]),
    [data-testid="stElementContainer"]:has(button[data-testid$="FormSubmit"]) > div,
    [data-testid="stFormSubmitButton"], button[data-testid$="FormSubmit"], .st-key-entry_apply,
    .st-key-entry_apply [data-testid="stButton"], .st-key-entry_apply button {{ width: 100% !important }}
    /* a chart's hover toolbar (small English buttons) and a heading's anchor link: not for a finger; each
       chart has its own «Рисунок .png» / «Вектор .svg» buttons */
    [data-testid="stElementToolbar"], [data-testid="stHeaderActionElements"] {{ display: none !important }}
    /* tabs wrap instead of scrolling sideways with the last one cut */
    [data-testid="stTabs"] [role="tablist"] {{ flex-wrap: wrap; overflow: visible !important; row-gap: 4px }}
    /* an HTML table never pushes the page sideways: fixed layout, words wrap */
    [data-testid="stTable"] table {{ table-layout: fixed; width: 100% !important; min-width: 0 !important }}
    [data-testid="stTable"] th, [data-testid="stTable"] td {{ overflow-wrap: anywhere; word-break: break-word;
                                                             white-space: normal !important; padding: 4px !important }}
    /* a row of figures (st.metric in columns) stays two abreast instead of one under another */
    [data-testid="stHorizontalBlock"]:has(> [data-testid="stColumn"] [data-testid="stMetric"]) {{
      flex-flow: row wrap !important; row-gap: .5rem }}
    [data-testid="stHorizontalBlock"]:has(> [data-testid="stColumn"] [data-testid="stMetric"]) > [data-testid="stColumn"] {{
      flex: 1 1 calc(50% - 1rem) !important; min-width: calc(50% - 1rem) !important; width: calc(50% - 1rem) !important }}
    [data-testid="stMetricLabel"], [data-testid="stMetricLabel"] * {{ white-space: normal !important;
                                                                    overflow: visible !important }}
    [data-testid="stTable"] > div {{ overflow-x: visible !important }}
  }}
</style>"""


def desk(key: str):
    """A container shown from 641 px up (the desktop's table), hidden on a phone."""
    return st.container(key=f"desk_{key}")


def phone(key: str):
    """A container shown on a phone only (its cards)."""
    return st.container(key=f"phone_{key}")


def badge(status: str) -> str:
    """The status as on every screen: colour, icon and word."""
    return (f'<span class="phone-badge" style="background:{STATUS_COLORS[status]};color:{STATUS_INK[status]}">'
            f'{STATUS_ICONS[status]} {escape(STATUS_LABELS[status])}</span>')


def card(title: str | None, fields: list[tuple[str, str]], *, status: str | None = None,
         strong: tuple[str, ...] = ()) -> str:
    """One card: the status badge first (so the first cards' statuses are on the first screen), then the
    title and the label/value pairs; labels in `strong` have their values in bold. Plain text in, escaped
    here, each on one line (a blank line typed in a cell would end the cards' HTML block in Markdown); an
    empty or «—» value keeps its row (nothing a table shows is dropped)."""
    head = (f"<div>{badge(status)}</div>" if status else "") + (
        f'<div class="phone-card-title">{escape(one_line(title))}</div>' if title else "")
    rows = "".join(f'<dt>{escape(one_line(k))}</dt><dd{" class=phone-strong" if k in strong else ""}>'
                   f'{escape(one_line(v) or "—")}</dd>' for k, v in fields)
    return f'<div class="phone-card">{head}<dl>{rows}</dl></div>'


def cards(items: list[str]) -> None:
    """Cards built by `card`, drawn in one element (one Markdown block per list, not one per card)."""
    st.markdown("".join(items), unsafe_allow_html=True)


def rows_as_cards(rows: list[dict], title: str, *, strong: tuple[str, ...] = ()) -> None:
    """A table's rows (dicts of column → text), each as a card titled by its `title` column."""
    cards([card(_text(r.get(title)), [(k, _text(v)) for k, v in r.items() if k != title], strong=strong)
           for r in rows])


def _text(v) -> str:
    """A cell as a card shows it: nothing (None, NaN, NaT) as «» — the card writes «—» — else its text."""
    return "" if v is None or (pd.api.types.is_scalar(v) and pd.isna(v)) else str(v)


def preview(frame, key: str, *, drop: tuple[str, ...] = ()) -> None:
    """An upload's or entry's «what changes» (`core.ingest.pipeline.Preview.table()`): the grid on a desktop,
    a card a value on a phone (titled by the indicator; `drop`: columns the page has already said)."""
    with desk(key):
        st.dataframe(frame, hide_index=True, width="stretch")
    with phone(key):
        rows_as_cards(frame.drop(columns=list(drop)).to_dict("records"), "Показатель", strong=("Станет",))


def target_cards(rows: list[dict], statuses: list[str]) -> None:
    """The school page's «Где мы сейчас…» table as one card per target: status, name, now, expected now,
    target, what is needed by the next control point, the territory's average (the table's own cells)."""
    cards([card(r["Показатель"], [(k, r[k]) for k in ("Сейчас", "Ожидается сейчас", "Цель", "Нужно",
                                                       "Среднее по территории") if k in r],
                status=st_, strong=("Сейчас", "Нужно")) for r, st_ in zip(rows, statuses)])


def activity_cards(rows: list[dict], *, late: list[bool] | None = None) -> None:
    """Roadmap items (the school page's table rows: Статус, Срок, Что, №, Содержание, Ответственный) as
    cards titled «Мероприятие 1.2». `late` (one flag a row): the overdue ones are drawn, the others folded
    under «Остальные: N» (two dozen cards would push the charts a few screens down); without it all are
    drawn (inside an expander, which cannot hold another)."""
    def one(r: dict) -> str:
        return card(" ".join(str(x) for x in (r["Что"], r["№"]) if x),
                    [(k, r[k]) for k in ("Статус", "Срок", "Содержание", "Ответственный")], strong=("Статус", "Срок"))

    if late is None:
        cards([one(r) for r in rows])
        return
    cards([one(r) for r, x in zip(rows, late) if x])
    rest = [one(r) for r, x in zip(rows, late) if not x]
    if rest:
        with st.expander(f"{'Остальные' if any(late) else 'Все'} мероприятия школы: {len(rest)}"):
            cards(rest)


def legend_grows(drawn: tuple, *, height: int) -> tuple:
    """`(chart, spec)` of a `core.charts.trend(..., narrow_legend=True)` chart (16-px type), its page spec
    sized «fit-x»: the width fits the container and the height is the plot's, so that the legend in one
    column on a phone adds height instead of squashing the plot to a sliver (Streamlit's default, «fit»,
    keeps the total at `height`). The plot's height is what «fit» gives it on a desktop (the legend in
    rows of three, 24 px a row, and 73 px of axis and padding, measured at 1280 and 1920 px): the desktop's
    chart keeps its height within a pixel.
    The chart itself (downloads) is not touched."""
    chart, spec = drawn
    rows = -(-len((getattr(chart, "usermeta", None) or {}).get("legend", [])) // 3)
    return chart, dict(spec, autosize={"type": "fit-x", "contains": "padding"}, height=height - 73 - 24 * rows)
