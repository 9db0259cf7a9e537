"""A curator's view: the schools they curate, each with its targets, overdue items and risks."""

from core.formatting import md_text as escape  # user text: Markdown and HTML both inert

import streamlit as st

from core import formatting as fmt
from core import school_plan
from core.vocabulary import STATUS_LABELS
from ui import cache
from ui.common import demo_banner, page_for, scope, status_badge

sc = scope()
st.title("Курируемые школы")
demo_banner(cache.is_demo())
schools = fmt.natural_sorted(cache.curated_schools(sc, cache.today()), key=lambda r: r.school.short_name)
if not schools:
    st.info("За вашей школой не закреплены курируемые школы. Закрепления вносятся в файл дорожной карты "
            "(лист «Кураторы»).")
    st.stop()
st.caption(f"Школ: {len(schools)}. Нажмите на название, чтобы открыть страницу школы.")
school_page = page_for("school")
for r in schools:
    with st.container(border=True):
        s = r.school
        flags = " · ".join(f for f, on in (("ШНОР", s.is_shnor), ("ШНСУ", s.is_shnsu)) if on)
        left, right = st.columns([2, 3])
        with left:
            st.page_link(school_page, label=escape(s.short_name), icon=":material/school:", query_params={"school": str(s.id)})
            st.caption(f"{escape(s.territory)}" + (f" · {flags}" if flags else ""))
            st.markdown(f"{school_plan.own_items_text(r.n_own, r.n_overdue_own)}  \n"
                        f"**Факторы риска:** {', '.join(r.risks) if r.risks else 'не выявлены или не загружены'}")
        with right:
            if not r.targets:
                st.caption("Целевые показатели по школе не оцениваются.")
            for t in r.targets:
                ev = t.evaluation
                expected = (f", ожидается сейчас {fmt.value(ev.expected, t.unit)}"
                            if ev.expected is not None and ev.status != "achieved" else "")
                st.markdown(f"{status_badge(ev.status, size=13)} {escape(t.short_name)}: "
                            f"**{escape(fmt.value(ev.value, t.unit))}** (цель "
                            f"{escape(fmt.goal(t.rule_text, ev.target_value, t.unit))}{escape(expected)})",
                            unsafe_allow_html=True)
            if r.statuses:
                st.caption(", ".join(f"{STATUS_LABELS[k].lower()}: {v}" for k, v in r.statuses))
