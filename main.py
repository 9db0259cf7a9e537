"""The Streamlit script: who is logged in (session cookie -> server-side session) and the pages
of that role. The server (`app.py`) owns login and logout."""

import streamlit as st

from core.auth import COOKIE_NAME
from ui import shell

shell.run(shell.user_from_token(st.context.cookies.get(COOKIE_NAME)))
