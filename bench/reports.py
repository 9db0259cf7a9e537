"""Справка generation time at region scale (1,000 schools, 6 targets, 50 municipalities; the
database of bench/read_side.py). Goal of issue 7: ≤ 5 s.

    python bench/reports.py
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    from bench.read_side import ensure_db
    from core import auth, reports
    from core.db import get_engine

    url, info = ensure_db("region")
    engine = get_engine(url)
    scope = auth.system_scope()
    reports.roadmap_report(scope, info["roadmap_id"], engine=engine)  # warm-up: the chart renderer starts
    times, size = [], 0
    for _ in range(5):
        t = time.perf_counter()
        data = reports.roadmap_report(scope, info["roadmap_id"], engine=engine)
        times.append(time.perf_counter() - t)
        size = len(data)
    med = statistics.median(times)
    print(f"справка, region ({info['schools']:,} schools, 6 targets): median {med:.2f} s "
          f"(goal 5 s: {'met' if med <= 5 else 'MISSED'}), {size / 1024:.0f} KB")


if __name__ == "__main__":
    main()
