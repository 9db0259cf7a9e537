"""The server: `streamlit run app.py`. Streamlit's app plus login/logout/first-run routes, the
login gate and security headers (see DESIGN.md, "Why st.App")."""

import streamlit as st
from starlette.middleware import Middleware

from core.db import ensure_database
from server.middleware import AuthGateMiddleware, SecurityHeadersMiddleware
from server.routes import ROUTES

ensure_database()

app = st.App(
    "main.py",
    routes=ROUTES,
    middleware=[Middleware(SecurityHeadersMiddleware), Middleware(AuthGateMiddleware)],
)
