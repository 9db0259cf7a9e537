"""«Ввод данных»: a principal types their school's values for a quarter; a methodologist corrects a
school's value with a reason. Both are checked and written by the upload pipeline (preview, history,
undo in the upload log)."""

import streamlit as st

from core.formatting import md_text

from core import cycle
from core import formatting as fmt
from core.ingest import pipeline
from ui import actions, cache, phone
from ui.common import problems_table, quarter_choices, scope

sc = scope()
engine = cache.engine()
correction = cycle.is_correction(sc)
st.title("Ввод данных")
if correction:
    st.caption("Исправление значения школы — с обязательной причиной; исправление проходит тот же путь, что и загрузка файла, и попадает в журнал.")

today = cache.today()
codes, labels, default = quarter_choices(today)

c1, c2 = st.columns([2, 1])
if correction:
    schools = cache.schools(sc)
    if not schools:
        st.info("Нет школ, доступных для исправления.")
        st.stop()
    school_id = c1.selectbox("Школа", [s.id for s in schools], key="entry_school",
                             format_func={s.id: f"{s.short_name} ({s.code})" for s in schools}.get)
else:
    school_id = sc.own_school_id
    if school_id is None:
        st.info("Учётная запись не привязана к школе: обратитесь к администратору.")
        st.stop()
period = c2.selectbox("Квартал", codes, index=codes.index(default), format_func=labels.get, key="entry_period")

school, per, rows = actions.load(cycle.entry_form, sc, int(school_id), period, engine)
info = cycle.quarter_state(school["territory_id"], per["code"], engine)
if not correction:
    c1.markdown(f"**{md_text(school['name'])}**")
if info.is_approved:
    st.warning(f"{md_text(info.note)} Ввод закрыт: изменить данные можно после того, как руководитель снимет утверждение.",
               icon=":material/lock:")
if not rows:
    st.info("Для школы нет целевых показателей дорожной карты: вводить нечего.")
    st.stop()

actions.show_flash("entry")

prev_label = rows[0].previous_label


def _prev(r, i: int) -> str:
    if r.previous is None or r.previous[i] is None:
        return "—"
    return fmt.num(r.previous[i], 0)


st.caption("Доли вводятся двумя целыми числами: всего и «из них»; процент считается сам. Пустое поле — "
           "значение не вводится. " + (f"Рядом — значение за {prev_label}." if prev_label else ""))
key = f"{school['id']}:{per['code']}"
with st.form(f"entry_form_{key}", border=True):
    values: dict[str, dict] = {}
    for r in rows:
        st.markdown(f"**{md_text(r.short_name)}**" + (f" ({md_text(r.unit)})" if r.value_kind != "share" else ""))
        cur = r.current or (None, None, None)
        if r.value_kind == "share":
            a, b, p = st.columns([2, 2, 1])
            den = a.number_input(md_text(r.denominator_label or "Всего"), min_value=0.0, value=cur[2], step=1.0, format="%g",
                                 key=f"e_{key}_{r.code}_d")
            with a, phone.phone(f"prev_{r.code}_d"):  # a phone stacks the columns: each field its own
                st.caption(f"{prev_label or 'Прошлый квартал'}: {_prev(r, 2)}")
            num = b.number_input(md_text(r.numerator_label or "Из них"), min_value=0.0, value=cur[1], step=1.0, format="%g",
                                 key=f"e_{key}_{r.code}_n")
            with b, phone.phone(f"prev_{r.code}_n"):
                st.caption(f"{prev_label or 'Прошлый квартал'}: {_prev(r, 1)}"
                           + (f" ({fmt.num(r.previous[0])} %)" if r.previous else ""))
            with p, phone.desk(f"prev_{r.code}"):
                st.caption(f"{prev_label or 'Прошлый квартал'}: {_prev(r, 1)} из {_prev(r, 2)}"
                           + (f" ({fmt.num(r.previous[0])} %)" if r.previous else ""))
            values[r.code] = {"denominator": den, "numerator": num}
        else:
            a, p = st.columns([4, 1])
            v = a.number_input(md_text(r.short_name), min_value=0.0, value=cur[0], step=1.0, format="%g",
                               key=f"e_{key}_{r.code}_v", label_visibility="collapsed")
            p.caption(f"{prev_label or 'Прошлый квартал'}: {_prev(r, 0)}")
            values[r.code] = {"value": v}
    reason = st.text_input("Причина исправления (обязательно)", key=f"e_{key}_reason") if correction else None
    checked = st.form_submit_button("Проверить", icon=":material/rule:", disabled=info.is_approved)

if checked:
    st.session_state.pop("entry_preview", None)
    prepared = actions.check(cycle.prepare_entry, sc, int(school["id"]), per["code"], values, reason=reason,
                             engine=engine, suffix=" Ничего не записано.")
    if prepared.ok:
        st.session_state["entry_preview"] = (key, *prepared.value)

stored = st.session_state.get("entry_preview")
if stored and stored[0] == key:
    _, pv, data = stored
    counts = pv.counts()
    if pv.errors:
        st.error(f"Найдено ошибок: {len(pv.errors)}. Исправьте значения и проверьте снова. Ничего не записано.",
                 icon=":material/error:")
    if pv.errors or pv.warnings:
        problems_table(pv.errors + pv.warnings, cell=False)
    if pv.rows:
        phone.preview(pv.table(), "entry_preview", drop=("Школа", "Период"))  # a phone: cards
    if pv.ok:
        accept = True
        if pv.warnings:
            accept = st.checkbox(f"Я проверил(а) предупреждения ({len(pv.warnings)}), значения верны",
                                 key="entry_accept")
        if st.button("Записать", type="primary", icon=":material/save:", key="entry_apply",
                     disabled=not accept or not (counts["new"] + counts["changed"])):
            def _apply():
                uid = pipeline.apply(sc, pv, data, accept_warnings=accept, engine=engine)
                st.session_state.pop("entry_preview", None)
                return uid

            actions.write(_apply, rerun=True, flash="entry",
                          done=lambda uid: f"Записано (запись № {uid} в журнале загрузок): новых значений "
                          f"{counts['new']}, изменено {counts['changed']}. Отменить можно на странице «Загрузка "
                          "данных» → «Журнал загрузок».")
