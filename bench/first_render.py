"""What a user's browser downloads and spends on the first screens, in Chromium at 1280×720: a freshly
started server on a new database (the demo is built on the first start), then for each page a fresh
browser (cold: empty HTTP cache, login through the form straight onto the page) and the same browser
reloading it (warm: the cache holds Streamlit's bundles).

Per page and state it prints the bytes transferred as the network saw them (HTTP responses as sent,
compressed where the server compressed them, plus the websocket's frames), how much of the HTTP part
came compressed («gzip%»; the fonts are woff2, compressed by their format) and how much of its text —
scripts, styles, JSON, the page — («text%»), the requests made, and the CPU time of every Chromium process (browser, renderer,
GPU/network services: /proc, summed) from the click on «Войти» (or the reload) until the page is drawn
and idle.

«drawn s» is what a person waits: from the click as the page received it (the event's time stamp; for the
warm state the reload's start) to the frame after the page's mark (the overview's tiles, the roadmap's
timeline) entered the page — the browser's own clock, read in the page. «driver s» is the same span as the
script driving Chromium sees it: it adds Playwright's work around a click (actionability checks, scrolling,
round trips to a renderer that is busy with the login page: 0,2–0,6 s here), which no person's click has.

Two cold logins per page: «cold», the click as soon as the login page is there (a script's login);
«typed», the click once the login page has settled (its network idle: what a person typing a login and
a password gives the browser, which meanwhile fetches the app's scripts the login page names,
server/prefetch.py). The bytes of either include the login page's.

    python bench/first_render.py [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

VIEWPORT = {"width": 1280, "height": 720}
# what «drawn» means per page: the overview's tiles; the roadmap's timeline (Plotly before issue 27, then
# Vega-Lite, then HTML: core.plan_charts.Timeline)
PAGES = {
    "overview": ("/overview", ".tile-title"),
    "roadmap": ("/roadmap", ".js-plotly-plot .main-svg, [data-testid=stVegaLiteChart] svg, "
                            "[data-testid=stVegaLiteChart] canvas, .tl-row .tl-bar"),
}
TICK = os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    out = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            out += [int(x) for x in (task / "children").read_text().split()]
        except OSError:
            pass
    return out


def chromium_cpu() -> float:
    """CPU seconds (user + system) of the Chromium processes started under this one (our browsers only,
    not other people's on a shared machine), the dead children they reaped included."""
    total, todo = 0.0, _children(os.getpid())
    while todo:
        pid = todo.pop()
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        name = stat[stat.index("(") + 1:stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2:].split()
        if "chrom" in name.lower():
            total += sum(int(x) for x in fields[11:15]) / TICK  # utime stime cutime cstime
        todo += _children(pid)
    return total


# In every page of the browser: the click's time (high-resolution epoch ms; kept in sessionStorage across the
# navigation it starts) and the time of the first frame painted after `drawn` entered the page (two animation
# frames: the second starts once the first was painted).
CLOCK = r"""(drawn => {
  addEventListener('click', e => sessionStorage.setItem('clickAt', String(performance.timeOrigin + e.timeStamp)),
                   true);
  const seen = () => {
    if (window.__drawnAt || !document.querySelector(drawn)) return false;
    requestAnimationFrame(() => requestAnimationFrame(() => {
      window.__drawnAt = performance.timeOrigin + performance.now(); }));
    return true;
  };
  document.addEventListener('DOMContentLoaded', () => {
    const mo = new MutationObserver(() => { if (seen()) mo.disconnect(); });
    mo.observe(document.documentElement, {subtree: true, childList: true});
  });
})"""


def _waited(page, start: str) -> float:
    """Seconds from `start` ("click": the click on «Войти»; "origin": this document's navigation) to the
    frame after the mark was drawn, by the page's clock."""
    page.wait_for_function("() => window.__drawnAt", polling=50, timeout=120000)
    return page.evaluate("""start => (window.__drawnAt - (start === 'click'
        ? Number(sessionStorage.getItem('clickAt')) : performance.timeOrigin)) / 1000""", start)


def _idle(page) -> None:
    from devkit.browser import IDLE_NOW, QUIET_MS

    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=120000)
    page.evaluate("() => { window.__wire.mark = performance.now(); }")
    page.wait_for_function(IDLE_NOW, arg=QUIET_MS, polling=50, timeout=120000)


def measure(p, base: str, key: str, typed: bool = False) -> dict:
    """One fresh browser: login onto the page (cold; `typed`: after the login page settled), then a reload
    (warm)."""
    from devkit.browser import CHROMIUM, WIRE, Wire

    path, drawn = PAGES[key]
    browser = p.chromium.launch(executable_path=CHROMIUM, args=[
        "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--lang=ru",
        "--disable-component-update", "--no-first-run", "--disable-sync"])
    try:
        ctx = browser.new_context(viewport=VIEWPORT, locale="ru-RU")
        ctx.add_init_script(WIRE)
        ctx.add_init_script(f"{CLOCK}({drawn!r})")
        page = ctx.new_page()
        wire = Wire(page)  # the login page's bytes count with the cold page's
        page.goto(base + "/login?next=" + quote(path))
        if typed:
            page.wait_for_load_state("networkidle")
        page.fill("#login", "demo-head")
        page.fill("#password", "demo")
        out = {}
        for state in (("typed",) if typed else ("cold", "warm")):
            if state == "warm":
                wire.reset()
            cpu, t = chromium_cpu(), time.perf_counter()
            if state != "warm":
                page.click("button[type=submit]")
            else:
                page.reload()
            page.wait_for_selector(drawn, state="attached", timeout=120000)
            driver = time.perf_counter() - t
            shown = _waited(page, "origin" if state == "warm" else "click")
            _idle(page)
            out[state] = dict(shown=shown, driver=driver, cpu=chromium_cpu() - cpu, http=wire.http,
                              http_compressed=wire.http_compressed, text=wire.text,
                              text_compressed=wire.text_compressed, ws=wire.ws_in + wire.ws_out,
                              total=wire.total, requests=wire.requests,
                              plotly=sum("plotly" in u.lower() for u in wire.urls))
        ctx.close()
    finally:
        browser.close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    from devkit.server import start_server

    tmp = Path(tempfile.mkdtemp())
    t0 = time.perf_counter()
    proc, base = start_server(tmp)
    started = time.perf_counter() - t0
    results: dict[tuple[str, str], list[dict]] = {}
    try:
        with sync_playwright() as p:
            for _ in range(args.runs):
                for key in PAGES:
                    for typed in (False, True):
                        for state, r in measure(p, base, key, typed).items():
                            results.setdefault((key, state), []).append(r)
    finally:
        proc.terminate()
    mib = 1024 * 1024
    med = lambda rs, k: statistics.median(r[k] for r in rs)  # noqa: E731
    print(f"server start on a new database (demo built): {started:.1f} s")
    print(f"Chromium {VIEWPORT['width']}×{VIEWPORT['height']}, demo-head, median of {args.runs} fresh browsers; "
          "bytes as transferred (HTTP as sent + websocket frames)")
    print(f"{'page':<22}{'state':<6}{'MiB':>7}{'HTTP':>7}{'gzip%':>7}{'text%':>7}{'ws':>7}{'req':>5}{'plotly':>7}"
          f"{'drawn s':>9}{'driver s':>10}{'CPU s':>7}")
    for (key, state), rs in results.items():
        label = ("login + " if state != "warm" else "") + key
        http = med(rs, "http")
        share = 100 * med(rs, "http_compressed") / http if http else 0
        text = med(rs, "text")
        text_share = 100 * med(rs, "text_compressed") / text if text else 0
        print(f"{label:<22}{state:<6}{med(rs, 'total') / mib:>7.2f}{http / mib:>7.2f}{share:>7.0f}{text_share:>7.0f}"
              f"{med(rs, 'ws') / mib:>7.2f}{med(rs, 'requests'):>5.0f}{med(rs, 'plotly'):>7.0f}"
              f"{med(rs, 'shown'):>9.2f}{med(rs, 'driver'):>10.2f}{med(rs, 'cpu'):>7.2f}")
    for state, how in (("cold", "clicked at once"), ("typed", "clicked after the login page settled")):
        runs = [r["shown"] for r in results[("overview", state)]]
        driver = [r["driver"] for r in results[("overview", state)]]
        print(f"login -> overview tiles on screen (fresh browser, 1280×720, {how}): median "
              f"{statistics.median(runs):.2f} s (runs {', '.join(f'{x:.2f}' for x in runs)}; as the driver "
              f"saw it {', '.join(f'{x:.2f}' for x in driver)})")


if __name__ == "__main__":
    main()
