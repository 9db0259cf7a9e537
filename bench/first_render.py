"""Time to first render of the overview in Chromium: a freshly started server on a new database
(the demo is built on the first start), then login as demo-head until the target tiles are on
screen. Prints: server start incl. demo build, and login -> tiles (median of 5 logins).

    python bench/first_render.py
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    from playwright.sync_api import sync_playwright

    from tests.e2e.conftest import CHROMIUM, IDLE, start_server

    tmp = Path(tempfile.mkdtemp())
    t0 = time.perf_counter()
    proc, base = start_server(tmp)
    started = time.perf_counter() - t0
    times = []
    try:
        with sync_playwright() as p:
            b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu",
                                                                  "--disable-background-networking"])
            for _ in range(5):
                ctx = b.new_context(viewport={"width": 1920, "height": 1080})
                page = ctx.new_page()
                page.goto(base + "/login")
                page.fill("#login", "demo-head")
                page.fill("#password", "demo")
                t = time.perf_counter()
                page.click("button[type=submit]")
                page.wait_for_selector(".tile-title", timeout=60000)
                page.wait_for_selector(IDLE, timeout=60000)
                times.append(time.perf_counter() - t)
                ctx.close()
            b.close()
    finally:
        proc.terminate()
    print(f"server start on a new database (demo built): {started:.1f} s")
    print(f"login -> overview tiles on screen: median {statistics.median(times):.2f} s "
          f"(first {times[0]:.2f} s, runs {', '.join(f'{x:.2f}' for x in times)})")


if __name__ == "__main__":
    main()
