"""The user's own account: who am I, change my password."""

import streamlit as st

from core.formatting import md_text

from core import users
from core.formatting import ROLE_LABELS
from ui import actions, cache
from ui.common import current_user, scope

user = current_user()
st.title("Учётная запись")
st.markdown(f"**{md_text(user.full_name)}** · логин {md_text(user.login)} · {ROLE_LABELS.get(user.role, user.role)}")

with st.form("change_password", clear_on_submit=True):
    st.subheader("Смена пароля")
    old = st.text_input("Текущий пароль", type="password", key="pw_old")
    new = st.text_input("Новый пароль (не меньше 8 символов)", type="password", key="pw_new")
    again = st.text_input("Новый пароль ещё раз", type="password", key="pw_again")
    if st.form_submit_button("Сменить пароль"):
        if new != again:
            st.error("Новые пароли не совпадают.")
        else:
            if actions.write(users.change_own_password, scope(), old, new, cache.engine(), data=False,
                             done="Пароль изменён. Все ваши сеансы завершены, в том числе на других устройствах.").ok:
                st.markdown('<a href="/login" target="_self">Войти с новым паролем</a>', unsafe_allow_html=True)
