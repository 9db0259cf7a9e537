"""The measurement summary (territory x school group x indicator x period), recomputed in SQL
inside the same transaction as every write of measurements."""

from __future__ import annotations

from typing import Iterable

from sqlalchemy import BindParameter, bindparam, text
from sqlmodel import Session

from core import target_counts

GROUPS = ("all", "shnor", "shnsu", "target")

_GROUPS_SQL = "SELECT 'all' AS grp UNION ALL SELECT 'shnor' UNION ALL SELECT 'shnsu' UNION ALL SELECT 'target'"
_GROUP_COND = target_counts.GROUP_SQL  # the groups in SQL, in the order of GROUPS
# One pass over a territory's measurements: every group's sums side by side (conditional
# aggregation), then one row per group that has any measurement (`r_<group>` > 0). Four times
# fewer rows to group than joining each measurement to each of its groups.
_STATS = {
    "r": "SUM(CASE WHEN {c} THEN 1 ELSE 0 END)",
    "n": "COUNT(CASE WHEN {c} THEN m.value END)",
    "sv": "COALESCE(SUM(CASE WHEN {c} THEN m.value END), 0)",
    "sn": "COALESCE(SUM(CASE WHEN {c} AND m.denominator > 0 AND m.numerator IS NOT NULL THEN m.numerator END), 0)",
    "sd": "COALESCE(SUM(CASE WHEN {c} AND m.denominator > 0 AND m.numerator IS NOT NULL THEN m.denominator END), 0)",
    "nf": "SUM(CASE WHEN {c} AND m.value >= 0.5 THEN 1 ELSE 0 END)",
}
_PER_GROUP = ", ".join(f"{sql.format(c=cond)} AS {stat}_{g}" for g, cond in _GROUP_COND.items()
                       for stat, sql in _STATS.items())


def _pick(stat: str) -> str:
    return "CASE g.grp " + " ".join(f"WHEN '{g}' THEN p.{stat}_{g}" for g in GROUPS) + " END"


# The rows of one level of the tree: a territory's own schools (measurements whose territory it is)
# plus the rows already computed for its direct children, summed.
_INSERT_LEVEL = f"""
INSERT INTO measurementsummary
    (territory_id, grp, indicator_id, period_id, n_schools, sum_value, sum_numerator, sum_denominator, n_flag)
SELECT territory_id, grp, indicator_id, period_id, SUM(n), SUM(sv), SUM(sn), SUM(sd), SUM(nf)
FROM (
    SELECT p.territory_id AS territory_id, g.grp AS grp, p.indicator_id AS indicator_id, p.period_id AS period_id,
           {_pick("n")} AS n, {_pick("sv")} AS sv, {_pick("sn")} AS sn, {_pick("sd")} AS sd, {_pick("nf")} AS nf
    FROM (
        SELECT m.territory_id AS territory_id, m.indicator_id AS indicator_id, m.period_id AS period_id, {_PER_GROUP}
        FROM measurement m
        JOIN school s ON s.id = m.school_id
        WHERE m.school_id IS NOT NULL AND m.territory_id IN :level {{where_m}}
        GROUP BY m.territory_id, m.indicator_id, m.period_id
    ) p
    JOIN ({_GROUPS_SQL}) g ON {_pick("r")} > 0
    UNION ALL
    SELECT c.ancestor_id, x.grp, x.indicator_id, x.period_id, x.n_schools, x.sum_value, x.sum_numerator,
           x.sum_denominator, x.n_flag
    FROM measurementsummary x
    JOIN territoryclosure c ON c.descendant_id = x.territory_id AND c.depth = 1
    WHERE c.ancestor_id IN :level {{where_x}}
) parts
GROUP BY territory_id, grp, indicator_id, period_id
"""


def refresh(session: Session, *, territory_ids: Iterable[int] | None = None,
            indicator_ids: Iterable[int] | None = None, period_ids: Iterable[int] | None = None) -> None:
    """Recompute the summary rows for the given keys (None: all) from the measurements.

    `territory_ids` are the territories whose measurements changed; their ancestors (region,
    country) are recomputed too, level by level from the deepest: each from its own schools and
    its children's rows, so no measurement is read more than once."""
    closure = session.execute(text("SELECT ancestor_id, descendant_id, depth FROM territoryclosure")).all()
    height: dict[int, int] = {}  # distance from the root of each territory
    for anc, desc, depth in closure:
        height[desc] = max(height.get(desc, 0), depth)
    if territory_ids is None:
        affected = set(height)
    else:
        changed = set(territory_ids)
        if not changed:
            return
        affected = changed | {anc for anc, desc, _ in closure if desc in changed}
    params: dict[str, list[int]] = {}
    for col, ids in (("indicator_id", indicator_ids), ("period_id", period_ids)):
        if ids is not None:
            params[col] = sorted(set(ids))
            if not params[col]:
                return
    where = lambda alias: " ".join(f"AND {alias}.{col} IN :{col}" for col in params)  # noqa: E731
    binds: list[BindParameter] = [bindparam(k, expanding=True) for k in params]
    session.execute(text("DELETE FROM measurementsummary WHERE territory_id IN :level " + where("measurementsummary"))
                    .bindparams(bindparam("level", expanding=True), *binds), {"level": sorted(affected), **params})
    insert = text(_INSERT_LEVEL.format(where_m=where("m"), where_x=where("x"))).bindparams(
        bindparam("level", expanding=True), *binds)
    for h in sorted({height.get(t, 0) for t in affected}, reverse=True):
        level = sorted(t for t in affected if height.get(t, 0) == h)
        session.execute(insert, {"level": level, **params})
    target_counts.refresh(session, territory_ids=None if territory_ids is None else affected,
                          indicator_ids=params.get("indicator_id"), period_ids=params.get("period_id"))
