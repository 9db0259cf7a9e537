"""A school's page: each target for this school against its own target and the territory average."""

from datetime import date

import streamlit as st

from core.formatting import md_text as escape  # user text: Markdown and HTML both inert

from core import charts, reports
from core import formatting as fmt
from core.auth import AccessDenied
from ui import cache
from ui.common import chart_with_downloads, demo_banner, scope, status_badge

sc = scope()
schools = cache.schools(sc)
if schools.empty:
    st.title("Школа")
    st.info("Вашей учётной записи не назначена ни одна школа. Обратитесь к администратору.")
    st.stop()

ids = [int(x) for x in schools["id"]]
wanted = st.query_params.get("school")
if wanted is not None and (not wanted.isdigit() or int(wanted) not in ids):
    # A school outside the user's scope asked for by URL: core refuses it and writes the audit log.
    try:
        cache.school_view(sc, int(wanted) if wanted.isdigit() else -1)
    except AccessDenied as exc:
        st.error(f"{exc}. Показана доступная вам школа.")
    del st.query_params["school"]  # refused once, logged once
    wanted = None
if sc.role == "principal":
    school_id = sc.own_school_id
else:
    names = {int(r.id): f"{r.short_name} — {r.territory}" for r in schools.itertuples()}
    default = ids.index(int(wanted)) if wanted else 0
    school_id = st.selectbox("Школа", ids, index=default, format_func=names.get, key="school_pick")
    st.query_params["school"] = str(school_id)

try:  # «по состоянию на» from the overview's link (?as_of=), else today
    as_of = date.fromisoformat(st.query_params["as_of"]) if st.query_params.get("as_of") else None
except ValueError:
    as_of = None
try:
    view = cache.school_view(sc, int(school_id), as_of)
except AccessDenied as exc:
    st.error(str(exc))
    st.stop()

s = view.school
flags = [x for x, on in (("ШНОР", s["is_shnor"]), ("ШНСУ", s["is_shnsu"]), ("школа-лидер", s["is_leader"])) if on]
st.markdown(f"# {escape(s['short_name'])}")
st.caption(f"{escape(s['name'])} · {escape(s['territory'])}" + (f" · {', '.join(flags)}" if flags else ""))
demo_banner(bool(s["is_demo"]) or cache.is_demo())
if view.curators:
    st.markdown(f"**Куратор:** {escape(', '.join(view.curators))}")
if view.curated:
    st.markdown(f"**Курирует:** {escape(', '.join(view.curated))}")
for g in view.groups:
    st.markdown(f"**Группа школ дорожной карты:** {escape(g)}")

st.download_button("Карточка школы (.docx)", lambda: reports.school_card(sc, int(school_id), engine=cache.engine()),
                   file_name=f"карточка_{s['code']}.docx", mime=reports.DOCX_MIME, key="school_card",
                   icon=":material/download:")
if not view.targets:
    st.info("Для этой школы нет целевых показателей, которые оцениваются по каждой школе.")
    st.stop()

table = [{
    "Показатель": t.short_name,
    "Значение": fmt.value(t.evaluation.value, t.unit),
    "Цель школы": fmt.goal(t.rule_text, t.evaluation.target_value, t.unit),
    "База": fmt.value(t.evaluation.baseline, t.unit),
    "Среднее по территории": fmt.value(t.average, t.unit),
    "Статус": f"{t.evaluation.label}",
    "Период": t.as_of_label or "—",
} for t in view.targets]
st.table(table, hide_index=True)  # an HTML table: prints cleanly from the browser

for t in view.targets:
    ev = t.evaluation
    with st.container(border=True):
        st.markdown(f"#### {escape(t.indicator_name)} {status_badge(ev.status, size=15)}", unsafe_allow_html=True)
        st.caption(f"{escape(fmt.clip(t.roadmap_title, 120))} · цель {t.number}: {escape(t.rule_text)} · "
                   f"{escape(ev.reason)}"
                   + (f" · прогноз к сроку {fmt.value(ev.forecast, t.unit)} ({escape(t.forecast_basis)})"
                      if ev.forecast is not None and t.forecast_basis else ""))
        chart_with_downloads(charts.trend(t.series, unit=t.unit, target_value=ev.target_value,
                                          expected_path=t.expected_path, average_series=t.average_series, height=220),
                             f"{s['code']}_{t.short_name}", f"school_chart_{t.number}_{t.roadmap_title[:8]}")

st.markdown("### Факторы риска (по результатам аудита)")
if view.risks.empty:
    st.caption("Для школы не загружены результаты аудита факторов риска.")
else:
    for (gcode, gname), grp in view.risks.groupby(["group_code", "group_name"], sort=False):
        st.markdown(f"**{escape(gcode)}. {escape(gname)}**  \n" +
                    "  \n".join(f"{escape(r.code)} — {escape(r.name)}" for r in grp.itertuples()))

st.markdown("### Мероприятия и контрольные точки")
acts = view.activities
if acts.empty:
    st.caption("В дорожных картах территории нет мероприятий и контрольных точек.")
else:
    n_over = int(acts["overdue"].sum())
    if n_over:
        st.error(f"Просрочено: {n_over}", icon=":material/schedule:")
    table = acts.assign(
        Срок=acts["deadline_text"].fillna("—"),
        Статус=[("⚠ просрочено" if o else s) for o, s in zip(acts["overdue"], acts["status_text"])],
    ).rename(columns={"kind": "Что", "number": "№", "title": "Содержание", "responsible": "Ответственный"})
    st.dataframe(table[["Статус", "Срок", "Что", "№", "Содержание", "Ответственный"]], hide_index=True,
                 width="stretch")
