"""One place where the app's page gets our own scripts and stylesheet: a one-line script first in the head
(`BASE_SCRIPT`: where the app's server is, see below), `<script src="/ui/connection.js">`
is added to the head of Streamlit's index.html (server/assets/connection.js: the lost-connection dialog
in Russian, and a reload once the server answers again), `<link rel="stylesheet" href="/ui/theme.css?v=…">`
to the start of its body (ui/theme.py: after Streamlit's styles, which its head gets, and before the
pages' own, as when it came first in the page). Served from our own routes, so the
Content-Security-Policy (script-src and style-src 'self') needs no exception.

`BASE_SCRIPT` tells Streamlit's frontend the app's address before its bundle runs
(`window.__streamlit.BACKEND_BASE_URL`: the folder of the page, i.e. the app's root, or its path behind a
proxy). Without it Streamlit 1.67 first asks `/<page>/_stcore/health` and `host-config` (404), then the
root: a lost round trip before the websocket opens on every page load (≈0,1 s measured on a login). The
script is inline, allowed by its hash in the Content-Security-Policy (server/middleware.py).

The page's head also preloads the lazily loaded chunk that draws Markdown with HTML, and its imports
(server/prefetch.py `first_paint_links`): the overview's tiles are such Markdown, and without the preload
that chunk is asked for only after the first data arrived, queued behind ~60 others.

The stylesheet's address carries a hash of its content: the browser keeps it for a year and a new
version is a new address."""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response

from starlette.routing import Route

from server import prefetch
from server.compression import accepts_gzip

SCRIPT_PATH = "/ui/connection.js"
_TAG = f'<script src="{SCRIPT_PATH}" defer></script>'.encode()
BASE_SCRIPT = ('window.__streamlit=Object.assign({},window.__streamlit,'
               '{BACKEND_BASE_URL:new URL(".",location.href).href});')
_BASE_TAG = f"<script>{BASE_SCRIPT}</script>".encode()
_JS = (Path(__file__).parent / "assets" / "connection.js").read_bytes()
THEME_PATH = "/ui/theme.css"
_SKIP = ("/_stcore/", "/static/", "/media/", "/component/", "/app/static/", "/ui/")


async def connection_js(_request: Request) -> Response:
    return Response(_JS, media_type="text/javascript; charset=utf-8",
                    headers={"Cache-Control": "no-cache"})


class Stylesheet:
    """The app's stylesheet (app.py hands over ui/theme.py's: server/ imports nothing from ui/), compressed
    once, served at THEME_PATH and linked under an address that names its content."""

    def __init__(self, css: str):
        self.css = css.encode()
        self.gzipped = gzip.compress(self.css, compresslevel=9, mtime=0)
        version = hashlib.sha256(self.css).hexdigest()[:12]
        self.link = f'<link rel="stylesheet" href="{THEME_PATH}?v={version}">'.encode()
        self.route = Route(THEME_PATH, self.serve, methods=["GET"])

    async def serve(self, request: Request) -> Response:
        headers = {"Cache-Control": "public, max-age=31536000, immutable", "Vary": "Accept-Encoding"}
        if accepts_gzip(request.headers.raw):
            return Response(self.gzipped, media_type="text/css; charset=utf-8",
                            headers={**headers, "Content-Encoding": "gzip"})
        return Response(self.css, media_type="text/css; charset=utf-8", headers=headers)


def with_our_tags(body: bytes, stylesheet: Stylesheet | None) -> bytes:
    """Streamlit's page with our scripts in its head and our stylesheet first in its body (once each)."""
    if _BASE_TAG not in body:
        body = body.replace(b"<head>", b"<head>" + _BASE_TAG, 1)
    if _TAG not in body:
        body = body.replace(b"</head>", prefetch.first_paint_links() + _TAG + b"</head>", 1)
    if stylesheet is not None and stylesheet.link not in body:
        body = body.replace(b"<body>", b"<body>" + stylesheet.link, 1)
    return body


class InjectScriptMiddleware:
    def __init__(self, app, stylesheet: Stylesheet | None = None):
        self.app = app
        self.stylesheet = stylesheet

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
            body = with_our_tags(b"".join(chunks), self.stylesheet)
            headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
            headers.append((b"content-length", str(len(body)).encode()))
            await send({**start, "headers": headers})
            await send({"type": "http.response.body", "body": body})

        await self.app(scope, receive, capture)
