"""Every connection of the app's server sends at once (TCP_NODELAY).

Streamlit binds its listening socket itself, as `socket.socket(family=…)`, whose protocol number is 0.
asyncio turns Nagle's algorithm off only for sockets whose protocol number is IPPROTO_TCP
(`asyncio.base_events._set_nodelay`), so the connections accepted from that socket kept it on: a response
is written as its headers and then its body, the kernel held the body until the browser acknowledged the
headers, and the browser delays that acknowledgement (40 ms on Linux, up to 200 ms on Windows). Every
answer on a reused connection — the app's scripts, fonts, the websocket's messages — waited that long.

`install()` (app.py, before the server accepts anything) makes asyncio's helper set TCP_NODELAY on every
TCP stream socket, whatever its protocol number."""

from __future__ import annotations

import asyncio.base_events
import socket


ASYNCIO_NODELAY = asyncio.base_events._set_nodelay  # type: ignore[attr-defined]  # asyncio's own, before install()


def set_nodelay(sock: socket.socket) -> None:
    if sock.family in (socket.AF_INET, socket.AF_INET6) and sock.type == socket.SOCK_STREAM:
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:  # a socket already closed by its peer: nothing to send on
            pass


def install() -> None:
    asyncio.base_events._set_nodelay = set_nodelay  # type: ignore[attr-defined]  # called as base_events._set_nodelay
