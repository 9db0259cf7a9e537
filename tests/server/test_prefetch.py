"""The login page's prefetch of the app's first screen (server/prefetch.py), read from the installed
Streamlit."""

from __future__ import annotations

import re

from server import prefetch, templates


def test_every_component_of_the_first_screens_is_in_the_installed_streamlit():
    # an upgrade that renames one shows here, not as a slower login
    for name in prefetch.COMPONENTS:
        assert prefetch.component_files(name), name


def test_the_files_are_streamlits_page_its_imports_and_the_components_all_existing():
    paths = prefetch.assets()
    html = (prefetch.STATIC / "index.html").read_text(encoding="utf-8")
    named = ["/" + p for p in re.findall(r'(?:src|href)="\./(static/(?:js|css)/[^"]+)"', html)]
    assert named and set(named) <= set(paths)  # the page's own script, preloads and stylesheet
    for name in prefetch.COMPONENTS:
        assert "/static/js/" + prefetch.component_files(name)[0].name in paths
    assert any(p.endswith(".woff2") for p in paths)
    for p in paths:
        assert (prefetch.STATIC / p.lstrip("/")).is_file(), p
    assert len(paths) == len(set(paths))
    # the modules a component imports come with it (the Vega-Lite chart's renderer)
    assert any("/embed." in p for p in paths)


def test_the_login_page_runs_the_script_that_fetches_them_from_the_same_origin():
    import json

    page = templates.login_page("token")
    assert page.index(prefetch.TAG) < page.index("</head>")
    js = prefetch.script().decode()
    files = json.loads(re.search(r"const files = (\[.*?\]);", js, re.S).group(1))
    assert files == list(prefetch.assets())
    assert all(x.startswith("/static/") for x in files)  # same origin: allowed by default-src 'self'
    # two at a time, and nothing started once the form is sent (the login never queues behind them)
    assert js.count("worker();") == 2 and '"submit"' in js and "while (!sent" in js


def test_the_script_is_public_and_served(tmp_path):
    from starlette.applications import Starlette

    from server.middleware import is_public
    from server.routes import ROUTES
    from tests.helpers import call_asgi

    assert is_public(prefetch.SCRIPT_PATH)  # the login page is seen before any login
    status, head, body = call_asgi(Starlette(routes=ROUTES), prefetch.SCRIPT_PATH)
    assert status == 200 and head["content-type"].startswith("text/javascript") and body == prefetch.script()


def test_the_apps_page_preloads_the_html_renderer_of_its_first_paint():
    from server import inject

    links = prefetch.first_paint_links().decode()
    files = re.findall(r'<link rel="modulepreload" crossorigin href="\./static/js/([^"]+)">', links)
    assert files[0] == prefetch.component_files("rehype-raw")[0].name and len(files) > 1  # with its imports
    assert all((prefetch.STATIC / "static" / "js" / f).is_file() for f in files)
    page = inject.with_our_tags(b"<html><head><title>x</title></head><body></body></html>", None)
    head = page.split(b"</head>")[0]
    assert prefetch.first_paint_links() in head


def test_the_cache_probes_are_this_releases_entry_script_and_the_last_file():
    """The login page skips the prefetch only when the browser has both (the font alone survives upgrades)."""
    probes = prefetch.probes()
    assert len(probes) == 2 and probes[-1] == prefetch.assets()[-1]
    assert re.fullmatch(r"/static/js/index\.[\w-]+\.js", probes[0]) and probes[0][1:] in prefetch.index_html()
