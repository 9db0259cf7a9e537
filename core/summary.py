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
SELECT c.ancestor_id, g.grp, m.indicator_id, m.period_id,
       COUNT(m.value),
       COALESCE(SUM(m.value), 0),
       COALESCE(SUM(CASE WHEN m.denominator > 0 AND m.numerator IS NOT NULL THEN m.numerator END), 0),
       COALESCE(SUM(CASE WHEN m.denominator > 0 AND m.numerator IS NOT NULL THEN m.denominator END), 0),
       COALESCE(SUM(CASE WHEN m.value >= 0.5 THEN 1 ELSE 0 END), 0)
FROM measurement m
JOIN school s ON s.id = m.school_id
JOIN territoryclosure c ON c.descendant_id = m.territory_id
JOIN ({_GROUPS_SQL}) g
  ON g.grp = 'all'
  OR (g.grp = 'shnor' AND s.is_shnor)
  OR (g.grp = 'shnsu' AND s.is_shnsu)
  OR (g.grp = 'target' AND (s.is_shnor OR s.is_shnsu))
WHERE m.school_id IS NOT NULL {{where}}
GROUP BY c.ancestor_id, g.grp, m.indicator_id, m.period_id
"""


def refresh(session: Session, *, territory_ids: Iterable[int] | None = None,
            indicator_ids: Iterable[int] | None = None, period_ids: Iterable[int] | None = None) -> None:
    """Recompute the summary rows for the given keys (None: all) from the measurements.

    `territory_ids` are the territories whose measurements changed; their ancestors (region,
    country) are recomputed too."""
    params: dict[str, list[int]] = {}
    if territory_ids is not None:
        tids = sorted(set(territory_ids))
        if not tids:
            return
        rows = session.execute(text("SELECT DISTINCT ancestor_id FROM territoryclosure WHERE descendant_id IN :t")
                               .bindparams(bindparam("t", expanding=True)), {"t": tids}).all()
        params["territory_id"] = sorted({r[0] for r in rows} | set(tids))
    for col, ids in (("indicator_id", indicator_ids), ("period_id", period_ids)):
        if ids is not None:
            params[col] = sorted(set(ids))
    if any(not v for v in params.values()):
        return
    where_m = " ".join(f"AND {'c.ancestor_id' if col == 'territory_id' else 'm.' + col} IN :{col}"
                       for col in params)
    where_s = " ".join(f"AND {col} IN :{col}" for col in params)
    binds = [bindparam(k, expanding=True) for k in params]
    session.execute(text("DELETE FROM measurementsummary WHERE 1=1 " + where_s).bindparams(*binds), params)
    session.execute(text(_INSERT.format(where=where_m)).bindparams(*binds), params)


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
