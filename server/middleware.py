"""ASGI middleware of the st.App server: the login gate and the security headers.

The gate: every HTTP request and websocket for the app without a valid session cookie is
redirected to /login (a GET for a page) or refused (anything else, the websocket included), so
an anonymous browser never receives the app's shell nor runs the script. Only the login, first-run
and health routes and Streamlit's static assets pass.
"""

from __future__ import annotations

from http.cookies import SimpleCookie
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool

from core import auth
from core.settings import get_settings
from server import media, sockets

PUBLIC_EXACT = {"/login", "/logout", "/setup", "/healthz", "/_stcore/health", "/favicon.png",
                "/favicon.ico", "/robots.txt", "/ui/connection.js", "/ui/prefetch.js", "/ui/theme.css"}
PUBLIC_PREFIXES = ("/static/",)

SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
    (b"cross-origin-opener-policy", b"same-origin"),
]


def _inline_script_hashes() -> list[str]:
    """Streamlit's index.html carries one small inline script (`window.prerenderReady = false`):
    allowed by its hash, computed from the installed file so that an upgrade cannot silently break
    the page (nor widen the policy); and ours, server/inject.py's BASE_SCRIPT."""
    import base64
    import hashlib
    import re

    from server.inject import BASE_SCRIPT
    from server.prefetch import index_html

    html = index_html()
    return ["'sha256-" + base64.b64encode(hashlib.sha256(code.encode()).digest()).decode() + "'"
            for code in [m.group(1) for m in re.finditer(r"<script>(.*?)</script>", html, re.S)] + [BASE_SCRIPT]]


# The Content-Security-Policy, as strict as Streamlit 1.67 allows (measured in Chromium on every
# page with Vega-Lite/Altair and the login forms: tests/e2e/test_security_browser.py).
CSP_DIRECTIVES = [
    "default-src 'self'",
    # Streamlit's bundles from /static plus its one inline script (by hash): no 'unsafe-inline' and
    # no 'unsafe-eval' for scripts (Vega-Lite draws without eval). 'wasm-unsafe-eval':
    # Streamlit's frontend compiles WebAssembly on every page (a "wasm-eval" violation without it).
    "script-src 'self' 'wasm-unsafe-eval' " + " ".join(_inline_script_hashes()),
    # Streamlit styles its components at run time (emotion) and Vega sets inline styles; the
    # app's own theme CSS is a <style> block: inline styles are needed.
    "style-src 'self' 'unsafe-inline'",
    # images: the app's own, and the data:/blob: URLs of charts, sparklines and downloads; no
    # other host, so a hostile name can never fetch a beacon
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    # the websocket (/_stcore/stream) and Streamlit's own requests, same origin only
    "connect-src 'self'",
    "worker-src 'self' blob:",
    "media-src 'self' blob: data:",
    "frame-src 'self'",
    "object-src 'none'",
    "frame-ancestors 'none'",
    "base-uri 'self'",
    "form-action 'self'",
]
SECURITY_HEADERS.append((b"content-security-policy", "; ".join(CSP_DIRECTIVES).encode("latin-1")))


def is_public(path: str) -> bool:
    return path in PUBLIC_EXACT or path.startswith(PUBLIC_PREFIXES)


def _cookie(scope, name: str) -> str | None:
    for key, value in scope.get("headers", []):
        if key == b"cookie":
            jar = SimpleCookie()
            try:
                jar.load(value.decode("latin-1"))
            except Exception:  # noqa: BLE001 - a malformed cookie header is just no session
                return None
            if name in jar:
                return jar[name].value
    return None


class TrustedProxyMiddleware:
    """The client address of every request and websocket: the TCP peer, or, only when that peer is
    in `TRUSTED_PROXIES`, the address the proxy reports in X-Forwarded-For (and the scheme of
    X-Forwarded-Proto). uvicorn's own proxy-header handling (which trusts 127.0.0.1 by default) is
    switched off in app.py, so the peer seen here is the real one."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] in ("http", "websocket"):
            trusted = get_settings().trusted_proxies
            client = scope.get("client")
            if trusted and client:
                fwd = [v.decode("latin-1") for k, v in scope.get("headers", []) if k == b"x-forwarded-for"]
                host = auth.client_address(client[0], fwd, trusted)
                if host != client[0]:
                    scope = {**scope, "client": (host, 0)}
                    proto = next((v.decode("latin-1").strip() for k, v in scope.get("headers", [])
                                  if k == b"x-forwarded-proto"), "")
                    if proto in ("http", "https"):
                        scope["scheme"] = proto if scope["type"] == "http" else proto.replace("http", "ws")
        return await self.app(scope, receive, send)


class SecurityHeadersMiddleware:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        hsts = get_settings().secure_cookie

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                for k, v in SECURITY_HEADERS:
                    if k not in present:
                        headers.append((k, v))
                if hsts and b"strict-transport-security" not in present:
                    headers.append((b"strict-transport-security", b"max-age=31536000"))
                message = {**message, "headers": headers}
            await send(message)

        return await self.app(scope, receive, send_with_headers)


class AuthGateMiddleware:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket") or is_public(scope.get("path", "")):
            return await self.app(scope, receive, send)
        token = _cookie(scope, auth.COOKIE_NAME)
        user = await run_in_threadpool(auth.resolve, token) if token else None
        if user is not None:
            if scope["type"] == "http" and scope.get("path", "").startswith("/media/") \
                    and not media.may_fetch(scope["path"], token):
                # another login session's download (or an unknown one): as if it did not exist
                body = "Файл не найден.".encode("utf-8")
                await send({"type": "http.response.start", "status": 404,
                            "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                                        (b"content-length", str(len(body)).encode())]})
                await send({"type": "http.response.body", "body": body})
                return
            if scope["type"] == "websocket":  # closed as soon as its login session ends
                return await sockets.serve(self.app, scope, receive, send, token)
            return await self.app(scope, receive, send)
        if scope["type"] == "websocket":
            # refuse the handshake: an anonymous browser never gets a script run
            await send({"type": "websocket.close", "code": 4401})
            return
        method = scope.get("method", "GET")
        path = scope.get("path", "/")
        if method in ("GET", "HEAD"):
            qs = scope.get("query_string", b"").decode("latin-1")
            target = path + (("?" + qs) if qs else "")
            location = "/login" + ("" if target == "/" else "?next=" + quote(target, safe=""))
            headers = [(b"location", location.encode("latin-1")), (b"cache-control", b"no-store"),
                       (b"content-length", b"0")]
            await send({"type": "http.response.start", "status": 303, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return
        body = "Требуется вход в систему.".encode("utf-8")
        await send({"type": "http.response.start", "status": 401,
                    "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})
