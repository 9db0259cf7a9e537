"""The stylesheet every page links (ui/theme.py, served by server/inject.py) instead of a Markdown block
of HTML sent with each page's first run (issue 27)."""

from __future__ import annotations

import gzip

import hashlib

from starlette.applications import Starlette

from server import inject
from tests.helpers import call_asgi as call
from ui import native, phone
from ui.theme import STYLESHEET

PAGE = b"<html><head><title>x</title></head><body><div id=\"root\"></div></body></html>"


def test_the_stylesheet_is_the_three_style_blocks_without_their_tags():
    assert "<style" not in STYLESHEET and "</style" not in STYLESHEET
    for block in (native.CSS, phone.CSS):
        inner = block.replace("<style>", "").replace("</style>", "").strip()
        assert inner in STYLESHEET
    # the phone's rules last: they override the desktop's below 640 px
    assert STYLESHEET.index("max-width: 640px") > STYLESHEET.index(".tile-title")


def test_the_page_links_it_first_in_its_body_and_gets_the_script_in_its_head():
    theme = inject.Stylesheet(STYLESHEET)
    out = inject.with_our_tags(PAGE, theme)
    head, body = out.split(b"<body>")
    assert b'<script src="/ui/connection.js" defer></script></head>' in head
    # where the app is, before any of Streamlit's scripts (and allowed by its hash in the policy)
    assert head.startswith(b"<html><head><script>" + inject.BASE_SCRIPT.encode() + b"</script><title>")
    assert body.startswith(b'<link rel="stylesheet" href="/ui/theme.css?v=')  # before the app's root
    assert inject.with_our_tags(out, theme) == out  # once
    # its address names its content: a new version is a new address, the old one stays cached
    assert f"?v={hashlib.sha256(STYLESHEET.encode()).hexdigest()[:12]}".encode() in body


def test_the_stylesheet_is_served_compressed_and_kept_by_the_browser():
    app = Starlette(routes=[inject.Stylesheet(STYLESHEET).route])
    status, headers, body = call(app, inject.THEME_PATH, {"Accept-Encoding": "gzip"})
    assert status == 200 and headers["content-type"].startswith("text/css")
    assert headers["content-encoding"] == "gzip" and "immutable" in headers["cache-control"]
    assert gzip.decompress(body).decode() == STYLESHEET
    status, headers, body = call(app, inject.THEME_PATH, {"Accept-Encoding": "identity"})
    assert "content-encoding" not in headers and body.decode() == STYLESHEET
