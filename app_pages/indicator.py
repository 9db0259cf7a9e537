"""One indicator across all schools and periods: trend with the target and the path, ranking,
distribution, the table of values with numerators and denominators."""

from datetime import date
from core.formatting import md_text as escape  # user text: Markdown and HTML both inert

import pandas as pd
import streamlit as st

from core import charts, explain, figures, reports
from core import formatting as fmt
from core import vocabulary as voc
from ui import actions, cache, sources
from ui.common import chart_with_downloads, demo_banner, lazy_expander, scope, status_badge
from ui.table_fit import IN_EXPANDER_PX, fitted, natural_width

sc = scope()
roadmaps = {r.code: r for r in cache.roadmaps(sc) if r.n_targets > 0}
if not roadmaps:
    st.title("Показатель")
    st.info("Нет дорожных карт с целевыми показателями, доступных вашей учётной записи.")
    st.stop()

params = st.query_params
codes = list(roadmaps)
code = params.get("roadmap") if params.get("roadmap") in codes else codes[0]
c1, c2 = st.columns([3, 2])
code = c1.selectbox("Дорожная карта", codes, index=codes.index(code), key="ind_roadmap",
                    format_func=lambda c: f"{roadmaps[c].territory} — {roadmaps[c].title[:70]}")
params["roadmap"] = code
roadmap_id = roadmaps[code].id
try:
    as_of = date.fromisoformat(params["as_of"]) if params.get("as_of") else None
except ValueError:
    as_of = None
ov = actions.load(cache.overview, sc, roadmap_id, as_of)
ids = [c.target_id for c in ov.cards]
wanted = int(params["target"]) if str(params.get("target", "")).isdigit() else None
target_id = c2.selectbox("Целевой показатель", ids, index=ids.index(wanted) if wanted in ids else 0,
                         format_func=lambda t: next(f"{c.number}. {c.short_name}" for c in ov.cards if c.target_id == t),
                         key="ind_target")
params["target"] = str(target_id)
view = actions.load(cache.indicator_view, sc, roadmap_id, target_id, as_of)

card, ev = view.card, view.card.evaluation
st.markdown(f"## {escape(card.indicator_name)} {status_badge(ev.status)}", unsafe_allow_html=True)
st.caption(f"«{escape(card.wording)}» · {escape(ov.roadmap.territory)} · {escape(card.population_text)} · "
           f"данные на {escape(card.as_of_label or '—')}" + (f" · {escape(view.coverage)}" if view.coverage else ""))
if view.approval:
    st.caption(escape(view.approval))
demo_banner(ov.is_demo)
m = st.columns(5)
m[0].metric("Значение", fmt.value(ev.value, card.unit))
m[1].metric("Цель", fmt.value(ev.target_value, card.unit), help=card.rule_text)
m[2].metric("База", fmt.value(ev.baseline, card.unit), help=card.baseline_label)
m[3].metric("Ожидалось по плану", card.expected_text)
m[4].metric("Прогноз к сроку", fmt.value(ev.forecast, card.unit), help=f"{card.forecast_text}.")
sources.control(sc, sources.indicator_figures(ov, view), "prov_indicator", pick_label="Значение")

chart, spec = cache.figure("indicator_trend", sc, roadmap_id, target_id, as_of,
                           _build=lambda: cache.drawn(reports.target_chart(card, height=300)))
chart_with_downloads(chart, f"{card.indicator_code}_динамика", "chart_trend", spec=spec)

if view.silent:
    st.markdown(f"**Нет данных за {escape(card.as_of_label or 'период')}** "
                f"({fmt.count(len(view.silent), voc.UNIT_COUNT_FORMS[view.unit])}): "
                f"{escape(', '.join(fmt.natural_sorted(u.name for u in view.silent)))}")
if not view.current:
    st.info("За этот период нет значений по школам.")
    st.stop()
left, right = st.columns([3, 2])
with left:
    st.markdown(f"#### {voc.UNIT_PLURALS[view.unit]}: рейтинг")
    line_target = ev.target_value if card.kind in ("at_least", "at_most") else None
    chart, spec = cache.figure("indicator_ranking", sc, roadmap_id, target_id, as_of, _build=lambda: cache.drawn(
        charts.ranking([{"name": r.name, "value": r.value, "status": r.status} for r in view.current],
                       unit=card.unit, target_value=line_target, average=view.average)))
    chart_with_downloads(chart, f"{card.indicator_code}_рейтинг", "chart_rank", spec=spec)
    st.caption(charts.ranking_caption(card.unit, line_target, view.average,
                                      average_is_target=card.kind == "not_below_average"))
with right:
    st.markdown("#### Распределение")
    chart, spec = cache.figure("indicator_distribution", sc, roadmap_id, target_id, as_of, _build=lambda: cache.drawn(
        charts.distribution([r.value for r in view.current], unit=card.unit)))
    chart_with_downloads(chart, f"{card.indicator_code}_распределение", "chart_dist", spec=spec)

st.markdown("#### Значения за период")
show = ["Название", "ШНОР", "ШНСУ", "Значение"]
# counts as text with the Russian thousands separator («10 500»), right-aligned like numbers
counts = [view.denominator_label, view.numerator_label] if view.denominator_label else []
show += counts
table = pd.DataFrame([dict(zip(show + ["Статус"], [
    r.name, "shnor" in r.groups, "shnsu" in r.groups,
    "нет данных" if r.value is None else figures.school_value(r.value, card.unit, card.value_kind),
    *([fmt.num(r.denominator), fmt.num(r.numerator)] if counts else []),
    "—" if r.status is None else fmt.STATUS_TEXT.get(r.status, r.status)])) for r in view.current + view.silent],
    columns=show + ["Статус"])
number_cols = {c: st.column_config.TextColumn(c, alignment="right") for c in show[4:]}
st.dataframe(table[show + ["Статус"]].sort_values("Название", key=lambda names: names.map(fmt.natural_key)),
             hide_index=True, width="stretch",
             column_config=number_cols)
st.download_button("Значения показателя по всем школам и периодам (.xlsx)",
                   lambda: reports.measurements_xlsx(sc, roadmap_id, indicator_ids=[card.indicator_id],
                                                     engine=cache.engine()),
                   file_name=f"{card.indicator_code}.xlsx", mime=reports.XLSX_MIME, key="ind_xlsx",
                   icon=":material/table:", on_click="ignore")


def all_periods() -> None:
    """Unit × period as text: a unit without a value for a period shows «—», never NaN."""
    history: dict[str, dict[str, str]] = {}
    for r in view.history:
        history.setdefault(r.name, {})[r.label] = figures.school_value(r.value, "", card.value_kind)
    table = (pd.DataFrame.from_dict(history, orient="index")
             .reindex(index=fmt.natural_sorted(history), columns=list(view.periods)).fillna("—")
             .rename_axis("Школа").reset_index())
    # the schools' names whole, the periods share what is left
    names_px = natural_width(table, "Школа")
    config = fitted(table.drop(columns="Школа"), room_px=IN_EXPANDER_PX - names_px)
    config["Школа"] = st.column_config.Column(width=names_px)
    st.dataframe(table, hide_index=True, width="stretch", column_config=config)


lazy_expander("Все периоды", all_periods, "ind_periods")
lazy_expander("Как считается", lambda: st.markdown(explain.how_counted(sc, roadmap_id, cache.engine())), "ind_how")
