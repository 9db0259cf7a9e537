"""Several uploads at once from separate processes, readers alongside, and an import killed in the
middle of its transaction — on SQLite and PostgreSQL. Bounded: 8 uploads, 2 readers, 90 s at most.
The 8 uploads are 8 processes forked from one that imported the command-line tool once (each runs
`python -m core.ingest FILE --apply` as its own process with its own connections), so that eight
interpreters do not each spend a second or two importing pandas."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import text

from core import maintenance
from core.settings import ROOT
from tests import ingest_files as f
from tests.helpers import stored_value

N_UPLOADS = 8
N_READERS = 2
DEADLINE = 90

READER = """
import os, sys, time
from core import auth
from core.read import overview as read_overview
from core.db import get_engine
engine = get_engine(sys.argv[1])
stop, end = sys.argv[2], time.time() + float(sys.argv[3])
print("ready", flush=True)
n = 0
while n == 0 or not os.path.exists(stop) and time.time() < end:  # reads until the uploads are done
    ov = read_overview.overview(auth.system_scope(), 1, engine=engine)
    assert len(ov.cards) == 5
    n += 1
    time.sleep(0.05)  # leaves the CPU to the uploads it reads alongside
print(n)
"""

UPLOADS = """
import json, os, sys
from core.ingest.__main__ import main  # imported once: each upload is a process of its own, forked from here
pids = []
for path in sys.argv[1:]:
    pid = os.fork()
    if pid == 0:  # `python -m core.ingest PATH --user demo-methodist --apply --accept-warnings`
        with open(path + ".out", "w") as out, open(path + ".err", "w") as err:
            os.dup2(out.fileno(), 1)
            os.dup2(err.fileno(), 2)
            try:
                code = main([path, "--user", "demo-methodist", "--apply", "--accept-warnings"])
            except BaseException:
                import traceback
                traceback.print_exc()
                code = 1
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code or 0)
    pids.append(pid)
print(json.dumps([os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) for pid in pids]))
"""

KILLED_IN_THE_MIDDLE = """
import sys, time
from pathlib import Path
from core import auth, summary
from core.db import get_engine
from core.ingest import pipeline
url, path, flag = sys.argv[1:4]
engine = get_engine(url)
data = Path(path).read_bytes()
sc = auth.system_scope()
pv = pipeline.prepare(sc, [("big.xlsx", data)], engine=engine)
real = summary.refresh
def stall(session, **kw):   # every row is written; the commit has not happened yet
    real(session, **kw)
    Path(flag).write_text("in the middle")
    time.sleep(60)
summary.refresh = stall
pipeline.apply(sc, pv, data, accept_warnings=True, engine=engine)
"""


def _env(url: str) -> dict:
    env = dict(os.environ)
    env.update({"DATABASE_URL": url, "MONITORING_DEMO": "0", "PYTHONPATH": str(ROOT)})
    return env


def _url(engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def test_eight_uploads_at_once_with_readers(demo_db_any, tmp_path):
    db = demo_db_any
    url = _url(db)
    files = []
    schools = ["NEV-01", "NEV-02", "NEV-03", "NEV-05", "NEV-07", "NEV-08", "NEV-11", "NEV-12"]
    for i, code in enumerate(schools):  # each upload its own school: all must land
        path = tmp_path / f"upload{i}.xlsx"
        path.write_bytes(f.long_table([[code, "olympiad_participants", f"2025-Q{q}", 40 + i, None, None]
                                       for q in range(1, 5)]
                                      + [[code, "teachers_trained", "2025-Q1", None, 20 + i, 30]]))
        files.append(path)
    stop = tmp_path / "uploads-done"
    readers = [subprocess.Popen([sys.executable, "-c", READER, url, str(stop), str(DEADLINE)], cwd=ROOT,
                                env=_env(url), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for _ in range(N_READERS)]
    for r in readers:  # reading before the first upload starts, and until the last one has finished
        assert r.stdout.readline().strip() == "ready", r.communicate()[1]
    t0 = time.time()
    launcher = subprocess.run([sys.executable, "-c", UPLOADS, *map(str, files)], cwd=ROOT, env=_env(url),
                              capture_output=True, text=True, timeout=DEADLINE)
    elapsed = time.time() - t0
    stop.write_text("done")
    reads = [p.communicate(timeout=DEADLINE) for p in readers]
    assert launcher.returncode == 0, launcher.stderr
    codes = json.loads(launcher.stdout.strip().splitlines()[-1])
    assert len(codes) == N_UPLOADS
    for code, path in zip(codes, files):
        out, err = Path(f"{path}.out").read_text(), Path(f"{path}.err").read_text()
        assert code == 0, err
        assert "locked" not in (out + err).lower()
        assert "Записано: загрузка №" in out
    for (out, err), p in zip(reads, readers):
        assert p.returncode == 0, err
        assert int(out.strip()) > 0
    with db.connect() as c:
        assert c.execute(text("SELECT COUNT(*) FROM upload WHERE status = 'applied' AND kind <> 'roadmap'")).scalar() == N_UPLOADS
    for i, code in enumerate(schools):  # none lost
        assert stored_value(db, code, "olympiad_participants", "2025-Q4")[0] == 40 + i
        assert stored_value(db, code, "teachers_trained", "2025-Q1")[1] == 20 + i
    assert maintenance.integrity(db) == []  # the summary agrees with the measurements
    print(f"\n{db.dialect.name}: {N_UPLOADS} uploads x 5 values with {N_READERS} readers in {elapsed:.1f} s; "
          f"reads: {[int(o.strip()) for o, _ in reads]}")


def test_an_import_killed_in_the_middle_leaves_all_or_nothing(demo_db_any, tmp_path):
    db = demo_db_any
    url = _url(db)
    codes = ["NEV-01", "NEV-02", "NEV-03", "NEV-05", "NEV-07", "NEV-08", "NEV-11", "NEV-12", "NEV-14", "NEV-16"]
    inds = ("start_conditions", "edu_quality", "teachers_trained", "teachers_network")
    rows = [[code, ind, f"{y}-Q{q}", None, 29, 30] for code in codes for ind in inds
            for y in range(2022, 2026) for q in range(1, 5)]  # 640 values: every share of every school, 16 quarters
    big = tmp_path / "big.xlsx"
    big.write_bytes(f.long_table(rows))
    before = {(c, p): tuple(stored_value(db, c, "teachers_trained", p)) for c in ("NEV-01", "NEV-02") for p in ("2024-Q1",)}
    flag = tmp_path / "flag"
    proc = subprocess.Popen([sys.executable, "-c", KILLED_IN_THE_MIDDLE, url, str(big), str(flag)], cwd=ROOT,
                            env=_env(url), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + DEADLINE
    while not flag.exists():
        assert proc.poll() is None, proc.communicate()[1]
        assert time.time() < deadline, "the import did not reach the middle of its transaction"
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    assert proc.returncode == -signal.SIGKILL
    assert len(rows) == 640
    # nothing of that upload: no upload row, old values, the summary still right
    with db.connect() as c:
        assert c.execute(text("SELECT COUNT(*) FROM upload WHERE kind <> 'roadmap'")).scalar() == 0
    for (code, period), old in before.items():
        assert tuple(stored_value(db, code, "teachers_trained", period)) == old
    # the app starts (schema check, integrity check) and the same file then loads in full
    out = subprocess.run([sys.executable, "-m", "core.ingest", str(big), "--user", "demo-methodist", "--apply",
                          "--accept-warnings"], cwd=ROOT, env=_env(url), capture_output=True, text=True, timeout=DEADLINE)
    assert out.returncode == 0, out.stderr
    assert tuple(stored_value(db, "NEV-01", "teachers_trained", "2024-Q1"))[1:] == (29, 30)
    assert maintenance.integrity(db) == []
