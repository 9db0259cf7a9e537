"""Issue 29 against the real server (HTTP): request bodies bounded before they are read (413, the
server's memory unchanged), a stalled body cut (408), the websocket's message size bounded."""

from __future__ import annotations

import select
import socket
import subprocess
import time
from urllib.parse import urlsplit

import pytest

from devkit.server import running_server, server_process

MiB = 1024 * 1024


@pytest.fixture(scope="module")
def app(tmp_path_factory, db_templates):
    """(base URL, its directory: the database e2e.db and the backups) for the tests of ended sessions: one
    server for them all, as an office has one. Each test ends only the sessions it opened (a restore ends
    every session; each next test logs in again) and demotes a user no other test logs in as."""
    tmp = tmp_path_factory.mktemp("sessions")
    with running_server(tmp, template=db_templates.url("sqlite", "demo")) as base:
        yield base, tmp


@pytest.fixture(scope="module")
def live(tmp_path_factory, db_templates):
    """(base URL, server process): REQUEST_BODY_SECONDS short so that a stalled body is cut soon."""
    tmp = tmp_path_factory.mktemp("hostile")
    with server_process(tmp, {"REQUEST_BODY_SECONDS": "2"}, db_templates.url("sqlite", "demo")) as (proc, base):
        yield base, proc


def rss_mib(proc) -> float:
    with open(f"/proc/{proc.pid}/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def _status(raw: bytes) -> int:
    return int(raw.split(b" ", 2)[1])


def stream_post(base: str, path: str, total: int, *, chunked: bool) -> tuple[int, int]:
    """POST `total` bytes to `path` one MiB at a time, never holding more than one MiB, until the
    server answers (or drops the connection). Returns (status, bytes sent)."""
    u = urlsplit(base)
    sock = socket.create_connection((u.hostname, u.port), timeout=120)
    framing = b"Transfer-Encoding: chunked\r\n" if chunked else f"Content-Length: {total}\r\n".encode()
    sock.sendall(f"POST {path} HTTP/1.1\r\nHost: {u.netloc}\r\n".encode()
                 + b"Content-Type: application/x-www-form-urlencoded\r\n" + framing + b"\r\n")
    block = b"a" * MiB
    sent = 0
    answer = b""
    try:
        while sent < total:
            if select.select([sock], [], [], 0)[0]:
                break  # the server has answered (or closed): stop sending
            piece = (b"%x\r\n" % len(block) + block + b"\r\n") if chunked else block
            sock.sendall(piece)
            sent += len(block)
        else:
            if chunked:
                sock.sendall(b"0\r\n\r\n")
    except (BrokenPipeError, ConnectionResetError):
        pass
    try:
        while b"\r\n" not in answer:
            part = sock.recv(65536)
            if not part:
                break
            answer += part
    except ConnectionResetError:
        pass
    sock.close()
    assert answer, f"no answer after {sent} bytes"
    return _status(answer), sent


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_400_mb_anonymous_login_post_is_refused_unread(live, chunked):
    base, proc = live
    before = rss_mib(proc)
    status, sent = stream_post(base, "/login", 400 * MiB, chunked=chunked)
    after = rss_mib(proc)
    assert status == 413
    assert sent < 100 * MiB  # refused early, not after the whole body
    assert after - before < 8, f"RSS {before:.0f} → {after:.0f} MiB"


@pytest.mark.parametrize("path", ["/logout", "/setup", "/overview", "/_stcore/health", "/media/x.csv",
                                  "/_stcore/upload_file/s/f"])
def test_every_route_refuses_a_declared_oversized_body(live, path):
    base, _ = live
    status, sent = stream_post(base, path, 400 * MiB, chunked=False)
    assert status == 413 and sent < 100 * MiB


@pytest.mark.parametrize("path", ["/logout", "/setup"])
def test_every_form_cuts_an_endless_chunked_body(live, path):
    base, _ = live
    status, sent = stream_post(base, path, 400 * MiB, chunked=True)
    assert status == 413 and sent < 100 * MiB


def test_a_stalled_body_is_cut(live):
    """Slow loris: the headers promise 100 bytes, ten come, then nothing: the server gives up (408)
    instead of waiting for ever."""
    base, _ = live
    u = urlsplit(base)
    with socket.create_connection((u.hostname, u.port), timeout=60) as sock:
        sock.sendall(f"POST /login HTTP/1.1\r\nHost: {u.netloc}\r\nContent-Length: 100\r\n"
                     "Content-Type: application/x-www-form-urlencoded\r\n\r\nlogin=abcd".encode())
        answer = b""
        while True:  # the whole answer, until the server closes the connection
            part = sock.recv(65536)
            if not part:
                break
            answer += part
    assert _status(answer) == 408
    assert "слишком долго".encode() in answer


def test_a_normal_login_form_still_works(live):
    from tests.e2e.helpers import http_login

    base, _ = live
    _, r = http_login(base, "demo-head")
    assert r.status_code == 303


def test_websocket_messages_are_bounded(live):
    """A logged-in client cannot make the server take a giant websocket frame: the frame over
    server.maxMessageSize is refused by its header (1009, «message too big») before it is read."""
    import requests
    import websockets.sync.client as wsc

    from tests.e2e.helpers import http_login

    base, proc = live
    s, _ = http_login(base, "demo-head")
    cookie = "; ".join(f"{k}={v}" for k, v in s.cookies.items())
    url = base.replace("http://", "ws://") + "/_stcore/stream"
    with wsc.connect(url, additional_headers={"Cookie": cookie, "Origin": base},
                     subprotocols=["streamlit"], max_size=None, open_timeout=30) as ws:
        before = rss_mib(proc)
        with pytest.raises(Exception):
            ws.send(b"\x00" * (100 * MiB))
            ws.recv(timeout=30)
        # the server's one event loop answers a later request only after it has dealt with the frame
        assert requests.get(base + "/_stcore/health", timeout=30).status_code == 200
        after = rss_mib(proc)
    assert ws.close_code in (1006, 1009), ws.close_code  # dropped (1009 when the close frame arrives)
    assert after - before < 16, f"RSS {before:.0f} → {after:.0f} MiB"


# ---------------------------------------------------------------------------------------------
# 5. A restore ends every session in the step that swaps the database
# ---------------------------------------------------------------------------------------------
RESTORE = r"""
import os, sys
from pathlib import Path
from core import auth, maintenance
die = sys.argv[2]
if die == "before-swap":  # the process dies once the copy is in, before the old code ended sessions
    auth.revoke_all_sessions = lambda s: os._exit(9)
maintenance.restore(auth.system_scope(), sys.argv[1], confirm=True, directory=Path(os.environ["BACKUPS"]))
"""


def _restore(tmp, db, name: str, die: str) -> int:
    import os
    import sys

    from devkit import ROOT

    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db}", "BACKUPS": str(tmp), "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-c", RESTORE, name, die], cwd=ROOT, env=env, timeout=300).returncode


@pytest.mark.parametrize("die", ["before-swap", "no"])
def test_no_request_of_an_ended_session_passes_a_restore(app, die):
    import re
    import threading

    import requests

    from core import auth, maintenance
    from core.db import get_engine
    from tests.e2e.helpers import http_login

    base, tmp_path = app
    db = tmp_path / "e2e.db"
    ended, _ = http_login(base, "demo-methodist")
    other, _ = http_login(base, "demo-head")
    assert ended.get(base + "/overview", allow_redirects=False, timeout=60).status_code == 200
    copy = maintenance.backup(auth.system_scope(), get_engine(f"sqlite:///{db}"), directory=tmp_path)
    token = {"mon_session": ended.cookies.get("mon_session")}  # kept, as a stolen copy of it would be
    page = ended.get(base + "/logout", timeout=60)  # the backup holds this session open: now it ends
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    assert ended.post(base + "/logout", data={"csrf": csrf}, allow_redirects=False, timeout=60).status_code == 303
    stop, passed, asked = threading.Event(), [], [0]
    enough, wanted = threading.Event(), [None]  # set once `wanted[0]` requests have been made

    def hammer():
        with requests.Session() as s:
            while not stop.is_set():
                r = s.get(base + "/overview", cookies=token, allow_redirects=False, timeout=60)
                asked[0] += 1
                if r.status_code != 303:
                    passed.append(r.status_code)
                if wanted[0] is not None and asked[0] >= wanted[0]:
                    enough.set()

    threads = [threading.Thread(target=hammer) for _ in range(3)]
    for t in threads:
        t.start()
    code = _restore(tmp_path, db, copy.name, die)
    wanted[0] = asked[0] + 30  # the ended session keeps asking after the restore: 30 requests more
    assert enough.wait(120), "the requests after the restore did not come"
    stop.set()
    for t in threads:
        t.join()
    assert asked[0] > 0
    assert passed == [], f"{len(passed)} of {asked[0]} requests of the ended session passed"
    assert (code == 9) if die == "before-swap" else (code == 0)
    final = requests.get(base + "/overview", cookies=token, allow_redirects=False, timeout=60)
    assert final.status_code == 303
    if die == "no":  # a finished restore ends every session, the other one too
        assert other.get(base + "/overview", allow_redirects=False, timeout=60).status_code == 303
    else:  # died before the swap: the live database as it was, the other session still in
        assert other.get(base + "/overview", allow_redirects=False, timeout=60).status_code == 200


# ---------------------------------------------------------------------------------------------
# 7. With the database unreachable every route answers a Russian page with 503, and the app recovers
# ---------------------------------------------------------------------------------------------
def test_database_down_answers_russian_503_and_recovers(tmp_path, db_templates):
    import requests

    from tests.databases import cleanup, pg_admin_conn, require_backend
    from devkit.server import running_server
    from tests.e2e.helpers import http_login

    require_backend("postgresql")
    url = db_templates.copy("postgresql", "demo", tmp_path)
    name = url.rsplit("/", 1)[1]
    try:
        with running_server(tmp_path, {"DATABASE_URL": url}) as base:
            s, r = http_login(base, "demo-head")
            assert r.status_code == 303 and s.get(base + "/overview", allow_redirects=False, timeout=60).status_code == 200
            with pg_admin_conn() as admin:  # this database only: the cluster stays up for everybody else
                admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
                admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))
            anonymous = requests.Session()
            for sess, method, path in ((anonymous, "GET", "/login"), (anonymous, "POST", "/login"),
                                       (anonymous, "GET", "/setup"), (s, "GET", "/overview"),
                                       (s, "GET", "/logout"), (s, "GET", "/school?school=2"),
                                       (anonymous, "GET", "/healthz")):
                r = sess.request(method, base + path, data={"login": "x"} if method == "POST" else None,
                                 allow_redirects=False, timeout=60)
                assert r.status_code == 503, (method, path, r.status_code, r.text[:200])
                assert "Нет связи с базой данных" in r.text and r.headers.get("retry-after")
            with pg_admin_conn() as admin:
                admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
            assert anonymous.get(base + "/login", timeout=60).status_code == 200  # back by itself
            assert s.get(base + "/overview", allow_redirects=False, timeout=60).status_code == 200  # still logged in
            assert anonymous.get(base + "/healthz", timeout=60).json() == {"status": "ok"}
    finally:
        with pg_admin_conn() as admin:
            admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        cleanup(url)


# ---------------------------------------------------------------------------------------------
# 8. An ended session can do nothing: its open websocket is closed
# ---------------------------------------------------------------------------------------------
def _open_socket(base: str, s):
    import websockets.sync.client as wsc

    cookie = "; ".join(f"{k}={v}" for k, v in s.cookies.items())
    return wsc.connect(base.replace("http://", "ws://") + "/_stcore/stream",
                       additional_headers={"Cookie": cookie, "Origin": base}, subprotocols=["streamlit"],
                       open_timeout=30)


def _closed_by_server(ws, within: float = 40) -> int | None:
    """Wait for the server to close `ws`; its close code (None: still open after `within` s)."""
    from websockets.exceptions import ConnectionClosed

    deadline = time.time() + within
    while time.time() < deadline:
        try:
            ws.recv(timeout=1)
        except TimeoutError:
            continue
        except ConnectionClosed:
            return ws.close_code
    return None


@pytest.mark.parametrize("how", ["logout", "demotion", "restore"])
def test_the_websocket_of_an_ended_session_is_closed(app, how):
    import re

    from core import auth, maintenance, users
    from core.db import get_engine
    from tests.e2e.helpers import http_login
    from tests.helpers import scope_of

    base, tmp_path = app
    db = tmp_path / "e2e.db"
    engine = get_engine(f"sqlite:///{db}")
    copy = maintenance.backup(auth.system_scope(), engine, directory=tmp_path) if how == "restore" else None
    user = {"logout": "demo-methodist", "demotion": "demo-curator", "restore": "demo-principal"}[how]
    s, _ = http_login(base, user)
    with _open_socket(base, s) as ws:
        assert _closed_by_server(ws, within=2) is None  # a live session's socket stays open
        if how == "logout":
            page = s.get(base + "/logout", timeout=60)
            csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
            assert s.post(base + "/logout", data={"csrf": csrf}, allow_redirects=False, timeout=60).status_code == 303
        elif how == "demotion":  # by the administrator (here through core, on the same database)
            uid = scope_of(engine, user).user_id
            users.update(scope_of(engine, "demo-admin"), uid, role="principal", territory_id=None, school_id=2,
                         engine=engine)
        else:
            assert _restore(tmp_path, db, copy.name, "no") == 0
        code = _closed_by_server(ws)
        ws.close()
    assert code == 4401, code
