"""Charts of the roadmap and risk pages, in Vega-Lite (Altair) like every other chart: the timeline of
activities and control points, and the audit matrix of schools x risk parameters. Plain data in, a
chart out. Labels are plain text in Vega (nothing in them is rendered as HTML)."""

from __future__ import annotations

from datetime import date, timedelta
import altair as alt
import pandas as pd

from core.charts import finish
from core.formatting import clip, natural_key

ROW_PX = 26  # a row of the timeline or the matrix: readable at 16 px on a projector
TODAY = "#b71c1c"
STATE_STYLE = {  # state -> (label, colour); colour plus the word in the legend and hover; Okabe–Ito hues
    "overdue": ("Просрочено", "#B34700"),  # vermillion (as «Отстаёт»)
    "planned": ("Запланировано", "#8a99ad"),
    "in_progress": ("Выполняется", "#0072B2"),  # blue
    "done": ("Выполнено", "#00785A"),  # bluish green
    "cancelled": ("Отменено", "#cfcfcf"),
}


def state(status: str, overdue: bool) -> str:
    return "overdue" if overdue else status


def spans(kind: str, due: date | None, dates: tuple[date, ...]) -> tuple[list[tuple[date, date]], list[date]]:
    """What a deadline looks like on a timeline: bars (start, end) for a month, quarter, range or year,
    points for a date or several dates; nothing for items with no date."""
    if kind == "month" and due:
        return [(due.replace(day=1), due)], []
    if kind == "quarter" and due:
        return [(date(due.year, due.month - 2, 1), due)], []
    if kind == "range" and dates:
        return [(dates[0].replace(day=1), dates[-1])], []
    if kind == "year" and dates:
        if len(dates) == 1 and (dates[0].month, dates[0].day) == (5, 31):  # a school year
            return [(date(dates[0].year - 1, 9, 1), dates[0])], []
        if len(dates) == 1 and (dates[0].month, dates[0].day) == (8, 31):  # «2021-2022 уч. год»
            return [(date(dates[0].year - 1, 9, 1), dates[0])], []
        return [(date(dates[0].year, 1, 1), dates[-1])], []
    if kind in ("date", "multiple", "recurring") and dates:
        return [], list(dates)
    return [], []


LABEL_CHARS = 36  # a row's title on the timeline: the time axis keeps about half of a 1280 px screen


def _label(r) -> str:
    """«1.2 (2021). Мониторинг участия…»: the number (and stage) and the title cut at a word; the group
    («КТ», «Напр. 1») is the outer axis label, the full text is in the hover."""
    title = clip(" ".join(str(r["title"]).split()), LABEL_CHARS)
    stage = f" ({r['stage']})" if r.get("stage") else ""
    return f"{r['number']}{stage}. {title}"


def _group(r) -> str:
    """The outer label of a timeline row, short («КТ», «Напр. 1»): the legend-free left column costs width."""
    if r["kind"] == "control_point":
        return "КТ"
    return f"Напр. {r['direction']}" if r.get("direction") else "Прочие"


def _rows_label(labels: list[str]) -> list[str]:
    """Unique row labels for a band axis (two rows reading alike get an invisible mark apart)."""
    seen: dict[str, int] = {}
    out = []
    for lab in labels:
        n = seen.get(lab, 0)
        seen[lab] = n + 1
        out.append(lab + "\u200b" * n)
    return out


def timeline(df: pd.DataFrame, today: date, *, height: int | None = None) -> alt.TopLevelMixin | None:
    """Activities and control points on a time axis, grouped by direction (control points first),
    coloured by state (the word in the legend and the tooltip); a red line at today. None when no item
    has a date to draw. The rows' data is the chart's `data` (a DataFrame: «Группа», «Строка», «Пункт» —
    the full text shown in the tooltip — «Срок», «Статус», «Ответственные», «Начало», «Конец»)."""
    rows = []
    for r in df.to_dict("records"):
        bars, points = spans(r["deadline_kind"] or "", r["due_date"], tuple(r["dates"] or ()))
        if not bars and not points:
            continue
        rows.append((_group(r), _label(r), r, bars, points))
    if not rows:
        return None
    rows.sort(key=lambda x: (x[0] != "КТ", natural_key(x[0]), x[2]["position"], x[2]["stage"] or ""))
    names = _rows_label([f"{g} · {lab}" for g, lab, *_ in rows])
    marks = []
    for name, (g, lab, r, bars, points) in zip(names, rows):
        st_label = STATE_STYLE[state(r["status"], r["overdue"])][0]
        common = {"Группа": g, "Строка": name, "Статус": st_label,
                  "Пункт": f"{'Контрольная точка' if r['kind'] == 'control_point' else 'Мероприятие'} "
                           f"{r['number']}: {clip(' '.join(str(r['title']).split()), 160)}",
                  "Срок": r["deadline_text"] or "—", "Ответственные": clip(r["responsible"] or "—", 80)}
        marks += [dict(common, Вид="bar", Начало=a.isoformat(), Конец=b.isoformat()) for a, b in bars]
        marks += [dict(common, Вид="point", Начало=p.isoformat(), Конец=p.isoformat()) for p in points]
    data = pd.DataFrame(marks)
    all_dates = [d for *_, bars, points in rows for d in [x for b in bars for x in b] + points]
    lo, hi = min(all_dates + [today]) - timedelta(days=20), max(all_dates + [today]) + timedelta(days=20)
    present = [lab for k, (lab, _) in STATE_STYLE.items() if lab in set(data["Статус"])]
    colour = alt.Color("Статус:N", title=None, sort=present,
                       scale=alt.Scale(domain=present, range=[c for lab, c in STATE_STYLE.values() if lab in present]))
    x = alt.X("Начало:T", title=None, scale=alt.Scale(type="utc", domain=[lo.isoformat(), hi.isoformat()]),
              axis=alt.Axis(format="%m.%Y", orient="top", labelOverlap=True))
    y = alt.Y("Строка:N", title=None, sort=names, axis=alt.Axis(labelFontSize=15, labelLimit=0, labelOverlap=False))
    tooltip = [alt.Tooltip("Пункт:N"), alt.Tooltip("Срок:N"), alt.Tooltip("Статус:N"),
               alt.Tooltip("Ответственные:N")]
    base = alt.Chart(data)
    layers = [base.transform_filter(alt.FieldEqualPredicate(field="Вид", equal="bar")).mark_bar(size=12).encode(
                  x=x, x2="Конец:T", y=y, color=colour, tooltip=tooltip),
              base.transform_filter(alt.FieldEqualPredicate(field="Вид", equal="point")).mark_point(
                  shape="diamond", size=170, filled=True, opacity=1, stroke="white", strokeWidth=1).encode(
                  x=x, y=y, color=colour, tooltip=tooltip)]
    day = pd.DataFrame([{"Начало": today.isoformat(), "Подпись": f"сегодня, {today:%d.%m.%Y}"}])
    layers += [alt.Chart(day).mark_rule(color=TODAY, strokeWidth=2, strokeDash=[2, 3]).encode(x="Начало:T"),
               alt.Chart(day).mark_text(color=TODAY, fontSize=15, align="right", baseline="bottom", dx=-4,
                                        dy=-2).encode(x="Начало:T", y=alt.value(alt.expr("height")),
                                                      text="Подпись:N")]
    chart = alt.layer(*layers)
    # Streamlit fits the whole chart (axis and legend included) into the height: they get their room on top
    chart = finish(chart, height=height or len(rows) * ROW_PX + 80, font_size=16)
    chart.config.legend = alt.LegendConfig(orient="top", columns=3, labelFontSize=16, labelLimit=0, symbolType="square",
                                           symbolSize=260, labelColor="#243b53", columnPadding=24)
    chart.data = data  # not drawn (every layer has its own): what the rows are, for tests and readers
    return chart


def risk_heatmap(groups: pd.DataFrame, factors: pd.DataFrame, schools: pd.DataFrame, matrix: pd.DataFrame,
                 *, height: int | None = None) -> alt.TopLevelMixin:
    """Schools (rows) x risk parameters (columns, in their groups' order): a filled red cell with a dot
    where the audit found the factor, a pale one where it did not; the tooltip names the school, the
    parameter, its group and the finding."""
    names = dict(zip(groups["code"], groups["name"])) if not groups.empty else {}
    school_names = _rows_label([str(n) for n in schools["short_name"]])
    codes = [str(c) for c in factors["code"]]
    z = matrix.loc[list(schools["id"]), list(factors["id"])].to_numpy()
    cells = [{"Школа": s, "Код": c, "Параметр": f"{c} — {clip(str(n), 90)}",
              "Группа": f"{g}: {clip(names.get(g, ''), 60)}".rstrip(": "),
              "Результат": "выявлен" if z[i][j] else "не выявлен", "Знак": "●" if z[i][j] else ""}
             for i, s in enumerate(school_names)
             for j, (c, n, g) in enumerate(zip(codes, factors["name"], factors["group_code"]))]
    data = pd.DataFrame(cells)
    x = alt.X("Код:N", title="Параметры риска (код: группа.номер)", sort=codes,
              axis=alt.Axis(orient="top", labelAngle=0, labelFontSize=15))
    y = alt.Y("Школа:N", title=None, sort=school_names, axis=alt.Axis(labelFontSize=15, labelLimit=0,
                                                                      labelOverlap=False))
    tooltip = [alt.Tooltip("Школа:N"), alt.Tooltip("Параметр:N"), alt.Tooltip("Группа:N"),
               alt.Tooltip("Результат:N")]
    base = alt.Chart(data)
    chart = alt.layer(
        base.mark_rect(stroke="white", strokeWidth=2).encode(
            x=x, y=y, tooltip=tooltip,
            color=alt.Color("Результат:N", legend=None,
                            scale=alt.Scale(domain=["выявлен", "не выявлен"], range=["#c62828", "#eef2f7"]))),
        base.mark_text(color="white", fontSize=13).encode(x=x, y=y, text="Знак:N", tooltip=tooltip))
    return finish(chart, height=height or len(school_names) * ROW_PX + 60, font_size=16)


def on_timeline(kind: str | None, due: date | None, dates) -> bool:
    bars, points = spans(kind or "", due, tuple(dates or ()))
    return bool(bars or points)
