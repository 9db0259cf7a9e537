"""Issues 17 and 29 in a real Chromium: text is text everywhere. Markdown, HTML and control characters
planted in an indicator's short name, school names, a roadmap's title, goal and approver, activities,
risk factors, targets' wordings and users' names, and typed into an uploaded file's cells, are shown as
typed on every page of every role: no link, image, bold, emphasis, code, list or heading is made of
them, and no page asks for the remote image they name (a beacon)."""

from __future__ import annotations

import sqlite3

import pytest

from devkit.server import running_server
from tests.e2e.helpers import login, open_all, pages_as, shot, upload, wait_idle
from tests.ingest_files import long_table

# each marker, if its Markdown or HTML were rendered, would be the whole text of an element
EVIL = ("[EVLINK](http://evil.example/x) ![EVIMG](http://evil.example/i.png) **EVBOLD** <b>EVHTML</b> "
        "_EVEM_ `EVCODE`\n\n- EVLIST\n# EVHEAD \u202eEVBIDI\x07")
MADE = r"""() => {
  const out = [];
  for (const e of document.querySelectorAll('a[href*="//evil"], img[src*="//evil"]')) out.push((e.closest("[data-testid]") || e).getAttribute("data-testid") + ": " + e.outerHTML.slice(0, 120));
  for (const e of document.querySelectorAll('strong, b, em, i, code, li, h1, h2, h3, h4, h5, h6')) {
    const t = e.textContent.trim();
    if (/^(EVBOLD|EVHTML|EVEM|EVCODE|EVLIST|EVHEAD)\b/.test(t)) out.push((e.closest("[data-testid]") || e).getAttribute("data-testid") + ": " + e.outerHTML.slice(0, 120));
  }
  return out;
}"""
# a link or a remote image in the text that issue 17 planted (a Markdown link and image, an HTML anchor)
BEACON = "[x](http://evil)![i](http://127.0.0.1:9/b.png)<a href=x>"
LINKED = "a[href^='http://evil'], a[href*='//127.0.0.1:9'], a[href='x'], img[src*='b.png']"


@pytest.fixture(scope="module")
def planted(tmp_path_factory, db_templates):
    tmp = tmp_path_factory.mktemp("hostile-names")
    with running_server(tmp, template=db_templates.url("sqlite", "demo")) as base:
        with sqlite3.connect(tmp / "e2e.db") as c:
            c.execute("UPDATE indicator SET short_name = ? || ' ' || short_name", (EVIL,))
            c.execute("UPDATE school SET short_name = ? || short_name, name = ? || name "
                      "WHERE code IN ('NEV-01', 'NEV-02', 'NEV-05')", (EVIL, EVIL))
            c.execute("UPDATE school SET short_name = ?, name = ? WHERE code IN ('NEV-03', 'NEV-04')", (BEACON, BEACON))
            c.execute("UPDATE roadmap SET title = ?, approved_by = ?, goal = ?", (BEACON, BEACON, BEACON))
            c.execute("UPDATE activity SET title = ?, responsible = ? WHERE id IN (SELECT id FROM activity LIMIT 5)",
                      (BEACON, BEACON))
            c.execute("UPDATE riskfactor SET name = ? WHERE id IN (SELECT id FROM riskfactor LIMIT 3)", (BEACON,))
            c.execute("UPDATE target SET wording = ?", (BEACON,))
            c.execute('UPDATE "user" SET full_name = ?', (BEACON,))
            c.execute("UPDATE appmeta SET value = 'planted' WHERE key = 'data_version'")  # as a write would
        yield base


ROLE_PAGES = [
    ("demo-head", ["/overview", "/indicator", "/school?school=2", "/school?school=3", "/risks", "/roadmap"]),
    ("demo-principal", ["/school", "/entry"]),
    ("demo-curator", ["/curated", "/school?school=1", "/school?school=5"]),
    ("demo-methodist", ["/collection", "/entry", "/upload"]),
    ("demo-admin", ["/admin", "/account"]),
]


@pytest.mark.parametrize("user,paths", ROLE_PAGES, ids=[u for u, _ in ROLE_PAGES])
def test_names_render_as_typed_on_every_page(planted, tabs, user, paths):
    pg = tabs(1280, 720)
    beacons = []
    pg.on("request", lambda r: beacons.append(r.url) if "127.0.0.1:9/" in r.url or "evil" in r.url else None)
    for path in pages_as(pg, planted, user, paths):
        pg.locator("[data-testid=stMain] [data-testid=stMarkdownContainer]:visible").first.wait_for()
        open_all(pg)  # the expanders' content and the roadmap's filter lists are built when opened
        made = pg.evaluate(MADE)
        if made:
            shot(pg, "hostile-made" + path.replace("/", "-").replace("?", "-"))
        assert made == [], (user, path, made)
        linked = pg.locator(LINKED)
        assert linked.count() == 0, (path, linked.first.evaluate("e => e.parentElement.outerHTML.slice(0, 600)"))
        if path in ("/overview", "/roadmap"):
            assert pg.get_by_text("[x](h", exact=False).count() >= 1, path  # shown as typed
            shot(pg, "hostile" + path.replace("/", "-"))
    assert beacons == []
    tabs.end_session()


def test_school_tables_show_the_names_as_typed(planted, tabs):
    pg = tabs(1280, 720)
    for path in pages_as(pg, planted, "demo-head", ["/school?school=2", "/school?school=3"]):
        table = pg.locator("[data-testid=stTable]").first
        table.wait_for()
        text = table.inner_text()
        assert "**EVBOLD**" in text and "[EVLINK](h" in text and "- EVLIST" in text, path  # as typed, one line
        assert "\u202e" not in text and "\ufffdEVBIDI" in text  # the override shown, not obeyed
        shot(pg, "hostile-table" + path.replace("/", "-").replace("?", "-"))
    tabs.end_session()


def test_file_cells_render_as_typed_in_the_check_table(planted, tabs, tmp_path):
    pg = tabs(1280, 720)
    bad = tmp_path / "значения.xlsx"
    cell = EVIL.replace("\x07", "")  # a worksheet cannot hold a control character
    bad.write_bytes(long_table([["NEV-02", "olympiad_participants", "2024-Q4", cell, None, None],
                                [cell, "olympiad_participants", "2024-Q4", 5, None, None]]))
    for _ in pages_as(pg, planted, "demo-methodist", ["/upload"]):
        pg.get_by_role("tab", name="Загрузить файл").click()
        upload(pg, bad)
        table = pg.locator("[data-testid=stTable]").first
        table.wait_for(timeout=60000)
        wait_idle(pg)
        table.scroll_into_view_if_needed()
        assert "**EVBOLD**" in table.inner_text()
        made = pg.evaluate(MADE)
        shot(pg, "hostile-upload-check")
        assert made == [], made
    tabs.end_session()


# ---------------------------------------------------------------------------------------------
# 7. A lost connection speaks Russian and comes back by itself
# ---------------------------------------------------------------------------------------------
def test_a_lost_connection_speaks_russian_and_reconnects(tmp_path, db_templates, tabs):
    import signal

    from devkit.server import sqlite_copy, start_once

    sqlite_copy(db_templates.url("sqlite", "demo"), f"sqlite:///{tmp_path / 'e2e.db'}")
    proc, base = start_once(tmp_path, None)
    port = base.rsplit(":", 1)[1]
    pg = tabs(1280, 720)
    try:
        login(pg, base, "demo-head", then="/overview")
        pg.locator(".tile").first.wait_for()
        proc.send_signal(signal.SIGKILL)  # the server crashes
        proc.wait(10)
        dialog = pg.locator('[data-testid="stDialog"]')
        dialog.get_by_text("Нет связи с сервером").wait_for(timeout=60000)
        shot(pg, "connection-lost")
        assert "Connection error" not in dialog.inner_text()
        assert "Переподключаемся автоматически" in dialog.inner_text()
        proc, again = start_once(tmp_path, None, port=int(port))  # back on the same address
        assert again == base, (again, base)
        pg.get_by_text("Нет связи с сервером").wait_for(state="detached", timeout=90000)  # back by itself
        wait_idle(pg)
        pg.locator(".tile").first.wait_for(timeout=60000)  # the app, still logged in
        assert "/login" not in pg.url
        shot(pg, "connection-back")
    finally:
        proc.kill()
