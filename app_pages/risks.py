"""Risk factors of a roadmap: the audit matrix schools x parameters grouped by risk group, a
school's risk profile, the activities addressing each parameter, and the parameters no activity
addresses."""

from core.formatting import md_text as escape  # user text: Markdown and HTML both inert

import streamlit as st

from core import plan_charts
from core import roadmap as rules
from ui import actions, cache
from ui.common import demo_banner, roadmap_picker, scope

sc = scope()
today = cache.today()
st.title("Факторы риска")
rm_row = roadmap_picker(sc, "risk_roadmap")
if rm_row is None:
    st.stop()
rv = actions.load(cache.risk_view, sc, rm_row.id, today)
demo_banner(rm_row.is_demo)
if rv.factors.empty:
    if sc.can_edit_roadmap:  # methodologist, administrator: they load roadmap files
        st.info("Результаты аудита факторов риска для этой дорожной карты не загружены. Внесите их на листы "
                "«Группы рисков» и «Параметры риска» файла дорожной карты и загрузите файл заново на странице "
                "«Дорожная карта» (вкладка загрузки): мероприятия и отметки о выполнении сохранятся.")
    else:
        st.info("Результаты аудита факторов риска для этой дорожной карты не загружены. Их вносит методист "
                "управления образования вместе с файлом дорожной карты — обратитесь к нему. Пока аудита нет, "
                "ход дорожной карты виден на страницах «Обзор целей» и «Дорожная карта».")
    st.stop()

with_finding = rv.schools[rv.schools["n_risks"] > 0]
uncovered = rv.uncovered
c = st.columns(4)
c[0].metric("Группы рисков", rv.factors["group_code"].nunique())
c[1].metric("Параметры", len(rv.factors))
c[2].metric("Школы с выявленными факторами", f"{len(with_finding)} из {len(rv.schools)}")
c[3].metric("Параметры без мероприятий", len(uncovered))
if not uncovered.empty:
    st.error("**Не обеспечены мероприятиями** — ни одно мероприятие дорожной карты не направлено на эти "
             "параметры:  \n" + "  \n".join(
                 f"{escape(r.code)} — {escape(r.name)}" + (f" (выявлен: {r.n_schools} шк.)" if r.n_schools else
                                                           (f" (выявлен: {escape(r.found_in_text)})" if r.found_in_text else ""))
                 for r in uncovered.itertuples()), icon=":material/report:")

st.markdown("### Матрица аудита: школы × параметры риска")
if rv.found.empty:
    st.info("Документ не указывает, в каких школах выявлен каждый фактор: матрица пуста. Параметры и "
            "мероприятия по ним — ниже.")
else:
    schools = with_finding.sort_values(["n_risks", "code"], ascending=[False, True])
    st.altair_chart(plan_charts.risk_heatmap(rv.groups, rv.factors, schools, rv.matrix()), width="stretch",
                    key="risk_heatmap")
    st.caption("Группы: " + "; ".join(f"{escape(g)} — {escape(n)}" for g, n in zip(rv.groups["code"], rv.groups["name"])) + ". "
               "● — фактор выявлен в школе по результатам аудита. Школы отсортированы по числу выявленных факторов."
               + (f" Не показаны школы без выявленных факторов: {len(rv.schools) - len(with_finding)}."
                  if len(rv.schools) > len(with_finding) else ""))
    text_found = rv.factors[(rv.factors["n_schools"] == 0) & rv.factors["found_in_text"].notna()]
    for r in text_found.itertuples():
        st.caption(f"{escape(r.code)} — выявлен: {escape(r.found_in_text)} (не школа)")


def activities_of(factor_id: int):
    acts = rv.activities[rv.activities["factor_id"] == factor_id]
    return [f"{'⚠ ' if o else ''}{n}{f' ({s})' if s else ''}. {t} — {dl or 'без срока'}, "
            f"{'просрочено' if o else rules.ACTIVITY_STATUSES.get(st_, st_)}"
            for n, s, t, dl, o, st_ in zip(acts["number"], acts["stage"], acts["title"], acts["deadline_text"],
                                           acts["overdue"], acts["status"])]


left, right = st.columns(2)
with left:
    st.markdown("### Профиль школы")
    options = list(rv.schools["id"])
    default = options.index(int(with_finding.iloc[0]["id"])) if not with_finding.empty else 0
    sid = st.selectbox("Школа", options, index=default, key="risk_school",
                       format_func=dict(zip(rv.schools["id"], rv.schools["short_name"])).get)
    mine = rv.found[rv.found["school_id"] == sid]["factor_id"].tolist()
    prof = rv.factors[rv.factors["id"].isin(mine)]
    if prof.empty:
        st.caption("По результатам аудита у школы не выявлено факторов риска этой дорожной карты.")
    for (g, gname), part in prof.groupby(["group_code", "group_name"], sort=False):
        st.markdown(f"**{escape(g)}. {escape(gname)}**")
        for r in part.itertuples():
            acts = activities_of(r.id)
            st.markdown(f"- {escape(r.code)} — {escape(r.name)}  \n" + (
                f"  <small>мероприятий: {len(acts)}</small>" if acts else "  <small>⚠ нет мероприятий</small>"),
                unsafe_allow_html=True)
with right:
    st.markdown("### Параметр и мероприятия по нему")
    fids = list(rv.factors["id"])
    fid = st.selectbox("Параметр риска", fids, key="risk_factor",
                       format_func=dict(zip(rv.factors["id"], rv.factors["code"] + " — " + rv.factors["name"].str[:80])).get)
    f = rv.factors[rv.factors["id"] == fid].iloc[0]
    where = rv.schools[rv.schools["id"].isin(rv.found[rv.found["factor_id"] == fid]["school_id"])]["short_name"].tolist()
    st.markdown(f"**{escape(f['code'])} — {escape(f['name'])}**  \nГруппа {escape(f['group_code'])}: {escape(f['group_name'])}")
    st.markdown("Выявлен: " + escape(", ".join(where) if where else (f["found_in_text"] or "школы не указаны")))
    acts = activities_of(int(fid))
    if acts:
        # one bullet per activity: the text starts with its own number, which must not start a list
        st.markdown(f"Мероприятия ({len(acts)}):\n\n" + "\n".join("- " + escape(a).replace(".", "\\.", 1) for a in acts))
    else:
        st.error("Ни одно мероприятие не направлено на этот параметр.")

if not rv.groups.empty and rv.groups[["goals", "progress_indicators"]].notna().any().any():
    st.markdown("### Группы рисков: целевые ориентиры и индикаторы")
    for r in rv.groups.itertuples():
        if r.goals or r.progress_indicators:
            with st.expander(f"{escape(r.code)}. {escape(r.name)}"):
                if r.goals:
                    st.markdown("**Целевые ориентиры**  \n" + escape(r.goals).replace("\n", "  \n"))
                if r.progress_indicators:
                    st.markdown("**Индикаторы продвижения**  \n" + escape(r.progress_indicators).replace("\n", "  \n"))
