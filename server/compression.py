"""Compressed static files: Streamlit's scripts and styles sent gzip-compressed, each compressed once.

Streamlit 1.67 sends `/static/*` and the page document uncompressed on purpose (its
SelectiveGZipMiddleware bypasses them: re-compressing the same bundles on every request costs the
server CPU, and a proxy usually compresses); an office without a proxy then downloads ~4 MiB of
JavaScript per fresh browser. Here each static file is compressed once, on its first request, at
the best level, and kept in memory keyed by its path and ETag (the bundles are content-hashed and
immutable; the whole compressed set is a few MiB); every later request is served from memory.

A fresh browser asks for ~135 of these files at once over six connections, so the time each answer
spends in the server adds up on the way to the first screen: a repeated request is answered here from
the kept response (headers as sent and body), without reaching Streamlit's handler, its thread pool
or the middleware below (≈3 ms a request before, measured by bench/first_render.py's timeline).

Only complete 200 responses of text types to a GET that accepts gzip are compressed: a range request,
a HEAD, a 304, a response already encoded and the websocket pass as they are; only complete 200s of a
plain GET are kept (never a conditional or range request's answer, nor Streamlit's fallback page). Streamlit's own gzip (for its other HTTP answers, downloads included) stays in place, except
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
SENT_MAX_BYTES = 64 * 1024 * 1024  # all kept answers together (Streamlit's whole static set is ~20 MiB)
_CONDITIONAL = (b"if-range", b"if-none-match", b"if-modified-since")


class _Sent:
    """Complete answers to GET /static/…: (path, takes gzip) -> (the response's start message, body).
    The installed files cannot change under a running server (an upgrade restarts it)."""

    def __init__(self):
        self.answers: dict[tuple[str, bool], tuple[dict, bytes]] = {}
        self.size = 0

    def keep(self, key: tuple[str, bool], start: dict, body: bytes) -> None:
        with _LOCK:
            if key not in self.answers and self.size + len(body) <= SENT_MAX_BYTES:
                self.answers[key] = ({"type": "http.response.start", "status": start["status"],
                                      "headers": list(start.get("headers", []))}, body)
                self.size += len(body)


class _Keeper:
    """Passes a static file's answer on and keeps it, a complete 200, for the next request of the same
    file."""

    def __init__(self, sent: _Sent, key: tuple[str, bool], send):
        self.sent, self.key, self.send = sent, key, send
        self.start: dict | None = None
        self.chunks: list[bytes] = []

    async def __call__(self, message):
        kind = message["type"]
        if kind == "http.response.start":  # Streamlit's fallback page for an unknown path is not kept
            ctype = next((v for k, v in message.get("headers", []) if k.lower() == b"content-type"), b"")
            self.start = message if message["status"] == 200 and not ctype.startswith(b"text/html") else None
        elif kind == "http.response.pathsend":  # sent by the server from its file: not kept
            self.start = None
        elif kind == "http.response.body" and self.start is not None:
            self.chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                self.sent.keep(self.key, self.start, b"".join(self.chunks))
        await self.send(message)


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
        self.sent = _Sent()

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":  # the websocket: as it is
            return await self.app(scope, receive, send)
        path = scope.get("path", "")
        headers = scope.get("headers", [])
        if path.startswith("/media/") and path.lower().endswith(ZIP_CONTAINERS):
            scope = {**scope, "headers": [(k, v) for k, v in headers if k != b"accept-encoding"]}
            return await self.app(scope, receive, send)
        if (scope.get("method") != "GET" or not path.startswith(STATIC_PREFIX)
                or any(k == b"range" for k, _ in headers)):
            return await self.app(scope, receive, send)
        gz = accepts_gzip(headers)
        if any(k in _CONDITIONAL for k, _ in headers):  # Streamlit answers it (304, or the file compressed)
            return await (self._compressed(scope, receive, send, path) if gz else self.app(scope, receive, send))
        key = (path, gz)  # a file's answer does not depend on a query (so «?1», «?2», … keep no copies)
        kept = self.sent.answers.get(key)
        if kept is not None:
            await send(kept[0])
            await send({"type": "http.response.body", "body": kept[1]})
            return
        keeper = _Keeper(self.sent, key, send)
        if not gz:
            return await self.app(scope, receive, keeper)
        return await self._compressed(scope, receive, keeper, path)

    async def _compressed(self, scope, receive, send, path):
        """The app's answer, a compressible one gzip-compressed (from the compressed copy kept by ETag)."""
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
