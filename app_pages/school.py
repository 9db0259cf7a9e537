"""A school's page: each target for this school against its own target and the territory average."""

from datetime import date

import pandas as pd
import streamlit as st

from core.formatting import md_text as escape  # user text: Markdown and HTML both inert

from core import charts, figures, reports, school_plan
from core import formatting as fmt
from core.auth import AccessDenied
from ui import actions, cache, phone, sources
from ui.common import chart_with_downloads, demo_banner, lazy_expander, scope, status_badge, table_with_download
from ui.table_fit import IN_EXPANDER_PX
from ui.tables import text_table

sc = scope()


def _compare(r: dict) -> str:
    """The school against the territory in words (arrows alone would be colour-free but terse)."""
    if r["value"] is None or r["territory_value"] is None:
        return "—"
    diff = r["value"] - r["territory_value"]
    if abs(diff) < 0.05:
        return "на уровне территории"
    better = (diff > 0) == bool(r["higher_is_better"])
    unit = "п.п." if r["unit"] == "%" else r["unit"]
    return f"{'лучше' if better else 'хуже'} на {fmt.num(abs(diff))}{(' ' + unit) if unit else ''}"


schools = cache.schools(sc)
if not schools:
    st.title("Школа")
    st.info("Вашей учётной записи не назначена ни одна школа. Обратитесь к администратору.")
    st.stop()

ids = [s.id for s in schools]
wanted = st.query_params.get("school")
if wanted is not None and (not wanted.isdigit() or int(wanted) not in ids):
    # A school outside the user's scope asked for by URL: core refuses it and writes the audit log.
    try:
        cache.school_view(sc, int(wanted) if wanted.isdigit() else -1)
    except AccessDenied as exc:
        st.error(f"{escape(str(exc))}. Показана доступная вам школа.")
    del st.query_params["school"]  # refused once, logged once
    wanted = None
if sc.own_school_id is not None and sc.may("enter_own_school_only"):  # a principal: their school only
    school_id = sc.own_school_id
else:
    names = {s.id: f"{s.short_name} — {s.territory}" for s in schools}
    default = ids.index(int(wanted)) if wanted else 0
    school_id = st.selectbox("Школа", ids, index=default, format_func=names.get, key="school_pick")
    st.query_params["school"] = str(school_id)

try:  # «по состоянию на» from the overview's link (?as_of=), else today
    as_of = date.fromisoformat(st.query_params["as_of"]) if st.query_params.get("as_of") else None
except ValueError:
    as_of = None
cut = as_of or cache.today()  # the page's «по состоянию на»: the next control point and the figures are after it
view = actions.load(cache.school_view, sc, int(school_id), as_of)

s = view.school
flags = [x for x, on in (("ШНОР", s.is_shnor), ("ШНСУ", s.is_shnsu), ("школа-лидер", s.is_leader)) if on]
st.markdown(f"# {escape(s.short_name)}")
st.caption(f'<span class="phone-hide">{escape(s.name)} · </span>{escape(s.territory)}'  # a phone: no legal name
           + (f" · {', '.join(flags)}" if flags else ""), unsafe_allow_html=True)
demo_banner(s.is_demo or cache.is_demo())
people = [f"**Куратор:** {escape(', '.join(fmt.natural_sorted(view.curators)))}"] if view.curators else [
    # a curator school (a leader school, or one that curates others) has no curator of its own to miss
    "**Куратор** не назначен — его назначает управление образования (методист)."] if not (view.curated or s.is_leader) else []
if view.curated:
    people.append(f"**Курирует:** {escape(', '.join(fmt.natural_sorted(view.curated)))}")  # «СОШ № 2» before «№ 14»
people += [f"**Группа школ дорожной карты:** {escape(g)}" for g in view.groups]
acts = view.activities
own_mask, n_own, n_own_late = school_plan.own_items(acts)
if acts:  # the third question, answered on the first screen; the lists are further down
    people.append(school_plan.own_items_text(n_own, n_own_late)
                  + f" · мероприятий управления образования и контрольных точек — {len(acts) - n_own} (для сведения)")
with phone.desk("school_people"):  # a phone shows it under the figures (phone_school_people)
    st.markdown("  \n".join(people))

if not view.targets:
    # No target of a roadmap is evaluated per school here: the school's own figures against the territory.
    st.markdown("#### Показатели школы и территории")
    st.caption("Для школы нет целевых показателей, которые оцениваются по каждой школе; ниже — её последние "
               "значения рядом со значением по территории за тот же период.")
    rows = cache.school_indicators(sc, int(school_id), cut)
    if rows:
        rows = [{"Показатель": r["short_name"], "Период": r["label"],
                 "Школа": figures.school_value(r["value"], r["unit"], r["value_kind"]),
                 "Территория": figures.territory_value_text(r["territory_value"], r["unit"], r["value_kind"],
                                                            r["n_schools"]),
                 "Сравнение": "—" if r["value_kind"] == "flag" else _compare(r)} for r in rows]
        with phone.desk("school_indicators"):
            text_table(rows)
        with phone.phone("school_indicators"):
            phone.rows_as_cards(rows, "Показатель", strong=("Школа",))
    else:
        st.info("Школа ещё не сдавала данных. Данные загружает руководитель школы на странице «Загрузка данных» "
                "или «Ввод данных», либо методист управления образования.")
else:
    st.markdown("#### Где мы сейчас и что нужно к следующей контрольной точке")
    table, statuses = [], []
    points = cache.control_points(sc, int(school_id), tuple(t.target_id for t in view.targets))
    for t in view.targets:
        ev = t.evaluation
        step = school_plan.next_step(t.expected_path, cut, points.get(t.target_id, []),
                                     roadmap_has_points=t.target_id in points)
        need = "—"
        if ev.status == "achieved":
            need = "цель достигнута — удержать"
        elif step is not None:
            need = school_plan.step_text(step, t.unit)
        table.append({
            "Показатель": t.short_name,
            "Сейчас": t.value_text + (f" ({t.as_of_label})" if t.as_of_label else "")
            + (f", {t.approval.label}" if t.approval else ""),
            "Ожидается сейчас": fmt.value(t.expected, t.unit),
            "Цель": fmt.goal(t.rule_text, ev.target_value, t.unit),
            "Статус": fmt.STATUS_TEXT.get(ev.status, ev.label),
            "Нужно": need,
            "Среднее по территории": fmt.value(t.average, t.unit),
        })
        statuses.append(ev.status)
    with phone.desk("school_targets"):
        text_table(table)  # an HTML table: prints cleanly from the browser
    with phone.phone("school_targets"):  # one card per target, its status first
        phone.target_cards(table, statuses)
    sources.approval_notes([(t.short_name, t.approval, t.unit) for t in view.targets])
    sources.control(sc, sources.school_figures(view), "prov_school", pick_label="Показатель")

with phone.phone("school_people"):
    st.markdown("  \n".join(people))

st.markdown("#### Мероприятия дорожной карты")
if not acts:
    st.caption("В дорожных картах территории нет мероприятий и контрольных точек.")
else:
    own = [a for a, m in zip(acts, own_mask) if m]
    city = [a for a, m in zip(acts, own_mask) if not m]

    def items_table(items, name: str, key: str, fold: bool = False, room_px: int | None = None):
        rows = [{"Статус": "⚠ просрочено" if a.overdue else a.status_text, "Срок": a.deadline_text or "—",
                 "Что": a.kind, "№": a.number, "Содержание": a.title, "Ответственный": a.responsible} for a in items]
        with phone.desk(key):
            table_with_download(pd.DataFrame(rows, columns=["Статус", "Срок", "Что", "№", "Содержание",
                                                            "Ответственный"]), name, key, room_px=room_px)
        with phone.phone(key):  # a grid wider than a phone would scroll sideways: cards
            phone.activity_cards(rows, late=[a.overdue for a in items] if fold else None)

    st.markdown(f"**Мероприятия школы** — где школа названа или среди ответственных образовательные организации: "
                f"{len(own)}" + (f", просрочено: {n_own_late}" if n_own_late else ", просроченных нет") + ".")
    if not own:
        st.caption("Дорожная карта не поручает школе отдельных мероприятий.")
    else:
        items_table(own, "мероприятия_школы", "school_items_xlsx", fold=True)
    def office_items() -> None:
        st.caption("Их выполняют управление образования и методические службы; отмечает выполнение методист. "
                   "В просроченные школы они не входят.")
        items_table(city, "мероприятия_управления", "city_items_xlsx", room_px=IN_EXPANDER_PX)

    # a label without the count (it is on the first screen): Streamlit closes an expander whose label changes
    lazy_expander("Мероприятия управления образования и контрольные точки (для сведения)", office_items,
                  "school_office_items")

st.download_button("Карточка школы (.docx)", lambda: reports.school_card(sc, int(school_id), as_of, engine=cache.engine()),
                   file_name=f"карточка_{s.code}.docx", mime=reports.DOCX_MIME, key="school_card",
                   icon=":material/download:", on_click="ignore")

for t in view.targets:
    ev = t.evaluation
    with st.container(border=True):
        st.markdown(f"#### {escape(t.indicator_name)} {status_badge(ev.status, size=15)}", unsafe_allow_html=True)
        st.caption(f"{escape(fmt.clip(t.roadmap_title, 120))} · цель {t.number}: {escape(t.rule_text)} · "
                   f"{escape(ev.reason)}" + "".join(f" · {escape(n)}" for n in t.notes)
                   + (f" · {escape(t.forecast_text)}" if ev.forecast is not None and t.forecast_basis else ""))
        forecast = ({"end": t.expected_path[-1].end, "value": ev.forecast}
                    if ev.forecast is not None and t.expected_path else None)
        chart, spec = cache.figure(  # built once per data version for every session that opens this school
            "school_trend", sc, int(school_id), as_of, t.target_id,
            _build=lambda: phone.legend_grows(cache.drawn(charts.trend(
                t.series, unit=t.unit, target_value=ev.target_value, expected_path=t.expected_path,
                average_series=t.average_series, forecast=forecast, height=220, narrow_legend=True)), height=220))
        chart_with_downloads(chart, f"{s.code}_{t.short_name}", f"school_chart_{t.number}_{t.roadmap_title[:8]}",
                             spec=spec)

st.markdown("#### Факторы риска (по результатам аудита)")
if not view.risks:
    st.caption("Результаты аудита факторов риска для школы не загружены. Их вносит методист управления образования "
               "вместе с дорожной картой (лист «Группы рисков» файла дорожной карты).")
else:
    by_group: dict[tuple[str, str], list] = {}
    for r in view.risks:
        by_group.setdefault((r.group_code, r.group_name), []).append(r)
    for (gcode, gname), grp in by_group.items():
        st.markdown(f"**{escape(gcode)}. {escape(gname)}**  \n" +
                    "  \n".join(f"{escape(r.code)} — {escape(r.name)}" for r in grp))
