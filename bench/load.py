"""Many people at once: N concurrent logins over HTTP, then M concurrent Streamlit sessions rendering
the overview in real Chromium pages. Starts its own server (`streamlit run app.py`) on a free
loopback port with a fresh demo database, and prints errors, p50, p95 and max per phase and the
server's peak resident memory.

Two measurements of the sessions: (a) the server's part alone — M Streamlit sessions over the
websocket protocol (no browser), from the request of a script run to its last message; (b) M
Chromium pages, which on this machine also run 20 browsers on the same 2 cores as the server: the
CPU seconds of Chromium and of the server are printed next to the times, so the two can be told
apart (a real meeting's browsers run on the participants' own computers).

    python bench/load.py                          # SQLite, 50 logins, 20 sessions
    python bench/load.py --backend postgresql     # a fresh database next to TEST_POSTGRES_URL
    python bench/load.py --logins 30 --sessions 10

Bounded: at most 200 logins and 40 sessions, a deadline per request and for the whole run; only
127.0.0.1 is contacted. Goals (issue 17, 2-core machine): 50 logins — 0 errors, p95 <= 3 s;
20 sessions — 0 errors, p95 <= 6 s.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import statistics
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEMO_USERS = ["demo-head", "demo-methodist", "demo-admin"]  # the roles whose first page is the overview
MAX_LOGINS, MAX_SESSIONS = 200, 40
REQUEST_TIMEOUT = 60.0
RUN_DEADLINE = 900.0


def rss_kib(pid: int) -> int:
    """Resident memory of a process and its children (KiB), from /proc."""
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


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of the server process so far (all its threads)."""
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
          f"max={max(times) if times else float('nan'):6.2f} s  server RSS peak={rss_peak / 1024:6.0f} MiB  "
          f"goal p95<={goal:.0f} s: {'met' if ok else 'NOT met'}")
    for e in sorted(set(errors))[:8]:
        print(f"    error ×{errors.count(e)}: {e}")
    return bool(ok)


# ---------------------------------------------------------------------------------------------
# Phase 1: logins over HTTP
# ---------------------------------------------------------------------------------------------
def one_login(base: str, user: str, barrier: threading.Barrier) -> tuple[float | None, str | None, str | None]:
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
        return dt, None, s.cookies.get("mon_session")
    except Exception as exc:  # noqa: BLE001 - every failure is counted and shown
        return None, f"{type(exc).__name__}: {str(exc)[:120]}", None


def logins(base: str, n: int) -> tuple[list[float], list[str], list[str]]:
    barrier = threading.Barrier(n)
    with ThreadPoolExecutor(n) as pool:
        results = list(pool.map(lambda i: one_login(base, DEMO_USERS[i % len(DEMO_USERS)], barrier), range(n)))
    return ([r[0] for r in results if r[0] is not None], [r[1] for r in results if r[1]],
            [r[2] for r in results if r[2]])


# ---------------------------------------------------------------------------------------------
# Phase 2a: the server's part: Streamlit sessions over the websocket protocol, no browser
# ---------------------------------------------------------------------------------------------
async def protocol_sessions(base: str, tokens: list[str], n: int) -> tuple[list[float], list[str]]:
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
                               additional_headers={"Cookie": f"mon_session={token}"},
                               open_timeout=REQUEST_TIMEOUT) as ws:
                await start.wait()
                t = time.perf_counter()
                msg = BackMsg()
                msg.rerun_script.page_name = "overview"
                msg.rerun_script.query_string = ""
                await ws.send(msg.SerializeToString())
                tiles = shown_error = False
                while True:
                    raw = await asyncio.wait_for(ws.recv(), timeout=REQUEST_TIMEOUT)
                    fwd = ForwardMsg()
                    fwd.ParseFromString(raw)
                    tiles = tiles or b"tile-title" in raw
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
async def sessions(base: str, tokens: list[str], n: int) -> tuple[list[float], list[str], float]:
    from playwright.async_api import async_playwright

    from tests.e2e.conftest import CHROMIUM, IDLE

    times: list[float] = []
    errors: list[str] = []
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--no-first-run", "--disable-sync", "--disable-dev-shm-usage"])
        contexts = []
        for i in range(n):
            ctx = await browser.new_context(viewport={"width": 1280, "height": 720})
            await ctx.add_cookies([{"name": "mon_session", "value": tokens[i % len(tokens)], "domain": "127.0.0.1",
                                    "path": "/", "httpOnly": True, "sameSite": "Lax"}])
            contexts.append((ctx, await ctx.new_page()))
        start = asyncio.Event()

        async def render(page) -> None:
            await start.wait()
            t = time.perf_counter()
            try:
                await page.goto(base + "/overview", timeout=REQUEST_TIMEOUT * 1000)
                await page.wait_for_selector(".tile-title", timeout=REQUEST_TIMEOUT * 1000)
                await page.wait_for_selector(IDLE, timeout=REQUEST_TIMEOUT * 1000)
                if "/login" in page.url:
                    raise RuntimeError("sent to the login page")
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
    ap.add_argument("--logins", type=int, default=50)
    ap.add_argument("--sessions", type=int, default=20)
    ap.add_argument("--timeout", type=float, default=60.0, help="seconds one login or one render may take (max 300)")
    args = ap.parse_args()
    global REQUEST_TIMEOUT
    REQUEST_TIMEOUT = min(max(args.timeout, 5.0), 300.0)
    n_logins, n_sessions = min(args.logins, MAX_LOGINS), min(args.sessions, MAX_SESSIONS)

    from tests.e2e.conftest import start_server

    tmp = Path(tempfile.mkdtemp(prefix="load-"))
    url, drop = database_url(args.backend, tmp)
    deadline = threading.Timer(RUN_DEADLINE, lambda: os._exit(3))  # bounded, whatever happens
    deadline.daemon = True
    deadline.start()
    proc, base = start_server(tmp, {"DATABASE_URL": url, "MONITORING_DEMO": "1"})
    assert base.startswith("http://127.0.0.1:"), base
    ok = True
    try:
        import requests

        requests.get(base + "/login", timeout=REQUEST_TIMEOUT)  # the demo is built on the first request
        print(f"server: {base}, backend {args.backend}, {os.cpu_count()} CPUs, "
              f"load average {os.getloadavg()[0]:.2f} (other work on the machine counts)")
        sampler = RssSampler(proc.pid)
        sampler.start()
        cpu0 = cpu_seconds(proc.pid)
        times, errors, tokens = logins(base, n_logins)
        print(f"    server CPU for the logins: {cpu_seconds(proc.pid) - cpu0:.1f} s")
        ok &= report(f"{n_logins} concurrent logins (HTTP)", n_logins, times, errors, sampler.peak, 3.0)
        if not tokens:
            print("no session to render with")
            return 1
        # one session first (cold caches, as at the start of a meeting), then all of them at once
        times, errors, _ = asyncio.run(sessions(base, tokens, 1))
        report("1 session, cold (first render)", 1, times, errors, sampler.peak, 6.0)
        load0, cpu0 = os.getloadavg()[0], cpu_seconds(proc.pid)
        times, errors = asyncio.run(protocol_sessions(base, tokens, n_sessions))
        print(f"    server CPU for the {n_sessions} script runs: {cpu_seconds(proc.pid) - cpu0:.1f} s; "
              f"load average {load0:.2f} -> {os.getloadavg()[0]:.2f}")
        ok &= report(f"{n_sessions} sessions, server (no browser)", n_sessions, times, errors, sampler.peak, 6.0)
        load0, cpu0 = os.getloadavg()[0], cpu_seconds(proc.pid)
        times, errors, browser_cpu = asyncio.run(sessions(base, tokens, n_sessions))
        server_cpu = cpu_seconds(proc.pid) - cpu0
        print(f"    CPU for the {n_sessions} pages: server {server_cpu:.1f} s (one Python process: its script runs "
              f"share one interpreter lock), Chromium {browser_cpu:.1f} s ({browser_cpu / n_sessions:.1f} s a page) "
              f"on the same {os.cpu_count()} cores; load average {load0:.2f} -> {os.getloadavg()[0]:.2f}")
        ok &= report(f"{n_sessions} Chromium pages render the overview", n_sessions, times, errors, sampler.peak, 6.0)
        sampler.stop.set()
        print(f"server RSS now {rss_kib(proc.pid) / 1024:.0f} MiB; load average {os.getloadavg()[0]:.2f}")
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except Exception:  # noqa: BLE001
            proc.kill()
        drop()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
