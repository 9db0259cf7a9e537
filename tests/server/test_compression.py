"""Static files compressed by our own server (server/compression.py), driven as ASGI in front of
Streamlit 1.67's own static handler and gzip middleware (the order of the real st.App)."""

from __future__ import annotations

import gzip

import pytest

from server.compression import StaticGzipMiddleware, accepts_gzip
from tests.helpers import call_asgi as call

SCRIPT = ("function drawTheChart(a, b) { return a + b; }\n" * 400).encode()


def _app(tmp_path):
    from starlette.applications import Starlette
    from starlette.responses import Response
    from starlette.routing import Mount, Route
    from streamlit.web.server.starlette.starlette_gzip_middleware import SelectiveGZipMiddleware
    from streamlit.web.server.starlette.starlette_static_routes import create_streamlit_static_handler

    (tmp_path / "static").mkdir()
    (tmp_path / "static" / "index.abc123.js").write_bytes(SCRIPT)
    (tmp_path / "static" / "tiny.css").write_bytes(b"a{b:c}")
    (tmp_path / "static" / "font.woff2").write_bytes(b"\x00" * 4000)
    (tmp_path / "index.html").write_text("<html><body>app</body></html>")  # Streamlit's fallback page
    workbook = b"PK\x03\x04" + b"\x00" * 5000

    async def media(request):
        return Response(workbook, media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")

    inner = Starlette(routes=[Route("/media/{name}", media),
                              Mount("/", app=create_streamlit_static_handler(str(tmp_path), None))])
    calls: list[str] = []

    async def counted(scope, receive, send):  # what reaches Streamlit's side
        calls.append(scope.get("path", ""))
        return await SelectiveGZipMiddleware(inner)(scope, receive, send)

    outer = StaticGzipMiddleware(counted)
    outer.calls = calls
    return outer


@pytest.fixture
def app(tmp_path):
    return _app(tmp_path)


def test_a_script_is_sent_gzip_compressed_and_intact(app):
    status, head, body = call(app, "/static/index.abc123.js", {"Accept-Encoding": "gzip, deflate, br"})
    assert status == 200 and head["content-encoding"] == "gzip"
    assert "accept-encoding" in head["vary"].lower()
    assert int(head["content-length"]) == len(body) < len(SCRIPT) / 10
    assert gzip.decompress(body) == SCRIPT
    assert "immutable" in head["cache-control"]  # Streamlit's caching of hashed bundles is kept
    again = call(app, "/static/index.abc123.js", {"Accept-Encoding": "gzip"})
    assert again[2] == body


def test_what_is_not_compressed(app):
    # a browser that does not take gzip, a HEAD, a range, a tiny file, a font
    for headers, method in (({}, "GET"), ({"Accept-Encoding": "gzip;q=0"}, "GET"),
                            ({"Accept-Encoding": "gzip"}, "HEAD"),
                            ({"Accept-Encoding": "gzip", "Range": "bytes=0-99"}, "GET")):
        status, head, body = call(app, "/static/index.abc123.js", headers, method)
        assert "content-encoding" not in head, (headers, method)
    assert "content-encoding" not in call(app, "/static/tiny.css", {"Accept-Encoding": "gzip"})[1]
    assert "content-encoding" not in call(app, "/static/font.woff2", {"Accept-Encoding": "gzip"})[1]


def test_a_cached_copy_is_answered_not_modified(app):
    _, head, _ = call(app, "/static/index.abc123.js", {"Accept-Encoding": "gzip"})
    status, head2, body = call(app, "/static/index.abc123.js",
                               {"Accept-Encoding": "gzip", "If-None-Match": head["etag"]})
    assert status == 304 and body == b"" and "content-encoding" not in head2


def test_a_static_file_asked_again_is_answered_from_memory(app, tmp_path):
    for enc in ("gzip", ""):
        first = call(app, "/static/index.abc123.js", {"Accept-Encoding": enc})
        reached = len(app.calls)
        again = call(app, "/static/index.abc123.js", {"Accept-Encoding": enc})
        assert len(app.calls) == reached, "the kept answer reaches Streamlit's handler again"
        assert again == first and first[0] == 200
        assert ("content-encoding" in first[1]) == (enc == "gzip")
    # what was not a complete 200 of a file is asked of Streamlit every time: a missing file (answered
    # with the app's page), a range, a revalidation
    for path, headers in (("/static/missing.js", {}), ("/static/index.abc123.js", {"Range": "bytes=0-9"}),
                          ("/static/index.abc123.js", {"If-None-Match": first[1]["etag"]})):
        for _ in range(2):
            reached = len(app.calls)
            call(app, path, headers)
            assert len(app.calls) == reached + 1, (path, headers)
    # a range answer is never kept as the whole file
    assert call(app, "/static/index.abc123.js", {})[2] == SCRIPT
    # a revalidation with an ETag that no longer matches gets the file, still compressed
    status, head, body = call(app, "/static/index.abc123.js", {"Accept-Encoding": "gzip", "If-None-Match": '"old"'})
    assert status == 200 and head["content-encoding"] == "gzip" and gzip.decompress(body) == SCRIPT


def test_a_workbook_download_is_not_compressed_again(app):
    status, head, body = call(app, "/media/abc.xlsx", {"Accept-Encoding": "gzip"})
    assert status == 200 and "content-encoding" not in head and body.startswith(b"PK")


def test_accept_encoding_parsing():
    h = lambda v: [(b"accept-encoding", v.encode())]  # noqa: E731
    assert accepts_gzip(h("gzip, deflate, br, zstd"))
    assert accepts_gzip(h("br;q=1.0, gzip;q=0.8"))
    assert accepts_gzip(h("*"))
    assert not accepts_gzip(h("gzip;q=0"))
    assert not accepts_gzip(h("br"))
    assert not accepts_gzip([])
