"""ui/actions.py: a page's writes and checks — a refusal said once in Russian, a success carried across
the rerun that follows it (before, the admin's «Готово.» was drawn and wiped by the rerun at once)."""

from streamlit.testing.v1 import AppTest

from tests.helpers import run_as


def _script():
    import streamlit as st

    from core.errors import Refused
    from ui import actions

    def refuse():
        raise Refused("Строка 3: значение «abc» не число.")

    def count(n):
        st.session_state["writes"] = st.session_state.get("writes", 0) + n
        return st.session_state["writes"]

    actions.show_flash("here")
    if st.button("refuse"):
        st.session_state["refused"] = actions.write(refuse, data=False, suffix=actions.NOTHING_CHANGED).ok
    if st.button("write"):
        actions.write(count, 2, data=False, rerun=True, flash="here", done=lambda n: f"Записано: {n}")
    if st.button("check"):
        st.session_state["checked"] = actions.check(count, 1).value


def test_a_refusal_is_said_and_the_page_goes_on():
    at = AppTest.from_function(_script).run()
    at.button[0].click().run()
    assert not at.exception
    assert [e.value for e in at.error] == ["Строка 3: значение «abc» не число. Ничего не изменено."]
    assert at.session_state["refused"] is False


def test_a_success_is_said_after_the_rerun_it_asks_for():
    at = AppTest.from_function(_script).run()
    at.button[1].click().run()
    assert not at.exception
    assert [s.value for s in at.success] == ["Записано: 2"]  # shown after the rerun, where the page put it
    at.run()
    assert not at.success  # said once
    at.button[2].click().run()
    assert at.session_state["checked"] == 3 and not at.error


def test_the_admin_sees_that_a_user_was_deactivated(app_db):
    at = run_as("demo-admin", "../app_pages/admin.py")
    at.text_input(key="new_login").input("flash-user")
    at.text_input(key="new_name").input("Проверка сообщения")
    at.selectbox(key="new_role").set_value("methodologist")
    at.selectbox(key="new_territory").set_value(1)
    at.text_input(key="new_password").input("короткий")
    [b for b in at.get("button") if getattr(b, "label", "") == "Создать"][0].click().run()
    assert any("flash-user" in s.value for s in at.success)
    at.run()  # the list of users is read before the form: the next run has the new one
    at.selectbox(key="admin_user_pick").set_value("flash-user").run()
    at.button(key="admin_toggle").click().run()
    assert not at.exception
    assert [s.value for s in at.success if "отключён" in s.value] == [
        "Пользователь «flash-user» отключён, его сеансы завершены."]


def test_a_refused_user_is_not_created_and_the_reason_is_said(app_db):
    at = run_as("demo-admin", "../app_pages/admin.py")
    at.text_input(key="new_login").input("x y")
    at.text_input(key="new_name").input("Плохой логин")
    at.text_input(key="new_password").input("длинный-пароль")
    [b for b in at.get("button") if getattr(b, "label", "") == "Создать"][0].click().run()
    assert not at.exception
    assert len(at.error) == 1 and "Логин" in at.error[0].value
    assert "x y" not in list(at.dataframe[0].value["Логин"])
