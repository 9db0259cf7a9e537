"""Login, logout, first-run and health routes on the st.App server (Starlette).

The login form posts here; on success the server stores a session (core.auth) and sets an
HttpOnly, SameSite cookie with a random token, then redirects into the app. The form carries a
CSRF token checked against a cookie (double submit).
"""

from __future__ import annotations

import hmac
import secrets
from urllib.parse import parse_qs, quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from core import auth
from core.startup import ensure_database
from core.read.lists import is_demo
from core.settings import get_settings
from server import templates
from server.inject import SCRIPT_PATH, connection_js
from server.prefetch import SCRIPT_PATH as PREFETCH_PATH, prefetch_js
from core.navigation import PAGES, ROLE_PAGES

CSRF_COOKIE = "mon_csrf"
MAX_FORM_BYTES = 16 * 1024


def home_path(role: str | None) -> str:
    pages = ROLE_PAGES.get(role or "", [])
    return "/" + PAGES[pages[0]]["url_path"] if pages else "/"


def client_ip(request: Request) -> str | None:
    """The TCP peer, or the client named by a trusted proxy: `TrustedProxyMiddleware` has already
    put it in the scope (see server/middleware.py)."""
    return request.client.host if request.client else None


def safe_next(path: str | None) -> str:
    """Only local paths: never redirect to another site after login."""
    if not path or not path.startswith("/") or path.startswith("//") or "\\" in path:
        return "/"
    if path.startswith(("/login", "/logout", "/setup")):
        return "/"
    return path


def _set_cookie(resp: Response, name: str, value: str, *, max_age: int | None, strict: bool = False) -> None:
    resp.set_cookie(name, value, max_age=max_age, path="/", httponly=True,
                    secure=get_settings().secure_cookie, samesite="strict" if strict else "lax")


def _with_csrf(html_for) -> HTMLResponse:
    token = secrets.token_urlsafe(24)
    resp = HTMLResponse(html_for(token), headers={"Cache-Control": "no-store"})
    _set_cookie(resp, CSRF_COOKIE, token, max_age=3600, strict=True)
    return resp


async def _form(request: Request) -> dict[str, str]:
    """The posted form, read chunk by chunk up to MAX_FORM_BYTES (server/limits.py answers 413
    before a larger body reaches here; this cap holds even without it): over it, no form."""
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_FORM_BYTES:
            return {}
        chunks.append(chunk)
    body = b"".join(chunks)
    parsed = parse_qs(body.decode("utf-8", errors="replace"), keep_blank_values=True)
    return {k: v[0] for k, v in parsed.items()}


def _csrf_ok(request: Request, form: dict[str, str]) -> bool:
    cookie = request.cookies.get(CSRF_COOKIE, "")
    sent = form.get("csrf", "")
    return bool(cookie) and hmac.compare_digest(cookie, sent)


SESSION_ENDED = ("Сеанс завершён: пароль изменён, роль или права изменены, вы вышли в другой вкладке или "
                 "база восстановлена из копии. Войдите снова.")


async def login_get(request: Request) -> Response:
    await run_in_threadpool(ensure_database)
    if not await run_in_threadpool(auth.has_users):
        return RedirectResponse("/setup", status_code=303)
    user = await run_in_threadpool(auth.resolve, request.cookies.get(auth.COOKIE_NAME))
    if user is not None:
        return RedirectResponse("/", status_code=303)
    demo = await run_in_threadpool(is_demo)
    nxt = safe_next(request.query_params.get("next"))
    ended = SESSION_ENDED if request.query_params.get("ended") == "1" else None
    return _with_csrf(lambda t: templates.login_page(t, next_path=nxt, demo=demo, notice=ended))


async def login_post(request: Request) -> Response:
    form = await _form(request)
    demo = await run_in_threadpool(is_demo)
    nxt = safe_next(form.get("next"))
    login_name = form.get("login", "")[:64]
    if not _csrf_ok(request, form):
        return _with_csrf(lambda t: templates.login_page(
            t, error="Форма устарела. Обновите страницу и войдите ещё раз.", login=login_name,
            next_path=nxt, demo=demo))
    result = await run_in_threadpool(auth.login, login_name, form.get("password", ""),
                                     ip=client_ip(request), user_agent=request.headers.get("user-agent"),
                                     previous_token=request.cookies.get(auth.COOKIE_NAME))
    if not result.ok:
        resp = _with_csrf(lambda t: templates.login_page(t, error=result.message, login=login_name,
                                                         next_path=nxt, demo=demo))
        resp.status_code = 429 if result.retry_after else 401
        if result.retry_after:
            resp.headers["Retry-After"] = str(result.retry_after)
        return resp
    if nxt == "/":  # straight to the role's first page (one script run less than "/" -> switch)
        nxt = home_path(result.role)
    resp = RedirectResponse(nxt, status_code=303)
    _set_cookie(resp, auth.COOKIE_NAME, result.token, max_age=int(get_settings().session_hours * 3600))
    resp.delete_cookie(CSRF_COOKIE, path="/")
    return resp


async def logout_get(request: Request) -> Response:
    """A GET never logs out (a link or image on another site could): it shows the logout button."""
    token = request.cookies.get(auth.COOKIE_NAME)
    user = await run_in_threadpool(auth.resolve, token, touch=False) if token else None
    if user is None:
        return RedirectResponse("/login", status_code=303)
    return HTMLResponse(templates.logout_page(auth.logout_csrf(token)), headers={"Cache-Control": "no-store"})


async def logout_post(request: Request) -> Response:
    form = await _form(request)
    token = request.cookies.get(auth.COOKIE_NAME)
    expected = auth.logout_csrf(token)
    if not token or not expected or not hmac.compare_digest(expected, form.get("csrf", "")):
        return RedirectResponse("/logout", status_code=303)  # forged or stale: ask again
    await run_in_threadpool(auth.logout, token)
    resp = RedirectResponse("/login", status_code=303)
    resp.delete_cookie(auth.COOKIE_NAME, path="/")
    return resp


async def setup_get(request: Request) -> Response:
    await run_in_threadpool(ensure_database)
    if await run_in_threadpool(auth.has_users):
        return RedirectResponse("/login", status_code=303)
    return _with_csrf(lambda t: templates.setup_page(t))


async def setup_post(request: Request) -> Response:
    form = await _form(request)
    if await run_in_threadpool(auth.has_users):
        return RedirectResponse("/login", status_code=303)
    login_name, full_name = form.get("login", ""), form.get("full_name", "")  # checked by core.auth

    def again(msg: str) -> Response:
        resp = _with_csrf(lambda t: templates.setup_page(t, error=msg, login=login_name[:64],
                                                         full_name=full_name[:255]))
        resp.status_code = 400
        return resp

    if not _csrf_ok(request, form):
        return again("Форма устарела. Обновите страницу и попробуйте ещё раз.")
    if form.get("password", "") != form.get("password2", ""):
        return again("Пароли не совпадают.")
    try:
        await run_in_threadpool(auth.create_first_admin, login_name, form.get("password", ""), full_name)
    except auth.AuthError as exc:
        message = str(exc)  # `exc` is gone after the except block; the page is made later
        if message == auth.FIRST_ADMIN_EXISTS:  # someone else's first run won the race
            resp = _with_csrf(lambda t: templates.login_page(t, error=message))
            resp.status_code = 409
            return resp
        return again(str(exc))
    return RedirectResponse("/login?next=" + quote("/"), status_code=303)


async def health(_request: Request) -> Response:
    """Up and reaching its database (a load balancer takes a 503 as «not now»)."""
    from sqlalchemy import text

    from core.db import get_engine

    def ping():
        with get_engine().connect() as c:
            c.execute(text("SELECT 1"))

    await run_in_threadpool(ping)  # unreachable: DatabaseDownMiddleware answers 503
    return JSONResponse({"status": "ok"})


ROUTES = [
    Route("/login", login_get, methods=["GET"]),
    Route("/login", login_post, methods=["POST"]),
    Route("/logout", logout_get, methods=["GET"]),
    Route("/logout", logout_post, methods=["POST"]),
    Route("/setup", setup_get, methods=["GET"]),
    Route("/setup", setup_post, methods=["POST"]),
    Route("/healthz", health, methods=["GET"]),
    Route(SCRIPT_PATH, connection_js, methods=["GET"]),
    Route(PREFETCH_PATH, prefetch_js, methods=["GET"]),
]
