"""Read-side benchmark: builds SQLite databases at four scales (kept in bench/out/) and prints the
median of repeated runs of the overview data, the school page data and a full AppTest run of the
overview, cold (caches cleared) and warm, next to the goals of issues 3, 24 and 27.

The data functions are measured in CPU time (`time.process_time`, median of DATA_RUNS runs): on a
machine shared with other work the wall time measures the neighbours too. The AppTest runs are
wall time.

    python bench/read_side.py                 # all scales
    python bench/read_side.py municipality_300 region
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
OUT = ROOT / "bench" / "out"
RUNS = 7
DATA_RUNS = 31

GOALS = {  # seconds; None: no goal set for that scale
    ("overview", "region"): 0.020, ("overview", "country"): 0.050, ("overview", "municipality_300"): 0.030,
    ("school", "municipality"): 0.010, ("school", "region"): 0.010, ("school", "country"): 0.010,
    ("apptest_warm", "region"): 0.35, ("apptest_cold", "region"): 1.0,
}


def median_time(fn, runs: int = RUNS, clock=time.perf_counter) -> float:
    times = []
    for _ in range(runs):
        t = clock()
        fn()
        times.append(clock() - t)
    return statistics.median(times)


def median_cpu(fn, runs: int = DATA_RUNS) -> float:
    """The median CPU time of `fn` after one run that fills the process's own caches (compiled SQL)."""
    fn()
    return median_time(fn, runs, time.process_time)


def ensure_db(scale_name: str) -> tuple[str, dict]:
    from sqlalchemy import text

    from core import auth, synthetic
    from core.db import get_engine, session_scope
    from core.startup import upgrade

    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"{scale_name}.db"
    url = f"sqlite:///{path}"
    if not path.exists():
        t = time.perf_counter()
        upgrade(url)
        info = synthetic.build(get_engine(url), synthetic.SCALES[scale_name])
        with session_scope(get_engine(url), write=True) as s:
            auth.create_user(s, login="bench-admin", password="bench-password", full_name="Bench", role="admin")
            s.execute(text("INSERT INTO appmeta (key, value) VALUES ('demo', '1')"))
        print(f"  built {scale_name}: {info['schools']:,} schools, {info['measurements']:,} measurements "
              f"in {time.perf_counter() - t:.1f} s", flush=True)
    upgrade(url)  # a database kept from an earlier run gets the newest schema
    engine = get_engine(url)
    with engine.connect() as c:
        kept = c.execute(text("SELECT COUNT(*) FROM targetcount")).scalar() and c.execute(
            text("SELECT COUNT(*) FROM targetgroupvalue")).scalar()
    if not kept:  # built before the target counts were kept: rebuild the summary (and the counts) once
        from core import summary

        t = time.perf_counter()
        with session_scope(engine, write=True) as s:
            summary.refresh(s)
        print(f"  recounted {scale_name} in {time.perf_counter() - t:.1f} s", flush=True)
    with engine.connect() as c:
        rid = c.execute(text("SELECT id FROM roadmap ORDER BY id LIMIT 1")).scalar()
        n = c.execute(text("SELECT COUNT(*) FROM school")).scalar()
        sid = c.execute(text("SELECT id FROM school ORDER BY id LIMIT 1 OFFSET :o"), {"o": n // 2}).scalar()
        m = c.execute(text("SELECT COUNT(*) FROM measurement")).scalar()
    return url, {"roadmap_id": rid, "school_id": sid, "schools": n, "measurements": m}


def apptest_times(url: str) -> tuple[float, float, float]:
    """(cold, warm, new-instance) medians. Cold: the cached reads cleared, then a full run of the
    overview script; warm: the same run with the caches filled (what a rerun costs). A new AppTest
    instance also scans every installed package for components (~0.3 s here): that harness cost is
    printed apart, it is not the app's."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from devkit import HARNESS

    from core.settings import reset_settings_cache

    os.environ["DATABASE_URL"] = url
    os.environ["MONITORING_DEMO"] = "0"
    reset_settings_cache()
    st.cache_resource.clear()

    def new():
        at = AppTest.from_file(HARNESS, default_timeout=120)
        at.session_state["test_login"] = "bench-admin"
        at.run()
        assert not at.exception, at.exception
        return at

    at = new()  # imports, engine, schema check: not part of any figure

    def cold():
        st.cache_data.clear()
        at.run()
        assert not at.exception, at.exception

    cold_t = median_time(cold, 5)
    warm_t = median_time(at.run, 5)
    new_t = median_time(new, 3)
    return cold_t, warm_t, new_t


def main(names: list[str]) -> None:
    from core import auth
    from core.read.overview import overview
    from core.read.school import school_view
    from core.db import get_engine

    scope = auth.system_scope()
    rows = []
    for name in names:
        print(f"== {name}", flush=True)
        url, info = ensure_db(name)
        engine = get_engine(url)
        ov = median_cpu(lambda: overview(scope, info["roadmap_id"], engine=engine))
        sch = median_cpu(lambda: school_view(scope, info["school_id"], engine=engine))
        cold, warm, new = apptest_times(url)
        for metric, value in (("overview", ov), ("school", sch), ("apptest_cold", cold), ("apptest_warm", warm),
                              ("apptest_new", new)):
            rows.append((name, info["schools"], info["measurements"], metric, value, GOALS.get((metric, name))))
    print()
    print(f"{'scale':<18}{'schools':>8}{'rows':>12}  {'measure':<14}{'median':>10}{'goal':>10}  verdict")
    for name, n, m, metric, value, goal in rows:
        verdict = "" if goal is None else ("met" if value <= goal else "MISSED")
        goal_s = "—" if goal is None else f"{goal * 1000:.0f} ms"
        print(f"{name:<18}{n:>8,}{m:>12,}  {metric:<14}{value * 1000:>7.1f} ms{goal_s:>10}  {verdict}")


if __name__ == "__main__":
    main(sys.argv[1:] or ["municipality", "municipality_300", "region", "country"])
