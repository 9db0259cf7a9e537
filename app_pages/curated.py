"""A curator's view: the schools they curate, each with its targets, overdue items and risks."""

from core.formatting import md_text as escape  # user text: Markdown and HTML both inert

import streamlit as st

from core import queries
from core.vocabulary import STATUS_LABELS
from ui import cache
from ui.common import demo_banner, page_for, scope, status_badge

sc = scope()
st.title("Курируемые школы")
demo_banner(cache.is_demo())
schools = queries.curated_schools(sc, cache.engine())
if not schools:
    st.info("За вашей школой не закреплены курируемые школы. Закрепления вносятся в файл дорожной карты "
            "(лист «Кураторы»).")
    st.stop()
st.caption(f"Школ: {len(schools)}. Нажмите на название, чтобы открыть страницу школы.")
school_page = page_for("school")
for r in schools:
    with st.container(border=True):
        flags = " · ".join(f for f, on in (("ШНОР", r["is_shnor"]), ("ШНСУ", r["is_shnsu"])) if on)
        left, right = st.columns([2, 3])
        with left:
            st.page_link(school_page, label=escape(r["short_name"]), icon=":material/school:", query_params={"school": str(r["id"])})
            st.caption(f"{escape(r['territory'])}" + (f" · {flags}" if flags else ""))
            st.markdown(f"**Просрочено пунктов дорожной карты:** {r['n_overdue']}  \n"
                        f"**Факторы риска:** {', '.join(r['risks']) if r['risks'] else 'не выявлены или не загружены'}")
        with right:
            if not r["targets"]:
                st.caption("Целевые показатели по школе не оцениваются.")
            for t in r["targets"]:
                st.markdown(f"{status_badge(t.evaluation.status, size=13)} {escape(t.short_name)} — "
                            f"{escape(t.rule_text)}", unsafe_allow_html=True)
            if r["statuses"]:
                st.caption(", ".join(f"{STATUS_LABELS[k].lower()}: {v}" for k, v in r["statuses"].items()))
