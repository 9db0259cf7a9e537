"""Failures speak Russian: with the database unreachable every HTTP route answers a Russian page
with 503 and Retry-After (never a bare 500), a websocket is refused with «try again later» (1013),
and nothing is remembered of the failure — the next request after the database is back simply
works (PostgreSQL connections are checked before use: `pool_pre_ping`).

The lost-connection dialog of the browser (Streamlit's English «Connection error») speaks Russian
through server/assets/connection.js (injected by server/inject.py)."""

from __future__ import annotations

import logging

from sqlalchemy import exc as sa_exc

from server import templates

# what a database that cannot be reached raises (not a bug in a query: that stays a 500)
UNREACHABLE = (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError, sa_exc.DisconnectionError)
RETRY_SECONDS = 15
_log = logging.getLogger("monitoring")


def is_unreachable(exc: BaseException) -> bool:
    while exc is not None:
        if isinstance(exc, UNREACHABLE):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def unavailable_page() -> bytes:
    return templates.unavailable_page(RETRY_SECONDS).encode("utf-8")


class DatabaseDownMiddleware:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        started = False

        async def watched_send(message):
            nonlocal started
            if message["type"] in ("http.response.start", "websocket.accept", "websocket.close"):
                started = True
            await send(message)

        try:
            await self.app(scope, receive, watched_send)
        except Exception as exc:
            if not is_unreachable(exc) or started:
                raise
            _log.warning("База данных недоступна (%s): %s", scope.get("path"), type(exc).__name__)
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1013})  # try again later
                return
            body = unavailable_page()
            await send({"type": "http.response.start", "status": 503,
                        "headers": [(b"content-type", b"text/html; charset=utf-8"),
                                    (b"content-length", str(len(body)).encode()),
                                    (b"retry-after", str(RETRY_SECONDS).encode()),
                                    (b"cache-control", b"no-store")]})
            await send({"type": "http.response.body", "body": body})
