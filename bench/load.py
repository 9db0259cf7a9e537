"""Many people at once: N concurrent logins over HTTP, then M concurrent Streamlit sessions rendering
the overview in real Chromium pages. Starts its own server (`streamlit run app.py`) on a free
loopback port with a fresh demo database, and prints errors, p50, p95 and max per phase and the
server's peak resident memory.

Two measurements of the sessions: (a) the server's part alone — M Streamlit sessions over the
websocket protocol (no browser), from the request of a script run to its last message; (b) M
Chromium pages, which on this machine also run 20 browsers on the same 2 cores as the server: the
CPU seconds of Chromium and of the server are printed next to the times, so the two can be told
apart (a real meeting's browsers run on the participants' own computers).

    python bench/load.py                          # SQLite, 50 logins, 20 sessions, 20 browsers
    python bench/load.py --backend postgresql     # a fresh database next to TEST_POSTGRES_URL
    python bench/load.py --logins 30 --sessions 10 --browsers 5
    python bench/load.py --url http://127.0.0.1:8080   # a running deployment (e.g. HAProxy in front of two
                                                       # replicas, deploy/haproxy.cfg) on a demo database

`--sessions` is the number of protocol sessions (the server's part), `--browsers` the number of Chromium
pages. A session or a page counts as drawn only when the overview's tiles arrived as elements (a
markdown element holding `class="tile-title"`), not when the page's style sheet names the class.
With `--url` nothing is started: every cookie the login answers with (a proxy's sticky-session cookie
too) goes with the session's websocket and browser, and the server's CPU and memory are not measured
(they are another machine's or several processes').

Bounded: at most 200 logins, 40 sessions and 40 browsers, a deadline per request and for the whole
run; only 127.0.0.1 is contacted unless `--url` names another address. Goals (issue 17, 2-core
machine): 50 logins — 0 errors, p95 <= 3 s; 20 sessions — 0 errors, p95 <= 6 s.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEMO_USERS = ["demo-head", "demo-methodist", "demo-admin"]  # the roles whose first page is the overview
MAX_LOGINS, MAX_SESSIONS = 200, 40
TILE = re.compile(r'class="tile-title"')  # a drawn tile, as the overview writes it (the CSS says `.tile-title`)
DRAWN_TILE = '[data-testid="stMarkdown"] .tile .tile-title'  # in the browser: a tile element in the page
REQUEST_TIMEOUT = 60.0
RUN_DEADLINE = 900.0


def rss_kib(pid: int | None) -> int:
    """Resident memory of a process and its children (KiB), from /proc."""
    if pid is None:
        return 0
    total = 0
    pids = [pid]
    try:
        pids += [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        pass
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total


def cpu_seconds(pid: int | None) -> float:
    """User + system CPU time of the server process so far (all its threads); NaN when not ours."""
    if pid is None:
        return float("nan")
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:
        return float("nan")


class RssSampler(threading.Thread):
    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid, self.peak, self.stop = pid, 0, threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            self.peak = max(self.peak, rss_kib(self.pid))
            self.stop.wait(0.2)


def chromium_cpu_seconds() -> float:
    """CPU seconds (user + system) of the Chromium processes started by this bench, alive now."""
    parents, cpu = {}, {}
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            stat = (d / "stat").read_text()
            comm = stat[stat.index("(") + 1:stat.rindex(")")]
            fields = stat.rsplit(")", 1)[1].split()
        except (OSError, ValueError):
            continue
        parents[int(d.name)] = int(fields[1])
        if "chrom" in comm.lower():
            cpu[int(d.name)] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    me, total = os.getpid(), 0.0
    for pid, secs in cpu.items():
        p, hops = pid, 0
        while p and p != me and hops < 50:
            p, hops = parents.get(p, 0), hops + 1
        if p == me:
            total += secs
    return total


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, max(0, int(round(q * (len(s) - 1)))))]


def report(name: str, n: int, times: list[float], errors: list[str], rss_peak: int, goal: float) -> bool:
    ok = not errors and times and pct(times, 0.95) <= goal
    print(f"{name:<40} n={n:<3} errors={len(errors):<3} p50={pct(times, .5):6.2f} s  p95={pct(times, .95):6.2f} s  "
          f"max={max(times) if times else float('nan'):6.2f} s  "
          + (f"server RSS peak={rss_peak / 1024:6.0f} MiB  " if rss_peak else "") +
          f"goal p95<={goal:.0f} s: {'met' if ok else 'NOT met'}")
    for e in sorted(set(errors))[:8]:
        print(f"    error ×{errors.count(e)}: {e}")
    return bool(ok)


# ---------------------------------------------------------------------------------------------
# Phase 1: logins over HTTP
# ---------------------------------------------------------------------------------------------
def one_login(base: str, user: str, barrier: threading.Barrier) -> tuple[float | None, str | None, dict | None]:
    import requests

    s = requests.Session()
    try:
        page = s.get(base + "/login", timeout=REQUEST_TIMEOUT)
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
        barrier.wait(timeout=REQUEST_TIMEOUT)
        t = time.perf_counter()
        r = s.post(base + "/login", data={"login": user, "password": "demo", "csrf": csrf, "next": "/"},
                   allow_redirects=False, timeout=REQUEST_TIMEOUT)
        dt = time.perf_counter() - t
        if r.status_code != 303:
            return None, f"HTTP {r.status_code}: {r.text[:120]!r}", None
        if not s.cookies.get("mon_session"):
            return None, "no session cookie after the login", None
        return dt, None, s.cookies.get_dict()  # the session, and a proxy's sticky cookie if there is one
    except Exception as exc:  # noqa: BLE001 - every failure is counted and shown
        return None, f"{type(exc).__name__}: {str(exc)[:120]}", None


def logins(base: str, n: int) -> tuple[list[float], list[str], list[dict]]:
    barrier = threading.Barrier(n)
    with ThreadPoolExecutor(n) as pool:
        results = list(pool.map(lambda i: one_login(base, DEMO_USERS[i % len(DEMO_USERS)], barrier), range(n)))
    return ([r[0] for r in results if r[0] is not None], [r[1] for r in results if r[1]],
            [r[2] for r in results if r[2]])


# ---------------------------------------------------------------------------------------------
# Phase 2a: the server's part: Streamlit sessions over the websocket protocol, no browser
# ---------------------------------------------------------------------------------------------
def tiles_in(fwd) -> int:
    """Tiles drawn by one forward message: markdown elements that hold a tile (the style sheet sent with
    every page names `.tile-title` too, and counts for nothing)."""
    if fwd.WhichOneof("type") != "delta" or fwd.delta.WhichOneof("type") != "new_element":
        return 0
    el = fwd.delta.new_element
    return len(TILE.findall(el.markdown.body)) if el.WhichOneof("type") == "markdown" else 0


def cookie_header(cookies: dict) -> str:
    return "; ".join(f"{k}={v}" for k, v in cookies.items())


async def protocol_sessions(base: str, tokens: list[dict], n: int,
                            page: str = "overview") -> tuple[list[float], list[str]]:
    """Each session does what the browser's Streamlit client does on opening /overview: connect
    the websocket with the session cookie, ask for a script run of the page, and read the messages
    until the run has finished. Time: from the request of the run to its `script_finished`."""
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
    from websockets.asyncio.client import connect

    times: list[float] = []
    errors: list[str] = []
    start = asyncio.Event()
    url = base.replace("http://", "ws://", 1) + "/_stcore/stream"

    async def one(token: str) -> None:
        try:
            async with connect(url, subprotocols=["streamlit"], origin=base, max_size=None,
                               additional_headers={"Cookie": cookie_header(token)},
                               open_timeout=REQUEST_TIMEOUT) as ws:
                await start.wait()
                t = time.perf_counter()
                msg = BackMsg()
                msg.rerun_script.page_name = page
                msg.rerun_script.query_string = ""
                await ws.send(msg.SerializeToString())
                tiles, shown_error = 0, False
                while True:
                    raw = await asyncio.wait_for(ws.recv(), timeout=REQUEST_TIMEOUT)
                    fwd = ForwardMsg()
                    fwd.ParseFromString(raw)
                    tiles += tiles_in(fwd)
                    kind = fwd.WhichOneof("type")
                    if kind == "delta" and fwd.delta.WhichOneof("type") == "new_element":
                        shown_error = shown_error or fwd.delta.new_element.WhichOneof("type") == "exception"
                    if kind == "script_finished" and fwd.script_finished != ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                        break
                dt = time.perf_counter() - t
                if fwd.script_finished != ForwardMsg.FINISHED_SUCCESSFULLY:
                    raise RuntimeError(f"script finished with status {fwd.script_finished}")
                if shown_error or not tiles:
                    raise RuntimeError("the page shows an exception" if shown_error else "no tiles rendered")
                times.append(dt)
        except Exception as exc:  # noqa: BLE001 - every failure is counted and shown
            errors.append(f"{type(exc).__name__}: {str(exc).splitlines()[0][:120] if str(exc) else ''}")

    tasks = [asyncio.create_task(one(tokens[i % len(tokens)])) for i in range(n)]
    await asyncio.sleep(1.0)  # every websocket connected before the runs are asked for
    start.set()
    await asyncio.wait_for(asyncio.gather(*tasks), timeout=REQUEST_TIMEOUT * 3)
    return times, errors


# ---------------------------------------------------------------------------------------------
# Phase 2b: Streamlit sessions rendering the overview in Chromium
# ---------------------------------------------------------------------------------------------
async def sessions(base: str, tokens: list[dict], n: int) -> tuple[list[float], list[str], float]:
    from playwright.async_api import async_playwright

    from devkit.browser import CHROMIUM, IDLE

    times: list[float] = []
    errors: list[str] = []
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--no-first-run", "--disable-sync", "--disable-dev-shm-usage"])
        contexts = []
        for i in range(n):
            ctx = await browser.new_context(viewport={"width": 1280, "height": 720})
            await ctx.add_cookies([{"name": k, "value": v, "domain": urlsplit(base).hostname, "path": "/",
                                    "httpOnly": True, "sameSite": "Lax"} for k, v in tokens[i % len(tokens)].items()])
            contexts.append((ctx, await ctx.new_page()))
        start = asyncio.Event()

        async def render(page) -> None:
            await start.wait()
            t = time.perf_counter()
            try:
                await page.goto(base + "/overview", timeout=REQUEST_TIMEOUT * 1000)
                await page.wait_for_selector(f"{DRAWN_TILE}, form[action='/login']", timeout=REQUEST_TIMEOUT * 1000)
                if "/login" in page.url:
                    raise RuntimeError("sent to the login page")
                await page.wait_for_selector(IDLE, timeout=REQUEST_TIMEOUT * 1000)
                exc = await page.locator('[data-testid="stException"]').count()
                if exc:
                    raise RuntimeError("the page shows an exception")
                times.append(time.perf_counter() - t)
            except Exception as exc:  # noqa: BLE001
                errors.append(f"{type(exc).__name__}: {str(exc).splitlines()[0][:120]}")

        tasks = [asyncio.create_task(render(pg)) for _, pg in contexts]
        cpu0 = chromium_cpu_seconds()
        start.set()
        await asyncio.gather(*tasks)
        chromium_cpu = chromium_cpu_seconds() - cpu0  # before closing: the renderers still count
        for ctx, _ in contexts:
            await ctx.close()
        await browser.close()
    return times, errors, chromium_cpu


# ---------------------------------------------------------------------------------------------
def database_url(backend: str, tmp: Path) -> tuple[str, callable]:
    if backend == "sqlite":
        return f"sqlite:///{tmp / 'load.db'}", lambda: None
    import psycopg

    admin = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    if not re.search(r"@(127\.0\.0\.1|localhost)[:/]", admin):
        raise SystemExit("PostgreSQL must be on the loopback interface for this bench")
    name = f"mon_load_{uuid.uuid4().hex[:10]}"
    plain = admin.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as c:
        c.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(plain, autocommit=True) as c:
            c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return admin.rsplit("/", 1)[0] + "/" + name, drop


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    ap.add_argument("--url", help="a running deployment on a demo database (e.g. the proxy of deploy/haproxy.cfg); "
                                  "nothing is started")
    ap.add_argument("--logins", type=int, default=50)
    ap.add_argument("--sessions", type=int, default=20, help="protocol sessions: the server's part (max 40)")
    ap.add_argument("--browsers", type=int, default=20, help="Chromium pages rendering the overview (max 40)")
    ap.add_argument("--timeout", type=float, default=60.0, help="seconds one login or one render may take (max 300)")
    args = ap.parse_args()
    global REQUEST_TIMEOUT
    REQUEST_TIMEOUT = min(max(args.timeout, 5.0), 300.0)
    n_logins = min(args.logins, MAX_LOGINS)
    n_sessions, n_browsers = min(args.sessions, MAX_SESSIONS), min(args.browsers, MAX_SESSIONS)

    deadline = threading.Timer(RUN_DEADLINE, lambda: os._exit(3))  # bounded, whatever happens
    deadline.daemon = True
    deadline.start()
    proc, drop = None, (lambda: None)
    if args.url:
        base = args.url.rstrip("/")
        if urlsplit(base).scheme not in ("http", "https") or not urlsplit(base).hostname:
            raise SystemExit(f"--url: expected http://host:port, got {args.url!r}")
        where = f"{base} (running; its server CPU and memory are not measured here)"
    else:
        from devkit.server import start_server

        tmp = Path(tempfile.mkdtemp(prefix="load-"))
        url, drop = database_url(args.backend, tmp)
        proc, base = start_server(tmp, {"DATABASE_URL": url, "MONITORING_DEMO": "1"})
        assert base.startswith("http://127.0.0.1:"), base
        where = f"{base}, backend {args.backend}"
    pid = proc.pid if proc else None
    ok = True
    try:
        import requests

        requests.get(base + "/login", timeout=REQUEST_TIMEOUT)  # the demo is built on the first request
        print(f"server: {where}, {os.cpu_count()} CPUs, "
              f"load average {os.getloadavg()[0]:.2f} (other work on the machine counts)")
        sampler = RssSampler(pid)
        sampler.start()
        cpu0 = cpu_seconds(pid)
        times, errors, tokens = logins(base, n_logins)
        if pid:
            print(f"    server CPU for the logins: {cpu_seconds(pid) - cpu0:.1f} s")
        ok &= report(f"{n_logins} concurrent logins (HTTP)", n_logins, times, errors, sampler.peak, 3.0)
        if not tokens:
            print("no session to render with")
            return 1
        # the check of drawn tiles can fail: a page without tiles («Учётная запись») must be refused
        _, refused = asyncio.run(protocol_sessions(base, tokens, 1, page="account"))
        if not any("no tiles rendered" in e for e in refused):
            print(f"the tiles check passed a page without tiles: {refused}")
            ok = False
        # one session first (cold caches, as at the start of a meeting), then all of them at once
        times, errors, _ = asyncio.run(sessions(base, tokens, 1))
        report("1 session, cold (first render)", 1, times, errors, sampler.peak, 6.0)
        if n_sessions:
            load0, cpu0 = os.getloadavg()[0], cpu_seconds(pid)
            times, errors = asyncio.run(protocol_sessions(base, tokens, n_sessions))
            if pid:
                print(f"    server CPU for the {n_sessions} script runs: {cpu_seconds(pid) - cpu0:.1f} s; "
                      f"load average {load0:.2f} -> {os.getloadavg()[0]:.2f}")
            ok &= report(f"{n_sessions} sessions, server (no browser)", n_sessions, times, errors, sampler.peak, 6.0)
        if n_browsers:
            load0, cpu0 = os.getloadavg()[0], cpu_seconds(pid)
            times, errors, browser_cpu = asyncio.run(sessions(base, tokens, n_browsers))
            server = f"server {cpu_seconds(pid) - cpu0:.1f} s (one Python process: its script runs share one " \
                     "interpreter lock), " if pid else ""
            print(f"    CPU for the {n_browsers} pages: {server}Chromium {browser_cpu:.1f} s "
                  f"({browser_cpu / n_browsers:.1f} s a page) on the same {os.cpu_count()} cores; "
                  f"load average {load0:.2f} -> {os.getloadavg()[0]:.2f}")
            ok &= report(f"{n_browsers} Chromium pages render the overview", n_browsers, times, errors, sampler.peak,
                         6.0)
        sampler.stop.set()
        if pid:
            print(f"server RSS now {rss_kib(pid) / 1024:.0f} MiB; load average {os.getloadavg()[0]:.2f}")
    finally:
        if proc:
            proc.terminate()
            try:
                proc.wait(15)
            except Exception:  # noqa: BLE001
                proc.kill()
        drop()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
