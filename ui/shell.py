"""The frame of every run: page config, who is logged in, the pages of that role (the theme CSS is a
file every page links: ui/theme.py).

`main.py` resolves the user from the session cookie; tests resolve it otherwise and call the same
`run`."""

from __future__ import annotations

import secrets
from datetime import datetime, timezone

import streamlit as st
from streamlit.logger import get_logger

from core.formatting import md_text as escape  # user text: Markdown and HTML both inert

from core import auth
from core.db import session_scope
from core.settings import ROOT
from core.formatting import ROLE_LABELS, day_month_year
from core.models import User
from core.navigation import PAGES, ROLE_PAGES  # noqa: F401  (kept in core: the server needs them too)
from ui import cache
from ui.common import PAGES_KEY, SCOPE_KEY, USER_KEY


def page_objects(role: str) -> dict:
    return {key: st.Page(ROOT / PAGES[key]["page"], title=PAGES[key]["title"], icon=PAGES[key]["icon"],
                         url_path=PAGES[key]["url_path"]) for key in ROLE_PAGES.get(role, [])}


def user_from_token(token: str | None) -> User | None:
    return auth.resolve(token, engine=cache.engine())


def fragment_guard() -> None:
    """At the start of a fragment that reruns by itself (meeting mode's `run_every`): a fragment
    rerun skips `run`, so check here that the session still holds (else a full rerun shows the
    login hint and the timer stops with the fragment) and refresh the data version."""
    token = st.context.cookies.get(auth.COOKIE_NAME)
    if isinstance(token, str) and token and auth.resolve(token, engine=cache.engine(), touch=False) is None:
        st.rerun(scope="app")
    cache.refresh_version()


def _bind_downloads_to_login() -> None:
    """Tell the gate which login session this Streamlit session runs for: its download URLs are
    then served to that login session only (server/media.py)."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    if ctx is not None:
        auth.bind_script_session(ctx.session_id, st.context.cookies.get(auth.COOKIE_NAME))


def run(user: User | None) -> None:
    # the favicon is an emoji (drawn as a data: SVG); a :material: icon would be fetched from
    # fonts.gstatic.com, which the Content-Security-Policy does not allow
    st.set_page_config(page_title="Мониторинг дорожных карт", page_icon="📈", layout="wide")
    cache.engine()
    cache.refresh_version()  # one indexed read per run: every cached read below is keyed on it
    if user is None:
        st.session_state.pop(USER_KEY, None)
        st.session_state.pop(SCOPE_KEY, None)
        nav = st.navigation([st.Page(_login_required, title="Вход", icon=":material/lock:", url_path="login-required")],
                           position="hidden")
        nav.run()
        return
    with session_scope(cache.engine()) as s:
        scope = auth.scope_for(s, user)
    _bind_downloads_to_login()
    st.session_state[USER_KEY] = user
    st.session_state[SCOPE_KEY] = scope
    by_key = page_objects(user.role)
    st.session_state[PAGES_KEY] = by_key
    pages = list(by_key.values())

    def home() -> None:  # "/" opens the role's first page under its own address
        st.switch_page(pages[0], query_params=st.query_params.to_dict())

    # The menu is drawn here (page links) so that every page keeps its own URL (/overview, /school):
    # st.navigation serves its default page at "/" only.
    nav = st.navigation([st.Page(home, title="Главная", url_path="home", default=True)] + pages,
                        position="hidden")
    with st.sidebar:
        for p in pages:
            st.page_link(p)
        st.divider()
        st.markdown(f"**{escape(user.full_name)}**  \n{escape(ROLE_LABELS.get(user.role, user.role))}")
        # logging out is a POST with a CSRF token (a cross-site GET /logout only shows this button)
        csrf = auth.logout_csrf(st.context.cookies.get(auth.COOKIE_NAME))
        st.markdown(f'<form method="post" action="/logout" target="_self" class="logout-form">'
                    f'<input type="hidden" name="csrf" value="{escape(csrf)}">'
                    f'<button type="submit">Выйти</button></form>', unsafe_allow_html=True)
        if cache.is_demo():
            clock = cache.demo_clock()
            st.caption("Демонстрационная база"
                       + (f". «Сегодня» в демо: {day_month_year(clock)}" if clock else ""))
    run_page(nav)


log = get_logger("monitoring.pages")


def run_page(nav) -> None:
    """Run the chosen page; an unexpected error is shown in Russian with an incident number that the
    server log carries with the traceback (never Streamlit's English box)."""
    try:
        nav.run()
    except Exception:  # st.stop / st.rerun / switch_page are not Exceptions and pass through
        incident = f"{datetime.now(timezone.utc):%y%m%d-%H%M}-{secrets.randbelow(10**4):04d}"
        user = st.session_state.get(USER_KEY)
        log.exception("incident %s: page error (user %s)", incident, getattr(user, "login", None))
        st.error(f"На странице произошла непредвиденная ошибка. Номер обращения: **{incident}**. "
                 "Данные не изменены. Попробуйте обновить страницу; если ошибка повторится, сообщите этот "
                 "номер администратору — по нему он найдёт подробности в журнале сервера.",
                 icon=":material/error:")


def _login_required() -> None:
    st.title("Требуется вход")
    st.markdown('Сеанс завершён или вы ещё не вошли. <a href="/login" target="_self">Войти</a>',
                unsafe_allow_html=True)
