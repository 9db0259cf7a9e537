"""Roadmap workbooks and the roadmap / risk pages on the demo database (the five seeds).

    python bench/roadmaps.py

Prints, median of 5: check + write of each seed workbook into a new database (the territory,
schools, indicators created), its reload over the demo's copy (replace), the reads of the roadmap
and risk pages, the Vega-Lite charts, and an AppTest render of both pages (warm: a rerun of an open
page)."""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def median_ms(fn, n: int = 5) -> float:
    times = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1000


def main() -> None:
    import os

    from core import auth, demo, plan_charts, roadmap_book, roadmap_view
    from core.db import dispose_engines, get_engine
    from core.startup import upgrade

    tmp = Path(tempfile.mkdtemp(prefix="bench-roadmaps-"))
    scope = auth.system_scope()
    print("load one workbook into a new database (prepare = read + check, apply = one transaction):")
    for path in demo.roadmap_files():
        data = path.read_bytes()
        prep, appl = [], []
        for i in range(5):
            url = f"sqlite:///{tmp / f'{path.stem}-{i}.db'}"
            upgrade(url)
            engine = get_engine(url)
            t = time.perf_counter()
            pv = roadmap_book.prepare(scope, data, path.name, engine)
            prep.append(time.perf_counter() - t)
            t = time.perf_counter()
            roadmap_book.apply(scope, pv, data, engine=engine)
            appl.append(time.perf_counter() - t)
        print(f"  {path.name:32} {len(pv.activities):3} activities, {len(pv.risks):2} risk parameters: "
              f"prepare {statistics.median(prep) * 1000:6.1f} ms, apply {statistics.median(appl) * 1000:6.1f} ms")
    url = f"sqlite:///{tmp / 'demo.db'}"
    upgrade(url)
    engine = get_engine(url)
    t = time.perf_counter()
    demo.build(engine)
    print(f"demo build (five workbooks + synthetic measurements, one transaction): {time.perf_counter() - t:.2f} s")
    print("reload of each seed workbook over its loaded roadmap (a corrected file: replace, statuses kept):")
    for path in demo.roadmap_files():
        data = path.read_bytes()
        prep, appl = [], []
        for _ in range(5):
            t = time.perf_counter()
            pv = roadmap_book.prepare(scope, data, path.name, engine)
            prep.append(time.perf_counter() - t)
            assert pv.replaces is not None and pv.ok, path.name
            t = time.perf_counter()
            roadmap_book.apply(scope, pv, data, engine=engine)
            appl.append(time.perf_counter() - t)
        print(f"  {path.name:32} prepare {statistics.median(prep) * 1000:6.1f} ms, "
              f"replace {statistics.median(appl) * 1000:6.1f} ms")
    today = date(2024, 10, 15)
    ids = dict(engine.connect().exec_driver_sql("SELECT code, id FROM roadmap").all())
    for code in ("nev-2024", "okn-2021", "kal-2023"):
        rid = ids[code]
        items = roadmap_view.items(scope, rid, today, engine)
        print(f"{code}: items {median_ms(lambda: roadmap_view.items(scope, rid, today, engine)):.1f} ms "
              f"({len(items)} rows), timeline HTML {median_ms(lambda: plan_charts.timeline(items, today).html()):.1f} ms", end="")
        rv = roadmap_view.risk_view(scope, rid, today, engine)
        if not rv.factors.empty:
            print(f", risk view {median_ms(lambda: roadmap_view.risk_view(scope, rid, today, engine)):.1f} ms, "
                  f"heatmap {median_ms(lambda: plan_charts.risk_heatmap(rv.groups, rv.factors, rv.schools, rv.matrix())):.1f} ms",
                  end="")
        print()
    dispose_engines()
    os.environ.update({"DATABASE_URL": url, "MONITORING_DEMO": "0"})
    from core.settings import reset_settings_cache
    from streamlit.testing.v1 import AppTest

    from devkit import HARNESS

    reset_settings_cache()
    for page, key, code in (("roadmap", "plan_roadmap", "okn-2021"), ("risks", "risk_roadmap", "kal-2023")):
        at = AppTest.from_file(HARNESS, default_timeout=60)
        at.session_state["test_login"] = "demo-admin"
        at.run()
        at.switch_page(f"../app_pages/{page}.py")
        t = time.perf_counter()
        at.run()
        at.selectbox(key=key).set_value(code).run()
        cold = (time.perf_counter() - t) * 1000
        assert not at.exception, at.exception
        warm = median_ms(lambda: at.run())
        print(f"AppTest {page} page ({code}): first render {cold:.0f} ms, rerun {warm:.0f} ms")


if __name__ == "__main__":
    main()
