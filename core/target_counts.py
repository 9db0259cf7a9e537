"""How many schools meet each target: counted in SQL (the per-school target of core.targets), and
kept in `targetcount` for each roadmap's territory and period, refreshed with the summary in the
same transaction as every write of measurements. A region's or a country's overview reads one row
per target instead of counting over every school below it."""

from __future__ import annotations

from datetime import date
from typing import Mapping

from sqlalchemy import bindparam, text
from sqlalchemy.engine import Connection

from core import targets as tg
from core.db import DATA_VERSION_KEY, in_write_transaction, statement
from core.targets.kinds import kind as kind_of

# the school groups of a target (vocabulary.GROUPS) in SQL over `school s`, and in Python: `in_group`
GROUP_SQL = {"all": "1=1", "shnor": "s.is_shnor", "shnsu": "s.is_shnsu", "target": "(s.is_shnor OR s.is_shnsu)"}


def in_group(school: Mapping, grp: str) -> bool:
    """Whether a school (a row with is_shnor, is_shnsu) is in a group (GROUP_SQL in Python)."""
    if grp == "all":
        return True
    if grp == "shnor":
        return bool(school["is_shnor"])
    if grp == "shnsu":
        return bool(school["is_shnsu"])
    return bool(school["is_shnor"] or school["is_shnsu"])

TARGET_ROWS_SQL = """
    SELECT x.id, x.roadmap_id, r.territory_id AS roadmap_territory_id, r.title AS roadmap_title, x.number, x.wording, x.kind,
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


def select_rows(executor, sql: str, params: dict | None = None, expanding: tuple[str, ...] = ()) -> list[dict]:
    """The rows of a SELECT as dicts; `expanding`: the parameters that are lists (`IN :ids`).
    executor: a Connection or a Session. All rows are fetched at once (one driver call)."""
    res = executor.execute(statement(sql, tuple(expanding)), params or {})
    keys = list(res.keys())
    return [dict(zip(keys, row)) for row in res.fetchall()]


def _meeting_condition(i: int, r: dict, milestones: list[dict], average: float | None, params: dict) -> str | None:
    """SQL for "this school meets target r" (None: cannot be judged). The per-school target is the
    one of core.targets.target_value: the value itself for at_least and at_most, the school's own
    baseline plus points or percent, the average school, the final milestone."""
    spec, _, _ = spec_and_times(r, milestones)
    k = spec.registry_kind
    params[f"d{i}"], params[f"a{i}"], params[f"b{i}"] = spec.direction, spec.value, r["baseline_period_id"]
    if k.uses_average:
        if average is None:
            return None
        params[f"a{i}"] = average
    elif k.uses_milestones:
        params[f"a{i}"] = tg.target_value(spec, None)
    goal = k.sql_goal(f":a{i}", "b.value")
    meets = f"(m.value - ({goal})) * :d{i} >= -1e-9"
    if "b.value" in goal:
        if not r["baseline_period_id"]:
            return None
        base = (f"(SELECT b.value FROM measurement b WHERE b.school_id = m.school_id "
                f"AND b.indicator_id = m.indicator_id AND b.period_id = :b{i})")
        meets = meets.replace("b.value", base)
        if k.any_rise_from_zero and spec.value > 0:  # from a zero baseline: any rise (core.targets.rules)
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
    met = select_rows(executor, f"""
        SELECT {", ".join(sums)} FROM measurement m
        JOIN school s ON s.id = m.school_id
        JOIN territoryclosure c ON c.descendant_id = m.territory_id
        WHERE c.ancestor_id = :tid AND m.indicator_id IN :inds AND m.period_id IN :pids""", params,
                ("inds", "pids"))[0]
    groups = select_rows(executor, f"""
        SELECT {", ".join(f"SUM(CASE WHEN {sql} THEN 1 ELSE 0 END) AS g_{g}" for g, sql in GROUP_SQL.items())}
        FROM school s JOIN territoryclosure c ON c.descendant_id = s.territory_id WHERE c.ancestor_id = :tid""",
                   {"tid": territory_id})[0]
    return [(int(groups["g_" + r["applies_to"]] or 0), int(met[f"c{i}"] or 0)) for i, (r, _, _, _) in enumerate(items)]


def milestones_of(executor, target_ids: list[int]) -> dict[int, list[dict]]:
    out: dict[int, list[dict]] = {}
    if not target_ids:
        return out
    for r in select_rows(executor, """
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
    where = ["i.level = 'school'", "x.judged_on IN ('school', 'both')"]
    params: dict = {}
    exp: list[str] = []
    if territory_ids is not None:
        where.append("r.territory_id IN :tids")
        params["tids"], exp = sorted(territory_ids) or [-1], exp + ["tids"]
    if indicator_ids is not None:
        where.append("x.indicator_id IN :iids")
        params["iids"], exp = sorted(indicator_ids) or [-1], exp + ["iids"]
    trows = select_rows(session, TARGET_ROWS_SQL + " WHERE " + " AND ".join(where), params, tuple(exp))
    if not trows:
        return
    milestones = milestones_of(session, [r["id"] for r in trows])
    changed = None if period_ids is None else set(period_ids)
    by_territory: dict[int, list[dict]] = {}
    for r in trows:
        by_territory.setdefault(r["roadmap_territory_id"], []).append(r)
    for tid, rows in by_territory.items():
        # the periods with data for these indicators in this territory, with the average school
        summary_rows = select_rows(session, """
            SELECT s.indicator_id, s.period_id, s.n_schools, s.sum_value, s.sum_numerator, s.sum_denominator,
                   s.n_flag, i.value_kind
            FROM measurementsummary s JOIN indicator i ON i.id = s.indicator_id
            WHERE s.territory_id = :t AND s.grp = 'all' AND s.indicator_id IN :iids""",
                             {"t": tid, "iids": sorted({r["indicator_id"] for r in rows})}, ("iids",))
        avg = {(x["indicator_id"], x["period_id"]): tg.average_value(
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
        # like-for-like group sums for the roadmap's territory and every territory below it: for a
        # target and period already kept, only the territories whose measurements changed (the
        # others' sums are as they were); for one kept for the first time (a new period), all
        every = [x["d"] for x in select_rows(session, "SELECT descendant_id AS d FROM territoryclosure WHERE ancestor_id = :t",
                                       {"t": tid})]
        touched = every if territory_ids is None else [d for d in every if d in territory_ids]
        kept = {(x["target_id"], x["period_id"]) for x in select_rows(
            session, "SELECT DISTINCT target_id, period_id FROM targetgroupvalue WHERE target_id IN :x",
            {"x": sorted({r["id"] for r, *_ in items})}, ("x",))}
        wanted = [(r, pid, touched if (r["id"], pid) in kept else every, r["applies_to"]) for r, pid, _, _ in items]
        drop: dict[tuple[int, tuple[int, ...]], list[int]] = {}  # (target, territories) -> periods
        for r, pid, tids, _ in wanted:
            drop.setdefault((r["id"], tuple(tids)), []).append(pid)
        stmt = text("DELETE FROM targetgroupvalue WHERE target_id = :x AND period_id IN :p AND territory_id IN :t"
                    ).bindparams(bindparam("p", expanding=True), bindparam("t", expanding=True))
        for (x, tids), pids in drop.items():
            if tids:
                session.execute(stmt, {"x": x, "p": sorted(set(pids)), "t": list(tids)})
        sums = group_sums_many(session, wanted)
        session.execute(text(f"INSERT INTO targetgroupvalue (target_id, territory_id, period_id, {', '.join(KEPT_COLS)}) "
                             f"VALUES (:x, :t, :p, {', '.join(':' + k for k in KEPT_COLS)})"),
                        [{"x": items[i][0]["id"], "t": t, "p": items[i][1], **{k: row[k] or 0 for k in KEPT_COLS}}
                         for (i, t), row in sums.items()])


def like_for_like(conn, items: list[tuple[dict, int, list[int], str]]) -> dict[tuple[int, int, str], dict]:
    """For each (target row, period id judged, territory ids, group): the group's value now and at
    the baseline over the group's schools below each territory that reported both (counted now, in
    SQL). {(target id, territory id, group): {n, n_members, value, baseline}}."""
    return {(items[i][0]["id"], t, items[i][3]): values_from_sums(items[i][0], row)
            for (i, t), row in group_sums_many(conn, items).items()}


def _like_sums(conn, items: list[tuple[dict, int, list[int], str]]) -> dict[tuple[int, int], dict]:
    """The raw like-for-like sums per (item index, territory id): one SQL statement per 100 items
    (SQLite allows 500 terms in a compound SELECT)."""
    todo = [i for i, it in enumerate(items) if it[0]["level"] == "school" and it[2]]
    out: dict = {}
    for k in range(0, len(todo), 100):
        out.update(_like_sums_part(conn, items, todo[k:k + 100]))
    return out


def _like_sums_part(conn, items, indices: list[int]) -> dict[tuple[int, int], dict]:
    parts, params, out = [], {}, {}
    for i in indices:
        r, pid, tids, grp = items[i]
        params.update({f"x{i}": r["id"], f"i{i}": r["indicator_id"], f"p{i}": pid, f"t{i}": sorted(set(tids))})
        base_join = ""
        if r["baseline_period_id"] and measures_change(r):
            params[f"b{i}"] = r["baseline_period_id"]
            base_join = (f"JOIN measurement b ON b.school_id = m.school_id AND b.indicator_id = m.indicator_id "
                         f"AND b.period_id = :b{i} AND b.value IS NOT NULL")
        b = "b" if base_join else "m"
        parts.append(f"""
            SELECT {i} AS item, c.ancestor_id AS territory_id, COUNT(*) AS n,
                   SUM(m.value) AS sv, SUM({_num('m')}) AS sn, SUM({_den('m')}) AS sd,
                   SUM(CASE WHEN m.value >= 0.5 THEN 1 ELSE 0 END) AS nf,
                   SUM({b}.value) AS bsv, SUM({_num(b)}) AS bsn, SUM({_den(b)}) AS bsd,
                   SUM(CASE WHEN {b}.value >= 0.5 THEN 1 ELSE 0 END) AS bnf
            FROM measurement m
            JOIN school s ON s.id = m.school_id
            JOIN territoryclosure c ON c.descendant_id = m.territory_id
            {base_join}
            WHERE c.ancestor_id IN :t{i} AND m.indicator_id = :i{i} AND m.period_id = :p{i}
              AND m.value IS NOT NULL AND {GROUP_SQL[grp]}
            GROUP BY c.ancestor_id""")
    stmt = text(" UNION ALL ".join(parts)).bindparams(*(bindparam(f"t{i}", expanding=True) for i in indices))
    for row in conn.execute(stmt, params).mappings():
        out[(int(row["item"]), row["territory_id"])] = {k: row[k] for k in KEPT_COLS if k != "n_members"}
    return out


def _num(a: str) -> str:
    return f"CASE WHEN {a}.denominator > 0 AND {a}.numerator IS NOT NULL THEN {a}.numerator END"


def _den(a: str) -> str:
    return f"CASE WHEN {a}.denominator > 0 AND {a}.numerator IS NOT NULL THEN {a}.denominator END"


_SIZES: dict[tuple, dict[tuple[int, str], int]] = {}  # (database, data version, territories) -> group sizes
_SIZES_KEPT = 256


def group_sizes(conn, territory_ids: list[int]) -> dict[tuple[int, str], int]:
    """{(territory id, group): number of its schools (all levels below)}.

    Counting a region's thousand schools costs more than the rest of a school's page, and the schools
    change only in a write: outside a write transaction the sizes are kept per data version (every
    write transaction gives the data a new one, core.db.bump_data_version), read with one key lookup.
    Inside a write (the transaction may have added schools the version does not yet say) they are
    always counted."""
    if not territory_ids:
        return {}
    tids = tuple(sorted(set(territory_ids)))
    key = None
    if isinstance(conn, Connection) and not in_write_transaction():
        version = conn.execute(statement("SELECT value FROM appmeta WHERE key = :k"), {"k": DATA_VERSION_KEY}).scalar()
        key = (str(conn.engine.url), version, tids) if version else None
        if key is not None and (kept := _SIZES.get(key)) is not None:
            return dict(kept)
    rows = select_rows(conn, f"""
        SELECT c.ancestor_id AS tid, {", ".join(f"SUM(CASE WHEN {sql} THEN 1 ELSE 0 END) AS g_{g}"
                                                 for g, sql in GROUP_SQL.items())}
        FROM school s JOIN territoryclosure c ON c.descendant_id = s.territory_id
        WHERE c.ancestor_id IN :tids GROUP BY c.ancestor_id""", {"tids": list(tids)}, ("tids",))
    out = {(r["tid"], g): int(r[f"g_{g}"] or 0) for r in rows for g in GROUP_SQL}
    if key is not None:
        if len(_SIZES) >= _SIZES_KEPT:
            _SIZES.clear()
        _SIZES[key] = dict(out)
    return out


KEPT_COLS = ("n_members", "n", "sv", "sn", "sd", "nf", "bsv", "bsn", "bsd", "bnf")


def group_sums_many(executor, items: list[tuple[dict, int, list[int], str]]) -> dict[tuple[int, int], dict]:
    """The raw like-for-like sums (n, sv, sn, sd, nf, bsv, bsn, bsd, bnf) and n_members per (item
    index, territory id), for every territory asked, also those where no school reported (n = 0)."""
    out = {}
    raw = _like_sums(executor, items)
    sizes = group_sizes(executor, sorted({t for it in items for t in it[2]}))
    for i, (r, pid, tids, grp) in enumerate(items):
        for t in tids:
            row = raw.get((i, t)) or {k: 0 for k in KEPT_COLS}
            out[(i, t)] = {**row, "n_members": sizes.get((t, grp), 0)}
    return out


def kept_group_values(executor, target_ids: list[int], territory_ids: list[int], period_ids: list[int]) -> dict:
    """{(target id, territory id, period id): kept row} of targetgroupvalue."""
    if not target_ids or not territory_ids or not period_ids:
        return {}
    rows = select_rows(executor, f"""SELECT target_id, territory_id, period_id, {", ".join(KEPT_COLS)} FROM targetgroupvalue
                               WHERE target_id IN :x AND territory_id IN :t AND period_id IN :p""",
                 {"x": sorted(set(target_ids)), "t": sorted(set(territory_ids)), "p": sorted(set(period_ids))},
                 ("x", "t", "p"))
    return {(r["target_id"], r["territory_id"], r["period_id"]): r for r in rows}


def target_kind(r: dict):
    """The registry's kind of a target row (core.targets.kinds)."""
    return kind_of(r["kind"])


def measures_change(r: dict) -> bool:
    """A target row that measures a change from its baseline: its group is judged like for like."""
    return target_kind(r).measures_change


def values_from_sums(r: dict, row: dict) -> dict:
    """{n, n_members, value, baseline, sums} of a group from its sums: like for like (the schools
    that reported both periods) for a target that measures a change; every school that reported
    the period for a level target (its baseline, the path's start, comes from the series)."""
    k, n = r["value_kind"], int(row["n"] or 0)
    val = tg.group_value(k, n, row["sv"] or 0, row["sn"] or 0, row["sd"] or 0, row["nf"] or 0) if n else None
    base = (tg.group_value(k, n, row["bsv"] or 0, row["bsn"] or 0, row["bsd"] or 0, row["bnf"] or 0)
            if n and r["baseline_period_id"] and measures_change(r) else None)
    return {"n": n, "n_members": int(row["n_members"] or 0), "value": val, "baseline": base, "sums": row}


def add_to_sums(sums: dict, now: dict, base: dict | None) -> None:
    """Add one school's row (value, numerator, denominator) now and, for a change, at the baseline."""
    def add(prefix: str, x: dict) -> None:
        shared = x["denominator"] is not None and x["denominator"] > 0 and x["numerator"] is not None
        sums[prefix + "sv"] += x["value"]
        sums[prefix + "sn"] += x["numerator"] if shared else 0
        sums[prefix + "sd"] += x["denominator"] if shared else 0
        sums[prefix + "nf"] += 1 if x["value"] >= 0.5 else 0

    sums["n"] += 1
    add("", now)
    if base is not None:
        add("b", base)


def read(executor, territory_id: int, pairs: list[tuple[int, int]]) -> dict[tuple[int, int], tuple[int, int]]:
    """{(target id, period id): (n_group, n_meeting)} kept for a territory."""
    if not pairs:
        return {}
    rows = select_rows(executor, """SELECT target_id, period_id, n_group, n_meeting FROM targetcount
                              WHERE territory_id = :t AND target_id IN :x""",
                 {"t": territory_id, "x": sorted({x for x, _ in pairs})}, ("x",))
    wanted = set(pairs)
    return {(r["target_id"], r["period_id"]): (r["n_group"], r["n_meeting"]) for r in rows
            if (r["target_id"], r["period_id"]) in wanted}
