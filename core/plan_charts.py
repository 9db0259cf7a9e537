"""Charts of the roadmap and risk pages: the timeline of activities and control points, and the audit
matrix of schools x risk parameters. Plain data in, a chart out.

The matrix is Vega-Lite (Altair) like every other chart; its labels are plain text in Vega. The timeline
is plain HTML and CSS, no script (like the overview's tiles with their SVG sparklines): it is the roadmap
page's first screen, and Vega cost it a sixth of a fresh browser's CPU and a quarter of the wait for the
first drawing (docs/design.md, «Charts»). Its user text is escaped."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import altair as alt
import pandas as pd

from core.charts import finish
from core.formatting import clip, md_text, natural_key, one_line

ROW_PX = 26  # a row of the timeline or the matrix: readable at 16 px on a projector
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


LABEL_CHARS = 90  # a row's title on the timeline; the label column (40 % of the width) cuts it with «…»


def _label(r) -> str:
    """«1.2 (2021). Мониторинг участия…»: the number (and stage) and the title cut at a word; the group
    («КТ», «Напр. 1») is shown before it, the full text is in the hover."""
    stage = f" ({r['stage']})" if r.get("stage") else ""
    return one_line(f"{r['number']}{stage}. {clip(one_line(r['title']), LABEL_CHARS)}")


def _group(r) -> str:
    """A timeline row's group, short («КТ», «Напр. 1»): it is shown before each label."""
    if r["kind"] == "control_point":
        return "КТ"
    return one_line(f"Напр. {r['direction']}") if r.get("direction") else "Прочие"


def _rows_label(labels: list[str]) -> list[str]:
    """Unique row labels for the matrix's band axis (two schools reading alike get an invisible mark apart)."""
    seen: dict[str, int] = {}
    out = []
    for lab in labels:
        n = seen.get(lab, 0)
        seen[lab] = n + 1
        out.append(lab + "\u200b" * n)
    return out


@dataclass(frozen=True)
class Timeline:
    """The roadmap's timeline: one row of `data` a mark (a bar or a point) — «Ряд» (the row's number, from 0),
    «Группа» («КТ», «Напр. 1»), «Подпись» (the row's label), «Пункт» (the full text, for the hover), «Срок»,
    «Статус», «Ответственные», «Вид» (bar/point), «Начало», «Конец» (ISO dates) — rows in their order, every
    text on one line; the time axis from `lo` to `hi`; a line at `today`."""
    data: pd.DataFrame
    lo: date
    hi: date
    today: date

    def pos(self, d: date | str) -> float:
        """Where a day falls on the axis, in % of its width."""
        d = date.fromisoformat(d) if isinstance(d, str) else d
        return round(100 * (d - self.lo).days / max((self.hi - self.lo).days, 1), 3)

    def ticks(self) -> list[date]:
        """The axis's month ticks: first days of months, every 1, 2, 3, 6 or 12 months or a multiple of 12,
        at most 8 (a year typed 2204 for 2024 must not smear the axis)."""
        months = (self.hi.year - self.lo.year) * 12 + self.hi.month - self.lo.month
        step = next((m for m in (1, 2, 3, 6, 12) if months / m <= 8), 12 * -(-months // 96))
        out: list[date] = []
        y, m = self.lo.year, self.lo.month
        while True:
            m += 1
            if m > 12:
                y, m = y + 1, 1
            if date(y, m, 1) > self.hi:
                return out
            if (y * 12 + m - 1) % step == 0:
                out.append(date(y, m, 1))

    def html(self) -> str:
        """The timeline as HTML (one line, no script): rows of a label and a track with bars and diamonds, a
        month axis on top, the legend (colour plus word), a dashed red line at today; each mark's and label's
        hover (`title`) holds the item's full text, deadline, state and responsible, a line each. Every user
        text escaped. Its width follows the page's, the text stays 15 px; on a phone three month labels at
        most. Its look: ui/theme.py, TIMELINE."""
        colours = {lab: c for lab, c in STATE_STYLE.values()}
        present = [lab for lab, _ in STATE_STYLE.values() if lab in set(self.data["Статус"])]
        legend = "".join(f'<span class="tl-key"><i style="background:{colours[lab]}"></i>{lab}</span>'
                         for lab in present)
        ticks = self.ticks()
        every = -(-len(ticks) // 3)  # a phone's track has room for three month labels
        head = "".join(f'<span class="{_edge(self.pos(t))}{" phone-hide" if i % every else ""}" '
                       f'style="left:{self.pos(t)}%">{t:%m.%Y}</span>' for i, t in enumerate(ticks))
        now = self.pos(self.today)
        grid = "".join(f'<i style="left:{self.pos(t)}%"></i>' for t in ticks)
        grid += f'<i class="tl-now" style="left:{now}%"></i>'
        rows, group = [], None
        one_group = self.data["Группа"].nunique() == 1  # «Прочие» before every row says nothing
        for _, marks in self.data.groupby("Ряд", sort=True):
            first = marks.iloc[0]
            hover = "&#10;".join(md_text(x) for x in (first["Пункт"], f"Срок: {first['Срок']}",
                                                      f"Статус: {first['Статус']}",
                                                      f"Ответственные: {first['Ответственные']}"))
            drawn = "".join(
                f'<span class="tl-bar" style="left:{self.pos(m["Начало"])}%;'
                f'width:{round(self.pos(m["Конец"]) - self.pos(m["Начало"]), 3)}%;background:{colours[m["Статус"]]}" '
                f'title="{hover}"></span>' if m["Вид"] == "bar" else
                f'<span class="tl-pt" style="left:{self.pos(m["Начало"])}%;background:{colours[m["Статус"]]}" '
                f'title="{hover}"></span>' for m in marks.to_dict("records"))
            rows.append(f'<div class="tl-row{" tl-first" if first["Группа"] != group else ""}">'
                        f'<div class="tl-lab" title="{hover}">'
                        + ("" if one_group else f'<b>{md_text(first["Группа"])}</b> ')
                        + f'{md_text(first["Подпись"])}</div><div class="tl-track">{drawn}</div></div>')
            group = first["Группа"]
        side = "tl-right" if now > 50 else ""  # the label reads away from the line, into the wider side
        return (f'<div class="tl"><div class="tl-legend">{legend}</div>'
                f'<div class="tl-head"><div></div><div class="tl-track">{head}</div></div>'
                f'<div class="tl-body"><div class="tl-grid">{grid}</div>{"".join(rows)}</div>'
                f'<div class="tl-foot"><div></div><div class="tl-track"><span class="{side}" style="left:{now}%">'
                f'сегодня, {self.today:%d.%m.%Y}</span></div></div></div>')


def _edge(x: float) -> str:
    """A month label at the axis's ends is aligned inwards (centred, it would be cut at the page's edge)."""
    return "tl-end" if x > 95 else "tl-start" if x < 5 else ""


def timeline(df: pd.DataFrame, today: date) -> Timeline | None:
    """Activities and control points on a time axis, grouped by direction (control points first),
    coloured by state (the word in the legend and the hover); None when no item has a date to draw."""
    rows = []
    for r in df.to_dict("records"):
        bars, points = spans(r["deadline_kind"] or "", r["due_date"], tuple(r["dates"] or ()))
        if not bars and not points:
            continue
        rows.append((_group(r), _label(r), r, bars, points))
    if not rows:
        return None
    rows.sort(key=lambda x: (x[0] != "КТ", natural_key(x[0]), x[2]["position"], x[2]["stage"] or ""))
    marks = []
    for n, (g, lab, r, bars, points) in enumerate(rows):
        common = {"Ряд": n, "Группа": g, "Подпись": lab, "Статус": STATE_STYLE[state(r["status"], r["overdue"])][0],
                  "Пункт": f"{'Контрольная точка' if r['kind'] == 'control_point' else 'Мероприятие'} "
                           f"{one_line(r['number'])}: {clip(one_line(r['title']), 160)}",
                  "Срок": one_line(r["deadline_text"] or "—"),
                  "Ответственные": clip(one_line(r["responsible"] or "—"), 80)}
        marks += [dict(common, Вид="bar", Начало=a.isoformat(), Конец=b.isoformat()) for a, b in bars]
        marks += [dict(common, Вид="point", Начало=p.isoformat(), Конец=p.isoformat()) for p in points]
    all_dates = [d for *_, bars, points in rows for d in [x for b in bars for x in b] + points]
    lo, hi = min(all_dates + [today]) - timedelta(days=20), max(all_dates + [today]) + timedelta(days=20)
    return Timeline(pd.DataFrame(marks), lo, hi, today)


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
