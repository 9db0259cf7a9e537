"""The read side: SQL aggregates, always filtered by a Scope, evaluated by core.targets.

Group values come from `measurementsummary` (kept up to date by every write), so a screen never
scans raw measurement rows; per-school rows are read only for the periods a screen shows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pandas as pd
from sqlalchemy import bindparam, text
from sqlalchemy.engine import Engine

from core import formatting as fmt
from core import settings
from core import roadmap as rm_rules
from core import summary as summ
from core import target_counts as counts
from core import targets as tg
from core import vocabulary as voc
from core.target_counts import spec_and_times as _spec_and_times
from core.target_counts import times as _times
from core.auth import Scope, deny
from core.db import get_engine


def _rows(engine: Engine, sql: str, params: dict | None = None, expanding: tuple[str, ...] = ()):
    stmt = text(sql)
    if expanding:
        stmt = stmt.bindparams(*(bindparam(k, expanding=True) for k in expanding))
    with engine.connect() as conn:
        res = conn.execute(stmt, params or {})
        keys = list(res.keys())
        return [dict(zip(keys, row)) for row in res]


def _as_date(x) -> date:
    return x if isinstance(x, date) else date.fromisoformat(str(x)[:10])


# ---------------------------------------------------------------------------------------------
# Small lists
# ---------------------------------------------------------------------------------------------
def is_demo(engine: Engine | None = None) -> bool:
    engine = engine or get_engine()
    rows = _rows(engine, "SELECT value FROM appmeta WHERE key = 'demo'")
    return bool(rows) and rows[0]["value"] == "1"


def roadmaps(scope: Scope, engine: Engine | None = None) -> pd.DataFrame:
    """Roadmaps of the territories the user sees (with how many targets each has)."""
    engine = engine or get_engine()
    rows = _rows(engine, """
        SELECT r.id, r.code, r.title, r.year_from, r.year_to, r.is_demo, r.territory_id,
               t.name AS territory, (SELECT COUNT(*) FROM target x WHERE x.roadmap_id = r.id) AS n_targets
        FROM roadmap r JOIN territory t ON t.id = r.territory_id
        ORDER BY t.name, r.year_from, r.id""")
    rows = [r for r in rows if scope.can_see_territory(r["territory_id"])]
    return pd.DataFrame(rows, columns=["id", "code", "title", "year_from", "year_to", "is_demo",
                                       "territory_id", "territory", "n_targets"])


def indicator_names(engine: Engine | None = None) -> dict[str, str]:
    """Indicator code -> short name (the catalogue is public reference data)."""
    return {r["code"]: r["short_name"] for r in _rows(engine or get_engine(), "SELECT code, short_name FROM indicator")}


def periods(engine: Engine | None = None) -> pd.DataFrame:
    engine = engine or get_engine()
    rows = _rows(engine, "SELECT id, code, kind, start, \"end\", label FROM period ORDER BY \"end\", kind")
    df = pd.DataFrame(rows, columns=["id", "code", "kind", "start", "end", "label"])
    if not df.empty:
        df["end"] = df["end"].map(_as_date)
        df["start"] = df["start"].map(_as_date)
    return df


# ---------------------------------------------------------------------------------------------
# Overview
# ---------------------------------------------------------------------------------------------
@dataclass
class TargetCard:
    target_id: int
    number: int
    wording: str
    indicator_id: int
    indicator_code: str
    indicator_name: str
    short_name: str
    unit: str
    value_kind: str
    level: str
    kind: str
    amount: float | None
    rule_text: str
    group: str
    baseline_label: str | None
    due_label: str | None
    due_end: date | None
    as_of_label: str | None
    evaluation: tg.Evaluation
    series: list[dict] = field(default_factory=list)  # period, label, t, value (group)
    average_series: list[dict] = field(default_factory=list)  # territory average (all schools)
    expected_path: list[dict] = field(default_factory=list)  # t, label, value
    milestones: list[dict] = field(default_factory=list)
    n_schools: int = 0
    n_meeting: int = 0
    lagging: list[str] = field(default_factory=list)


@dataclass
class Overview:
    roadmap: dict
    as_of: date | None
    as_of_label: str | None
    cards: list[TargetCard]
    matrix: pd.DataFrame  # one row per school (or member territory), one status column per target
    is_demo: bool
    unit_label: str = "Школа"  # the matrix's first column: "Школа" or "Территория"


def _target_rows(engine: Engine, roadmap_id: int) -> list[dict]:
    with engine.connect() as conn:
        return counts._rows(conn, counts.TARGET_ROWS_SQL + " WHERE x.roadmap_id = :rid ORDER BY x.number, x.id",
                            {"rid": roadmap_id})


def _milestone_rows(engine: Engine, target_ids: list[int]) -> dict[int, list[dict]]:
    with engine.connect() as conn:
        return counts.milestones_of(conn, target_ids)


def _group_series(engine: Engine, territory_ids: list[int], indicator_ids: list[int],
                  grps: list[str] | None = None, period_ids: list[int] | None = None) -> dict:
    """{(territory_id, indicator_id, grp): [row...]} from the summary (every level of the tree),
    plus territory-level measurements under grp 'territory'; optionally only some groups/periods."""
    out: dict[tuple[int, int, str], list[dict]] = {}
    if not indicator_ids or not territory_ids:
        return out
    params: dict = {"tids": territory_ids, "ids": indicator_ids}
    extra = ""
    if grps is not None:
        params["grps"] = sorted(set(grps))
        extra += " AND s.grp IN :grps"
    if period_ids is not None:
        params["pids"] = sorted(set(period_ids)) or [-1]
        extra += " AND s.period_id IN :pids"
    t_cache: dict = {}
    for r in _rows(engine, f"""
            SELECT s.territory_id, s.indicator_id, s.grp, s.n_schools, s.sum_value, s.sum_numerator,
                   s.sum_denominator, s.n_flag, i.value_kind, p.id AS period_id, p.label, p."end", p.kind
            FROM measurementsummary s
            JOIN indicator i ON i.id = s.indicator_id
            JOIN period p ON p.id = s.period_id
            WHERE s.territory_id IN :tids AND s.indicator_id IN :ids {extra}
            ORDER BY p."end" """, params, tuple(k for k in ("tids", "ids", "grps", "pids") if k in params)):
        sums = (r["value_kind"], r["n_schools"], r["sum_value"], r["sum_numerator"], r["sum_denominator"],
                r["n_flag"])
        r["value"] = summ.group_value(*sums)
        r["average"] = summ.average_value(*sums)  # the average school, for per-school comparisons
        if r["period_id"] not in t_cache:
            t_cache[r["period_id"]] = (_as_date(r["end"]), tg.period_t(_as_date(r["end"])))
        r["end"], r["t"] = t_cache[r["period_id"]]
        out.setdefault((r["territory_id"], r["indicator_id"], r["grp"]), []).append(r)
    # territory-level indicators (one value per territory, no school) are read from measurement
    level_ids = [r["id"] for r in _rows(engine, "SELECT id FROM indicator WHERE level = 'territory' AND id IN :ids",
                                        {"ids": indicator_ids}, ("ids",))]
    for r in [] if not level_ids else _rows(engine, """
            SELECT m.territory_id, m.indicator_id, m.value, m.numerator, m.denominator, p.id AS period_id,
                   p.label, p."end", p.kind
            FROM measurement m JOIN period p ON p.id = m.period_id
            WHERE m.territory_id IN :tids AND m.school_id IS NULL AND m.indicator_id IN :ids
            ORDER BY p."end" """, {"tids": territory_ids, "ids": level_ids}, ("tids", "ids")):
        r["t"] = tg.period_t(_as_date(r["end"]))
        r["average"] = r["value"]
        out.setdefault((r["territory_id"], r["indicator_id"], "territory"), []).append(r)
    return out


def _children(engine: Engine, territory_id: int, scope: Scope) -> list[dict]:
    rows = _rows(engine, """
        SELECT t.id, t.name FROM territoryclosure c JOIN territory t ON t.id = c.descendant_id
        WHERE c.ancestor_id = :tid AND c.depth = 1 ORDER BY t.name""", {"tid": territory_id})
    return [r for r in rows if scope.can_see_territory(r["id"])]


def _school_values(engine: Engine, territory_id: int, indicator_ids: list[int], period_ids: list[int],
                   scope: Scope) -> pd.DataFrame:
    cols = ["school_id", "indicator_id", "period_id", "value"]
    if not indicator_ids or not period_ids:
        return pd.DataFrame(columns=cols)
    rows = _rows(engine, """
        SELECT m.school_id, m.indicator_id, m.period_id, m.value
        FROM measurement m
        WHERE m.territory_id = :tid AND m.school_id IS NOT NULL
          AND m.indicator_id IN :ids AND m.period_id IN :pids""",
                 {"tid": territory_id, "ids": indicator_ids, "pids": period_ids}, ("ids", "pids"))
    rows = [r for r in rows if scope.can_see_school(r["school_id"], territory_id)]
    return pd.DataFrame(rows, columns=cols)


def _schools(engine: Engine, territory_id: int, scope: Scope) -> list[dict]:
    rows = _rows(engine, """
        SELECT id, code, name, short_name, is_shnor, is_shnsu, is_leader, is_demo
        FROM school WHERE territory_id = :tid ORDER BY short_name""", {"tid": territory_id})
    return [r for r in rows if scope.can_see_school(r["id"], territory_id)]


def in_group(school: dict, grp: str) -> bool:
    if grp == "all":
        return True
    if grp == "shnor":
        return bool(school["is_shnor"])
    if grp == "shnsu":
        return bool(school["is_shnsu"])
    return bool(school["is_shnor"] or school["is_shnsu"])


def roadmap_info(scope: Scope, roadmap_id: int, engine: Engine | None = None) -> dict:
    engine = engine or get_engine()
    rows = _rows(engine, """
        SELECT r.id, r.code, r.title, r.year_from, r.year_to, r.approved_by, r.goal, r.is_demo,
               r.territory_id, t.name AS territory
        FROM roadmap r JOIN territory t ON t.id = r.territory_id WHERE r.id = :rid""", {"rid": roadmap_id})
    if not rows or not scope.can_see_territory(rows[0]["territory_id"]):
        raise deny(scope, f"дорожная карта {roadmap_id}", engine)
    return rows[0]


def _evaluate_group(r: dict, own_all: list[dict], t_as_of: float | None, milestones: list[dict],
                    average_rows: list[dict]) -> tuple[tg.Evaluation, dict | None, list[dict]]:
    """A target evaluated on one group series (a territory's target schools, or the territory) at
    the latest period with data up to t_as_of. Returns the evaluation, that period's row, the series."""
    period_kind = r["due_kind"] or r["baseline_kind"]
    own = [x for x in own_all if period_kind is None or x["kind"] == period_kind]
    upto = [x for x in own if t_as_of is not None and x["t"] <= t_as_of + 1e-9 and x["value"] is not None]
    now = upto[-1] if upto else None
    spec, t_base, t_due = _spec_and_times(r, milestones)
    avg_now = next((a["value"] for a in average_rows if now and a["period_id"] == now["period_id"]), None)
    ev = tg.evaluate(spec, series=[(x["t"], x["value"]) for x in own], t_now=now["t"] if now else (t_as_of or 0.0),
                     t_due=t_due, t_baseline=t_base, average=avg_now)
    return ev, now, own


def overview(scope: Scope, roadmap_id: int, as_of: date | None = None,
             engine: Engine | None = None) -> Overview:
    """Every target of a roadmap evaluated at `as_of` (default: the latest period with data),
    with the group series for charts and the status matrix: schools x targets for a municipality,
    its member territories x targets for a region or a country."""
    engine = engine or get_engine()
    rm = roadmap_info(scope, roadmap_id, engine)
    if not scope.sees_whole_territory:
        raise deny(scope, "обзор территории доступен руководителю управления, методисту и администратору",
                   engine)
    territory_id = rm["territory_id"]
    trows = _target_rows(engine, roadmap_id)
    ind_ids = sorted({r["indicator_id"] for r in trows})
    children = _children(engine, territory_id, scope)
    grps = sorted({r["applies_to"] for r in trows} | {"all"})
    series = _group_series(engine, [territory_id], ind_ids, grps)
    milestones = _milestone_rows(engine, [r["id"] for r in trows])

    data_ends = [r["end"] for key, rows in series.items() if key[0] == territory_id for r in rows]
    if as_of is None and data_ends:
        as_of = max(_as_date(e) for e in data_ends)
    t_as_of = tg.period_t(as_of) if as_of else None

    cards: list[TargetCard] = []
    now_periods: dict[int, dict] = {}
    for r in trows:
        grp = "territory" if r["level"] == "territory" else r["applies_to"]
        avg = series.get((territory_id, r["indicator_id"], "all"), [])
        ev, now, own = _evaluate_group(r, series.get((territory_id, r["indicator_id"], grp), []), t_as_of,
                                       milestones.get(r["id"], []), avg)
        avg = [x for x in avg if x["kind"] == (r["due_kind"] or r["baseline_kind"] or x["kind"])]
        t_base, t_due = _times(r)
        expected_path = []
        if ev.baseline is not None and t_base is not None and ev.target_value is not None and t_due:
            expected_path = [{"t": t_base, "label": r["baseline_label"], "value": ev.baseline},
                             {"t": t_due, "label": r["due_label"], "value": ev.target_value}]
        card = TargetCard(
            target_id=r["id"], number=r["number"], wording=r["wording"], indicator_id=r["indicator_id"],
            indicator_code=r["indicator_code"], indicator_name=r["indicator_name"], short_name=r["short_name"],
            unit=r["unit"], value_kind=r["value_kind"], level=r["level"], kind=r["kind"], amount=r["amount"],
            rule_text=fmt.rule(r["kind"], r["amount"], r["unit"], r["baseline_label"]),
            group=grp, baseline_label=r["baseline_label"], due_label=r["due_label"],
            due_end=_as_date(r["due_end"]) if r["due_end"] else None,
            as_of_label=now["label"] if now else None, evaluation=ev,
            series=[{"period_id": x["period_id"], "label": x["label"], "t": x["t"], "end": _as_date(x["end"]),
                     "value": x["value"]} for x in own],
            average_series=[{"label": x["label"], "t": x["t"], "end": _as_date(x["end"]), "value": x["value"]}
                            for x in avg] if grp not in ("all", "territory") and r["value_kind"] in ("share", "value")
            else [],
            expected_path=expected_path,
            milestones=[{"label": m["label"], "t": m["t"], "value": m["value"], "note": m["note"]}
                        for m in milestones.get(r["id"], [])],
        )
        cards.append(card)
        if now is not None:
            now_periods[r["id"]] = now

    if children:
        matrix = _territory_matrix(engine, territory_id, trows, cards, now_periods, children, series, t_as_of,
                                   milestones)
        unit_label = "Территория"
    else:
        matrix = _school_matrix(engine, scope, territory_id, trows, cards, now_periods,
                                _schools(engine, territory_id, scope), series)
        unit_label = "Школа"
    return Overview(roadmap=rm, as_of=as_of,
                    as_of_label=fmt.month_year(as_of) if as_of else None,
                    cards=cards, matrix=matrix, is_demo=bool(rm["is_demo"]), unit_label=unit_label)


def _territory_matrix(engine, territory_id, trows, cards, now_periods, children, series, t_as_of,
                      milestones) -> pd.DataFrame:
    """Member territories x targets: each target evaluated on each member's group values at the
    baseline and the current period (like a school); the count of schools meeting each target
    comes from SQL over all the schools below."""
    by_id = {c.target_id: c for c in cards}
    pids = {p["period_id"] for p in now_periods.values()} | {r["baseline_period_id"] for r in trows
                                                              if r["baseline_period_id"]}
    grps = sorted({r["applies_to"] for r in trows} | {"all"})
    kid_series = _group_series(engine, [c["id"] for c in children], sorted({r["indicator_id"] for r in trows}),
                               grps, sorted(pids))
    specs = {r["id"]: _spec_and_times(r, milestones.get(r["id"], [])) for r in trows}
    out = []
    for ch in children:
        row = {"unit_id": ch["id"], "Территория": ch["name"]}
        for r in trows:
            grp = "territory" if r["level"] == "territory" else r["applies_to"]
            now = now_periods.get(r["id"])
            status = "no_data"
            if now is not None:
                own = {x["period_id"]: x for x in kid_series.get((ch["id"], r["indicator_id"], grp), [])}
                avg = next((x["value"] for x in kid_series.get((ch["id"], r["indicator_id"], "all"), [])
                            if x["period_id"] == now["period_id"]), None)
                spec, t_base, t_due = specs[r["id"]]
                pts = [(x["t"], x["value"]) for pid, x in own.items()
                       if pid in (now["period_id"], r["baseline_period_id"])]
                status = tg.evaluate(spec, series=pts, t_now=now["t"], t_due=t_due, t_baseline=t_base,
                                     average=avg).status
            row[by_id[r["id"]].short_name] = status
            if status in voc.LAGGING:
                by_id[r["id"]].lagging.append(ch["name"])
        out.append(row)
    judged = [r for r in trows if r["level"] == "school" and r["judged_on"] in ("school", "both")
              and r["id"] in now_periods]
    items = []
    for r in judged:
        pid = now_periods[r["id"]]["period_id"]
        avg = next((x["average"] for x in series.get((territory_id, r["indicator_id"], "all"), [])
                    if x["period_id"] == pid), None)
        items.append((r, pid, avg, milestones.get(r["id"], [])))
    with engine.connect() as conn:  # kept with the summary; counted now only if missing
        kept = counts.read(conn, territory_id, [(r["id"], pid) for r, pid, _, _ in items])
        missing = [it for it in items if (it[0]["id"], it[1]) not in kept]
        live = dict(zip([(r["id"], pid) for r, pid, _, _ in missing],
                        counts.count_meeting_many(conn, territory_id, missing)))
    for r, pid, _, _ in items:
        by_id[r["id"]].n_schools, by_id[r["id"]].n_meeting = kept.get((r["id"], pid)) or live[(r["id"], pid)]
    return pd.DataFrame(out)


def count_meeting(engine: Engine, territory_id: int, r: dict, period_id: int, average: float | None,
                  milestones: list[dict]) -> tuple[int, int]:
    """Schools of target r's group below a territory and those meeting it at a period, counted now."""
    with engine.connect() as conn:
        return counts.count_meeting_many(conn, territory_id, [(r, period_id, average, milestones)])[0]


def _school_matrix(engine, scope, territory_id, trows, cards, now_periods, schools, series) -> pd.DataFrame:
    """Per-school status of each school-level target (judged on each school)."""
    by_id = {c.target_id: c for c in cards}
    need_periods = set()
    for r in trows:
        if r["id"] in now_periods:
            need_periods.add(now_periods[r["id"]]["period_id"])
        if r["baseline_period_id"]:
            need_periods.add(r["baseline_period_id"])
    school_rows = [r for r in trows if r["level"] == "school" and r["judged_on"] in ("school", "both")]
    vals = _school_values(engine, territory_id, sorted({r["indicator_id"] for r in school_rows}),
                          sorted(need_periods), scope)
    lookup = {(int(a), int(b), int(c)): v for a, b, c, v in vals.itertuples(index=False)}
    out = []
    for s in sorted(schools, key=lambda s: (not s["is_shnor"], not s["is_shnsu"], s["short_name"])):
        row = {"unit_id": s["id"], "Школа": s["short_name"], "ШНОР": bool(s["is_shnor"]),
               "ШНСУ": bool(s["is_shnsu"])}
        for r in school_rows:
            card = by_id[r["id"]]
            if not in_group(s, r["applies_to"]):
                row[card.short_name] = None
                continue
            now = now_periods.get(r["id"])
            status = "no_data"
            card.n_schools += 1
            if now is not None:
                v_now = lookup.get((s["id"], r["indicator_id"], now["period_id"]))
                v_base = lookup.get((s["id"], r["indicator_id"], r["baseline_period_id"])) if r["baseline_period_id"] else None
                avg = next((x["average"] for x in series.get((territory_id, r["indicator_id"], "all"), [])
                            if x["period_id"] == now["period_id"]), None)
                spec, t_base, t_due = _spec_and_times(r, card.milestones)
                pts = [(now["t"], v_now)] + ([(t_base, v_base)] if t_base is not None else [])
                ev = tg.evaluate(spec, series=pts, t_now=now["t"], t_due=t_due, t_baseline=t_base, average=avg)
                status = ev.status
                if ev.meets_target:
                    card.n_meeting += 1
                elif status in voc.LAGGING:
                    card.lagging.append(s["short_name"])
            row[card.short_name] = status
        out.append(row)
    return pd.DataFrame(out)


# ---------------------------------------------------------------------------------------------
# School page
# ---------------------------------------------------------------------------------------------
def schools(scope: Scope, engine: Engine | None = None) -> pd.DataFrame:
    """The schools the user may open (a principal: their own; a curator: the curated ones)."""
    engine = engine or get_engine()
    rows = _rows(engine, """
        SELECT s.id, s.code, s.name, s.short_name, s.kind, s.is_shnor, s.is_shnsu, s.is_leader, s.is_demo,
               s.territory_id, t.name AS territory
        FROM school s JOIN territory t ON t.id = s.territory_id
        ORDER BY t.name, s.short_name""")
    rows = [r for r in rows if scope.can_see_school(r["id"], r["territory_id"])]
    return pd.DataFrame(rows, columns=["id", "code", "name", "short_name", "kind", "is_shnor", "is_shnsu",
                                       "is_leader", "is_demo", "territory_id", "territory"])


@dataclass
class SchoolTarget:
    roadmap_title: str
    number: int
    short_name: str
    indicator_name: str
    unit: str
    rule_text: str
    evaluation: tg.Evaluation
    average: float | None
    as_of_label: str | None
    series: list[dict]
    average_series: list[dict]
    expected_path: list[dict]


@dataclass
class SchoolView:
    school: dict
    targets: list[SchoolTarget]
    curators: list[str]
    curated: list[str]
    risks: pd.DataFrame = field(default_factory=pd.DataFrame)  # group, code, name
    activities: pd.DataFrame = field(default_factory=pd.DataFrame)  # kind, number, title, deadline, ...
    groups: list[str] = field(default_factory=list)  # «Триада 1: Золотонивская СШ, Красовская СШ, …»


def school_view(scope: Scope, school_id: int, engine: Engine | None = None, today: date | None = None) -> SchoolView:
    """One school against its own targets (from its own baseline) and the territory average."""
    engine = engine or get_engine()
    rows = _rows(engine, """
        SELECT s.*, t.name AS territory FROM school s JOIN territory t ON t.id = s.territory_id
        WHERE s.id = :sid""", {"sid": school_id})
    if not rows or not scope.can_see_school(school_id, rows[0]["territory_id"]):
        raise deny(scope, f"школа {school_id}", engine)
    school = rows[0]
    tid = school["territory_id"]
    trows = _rows(engine, """
        SELECT x.id, x.number, x.kind, x.value AS amount, x.applies_to, x.judged_on, r.title AS roadmap_title,
               r.territory_id AS roadmap_territory_id,
               i.id AS indicator_id, i.name AS indicator_name, i.short_name, i.unit, i.value_kind,
               i.higher_is_better, bp.label AS baseline_label, bp."end" AS baseline_end, dp."end" AS due_end,
               dp.kind AS due_kind
        FROM target x JOIN roadmap r ON r.id = x.roadmap_id JOIN indicator i ON i.id = x.indicator_id
        LEFT JOIN period bp ON bp.id = x.baseline_period_id LEFT JOIN period dp ON dp.id = x.due_period_id
        WHERE r.territory_id IN (SELECT ancestor_id FROM territoryclosure WHERE descendant_id = :tid)
          AND i.level = 'school' AND x.judged_on IN ('school', 'both')
        ORDER BY r.id, x.number""", {"tid": tid})
    trows = [r for r in trows if in_group(school, r["applies_to"])]
    ind_ids = sorted({r["indicator_id"] for r in trows})
    own: dict[int, list[dict]] = {}
    if ind_ids:
        for r in _rows(engine, """
                SELECT m.indicator_id, m.value, m.numerator, m.denominator, p.id AS period_id, p.label,
                       p."end", p.kind
                FROM measurement m JOIN period p ON p.id = m.period_id
                WHERE m.school_id = :sid AND m.indicator_id IN :ids ORDER BY p."end" """,
                {"sid": school_id, "ids": ind_ids}, ("ids",)):
            r["t"] = tg.period_t(_as_date(r["end"]))
            r["end"] = _as_date(r["end"])
            own.setdefault(r["indicator_id"], []).append(r)
    # compared with the average school of the territory whose roadmap sets the target
    groups = _group_series(engine, sorted({r["roadmap_territory_id"] for r in trows}), ind_ids, ["all"])
    milestones = _milestone_rows(engine, [r["id"] for r in trows])
    out = []
    for r in trows:
        kind = r["due_kind"]
        ser = [x for x in own.get(r["indicator_id"], []) if kind is None or x["kind"] == kind]
        avg = [x for x in groups.get((r["roadmap_territory_id"], r["indicator_id"], "all"), [])
               if kind is None or x["kind"] == kind]
        measured = [x for x in ser if x["value"] is not None]
        now = measured[-1] if measured else None
        avg_now = next((a["average"] for a in avg if now and a["period_id"] == now["period_id"]), None)
        spec, t_base, t_due = _spec_and_times(r, milestones.get(r["id"], []))
        ev = tg.evaluate(spec, series=[(x["t"], x["value"]) for x in ser], t_now=now["t"] if now else 0.0,
                         t_due=t_due, t_baseline=t_base, average=avg_now)
        path = []
        if ev.baseline is not None and ev.target_value is not None and t_base and t_due:
            path = [{"t": t_base, "end": _as_date(r["baseline_end"]), "value": ev.baseline},
                    {"t": t_due, "end": _as_date(r["due_end"]), "value": ev.target_value}]
        out.append(SchoolTarget(
            roadmap_title=r["roadmap_title"], number=r["number"], short_name=r["short_name"],
            indicator_name=r["indicator_name"], unit=r["unit"],
            rule_text=fmt.rule(r["kind"], r["amount"], r["unit"], r["baseline_label"]), evaluation=ev,
            average=avg_now, as_of_label=now["label"] if now else None,
            series=[{"label": x["label"], "end": x["end"], "value": x["value"]} for x in ser],
            average_series=[{"label": x["label"], "end": _as_date(x["end"]), "value": x["average"]} for x in avg],
            expected_path=path))
    curators = [r["short_name"] for r in _rows(engine, """
        SELECT c.short_name FROM curatorlink l JOIN school c ON c.id = l.curator_school_id
        WHERE l.school_id = :sid ORDER BY c.short_name""", {"sid": school_id})]
    curated = [r["short_name"] for r in _rows(engine, """
        SELECT c.short_name FROM curatorlink l JOIN school c ON c.id = l.school_id
        WHERE l.curator_school_id = :sid ORDER BY c.short_name""", {"sid": school_id})]
    members: dict[str, list[str]] = {}
    for r in _rows(engine, """
            SELECT g.id, g.name, s.short_name FROM schoolgroup g JOIN schoolgroupmember m ON m.group_id = g.id
            JOIN school s ON s.id = m.school_id
            WHERE g.id IN (SELECT group_id FROM schoolgroupmember WHERE school_id = :sid) ORDER BY g.id, s.short_name""",
            {"sid": school_id}):
        members.setdefault(r["name"], []).append(r["short_name"])
    return SchoolView(school=school, targets=out, curators=curators, curated=curated,
                      groups=[f"{name}: {', '.join(xs)}" for name, xs in members.items()],
                      risks=_school_risks(engine, school_id), activities=_school_activities(engine, school_id, tid,
                                                                                           today or settings.today(engine)))


def _school_risks(engine: Engine, school_id: int) -> pd.DataFrame:
    rows = _rows(engine, """
        SELECT rf.group_code, rf.group_name, rf.code, rf.name, sr.audit_date
        FROM schoolrisk sr JOIN riskfactor rf ON rf.id = sr.risk_factor_id
        WHERE sr.school_id = :sid ORDER BY rf.group_code, rf.code""", {"sid": school_id})
    return pd.DataFrame(rows, columns=["group_code", "group_name", "code", "name", "audit_date"])


def _school_activities(engine: Engine, school_id: int, territory_id: int, today: date) -> pd.DataFrame:
    """Activities of the roadmaps over the school's territory that name this school or no school
    at all, and those roadmaps' control points; overdue first."""
    roadmaps = "SELECT id FROM roadmap WHERE territory_id IN (SELECT ancestor_id FROM territoryclosure WHERE descendant_id = :tid)"
    rows = _rows(engine, f"""
        SELECT 'Мероприятие' AS kind, a.number, a.title, a.deadline_text, a.due_date, a.responsible, a.status,
               CASE WHEN EXISTS (SELECT 1 FROM activityschool x WHERE x.activity_id = a.id AND x.school_id = :sid)
                    THEN 1 ELSE 0 END AS named
        FROM activity a
        WHERE a.roadmap_id IN ({roadmaps})
          AND (EXISTS (SELECT 1 FROM activityschool x WHERE x.activity_id = a.id AND x.school_id = :sid)
               OR NOT EXISTS (SELECT 1 FROM activityschool x WHERE x.activity_id = a.id))
        UNION ALL
        SELECT 'Контрольная точка', c.number, c.title, c.deadline_text, c.due_date, c.responsible, c.status, 0
        FROM controlpoint c WHERE c.roadmap_id IN ({roadmaps})""", {"sid": school_id, "tid": territory_id})
    for r in rows:
        r["due_date"] = _as_date(r["due_date"]) if r["due_date"] else None
        r["overdue"] = rm_rules.is_overdue(r["due_date"], r["status"], today)
        r["status_text"] = rm_rules.ACTIVITY_STATUSES.get(r["status"], r["status"])
    rows.sort(key=lambda r: rm_rules.sort_key(r["due_date"], r["status"], today))
    return pd.DataFrame(rows, columns=["kind", "number", "title", "deadline_text", "due_date", "responsible", "status",
                                       "named", "overdue", "status_text"])


# ---------------------------------------------------------------------------------------------
# Indicator page
# ---------------------------------------------------------------------------------------------
@dataclass
class IndicatorView:
    card: TargetCard
    unit_label: str  # "Школа" or "Территория"
    current: pd.DataFrame  # unit, value, numerator, denominator, status, flags at the card's period
    history: pd.DataFrame  # unit x period values
    average: float | None  # the average school of the territory at the card's period
    numerator_label: str | None
    denominator_label: str | None


def indicator_view(scope: Scope, roadmap_id: int, target_id: int, as_of: date | None = None,
                   engine: Engine | None = None, ov: Overview | None = None) -> IndicatorView:
    """One target's indicator across the units of the roadmap's territory: current values with
    numerators and denominators, ranking and history. Reuses the overview's evaluation."""
    engine = engine or get_engine()
    if ov is None:  # a caller that has the same overview (cached) passes it in
        ov = overview(scope, roadmap_id, as_of, engine)
    card = next((c for c in ov.cards if c.target_id == target_id), None)
    if card is None:
        raise deny(scope, f"цель {target_id} дорожной карты {roadmap_id}", engine)
    tid = ov.roadmap["territory_id"]
    ind = _rows(engine, "SELECT numerator_label, denominator_label FROM indicator WHERE id = :i",
                {"i": card.indicator_id})[0]
    now_pid = next((s["period_id"] for s in card.series if s["label"] == card.as_of_label), None)
    statuses = dict(zip(ov.matrix["unit_id"], ov.matrix[card.short_name])) if (
        not ov.matrix.empty and card.short_name in ov.matrix.columns) else {}
    cols = ["unit_id", "Название", "ШНОР", "ШНСУ", "value", "numerator", "denominator", "status"]
    if ov.unit_label == "Школа":
        rows = _rows(engine, """
            SELECT s.id AS unit_id, s.short_name AS name, s.is_shnor, s.is_shnsu, m.value, m.numerator, m.denominator,
                   m.period_id, p.label
            FROM school s
            LEFT JOIN measurement m ON m.school_id = s.id AND m.indicator_id = :ind
            LEFT JOIN period p ON p.id = m.period_id
            WHERE s.territory_id = :tid ORDER BY p."end", s.short_name""", {"ind": card.indicator_id, "tid": tid})
        rows = [r for r in rows if scope.can_see_school(r["unit_id"], tid)]
    else:
        kids = _children(engine, tid, scope)
        ser = _group_series(engine, [k["id"] for k in kids], [card.indicator_id], [card.group])
        names = {k["id"]: k["name"] for k in kids}
        rows = [{"unit_id": k, "name": names[k], "is_shnor": False, "is_shnsu": False, "value": x["value"],
                 "numerator": x.get("sum_numerator"), "denominator": x.get("sum_denominator"),
                 "period_id": x["period_id"], "label": x["label"]}
                for (k, _, _), xs in ser.items() for x in xs]
    current = pd.DataFrame([
        {"unit_id": r["unit_id"], "Название": r["name"], "ШНОР": bool(r["is_shnor"]), "ШНСУ": bool(r["is_shnsu"]),
         "value": r["value"], "numerator": r["numerator"], "denominator": r["denominator"],
         "status": statuses.get(r["unit_id"])}
        for r in rows if r["period_id"] == now_pid], columns=cols)
    hist = pd.DataFrame([{"Название": r["name"], "label": r["label"], "value": r["value"]}
                         for r in rows if r["period_id"] is not None], columns=["Название", "label", "value"])
    order = [s["label"] for s in card.series]
    history = (hist.pivot_table(index="Название", columns="label", values="value", aggfunc="first")
               .reindex(columns=[o for o in order if o in set(hist["label"])]) if not hist.empty else pd.DataFrame())
    avg = next((x["average"] for x in _group_series(engine, [tid], [card.indicator_id], ["all"]).get(
        (tid, card.indicator_id, "all"), []) if x["period_id"] == now_pid), None)
    return IndicatorView(card=card, unit_label=ov.unit_label, current=current, history=history, average=avg,
                         numerator_label=ind["numerator_label"], denominator_label=ind["denominator_label"])


def curated_schools(scope: Scope, engine: Engine | None = None, today: date | None = None) -> list[dict]:
    """A curator's schools: each curated school with its target statuses, overdue items and risk
    factors (the curator's own school is not in the list)."""
    engine = engine or get_engine()
    if scope.own_school_id is None:
        return []
    rows = _rows(engine, """
        SELECT s.id, s.code, s.short_name, s.is_shnor, s.is_shnsu, t.name AS territory
        FROM curatorlink l JOIN school s ON s.id = l.school_id JOIN territory t ON t.id = s.territory_id
        WHERE l.curator_school_id = :own ORDER BY s.short_name""", {"own": scope.own_school_id})
    out = []
    for r in rows:
        if not scope.can_see_school(r["id"], None):
            continue
        view = school_view(scope, r["id"], engine, today)
        statuses = [t.evaluation.status for t in view.targets]
        r.update(statuses={k: statuses.count(k) for k in dict.fromkeys(statuses)},
                 n_targets=len(statuses), n_overdue=int(view.activities["overdue"].sum()) if not view.activities.empty else 0,
                 risks=list(view.risks["code"]), targets=view.targets)
        out.append(r)
    return out
