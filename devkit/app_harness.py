"""AppTest entry: the same shell as main.py, but the user comes from session_state (set by the
test) instead of the session cookie, which AppTest cannot send. Not reachable from the server."""

import streamlit as st
from sqlmodel import select

from core.db import session_scope
from core.models import User
from ui import cache, shell

login = st.session_state.get("test_login")
user = None
if login:
    with session_scope(cache.engine()) as s:
        user = s.exec(select(User).where(User.login == login)).first()
        if user is not None:
            s.expunge(user)
shell.run(user)
