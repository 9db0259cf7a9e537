"""An ended login session can do nothing: its open websockets are closed.

Every app websocket that the gate lets in is registered with the login session's token. A watcher
checks the sessions of the open websockets (one `auth.resolve` per distinct session, without
touching it) every WATCH_SECONDS, and at once when this process ends sessions (`auth.logout`, a
change of role or territory, deactivation, a password change, a restore: `auth.on_sessions_ended`).
A websocket whose session no longer resolves is closed (4401, as the gate refuses one) and its app
side sees a disconnect, so no message of it — a rerun, a click on a deferred download — is served
any more. Sessions ended by another process (the CLI's restore, another server) are caught by the
periodic check.
"""

from __future__ import annotations

import asyncio
import itertools
import logging

from starlette.concurrency import run_in_threadpool

from core import auth

WATCH_SECONDS = 5.0
CLOSE_CODE = 4401
_log = logging.getLogger("monitoring")


class _Socket:
    __slots__ = ("token", "ended")

    def __init__(self, token: str):
        self.token = token
        self.ended = asyncio.Event()


_open: dict[int, _Socket] = {}
_ids = itertools.count()
_wake: asyncio.Event | None = None
_loop: asyncio.AbstractEventLoop | None = None
_watcher: asyncio.Task | None = None


def _still_valid(tokens: set[str]) -> set[str]:
    return {t for t in tokens if auth.resolve(t, touch=False) is not None}


async def _watch() -> None:
    """Runs for the life of the server's loop once a socket has opened (idle while none is open)."""
    while True:
        try:
            await asyncio.wait_for(_wake.wait(), timeout=WATCH_SECONDS)
        except asyncio.TimeoutError:
            pass
        _wake.clear()
        if not _open:
            continue
        try:
            valid = await run_in_threadpool(_still_valid, {s.token for s in _open.values()})
        except Exception as exc:  # noqa: BLE001 - database unreachable: keep the sockets, look again later
            _log.warning("Проверка сеансов открытых соединений не выполнена: %s", type(exc).__name__)
            continue
        for s in list(_open.values()):
            if s.token not in valid:
                s.ended.set()


def _sessions_ended() -> None:
    """Called (from any thread) when this process ends sessions: check the open sockets now."""
    loop, wake = _loop, _wake
    if loop is not None and wake is not None and not loop.is_closed():
        loop.call_soon_threadsafe(wake.set)


auth.on_sessions_ended(_sessions_ended)


async def serve(app, scope, receive, send, token: str) -> None:
    """Run the app's websocket `scope` for the login session `token`, closing it when the session ends."""
    global _wake, _loop, _watcher
    loop = asyncio.get_running_loop()
    if _loop is not loop:  # the server's loop (once; a new one only in tests)
        _loop, _wake, _watcher = loop, asyncio.Event(), None
    sock = _Socket(token)
    key = next(_ids)
    _open[key] = sock
    if _watcher is None or _watcher.done():
        _watcher = loop.create_task(_watch())
    closed = False

    async def guarded_send(message):
        if closed:
            return  # the session ended: nothing more reaches the browser
        await send(message)

    async def guarded_receive():
        nonlocal closed
        if sock.ended.is_set():
            return await _close()
        got = asyncio.ensure_future(receive())
        ended = asyncio.ensure_future(sock.ended.wait())
        done, _ = await asyncio.wait({got, ended}, return_when=asyncio.FIRST_COMPLETED)
        if got in done:
            ended.cancel()
            return got.result()
        got.cancel()
        return await _close()

    async def _close():
        nonlocal closed
        if not closed:
            closed = True
            try:
                await send({"type": "websocket.close", "code": CLOSE_CODE})
            except Exception:  # noqa: BLE001 - the client may be gone already
                pass
        return {"type": "websocket.disconnect", "code": CLOSE_CODE}

    try:
        await app(scope, guarded_receive, guarded_send)
    finally:
        _open.pop(key, None)
