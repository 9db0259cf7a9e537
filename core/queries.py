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

from core import access
from core import school_plan
from core import formatting as fmt
from core import settings
from core import roadmap as rm_rules
from core import summary as summ
from core import target_counts as counts
from core import targets as tg
from core import vocabulary as voc
from core.targets import evaluation as ev_mod
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
    rows = access.rows(engine, """
        SELECT r.id, r.code, r.title, r.year_from, r.year_to, r.is_demo, r.territory_id,
               t.name AS territory, (SELECT COUNT(*) FROM target x WHERE x.roadmap_id = r.id) AS n_targets
        FROM roadmap r JOIN territory t ON t.id = r.territory_id
        WHERE r.territory_id IN ({territories})
        ORDER BY t.name, r.year_from, r.id""", scope)
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
    lagging: list[str] = field(default_factory=list)  # the units marked «Отстаёт» in the matrix
    column: str = ""  # the matrix column's heading (the short name, with the group when two targets share it)
    coverage: str | None = None  # «данные 4 из 5 школ»
    missing: list[str] = field(default_factory=list)  # the schools whose data the group value lacks
    forecast_basis: str | None = None
    result: ev_mod.Result | None = None

    @property
    def meeting_text(self) -> str:
        """«выполняют 3 из 9 школ», or «нет данных ни от одной школы» (no group value, nobody meets)."""
        return fmt.schools_meeting(self.n_meeting, self.n_schools,
                                   self.evaluation.value is not None or self.n_meeting > 0)


@dataclass
class Overview:
    roadmap: dict
    as_of: date | None
    as_of_label: str | None
    cards: list[TargetCard]
    # one row per school (or member territory): unit_id, the unit's name, ШНОР, ШНСУ, then one status
    # column per target keyed by the target's id (two targets on one indicator are two columns)
    matrix: pd.DataFrame
    is_demo: bool
    unit: str = voc.SCHOOL_UNIT  # the matrix's units: vocabulary.SCHOOL_UNIT or TERRITORY_UNIT
    cut: date | None = None  # «по состоянию на»
    results: dict = field(default_factory=dict)  # {(target id, Subject): Result} of the matrix

    @property
    def unit_label(self) -> str:
        """The matrix's first column: «Школа» or «Территория»."""
        return voc.UNIT_LABELS[self.unit]


def _target_rows(engine: Engine, roadmap_id: int) -> list[dict]:
    with engine.connect() as conn:
        return ev_mod.target_rows(conn, roadmap_id=roadmap_id)


def _milestone_rows(engine: Engine, target_ids: list[int]) -> dict[int, list[dict]]:
    with engine.connect() as conn:
        return counts.milestones_of(conn, target_ids)


def _group_series(engine: Engine, territory_ids: list[int], indicator_ids: list[int],
                  grps: list[str] | None = None, period_ids: list[int] | None = None, cut: date | None = None) -> dict:
    """See core.targets.evaluation.group_series."""
    with engine.connect() as conn:
        return ev_mod.group_series(conn, territory_ids, indicator_ids, grps, period_ids, cut)


def _children(engine: Engine, territory_id: int, scope: Scope) -> list[dict]:
    return access.rows(engine, """
        SELECT t.id, t.name FROM territoryclosure c JOIN territory t ON t.id = c.descendant_id
        WHERE c.ancestor_id = :tid AND c.depth = 1 AND t.id IN ({territories}) ORDER BY t.name""", scope,
                       {"tid": territory_id})


def _schools(engine: Engine, territory_id: int, scope: Scope) -> list[dict]:
    return access.rows(engine, """
        SELECT id, code, name, short_name, is_shnor, is_shnsu, is_leader, is_demo
        FROM school WHERE territory_id = :tid AND id IN ({schools}) ORDER BY short_name""", scope,
                       {"tid": territory_id})


def in_group(school: dict, grp: str) -> bool:
    return ev_mod._in_group(school, grp)


def roadmap_info(scope: Scope, roadmap_id: int, engine: Engine | None = None) -> dict:
    engine = engine or get_engine()
    rows = access.rows(engine, """
        SELECT r.id, r.code, r.title, r.year_from, r.year_to, r.approved_by, r.goal, r.is_demo,
               r.territory_id, t.name AS territory
        FROM roadmap r JOIN territory t ON t.id = r.territory_id
        WHERE r.id = :rid AND r.territory_id IN ({territories})""", scope, {"rid": roadmap_id})
    if not rows:
        raise deny(scope, f"дорожная карта {roadmap_id}", engine)
    return rows[0]


def _columns(trows: list[dict]) -> dict[int, str]:
    """Each target's matrix heading: its short name, with the group when two targets share it."""
    names = [r["short_name"] for r in trows]
    return {r["id"]: r["short_name"] + (f" ({voc.GROUP_LABELS.get(r['applies_to'], r['applies_to'])})"
                                        if names.count(r["short_name"]) > 1 else "") for r in trows}


def overview(scope: Scope, roadmap_id: int, as_of: date | None = None,
             engine: Engine | None = None) -> Overview:
    """Every target of a roadmap evaluated by core.targets.evaluation as of the cut `as_of`
    (default: today; shown as the latest period with data), with the group series for charts and
    the status matrix: schools x targets for a municipality, its member territories x targets for
    a region or a country."""
    engine = engine or get_engine()
    rm = roadmap_info(scope, roadmap_id, engine)
    if not scope.sees_whole_territory:
        raise deny(scope, "обзор территории доступен руководителю управления, методисту и администратору",
                   engine)
    territory_id = rm["territory_id"]
    cut = as_of or settings.today(engine)
    top = ev_mod.Subject.territory(territory_id)
    with engine.connect() as conn:
        trows = ev_mod.target_rows(conn, roadmap_id=roadmap_id)
        milestones = counts.milestones_of(conn, [r["id"] for r in trows])
        # the territory's series up to the cut, read once: the period judged, the tiles, the average
        top_series = ev_mod.group_series(conn, [territory_id], sorted({r["indicator_id"] for r in trows}),
                                         sorted({r["applies_to"] for r in trows} | {"all", "territory"}), cut=cut)
        now = ev_mod.judged_periods(conn, trows, cut, top_series)
        tiles = ev_mod.evaluate_many(conn, trows, [top], cut, milestones=milestones, now=now, series=top_series)
        avg_all = top_series
        missing_ids = sorted({i for res in tiles.values() for i in res.evaluation.missing_ids})
        names = {x["id"]: x["short_name"] for x in counts._rows(
            conn, "SELECT id, short_name FROM school WHERE id IN :ids", {"ids": missing_ids or [-1]}, ("ids",))}
    if as_of is None and now:
        as_of = max(p["end"] for p in now.values())
    columns = _columns(trows)

    cards: list[TargetCard] = []
    for r in trows:
        res = tiles[(r["id"], top)]
        e = res.evaluation
        grp = ev_mod.group_of(r, top)
        avg = [x for x in avg_all.get((territory_id, r["indicator_id"], "all"), [])
               if x["kind"] == (ev_mod.period_kind(r) or x["kind"])]
        t_base, t_due = _times(r)
        expected_path = []
        if e.baseline is not None and t_base is not None and e.target_value is not None and t_due:
            expected_path = [{"t": t_base, "label": r["baseline_label"], "value": e.baseline},
                             {"t": t_due, "label": r["due_label"], "value": e.target_value}]
        cards.append(TargetCard(
            target_id=r["id"], number=r["number"], wording=r["wording"], indicator_id=r["indicator_id"],
            indicator_code=r["indicator_code"], indicator_name=r["indicator_name"], short_name=r["short_name"],
            unit=r["unit"], value_kind=r["value_kind"], level=r["level"], kind=r["kind"], amount=r["amount"],
            rule_text=fmt.rule(r["kind"], r["amount"], r["unit"], r["baseline_label"]),
            group=grp, baseline_label=r["baseline_label"], due_label=r["due_label"],
            due_end=_as_date(r["due_end"]) if r["due_end"] else None,
            as_of_label=res.period_label, evaluation=e,
            series=[{"period_id": x.period_id, "label": x.label, "t": x.t, "end": x.end, "value": x.value}
                    for x in res.series],
            average_series=[{"label": x["label"], "t": x["t"], "end": x["end"], "value": x["value"]}
                            for x in avg] if grp not in ("all", "territory") and r["value_kind"] in ("share", "value")
            else [],
            expected_path=expected_path,
            milestones=[{"label": m["label"], "t": m["t"], "value": m["value"], "note": m["note"]}
                        for m in milestones.get(r["id"], [])],
            column=columns[r["id"]], coverage=res.coverage_text,
            missing=[names.get(i, str(i)) for i in e.missing_ids], forecast_basis=res.forecast_basis, result=res,
        ))

    children = _children(engine, territory_id, scope)
    if children:
        matrix, results = _territory_matrix(engine, territory_id, trows, cards, now, children, cut, milestones,
                                            avg_all)
        unit = voc.TERRITORY_UNIT
    else:
        matrix, results = _school_matrix(engine, trows, cards, now, _schools(engine, territory_id, scope), cut,
                                         milestones)
        unit = voc.SCHOOL_UNIT
    return Overview(roadmap=rm, as_of=as_of,
                    as_of_label=fmt.month_year(as_of) if as_of else None,
                    cards=cards, matrix=matrix, is_demo=bool(rm["is_demo"]), unit=unit, cut=cut,
                    results=results)


def _territory_matrix(engine, territory_id, trows, cards, now, children, cut, milestones, top_series):
    """Member territories x targets: each target evaluated on each member's schools of the
    target's group (like for like, as the tile); the count of schools meeting each target comes
    from the kept counts (SQL over all the schools below, tests/test_evaluation.py)."""
    by_id = {c.target_id: c for c in cards}
    pids = {p["period_id"] for p in now.values()} | {r["baseline_period_id"] for r in trows if r["baseline_period_id"]}
    for c in cards:  # the periods the forecast reads
        pids |= {s["period_id"] for s in c.series[-tg.FORECAST_PERIODS:]}
    subjects = [ev_mod.Subject.territory(ch["id"]) for ch in children]
    with engine.connect() as conn:
        results = ev_mod.evaluate_many(conn, trows, subjects, cut, milestones=milestones, now=now,
                                       with_missing=False, period_ids=sorted(pids), status_only=True)
    out = []
    for ch, subj in zip(children, subjects):
        row = {"unit_id": ch["id"], "Территория": ch["name"]}
        for r in trows:
            status = results[(r["id"], subj)].status
            row[r["id"]] = status
            if status in voc.LAGGING:
                by_id[r["id"]].lagging.append(ch["name"])
        out.append(row)
    judged = [r for r in trows if r["level"] == "school" and r["judged_on"] in ("school", "both") and r["id"] in now]
    items = []
    avg = top_series  # the territory's series up to the cut: the periods judged are in it
    for r in judged:
        pid = now[r["id"]]["period_id"]
        a = next((x["average"] for x in avg.get((territory_id, r["indicator_id"], "all"), [])
                  if x["period_id"] == pid), None)
        items.append((r, pid, a, milestones.get(r["id"], [])))
    with engine.connect() as conn:  # kept with the summary; counted now only if missing
        kept = counts.read(conn, territory_id, [(r["id"], pid) for r, pid, _, _ in items])
        missing = [it for it in items if (it[0]["id"], it[1]) not in kept]
        live = dict(zip([(r["id"], pid) for r, pid, _, _ in missing],
                        counts.count_meeting_many(conn, territory_id, missing)))
    for r, pid, _, _ in items:
        by_id[r["id"]].n_schools, by_id[r["id"]].n_meeting = kept.get((r["id"], pid)) or live[(r["id"], pid)]
    return pd.DataFrame(out, columns=["unit_id", "Территория"] + [r["id"] for r in trows]), results


def count_meeting(engine: Engine, territory_id: int, r: dict, period_id: int, average: float | None,
                  milestones: list[dict]) -> tuple[int, int]:
    """Schools of target r's group below a territory and those meeting it at a period, counted now."""
    with engine.connect() as conn:
        return counts.count_meeting_many(conn, territory_id, [(r, period_id, average, milestones)])[0]


def _school_matrix(engine, trows, cards, now, schools, cut, milestones):
    """Per-school status of each school-level target (judged on each school by the evaluation)."""
    by_id = {c.target_id: c for c in cards}
    school_rows = [r for r in trows if r["level"] == "school" and r["judged_on"] in ("school", "both")]
    subjects = {s["id"]: ev_mod.Subject.school(s["id"]) for s in schools}
    with engine.connect() as conn:
        results = ev_mod.evaluate_many(conn, school_rows, list(subjects.values()), cut, milestones=milestones,
                                       now=now)
    out = []
    for s in sorted(schools, key=lambda s: (not s["is_shnor"], not s["is_shnsu"], s["short_name"])):
        row = {"unit_id": s["id"], "Школа": s["short_name"], "ШНОР": bool(s["is_shnor"]),
               "ШНСУ": bool(s["is_shnsu"])}
        for r in school_rows:
            card = by_id[r["id"]]
            res = results.get((r["id"], subjects[s["id"]]))
            if res is None:  # not in the target's group
                row[r["id"]] = None
                continue
            card.n_schools += 1
            row[r["id"]] = res.status
            if res.evaluation.meets_target:
                card.n_meeting += 1
            elif res.status in voc.LAGGING:
                card.lagging.append(s["short_name"])
        out.append(row)
    return pd.DataFrame(out, columns=["unit_id", "Школа", "ШНОР", "ШНСУ"] + [r["id"] for r in school_rows]), results


# ---------------------------------------------------------------------------------------------
# School page
# ---------------------------------------------------------------------------------------------
def schools(scope: Scope, engine: Engine | None = None) -> pd.DataFrame:
    """The schools the user may open (a principal: their own; a curator: the curated ones)."""
    engine = engine or get_engine()
    rows = access.rows(engine, """
        SELECT s.id, s.code, s.name, s.short_name, s.kind, s.is_shnor, s.is_shnsu, s.is_leader, s.is_demo,
               s.territory_id, t.name AS territory
        FROM school s JOIN territory t ON t.id = s.territory_id
        WHERE s.id IN ({schools})
        ORDER BY t.name, s.short_name""", scope)
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
    target_id: int = 0
    forecast_basis: str | None = None
    result: ev_mod.Result | None = None


@dataclass
class SchoolView:
    school: dict
    targets: list[SchoolTarget]
    curators: list[str]
    curated: list[str]
    risks: pd.DataFrame = field(default_factory=pd.DataFrame)  # group, code, name
    activities: pd.DataFrame = field(default_factory=pd.DataFrame)  # kind, number, title, deadline, ...
    groups: list[str] = field(default_factory=list)  # «Триада 1: Золотонивская СШ, Красовская СШ, …»


def school_view(scope: Scope, school_id: int, engine: Engine | None = None, today: date | None = None,
                as_of: date | None = None) -> SchoolView:
    """One school against its own targets (from its own baseline) and the territory average, as
    of the cut `as_of` (default: today); activities overdue as of the cut."""
    engine = engine or get_engine()
    rows = access.rows(engine, """
        SELECT s.*, t.name AS territory FROM school s JOIN territory t ON t.id = s.territory_id
        WHERE s.id = :sid AND s.id IN ({schools})""", scope, {"sid": school_id})
    if not rows:
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
    cut = as_of or settings.today(engine)
    subject = ev_mod.Subject.school(school_id)
    with engine.connect() as conn:
        full = {r["id"]: r for r in ev_mod.target_rows(conn, target_ids=[r["id"] for r in trows])}
        # compared with the average school of the territory whose roadmap sets the target; read once
        groups = ev_mod.group_series(conn, sorted({r["roadmap_territory_id"] for r in trows}),
                                     sorted({r["indicator_id"] for r in trows}), ["all", "territory"], cut=cut)
        now = ev_mod.judged_periods(conn, list(full.values()), cut, groups)
        results = ev_mod.evaluate_many(conn, list(full.values()), [subject], cut, now=now, series=groups)
    out = []
    for r in trows:
        res = results.get((r["id"], subject))
        if res is None:
            continue
        e = res.evaluation
        kind = ev_mod.period_kind(full[r["id"]])
        avg = [x for x in groups.get((r["roadmap_territory_id"], r["indicator_id"], "all"), [])
               if kind is None or x["kind"] == kind]
        t_base, t_due = _times(full[r["id"]])
        path = []
        if e.baseline is not None and e.target_value is not None and t_base and t_due:
            path = [{"t": t_base, "end": _as_date(r["baseline_end"]), "value": e.baseline},
                    {"t": t_due, "end": _as_date(r["due_end"]), "value": e.target_value}]
        out.append(SchoolTarget(
            roadmap_title=r["roadmap_title"], number=r["number"], short_name=r["short_name"],
            indicator_name=r["indicator_name"], unit=r["unit"],
            rule_text=fmt.rule(r["kind"], r["amount"], r["unit"], r["baseline_label"]), evaluation=e,
            average=res.average, as_of_label=res.period_label,
            series=[{"label": x.label, "end": x.end, "value": x.value} for x in res.series],
            average_series=[{"label": x["label"], "end": x["end"], "value": x["average"]} for x in avg],
            expected_path=path, target_id=r["id"], forecast_basis=res.forecast_basis, result=res))
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
                      risks=_school_risks(engine, school_id),
                      activities=_school_activities(engine, school_id, tid, as_of or today or settings.today(engine)))


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
    unit: str  # vocabulary.SCHOOL_UNIT or TERRITORY_UNIT
    current: pd.DataFrame  # unit, value, numerator, denominator, status, flags at the card's period
    history: pd.DataFrame  # unit x period values
    average: float | None  # the average school of the territory at the card's period
    numerator_label: str | None
    denominator_label: str | None

    @property
    def unit_label(self) -> str:
        return voc.UNIT_LABELS[self.unit]


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
    now_pid = card.result.period_id if card.result else None
    statuses = dict(zip(ov.matrix["unit_id"], ov.matrix[target_id])) if (
        not ov.matrix.empty and target_id in ov.matrix.columns) else {}
    cut = ov.cut or settings.today(engine)
    cols = ["unit_id", "Название", "ШНОР", "ШНСУ", "value", "numerator", "denominator", "status"]
    if ov.unit == voc.SCHOOL_UNIT:
        rows = access.rows(engine, """
            SELECT s.id AS unit_id, s.short_name AS name, s.is_shnor, s.is_shnsu, m.value, m.numerator, m.denominator,
                   m.period_id, p.label
            FROM school s
            LEFT JOIN (measurement m JOIN period p ON p.id = m.period_id AND p."end" <= :cut)
                   ON m.school_id = s.id AND m.indicator_id = :ind
            WHERE s.territory_id = :tid AND s.id IN ({schools}) ORDER BY p."end", s.short_name""", scope,
                           {"ind": card.indicator_id, "tid": tid, "cut": cut})
    else:
        kids = _children(engine, tid, scope)
        ser = _group_series(engine, [k["id"] for k in kids], [card.indicator_id], [card.group], cut=cut)
        names = {k["id"]: k["name"] for k in kids}
        rows = [{"unit_id": k, "name": names[k], "is_shnor": False, "is_shnsu": False, "value": x["value"],
                 "numerator": x.get("sum_numerator"), "denominator": x.get("sum_denominator"),
                 "period_id": x["period_id"], "label": x["label"]}
                for (k, _, _), xs in ser.items() for x in xs]
    current = pd.DataFrame([
        {"unit_id": r["unit_id"], "Название": r["name"], "ШНОР": bool(r["is_shnor"]), "ШНСУ": bool(r["is_shnsu"]),
         "value": r["value"], "numerator": r["numerator"], "denominator": r["denominator"],
         "status": statuses.get(r["unit_id"])}
        for r in rows if now_pid is not None and r["period_id"] == now_pid], columns=cols)
    hist = pd.DataFrame([{"Название": r["name"], "label": r["label"], "value": r["value"]}
                         for r in rows if r["period_id"] is not None], columns=["Название", "label", "value"])
    order = [s["label"] for s in card.series]
    history = (hist.pivot_table(index="Название", columns="label", values="value", aggfunc="first")
               .reindex(columns=[o for o in order if o in set(hist["label"])]) if not hist.empty else pd.DataFrame())
    avg = next((x["average"] for x in _group_series(engine, [tid], [card.indicator_id], ["all"], cut=cut).get(
        (tid, card.indicator_id, "all"), []) if x["period_id"] == now_pid), None)
    return IndicatorView(card=card, unit=ov.unit, current=current, history=history, average=avg,
                         numerator_label=ind["numerator_label"], denominator_label=ind["denominator_label"])


def curated_schools(scope: Scope, engine: Engine | None = None, today: date | None = None) -> list[dict]:
    """A curator's schools: each curated school with its target statuses, overdue items and risk
    factors (the curator's own school is not in the list)."""
    engine = engine or get_engine()
    if scope.own_school_id is None:
        return []
    rows = access.rows(engine, """
        SELECT s.id, s.code, s.short_name, s.is_shnor, s.is_shnsu, t.name AS territory
        FROM curatorlink l JOIN school s ON s.id = l.school_id JOIN territory t ON t.id = s.territory_id
        WHERE l.curator_school_id = :own AND s.id IN ({schools}) ORDER BY s.short_name""", scope,
                       {"own": scope.own_school_id})
    out = []
    for r in rows:
        view = school_view(scope, r["id"], engine, today)
        statuses = [t.evaluation.status for t in view.targets]
        own = school_plan.own_items(view.activities)  # the school page's rule, one place
        r.update(statuses={k: statuses.count(k) for k in dict.fromkeys(statuses)},
                 n_targets=len(statuses), n_overdue=int(view.activities["overdue"].sum()) if not view.activities.empty else 0,
                 n_own=own[1], n_overdue_own=own[2],
                 risks=list(view.risks["code"]), targets=view.targets)
        out.append(r)
    return out
