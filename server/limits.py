"""Bounded request bodies (the outermost middleware of the st.App server).

Every HTTP request may send at most the limit of its route: the login, logout and first-run forms
16 KiB, Streamlit's file upload `server.maxUploadSize` plus the multipart framing, anything else
64 KiB (no other route reads a body). A declared Content-Length over the limit is answered 413 before
a byte of the body is read; a body without one (chunked) or lying about it is counted as it streams
and cut at the limit with 413. Nothing is buffered here: the route reads the body chunk by chunk as
before, through a counting `receive`. A body that stalls (a slow or endless client) is cut after
`Settings.request_body_seconds` (REQUEST_BODY_SECONDS, 30 s) without a byte with 408, and the
whole body must arrive within that time plus its limit at 32 KiB/s (a trickle is cut too).
"""

from __future__ import annotations

import asyncio
import time

from core.settings import get_settings

FORM_PATHS = {"/login", "/logout", "/setup"}
FORM_LIMIT = 16 * 1024
OTHER_LIMIT = 64 * 1024
UPLOAD_PREFIX = "/_stcore/upload_file/"
UPLOAD_OVERHEAD = 1024 * 1024  # multipart framing around the file (Streamlit allows the same 1 MiB)
MIN_RATE = 32 * 1024  # bytes per second a body must average, beyond the idle allowance


class _BodyRefused(Exception):
    def __init__(self, status: int):
        super().__init__(status)
        self.status = status


def limit_for(path: str) -> int:
    """The most bytes a request to `path` may send as its body."""
    if path in FORM_PATHS:
        return FORM_LIMIT
    if path.startswith(UPLOAD_PREFIX):
        from streamlit import config

        return int(config.get_option("server.maxUploadSize")) * 1024 * 1024 + UPLOAD_OVERHEAD
    return OTHER_LIMIT


_MESSAGES = {
    413: "Запрос слишком большой: сервер принимает не больше {limit}.",
    408: "Запрос передавался слишком долго и был прерван. Повторите попытку.",
    400: "Некорректный запрос: неверная длина тела (Content-Length).",
}


def _size(n: int) -> str:
    return f"{n // (1024 * 1024)} МБ" if n >= 1024 * 1024 else f"{n // 1024} КБ"


async def _refuse(send, status: int, limit: int) -> None:
    body = _MESSAGES[status].format(limit=_size(limit)).encode("utf-8")
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                            (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


class BodyLimitMiddleware:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        limit = limit_for(scope.get("path", ""))
        declared = None
        for key, value in scope.get("headers", []):
            if key == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    return await _refuse(send, 400, limit)
                if declared < 0:
                    return await _refuse(send, 400, limit)
        if declared is not None and declared > limit:
            return await _refuse(send, 413, limit)

        idle = get_settings().request_body_seconds
        deadline = time.monotonic() + idle + limit / MIN_RATE
        received = 0
        done = False
        started = False

        async def bounded_receive():
            nonlocal received, done
            if done:  # the body is in: what remains is waiting for a disconnect, untimed
                return await receive()
            wait = min(idle, deadline - time.monotonic())
            try:
                message = await asyncio.wait_for(receive(), timeout=max(wait, 0.001))
            except asyncio.TimeoutError:
                raise _BodyRefused(408) from None
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _BodyRefused(413)
                if not message.get("more_body", False):
                    done = True
            else:
                done = True
            return message

        async def watched_send(message):
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, bounded_receive, watched_send)
        except _BodyRefused as exc:
            if not started:
                await _refuse(send, exc.status, limit)
        except Exception as exc:  # noqa: BLE001 - a route that wrapped our refusal (Streamlit's upload)
            refused = exc.__cause__ or exc.__context__
            if isinstance(refused, _BodyRefused):
                if not started:
                    await _refuse(send, refused.status, limit)
                return
            raise
