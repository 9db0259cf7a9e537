"""The server: `streamlit run app.py`. Streamlit's app plus login/logout/first-run routes, the
login gate and security headers (see DESIGN.md, "Why st.App")."""

import uvicorn.config

# uvicorn (under st.App) believes X-Forwarded-For from 127.0.0.1 and ::1 by default
# (`forwarded_allow_ips`): behind a local proxy a client could write any address into the audit
# log and dodge the per-address throttle. Streamlit 1.67 offers no option for it, and uvicorn's
# Config reads FORWARDED_ALLOW_IPS before this module is imported, but it wraps the app in
# ProxyHeadersMiddleware only after importing it (Config.load), through this module-level name:
# replaced by a pass-through, the peer stays the TCP peer. TrustedProxyMiddleware then applies
# TRUSTED_PROXIES (default: none). tests/e2e/test_security_http.py checks it on the real server.
uvicorn.config.ProxyHeadersMiddleware = lambda app, trusted_hosts=None: app

from server import tcp  # noqa: E402

tcp.install()  # TCP_NODELAY on the connections of Streamlit's own listening socket (server/tcp.py)

import streamlit as st  # noqa: E402
from starlette.middleware import Middleware  # noqa: E402

from core.startup import ensure_database  # noqa: E402
from server.middleware import AuthGateMiddleware, SecurityHeadersMiddleware, TrustedProxyMiddleware  # noqa: E402
from server import media  # noqa: E402
from server.compression import StaticGzipMiddleware  # noqa: E402
from server.faults import DatabaseDownMiddleware  # noqa: E402
from server.inject import InjectScriptMiddleware, Stylesheet  # noqa: E402
from server.limits import BodyLimitMiddleware  # noqa: E402
from server.routes import ROUTES  # noqa: E402
from ui.theme import STYLESHEET  # noqa: E402

theme = Stylesheet(STYLESHEET)  # every page links it (server/inject.py)

ensure_database()
media.install()  # download URLs bound to the login session that made them
# what the pages import (Altair, the cycle's documents: 0,5 s here) is imported now, with the server, and not
# by the first person to log in after a start, who waited for it (bench/first_render.py's first run). Only
# core: a ui module made its Streamlit caches here, before the runtime exists, on a store of their own
import core.charts, core.cycle  # noqa: E402,F401,E401

app = st.App(
    "main.py",
    routes=[*ROUTES, theme.route],
    # the outermost first: compression of static files (it never touches the app page, whose script
    # InjectScript adds), then the proxy's address, headers, the database's health, bounded bodies, the gate
    middleware=[Middleware(StaticGzipMiddleware), Middleware(TrustedProxyMiddleware), Middleware(SecurityHeadersMiddleware),
                Middleware(DatabaseDownMiddleware), Middleware(BodyLimitMiddleware),
                Middleware(AuthGateMiddleware), Middleware(InjectScriptMiddleware, stylesheet=theme)],
)
