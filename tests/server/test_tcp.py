"""The app's connections send at once (server/tcp.py): a connection accepted from the listening socket that
Streamlit binds itself has TCP_NODELAY, which asyncio alone would not set (its protocol number is 0)."""

from __future__ import annotations

import ast
import asyncio
import asyncio.base_events
import concurrent.futures
import socket

import pytest
from streamlit.web.server.starlette import starlette_server

from server import tcp

ADDRESSES = ["127.0.0.1"] + (["::1"] if socket.has_ipv6 else [])


def accepted_nodelay(address: str) -> int:
    """TCP_NODELAY of a connection that an asyncio server accepted on Streamlit's own listening socket."""
    async def run() -> int:
        loop = asyncio.get_running_loop()
        seen: asyncio.Future = loop.create_future()

        class Probe(asyncio.Protocol):
            def connection_made(self, transport):
                sock = transport.get_extra_info("socket")
                seen.set_result(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
                transport.close()

        listener = starlette_server._bind_socket(address, 0, 8)  # as `streamlit run` binds it
        try:
            server = await loop.create_server(Probe, sock=listener)
        except BaseException:
            listener.close()
            raise
        writer = None
        try:
            _, writer = await asyncio.open_connection(*listener.getsockname()[:2])
            return await asyncio.wait_for(seen, 30)
        finally:
            if writer is not None:
                writer.close()
            server.close()
            await server.wait_closed()

    # a thread of its own: the browser tests' Playwright may hold a running event loop in this one
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, run()).result()


@pytest.mark.parametrize("address", ADDRESSES)
def test_asyncio_alone_leaves_nagle_on_for_streamlits_socket(monkeypatch, address):
    """The cause: without `tcp.install()` the connection has no TCP_NODELAY (so the next test can fail)."""
    monkeypatch.setattr(asyncio.base_events, "_set_nodelay", tcp.ASYNCIO_NODELAY)
    with starlette_server._bind_socket(address, 0, 1) as listener:
        as_tcp = listener.proto == socket.IPPROTO_TCP
    if as_tcp:
        pytest.skip("this Streamlit binds its socket as TCP: asyncio sets TCP_NODELAY itself")
    assert accepted_nodelay(address) == 0


@pytest.mark.parametrize("address", ADDRESSES)
def test_every_accepted_connection_sends_at_once(monkeypatch, address):
    monkeypatch.setattr(asyncio.base_events, "_set_nodelay", tcp.ASYNCIO_NODELAY)
    tcp.install()
    assert accepted_nodelay(address) != 0


def test_the_app_installs_it_when_it_is_imported():
    """app.py calls `tcp.install()` at its top level (Streamlit imports the app before accepting anything)."""
    from devkit import ROOT

    tree = ast.parse((ROOT / "app.py").read_text(encoding="utf-8"))
    calls = [n.value for n in tree.body if isinstance(n, ast.Expr) and isinstance(n.value, ast.Call)]
    assert any(ast.unparse(c) == "tcp.install()" for c in calls)


def test_a_python_without_the_helper_starts_as_before(monkeypatch, caplog):
    monkeypatch.setattr(tcp, "ASYNCIO_NODELAY", None)
    monkeypatch.setattr(asyncio.base_events, "_set_nodelay", asyncio.base_events._set_nodelay)  # put back after
    before = asyncio.base_events._set_nodelay
    tcp.install()
    assert asyncio.base_events._set_nodelay is before and "TCP_NODELAY is left to asyncio" in caplog.text
