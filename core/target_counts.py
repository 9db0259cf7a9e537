"""How many schools meet each target: counted in SQL (the per-school target of core.targets), and
kept in `targetcount` for each roadmap's territory and period, refreshed with the summary in the
same transaction as every write of measurements. A region's or a country's overview reads one row
per target instead of counting over every school below it."""

from __future__ import annotations

from datetime import date

from sqlalchemy import bindparam, text

from core import targets as tg

GROUP_SQL = {"all": "1=1", "shnor": "s.is_shnor", "shnsu": "s.is_shnsu", "target": "(s.is_shnor OR s.is_shnsu)"}

TARGET_ROWS_SQL = """
    SELECT x.id, x.roadmap_id, r.territory_id AS roadmap_territory_id, x.number, x.wording, x.kind,
           x.value AS amount, x.applies_to, x.judged_on, x.baseline_period_id, x.due_period_id,
           i.id AS indicator_id, i.code AS indicator_code, i.name AS indicator_name, i.short_name,
           i.unit, i.value_kind, i.level, i.higher_is_better,
           bp.label AS baseline_label, bp."end" AS baseline_end, bp.kind AS baseline_kind,
           dp.label AS due_label, dp."end" AS due_end, dp.kind AS due_kind
    FROM target x
    JOIN roadmap r ON r.id = x.roadmap_id
    JOIN indicator i ON i.id = x.indicator_id
    LEFT JOIN period bp ON bp.id = x.baseline_period_id
    LEFT JOIN period dp ON dp.id = x.due_period_id"""


def as_date(x) -> date:
    return x if isinstance(x, date) else date.fromisoformat(str(x)[:10])


def times(r: dict) -> tuple[float | None, float | None]:
    t_base = tg.period_t(as_date(r["baseline_end"])) if r["baseline_end"] else None
    t_due = tg.period_t(as_date(r["due_end"])) if r["due_end"] else None
    return t_base, t_due


def spec_and_times(r: dict, milestones: list[dict]) -> tuple[tg.TargetSpec, float | None, float | None]:
    """A target row (with baseline_end / due_end) as a TargetSpec and its baseline and due times."""
    spec = tg.TargetSpec(kind=r["kind"], value=r["amount"], higher_is_better=bool(r["higher_is_better"]),
                         milestones=tuple((m["t"], m["value"]) for m in milestones))
    return (spec, *times(r))


def _rows(executor, sql: str, params: dict, expanding: tuple[str, ...] = ()) -> list[dict]:
    stmt = text(sql)
    if expanding:
        stmt = stmt.bindparams(*(bindparam(k, expanding=True) for k in expanding))
    res = executor.execute(stmt, params)
    keys = list(res.keys())
    return [dict(zip(keys, row)) for row in res]


def _meeting_condition(i: int, r: dict, milestones: list[dict], average: float | None, params: dict) -> str | None:
    """SQL for "this school meets target r" (None: cannot be judged). The per-school target is the
    one of core.targets.target_value: the value itself for at_least and at_most, the school's own
    baseline plus points or percent, the average school, the final milestone."""
    spec, _, _ = spec_and_times(r, milestones)
    params[f"d{i}"], params[f"a{i}"], params[f"b{i}"] = spec.direction, spec.value, r["baseline_period_id"]
    kind = spec.kind
    if kind in ("at_least", "at_most"):
        goal = f":a{i}"
    elif kind == "increase_pp":
        goal = f"b.value + :a{i}"
    elif kind == "increase_pct":
        goal = f"b.value * (1 + :a{i} / 100.0)"
    elif kind == "not_below_average":
        if average is None:
            return None
        params[f"a{i}"] = average
        goal = f":a{i}"
    else:
        params[f"a{i}"] = tg.target_value(spec, None)
        goal = f":a{i}"
    meets = f"(m.value - ({goal})) * :d{i} >= -1e-9"
    if "b.value" in goal:
        if not r["baseline_period_id"]:
            return None
        base = (f"(SELECT b.value FROM measurement b WHERE b.school_id = m.school_id "
                f"AND b.indicator_id = m.indicator_id AND b.period_id = :b{i})")
        meets = meets.replace("b.value", base)
        if kind == "increase_pct" and spec.value > 0:  # from a zero baseline: any rise (core.targets.rules)
            meets = f"CASE WHEN ABS({base}) <= 1e-9 THEN m.value - {base} > 1e-9 ELSE {meets} END"
    return (f"m.indicator_id = :i{i} AND m.period_id = :p{i} AND {GROUP_SQL[r['applies_to']]} "
            f"AND m.value IS NOT NULL AND {meets}")


def count_meeting_many(executor, territory_id: int, items: list[tuple[dict, int, float | None, list[dict]]]
                       ) -> list[tuple[int, int]]:
    """For each (target row, period id, average school of the territory, milestones): (schools of
    the target's group below the territory, those meeting the target at that period). Two SQL
    queries in all. executor: a Connection or a Session."""
    if not items:
        return []
    params: dict = {"tid": territory_id, "inds": sorted({r["indicator_id"] for r, *_ in items}),
                    "pids": sorted({pid for _, pid, *_ in items})}
    sums = []
    for i, (r, pid, avg, ms) in enumerate(items):
        params[f"i{i}"], params[f"p{i}"] = r["indicator_id"], pid
        cond = _meeting_condition(i, r, ms, avg, params)
        sums.append(f"SUM(CASE WHEN {cond} THEN 1 ELSE 0 END) AS c{i}" if cond else f"0 AS c{i}")
    met = _rows(executor, f"""
        SELECT {", ".join(sums)} FROM measurement m
        JOIN school s ON s.id = m.school_id
        JOIN territoryclosure c ON c.descendant_id = m.territory_id
        WHERE c.ancestor_id = :tid AND m.indicator_id IN :inds AND m.period_id IN :pids""", params,
                ("inds", "pids"))[0]
    groups = _rows(executor, f"""
        SELECT {", ".join(f"SUM(CASE WHEN {sql} THEN 1 ELSE 0 END) AS g_{g}" for g, sql in GROUP_SQL.items())}
        FROM school s JOIN territoryclosure c ON c.descendant_id = s.territory_id WHERE c.ancestor_id = :tid""",
                   {"tid": territory_id})[0]
    return [(int(groups["g_" + r["applies_to"]] or 0), int(met[f"c{i}"] or 0)) for i, (r, _, _, _) in enumerate(items)]


def milestones_of(executor, target_ids: list[int]) -> dict[int, list[dict]]:
    out: dict[int, list[dict]] = {}
    if not target_ids:
        return out
    for r in _rows(executor, """
            SELECT m.target_id, m.value, m.note, p.label, p."end", p.kind
            FROM targetmilestone m JOIN period p ON p.id = m.period_id
            WHERE m.target_id IN :ids ORDER BY p."end" """, {"ids": target_ids}, ("ids",)):
        r["t"] = tg.period_t(as_date(r["end"]))
        out.setdefault(r["target_id"], []).append(r)
    return out


def refresh(session, *, territory_ids: set[int] | None, indicator_ids: list[int] | None,
            period_ids: list[int] | None) -> None:
    """Recount the targets of the roadmaps over the given territories (None: all) for the changed
    indicators and periods. A change in a target's baseline period recounts all its periods.
    Runs after the summary refresh (the average school comes from the summary)."""
    where, params, exp = ["i.level = 'school'", "x.judged_on IN ('school', 'both')"], {}, []
    if territory_ids is not None:
        where.append("r.territory_id IN :tids")
        params["tids"], exp = sorted(territory_ids) or [-1], exp + ["tids"]
    if indicator_ids is not None:
        where.append("x.indicator_id IN :iids")
        params["iids"], exp = sorted(indicator_ids) or [-1], exp + ["iids"]
    trows = _rows(session, TARGET_ROWS_SQL + " WHERE " + " AND ".join(where), params, tuple(exp))
    if not trows:
        return
    milestones = milestones_of(session, [r["id"] for r in trows])
    changed = None if period_ids is None else set(period_ids)
    by_territory: dict[int, list[dict]] = {}
    for r in trows:
        by_territory.setdefault(r["roadmap_territory_id"], []).append(r)
    for tid, rows in by_territory.items():
        # the periods with data for these indicators in this territory, with the average school
        summary_rows = _rows(session, """
            SELECT s.indicator_id, s.period_id, s.n_schools, s.sum_value, s.sum_numerator, s.sum_denominator,
                   s.n_flag, i.value_kind
            FROM measurementsummary s JOIN indicator i ON i.id = s.indicator_id
            WHERE s.territory_id = :t AND s.grp = 'all' AND s.indicator_id IN :iids""",
                             {"t": tid, "iids": sorted({r["indicator_id"] for r in rows})}, ("iids",))
        avg = {(x["indicator_id"], x["period_id"]): _average_value(
            x["value_kind"], x["n_schools"], x["sum_value"], x["sum_numerator"], x["sum_denominator"], x["n_flag"])
            for x in summary_rows}
        items = []
        for r in rows:
            periods = {pid for (iid, pid) in avg if iid == r["indicator_id"]}
            if changed is not None and r["baseline_period_id"] not in changed:
                periods &= changed
            items += [(r, pid, avg.get((r["indicator_id"], pid)), milestones.get(r["id"], [])) for pid in periods]
        if not items:
            continue
        session.execute(text("DELETE FROM targetcount WHERE territory_id = :t AND target_id = :x AND period_id = :p"),
                        [{"t": tid, "x": r["id"], "p": pid} for r, pid, _, _ in items])
        counts = count_meeting_many(session, tid, items)
        session.execute(text("INSERT INTO targetcount (target_id, territory_id, period_id, n_group, n_meeting) "
                             "VALUES (:x, :t, :p, :g, :m)"),
                        [{"x": r["id"], "t": tid, "p": pid, "g": g, "m": m}
                         for (r, pid, _, _), (g, m) in zip(items, counts)])


def _average_value(*sums):
    from core.summary import average_value  # summary imports this module

    return average_value(*sums)


def read(executor, territory_id: int, pairs: list[tuple[int, int]]) -> dict[tuple[int, int], tuple[int, int]]:
    """{(target id, period id): (n_group, n_meeting)} kept for a territory."""
    if not pairs:
        return {}
    rows = _rows(executor, """SELECT target_id, period_id, n_group, n_meeting FROM targetcount
                              WHERE territory_id = :t AND target_id IN :x""",
                 {"t": territory_id, "x": sorted({x for x, _ in pairs})}, ("x",))
    wanted = set(pairs)
    return {(r["target_id"], r["period_id"]): (r["n_group"], r["n_meeting"]) for r in rows
            if (r["target_id"], r["period_id"]) in wanted}
