"""One builder per chart kind: plain data in, an Altair chart out. Screens and reports share them.

Russian number format via a Vega locale (decimal comma, narrow no-break space groups); shares on a
0-100 axis.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

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
          milestones: list[dict] | None = None, forecast: dict | None = None, height: int = 260,
          title: str = "", font_size: int = 14) -> alt.TopLevelMixin:
    """The group's values over periods with the target (red rule), the planned straight path
    (grey dashed), the territory average (orange) and the forecast to the due period (dashed from
    the last value; `forecast` = {"end": date, "value": v})."""
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
    if forecast and rows and forecast.get("value") is not None:
        last = [r for r in rows if r["Ряд"] == "Значение"][-1]
        fd = pd.DataFrame([{"Дата": last["Дата"], "Значение": last["Значение"]},
                           {"Дата": forecast["end"].isoformat(), "Значение": forecast["value"]}])
        layers.append(alt.Chart(fd).mark_line(color=LINE, strokeDash=[3, 3], strokeWidth=2, opacity=0.8).encode(
            x="Дата:T", y="Значение:Q"))
    if milestones:
        md = pd.DataFrame([{"Дата": _iso_from_t(m), "Значение": m["value"], "Этап": m["label"]} for m in milestones])
        layers.append(alt.Chart(md).mark_point(shape="diamond", size=140, color=TARGET, filled=True).encode(
            x="Дата:T", y="Значение:Q", tooltip=["Этап:N", alt.Tooltip("Значение:Q", format=",.1f")]))
    chart = alt.layer(*layers)
    if title:
        chart = chart.properties(title=title)
    return _finish(chart, height=height, font_size=font_size)


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
    """Schools ranked by value (bars coloured by status; schools outside the target's group in light
    grey) with the target (red) and the territory average (orange) as vertical rules.
    rows: name, value, status (None: not in the target's group)."""
    df = pd.DataFrame([r for r in rows if r.get("value") is not None], columns=["name", "value", "status"])
    df["status"] = df["status"].map(lambda s: s if isinstance(s, str) else "other")
    df = df.sort_values("value", ascending=False)
    df["Статус"] = df["status"].map(lambda s: STATUS_LABELS.get(s, "не в группе цели"))
    domain = list(STATUS_LABELS) + ["other"]
    colours = [STATUS_COLORS[s] for s in STATUS_LABELS] + ["#bcccdc"]
    bars = alt.Chart(df).mark_bar().encode(
        x=alt.X("value:Q", title=unit, scale=_y_scale(unit, list(df["value"]) + [target_value or 0]),
                axis=alt.Axis(format=",.0f")),
        y=alt.Y("name:N", sort=list(df["name"]), title=None, axis=alt.Axis(labelLimit=260)),
        color=alt.Color("status:N", scale=alt.Scale(domain=domain, range=colours), legend=None),
        tooltip=[alt.Tooltip("name:N", title="Школа"), alt.Tooltip("value:Q", title="Значение", format=",.1f"),
                 alt.Tooltip("Статус:N")])
    layers = [bars]
    for val, colour in ((target_value, TARGET), (average, AVERAGE)):
        if val is not None:
            layers.append(alt.Chart(pd.DataFrame({"v": [val]})).mark_rule(color=colour, strokeWidth=2,
                                                                          strokeDash=[4, 3]).encode(x="v:Q"))
    return _finish(alt.layer(*layers), height=max(140, height_per_row * len(df)))


def distribution(values: list[float], *, unit: str, height: int = 220) -> alt.TopLevelMixin:
    """How the schools' values spread: a histogram."""
    df = pd.DataFrame({"value": [v for v in values if v is not None]})
    x_scale = alt.Scale(domain=[0, 100]) if unit == "%" else alt.Undefined
    chart = alt.Chart(df).mark_bar(color=LINE).encode(
        x=alt.X("value:Q", bin=alt.Bin(maxbins=20, extent=[0, 100] if unit == "%" else alt.Undefined),
                title=unit, scale=x_scale),
        y=alt.Y("count():Q", title="школ"))
    return _finish(chart, height=height)


def _iso_from_t(point: dict) -> str:
    if "end" in point and point["end"] is not None:
        return point["end"].isoformat()
    t = point["t"]
    year = int(t)
    from datetime import date, timedelta

    start = date(year, 1, 1)
    days = (date(year + 1, 1, 1) - start).days
    return (start + timedelta(days=round((t - year) * days) - 1)).isoformat()
