"""The measurement summary (territory x school group x indicator x period), recomputed in SQL
inside the same transaction as every write of measurements."""

from __future__ import annotations

from typing import Iterable

from sqlalchemy import bindparam, text
from sqlmodel import Session

GROUPS = ("all", "shnor", "shnsu", "target")

_GROUPS_SQL = "SELECT 'all' AS grp UNION ALL SELECT 'shnor' UNION ALL SELECT 'shnsu' UNION ALL SELECT 'target'"

_INSERT = f"""
INSERT INTO measurementsummary
    (territory_id, grp, indicator_id, period_id, n_schools, sum_value, sum_numerator,
     sum_denominator, n_flag)
SELECT m.territory_id, g.grp, m.indicator_id, m.period_id,
       COUNT(m.value),
       COALESCE(SUM(m.value), 0),
       COALESCE(SUM(CASE WHEN m.denominator > 0 AND m.numerator IS NOT NULL THEN m.numerator END), 0),
       COALESCE(SUM(CASE WHEN m.denominator > 0 AND m.numerator IS NOT NULL THEN m.denominator END), 0),
       COALESCE(SUM(CASE WHEN m.value >= 0.5 THEN 1 ELSE 0 END), 0)
FROM measurement m
JOIN school s ON s.id = m.school_id
JOIN ({_GROUPS_SQL}) g
  ON g.grp = 'all'
  OR (g.grp = 'shnor' AND s.is_shnor)
  OR (g.grp = 'shnsu' AND s.is_shnsu)
  OR (g.grp = 'target' AND (s.is_shnor OR s.is_shnsu))
WHERE m.school_id IS NOT NULL {{where}}
GROUP BY m.territory_id, g.grp, m.indicator_id, m.period_id
"""


def refresh(session: Session, *, territory_ids: Iterable[int] | None = None,
            indicator_ids: Iterable[int] | None = None, period_ids: Iterable[int] | None = None) -> None:
    """Recompute the summary rows for the given keys (None: all) from the measurements."""
    where_m, where_s, params = [], [], {}
    for col, ids in (("territory_id", territory_ids), ("indicator_id", indicator_ids),
                     ("period_id", period_ids)):
        if ids is not None:
            params[col] = sorted(set(ids))
            where_m.append(f"AND m.{col} IN :{col}")
            where_s.append(f"AND {col} IN :{col}")
    binds = [bindparam(k, expanding=True) for k in params]
    delete = text("DELETE FROM measurementsummary WHERE 1=1 " + " ".join(where_s)).bindparams(*binds)
    insert = text(_INSERT.format(where=" ".join(where_m))).bindparams(*binds)
    if any(not v for v in params.values()):
        return
    session.execute(delete, params)
    session.execute(insert, params)


def group_value(value_kind: str, n_schools: int, sum_value: float, sum_num: float, sum_den: float,
                n_flag: int) -> float | None:
    """A group's value from its summary row, by the indicator's aggregation rule (mirrors
    core.targets.aggregate: shares are a ratio of sums)."""
    if not n_schools and value_kind != "share":
        return None
    if value_kind == "share":
        return 100.0 * sum_num / sum_den if sum_den > 0 else None
    if value_kind == "count":
        return float(sum_value)
    if value_kind == "value":
        return float(sum_value) / n_schools
    if value_kind == "flag":
        return float(n_flag)
    raise ValueError(value_kind)


def average_value(value_kind: str, n_schools: int, sum_value: float, sum_num: float, sum_den: float,
                  n_flag: int) -> float | None:
    """The average school of a group, for comparing one school with it: shares as a ratio of sums,
    counts and values as the mean per school, flags as the share of schools (0-1)."""
    if value_kind == "share":
        return group_value(value_kind, n_schools, sum_value, sum_num, sum_den, n_flag)
    if not n_schools:
        return None
    if value_kind == "flag":
        return n_flag / n_schools
    return float(sum_value) / n_schools
