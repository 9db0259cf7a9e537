"""What the pages say about a figure beyond its value: «Откуда это число» (core.provenance) and the
approval it was frozen by (core.approval). Pages call these; the rules and the SQL are in core."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import streamlit as st

from core import provenance
from core import formatting as fmt
from core import vocabulary as voc
from core.auth import AccessDenied
from core.formatting import md_text as escape
from core.targets.evaluation import Subject
from ui import cache

LABEL = "Откуда это число"
VISIT_KEY = "_previous_visit"


@dataclass(frozen=True)
class Figure:
    """A figure the user can ask about: how it is named in the picker, and what core needs."""

    label: str
    target_id: int
    subject: Subject
    period_id: int | None
    unit: str


def previous_visit():
    """The user's previous visit (recorded once per browser session)."""
    state = st.session_state
    if VISIT_KEY not in state:
        from ui.common import scope

        state[VISIT_KEY] = provenance.record_visit(scope().user_id, cache.engine())
    return state[VISIT_KEY]


def control(sc, figures: list[Figure], key: str, *, pick_label: str = "Число") -> None:
    """The «Откуда это число» button; its content (one figure's sources, the picker when there are
    several) is read only while it is open."""
    since = previous_visit()
    if not figures:
        return
    pop = st.popover(LABEL, icon=":material/manage_search:", key=key, on_change="rerun", width="stretch",
                     type="tertiary",  # a line across the page: the table it opens has its width
                     help="Значения школ, из которых сложено число: загрузка, кто и когда внёс, что заменено и почему")
    if not pop.open:
        return
    with pop:
        fig = figures[0]
        if len(figures) > 1:
            i = st.selectbox(pick_label, range(len(figures)), format_func=lambda k: figures[k].label,
                             key=f"{key}_pick")
            fig = figures[i]
        else:
            st.markdown(f"**{escape(fig.label)}**")
        try:
            prov = provenance.sources(sc, fig.target_id, fig.subject, fig.period_id, since=since,
                                      engine=cache.engine())
        except AccessDenied as exc:
            st.error(escape(str(exc)))
            return
        show_sources(sc, prov, fig.unit, key)


def tile_marks(sc, ov) -> dict:
    """{target id: provenance.Changed} for the overview's tiles: values changed since the period's
    last approval or the user's previous visit."""
    try:
        return provenance.changed(sc, ov.roadmap.territory_id, [(c.target_id, c.period_id) for c in ov.cards],
                                  previous_visit(), cache.engine())
    except AccessDenied:
        return {}


def change_mark(changed) -> str:
    """HTML for a tile: «⚑ изменено после утверждения …» (see «Откуда это число»)."""
    if changed is None:
        return ""
    return f'<div class="tile-meta" title="Подробности — «{LABEL}»">{escape(changed.text)}</div>'


def show_sources(sc, prov: provenance.Provenance, unit: str, key: str) -> None:
    periods = [x for x in (prov.period_label, prov.baseline_label and f"база — {prov.baseline_label}") if x]
    st.caption(f"{escape(prov.indicator)}: значения за {escape(', '.join(periods) or '—')}. "
               + (f"Период утверждён {fmt.moment_day(prov.last_approval)}. " if prov.last_approval else "")
               + (f"Ваш прошлый визит: {fmt.moment(prov.since)}." if prov.since else ""))
    if not prov.rows:
        st.info("Значений нет.")
        return
    rows = fmt.natural_sorted(prov.rows, key=lambda r: r.school)
    if prov.subject.kind == "school":  # one school's few values: lines that read on a phone too
        st.markdown("\n".join(f"- {source_line(r, unit)}" for r in rows))
    else:
        _table(rows, unit, key)
    if prov.changed:
        st.warning(f"Изменено после утверждения или вашего прошлого визита: {len(prov.changed)} "
                   f"{fmt.plural(len(prov.changed), ('значение', 'значения', 'значений'))} (отмечены ⚑).")
    files = {}
    for r in rows:
        if r.downloadable and r.upload_id is not None:
            files.setdefault(r.upload_id, r)
    for upload_id, r in sorted(files.items()):
        st.download_button(f"Исходный файл: {r.kind} № {upload_id}",
                           lambda u=upload_id: provenance.original_file(sc, u, cache.engine())[1],
                           file_name=provenance.download_name(r), key=f"{key}_file_{upload_id}",
                           icon=":material/download:", on_click="ignore")


# ---------------------------------------------------------------------------------------------
# Approved figures
# ---------------------------------------------------------------------------------------------
def _table(rows, unit: str, key: str) -> None:
    table = pd.DataFrame([provenance.cells(r, unit) + ["⚑ " + "; ".join(r.marks) if r.marks else ""] for r in rows],
                         columns=provenance.HEAD + ["Отметка"])
    wide = {c: st.column_config.TextColumn(width="medium") for c in provenance.HEAD[3:5] + provenance.HEAD[6:]}
    st.dataframe(table, hide_index=True, width="stretch", key=f"{key}_table", column_config=wide)


def source_line(r: provenance.Source, unit: str) -> str:
    """One value as a Markdown line: «**III кв. 2024: 75 % (30 из 40)** — исправление № 6, Методист, 06.12.2026
    10:15; заменило 63,2 %; причина: …»."""
    school, period, value, source, who, replaced, reason = provenance.cells(r, unit)
    parts = [f"**{escape(period)}: {escape(value)}**"]
    if r.value is not None:
        parts.append(escape(source) + (f", {escape(who)}" if who != "—" else ""))
    text_ = " — ".join(parts)
    if r.replaced is not None:
        text_ += f"; заменило {escape(replaced)}"
    if r.reason:
        text_ += f"; причина: {escape(reason)}"
    if r.marks:
        text_ += " · ⚑ " + escape("; ".join(r.marks))
    return text_


def approval_tile_line(approved, unit: str, css: str = "tile-meta") -> str:
    """HTML for a tile whose figure was approved and whose basis changed since: a short mark, the
    whole note in the tooltip, and today's figure."""
    if approved is None or not approved.changed:
        return ""
    t = approved.today
    return (f'<div class="{css}" title="{escape(approved.changes_text())}">⚠ Изменено после утверждения; сейчас '
            f'{escape(fmt.value(t.value, unit))} — «{escape(voc.STATUS_LABELS[t.status])}»</div>')


def approval_notes(items) -> None:
    """Under the tiles / the table: for the approved figures whose targets, schools or roadmap changed
    since, what changed (when, by whom) — once for what concerns them all — and each figure by
    today's rules. `items`: (name, Approved or None, unit)."""
    changed = [(name, a, unit) for name, a, unit in items if a is not None and a.changed]
    if not changed:
        return
    common = set.intersection(*[set(a.changes) for _, a, _ in changed])
    first = changed[0][1]
    lines = [f"Значения {escape(first.label)} (данные за {escape(first.quarter_label)}); с утверждения изменилось: "
             + escape("; ".join(c.sentence() for c in first.changes if c in common)) + "." if common else
             f"Значения {escape(first.label)} (данные за {escape(first.quarter_label)})."]
    for name, a, unit in changed:
        own = "; ".join(c.sentence() for c in a.changes if c not in common)
        lines.append(f"**{escape(name)}**: " + (f"{escape(own)}. " if own else "") + escape(a.today_text(unit)) + ".")
    st.warning("  \n".join(lines), icon=":material/history:")


# ---------------------------------------------------------------------------------------------
# The figures of each screen
# ---------------------------------------------------------------------------------------------
def _named(name: str, ev, unit: str) -> str:
    return f"{name}: {fmt.value(ev.value, unit)}"


def tile_figures(ov) -> list[Figure]:
    """The overview's tiles: each target on the roadmap's territory (its group of schools)."""
    top = Subject.territory(ov.roadmap.territory_id)
    return [Figure(_named(f"{c.number}. {c.short_name}", c.evaluation, c.unit), c.target_id, top, c.period_id, c.unit)
            for c in ov.cards]


def matrix_figures(ov) -> list[Figure]:
    """The matrix's cells: each unit (school or member territory) × each target judged per unit."""
    cards = {c.target_id: c for c in ov.cards if c.target_id in ov.matrix_targets}
    kind = "school" if ov.unit == "school" else "territory"
    out = []
    for row in fmt.natural_sorted(ov.rows, key=lambda r: r.name):
        for tid, c in cards.items():
            res = row.cells.get(tid)
            if res is not None:
                out.append(Figure(_named(f"{row.name} — {c.column}", res.evaluation, c.unit), tid,
                                  Subject(kind, row.unit_id), res.period_id, c.unit))
    return out


def school_figures(view) -> list[Figure]:
    """A school page's rows: each of the school's targets on the school."""
    subject = Subject.school(view.school.id)
    return [Figure(_named(t.short_name, t.evaluation, t.unit), t.target_id, subject, t.result.period_id, t.unit)
            for t in view.targets]


def indicator_figures(ov, view) -> list[Figure]:
    """The indicator page: the group's figure, then each unit's value at the period judged."""
    card = view.card
    out = [Figure(_named(f"{card.short_name} — {ov.roadmap.territory}", card.evaluation, card.unit), card.target_id,
                  Subject.territory(ov.roadmap.territory_id), card.period_id, card.unit)]
    row_of = {r.unit_id: r for r in ov.rows}
    kind = "school" if view.unit == "school" else "territory"
    for u in fmt.natural_sorted(view.current, key=lambda u: u.name):
        res = row_of.get(u.unit_id) and row_of[u.unit_id].cells.get(card.target_id)
        if kind == "school" and res is None:
            continue  # not in the target's group: not behind any figure of the target
        out.append(Figure(f"{u.name}: {fmt.value(u.value, card.unit)}", card.target_id, Subject(kind, u.unit_id),
                          card.period_id, card.unit))
    return out
