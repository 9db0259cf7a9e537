"""Overview of a roadmap's targets for the projector: one tile per target, the status matrix,
trends; meeting mode shows one target per slide and advances by itself."""

import time
from datetime import date
from html import escape

import streamlit as st

from core import charts, cycle
from core import formatting as fmt
from core import vocabulary as voc
from core.auth import AccessDenied
from core.settings import get_settings
from ui import cache, shell
from ui.common import chart_with_downloads, demo_banner, page_for, scope, status_badge, status_table

MEETING_CSS = """<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stHeader"],
[data-testid="stToolbar"], [data-testid="stDecoration"] { display: none !important; }
.block-container { padding-top: 1rem !important; max-width: 100% !important; }
.slide-title { font-size: 2.6rem; font-weight: 800; line-height: 1.15; color: #102a43 }
.slide-value { font-size: 5.5rem; font-weight: 800; line-height: 1; color: #102a43 }
.slide-rule { font-size: 1.8rem; color: #243b53 }
.slide-meta { font-size: 1.35rem; color: #334e68 }
</style>"""
INTERVALS = [10, 20, 30, 60]

sc = scope()
roadmaps = cache.roadmaps(sc)
if roadmaps.empty:
    st.title("Обзор целей")
    st.info("Нет дорожных карт, доступных вашей учётной записи.")
    st.stop()

params = st.query_params
meeting = params.get("meeting") == "1"
codes = list(roadmaps["code"])
wanted = params.get("roadmap")
default = codes.index(wanted) if wanted in codes else int(roadmaps["n_targets"].gt(0).idxmax())
labels = {r.code: f"{r.territory} — {r.title[:90]}{'…' if len(r.title) > 90 else ''}" for r in roadmaps.itertuples()}

try:
    as_of_param = date.fromisoformat(params["as_of"]) if params.get("as_of") else None
except ValueError:
    as_of_param = None

if not meeting:
    top = st.columns([5, 2, 1.3])
    code = top[0].selectbox("Дорожная карта", codes, index=default, format_func=labels.get, key="overview_roadmap")
else:
    code = codes[default]
params["roadmap"] = code
roadmap_id = int(roadmaps.loc[roadmaps["code"] == code, "id"].iloc[0])

try:
    ov = cache.overview(sc, roadmap_id, None)
except AccessDenied as exc:
    st.error(str(exc))
    st.stop()
ends = sorted({s["end"] for c in ov.cards for s in c.series if s["value"] is not None})
as_of = as_of_param if as_of_param in ends else ov.as_of
if not meeting and ends:
    as_of = top[1].select_slider("По состоянию на", options=ends, value=as_of if as_of in ends else ends[-1],
                                 format_func=fmt.month_year, key="overview_as_of")
if as_of != ov.as_of:
    ov = cache.overview(sc, roadmap_id, as_of)
as_of = ov.as_of
# The cut is in the URL when it is not "the latest", and always in meeting mode (frozen for the meeting).
if as_of is not None and (meeting or (ends and as_of != ends[-1])):
    params["as_of"] = as_of.isoformat()
elif "as_of" in params:
    del params["as_of"]

rm = ov.roadmap


def rule_line(card) -> str:
    ev = card.evaluation
    return (f"Цель: <b>{escape(card.rule_text)}</b> → {escape(fmt.value(ev.target_value, card.unit))}")


def meta_line(card) -> str:
    ev = card.evaluation
    base = f"База: {fmt.value(ev.baseline, card.unit)}" + (f" ({card.baseline_label})" if card.baseline_label else "")
    return escape(f"{base} · срок: {card.due_label or '—'}")


APPROVALS = cache.approvals(rm["territory_id"], tuple(sorted({p for p in map(cycle.card_period_id, ov.cards) if p})))


def schools_line(card) -> str:
    text = f"Данные на {card.as_of_label}" if card.as_of_label else "Нет данных"
    if card.as_of_label:
        text += f" ({cycle.short_note(APPROVALS.get(cycle.card_period_id(card)))})"
    if card.n_schools:
        text += f" · школ выполняют: {card.n_meeting} из {card.n_schools}"
    return escape(text)


def progress_text(card) -> str | None:
    p = card.evaluation.progress
    return None if p is None else f"Пройдено {fmt.num(100 * p, 0)} % пути от базы к цели"


def trend_chart(card, height: int, font_size: int = 14):
    ev = card.evaluation
    forecast = {"end": card.due_end, "value": ev.forecast} if ev.forecast is not None and card.due_end else None
    return charts.trend(card.series, unit=card.unit, target_value=ev.target_value, expected_path=card.expected_path,
                        average_series=card.average_series, milestones=card.milestones, forecast=forecast,
                        height=height, font_size=font_size)


# ---------------------------------------------------------------------------------------------
# Meeting mode: one target per slide
# ---------------------------------------------------------------------------------------------
if meeting:
    st.markdown(MEETING_CSS, unsafe_allow_html=True)
    cards = ov.cards
    if not cards:
        st.info("В этой дорожной карте нет целевых показателей.")
        st.stop()
    every = int(params.get("every", 20)) if str(params.get("every", "20")).isdigit() else 20
    state = st.session_state
    state.setdefault("slide", 0)
    state.setdefault("slide_at", time.time())
    state.setdefault("slide_playing", True)

    def go(step: int) -> None:
        state["slide"] = (state["slide"] + step) % len(cards)
        state["slide_at"] = time.time()

    def exit_meeting() -> None:
        del st.query_params["meeting"]

    c = st.columns([1, 1, 1, 1.4, 6])
    c[0].button("◀ Назад", on_click=go, args=(-1,), shortcut="left", key="slide_prev")
    c[1].button("Вперёд ▶", on_click=go, args=(1,), shortcut="right", key="slide_next")
    playing = c[2].toggle("Авто", key="slide_playing", help=f"Сам переходит к следующей цели каждые {every} с")
    c[3].button("Выйти", on_click=exit_meeting, key="slide_exit", shortcut="escape")
    c[4].markdown(f'<div class="slide-meta" style="text-align:right">{escape(rm["territory"])} · '
                  f'данные на {escape(ov.as_of_label or "—")}'
                  f'{" · демонстрационные данные" if ov.is_demo else ""}</div>', unsafe_allow_html=True)

    @st.fragment(run_every=every if playing else None)
    def slide() -> None:
        shell.fragment_guard()  # a revoked session stops here; fresh data version
        if playing and time.time() - state["slide_at"] >= every - 0.5:
            go(1)
        card = cards[state["slide"] % len(cards)]
        ev = card.evaluation
        left, right = st.columns([2, 3])
        with left:
            st.markdown(f'<div class="slide-meta">Цель {card.number} из {len(cards)}</div>'
                        f'<div class="slide-title">{escape(card.short_name)}</div>'
                        f'<div style="margin:14px 0">{status_badge(ev.status, size=30)}</div>'
                        f'<div class="slide-value">{escape(fmt.value(ev.value, card.unit))}</div>'
                        f'<div class="slide-rule">{rule_line(card)}</div>'
                        f'<div class="slide-meta">{meta_line(card)}</div>'
                        f'<div class="slide-meta">{schools_line(card)}</div>', unsafe_allow_html=True)
            if ev.progress is not None:
                st.progress(min(max(ev.progress, 0.0), 1.0), text=progress_text(card))
            if card.coverage:
                st.markdown(f'<div class="slide-meta">{escape(card.coverage.capitalize())}'
                            + (f' · нет данных: {escape(", ".join(card.missing[:6]))}'
                               f'{" и др." if len(card.missing) > 6 else ""}' if card.missing else "")
                            + '</div>', unsafe_allow_html=True)
            if card.coverage:
                st.markdown(f'<div class="slide-meta">{escape(card.coverage.capitalize())}'
                            + (f' · нет данных: {escape(", ".join(card.missing[:6]))}'
                               f'{" и др." if len(card.missing) > 6 else ""}' if card.missing else "")
                            + '</div>', unsafe_allow_html=True)
            if card.lagging:
                st.markdown(f'<div class="slide-meta">Отстают: {escape(", ".join(card.lagging[:8]))}'
                            f'{" и др." if len(card.lagging) > 8 else ""}</div>', unsafe_allow_html=True)
        with right:
            st.altair_chart(trend_chart(card, 600, font_size=22), width="stretch", key=f"slide_chart_{card.target_id}")

    slide()
    st.stop()

# ---------------------------------------------------------------------------------------------
# The overview
# ---------------------------------------------------------------------------------------------
with top[2]:
    st.markdown("<div style='height:1.7rem'></div>", unsafe_allow_html=True)
    if st.button("Режим совещания", icon=":material/co_present:", key="to_meeting",
                 help="Одна цель на экран, без меню; листается сам и стрелками ← →"):
        st.query_params["meeting"] = "1"
        if as_of:
            st.query_params["as_of"] = as_of.isoformat()
        st.rerun()

st.markdown(f"## {escape(rm['territory'])}")
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
                    f'<div class="tile-row"><span class="tile-value">{escape(fmt.value(ev.value, card.unit))}</span>'
                    f'{status_badge(ev.status)}</div>'
                    f'<div class="tile-rule">{rule_line(card)}</div>'
                    f'<div class="tile-meta">{meta_line(card)}</div>'
                    + charts.sparkline_svg([s["value"] for s in card.series], target=ev.target_value,
                                           status=ev.status)
                    + f'<div class="tile-meta">{schools_line(card)}</div>', unsafe_allow_html=True)
        if ev.progress is not None:
            st.progress(min(max(ev.progress, 0.0), 1.0), text=progress_text(card))
        else:
            st.caption(ev.reason)
        coverage_note(card)


def coverage_note(card) -> None:
    """«данные 4 из 5 школ»; who is missing one click away."""
    if not card.coverage:
        return
    if card.missing:
        with st.popover(card.coverage, icon=":material/info:"):
            st.markdown("Нет данных за отчётный или базовый период, значение группы посчитано без них:  \n"
                        + "  \n".join(escape(n) for n in card.missing))
    else:
        st.caption(card.coverage)


per_row = 3
for i in range(0, len(ov.cards), per_row):
    cols = st.columns(per_row)
    for col, card in zip(cols, ov.cards[i:i + per_row]):
        with col:
            tile(card)

tab_matrix, tab_trends, tab_rules = st.tabs(["Школы × цели" if ov.unit_label == "Школа" else "Территории × цели",
                                             "Динамика", "Как считается"])
with tab_matrix:
    target_cols = [(c.target_id, c.column) for c in ov.cards if c.target_id in ov.matrix.columns]
    shown = ov.matrix.dropna(subset=[k for k, _ in target_cols], how="all") if target_cols else ov.matrix
    if target_cols and not shown.empty:
        link = None
        if ov.unit_label == "Школа" and page_for("school"):
            link = "school?school={id}" + (f"&as_of={as_of.isoformat()}" if "as_of" in params and as_of else "")
        st.markdown(status_table(shown, ov.unit_label, target_cols, link), unsafe_allow_html=True)
        for card in ov.cards:
            if card.lagging:
                st.markdown(f"**{escape(card.column)}** — {voc.STATUS_LABELS[voc.OFF_TRACK].lower()}: "
                            f"{escape(', '.join(card.lagging))}")
    else:
        st.info("Цели этой дорожной карты оцениваются по группе школ в целом, а не по каждой школе.")
with tab_trends:
    pick = st.segmented_control("Цель", [c.target_id for c in ov.cards], default=ov.cards[0].target_id,
                                format_func=lambda t: next(f"{c.number}. {c.short_name}" for c in ov.cards
                                                           if c.target_id == t), key="trend_pick")
    card = next((c for c in ov.cards if c.target_id == pick), ov.cards[0])
    st.markdown(f"#### {card.number}. {escape(card.indicator_name)}")
    chart_with_downloads(trend_chart(card, 320), f"{card.indicator_code}_динамика", "ov_trend")
    ev = card.evaluation
    forecast = (f"Прогноз к сроку: {fmt.value(ev.forecast, card.unit)} — {card.forecast_basis}"
                if ev.forecast is not None else f"Прогноз: {ev.forecast_note}")
    st.caption(f"«{card.wording}» · {forecast}. Синяя линия — значение по группе школ, оранжевая — среднее по "
               "территории, серая пунктирная — путь от базы к цели, красная — цель, синяя пунктирная — прогноз.")
    if page_for("indicator"):
        st.page_link(page_for("indicator"), label="Подробно по показателю: школы, распределение, таблица",
                     icon=":material/query_stats:", query_params={"roadmap": code, "target": str(card.target_id)})
with tab_rules:
    st.markdown(
        "- **Достигнут** — значение не хуже целевого.\n"
        "- **По плану** — значение не хуже ожидаемого на прямой от базы к цели в этом периоде.\n"
        "- **Под угрозой** — отставание от ожидаемого не больше четверти пути от базы к цели, "
        "или прогноз по тренду достигает цели.\n"
        "- **Отстаёт** — отставание больше, или срок прошёл, а цель не достигнута.\n"
        "- **Нет данных** — нет значения за период, нет базы для расчёта цели, или данные есть меньше чем у "
        f"{round(100 * get_settings().min_coverage)} % школ группы.\n\n"
        "Значение группы и её база считаются по одним и тем же школам — сдавшим данные и за период, и за "
        "базовый период; под плиткой указано, у скольких школ есть данные и у кого их нет. "
        "Прогноз — тренд последних 4 измеренных периодов, продолженный от текущего значения. "
        "Рост «+10 %» от нулевой базы засчитывается при любом росте выше нуля.\n\n"
        "Доли по группе школ считаются как отношение сумм (всего «из них» / всего), а не как среднее "
        "процентов. «+5 п.п.» — рост на 5 процентных пунктов, «+10 %» — рост на 10 % от базового значения.")
