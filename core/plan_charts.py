"""Plotly figures (graph_objects) of the roadmap and risk pages: the timeline of activities and
control points, and the audit matrix of schools x risk parameters. Plain data in, a figure out."""

from __future__ import annotations

from datetime import date, timedelta
from html import escape

import pandas as pd
import plotly.graph_objects as go

from core.formatting import chart_text, clip, natural_key


FONT = dict(family="Source Sans Pro, Arial, sans-serif", size=16, color="#102a43")
STATE_STYLE = {  # state -> (label, colour); colour plus the word in the legend and hover; Okabe–Ito hues
    "overdue": ("Просрочено", "#B34700"),  # vermillion (as «Отстаёт»)
    "planned": ("Запланировано", "#8a99ad"),
    "in_progress": ("Выполняется", "#0072B2"),  # blue
    "done": ("Выполнено", "#00785A"),  # bluish green
    "cancelled": ("Отменено", "#cfcfcf"),
}
MONTHS_SHORT = ["янв", "фев", "мар", "апр", "май", "июн", "июл", "авг", "сен", "окт", "ноя", "дек"]


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


def timeline(df: pd.DataFrame, today: date, *, height: int | None = None) -> go.Figure:
    """Activities and control points on a time axis, grouped by direction (control points first),
    coloured by state; a red line at today."""
    rows = []
    for r in df.to_dict("records"):
        bars, points = spans(r["deadline_kind"] or "", r["due_date"], tuple(r["dates"] or ()))
        if not bars and not points:
            continue
        group = _group(r)
        # category labels are rendered by Plotly as HTML (an <a href> would be a live link)
        rows.append((chart_text(group), chart_text(_label(r)), r, bars, points))
    fig = go.Figure()
    if not rows:
        return fig
    rows.sort(key=lambda x: (x[0] != "КТ", natural_key(x[0]), x[2]["position"], x[2]["stage"] or ""))
    ys = [[g for g, *_ in rows], [lab for _, lab, *_ in rows]]
    # an invisible first trace holds every row in order (multicategory axes order by first appearance)
    first = [min([a for a, _ in bars] + points) for *_, bars, points in rows]
    fig.add_trace(go.Scatter(x=first, y=ys, mode="markers", marker=dict(opacity=0), showlegend=False,
                             hoverinfo="skip"))
    for st_key, (st_label, colour) in STATE_STYLE.items():
        bx, by0, by1, bh, px, py0, py1, ph = [], [], [], [], [], [], [], []
        for g, lab, r, bars, points in rows:
            if state(r["status"], r["overdue"]) != st_key:
                continue
            full = chart_text(f"{'Контрольная точка' if r['kind'] == 'control_point' else 'Мероприятие'} "
                              f"{r['number']}: {' '.join(str(r['title']).split())[:160]}")
            hover = (f"<b>{full}</b><br>Срок: {escape(r['deadline_text'] or '—')}<br>"
                     f"Статус: {st_label.lower()}<br>Ответственные: {escape((r['responsible'] or '—')[:80])}")
            for a, b in bars:
                bx += [a, b, None]
                by0 += [g, g, None]
                by1 += [lab, lab, None]
                bh += [hover, hover, None]
            for p in points:
                px.append(p)
                py0.append(g)
                py1.append(lab)
                ph.append(hover)
        if bx:
            fig.add_trace(go.Scatter(x=bx, y=[by0, by1], mode="lines", line=dict(color=colour, width=11),
                                     name=st_label, legendgroup=st_key, hovertext=bh, hoverinfo="text"))
        if px:
            fig.add_trace(go.Scatter(x=px, y=[py0, py1], mode="markers", name=st_label, legendgroup=st_key,
                                     showlegend=not bx, marker=dict(color=colour, size=12, symbol="diamond",
                                                                    line=dict(color="white", width=1)),
                                     hovertext=ph, hoverinfo="text"))
    fig.add_shape(type="line", x0=today, x1=today, y0=0, y1=1, yref="paper", line=dict(color="#b71c1c", width=2, dash="dot"))
    fig.add_annotation(x=today, y=0, yref="paper", text=f"сегодня, {today:%d.%m.%Y}", showarrow=False,
                       yanchor="top", xanchor="right", font=dict(color="#b71c1c", size=15))
    all_dates = [d for *_, bars, points in rows for d in [x for b in bars for x in b] + points]
    lo, hi = min(all_dates + [today]), max(all_dates + [today])
    fig.update_layout(
        height=height or max(260, 26 * len(rows) + 150), margin=dict(l=10, r=10, t=40, b=30), font=FONT,
        plot_bgcolor="white", hovermode="closest",
        legend=dict(orientation="h", yanchor="bottom", y=1.04, xanchor="right", x=1, traceorder="normal"),
        xaxis=dict(type="date", range=[lo - timedelta(days=20), hi + timedelta(days=20)], gridcolor="#e4e9f0",
                   tickformat="%m.%Y", side="top"),
        yaxis=dict(type="multicategory", autorange="reversed", categoryorder="array",
                   categoryarray=list(zip(*ys)), gridcolor="#f0f3f7", tickfont=dict(size=15, color="#243b53")))
    return fig


def risk_heatmap(groups: pd.DataFrame, factors: pd.DataFrame, schools: pd.DataFrame, matrix: pd.DataFrame,
                 *, height: int | None = None) -> go.Figure:
    """Schools (rows) x risk parameters (columns, grouped by risk group): a filled red cell with a dot
    where the audit found the factor, a pale one where it did not."""
    names = dict(zip(groups["code"], groups["name"])) if not groups.empty else {}
    x = [[chart_text(f"Группа {g}") for g in factors["group_code"]], [chart_text(c) for c in factors["code"]]]
    y = [chart_text(n) for n in schools["short_name"]]  # tick labels: Plotly renders HTML
    z = matrix.loc[list(schools["id"]), list(factors["id"])].to_numpy()
    hover = [[f"<b>{s}</b><br>{escape(c)} — {escape(n[:90])}<br>Группа {escape(g)}: "
              f"{escape(names.get(g, '')[:60])}<br>{'<b>выявлен</b>' if z[i][j] else 'не выявлен'}"
              for j, (c, n, g) in enumerate(zip(factors["code"], factors["name"], factors["group_code"]))]
             for i, s in enumerate(y)]
    text = [["●" if v else "" for v in row] for row in z]
    fig = go.Figure(go.Heatmap(
        z=z, x=x, y=y, zmin=0, zmax=1, colorscale=[[0, "#eef2f7"], [1, "#c62828"]], showscale=False, xgap=2, ygap=2,
        text=text, texttemplate="%{text}", textfont=dict(color="white", size=13), hovertext=hover, hoverinfo="text"))
    fig.update_layout(
        height=height or max(260, 24 * len(y) + 150), margin=dict(l=10, r=10, t=70, b=10), font=FONT,
        plot_bgcolor="white",
        xaxis=dict(type="multicategory", side="top", tickfont=dict(size=15, color="#243b53")),
        yaxis=dict(autorange="reversed", tickfont=dict(size=15, color="#243b53")))
    return fig


def on_timeline(kind: str | None, due: date | None, dates) -> bool:
    bars, points = spans(kind or "", due, tuple(dates or ()))
    return bool(bars or points)
