"""Overview of a roadmap's targets: one tile per target, the schools x targets matrix, trends."""

from html import escape

import streamlit as st

from core import charts
from core import formatting as fmt
from core.auth import AccessDenied
from ui import cache
from ui.common import demo_banner, scope, status_badge

sc = scope()
roadmaps = cache.roadmaps(sc)
if roadmaps.empty:
    st.title("Обзор целей")
    st.info("Нет дорожных карт, доступных вашей учётной записи.")
    st.stop()

codes = list(roadmaps["code"])
wanted = st.query_params.get("roadmap")
default = codes.index(wanted) if wanted in codes else int(roadmaps["n_targets"].gt(0).idxmax())
labels = {r.code: f"{r.territory} — {r.title[:90]}{'…' if len(r.title) > 90 else ''}"
          for r in roadmaps.itertuples()}
top = st.columns([3, 1])
code = top[0].selectbox("Дорожная карта", codes, index=default, format_func=labels.get, key="overview_roadmap")
st.query_params["roadmap"] = code
roadmap_id = int(roadmaps.loc[roadmaps["code"] == code, "id"].iloc[0])

try:
    ov = cache.overview(sc, roadmap_id, None)
except AccessDenied as exc:
    st.error(str(exc))
    st.stop()

periods = cache.periods()
ends = sorted({s["end"] for c in ov.cards for s in c.series})
as_of = ov.as_of
if ends:
    as_of = top[1].select_slider("По состоянию на", options=ends, value=ov.as_of if ov.as_of in ends else ends[-1],
                                 format_func=fmt.month_year, key="overview_as_of")
    if as_of != ov.as_of:
        ov = cache.overview(sc, roadmap_id, as_of)

rm = ov.roadmap
st.markdown(f"# {escape(rm['territory'])}")
st.caption(rm["title"] + (f" · {rm['approved_by']}" if rm.get("approved_by") else ""))
demo_banner(ov.is_demo)

if not ov.cards:
    st.info("В этой дорожной карте пока нет целевых показателей с измеримыми значениями. "
            "Их можно добавить при загрузке дорожной карты.")
    st.stop()


def tile(card) -> None:
    ev = card.evaluation
    with st.container(border=True):
        st.markdown(f'<div class="tile-title">{card.number}. {escape(card.short_name)}</div>'
                    f'{status_badge(ev.status)}', unsafe_allow_html=True)
        st.markdown(f'<div class="tile-value">{escape(fmt.value(ev.value, card.unit))}</div>'
                    f'<div class="tile-rule">Цель: <b>{escape(card.rule_text)}</b>'
                    f' → {escape(fmt.value(ev.target_value, card.unit))}</div>'
                    f'<div class="tile-meta">База: {escape(fmt.value(ev.baseline, card.unit))}'
                    f'{(" (" + escape(card.baseline_label) + ")") if card.baseline_label else ""}'
                    f' · срок: {escape(card.due_label or "—")}</div>', unsafe_allow_html=True)
        if ev.progress is not None:
            st.progress(min(max(ev.progress, 0.0), 1.0),
                        text=f"Выполнено {fmt.num(100 * ev.progress, 0)} % пути от базы к цели")
        else:
            st.caption(ev.reason)
        st.altair_chart(charts.sparkline(card.series, unit=card.unit, target_value=ev.target_value,
                                         status=ev.status), width="stretch")
        meta = f"Данные на {card.as_of_label}" if card.as_of_label else "Нет данных"
        if card.n_schools:
            meta += f" · школ выполняют: {card.n_meeting} из {card.n_schools}"
        st.markdown(f'<div class="tile-meta">{escape(meta)}</div>', unsafe_allow_html=True)


per_row = 3
for i in range(0, len(ov.cards), per_row):
    cols = st.columns(per_row)
    for col, card in zip(cols, ov.cards[i:i + per_row]):
        with col:
            tile(card)

tab_matrix, tab_trends, tab_rules = st.tabs(["Школы × цели", "Динамика", "Как считается"])
with tab_matrix:
    target_cols = [c.short_name for c in ov.cards if c.short_name in ov.matrix.columns]
    shown = ov.matrix.dropna(subset=target_cols, how="all") if target_cols else ov.matrix
    if target_cols and not shown.empty:
        st.altair_chart(charts.status_matrix(shown, target_cols), width="stretch")
        for card in ov.cards:
            if card.lagging:
                st.markdown(f"**{escape(card.short_name)}** — отстают: {escape(', '.join(card.lagging))}")
    else:
        st.info("Цели этой дорожной карты оцениваются по группе школ в целом, а не по каждой школе.")
with tab_trends:
    for card in ov.cards:
        ev = card.evaluation
        st.markdown(f"#### {card.number}. {escape(card.indicator_name)}")
        st.altair_chart(charts.trend(card.series, unit=card.unit, target_value=ev.target_value,
                                     expected_path=card.expected_path, average_series=card.average_series,
                                     milestones=card.milestones), width="stretch")
        forecast = (f"Прогноз к сроку: {fmt.value(ev.forecast, card.unit)}" if ev.forecast is not None
                    else f"Прогноз: {ev.forecast_note}")
        st.caption(f"{card.wording} · {forecast}")
with tab_rules:
    st.markdown(
        "- **Достигнут** — значение не хуже целевого.\n"
        "- **По плану** — значение не хуже ожидаемого на прямой от базы к цели в этом периоде.\n"
        "- **Под угрозой** — отставание от ожидаемого не больше четверти пути от базы к цели, "
        "или прогноз по тренду достигает цели.\n"
        "- **Отстаёт** — отставание больше, или срок прошёл, а цель не достигнута.\n"
        "- **Нет данных** — нет значения за период или нет базы для расчёта цели.\n\n"
        "Доли по группе школ считаются как отношение сумм (всего «из них» / всего), а не как среднее "
        "процентов. «+5 п.п.» — рост на 5 процентных пунктов, «+10 %» — рост на 10 % от базового значения.")
