"""What a principal's first screen answers beyond the evaluation itself: the number to reach by the next
control point, which of the roadmap's items are the school's own, and — for a school without targets —
its indicators against the territory average (aggregated in SQL)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import text
from sqlalchemy.engine import Engine

from core.auth import Scope, deny
from core.db import get_engine
from core.targets import period_t, straight_path

# «ОО», «образовательные организации», «руководители ОО», «директор(а) школ»: the schools themselves act
_SCHOOLS_RESPONSIBLE = re.compile(r"(?<![А-ЯЁа-яё])(ОО|ОУ|ШМО|школ[аыи]?)(?![А-ЯЁа-яё])|образовательн\w*\s+(организац|учрежд)"
                                  r"|руководител\w*\s+(ОО|школ|образовательн)|директор", re.IGNORECASE)


def is_school_level(named: bool, responsible: str | None) -> bool:
    """An item the school does itself: the roadmap names the school, or schools (ОО) are among those
    responsible. Otherwise it is the office's (city-level) item: listed for information, never counted
    as the school's overdue."""
    return bool(named) or bool(_SCHOOLS_RESPONSIBLE.search(responsible or ""))


def own_items(acts) -> tuple[list[bool], int, int]:
    """The one rule for «the school's own items» on every screen (school page, curator's cards): a mask
    over `acts` (columns named, responsible, overdue), how many are the school's own and how many of
    those are overdue. The office's items are never counted as the school's overdue."""
    if acts is None or acts.empty:
        return [], 0, 0
    mask = [is_school_level(n, r) for n, r in zip(acts["named"], acts["responsible"])]
    late = sum(bool(o) for o, m in zip(acts["overdue"], mask) if m)
    return mask, sum(mask), int(late)


def own_items_text(n_own: int, n_late: int) -> str:
    """«Мероприятия школы: 23, из них просрочено: 2» — the same words on the school page and the
    curator's card (Markdown, bold label)."""
    return f"**Мероприятия школы:** {n_own}" + (f", из них просрочено: {n_late}" if n_late else
                                                ", просроченных нет")


def next_quarter_end(d: date) -> date:
    """The last day of the quarter after the one `d` is in."""
    q = (d.month - 1) // 3 + 1
    y, nq = (d.year + 1, 1) if q == 4 else (d.year, q + 1)
    return (date(y + (nq == 4), 1, 1) if nq == 4 else date(y, 3 * nq + 1, 1)) - timedelta(days=1)


@dataclass(frozen=True)
class NextStep:
    by: date  # the next control point: the end of the next reporting quarter (not after the target's due date)
    value: float  # where the straight path from the base to the target is then


def next_step(expected_path: list[dict], data_end: date | None) -> NextStep | None:
    """The value the school needs at the next reporting point after its latest data (`data_end`), read
    on the straight path from its base to its target; None without a path or when the due date is past."""
    pts = sorted((p["t"], p["value"]) for p in expected_path if p.get("value") is not None)
    if len(pts) < 2 or data_end is None:
        return None
    by = next_quarter_end(data_end)
    t = period_t(by)
    if t > pts[-1][0] + 1e-9:  # past the due date: the target itself
        ends = [p.get("end") for p in expected_path if p.get("end")]
        if not ends or max(ends) <= data_end:
            return None
        return NextStep(by=max(ends), value=pts[-1][1])
    for (t0, v0), (t1, v1) in zip(pts, pts[1:]):
        if t <= t1 + 1e-9:
            return NextStep(by=by, value=straight_path(t, t0, v0, t1, v1))
    return NextStep(by=by, value=pts[-1][1])


def school_indicators(scope: Scope, school_id: int, cut: date, engine: Engine | None = None) -> list[dict]:
    """The school's latest value of every indicator it reports (as of `cut`) beside the territory's
    value for the same period (shares: total of numerators over total of denominators; counts: the
    mean school), for a school without targets. One SQL query."""
    engine = engine or get_engine()
    with engine.connect() as c:
        row = c.execute(text("SELECT territory_id FROM school WHERE id = :s"), {"s": school_id}).first()
        if row is None or not scope.can_see_school(school_id, row[0]):
            raise deny(scope, f"школа {school_id}", engine)
        rows = c.execute(text("""
            WITH latest AS (
                SELECT m.indicator_id, MAX(p."end") AS end_date
                FROM measurement m JOIN period p ON p.id = m.period_id
                WHERE m.school_id = :s AND p."end" <= :cut
                GROUP BY m.indicator_id)
            SELECT i.short_name, i.name, i.unit, i.value_kind, i.higher_is_better, p.label, p."end", m.value,
                   (SELECT CASE WHEN i.value_kind = 'share'
                                THEN 100.0 * SUM(x.numerator) / NULLIF(SUM(x.denominator), 0)
                                ELSE AVG(x.value) END
                    FROM measurement x JOIN school y ON y.id = x.school_id
                    WHERE x.indicator_id = m.indicator_id AND x.period_id = m.period_id
                      AND y.territory_id = :t) AS territory_value,
                   (SELECT COUNT(*) FROM measurement x JOIN school y ON y.id = x.school_id
                    WHERE x.indicator_id = m.indicator_id AND x.period_id = m.period_id
                      AND y.territory_id = :t) AS n_schools
            FROM latest l
            JOIN measurement m ON m.indicator_id = l.indicator_id AND m.school_id = :s
            JOIN period p ON p.id = m.period_id AND p."end" = l.end_date
            JOIN indicator i ON i.id = m.indicator_id
            ORDER BY i.short_name"""), {"s": school_id, "t": row[0], "cut": cut}).mappings().all()
    return [dict(r) for r in rows]
