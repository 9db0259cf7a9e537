"""Compressed static files: Streamlit's scripts and styles sent gzip-compressed, each compressed once.

Streamlit 1.67 sends `/static/*` and the page document uncompressed on purpose (its
SelectiveGZipMiddleware bypasses them: re-compressing the same bundles on every request costs the
server CPU, and a proxy usually compresses); an office without a proxy then downloads ~4 MiB of
JavaScript per fresh browser. Here each static file is compressed once, on its first request, at
the best level, and kept in memory keyed by its path and ETag (the bundles are content-hashed and
immutable; the whole compressed set is a few MiB); every later request is served from memory.

Only complete 200 responses of text types to a GET that accepts gzip are touched: a conditional
request (304), a range request, a HEAD, a response already encoded and the websocket pass as they
are. Streamlit's own gzip (for its other HTTP answers, downloads included) stays in place, except
for downloads that are ZIP containers already (.xlsx, .docx, …): compressing them again costs the
server CPU and saves nothing, so those requests reach Streamlit without `Accept-Encoding`.
"""

from __future__ import annotations

import gzip
import threading

from starlette.concurrency import run_in_threadpool

COMPRESSIBLE = ("text/", "application/javascript", "application/json", "application/manifest+json",
                "image/svg+xml", "application/xml")
STATIC_PREFIX = "/static/"
MIN_BYTES = 1024
ZIP_CONTAINERS = (".xlsx", ".xlsm", ".docx", ".pptx", ".zip", ".ods", ".odt", ".gz")
_CACHE: dict[tuple[str, str], bytes] = {}
_LOCK = threading.Lock()


def accepts_gzip(headers) -> bool:
    """Does the request's Accept-Encoding take gzip (and not with q=0)?"""
    for key, value in headers:
        if key == b"accept-encoding":
            for part in value.decode("latin-1").lower().split(","):
                name, *params = [x.strip() for x in part.split(";")]
                if name in ("gzip", "*"):
                    q = next((x[2:] for x in params if x.startswith("q=")), "1")
                    try:
                        return float(q) > 0
                    except ValueError:
                        return False
    return False


def compressed(key: tuple[str, str], body: bytes) -> bytes:
    with _LOCK:
        hit = _CACHE.get(key)
    if hit is None:
        hit = gzip.compress(body, compresslevel=9, mtime=0)
        if key[1]:  # only a response with an ETag is known to be the same next time
            with _LOCK:
                _CACHE[key] = hit
    return hit


def _read(path) -> bytes:
    with open(path, "rb") as f:
        return f.read()


class StaticGzipMiddleware:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":  # the websocket: as it is
            return await self.app(scope, receive, send)
        path = scope.get("path", "")
        headers = scope.get("headers", [])
        if path.startswith("/media/") and path.lower().endswith(ZIP_CONTAINERS):
            scope = {**scope, "headers": [(k, v) for k, v in headers if k != b"accept-encoding"]}
            return await self.app(scope, receive, send)
        if (scope.get("method") != "GET" or not path.startswith(STATIC_PREFIX) or not accepts_gzip(headers)
                or any(k == b"range" for k, _ in headers)):
            return await self.app(scope, receive, send)

        start: dict | None = None
        chunks: list[bytes] = []

        async def send_compressed(message):
            nonlocal start
            if start is None and message["type"] == "http.response.start":
                head = {k.lower(): v for k, v in message.get("headers", [])}
                ctype = head.get(b"content-type", b"").decode("latin-1").lower()
                if (message["status"] == 200 and b"content-encoding" not in head
                        and ctype.startswith(COMPRESSIBLE)
                        and int(head.get(b"content-length", b"0") or 0) >= MIN_BYTES):
                    start = message
                    return
                start = {}  # passed through as it is
                return await send(message)
            if not start or message["type"] not in ("http.response.body", "http.response.pathsend"):
                return await send(message)
            if message["type"] == "http.response.pathsend":  # a server that sends files itself
                chunks.append(await run_in_threadpool(_read, message["path"]))
            else:
                chunks.append(message.get("body", b""))
                if message.get("more_body", False):
                    return
            body = b"".join(chunks)
            head = {k.lower(): v for k, v in start.get("headers", [])}
            key = (path, head.get(b"etag", b"").decode("latin-1"))
            packed = await run_in_threadpool(compressed, key, body)
            out = [(k, v) for k, v in start.get("headers", []) if k.lower() not in (b"content-length", b"vary")]
            vary = head.get(b"vary", b"")
            out += [(b"content-encoding", b"gzip"), (b"content-length", str(len(packed)).encode()),
                    (b"vary", (vary + b", Accept-Encoding") if vary else b"Accept-Encoding")]
            await send({**start, "headers": out})
            await send({"type": "http.response.body", "body": packed})

        return await self.app(scope, receive, send_compressed)
