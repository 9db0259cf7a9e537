"""One builder per chart kind: plain data in, an Altair chart out. Screens and reports share them.

Russian number format via a Vega locale (decimal comma, narrow no-break space groups); shares on a
0-100 axis.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from core.targets import STATUS_COLORS, STATUS_ICONS, STATUS_LABELS

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


def _finish(chart: alt.TopLevelMixin, *, height: int, font_size: int = 14) -> alt.TopLevelMixin:
    return (chart.properties(height=height)
            .configure(locale=RU_LOCALE, font=FONT)
            .configure_axis(labelFontSize=font_size, titleFontSize=font_size, grid=True, gridColor="#e4e7eb")
            .configure_legend(labelFontSize=font_size, titleFontSize=font_size, orient="bottom")
            .configure_view(strokeWidth=0))


def _y_scale(unit: str, values: list[float]) -> alt.Scale:
    if unit == "%":
        return alt.Scale(domain=[0, 100])
    top = max([v for v in values if v is not None] or [1])
    return alt.Scale(domain=[0, top * 1.15 if top > 0 else 1], nice=True)


def trend(series: list[dict], *, unit: str, target_value: float | None = None,
          expected_path: list[dict] | None = None, average_series: list[dict] | None = None,
          milestones: list[dict] | None = None, height: int = 260, title: str = "") -> alt.TopLevelMixin:
    """The group's values over periods with the target (red rule), the planned straight path
    (grey dashed) and the territory average (orange)."""
    rows = [{"Период": s["label"], "Дата": s["end"].isoformat(), "Значение": s["value"], "Ряд": "Значение"}
            for s in series if s.get("value") is not None]
    rows += [{"Период": s["label"], "Дата": s["end"].isoformat(), "Значение": s["value"],
              "Ряд": "Среднее по территории"} for s in (average_series or []) if s.get("value") is not None]
    df = pd.DataFrame(rows, columns=["Период", "Дата", "Значение", "Ряд"])
    all_values = list(df["Значение"]) + [target_value or 0] + [m["value"] for m in milestones or []]
    y = alt.Y("Значение:Q", title=unit if unit != "%" else "%", scale=_y_scale(unit, all_values),
              axis=alt.Axis(format=",.0f"))
    x = alt.X("Дата:T", title=None, axis=alt.Axis(format="%b %Y", labelAngle=0, tickCount=6))
    color = alt.Color("Ряд:N", title=None,
                      scale=alt.Scale(domain=["Значение", "Среднее по территории"], range=[LINE, AVERAGE]))
    base = alt.Chart(df)
    lines = base.mark_line(point=alt.OverlayMarkDef(size=60), strokeWidth=3).encode(
        x=x, y=y, color=color,
        tooltip=[alt.Tooltip("Период:N"), alt.Tooltip("Ряд:N"), alt.Tooltip("Значение:Q", format=",.1f")])
    layers = [lines]
    if target_value is not None:
        layers.append(alt.Chart(pd.DataFrame({"Цель": [target_value]})).mark_rule(
            color=TARGET, strokeWidth=2, strokeDash=[2, 2]).encode(y="Цель:Q"))
    if expected_path:
        ep = pd.DataFrame([{"Дата": _iso_from_t(p), "Значение": p["value"]} for p in expected_path])
        layers.append(alt.Chart(ep).mark_line(color=EXPECTED, strokeDash=[6, 4], strokeWidth=2).encode(
            x="Дата:T", y="Значение:Q"))
    if milestones:
        md = pd.DataFrame([{"Дата": _iso_from_t(m), "Значение": m["value"], "Этап": m["label"]} for m in milestones])
        layers.append(alt.Chart(md).mark_point(shape="diamond", size=140, color=TARGET, filled=True).encode(
            x="Дата:T", y="Значение:Q", tooltip=["Этап:N", alt.Tooltip("Значение:Q", format=",.1f")]))
    chart = alt.layer(*layers)
    if title:
        chart = chart.properties(title=title)
    return _finish(chart, height=height)


def sparkline(series: list[dict], *, unit: str, target_value: float | None = None,
              status: str = "no_data", height: int = 70) -> alt.TopLevelMixin:
    df = pd.DataFrame([{"Дата": s["end"].isoformat(), "Значение": s["value"], "Период": s["label"]}
                       for s in series if s.get("value") is not None], columns=["Дата", "Значение", "Период"])
    # No axis is drawn: the scale is zoomed to the values and the target so the direction shows.
    values = [v for v in list(df["Значение"]) + [target_value] if v is not None] or [0.0]
    pad = (max(values) - min(values)) * 0.15 or 1.0
    y = alt.Y("Значение:Q", axis=None, scale=alt.Scale(domain=[min(values) - pad, max(values) + pad], zero=False))
    line = alt.Chart(df).mark_line(color=STATUS_COLORS.get(status, LINE), strokeWidth=3).encode(
        x=alt.X("Дата:T", axis=None), y=y,
        tooltip=[alt.Tooltip("Период:N"), alt.Tooltip("Значение:Q", format=",.1f")])
    layers = [line]
    if target_value is not None:
        layers.append(alt.Chart(pd.DataFrame({"Цель": [target_value]})).mark_rule(
            color=TARGET, strokeDash=[2, 2]).encode(y="Цель:Q"))
    return (alt.layer(*layers).properties(height=height)
            .configure(locale=RU_LOCALE).configure_view(strokeWidth=0))


def status_matrix(matrix: pd.DataFrame, target_columns: list[str], height_per_row: int = 34) -> alt.TopLevelMixin:
    """Schools x targets heatmap: colour plus icon plus word in each cell."""
    long = matrix.melt(id_vars=["Школа"], value_vars=target_columns, var_name="Показатель",
                       value_name="status").dropna(subset=["status"])
    long["Статус"] = long["status"].map(lambda s: f"{STATUS_ICONS[s]} {STATUS_LABELS[s]}")
    order = list(matrix["Школа"])
    domain = list(STATUS_LABELS)
    base = alt.Chart(long).encode(
        x=alt.X("Показатель:N", sort=target_columns, title=None, axis=alt.Axis(labelAngle=0, labelLimit=220,
                                                                                orient="top")),
        y=alt.Y("Школа:N", sort=order, title=None))
    rect = base.mark_rect(stroke="white", strokeWidth=2).encode(
        color=alt.Color("status:N", scale=alt.Scale(domain=domain, range=[STATUS_COLORS[s] for s in domain]),
                        legend=None),
        tooltip=["Школа:N", "Показатель:N", "Статус:N"])
    text = base.mark_text(color="white", fontSize=14, fontWeight="bold").encode(text="Статус:N")
    return _finish(alt.layer(rect, text), height=max(120, height_per_row * len(order)))


def _iso_from_t(point: dict) -> str:
    if "end" in point and point["end"] is not None:
        return point["end"].isoformat()
    t = point["t"]
    year = int(t)
    from datetime import date, timedelta

    start = date(year, 1, 1)
    days = (date(year + 1, 1, 1) - start).days
    return (start + timedelta(days=round((t - year) * days) - 1)).isoformat()
