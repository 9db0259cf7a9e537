"""What a fresh browser downloads (issue 27), in Chromium at 1280×720 with an empty cache: Streamlit's scripts and
styles arrive gzip-compressed, no Plotly bundle is requested, and login + the overview stays within 2 MiB, login
+ the roadmap page within 3 MiB (bytes as the network saw them: HTTP responses as sent plus websocket frames).
bench/first_render.py prints the same figures with the browser's CPU, cold and warm."""

import contextlib
from urllib.parse import quote

import pytest

from devkit.browser import WIRE, Wire
from tests.e2e.helpers import shot, wait_idle

SHARED_SERVER = True  # reads only

MIB = 1024 * 1024


@contextlib.contextmanager
def fresh_browser(browser):
    """A tab of a browser context of its own (an empty cache) at 1280×720, with what its network saw."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 720}, locale="ru-RU")
    try:
        ctx.add_init_script(WIRE)
        pg = ctx.new_page()
        pg.set_default_timeout(60000)
        yield pg, Wire(pg)
    finally:
        ctx.close()


@pytest.mark.parametrize("path, drawn, budget", [
    ("/overview", ".tile-title", 2 * MIB),
    ("/roadmap?roadmap=nev-2024", "[data-testid=stVegaLiteChart] svg, [data-testid=stVegaLiteChart] canvas", 3 * MIB),
])
def test_a_fresh_browser_downloads_little_and_compressed(server, browser, path, drawn, budget):
    with fresh_browser(browser) as (pg, wire):
        plain = []
        pg.on("response", lambda r: plain.append(r.url) if "/static/" in r.url and r.url.endswith((".js", ".css"))
              and int(r.headers.get("content-length", "0") or 0) >= 1024
              and r.headers.get("content-encoding") != "gzip" else None)
        pg.goto(server + "/login?next=" + quote(path))
        pg.fill("#login", "demo-head")
        pg.fill("#password", "demo")
        pg.click("button[type=submit]")
        pg.wait_for_selector(drawn, state="attached")
        wait_idle(pg)
        shot(pg, "light-" + path.strip("/").split("?")[0])
        scripts = [u for u in wire.urls if "/static/" in u and u.endswith(".js")]
        assert len(scripts) > 20  # Streamlit's bundles were fetched, not taken from a cache
        assert plain == [], plain[:5]
        assert not [u for u in wire.urls if "plotly" in u.lower()]
        assert wire.http_compressed > wire.http / 2, (wire.http_compressed, wire.http)
        assert wire.total <= budget, f"{wire.total / MIB:.2f} MiB"
        # Streamlit was told where the app is (server/inject.py): it asked the root, not the page's path first
        page_path = path.split("?")[0]
        assert any(u.endswith("/_stcore/health") for u in wire.urls), wire.urls[-20:]
        assert not [u for u in wire.urls if f"{page_path}/_stcore/" in u]


def test_a_person_typing_the_password_gives_the_browser_time_to_fetch_the_app(server, browser):
    """The login page prefetches Streamlit's files (server/prefetch.py): after the click, the overview
    comes from the browser's cache but for the page, its data and a few files."""
    with fresh_browser(browser) as (pg, wire):
        pg.goto(server + "/login?next=" + quote("/overview"))
        pg.wait_for_load_state("networkidle")  # the seconds a person takes to type
        fetched = wire.http
        assert fetched > MIB / 2, f"{fetched / MIB:.2f} MiB"  # Streamlit's scripts, while typing
        wire.reset()
        pg.fill("#login", "demo-head")
        pg.fill("#password", "demo")
        pg.click("button[type=submit]")
        pg.wait_for_selector(".tile-title", state="attached")
        wait_idle(pg)
        assert wire.http < MIB / 4, f"{wire.http / MIB:.2f} MiB after the click"
        assert fetched + wire.total <= 2 * MIB  # nothing fetched twice
        # the next login in this browser (its cache has the app): the login page looks into the cache once
        # and prefetches nothing
        pg.context.clear_cookies()
        again = pg.context.new_page()
        asked = []
        again.on("request", lambda r: asked.append(r.url) if "/static/" in r.url else None)
        again.goto(server + "/login")
        again.wait_for_load_state("networkidle")
        assert len(asked) == 1 and asked[0].endswith(".woff2"), asked[:5]
