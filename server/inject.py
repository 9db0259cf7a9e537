"""One place where the app's page gets our own script: `<script src="/ui/connection.js">` is added
to the head of Streamlit's index.html (server/assets/connection.js: the lost-connection dialog in
Russian, and a reload once the server answers again). Served from our own route, so the
Content-Security-Policy (script-src 'self') needs no exception."""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response

SCRIPT_PATH = "/ui/connection.js"
_TAG = f'<script src="{SCRIPT_PATH}" defer></script>'.encode()
_JS = (Path(__file__).parent / "assets" / "connection.js").read_bytes()
_SKIP = ("/_stcore/", "/static/", "/media/", "/component/", "/app/static/", "/ui/")


async def connection_js(_request: Request) -> Response:
    return Response(_JS, media_type="text/javascript; charset=utf-8",
                    headers={"Cache-Control": "no-cache"})


class InjectScriptMiddleware:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        path = scope.get("path", "")
        if scope["type"] != "http" or scope.get("method") != "GET" or path.startswith(_SKIP) \
                or path in ("/login", "/logout", "/setup", "/healthz"):
            return await self.app(scope, receive, send)
        # the page itself, uncompressed here (an outer middleware may compress what we send)
        scope = {**scope, "headers": [(k, v) for k, v in scope.get("headers", []) if k != b"accept-encoding"]}
        start: dict | None = None
        chunks: list[bytes] = []

        async def capture(message):
            nonlocal start
            if message["type"] == "http.response.start":
                ctype = next((v for k, v in message.get("headers", []) if k.lower() == b"content-type"), b"")
                if not ctype.startswith(b"text/html"):
                    start = None
                    await send(message)
                    return
                start = message
                return
            if start is None:
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            body = b"".join(chunks)
            if _TAG not in body:
                body = body.replace(b"</head>", _TAG + b"</head>", 1)
            headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
            headers.append((b"content-length", str(len(body)).encode()))
            await send({**start, "headers": headers})
            await send({"type": "http.response.body", "body": body})

        await self.app(scope, receive, capture)
