"""What the browser tests share (their fixtures are in tests/e2e/conftest.py): a login session's tabs
(`Tabs`), waiting until the app is idle, logging in through the form or over plain HTTP, screenshots,
uploading through the file chooser, and which Latin-script words may be visible."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote

import requests

from core.navigation import PAGES
from devkit import ROOT
from devkit.browser import IDLE, IDLE_NOW, QUIET_MS, WIRE

SHOTS = ROOT / "tests" / "e2e" / "screenshots"
DROPZONE = '[data-testid="stFileUploaderDropzone"]'
ROLES = {"admin": "demo-admin", "head": "demo-head", "methodologist": "demo-methodist", "curator": "demo-curator",
         "principal": "demo-principal"}
EXTENSIONS = {"xlsx", "xlsm", "xls", "xlsb", "ods", "csv", "docx", "png", "svg", "pdf"}
ROMAN = re.compile(r"^[IVX]+$")  # «III кв. 2024»
SCHOOL_CODE = re.compile(r"^[A-Z]{2,5}-\d+$")  # «NEV-02»: the schools' codes from the roadmaps, data not words

VISIBLE_WORDS = r"""() => {
  const out = [];
  // text for screen readers only (a 1-px clipped box, as react-aria's calendar hint) is not on the screen
  const srOnly = el => {
    for (let x = el; x && x !== document.body; x = x.parentElement) {
      const s = getComputedStyle(x), b = x.getBoundingClientRect();
      if (s.clipPath === 'inset(50%)' || s.clip === 'rect(0px, 0px, 0px, 0px)') return true;
      if (s.overflow === 'hidden' && (b.width <= 1 || b.height <= 1)) return true;
    }
    return false;
  };
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  let n;
  while ((n = walker.nextNode())) {
    const el = n.parentElement;
    if (!el || el.closest('script,style,noscript,[aria-hidden=true],[data-testid=stIconMaterial]')) continue;
    const st = getComputedStyle(el);
    if (st.display === 'none' || st.visibility === 'hidden' || parseFloat(st.fontSize) === 0) continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0 || srOnly(el)) continue;
    for (const m of (n.textContent.match(/[A-Za-z][A-Za-z0-9_-]*/g) || [])) out.push(m);
  }
  return out;
}"""


class Tabs:
    """The tabs of one login session: a browser context of its own, taken with the first tab (`tabs(w, h)`
    opens a tab at that size). `end_session()` closes its tabs and forgets the session — cookies and the
    site's storage — so the next login starts as in another browser; the fixture does it after the test.

    A context whose session ended is kept (per Chromium) and handed to the next `Tabs` instead of a new
    one: a new context's first tab costs Chromium about 1,5 CPU-seconds more than a tab of a kept one."""

    _kept: dict = {}  # browser -> contexts without tabs, cookies or storage

    def __init__(self, browser):
        self.browser = browser
        self.ctx = None

    def __call__(self, width: int = 1920, height: int = 1080):
        if self.ctx is None:
            kept = self._kept.setdefault(self.browser, [])
            if kept:
                self.ctx = kept.pop()
            else:
                self.ctx = self.browser.new_context(locale="ru-RU", accept_downloads=True)
                self.ctx.add_init_script(WIRE)
        pg = self.ctx.new_page()
        pg.set_viewport_size({"width": width, "height": height})
        pg.set_default_timeout(60000)
        return pg

    def end_session(self) -> None:
        if self.ctx is None:
            return
        ctx, self.ctx = self.ctx, None
        try:
            for pg in ctx.pages:
                if pg.url.startswith("http"):
                    pg.evaluate("() => { localStorage.clear(); sessionStorage.clear(); }")
                pg.close()
            ctx.clear_cookies()
            ctx.clear_permissions()
            clean = not ctx.storage_state()["origins"]  # no site left with storage (one no open tab was on)
        except Exception:  # noqa: BLE001 - a tab that cannot be cleaned: the context is not kept
            clean = False
        if clean:
            self._kept.setdefault(self.browser, []).append(ctx)
        else:
            ctx.close()


# an interaction that stays in the browser (a select's list opened or searched, a field typed into without
# sending, a chart hovered) starts no script run: the page is drawn when its DOM has been still this long
LOCAL_QUIET_MS = 60


# the projector's two sizes; a control whose text does not fit its box (the tours and the meeting mode)
SIZES = [(1280, 720), (1920, 1080)]
CLIPPED = r"""() => {
  const out = [];
  const sel = 'button, [data-testid=stWidgetLabel], [data-baseweb=tab], [data-testid=stMetricLabel]';
  for (const el of document.querySelectorAll(sel)) {
    if (el.getBoundingClientRect().width === 0) continue;
    for (const x of [el, ...el.querySelectorAll('*')]) {
      const ov = getComputedStyle(x).overflowX;
      if (x.scrollWidth > x.clientWidth + 1 && (ov === 'hidden' || ov === 'clip' || x === el && ov !== 'visible'))
        out.push((el.innerText || '').slice(0, 60));
    }
  }
  return [...new Set(out)].filter(t => t.trim());
}"""


def at_sizes(pg, sizes=SIZES):
    """Yields each (width, height) of `sizes` with the page shown at it: the first is the size the tab has
    (it was opened or last left at it), each next one the window resized and the page laid out again, as
    when a laptop's window is moved onto the projector."""
    for i, (w, h) in enumerate(sizes):
        if i:
            pg.set_viewport_size({"width": w, "height": h})
            wait_idle(pg)  # its quiet moment lets the page lay itself out again
        yield w, h


def wait_idle(pg, quiet: int = QUIET_MS) -> None:
    """Until the app is idle: connected, its script not running, no rerun request unanswered, no upload
    in flight, and for `quiet` ms since the call nothing sent or received and nothing redrawn (a rerun that
    an action starts a moment later, a second run straight after the first, and a page still drawing on a
    loaded machine are waited for; LOCAL_QUIET_MS after an interaction that sends nothing). `pg` is a tab
    of a `Tabs` session (it carries WIRE)."""
    pg.wait_for_selector(IDLE, timeout=60000)
    pg.evaluate("() => { window.__wire.mark = performance.now(); }")
    pg.wait_for_function(IDLE_NOW, arg=quiet, polling=25 if quiet < QUIET_MS else 50, timeout=60000)


def login(pg, base: str, user: str, password: str = "demo", then: str | None = None) -> None:
    """Log in through the form. `then` (a path such as "/roadmap?roadmap=nev-2024") is where the login
    lands, as after following a link while logged out: one page load, not the home page and then it."""
    pg.goto(base + "/login" + ("?next=" + quote(then) if then else ""))
    pg.fill("#login", user)
    pg.fill("#password", password)
    pg.click("button[type=submit]")
    wait_idle(pg)


def menu_link(pg, url_path: str):
    """The menu's link to the page at `url_path` (core.navigation.PAGES' url_path, no slash)."""
    return pg.locator(f"[data-testid=stSidebar] a[data-testid=stPageLink-NavLink][href='{url_path}']")


def open_from_menu(pg, key: str) -> None:
    """A page (core.navigation.PAGES key) opened as a user opens it: its link in the menu (one page load per
    tour, not per page: a page load costs Chromium about twice what a page opened in the app does)."""
    path = PAGES[key]["url_path"]
    menu_link(pg, path).click()
    pg.wait_for_url(re.compile(rf"/{path}(\?.*)?$"))
    wait_idle(pg)


def pages_as(pg, base: str, user: str, paths: list[str]):
    """Log in onto the first of `paths`, then open each other one as a person would: from the menu when it
    is a page of the menu (no query), by its address otherwise; yields each path once its page is idle."""
    login(pg, base, user, then=paths[0])
    yield paths[0]
    menu = {"/" + p["url_path"]: key for key, p in PAGES.items()}
    for path in paths[1:]:
        if path in menu and menu_link(pg, path[1:]).count():
            open_from_menu(pg, menu[path])
        else:
            pg.goto(base + path)
            wait_idle(pg)
        yield path


def open_all(pg) -> None:
    """What a page builds when a person opens it: every closed expander of the main area, and the
    roadmap's filter lists («Отбор пунктов»); one at a time, each opening reruns the page."""
    closed = "[data-testid=stMain] [data-testid=stExpander] details:not([open]) > summary:visible"  # not a phone's
    for _ in range(10):
        summary = pg.locator(closed).first
        if not summary.count():
            break
        summary.click()
        wait_idle(pg)
    switch = pg.locator("[data-testid=stMain] label:has-text('Отбор пунктов') input[type=checkbox]")
    if switch.count() and not switch.first.is_checked():
        pg.locator("[data-testid=stMain] label:has-text('Отбор пунктов')").first.click()
        wait_idle(pg)


def shot(pg, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    pg.screenshot(path=str(path))
    return path


def two_tabs(tabs: Tabs, base: str, user: str, path: str, shown: str, a_then: str | None = None):
    """Two tabs of one browser logged in as `user`: tab A on the home page (or `a_then`), tab B on
    `path` showing `shown`. Returns (a, b)."""
    a, b = tabs(1400, 900), tabs(1400, 900)
    login(a, base, user, then=a_then)
    b.goto(base + path)
    wait_idle(b)
    b.wait_for_selector(shown)
    return a, b


def upload(page, path):
    with page.expect_file_chooser() as fc:
        page.locator(DROPZONE).click()
    fc.value.set_files(str(path))
    wait_idle(page)


def write(pg):
    """Accept the warnings (a sharp change) if any and press «Записать»."""
    pg.get_by_role("button", name="Записать").wait_for()  # the preview is drawn, its warnings with it
    box = pg.get_by_text("Я проверил(а) предупреждения")
    if box.count():
        box.click()
        wait_idle(pg)
    pg.get_by_role("button", name="Записать").click()
    wait_idle(pg)


def http_login(base: str, user: str, password: str = "demo", *, session: requests.Session | None = None,
               headers: dict | None = None) -> tuple[requests.Session, requests.Response]:
    s = session or requests.Session()
    page = s.get(base + "/login", headers=headers, timeout=30)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    r = s.post(base + "/login", data={"login": user, "password": password, "csrf": csrf, "next": "/"},
               headers=headers, allow_redirects=False, timeout=60)
    return s, r


def allowed(word: str, user: str) -> bool:
    return (word.lower() in EXTENSIONS or bool(ROMAN.match(word)) or bool(SCHOOL_CODE.match(word))
            or word == user)  # the account page and the menu name the user's own login
