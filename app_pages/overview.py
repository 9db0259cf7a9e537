"""Overview of a roadmap's targets for the projector: one tile per target, the status matrix,
trends; meeting mode shows one target per slide and advances by itself."""

import time
from datetime import date
from core.formatting import md_text as escape  # user text: Markdown and HTML both inert

import streamlit as st

from core import charts, cycle, explain
from core import formatting as fmt
from core import vocabulary as voc
from core.auth import AccessDenied
from ui import actions, cache, shell, sources
from ui.common import chart_with_downloads, demo_banner, lazy_tabs, page_for, scope, status_badge, status_table

MEETING_CSS = """<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stHeader"],
[data-testid="stToolbar"], [data-testid="stDecoration"] { display: none !important; }
.block-container { padding-top: 1rem !important; padding-left: 2rem !important; padding-right: 2rem !important;
                   max-width: 100% !important; }
.slide-title { font-size: clamp(44px, 3.4vw, 64px); font-weight: 800; line-height: 1.12; color: #102a43 }
.slide-value { font-size: clamp(120px, 9.4vw, 180px); font-weight: 800; line-height: 1; color: #102a43; margin: 6px 0 }
.slide-rule { font-size: clamp(32px, 2.5vw, 44px); color: #243b53; line-height: 1.25 }
.slide-meta { font-size: clamp(28px, 2.2vw, 38px); color: #334e68; line-height: 1.3 }
.st-key-slide-bar [data-testid="stButton"] button, .st-key-slide-bar [data-testid="stButton"] button p,
.st-key-slide-bar [data-testid="stWidgetLabel"] p { font-size: 28px !important; white-space: nowrap }
.st-key-slide-bar [data-testid="stButton"] button { padding: 4px 18px; min-height: 56px }
.st-key-slide-bar kbd { display: none }  /* Streamlit's English key names; the help of «Авто» names the keys in Russian */
[data-testid="stProgress"] p { font-size: 28px !important }
</style>"""
INTERVALS = [10, 20, 30, 60]
FIRST_SCREEN = 6  # tiles that must fit the first screen of a 1280×720 projector
# The overview's first screen on a 1280×720 projector: compact header, tiles in a grid
OVERVIEW_CSS = """<style>
.block-container { padding-top: .6rem !important }
@media (max-width: 1440px) { .block-container { padding-left: 1rem !important; padding-right: 1rem !important } }
.as-of-note { font-size: .95rem; color: #334e68 }
.ov-head { font-size: 1.05rem; color: #334e68; white-space: nowrap; overflow: hidden; text-overflow: ellipsis;
           margin: -4px 0 6px 0 }
.ov-head b { font-size: 1.35rem; color: #102a43 }
.tiles { display: grid; grid-template-columns: repeat(3, minmax(0, 1fr)); gap: 8px; margin-bottom: 10px }
.tile { border: 1px solid #d9e2ec; border-radius: 10px; padding: 5px 8px 4px 8px; background: #fff; min-width: 0 }
.tile .tile-title { font-size: 1.1rem; font-weight: 700; line-height: 1.2; min-height: 0; color: #102a43;
                    display: -webkit-box; -webkit-line-clamp: 2; -webkit-box-orient: vertical; overflow: hidden }
.tile .tile-value { font-size: 2.1rem; font-weight: 800; line-height: 1.05; margin-right: 8px }
.tile .tile-row { margin: 2px 0 }
.tile .tile-rule { font-size: 18px; line-height: 1.22 }
.tile .tile-meta { font-size: 18px; line-height: 1.22; color: #334e68 }
a.tile { display: block; color: inherit !important; text-decoration: none !important }
a.tile:hover { border-color: #0b4f8a; box-shadow: 0 0 0 1px #0b4f8a }
.lagging-line { font-size: 18px; color: #102a43; white-space: nowrap; overflow: hidden; text-overflow: ellipsis;
                margin: 0 0 6px 0 }
.lagging-line a { color: #0b4f8a }
.tile .sparkline { margin: 2px 0 }
.tile-bar { height: 6px; background: #e4e9f0; border-radius: 3px; margin: 3px 0 2px 0 }
.tile-bar > div { height: 6px; background: #0b4f8a; border-radius: 3px }
@media (min-width: 1600px) { .tile .tile-value { font-size: 2.6rem } .tile .tile-title { font-size: 1.25rem } }
</style>"""

sc = scope()
roadmaps = {r.code: r for r in cache.roadmaps(sc)}
if not roadmaps:
    st.title("Обзор целей")
    st.info("Нет дорожных карт, доступных вашей учётной записи.")
    st.stop()

params = st.query_params
meeting = params.get("meeting") == "1"
codes = list(roadmaps)
wanted = params.get("roadmap")
default = codes.index(wanted) if wanted in codes else next((i for i, r in enumerate(roadmaps.values()) if r.n_targets), 0)

try:
    as_of_param = date.fromisoformat(params["as_of"]) if params.get("as_of") else None
except ValueError:
    as_of_param = None

if not meeting:
    st.markdown(OVERVIEW_CSS, unsafe_allow_html=True)
    top = st.columns([4.2, 2, 2], vertical_alignment="bottom")
    code = top[0].selectbox("Дорожная карта", codes, index=default, format_func=lambda c: roadmaps[c].label,
                            key="overview_roadmap")
else:
    code = codes[default]
params["roadmap"] = code
roadmap_id = roadmaps[code].id

ov = actions.load(cache.overview, sc, roadmap_id, None)
ends = ov.cut_options
as_of = as_of_param if as_of_param in ends else ov.as_of
if not meeting and ends:
    as_of = top[1].select_slider("По состоянию на", options=ends, value=as_of if as_of in ends else ends[-1],
                                 format_func=ov.cut_label, key="overview_as_of")
ov_cut = None  # the cut `ov` was read for (a chart is cached under it)
if as_of != ov.as_of:
    ov = cache.overview(sc, roadmap_id, as_of)
    ov_cut = as_of
as_of = ov.as_of
# The cut is in the URL when it is not "the latest", and always in meeting mode (frozen for the meeting).
if as_of is not None and (meeting or (ends and as_of != ends[-1])):
    params["as_of"] = as_of.isoformat()
elif "as_of" in params:
    del params["as_of"]

rm = ov.roadmap


def rule_line(card) -> str:
    ev = card.evaluation
    return f"Цель: <b>{escape(fmt.goal(card.rule_text, ev.target_value, card.unit))}</b>"


def _first_up(text: str) -> str:
    return text[:1].upper() + text[1:]


def meta_line(card) -> str:
    ev = card.evaluation
    base = f"База: {fmt.value(ev.baseline, card.unit)}" + (f" ({card.baseline_label})" if card.baseline_label else "")
    return escape(f"{base} · срок: {card.due_label or '—'}")


APPROVALS = cache.approvals(sc, rm.territory_id, tuple(sorted({c.period_id for c in ov.cards if c.period_id})))


def approval_note(card) -> str:
    """«(предварительные)» / «(утверждены 01.11.2024)»; "" without data."""
    return f" ({cycle.short_note(APPROVALS.get(card.period_id))})" if card.as_of_label else ""


def data_note(card) -> str:
    """«данные на III кв. 2024 (предварительные)»."""
    return f"данные на {card.as_of_label}{approval_note(card)}" if card.as_of_label else "нет данных"


def schools_line(card) -> str:
    text = f"Данные на {card.as_of_label}" if card.as_of_label else "Нет данных"
    if card.as_of_label:
        text += f" ({cycle.short_note(APPROVALS.get(card.period_id))})"
    if card.n_schools:
        text += f" · {card.meeting_text}"
    return escape(text)


def progress_text(card) -> str | None:
    p = card.evaluation.progress
    return None if p is None else f"Пройдено {fmt.num(100 * p, 0)} % пути от базы к цели"


def trend_chart(card, height: int, font_size: int = 14, legend: bool = True):
    """Built once per data version, view, roadmap, cut, target and size for all sessions."""
    return cache.figure("overview_trend", sc, roadmap_id, ov_cut, card.target_id, height, font_size, legend,
                        _build=lambda: _trend_chart(card, height, font_size, legend))


def _trend_chart(card, height: int, font_size: int, legend: bool):
    ev = card.evaluation
    forecast = {"end": card.due_end, "value": ev.forecast} if ev.forecast is not None and card.due_end else None
    return charts.trend(card.series, unit=card.unit, target_value=ev.target_value, expected_path=card.expected_path,
                        average_series=card.average_series, milestones=card.milestones, forecast=forecast,
                        height=height, font_size=font_size, legend=legend)


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

    bar = st.container(key="slide-bar")  # the st-key-slide-bar class carries the sizes above
    with bar:
        c = st.columns([1.3, 1.5, 1.1, 1.35, 3.4], vertical_alignment="center")
        c[0].button("◀ Назад", on_click=go, args=(-1,), shortcut="left", key="slide_prev", width="stretch")
        c[1].button("Вперёд ▶", on_click=go, args=(1,), shortcut="right", key="slide_next", width="stretch")
        playing = c[2].toggle("Авто", key="slide_playing", help=f"Сам переходит к следующей цели каждые {every} с. Клавиши: стрелки влево и "
                                                          "вправо — назад и вперёд, клавиша Esc — выйти.")
        c[3].button("Выйти", on_click=exit_meeting, key="slide_exit", shortcut="escape", width="stretch")
        c[4].markdown(f'<div class="slide-meta" style="text-align:right">{escape(rm.territory)} · '
                      f'данные на {escape(ov.as_of_label or "—")}'
                      f'{escape(approval_note(cards[0]))}'
                      f'{" · демо" if ov.is_demo else ""}</div>', unsafe_allow_html=True)

    @st.fragment(run_every=every if playing else None)
    def slide() -> None:
        shell.fragment_guard()  # a revoked session stops here; fresh data version
        # the cards read at that version, as the page's run read them (the same cut): the chart below is
        # cached under the version for every session of the view, so it is built from that version's data
        try:
            shown = cache.overview(sc, roadmap_id, ov_cut).cards or cards
        except AccessDenied:
            st.rerun(scope="app")
        if playing and time.time() - state["slide_at"] >= every - 0.5:
            go(1)
        card = shown[state["slide"] % len(shown)]
        ev = card.evaluation
        left, right = st.columns([5, 6])
        with left:
            st.markdown(f'<div class="slide-meta">Цель {card.number} из {len(cards)}</div>'
                        f'<div class="slide-title">{escape(card.short_name)}</div>'
                        f'<div class="slide-meta slide-population">{escape(card.population_text)}</div>'
                        f'<div style="display:flex;align-items:center;gap:24px;flex-wrap:wrap">'
                        f'<div class="slide-value">{escape(fmt.value(ev.value, card.unit))}</div>'
                        f'{status_badge(ev.status, size=30)}</div>'
                        f'<div class="slide-rule">{rule_line(card)}</div>'
                        f'<div class="slide-meta">{meta_line(card)}</div>'
                        + (f'<div class="slide-meta">{escape(card.meeting_text.capitalize())}</div>'
                           if card.n_schools else "")
                        + sources.approval_tile_line(card.approval, card.unit, "slide-meta"), unsafe_allow_html=True)
            if ev.progress is not None:
                st.progress(min(max(ev.progress, 0.0), 1.0), text=progress_text(card))
        with right:  # the chart leaves room below it for who reported and who lags: one 720 px screen
            # the legend as an HTML row under the chart: 28 px like every label (Vega's legend would not fit)
            chart = trend_chart(card, 290, font_size=28, legend=False)
            st.altair_chart(chart, width="stretch", key=f"slide_chart_{card.target_id}")
            st.markdown(charts.legend_html(chart, font_size=28), unsafe_allow_html=True)
            if card.notes:
                st.markdown(f'<div class="slide-meta slide-notes">{escape(_first_up(" · ".join(card.notes)))}</div>',
                            unsafe_allow_html=True)
            if card.coverage:
                st.markdown(f'<div class="slide-meta slide-coverage">{escape(card.coverage.capitalize())}'
                            + (f' · нет данных: {escape(", ".join(card.missing[:6]))}'
                               f'{" и др." if len(card.missing) > 6 else ""}' if card.missing else "")
                            + '</div>', unsafe_allow_html=True)
            if card.lagging:
                st.markdown(f'<div class="slide-meta slide-lagging">Отстают: {escape(", ".join(card.lagging[:8]))}'
                            f'{" и др." if len(card.lagging) > 8 else ""}</div>', unsafe_allow_html=True)

    slide()
    st.stop()

# ---------------------------------------------------------------------------------------------
# The overview
# ---------------------------------------------------------------------------------------------
with top[2]:  # a roadmap without targets has nothing to show slide by slide: no button
    if ov.cards and st.button("Режим совещания", icon=":material/co_present:", key="to_meeting", width="stretch",
                 help="Одна цель на экран, без меню; листается сам и стрелками ← →"):
        st.query_params["meeting"] = "1"
        if as_of:
            st.query_params["as_of"] = as_of.isoformat()
        st.rerun()

full_title = rm.title + (f" · {rm.approved_by}" if rm.approved_by else "")
data_labels = {c.as_of_label for c in ov.cards if c.as_of_label}
head_note = (f"{data_note(next(c for c in ov.cards if c.as_of_label))} · " if len(data_labels) == 1 else "")
st.markdown(f'<div class="ov-head" title="{escape(full_title)}"><b>{escape(rm.territory)}</b> · '
            f'{escape(head_note)}{escape(full_title)}</div>', unsafe_allow_html=True)

if not ov.cards:
    st.info("В этой дорожной карте пока нет целевых показателей с измеримыми значениями. "
            "Их можно добавить при загрузке дорожной карты.")
    st.stop()


LAGGING_CHARS = 80  # what fits one line of 18 px type beside the menu at 1280 px; the rest is «и ещё N»


def lagging_html(units) -> str:
    """«Отстают: СОШ № 8 (цели 2, 4), СОШ № 2 (цель 1) и ещё 3» — one line, each school a link to its page,
    the whole list in the tooltip; «Отстающих нет» when no cell of the matrix says «Отстаёт»."""
    if not units:
        return (f'<div class="lagging-line">Отстающих {"школ" if ov.unit == voc.SCHOOL_UNIT else "территорий"} нет: '
                "ни одной отметки «Отстаёт» по целям.</div>")

    def item(u) -> str:
        return f"{u.name} ({'цель' if len(u.targets) == 1 else 'цели'} {', '.join(map(str, u.targets))})"

    school_page = ov.unit == voc.SCHOOL_UNIT and page_for("school")
    shown, used = [], 0
    for u in units:
        if shown and used + len(item(u)) > LAGGING_CHARS:
            break
        shown.append(u)
        used += len(item(u)) + 2
    parts = [(f'<a href="school?school={int(u.unit_id)}" target="_self">{escape(item(u))}</a>' if school_page
              else escape(item(u))) for u in shown]
    rest = f" и ещё {len(units) - len(shown)}" if len(units) > len(shown) else ""
    return (f'<div class="lagging-line" title="{escape(", ".join(item(u) for u in units))}"><b>Отстают:</b> '
            f'{", ".join(parts)}{rest}</div>')


def population_line(card) -> str:
    """«ШНОР и ШНСУ, 5 школ · по городу 61 % · выполняют 2 из 5»: whose figure, the territory beside it
    and how many of the schools meet the target, in one line (the first screen holds every tile)."""
    line = card.population_text
    if card.n_schools:
        any_data = card.evaluation.value is not None or card.n_meeting > 0
        line += (f" · выполняют {fmt.num(card.n_meeting, 0)} из {fmt.num(card.n_schools, 0)}" if any_data
                 else f" · {card.meeting_text}")
    return line


def tile_html(card) -> str:
    """One target on the first screen: value and status; the goal and its deadline; what is expected by
    now and the base; the trend; how many schools meet it and how much of the way is done. The tile opens
    the target's page (the indicator page) when the user has it."""
    ev = card.evaluation
    goal = escape(fmt.goal(card.rule_text, ev.target_value, card.unit))
    due = f" · срок: {escape(card.due_label)}" if card.due_label else ""
    now = []  # what is expected by now, else the base (the line's tooltip gives the base always)
    base = f"база: {fmt.value(ev.baseline, card.unit)}" if ev.baseline is not None else ""
    if ev.expected is not None and ev.status != "achieved":
        now.append(f"ожидается сейчас: {card.expected_text}")
    elif base:
        now.append(base)
    foot = []
    if len(data_labels) > 1:
        foot.append(data_note(card))
    if card.coverage and (ev.n_reported or 0) < (ev.n_members or 0):  # complete: said over the population line
        foot.append(card.coverage)
    bar = ""  # how much of the way is done: the bar (its tooltip says it in words)
    if ev.progress is not None:
        bar = (f'<div class="tile-bar" title="{escape(progress_text(card))}"><div style="width:'
               f'{100 * min(max(ev.progress, 0.0), 1.0):.0f}%"></div></div>')
    missing = (f' title="Нет данных, значение группы посчитано без них: {escape(", ".join(card.missing))}"'
               if card.missing else "")
    reason = "" if ev.progress is not None or not ev.reason else f'<div class="tile-meta">{escape(ev.reason)}</div>'
    if card.notes:
        reason += f'<div class="tile-meta tile-notes">{escape(_first_up(" · ".join(card.notes)))}</div>'
    tag, href = "div", ""
    if page_for("indicator"):
        tag, href = "a", (f' href="indicator?roadmap={escape(code)}&amp;target={int(card.target_id)}" target="_self"'
                          f' aria-label="{escape(f"Цель {card.number}: {card.short_name} — подробно")}"')
    return (f'<{tag} class="tile"{href}><div class="tile-title" title="{escape(card.indicator_name)}">{card.number}. '
            f'{escape(card.short_name)}</div>'
            f'<div class="tile-row"><span class="tile-value">{escape(fmt.value(ev.value, card.unit))}</span>'
            f'{status_badge(ev.status, size=18)}</div>'
            f'<div class="tile-meta tile-population"'
            + (f' title="{escape(_first_up(card.coverage))}"' if card.coverage else "")
            + f'>{escape(population_line(card))}</div>'
            f'<div class="tile-rule">Цель: <b>{goal}</b>{escape(due)}</div>'
            + (f'<div class="tile-meta" title="{escape(_first_up(base))}">{escape(_first_up(" · ".join(now)))}</div>'
               if now else "")
            + charts.sparkline_svg([s.value for s in card.series], target=ev.target_value, status=ev.status,
                                   height=22)
            + bar + (f'<div class="tile-meta"{missing}>{escape(_first_up(" · ".join(foot)))}</div>' if foot else "")
            + sources.approval_tile_line(card.approval, card.unit) + sources.change_mark(MARKS.get(card.target_id))
            + reason + f"</{tag}>")


MARKS = sources.tile_marks(sc, ov)  # values changed since the last approval or the previous visit
n_cards = len(ov.cards)
if n_cards > FIRST_SCREEN:
    st.caption(f"Целей в дорожной карте: {n_cards}; на первом экране — {FIRST_SCREEN}, ещё {n_cards - FIRST_SCREEN} "
               "ниже (прокрутите страницу).")
if ov.matrix_targets:  # who lags, above the tiles: on the projector's first screen
    st.markdown(lagging_html(ov.lagging_units()), unsafe_allow_html=True)
st.markdown('<div class="tiles">' + "".join(tile_html(c) for c in ov.cards) + "</div>", unsafe_allow_html=True)
demo_banner(ov.is_demo)  # under the tiles: the first screen holds every tile (the menu says «демо» too)
sources.approval_notes([(f"{c.number}. {c.short_name}", c.approval, c.unit) for c in ov.cards])
sources.control(sc, sources.tile_figures(ov), "prov_tiles", pick_label="Цель")


def matrix_tab() -> None:
    target_cols = [(c.target_id, c.column) for c in ov.cards if c.target_id in ov.matrix_targets]
    shown = sorted((r for r in ov.rows if any(r.cells.get(k) is not None for k, _ in target_cols)),
                   key=lambda r: fmt.natural_key(r.name))
    if target_cols and shown:
        link = None
        if ov.unit == voc.SCHOOL_UNIT and page_for("school"):
            link = "school?school={id}" + (f"&as_of={as_of.isoformat()}" if "as_of" in params and as_of else "")
        st.markdown(status_table(shown, ov.unit_label, target_cols, link), unsafe_allow_html=True)
        for card in ov.cards:
            if card.lagging:
                st.markdown(f"**{escape(card.column)}** — {voc.STATUS_LABELS[voc.OFF_TRACK].lower()}: "
                            f"{escape(', '.join(card.lagging))}")
        sources.control(sc, sources.matrix_figures(ov), "prov_matrix", pick_label="Ячейка таблицы")
    else:
        st.info("Цели этой дорожной карты оцениваются по группе школ в целом, а не по каждой школе.")


def trends_tab() -> None:
    pick = st.segmented_control("Цель", [c.target_id for c in ov.cards], default=ov.cards[0].target_id,
                                format_func=lambda t: next(f"{c.number}. {escape(c.short_name)}" for c in ov.cards
                                                           if c.target_id == t), key="trend_pick")
    card = next((c for c in ov.cards if c.target_id == pick), ov.cards[0])
    st.markdown(f"#### {card.number}. {escape(card.indicator_name)}")
    chart, spec = cache.figure("overview_trend_drawn", sc, roadmap_id, ov_cut, card.target_id, 320,
                               _build=lambda: cache.drawn(_trend_chart(card, 320, 14, True)))
    chart_with_downloads(chart, f"{card.indicator_code}_динамика", "ov_trend", spec=spec)
    st.caption(f"«{escape(card.wording)}» · {escape(card.population_text)} · {escape(card.forecast_text)}. "
               "Синяя линия — значение по группе школ, оранжевая — среднее по территории, серая пунктирная — путь от базы к цели, красная — цель, синяя пунктирная — прогноз.")
    if page_for("indicator"):
        st.page_link(page_for("indicator"), label="Подробно по показателю: школы, распределение, таблица",
                     icon=":material/query_stats:", query_params={"roadmap": code, "target": str(card.target_id)})


def rules_tab() -> None:
    st.markdown(explain.how_counted(sc, roadmap_id, cache.engine()))


# the matrix opens with the page; «Динамика» (a Vega-Lite chart) and «Как считается» are built when chosen
lazy_tabs({f"{voc.UNIT_PLURALS[ov.unit]} × цели": matrix_tab, "Динамика": trends_tab, "Как считается": rules_tab},
          "ov_tab")
