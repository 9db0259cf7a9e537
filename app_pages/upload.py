"""Spreadsheets in: the template to send out, the upload with checks and a preview, the log with
the original files and undo."""


import streamlit as st

from core.errors import Refused

from core.formatting import md_text

from core import formatting as fmt
from core import reports
from core import periods as calendar
from core.ingest import columns, pipeline, template
from core.ingest.excel import FORMATS_TEXT, MAX_FILE_BYTES
from core.ingest.numbers import megabytes
from ui import actions, cache, phone
from ui.common import current_user, file_uploader, problems_table, scope, table_with_download

PREVIEW_ROWS = 500  # the rows of «Что изменится» drawn on the page; the whole table is a download

sc = scope()
user = current_user()
engine = cache.engine()
st.title("Загрузка данных")

# any period is valid: the last three years' quarters and years, the ones already in the database;
# by default the last quarter that has ended («сегодня»: the demo clock in the demo)
today = cache.today()
choices = calendar.upload_choices([p.code for p in cache.periods()], today)
default_period = calendar.last_finished_quarter(today).code
period_codes = [p.code for p in choices]
labels = {p.code: p.label for p in choices}
schools = cache.schools(sc)

tab_load, tab_template, tab_log = st.tabs(["Загрузить файл", "Шаблон для школ", "Журнал загрузок"])

# ---------------------------------------------------------------------------------------------
with tab_template:
    st.markdown("Шаблон — книга .xlsx с листом «Данные»: строка на школу, столбец на каждую величину. "
                "Код и наименование школы заполнены и защищены; в ячейках стоит проверка ввода.")
    c1, c2 = st.columns(2)
    t_period = c1.selectbox("Период", period_codes, index=period_codes.index(default_period), format_func=labels.get,
                            key="tpl_period")
    terr = sorted({(s.territory_id, s.territory) for s in schools}, key=lambda x: x[1])
    t_terr = c2.selectbox("Территория", [t for t, _ in terr], format_func=dict(terr).get, key="tpl_territory")
    terr_schools = {s.id: s for s in schools if s.territory_id == t_terr}
    chosen = st.multiselect("Школы (пусто — все школы территории)", list(terr_schools),
                            format_func=lambda i: terr_schools[i].short_name, key="tpl_schools",
                            placeholder="все школы территории")
    # built when clicked: a template for a thousand schools takes half a second
    st.download_button("Скачать шаблон (.xlsx)",
                       lambda: template.build_template(sc, t_period, territory_id=int(t_terr),
                                                       school_ids=[int(x) for x in chosen] or None, engine=engine),
                       file_name=f"шаблон_{t_period}.xlsx",
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                       icon=":material/download:", key="tpl_download", on_click="ignore")
    st.divider()
    st.markdown("**Форма одной школы** — вертикальная анкета, которую школа заполняет и присылает; "
                "несколько таких форм можно загрузить за один раз.")
    f_school = st.selectbox("Школа", list(terr_schools),
                            format_func=lambda i: terr_schools[i].short_name, key="form_school")
    if f_school is not None:
        code = terr_schools[f_school].code
        st.download_button("Скачать форму школы (.xlsx)",
                           lambda: template.build_school_form(sc, t_period, int(f_school), engine=engine),
                           file_name=f"форма_{code}_{t_period}.xlsx",
                           mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                           icon=":material/download:", key="form_download", on_click="ignore")

# ---------------------------------------------------------------------------------------------
with tab_load:
    st.markdown(
        "Перетащите сюда заполненный шаблон, формы школ (можно несколько сразу) или таблицу со столбцами "
        "«Код школы», «Показатель», «Период», «Значение» / «Числитель», «Знаменатель». "
        f"Принимаются {FORMATS_TEXT} до {megabytes(MAX_FILE_BYTES)}. Сначала файл проверяется и показывается, "
        "что изменится; в базу ничего не пишется, пока вы не нажмёте «Записать».")
    # the period the file names itself is preselected (set before the widget is drawn); only a
    # period the user picked is a choice that a file naming another one asks about
    from_file = st.session_state.pop("up_period_from_file", None)
    if from_file:
        st.session_state["up_period"] = from_file
    u_period = st.selectbox("Период данных", period_codes,
                            index=0 if "up_period" in st.session_state else period_codes.index(default_period),
                            format_func=labels.get, key="up_period",
                            on_change=lambda: st.session_state.update(up_period_chosen=True),
                            help="Если в файле указан его период, он выбирается сам. Если вы выбрали другой, "
                                 "страница спросит, какой из двух верный.")
    chosen_period = u_period if st.session_state.get("up_period_chosen") else None
    files = file_uploader("Файлы с данными", "up_files", multiple=True)
    if files:
        payload = [(f.name, f.getvalue()) for f in files]
        # the user's answers to the file's questions (period, unknown columns), kept while the files stay
        signature = tuple((f.name, f.size) for f in files)
        if st.session_state.get("up_signature") != signature:
            st.session_state["up_signature"], st.session_state["up_answers"] = signature, {}
        answers = st.session_state["up_answers"]
        preview, refused = None, None
        # the check is made once per file, answers, period and data version — not again on the
        # rerun of a click (a 50,000-value file costs seconds)
        check_key = (signature, tuple(sorted(answers.items())), chosen_period, st.session_state.get(cache.VERSION_KEY))
        kept = st.session_state.get("up_checked")
        if kept is not None and kept[0] == check_key and (kept[3] == u_period or not (kept[1] and kept[1].used_fallback)):
            preview, refused = kept[1], kept[2]  # the preselected period changes nothing when the file names its own
        else:
            with st.status("Проверка файла…", expanded=False) as status:
                try:
                    status.update(label="Чтение и проверка…")
                    preview = pipeline.prepare(sc, payload, chosen_period, engine, answers=answers,
                                               fallback_period=u_period)
                    status.update(label="Проверка закончена", state="complete" if preview.ok else "error")
                except Refused as exc:  # said below the status box (inside a collapsed box it went unseen)
                    status.update(label="Файл не принят", state="error")
                    refused = str(exc)
            st.session_state["up_checked"] = (check_key, preview, refused, u_period)
        if (preview is not None and chosen_period is None and preview.file_period in period_codes
                and preview.file_period != u_period):
            st.session_state["up_period_from_file"] = preview.file_period
            st.rerun()
        if refused:
            st.error(f"{md_text(refused)} База данных не изменена.", icon=":material/block:")
        if preview is not None:
            counts = preview.counts()
            m = st.columns(4)
            m[0].metric("Значений в файле", len(preview.rows))
            m[1].metric("Новых", counts["new"])
            m[2].metric("Изменится", counts["changed"])
            m[3].metric("Без изменений", counts["unchanged"])
            if preview.duplicate_of:
                d = preview.duplicate_of
                st.warning(f"Этот файл уже загружен: загрузка № {d['id']} от {fmt.moment(d['uploaded_at'])} "
                           f"(«{md_text(d['file_name'])}»). Повторно он не "
                           "записывается.", icon=":material/content_copy:")
            if preview.errors:
                st.error(f"Найдено ошибок: {len(preview.errors)}. Файл не будет записан, пока они не исправлены. "
                         "База данных не изменена.", icon=":material/error:")
                for msg in dict.fromkeys(p.message for p in preview.errors if not p.where):
                    st.error(msg, icon=":material/lock:")  # a whole-file refusal (an approved quarter) in words
            if preview.errors or preview.warnings:
                # an HTML table that wraps: at 1280 px a grid pushed «Что не так» off the screen; what is wrong first
                problems_table(preview.errors + preview.warnings)
            period_notes = [n for n in preview.notes if not n.sheet]
            for n in period_notes:
                st.info(md_text(n.text[:1].upper() + n.text[1:]) + ".", icon=":material/event:")
            skipped = [n for n in preview.notes if n.sheet]
            if skipped:
                with st.expander(f"Пропущено при чтении (не данные школ): {len(skipped)}"):
                    problems_table(skipped, cell=False)

            answer_names = st.session_state.setdefault("up_answer_names", {})

            def remember(question_key: str, names: dict) -> None:
                answers[question_key] = st.session_state[f"q_{question_key}"]
                answer_names[question_key] = names.get(answers[question_key], answers[question_key])

            if preview.questions:
                st.warning(f"Файл задаёт вопросов: {len(preview.questions)}. Ответьте — ничего не будет записано, "
                           "пока ответа нет.", icon=":material/help:")
            for q in preview.questions:
                with st.container(border=True):
                    values, names = [v for v, _ in q.options], dict(q.options)
                    if len(values) <= 3:
                        st.radio(q.text, values, index=None, format_func=names.get, key=f"q_{q.key}",
                                 on_change=remember, args=(q.key, names))
                    else:
                        st.selectbox(q.text, values, index=None, format_func=names.get, key=f"q_{q.key}",
                                     placeholder="Выберите показатель или «Пропустить столбец»…",
                                     on_change=remember, args=(q.key, names))
            if answers:
                a1, a2 = st.columns([4, 1], vertical_alignment="center")
                a1.caption("Ваши ответы: " + "; ".join(
                    f"{'период' if k == 'period' else 'столбец ' + k.rsplit(':', 1)[-1].replace('@', ' таблицы со строки ')} — "
                    f"{answer_names.get(k, v)}" for k, v in answers.items()))
                if a2.button("Изменить ответы", key="up_answers_reset", icon=":material/restart_alt:"):
                    answers.clear()
                    st.rerun()
            for n, miss in enumerate(preview.unmatched if sc.sees_whole_territory else []):
                # a name as the office writes it: confirmed once, remembered for the next uploads
                with st.container(border=True):
                    st.markdown(f"**Школа «{md_text(miss['name'])}» не найдена.** Если это одна из ваших школ, выберите её — "
                                "наименование запомнится и в следующий раз будет узнано само.")
                    options = [c["id"] for c in miss["candidates"]] + [
                        s.id for s in schools if s.id not in {c["id"] for c in miss["candidates"]}]
                    names = {s.id: s.short_name for s in schools} | {
                        c["id"]: c["short_name"] for c in miss["candidates"]}
                    a1, a2 = st.columns([3, 1], vertical_alignment="bottom")
                    pick_school = a1.selectbox("Это школа", options, index=None, format_func=names.get,
                                               placeholder="Выберите школу…", key=f"alias_pick_{n}")
                    if a2.button("Запомнить", key=f"alias_save_{n}", disabled=pick_school is None,
                                 icon=":material/link:"):
                        actions.write(pipeline.learn_alias, sc, miss["name"], int(pick_school), engine=engine,
                                      rerun=True)
            if preview.rows:
                with st.expander("Что изменится", expanded=not preview.errors):
                    shown = st.session_state.get("up_shown")  # formatted once per check, not on every rerun
                    if shown is None or shown[0] is not preview:
                        shown = st.session_state["up_shown"] = (preview, preview.table(limit=PREVIEW_ROWS))
                    phone.preview(shown[1], "upload_preview")  # a phone: a card a value
                    if len(preview.rows) > PREVIEW_ROWS:
                        st.caption(f"Показаны первые {fmt.num(PREVIEW_ROWS)} из {fmt.num(len(preview.rows))} "
                                   "значений; вся таблица — файлом.")
                        st.download_button("Скачать всю таблицу (.xlsx)",
                                           lambda: reports.frame_xlsx(preview.table(), "Что изменится"),
                                           file_name="что_изменится.xlsx", mime=reports.XLSX_MIME,
                                           key="up_changes_xlsx", on_click="ignore", icon=":material/download:")
            if preview.ok:
                accept = True
                if preview.warnings:
                    accept = st.checkbox(f"Я проверил(а) предупреждения ({len(preview.warnings)}), данные верны",
                                         key="up_accept")
                if st.button("Записать", type="primary", disabled=not accept or not (counts["new"] + counts["changed"]),
                             key="up_apply", icon=":material/save:"):
                    data = payload[0][1] if len(payload) == 1 else pipeline.bundle(payload)
                    with st.spinner("Запись…"):
                        actions.write(pipeline.apply, sc, preview, data, accept_warnings=accept, engine=engine,
                                      done=lambda uid: f"Записано: загрузка № {uid}. Новых значений {counts['new']}, "
                                                       f"изменено {counts['changed']}. Обзор уже показывает новые данные.")

    kept_columns = columns.listing(sc, engine) if sc.sees_whole_territory else []
    if kept_columns:
        # columns of the offices' own tables answered once: read so next time; changed or forgotten here
        with st.expander(f"Запомненные столбцы: {len(kept_columns)}"):
            st.table([{"Столбец": m.header, "Читается как": m.answer_label, "Территория": m.territory,
                       "Кто": m.login or "—"} for m in kept_columns])
            by_id = {m.id: m for m in kept_columns}
            k1, k2 = st.columns(2)
            pick = k1.selectbox("Столбец", list(by_id), format_func=lambda i: f"«{by_id[i].header}» ({by_id[i].territory})",
                                key="colmap_pick")
            options = dict(columns.choices(engine))
            new_answer = k2.selectbox("Читать как", list(options), format_func=options.get, key=f"colmap_answer_{pick}",
                                      index=list(options).index(by_id[pick].answer) if by_id[pick].answer in options
                                      else 0)
            b1, b2 = st.columns(2)
            if b1.button("Сохранить", key="colmap_save", icon=":material/save:",
                         disabled=new_answer == by_id[pick].answer):
                actions.write(columns.change, sc, int(pick), new_answer, engine=engine, rerun=True)
            if b2.button("Забыть столбец", key="colmap_remove", icon=":material/delete:",
                         help="Следующий файл с этим столбцом снова спросит, что в нём"):
                actions.write(columns.remove, sc, int(pick), engine=engine, rerun=True)

# ---------------------------------------------------------------------------------------------
with tab_log:
    log = pipeline.uploads(sc, engine)
    if log.empty:
        st.caption("Загрузок пока не было.")
    else:
        status_names = {"applied": "записана", "undone": "отменена"}
        shown = log.assign(
            Когда=log["uploaded_at"].map(fmt.moment),
            Статус=log["status"].map(status_names),
            Предупреждения=log["errors"].fillna("").map(lambda e: "есть" if e else ""),
            Вид=log["kind"].map({"entry": "ввод в браузере", "correction": "исправление"}).fillna("файл"),
        ).rename(columns={"id": "№", "file_name": "Файл", "login": "Кто", "n_rows": "Значений", "n_new": "Новых",
                          "n_changed": "Изменено", "n_unchanged": "Без изменений"})
        shown = shown[["№", "Когда", "Вид", "Файл", "Кто", "Значений", "Новых", "Изменено", "Без изменений", "Статус",
                       "Предупреждения"]]
        with phone.desk("upload_log"):
            table_with_download(shown, "история_загрузок", "log_xlsx")
        with phone.phone("upload_log"):  # eleven columns would scroll sideways on a phone: a card an upload
            phone.rows_as_cards([{"№": f"Загрузка № {r['№']}", **{k: v for k, v in r.items() if k != "№"}}
                                 for r in shown.to_dict("records")], "№", strong=("Статус",))
        pick = st.selectbox("Загрузка", list(log["id"]), format_func=lambda i: f"№ {i}", key="log_pick")
        if pick is not None:
            row = log[log["id"] == pick].iloc[0]
            st.download_button("Скачать исходный файл", lambda: pipeline.original_file(sc, int(pick), engine)[1],
                               file_name=pipeline.original_file_name(log[log["id"] == pick].iloc[0]["file_name"],
                                                                     int(pick)),
                               key="log_download", icon=":material/download:", on_click="ignore")
            if row["status"] == "applied":
                confirm = st.checkbox(f"Да, отменить загрузку № {pick}: вернуть прежние значения", key="log_confirm")
                if st.button("Отменить загрузку", disabled=not confirm, key="log_undo", icon=":material/undo:"):
                    actions.write(pipeline.undo, sc, int(pick), engine,
                                  done=lambda res: f"Загрузка № {pick} отменена: восстановлено {res['restored']}, "
                                  f"удалено {fmt.count(res['removed'], ('значение', 'значения', 'значений'))}.")
