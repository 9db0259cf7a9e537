"""The app's connections send at once (server/tcp.py): a connection accepted from the listening socket that
Streamlit binds itself has TCP_NODELAY, which asyncio alone would not set (its protocol number is 0)."""

from __future__ import annotations

import asyncio
import asyncio.base_events
import concurrent.futures
import socket

import pytest
from streamlit.web.server.starlette import starlette_server

from server import tcp


def accepted_nodelay() -> int:
    """TCP_NODELAY of a connection that an asyncio server accepted on Streamlit's own listening socket."""
    async def run() -> int:
        listener = starlette_server._bind_socket("127.0.0.1", 0, 8)  # as `streamlit run` binds it
        seen: asyncio.Future = asyncio.get_running_loop().create_future()

        class Probe(asyncio.Protocol):
            def connection_made(self, transport):
                sock = transport.get_extra_info("socket")
                seen.set_result(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
                transport.close()

        server = await asyncio.get_running_loop().create_server(Probe, sock=listener)
        try:
            _, writer = await asyncio.open_connection(*listener.getsockname())
            value = await asyncio.wait_for(seen, 30)
            writer.close()
            return value
        finally:
            server.close()
            await server.wait_closed()

    # a thread of its own: the browser tests' Playwright may hold a running event loop in this one
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, run()).result(60)


def test_streamlits_listening_socket_leaves_nagle_on_without_the_fix(monkeypatch):
    """The cause, as asyncio has it: the check that this test would fail without `tcp.install()`."""
    monkeypatch.setattr(asyncio.base_events, "_set_nodelay", tcp.ASYNCIO_NODELAY)
    with starlette_server._bind_socket("127.0.0.1", 0, 1) as listener:
        as_tcp = listener.proto == socket.IPPROTO_TCP
    if as_tcp:
        pytest.skip("this Streamlit binds its socket as TCP: asyncio sets TCP_NODELAY itself")
    assert accepted_nodelay() == 0


def test_every_accepted_connection_sends_at_once(monkeypatch):
    monkeypatch.setattr(asyncio.base_events, "_set_nodelay", tcp.ASYNCIO_NODELAY)
    tcp.install()
    assert accepted_nodelay() != 0


def test_the_app_installs_it_before_the_server_starts():
    from devkit import ROOT

    source = (ROOT / "app.py").read_text(encoding="utf-8")
    assert source.index("tcp.install()") < source.index("st.App(")
