"""A roadmap's plan: activities and control points on a timeline and in a table grouped by direction,
filters, overdue first and counted, status changes by the roles allowed to; loading a roadmap file."""

import hashlib
from datetime import date, timedelta

import streamlit as st


from core.formatting import md_text as escape  # user text: Markdown and HTML both inert

from core import formatting as fmt
from core import cycle, plan_charts, policy, roadmap_book, roadmap_docx, roadmap_view, territory_match
from core import roadmap as rules
from ui import actions, cache
from ui import phone as phone_ui
from ui.common import (demo_banner, file_uploader, lazy_expander, lazy_tabs, problems_table, roadmap_picker,
                       scope, table_with_download)
from ui.table_fit import fitted
from ui.tables import html_table

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
sc = scope()
engine = cache.engine()
today = cache.today()
st.title("Дорожная карта: мероприятия и контрольные точки")
if "roadmap_written" in st.session_state:  # after «Записать»: the roadmap just written, in the picker too
    st.session_state["plan_roadmap"] = st.session_state.pop("roadmap_written")
rm_row = roadmap_picker(sc, "plan_roadmap")
actions.show_flash("roadmap")


def word_draft() -> None:
    """The office's Word document in, a draft roadmap workbook out (nothing is written)."""
    st.markdown(
        "**Из текстового документа.** Загрузите дорожную карту в том виде, в каком её утвердили (.docx): программа "
        "прочитает таблицу плана — мероприятия, сроки, ответственных, направления, коды параметров риска — а также "
        "контрольные точки, группы и параметры риска и соберёт черновик файла .xlsx. Всё, что пришлось угадать, "
        "отмечено в столбце «Проверить». Проверьте черновик в редакторе таблиц, дополните и загрузите его ниже.")
    f = file_uploader("Загрузить документ (.docx)", "rm_docx")
    if not f:
        return
    with engine.connect() as c:
        known = territory_match.visible(sc, c)
    drafted = actions.check(roadmap_docx.draft_workbook, f.getvalue(), f.name, known)
    if not drafted.ok:
        return
    raw, d = drafted.value
    counts = d.counts()
    for col, (label, n, hint) in zip(st.columns(6), [
            ("Направления", counts["Направления"], None), ("Мероприятия", counts["Мероприятия"], None),
            ("Контрольные точки", counts["Контрольные точки"], None),
            ("Целевые показатели", counts["Целевые показатели"], None),
            ("Риски", f"{counts['Группы рисков']} / {counts['Параметры риска']}", "групп / параметров риска"),
            ("Проверить", d.n_checks(), "пометок в столбце «Проверить»: догадки чтения, проверьте их в Excel")]):
        col.metric(label, n, help=hint)
    st.success(escape(d.found_text()), icon=":material/description:")
    if d.fill_text():
        st.warning(d.fill_text(), icon=":material/edit:")
    stem = f.name.rsplit(".", 1)[0]
    st.download_button("Скачать черновик дорожной карты (.xlsx)", raw, file_name=f"черновик_{stem}.xlsx", mime=XLSX,
                       icon=":material/download:", key="rm_draft", type="primary", on_click="ignore")


def territory_question(pv, choice_key: str) -> None:
    """The file's territory code is new, but its name matches a territory in the system: the
    administrator says which it is; nothing is created until then."""
    new = roadmap_book.NEW_TERRITORY
    options = [m["code"] for m in pv.territory_match] + [new]
    names = {m["code"]: f"Это «{m['name']}» (код {m['code']}) — загрузить для неё" for m in pv.territory_match}
    names[new] = (f"Это другая территория — создать новую «{pv.territory.get('name')}» "
                  f"(код {pv.territory.get('code')})")
    with st.form("rm_territory_form", border=True):
        st.markdown("**Для какой территории эта дорожная карта?** Вторая территория с тем же названием "
                    "не создаётся без вашего ответа.")
        pick = st.radio("Территория", options, format_func=names.get, key="rm_territory_pick",
                        label_visibility="collapsed")
        if st.form_submit_button("Применить", type="primary"):
            st.session_state[choice_key] = pick
            st.rerun()


def load_tab() -> None:
    with st.container(border=True):
        word_draft()
    st.markdown(
        "Дорожная карта загружается одним файлом .xlsx по шаблону: лист «Дорожная карта» (код, название, "
        "территория, приказ, цель), «Направления», «Мероприятия», «Контрольные точки», «Целевые показатели», "
        "«Группы рисков», «Параметры риска» со школами, «Кураторы», «Группы школ». Файл проверяется целиком; "
        "пока есть ошибки, ничего не записывается.")
    st.download_button("Шаблон дорожной карты (.xlsx)", roadmap_book.template, file_name="шаблон_дорожной_карты.xlsx",
                       mime=XLSX, icon=":material/download:", key="rm_template", on_click="ignore")
    f = file_uploader("Файл дорожной карты (.xlsx)", "rm_file")
    if not f:
        return
    data = f.getvalue()
    choice_key = f"rm_territory_{hashlib.sha256(data).hexdigest()[:16]}"
    prepared = actions.check(roadmap_book.prepare, sc, data, f.name, engine,
                             territory=st.session_state.get(choice_key))
    if not prepared.ok:
        return
    pv = prepared.value
    counts = pv.counts()
    cols = st.columns(5)
    for col, k in zip(cols, ["Мероприятия", "Контрольные точки", "Целевые показатели", "Параметры риска", "Новые школы"]):
        col.metric(k, counts[k])
    if pv.errors:
        st.error(f"Найдено ошибок: {len(pv.errors)}. Исправьте файл и загрузите снова — ничего не записано."
                 + (" Если ошибка только в территории, ответьте на вопрос под таблицей."
                    if pv.territory_match and policy.allowed(sc, "create_territory") else ""), icon=":material/error:")
    if pv.problems:
        problems_table(pv.problems)
    if pv.territory_match and policy.allowed(sc, "create_territory"):
        territory_question(pv, choice_key)
    elif st.session_state.get(choice_key):
        st.caption(f"Территория: «{escape(pv.territory.get('name') or '')}» (код {escape(pv.territory.get('code') or '')})"
                   + (", будет создана" if pv.territory.get("id") is None else ", уже есть в системе"))
    if pv.ok:
        st.success(f"Файл проверен: «{escape(fmt.clip(pv.roadmap['title'], 120))}» — {roadmap_book.summary_text(pv)}.")
        if pv.replaces:
            st.warning(roadmap_book.replace_text(pv), icon=":material/sync:")
        label = "Заменить загруженную дорожную карту" if pv.replaces else "Записать дорожную карту"
        if st.button(label, type="primary", key="rm_apply"):
            def _apply() -> None:
                roadmap_book.apply(sc, pv, data, engine=engine)
                st.query_params["roadmap"] = pv.roadmap["code"]
                st.session_state["roadmap_written"] = pv.roadmap["code"]  # the next run opens it

            actions.write(_apply, rerun=True, flash="roadmap",
                          done=f"{'Заменена' if pv.replaces else 'Записана'}: дорожная карта "
                          f"«{escape(pv.roadmap['code'])}», {roadmap_book.summary_text(pv)}.")


if rm_row is None:
    if sc.can_edit_roadmap:
        load_tab()
    st.stop()

roadmap_id = rm_row.id
meta = actions.load(roadmap_view.roadmap_meta, sc, roadmap_id, engine)
items = actions.load(cache.roadmap_items, sc, roadmap_id, today)

st.caption(" · ".join(escape(x) for x in [meta["territory"], fmt.years(meta["year_from"], meta["year_to"]), meta["approved_by"]] if x))
demo_banner(bool(meta["is_demo"]))


def about() -> None:
    """The roadmap's goal, tasks, participants and source, and the file it was loaded from."""
    for label, key in (("Цель", "goal"), ("Задачи", "tasks"), ("Участники реализации", "participants"),
                       ("Источник", "source")):
        if meta.get(key):
            st.markdown(f"**{label}.** " + escape(meta[key]).replace("\n", "  \n"))
    if meta.get("upload_id"):
        st.download_button("Исходный файл дорожной карты (.xlsx)",
                           lambda: roadmap_book.original(sc, roadmap_id, engine)[1],
                           file_name=f"дорожная_карта_{meta['code']}.xlsx", mime=XLSX, key="rm_original",
                           icon=":material/download:", on_click="ignore")


lazy_expander("Цель, задачи, участники, источник", about, "rm_about")

n_over = int(items["overdue"].sum())
c = st.columns(5)
c[0].metric("Мероприятия", int((items["kind"] == "activity").sum()))
c[1].metric("Контрольные точки", int((items["kind"] == "control_point").sum()))
c[2].metric("Выполнено", int((items["status"] == "done").sum()))
c[3].metric("Просрочено", n_over)
c[4].metric("Без даты", int(items["due_date"].isna().sum()), help="Регулярные, «по отдельному графику» и т. п.")
if n_over:
    st.error(f"Просрочено: {n_over} — срок прошёл, а отметки о выполнении нет. Они в начале списка.",
             icon=":material/schedule:")


def filters() -> dict:
    """The list's filters, as `roadmap_view.filter_items` takes them. «Только просроченные» is always there;
    the five lists are built when «Отбор пунктов» is on (with the lazy «Цель, задачи…» they were 10–15 % of
    the browser's CPU for a cold page, and at 1280×720 they pushed the timeline off the first screen). Off,
    they filter nothing; what was chosen comes back when it is switched on again (`persist_state`: Streamlit would forget a widget a run did not draw)."""
    f1, f2 = st.columns(2)
    chosen: dict[str, object] = {"overdue_only": f1.toggle("Только просроченные", key="flt_overdue")}
    if not f2.toggle("Отбор пунктов", key="flt_open",
                     help="Отбор по ответственному, статусу, школе, показателю и параметру риска. Когда отбор "
                          "выключен, показаны все пункты; выбранные условия вернутся при следующем включении."):
        return chosen
    keep = {"persist_state": "session"}  # their values while «Отбор» is off, and on other pages
    with st.container(border=True):
        g1, g2, g3 = st.columns(3)
        g4, g5, _ = st.columns(3)
        chosen["responsible"] = g1.selectbox("Ответственный", [""] + roadmap_view.responsibles(items), key="flt_resp",
                                             format_func=lambda x: x or "все", **keep) or None
        chosen["statuses"] = g2.multiselect("Статус", list(rules.ACTIVITY_STATUSES), key="flt_status",
                                            format_func=rules.ACTIVITY_STATUSES.get, placeholder="все", **keep)
        school_opts = fmt.natural_sorted({s for xs in items["schools"] for s in xs})
        ind_opts = sorted({s for xs in items["indicators"] for s in xs})
        risk_opts = list(dict.fromkeys(s for xs in items["risks"] for s in xs))
        chosen["school"] = g3.selectbox("Школа", [""] + school_opts, key="flt_school", format_func=lambda x: x or "все",
                                        disabled=not school_opts, **keep,
                                        help="Мероприятия, где названа школа, и те, где школы не названы") or None
        chosen["indicator"] = g4.selectbox("Показатель", [""] + ind_opts, key="flt_ind", disabled=not ind_opts,
                                           format_func=lambda x: ind_names.get(x, x) if x else "все", **keep) or None
        chosen["risk"] = g5.selectbox("Параметр риска", [""] + sorted(risk_opts, key=rules.code_key), key="flt_risk",
                                      disabled=not risk_opts, format_func=lambda x: x or "все", **keep) or None
    return chosen


ind_names = cache.indicator_names()
shown = roadmap_view.filter_items(items, **filters())
if len(shown) != len(items):
    st.caption(f"Показано {len(shown)} из {len(items)}; просрочено среди показанных: {int(shown['overdue'].sum())}.")



def timeline_tab() -> None:
    if shown.empty:
        st.info("Нет пунктов под выбранные условия.")
    else:
        tl = plan_charts.timeline(shown, today)
        if tl is not None:
            st.markdown(tl.html(), unsafe_allow_html=True)
            st.caption("КТ — контрольные точки, «Напр.» — направления дорожной карты; полный текст пункта, срок и "
                       "ответственные — при наведении на его отметку или название (с телефона — во вкладке «Таблица "
                       "по направлениям»).")
        undated = shown[[not plan_charts.on_timeline(k, d, ds)
                         for k, d, ds in zip(shown["deadline_kind"], shown["due_date"], shown["dates"])]]
        if not undated.empty:
            st.markdown(f"**Без даты на графике: {len(undated)}** (регулярные, по графику, по необходимости)")
            plain = (undated.assign(Срок=undated["deadline_text"].fillna("—"),
                                    Вид=[rules.KIND_LABELS.get(k or "", "—") for k in undated["deadline_kind"]])
                     .rename(columns={"number": "№", "title": "Содержание", "responsible": "Ответственные"})
                     [["№", "Содержание", "Срок", "Вид", "Ответственные"]])
            # a few static rows: an HTML table, not a grid (its script alone weighs 1 MB) nor st.table; a card
            # a row on a phone
            with phone_ui.desk("rm_undated"):
                st.markdown(html_table(plain), unsafe_allow_html=True)
            with phone_ui.phone("rm_undated"):
                phone_ui.rows_as_cards(plain.to_dict("records"), "Содержание")


def table_of(df):
    status = [("⚠ просрочено" if o else rules.ACTIVITY_STATUSES.get(s, s)) for o, s in zip(df["overdue"], df["status"])]
    done = [(fmt.date_text(d) if d else "") + (f": {e}" if e else "")
            for d, e in zip(df["completed_on"], df["evidence"])]
    return df.assign(
        Статус=status, Срок=df["deadline_text"].fillna("—"), Дата=[fmt.date_text(d) for d in df["due_date"]],
        Показатели=[", ".join(ind_names.get(x, x) for x in xs) for xs in df["indicators"]],
        Риски=[", ".join(xs) for xs in df["risks"]], Отметка=done,
        Этап=df["stage"].fillna(""),
    ).rename(columns={"number": "№", "title": "Содержание", "responsible": "Ответственные",
                      "expected_result": "Ожидаемый результат", "report_form": "Форма отчёта"})


def table_tab() -> None:
    cols = ["Статус", "№", "Этап", "Содержание", "Срок", "Дата", "Ответственные", "Ожидаемый результат", "Форма отчёта",
            "Показатели", "Риски", "Отметка"]
    cps = shown[shown["kind"] == "control_point"]
    if not cps.empty:
        st.markdown(f"#### Контрольные точки ({len(cps)})")
        cp_table = table_of(cps)[["Статус", "№", "Содержание", "Срок", "Дата", "Ответственные", "Отметка"]]
        st.dataframe(cp_table, hide_index=True, width="stretch", column_config=fitted(cp_table))
    acts = shown[shown["kind"] == "activity"]
    acts = acts.assign(_d=acts["direction"].fillna(""))
    order = sorted(acts["_d"].unique(), key=lambda d: (d == "", rules.code_key(d) if d[:1].isdigit() else (99,), d))
    for d in order:
        part = acts[acts["_d"] == d]
        title = part["direction_title"].iloc[0]
        n = int(part["overdue"].sum())
        head = f"Направление {d}. {title}" if d else "Мероприятия"
        st.markdown(f"#### {escape(head)} ({len(part)}{f', просрочено {n}' if n else ''})")
        present = [c for c in cols if c != "Этап" or part["stage"].astype(bool).any()]
        part_table = table_of(part)[present]
        st.dataframe(part_table, hide_index=True, width="stretch", column_config=fitted(part_table))


def status_tab() -> None:
    """One item's status (and its history), then several items at once."""
    if items.empty:
        st.info("В этой дорожной карте нет мероприятий и контрольных точек.")
        return
    labels = {f"{k}:{i}": f"{'КТ ' if k == 'control_point' else ''}{n}{f' ({s})' if s else ''}. {fmt.clip(t, 100)} — "
              f"{'просрочено' if o else rules.ACTIVITY_STATUSES.get(st_, st_)}"
              for k, i, n, s, t, o, st_ in zip(items["kind"], items["id"], items["number"], items["stage"],
                                               items["title"], items["overdue"], items["status"])}
    pick = st.selectbox("Пункт дорожной карты", list(labels), format_func=labels.get, key="st_item")
    kind, item_id = pick.split(":")[0], int(pick.split(":")[1])
    row = items[(items["kind"] == kind) & (items["id"] == item_id)].iloc[0]
    st.caption(f"Срок: {escape(row['deadline_text'] or '—')} · Ответственные: {escape(row['responsible'] or '—')}")
    with st.form(f"status_{pick}"):
        status = st.radio("Статус", list(rules.ACTIVITY_STATUSES), format_func=rules.ACTIVITY_STATUSES.get,
                          index=list(rules.ACTIVITY_STATUSES).index(row["status"]), horizontal=True)
        done_on = st.date_input("Дата выполнения", value=row["completed_on"] or today, max_value=today,
                                help="Учитывается для статуса «выполнено»",
                                format="DD.MM.YYYY")
        evidence = st.text_area("Подтверждение (документ, ссылка, что сделано) или причина отмены",
                                value=row["evidence"] or "", max_chars=2000)
        if st.form_submit_button("Сохранить", type="primary"):
            actions.write(roadmap_view.set_status, sc, kind, item_id, status, completed_on=done_on,
                          evidence=evidence, today=today, engine=engine, rerun=True, flash="status",
                          done=f"Сохранено: {escape(labels[pick].split(' — ')[0])}")
    actions.show_flash("status")
    history = roadmap_view.status_history(sc, kind, item_id, engine)
    if history:
        st.markdown("**История изменений**")
        st.dataframe([{"Когда": fmt.moment(h["at"]),
                       "Кто": h["login"], "Было": rules.ACTIVITY_STATUSES.get(h["old"]["status"], ""),
                       "Стало": rules.ACTIVITY_STATUSES.get(h["new"]["status"], ""),
                       "Дата выполнения": fmt.date_text(date.fromisoformat(h["new"]["completed_on"])) if h["new"]["completed_on"] else "", "Подтверждение": h["new"]["evidence"] or ""}
                      for h in history], hide_index=True, width="stretch")
    bulk_status()


def bulk_status() -> None:
    st.divider()
    st.markdown("**Несколько пунктов сразу** — одна дата и одно подтверждение для всех выбранных")
    open_items = items[~items["status"].isin(["done", "cancelled"])]
    bulk_labels = {f"{k}:{i}": f"{'КТ ' if k == 'control_point' else ''}{n}{f' ({s_})' if s_ else ''}. "
                   f"{fmt.clip(t, 90)}" for k, i, n, s_, t in zip(open_items["kind"], open_items["id"],
                                                                  open_items["number"], open_items["stage"],
                                                                  open_items["title"])}
    with st.form("status_bulk"):
        picked = st.multiselect("Выполненные пункты", list(bulk_labels), format_func=bulk_labels.get,
                                key="bulk_items")
        b_date = st.date_input("Дата выполнения", value=today, max_value=today, format="DD.MM.YYYY",
                               key="bulk_date")
        b_evidence = st.text_area("Подтверждение (документ, ссылка, что сделано)", max_chars=2000,
                                  key="bulk_evidence")
        if st.form_submit_button("Отметить выполненными", icon=":material/done_all:"):
            actions.write(cycle.mark_done_many, sc, [(p.split(":")[0], int(p.split(":")[1])) for p in picked],
                          b_date, b_evidence, today=today, engine=engine, suffix=actions.NOTHING_CHANGED,
                          rerun=True, flash="status", done=lambda n_done: f"Отмечено выполненными: {n_done}")


def changes_tab() -> None:
    since_default = cycle.previous_visit(sc, engine) or (today - timedelta(days=30))
    since = st.date_input("Изменения с", value=min(since_default, today), max_value=today, format="DD.MM.YYYY",
                          key="changes_since", help="По умолчанию — день вашего предыдущего входа")
    changes = cycle.changes_since(sc, roadmap_id, since, engine)
    if changes.empty:
        st.info(f"С {since:%d.%m.%Y} в этой дорожной карте ничего не менялось.")
    else:
        table_with_download(changes.assign(Когда=changes["at"].map(fmt.moment))
                            .rename(columns={"login": "Кто", "what": "Что", "detail": "Изменение"})
                            [["Когда", "Кто", "Что", "Изменение"]], "изменения_дорожной_карты", "changes_xlsx")


panes = {"График": timeline_tab, "Таблица по направлениям": table_tab}
if sc.can_edit_roadmap:
    panes |= {"Отметить выполнение": status_tab, "Загрузить дорожную карту": load_tab}
panes["Изменения"] = changes_tab
# only the open tab is built: all five — seven grids, a date picker — cost the browser most of the page's time
lazy_tabs(panes, "rm_tab")
