"""Render time of «Сбор данных» for 1,000 schools in AppTest: a synthetic region (50 municipalities
× 20 schools, 12 indicators, 4 quarters; 100 schools have not reported the last quarter, 50 only
partly), a methodologist of the region. Prints the core read (cold) and the page's render, cold and
warm (median of 7 reruns with the cache filled).

    python bench/collection.py
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    tmp = Path(tempfile.mkdtemp())
    url = f"sqlite:///{tmp / 'collection.db'}"
    os.environ["DATABASE_URL"] = url
    os.environ["MONITORING_DEMO"] = "0"
    from sqlalchemy import text
    from streamlit.testing.v1 import AppTest

    from devkit import HARNESS

    from core import auth, cycle, synthetic
    from core.db import get_engine, session_scope
    from core.startup import upgrade

    upgrade(url)
    engine = get_engine(url)
    t = time.perf_counter()
    info = synthetic.build(engine, synthetic.Scale("collection", 1, 50, 20, 12, 4))
    print(f"synthetic region: {info['schools']} schools, {info['measurements']} values "
          f"({time.perf_counter() - t:.1f} s to build)")
    with engine.begin() as c:
        last = c.execute(text("SELECT MAX(period_id) FROM measurement")).scalar()
        code = c.execute(text("SELECT code FROM period WHERE id = :p"), {"p": last}).scalar()
        ids = [r[0] for r in c.execute(text("SELECT id FROM school ORDER BY id"))]
        c.execute(text(f"DELETE FROM measurement WHERE period_id = {last} AND school_id IN "
                       f"({', '.join(map(str, ids[::10]))})"))
        c.execute(text(f"DELETE FROM measurement WHERE period_id = {last} AND school_id IN "
                       f"({', '.join(map(str, ids[5::20]))}) AND indicator_id IN (SELECT MIN(id) FROM indicator)"))
    with session_scope(engine, write=True) as s:
        from core import summary

        summary.refresh(s)
        auth.create_user(s, login="bench-methodist", password="x" * 12, full_name="Методист (бенчмарк)",
                         role="methodologist", territory_id=info["territory_id"])
        scope = auth.scope_for(s, s.exec(__import__("sqlmodel").select(auth.User).where(
            auth.User.login == "bench-methodist")).one())
    t = time.perf_counter()
    col = cycle.collection(scope, info["territory_id"], code, engine=engine)
    print(f"core.cycle.collection ({col.n_schools} schools, {col.n_reported} reported, {col.n_complete} complete): "
          f"{(time.perf_counter() - t) * 1000:.0f} ms")

    at = AppTest.from_file(HARNESS, default_timeout=120)
    at.session_state["test_login"] = "bench-methodist"
    at.run()
    at.switch_page("../app_pages/collection.py")
    at.run()
    at.selectbox(key="col_territory").set_value(info["territory_id"])
    at.selectbox(key="col_period").set_value(code)
    t = time.perf_counter()
    at.run()
    cold = time.perf_counter() - t
    assert not at.exception, at.exception
    assert len(at.dataframe[0].value) == 1000, len(at.dataframe[0].value)
    warm = []
    for _ in range(7):
        t = time.perf_counter()
        at.run()
        warm.append(time.perf_counter() - t)
    print(f"collection page, 1,000 schools, AppTest: cold {cold:.2f} s, warm median {statistics.median(warm):.3f} s "
          f"(runs {', '.join(f'{x:.3f}' for x in warm)})")


if __name__ == "__main__":
    main()
