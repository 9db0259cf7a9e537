"""«Сбор данных»: who has reported the quarter, the deadline, the schools to chase (list, XLSX, letter),
and the quarter's state: the methodologist marks it checked, the head approves (and unlocks)."""


import streamlit as st

from core.formatting import md_text

from core import cycle
from core import formatting as fmt
from core.reports import DOCX_MIME, XLSX_MIME
from ui import actions, cache
from ui.common import quarter_choices, scope, table_with_download

sc = scope()
engine = cache.engine()
st.title("Сбор данных")

terrs = cache.cycle_territories(sc)
if terrs.empty:
    st.info("Нет территорий с целевыми показателями дорожных карт: собирать пока нечего.")
    st.stop()
today = cache.today()
codes, labels, default = quarter_choices(today)

c1, c2 = st.columns([2, 1])
terr_id = c1.selectbox("Территория", list(terrs["id"]), format_func=dict(zip(terrs["id"], terrs["name"])).get,
                       key="col_territory")
period = c2.selectbox("Квартал", codes, index=codes.index(default), format_func=labels.get, key="col_period")

col = actions.load(cache.collection, sc, int(terr_id), period, today)
info = col.info

# ---------------------------------------------------------------------------------------------
# The quarter's state and the actions of the role
# ---------------------------------------------------------------------------------------------
STATE_ICONS = {"open": ":material/edit_note:", "checked": ":material/fact_check:", "approved": ":material/verified:"}
box = st.success if info.is_approved else st.info
box(f"**Состояние: {info.label}.** {md_text(info.note)}", icon=STATE_ICONS[info.state])
st.caption(f"Срок представления данных: **{info.deadline:%d.%m.%Y}**"
           + (" (по умолчанию: 10-й день после окончания квартала)" if info.deadline_is_default else ""))


def _do(step, *args, ok: str):
    actions.write(step, sc, int(terr_id), period, *args, engine=engine, done=md_text(ok), rerun=True,
                  flash="collection")


actions.show_flash("collection")

if cycle.may_change_state(sc, int(terr_id), "check") and not info.approved_above:
    a1, a2 = st.columns([1, 1])
    if info.state == "open":
        incomplete = col.n_schools - col.n_complete
        if incomplete:
            a1.caption(f"Данные неполные у {incomplete} {fmt.plural(incomplete, ('школы', 'школ', 'школ'))}.")
        if a1.button("Отметить «проверено»", icon=":material/fact_check:", key="col_check"):
            _do(cycle.mark_checked, ok=f"{info.period_label}: данные отмечены как проверенные.")
    elif info.state == "checked":
        if a1.button("Вернуть в работу", icon=":material/undo:", key="col_reopen"):
            _do(cycle.reopen, ok=f"{info.period_label}: отметка «проверено» снята.")
    with a2.popover("Срок представления", icon=":material/event:"):
        new_deadline = st.date_input("Срок", value=info.deadline, format="DD.MM.YYYY", key="col_deadline")
        if st.button("Сохранить срок", key="col_deadline_save"):
            _do(cycle.set_deadline, new_deadline, ok=f"Срок представления данных: {new_deadline:%d.%m.%Y}.")
if cycle.may_change_state(sc, int(terr_id), "approve") and not info.approved_above:
    if info.state == "checked":
        if st.button("Утвердить данные квартала", type="primary", icon=":material/verified:", key="col_approve"):
            _do(cycle.approve, ok=f"{info.period_label}: данные утверждены. Загрузки и ввод в этот квартал закрыты.")
    elif info.state == "approved":
        with st.expander("Снять утверждение"):
            reason = st.text_area("Причина (обязательно; сохраняется в журнале)", key="col_unlock_reason")
            if st.button("Снять утверждение", icon=":material/lock_open:", key="col_unlock",
                         disabled=not reason.strip()):
                _do(cycle.unlock, reason, ok=f"{info.period_label}: утверждение снято, квартал открыт для изменений.")
    elif not cycle.may_change_state(sc, int(terr_id), "check"):
        st.caption("Утвердить можно после того, как методист отметит данные как проверенные.")

# ---------------------------------------------------------------------------------------------
# Who has reported
# ---------------------------------------------------------------------------------------------
m = st.columns(4)
m[0].metric("Школ", col.n_schools)
m[1].metric("Представили", col.n_reported)
m[2].metric("Полностью", col.n_complete)
m[3].metric("С опозданием или не в срок", col.n_late)

last = col.latest
if last:
    st.caption(f"Последним представил данные: {md_text(last['school'])} — {fmt.moment(last['last_at'])}, "
               f"{md_text(last['by'])}, {last['via']}")
f1, f2 = st.columns(2)
late_only = f1.checkbox("Только опоздавшие", key="col_late")
incomplete_only = f2.checkbox("Только неполные", key="col_incomplete")
shown = col.filtered(late_only=late_only, incomplete_only=incomplete_only)


table = shown.assign(
    Значений=shown["reported_values"].astype(str) + " из " + shown["expected"].astype(str),
    Впервые=shown["first_at"].map(fmt.moment), Последнее=shown["last_at"].map(fmt.moment),
    Опоздание=shown["late"].map({True: "да", False: ""}),
).rename(columns={"school": "Школа", "code": "Код", "status": "Состояние", "by": "Кто", "via": "Как"})
if table.empty:
    st.caption("Нет школ, подходящих под фильтр.")
else:
    small = st.column_config.TextColumn(width="small")
    table_with_download(table[["Школа", "Значений", "Состояние", "Последнее", "Кто", "Как", "Опоздание", "Впервые", "Код"]],
                        f"сбор_данных_{period}", "col_table_xlsx", height=min(38 + 35 * len(table), 560), phone_title="Школа",
                        column_config={"Значений": small, "Опоздание": small, "Код": small})

# ---------------------------------------------------------------------------------------------
# Not reported: on screen, XLSX, a letter
# ---------------------------------------------------------------------------------------------
missing = col.not_reported
st.subheader(f"Не представили данные: {len(missing)}")
if missing.empty:
    st.caption("Все школы представили данные за квартал (хотя бы частично).")
else:
    st.markdown("\n".join(f"- {md_text(r.school)} ({md_text(r.code)})" for r in missing.itertuples()))
    d1, d2 = st.columns(2)
    d1.download_button("Список (.xlsx)", lambda: cycle.not_reported_xlsx(col), file_name=f"не_представили_{period}.xlsx",
                       mime=XLSX_MIME, icon=":material/download:", key="col_xlsx", on_click="ignore")
    d2.download_button("Письмо «О представлении данных» (.docx)", lambda: cycle.not_reported_letter(col),
                       file_name=f"письмо_о_представлении_данных_{period}.docx", mime=DOCX_MIME,
                       icon=":material/mail:", key="col_letter", on_click="ignore")
