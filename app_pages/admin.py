"""Administration: users (create, deactivate, reset password) and the audit log."""

from datetime import timedelta

import pandas as pd
import streamlit as st

from core.formatting import md_text, moment

from core import maintenance, users
from core.settings import office_date
from core.auth import ROLES
from core.formatting import ROLE_LABELS
from ui import actions, cache
from ui.common import scope, table_with_download

sc = scope()
st.title("Администрирование")
table = actions.load(users.list_users, sc, cache.engine())
territories, schools = actions.load(users.territories_and_schools, sc, cache.engine())

tab_users, tab_new, tab_audit, tab_throttle = st.tabs(["Пользователи", "Новый пользователь", "Журнал действий",
                                                       "Задержки входа"])

terr_ids = [None] + [int(x) for x in territories["id"]]
terr_names = dict(zip(territories["id"], territories["name"]))
school_ids = [None] + [int(x) for x in schools["id"]]
school_names = dict(zip(schools["id"], schools["label"]))  # «СОШ № 2 — город Невинномысск»


def edit_user(uid: int, row) -> None:
    """Role, territory and school of a user (audited; their sessions end when access changes)."""
    with st.form(f"admin_edit_{uid}"):
        st.markdown(f"**Роль и привязка пользователя «{md_text(row['login'])}»**")
        c1, c2, c3 = st.columns(3)
        role = c1.selectbox("Роль", ROLES, index=list(ROLES).index(row["role"]), format_func=ROLE_LABELS.get,
                            key=f"edit_role_{uid}")
        t_now = None if pd.isna(row["territory_id"]) else int(row["territory_id"])
        territory = c2.selectbox("Территория", terr_ids, index=terr_ids.index(t_now),
                                 format_func=lambda i: "—" if i is None else terr_names[i], key=f"edit_terr_{uid}")
        s_now = None if pd.isna(row["school_id"]) else int(row["school_id"])
        school = c3.selectbox("Школа", school_ids, index=school_ids.index(s_now),
                              format_func=lambda i: "—" if i is None else school_names[i], key=f"edit_school_{uid}")
        if st.form_submit_button("Сохранить роль и привязку"):
            saved = actions.write(users.update, sc, uid, role=role, territory_id=territory, school_id=school,
                                  engine=cache.engine(), data=False, rerun=bool, flash="users",
                                  done=lambda changes: "Сохранено; сеансы пользователя завершены, при следующем "
                                  "входе он увидит новый доступ." if changes else None)
            if saved.ok:  # nothing changed (a change starts the page again)
                st.info("Ничего не изменилось.")


with tab_users:
    actions.show_flash("users")
    shown = table.assign(role=table["role"].map(ROLE_LABELS), territory=table["territory"].fillna("—"),
                         school=table["school"].fillna("—"),
                         created_at=table["created_at"].map(moment)).rename(columns={
        "login": "Логин", "full_name": "ФИО", "role": "Роль", "territory": "Территория", "school": "Школа",
        "is_active": "Активен", "created_at": "Создан"}).drop(columns=["id", "territory_id", "school_id"])
    table_with_download(shown, "пользователи", "users_xlsx")
    logins = dict(zip(table["login"], table["id"]))
    who = st.selectbox("Пользователь", list(logins), key="admin_user_pick", placeholder="Выберите пользователя")
    if who:
        uid = int(logins[who])
        row = table.loc[table["id"] == uid].iloc[0]
        active = bool(row["is_active"])
        edit_user(uid, row)
        c1, c2 = st.columns(2)
        with c1:
            label = "Отключить (завершит все его сеансы)" if active else "Включить"
            if st.button(label, key="admin_toggle"):
                actions.write(users.set_active, sc, uid, not active, cache.engine(), data=False, rerun=True,
                              flash="users", done=f"Пользователь «{md_text(who)}» "
                              + ("отключён, его сеансы завершены." if active else "включён."))
        with c2:
            with st.form("admin_reset", clear_on_submit=True):
                pw = st.text_input("Новый пароль", type="password", key="admin_reset_pw")
                if st.form_submit_button("Сбросить пароль"):
                    actions.write(users.reset_password, sc, uid, pw, cache.engine(), data=False,
                                  done=f"Пароль пользователя «{md_text(who)}» изменён; его сеансы завершены.")

with tab_new:
    with st.form("admin_new_user", clear_on_submit=False):
        login = st.text_input("Логин", key="new_login", max_chars=64, help="Буквы, цифры и знаки . _ - @")
        full_name = st.text_input("ФИО", key="new_name", max_chars=255)
        role = st.selectbox("Роль", ROLES, format_func=ROLE_LABELS.get, key="new_role")
        territory = st.selectbox("Территория (руководитель управления, методист)", terr_ids,
                                 format_func=lambda i: "—" if i is None else terr_names[i], key="new_territory")
        school = st.selectbox("Школа (руководитель школы, куратор)", school_ids,
                              format_func=lambda i: "—" if i is None else school_names[i], key="new_school")
        password = st.text_input("Пароль (не меньше 8 символов)", type="password", key="new_password")
        if st.form_submit_button("Создать"):
            actions.write(users.create, sc, login=login, password=password, full_name=full_name, role=role,
                          territory_id=territory, school_id=school, engine=cache.engine(), data=False,
                          done=f"Пользователь «{md_text(login.strip().lower())}» создан.")

with tab_audit:
    c1, c2, c3 = st.columns([2, 1, 1])
    actions = c1.multiselect("Действия", list(users.AUDIT_ACTIONS), format_func=users.AUDIT_ACTIONS.get,
                             key="audit_actions", placeholder="Все действия")
    who = c2.text_input("Логин", key="audit_login")
    period = c3.date_input("Период", value=(office_date() - timedelta(days=30), office_date()), key="audit_period",
                           format="DD.MM.YYYY")
    since, until = (period if isinstance(period, tuple) and len(period) == 2 else (None, None))
    log = users.audit_log(sc, actions=actions or None, login=who or None, since=since, until=until,
                          engine=cache.engine())
    st.caption(f"Записей: {len(log)} (не больше 500 последних)")
    table_with_download(log, "журнал_действий", "audit_xlsx")

with tab_throttle:
    st.caption("После нескольких неудачных попыток входа с одного адреса следующие попытки этого логина "
               "с этого адреса ждут — 1, 2, 4 … секунды (не больше 5 минут); с другого адреса владелец "
               "входит как обычно. Адрес, с которого ошибаются многие разные логины, тоже ждёт. "
               "Задержку можно снять; неудачные попытки остаются в журнале.")
    throttles = users.throttles(sc, cache.engine())
    if throttles.empty:
        st.success("Сейчас никто не ждёт.")
    else:
        rules = {"login_address": "логин с адреса", "address": "весь адрес (разные логины)"}
        st.dataframe(pd.DataFrame({
            "Логин": throttles["login"].fillna("все логины"), "Адрес": throttles["ip"].fillna("—"),
            "Неудачных попыток": throttles["failures"],
            "Последняя": throttles["last"].map(moment),
            "Ждать, с": throttles["wait_seconds"].map(lambda w: int(w + 0.999)),
            "Правило": throttles["rule"].map(rules)}), hide_index=True, width="stretch")
        keys = list(zip(throttles["login"], throttles["ip"]))
        pick = st.selectbox("Задержка", range(len(keys)), key="throttle_pick", format_func=lambda i: (
            f"{keys[i][0] or 'все логины'} — {keys[i][1] or 'адрес неизвестен'}"))
        if st.button("Снять задержку", key="throttle_clear", icon=":material/lock_open:"):
            n = users.clear_throttle(sc, login=keys[pick][0], ip=keys[pick][1], engine=cache.engine())
            st.success(f"Задержка снята (забыто неудачных попыток: {n}); запись в журнале сделана. "
                       "Таблица обновится при следующем действии.")

st.divider()
st.subheader("Обслуживание базы данных")
last = maintenance.LAST_CHECK.get(str(cache.engine().url))
if last:
    when, found = last
    msg = f"Проверка при запуске ({moment(when)}): "
    (st.warning if found else st.caption)(msg + ("; ".join(f"{f.detail}: {f.count}" for f in found) or "всё в порядке"))
c1, c2 = st.columns(2)
with c1:
    if st.button("Проверить целостность", key="maint_check", icon=":material/fact_check:"):
        findings = maintenance.integrity(cache.engine())
        if findings:
            for f in findings:
                st.error(f"{f.detail}: {f.count}")
        else:
            st.success("Целостность в порядке: внешние ключи, сводная таблица и связи проверены.")
with c2:
    if cache.engine().dialect.name != "sqlite":
        st.info("Для PostgreSQL резервные копии делаются средствами сервера: pg_dump (см. README).")
    else:
        if st.button("Сделать резервную копию", key="maint_backup", icon=":material/backup:"):
            path = maintenance.backup(sc, cache.engine())
            st.success(f"Резервная копия сделана: {path.name}")
        copies = maintenance.list_backups()
        if copies:
            name = st.selectbox("Резервные копии", [b["name"] for b in copies], key="maint_pick")
            sure = st.checkbox("Да, заменить все текущие данные данными из этой копии", key="maint_confirm")
            if st.button("Восстановить", disabled=not sure, key="maint_restore", icon=":material/restore:"):
                actions.write(maintenance.restore, sc, name, confirm=sure, engine=cache.engine(),
                              done=lambda before: f"Восстановлено из «{md_text(name)}». Прежнее состояние сохранено "
                              f"как «{md_text(before.name)}».")
