"""One builder per chart kind: plain data in, an Altair chart out. Screens and reports share them.

Russian number format via a Vega locale (decimal comma, narrow no-break space groups); value axes
fitted to the data and the target with honest padding (`fitted_domain`), a zero baseline for bars of
counts only.
"""

from __future__ import annotations

import json
import re
from datetime import date
from typing import TypeVar

import altair as alt
import pandas as pd

from core.formatting import date_text, value as value_text
from core.periods import ROMAN

from core.vocabulary import STATUS_COLORS, STATUS_LABELS

RU_LOCALE = {
    "number": {"decimal": ",", "thousands": "\u202f", "grouping": [3], "currency": ["", "\u00a0₽"]},
    "time": {
        "dateTime": "%A, %e %B %Y г. %X", "date": "%d.%m.%Y", "time": "%H:%M:%S",
        "periods": ["AM", "PM"],
        "days": ["воскресенье", "понедельник", "вторник", "среда", "четверг", "пятница", "суббота"],
        "shortDays": ["вс", "пн", "вт", "ср", "чт", "пт", "сб"],
        "months": ["январь", "февраль", "март", "апрель", "май", "июнь", "июль", "август", "сентябрь",
                   "октябрь", "ноябрь", "декабрь"],
        "shortMonths": ["янв", "фев", "мар", "апр", "май", "июн", "июл", "авг", "сен", "окт", "ноя", "дек"],
    },
}
FONT = "Source Sans Pro, Arial, sans-serif"
LINE = "#0b4f8a"
TARGET = "#b71c1c"
EXPECTED = "#6b7c93"
AVERAGE = "#e69500"


_Chart = TypeVar("_Chart", bound=alt.TopLevelMixin)

# A legend in one column when the chart's container is narrower than this (a phone), else as `finish` sets
# it: Vega's `containerSize()` is the drawn chart's element; an export (vl-convert) has none, so it keeps the
# columns. `width >` makes the expression depend on the width signal, re-evaluated when the container resizes.
NARROW_LEGEND = "width > 0 && containerSize()[0] < 560 ? 1 : {columns}"


def finish(chart: _Chart, *, height: int, font_size: int = 16, narrow_legend: bool = False) -> _Chart:
    """The house style, set on the chart the builder has just made (its own object): the height and one
    config (locale, font, axes, legend, view). Set in place rather than through `.properties()` and the
    `.configure_*()` chain, each of which deep-copies the whole layered chart — half of a trend chart's
    build time. `narrow_legend`: the legend's columns become one on a narrow screen (NARROW_LEGEND)."""
    columns = 1 if font_size >= 24 else 3
    chart.height = height  # type: ignore[attr-defined]  # every top-level chart class has both
    chart.config = alt.Config(  # type: ignore[attr-defined]
        # no tooltip but the ones a builder writes in Russian (Streamlit's theme would otherwise show every
        # encoded field by its axis title and format: «Дата мар 31, 2022 · % 88»)
        mark=alt.MarkConfig(tooltip=False), locale=RU_LOCALE, font=FONT,
        axis=alt.AxisConfig(labelFontSize=font_size, titleFontSize=font_size, labelColor="#243b53",
                            titleColor="#243b53", grid=True, gridColor="#e4e7eb", labelLimit=0),
        legend=alt.LegendConfig(labelFontSize=font_size, titleFontSize=font_size, orient="bottom", labelLimit=0,
                                columns=({"expr": NARROW_LEGEND.format(columns=columns)} if narrow_legend
                                         else columns), symbolType="stroke", symbolStrokeWidth=3,
                                symbolSize=max(300, font_size * 25), labelColor="#243b53", columnPadding=24),
        view=alt.ViewConfig(strokeWidth=0))
    return chart


def fitted_domain(values: list[float | None], unit: str, *, zero: bool = False) -> list[float]:
    """The axis range for the values (and target, path, forecast): fitted to them with honest padding
    (a tenth of the spread, at least one unit each side), so that a change from 88 to 97 % shows as a
    change; shares stay within 0–100; `zero` keeps the zero baseline (bars of counts)."""
    vs = [float(v) for v in values if v is not None and v == v]
    if not vs:
        return [0.0, 100.0] if unit == "%" else [0.0, 1.0]
    lo, hi = min(vs), max(vs)
    pad = max((hi - lo) * 0.12, 1.0 if unit == "%" else max(abs(hi) * 0.02, 0.5))
    lo, hi = (0.0 if zero else lo - pad), hi + pad
    if unit == "%":
        lo, hi = max(0.0, lo), min(100.0, hi)
    elif min(vs) >= 0:
        lo = max(0.0, lo)
    if lo > 0 and lo < (hi - lo) * 0.25:  # close to zero anyway: show zero, it costs little room
        lo = 0.0
    return [lo, hi]


def _y_scale(unit: str, values: list[float], *, zero: bool = False) -> alt.Scale:
    return alt.Scale(domain=fitted_domain(values, unit, zero=zero), nice=False, zero=zero)


def _value_axis(unit: str, values: list[float | None], **kwargs) -> alt.Axis:
    """A value axis whose ticks never repeat a rounded label: whole numbers (counts) step by at least 1
    (a range of 0–1,5 drew «0, 0, 0, 1, 1, 1»)."""
    whole = unit != "%" and all(float(v).is_integer() for v in values if v is not None and v == v)
    if whole:
        kwargs["tickMinStep"] = 1
    return alt.Axis(format=",.0f", **kwargs)


def no_data(*, height: int = 220, font_size: int = 16, text: str = "нет данных") -> alt.TopLevelMixin:
    """A chart of nothing: the words «нет данных» where the chart would be, no axes (an empty series
    drew axes with ticks «1, 1, 1, 0, 0, 0»)."""
    chart = alt.Chart(pd.DataFrame({"Текст": [text]}), usermeta={"legend": []}).mark_text(
        fontSize=font_size + 2, color="#486581").encode(text="Текст:N", tooltip=alt.value(None))
    return finish(chart, height=height, font_size=font_size)


def _texts(rows: list[dict], unit: str) -> list[dict]:
    """Each row with its value and date as the page writes them («93,8 %», «31.03.2022»), for tooltips:
    a tooltip says what the table beside it says."""
    for r in rows:
        r["Значение (текст)"] = value_text(r["Значение"], unit)
        r["Дата (текст)"] = date_text(date.fromisoformat(r["Дата"]))
    return rows


TIPS = [alt.Tooltip("Ряд:N", title="Линия"), alt.Tooltip("Период:N"), alt.Tooltip("Дата (текст):N", title="Дата"),
        alt.Tooltip("Значение (текст):N", title="Значение")]


SERIES = ["Значение", "Среднее по территории", "Цель", "Путь от базы к цели", "Прогноз по тренду", "Этап"]
SERIES_COLORS = [LINE, AVERAGE, TARGET, EXPECTED, LINE, TARGET]
SERIES_DASH = [[1, 0], [1, 0], [2, 3], [7, 4], [3, 3], [1, 0]]


def _short_label(label: str) -> str:
    """«III кв. 2024» → «III.24», «II полуг. 2024» → «II пг.24»; other labels as they are."""
    m = re.fullmatch(r"([IV]+) (кв\.|полуг\.) (\d{4})", label)
    if not m:
        return label
    return f"{m[1]}.{m[3][2:]}" if m[2] == "кв." else f"{m[1]} пг.{m[3][2:]}"


def _quarter_of(iso: str) -> str:
    """The quarter a day falls in, «IV кв. 2025» (a forecast's or a target's date without a period)."""
    d = date.fromisoformat(iso)
    return f"{ROMAN[(d.month - 1) // 3 + 1]} кв. {d.year}"


def period_axis(labels: dict[str, str], *, font_size: int = 16) -> alt.Axis:
    """A time axis that reads as the data's periods: a tick at each period's last day (`labels`: ISO
    date → «III кв. 2024»), labelled with the period, not the month («апр 2022»). Crowded, the labels
    shorten to «III.24»; more crowded still, one tick a year at its last period, labelled «2024».
    Tick values are ISO dates (read as UTC midnight, like the data's «Дата»): Streamlit's Vega-Lite
    draws no axis at all for epoch-millisecond values (vl-convert does). The label is picked by the
    day in UTC, so a browser west of Greenwich still names the right period; Streamlit evaluates the
    expression with its CSP-safe interpreter."""
    items = sorted(labels.items())
    room = 6 if font_size < 24 else 4
    if len(items) > 2 * room:
        last_of_year = {}
        for iso, _ in items:
            last_of_year[iso[:4]] = iso
        items = [(iso, year) for year, iso in last_of_year.items()]
    elif len(items) > room:
        items = [(iso, _short_label(text)) for iso, text in items]
    expr = "''"
    for iso, text in reversed(items):
        expr = f"utcFormat(datum.value, '%Y-%m-%d') == '{iso}' ? {json.dumps(text, ensure_ascii=False)} : {expr}"
    return alt.Axis(values=[iso for iso, _ in items], labelExpr=expr, labelAngle=0, labelOverlap=True,
                    labelPadding=6)


def trend(series, *, unit: str, target_value: float | None = None, expected_path=None, average_series=None,
          milestones=None, forecast: dict | None = None, height: int = 260,
          title: str = "", font_size: int = 16, legend: bool = True,
          narrow_legend: bool = False) -> alt.TopLevelMixin:
    """The group's values over periods with the territory average, the target, the planned straight path
    from the base to the target and the forecast to the due period (`forecast` = {"end": date, "value": v}),
    each named in the legend (colour and dash: readable in greyscale). The y axis is fitted to all of them.
    `narrow_legend`: the legend in one column in a container under 560 px (a phone), where three would be cut.
    `legend=False`: no legend inside the chart (the page draws `legend_html(chart)` beside it, in its own
    font size); the series shown are in the chart's `usermeta["legend"]` either way.
    series, average_series, expected_path: core.read.types.SeriesPoint (label, end date, value);
    milestones: core.read.types.Milestone (label, end date, value). The x axis is the periods' last days."""
    rows = [{"Период": s.label, "Дата": s.end.isoformat(), "Значение": s.value, "Ряд": "Значение"}
            for s in series if s.value is not None]
    rows += [{"Период": s.label, "Дата": s.end.isoformat(), "Значение": s.value,
              "Ряд": "Среднее по территории"} for s in (average_series or ()) if s.value is not None]
    values_rows = [r for r in rows if r["Ряд"] == "Значение"]
    lines = list(rows)
    dates = [r["Дата"] for r in rows]
    if expected_path:
        lines += [{"Период": p.label, "Дата": p.end.isoformat(), "Значение": p.value,
                   "Ряд": "Путь от базы к цели"} for p in expected_path]
    if forecast and values_rows and forecast.get("value") is not None:
        last = values_rows[-1]
        lines += [dict(last, Ряд="Прогноз по тренду"),
                  {"Период": "прогноз", "Дата": forecast["end"].isoformat(), "Значение": forecast["value"],
                   "Ряд": "Прогноз по тренду"}]
    if not rows:  # nothing measured: say so, draw no axes
        return no_data(height=height, font_size=font_size)
    dates = sorted(set(dates + [r["Дата"] for r in lines]))
    if target_value is not None and dates:
        lines += [{"Период": "цель", "Дата": d, "Значение": target_value, "Ряд": "Цель"} for d in (dates[0], dates[-1])]
    df = pd.DataFrame(_texts(lines, unit), columns=["Период", "Дата", "Значение", "Ряд", "Значение (текст)",
                                                    "Дата (текст)"])
    present = [k for k in SERIES if k in set(df["Ряд"]) or (k == "Этап" and milestones)]
    all_values = list(df["Значение"]) + [m.value for m in milestones or ()]
    y = alt.Y("Значение:Q", title="%" if unit == "%" else (unit or None),
              scale=_y_scale(unit, all_values), axis=_value_axis(unit, all_values, tickCount=6))
    named = {r["Дата"]: r["Период"] for r in lines if r["Ряд"] not in ("Цель", "Прогноз по тренду")}
    ends = {r["Дата"] for r in lines} | {m.end.isoformat() for m in milestones or ()}
    named |= {m.end.isoformat(): m.label for m in milestones or () if m.end.isoformat() not in named}
    x = alt.X("Дата:T", title=None, axis=period_axis({d: named.get(d) or _quarter_of(d) for d in ends},
                                                       font_size=font_size))
    idx = [SERIES.index(k) for k in present]
    shown = {} if legend else {"legend": None}
    color = alt.Color("Ряд:N", title=None, sort=present,
                      scale=alt.Scale(domain=present, range=[SERIES_COLORS[i] for i in idx]), **shown)
    dash = alt.StrokeDash("Ряд:N", title=None, sort=present,
                          scale=alt.Scale(domain=present, range=[SERIES_DASH[i] for i in idx]), **shown)
    base = alt.Chart(df)
    layers = [base.mark_line(strokeWidth=3).encode(
        x=x, y=y, color=color, strokeDash=dash, detail="Ряд:N",
        tooltip=TIPS)]
    layers.append(base.transform_filter(alt.FieldOneOfPredicate(field="Ряд", oneOf=["Значение", "Среднее по территории"]))
                  .mark_point(size=70, filled=True, opacity=1).encode(x=x, y=y, color=color, tooltip=TIPS))
    if milestones:
        md = pd.DataFrame(_texts([{"Дата": m.end.isoformat(), "Значение": m.value, "Ряд": "Этап", "Период": m.label}
                                  for m in milestones], unit))
        layers.append(alt.Chart(md).mark_point(shape="diamond", size=160, filled=True).encode(
            x=x, y="Значение:Q", color=color, tooltip=TIPS))
    chart = alt.layer(*layers, usermeta={"legend": present})
    if title:
        chart = chart.properties(title=title)
    return finish(chart, height=height, font_size=font_size, narrow_legend=narrow_legend)


def legend_html(chart: alt.TopLevelMixin, *, font_size: int = 28) -> str:
    """The legend of a `trend(…, legend=False)` chart as one HTML row that wraps (class «chart-legend»):
    each series' line sample in its colour and dash (a diamond for stages) and its name, at `font_size`
    px — a projector needs larger words than Vega's legend can fit under a chart on a 720 px screen."""
    from html import escape

    meta = getattr(chart, "usermeta", None)
    names = meta.get("legend", []) if isinstance(meta, dict) else []
    w, h = round(font_size * 1.7), round(font_size * 0.8)
    items = []
    for name in names:
        i = SERIES.index(name)
        colour, dash = SERIES_COLORS[i], SERIES_DASH[i]
        if name == "Этап":
            c = h / 2
            sample = (f'<polygon points="{w / 2},{c - c * 0.9} {w / 2 + c * 0.9},{c} {w / 2},{c + c * 0.9} '
                      f'{w / 2 - c * 0.9},{c}" fill="{colour}"/>')
        else:
            sample = (f'<line x1="2" x2="{w - 2}" y1="{h / 2}" y2="{h / 2}" stroke="{colour}" stroke-width="4" '
                      f'stroke-dasharray="{dash[0]},{dash[1]}"/>' if dash[1] else
                      f'<line x1="2" x2="{w - 2}" y1="{h / 2}" y2="{h / 2}" stroke="{colour}" stroke-width="4"/>')
            if name in ("Значение", "Среднее по территории"):
                sample += f'<circle cx="{w / 2}" cy="{h / 2}" r="{h / 4}" fill="{colour}"/>'
        items.append(f'<span class="chart-legend-item" style="display:inline-flex;align-items:center;gap:8px;'
                     f'white-space:nowrap"><svg width="{w}" height="{h}" viewBox="0 0 {w} {h}" aria-hidden="true">'
                     f'{sample}</svg>{escape(name)}</span>')
    return (f'<div class="chart-legend" style="display:flex;flex-wrap:wrap;column-gap:{font_size}px;row-gap:2px;'
            f'font-size:{font_size}px;line-height:1.2;color:#243b53">{"".join(items)}</div>')


def sparkline_svg(values: list[float | None], *, target: float | None = None, status: str = "no_data",
                 width: int = 260, height: int = 54) -> str:
    """A tiny inline SVG trend line (no axis: the range is zoomed to the values and the target so
    the direction shows), with the target as a dotted red line. Pure string building: a tile costs
    microseconds, not the ~25 ms of a Vega chart."""
    pts = [(i, v) for i, v in enumerate(values) if v is not None]
    if not pts:
        return ""
    ys = [v for _, v in pts] + ([target] if target is not None else [])
    lo, hi = min(ys), max(ys)
    pad = (hi - lo) * 0.12 or 1.0
    lo, hi = lo - pad, hi + pad
    n = max(len(values) - 1, 1)

    def xy(i: float, v: float) -> tuple[float, float]:
        return 4 + (width - 8) * i / n, height - 4 - (height - 8) * (v - lo) / (hi - lo)

    line = " ".join(f"{x:.1f},{y:.1f}" for x, y in (xy(i, v) for i, v in pts))
    colour = STATUS_COLORS.get(status, LINE)
    last_x, last_y = xy(*pts[-1])
    goal = ""
    if target is not None:
        _, ty = xy(0, target)
        goal = (f'<line x1="4" x2="{width - 4}" y1="{ty:.1f}" y2="{ty:.1f}" stroke="{TARGET}" '
                f'stroke-width="1.5" stroke-dasharray="3,3"/>')
    return (f'<svg class="sparkline" width="100%" height="{height}" viewBox="0 0 {width} {height}" '
            f'preserveAspectRatio="none" role="img" aria-label="динамика">{goal}'
            f'<polyline points="{line}" fill="none" stroke="{colour}" stroke-width="3" '
            f'stroke-linejoin="round" vector-effect="non-scaling-stroke"/>'
            f'<circle cx="{last_x:.1f}" cy="{last_y:.1f}" r="4" fill="{colour}"/></svg>')


def ranking(rows: list[dict], *, unit: str, target_value: float | None = None, average: float | None = None,
            height_per_row: int = 30) -> alt.TopLevelMixin:
    """Schools ranked by value, coloured by status (schools outside the target's group in light grey),
    with the target (red) and the territory average (orange) as vertical rules. Shares are dots on an
    axis fitted to the values (bars from zero would look identical at 88–97 %); counts are bars from
    zero. rows: name, value, status (None: not in the target's group)."""
    df = pd.DataFrame([r for r in rows if r.get("value") is not None], columns=["name", "value", "status"])
    if df.empty:
        return no_data()
    df["Значение (текст)"] = df["value"].map(lambda v: value_text(v, unit))
    df["status"] = df["status"].map(lambda s: s if isinstance(s, str) else "other")
    df = df.sort_values("value", ascending=False)
    df["Статус"] = df["status"].map(lambda s: STATUS_LABELS.get(s, "не в группе цели"))
    domain = list(STATUS_LABELS) + ["other"]
    colours = [STATUS_COLORS[s] for s in STATUS_LABELS] + ["#bcccdc"]
    bars_from_zero = unit != "%"
    extent = list(df["value"]) + [v for v in (target_value, average) if v is not None]
    enc = dict(
        x=alt.X("value:Q", title=unit, scale=_y_scale(unit, extent, zero=bars_from_zero),
                axis=_value_axis(unit, extent)),
        y=alt.Y("name:N", sort=list(df["name"]), title=None, axis=alt.Axis(labelLimit=320)),
        color=alt.Color("status:N", scale=alt.Scale(domain=domain, range=colours), legend=None),
        tooltip=[alt.Tooltip("name:N", title="Школа"), alt.Tooltip("Значение (текст):N", title="Значение"),
                 alt.Tooltip("Статус:N")])
    marks = (alt.Chart(df).mark_bar() if bars_from_zero else alt.Chart(df).mark_circle(size=220, opacity=1))
    layers = [alt.Chart(pd.DataFrame({"v": [val], "Линия": [name], "Значение (текст)": [value_text(val, unit)]}))
              .mark_rule(color=colour, strokeWidth=2, strokeDash=[4, 3])
              .encode(x=alt.X("v:Q", title=unit), tooltip=[alt.Tooltip("Линия:N"),
                                                          alt.Tooltip("Значение (текст):N", title="Значение")])
              for val, colour, name in ((target_value, TARGET, "Цель"), (average, AVERAGE, "Среднее по территории"))
              if val is not None]
    layers.append(marks.encode(**enc))  # the dots over the lines
    if not bars_from_zero:  # the status word next to the dot (never colour alone), a white halo over the lines
        words = dict(x="value:Q", y=alt.Y("name:N", sort=list(df["name"])), text="Статус:N", tooltip=enc["tooltip"])
        layers.append(alt.Chart(df).mark_text(align="left", dx=12, fontSize=13, stroke="white", strokeWidth=4,
                                              strokeJoin="round").encode(**words))
        layers.append(alt.Chart(df).mark_text(align="left", dx=12, fontSize=13, color="#334e68").encode(**words))
    chart = alt.layer(*layers)
    if not bars_from_zero:  # room right of the axis for the word of a school at the top of the range
        chart = chart.properties(padding={"left": 5, "top": 5, "bottom": 5, "right": 110})
    return finish(chart, height=max(140, height_per_row * len(df)))


def ranking_caption(unit: str, target_value: float | None, average: float | None, *,
                    average_is_target: bool = False) -> str:
    """What `ranking` draws, in words — only the lines it draws, with their values."""
    from core.formatting import value as fmt_value

    parts = ["Цвет и слово — статус школы по цели, светло-серые — школы вне группы цели"]
    if target_value is not None:
        parts.append(f"красная пунктирная линия — цель {fmt_value(target_value, unit)}")
    if average is not None:
        parts.append(f"оранжевая — средняя школа территории {fmt_value(average, unit)}"
                     + (" (она же цель: «не ниже среднего»)" if average_is_target else ""))
    return "; ".join(parts) + "."


def distribution(values: list[float], *, unit: str, height: int = 220) -> alt.TopLevelMixin:
    """How the schools' values spread: a histogram over the range of the values (so that 93–100 % is
    not two bars at the right end of 0–100)."""
    df = pd.DataFrame({"value": [v for v in values if v is not None]})
    if df.empty:
        return no_data(height=height)
    extent = fitted_domain(list(df["value"]), unit)  # the spread of the values, not 0–100
    binned = alt.Bin(maxbins=12, extent=extent)
    chart = alt.Chart(df).mark_bar(color=LINE).encode(
        x=alt.X("value:Q", bin=binned, title=unit, scale=alt.Scale(domain=extent),
                axis=alt.Axis(format=",.0f")),
        y=alt.Y("count():Q", title="школ", axis=alt.Axis(tickMinStep=1, format="d")),
        tooltip=[alt.Tooltip("value:Q", bin=binned, title="Значения от и до", format=",.1~f"),
                 alt.Tooltip("count():Q", title="Школ", format="d")])
    return finish(chart, height=height)
