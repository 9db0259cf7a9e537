"""Every connection of the app's server sends at once (TCP_NODELAY).

Streamlit binds its listening socket itself, as `socket.socket(family=…)`, whose protocol number is 0.
asyncio turns Nagle's algorithm off only for sockets whose protocol number is IPPROTO_TCP
(`asyncio.base_events._set_nodelay`), so the connections accepted from that socket kept it on: a response
is written as its headers and then its body, the kernel held the body until the client acknowledged the
headers, and a client delays that acknowledgement (40 ms on Linux, up to 200 ms on Windows). Every answer
on a reused connection — through a proxy that reuses its connections to the app, every answer — waited
that long (measured: 44–45 ms an answer, 1–3 ms with this).

`install()` (app.py, at import: Streamlit imports the app before it accepts a connection) makes asyncio's
helper set TCP_NODELAY on every TCP stream socket, whatever its protocol number. It concerns the asyncio
event loop only (uvloop, if ever installed, sets TCP_NODELAY itself). A Python whose asyncio no longer has
the helper gets a warning in the log, and the app starts as before."""

from __future__ import annotations

import asyncio.base_events
import logging
import socket

ASYNCIO_NODELAY = getattr(asyncio.base_events, "_set_nodelay", None)  # asyncio's own, before install()


def set_nodelay(sock: socket.socket) -> None:
    if hasattr(socket, "TCP_NODELAY") and sock.family in (socket.AF_INET, socket.AF_INET6) \
            and sock.type == socket.SOCK_STREAM:
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:  # a socket already closed by its peer, or not TCP after all: nothing to change
            pass


def install() -> None:
    if ASYNCIO_NODELAY is None:
        logging.getLogger(__name__).warning(
            "asyncio.base_events._set_nodelay is gone in this Python: TCP_NODELAY is left to asyncio")
        return
    asyncio.base_events._set_nodelay = set_nodelay  # type: ignore[attr-defined]  # called as base_events._set_nodelay
