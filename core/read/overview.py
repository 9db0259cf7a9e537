"""The overview of a roadmap: one TargetCard per target (the tile, the slide, the trend) and the
status matrix (schools × targets for a municipality, member territories × targets above it).

Group values come from `measurementsummary` (kept up to date by every write), so a screen never
scans raw measurement rows; per-school rows are read only for the periods a screen shows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Mapping

from sqlalchemy.engine import Engine

from core import access, approval
from core import figures
from core import formatting as fmt
from core import settings
from core import target_counts as counts
from core import targets as tg
from core import vocabulary as voc
from core.auth import Scope, deny
from core.db import get_engine
from core.read.types import MatrixRow, Milestone, SeriesPoint, period_starts, points, verdict_notes
from core.targets import evaluation as ev_mod
from core.targets.evaluation import Result, as_date


@dataclass(frozen=True)
class Roadmap:
    id: int
    code: str
    title: str
    year_from: int | None
    year_to: int | None
    approved_by: str | None
    goal: str | None
    is_demo: bool
    territory_id: int
    territory: str


@dataclass(frozen=True)
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
    as_of_label: str | None  # the period judged («III кв. 2024»)
    period_id: int | None  # the period judged
    evaluation: tg.Evaluation
    result: Result
    series: tuple[SeriesPoint, ...] = ()  # the group's values up to the cut
    average_series: tuple[SeriesPoint, ...] = ()  # the territory's average school (all schools)
    expected_path: tuple[SeriesPoint, ...] = ()  # the straight path: (base, value at base), (due, target)
    milestones: tuple[Milestone, ...] = ()
    n_schools: int = 0
    n_meeting: int = 0
    lagging: tuple[str, ...] = ()  # the units marked «Отстаёт» in the matrix
    column: str = ""  # the matrix column's heading (the short name, with the group when two targets share it)
    coverage: str | None = None  # «данные 4 из 5 школ»
    missing: tuple[str, ...] = ()  # the schools whose data the group value lacks
    forecast_basis: str | None = None
    notes: tuple[str, ...] = ()  # what the verdict depends on: at the deadline, preliminary, a quarter being collected
    population: str = ""  # whose figure it is: «ШНОР и ШНСУ, 5 школ» (figures.population)
    territory_value: float | None = None  # every school of the territory at the same period (a subset's target)
    territory_note: str = ""  # «по городу 61 %» ("" when the group is the whole territory)
    expected: float | None = None  # what the plan expects by now, as it can be met (figures.expected_shown)
    expected_note: str | None = None  # «4 из 9» for a share of a few people
    approval: approval.Approved | None = None  # the tile as approved (then `evaluation` is the stored figure)

    @property
    def population_text(self) -> str:
        """«ШНОР и ШНСУ, 5 школ · по городу 61 %»: whose figure it is, the territory's value beside it."""
        return " · ".join(x for x in (self.population, self.territory_note) if x)

    @property
    def expected_text(self) -> str:
        """«44,4 % (4 из 9)», «213 чел.», «—»."""
        return figures.expected_text(self.expected, self.expected_note, self.unit)

    @property
    def forecast_text(self) -> str:
        """«Прогноз к сроку: …» with its honest basis (figures.forecast_text)."""
        return figures.result_forecast_text(self.result, self.series, self.due_end, self.unit)

    @property
    def meeting_text(self) -> str:
        """«выполняют 3 из 9 школ», or «нет данных ни от одной школы» (no group value, nobody meets)."""
        return fmt.schools_meeting(self.n_meeting, self.n_schools,
                                   self.evaluation.value is not None or self.n_meeting > 0)


@dataclass(frozen=True)
class LaggingUnit:
    unit_id: int
    name: str
    targets: tuple[int, ...]  # the numbers of the targets it lags on («цели 2, 4»)


@dataclass(frozen=True)
class Overview:
    roadmap: Roadmap
    as_of: date | None  # the latest period judged (shown as «по состоянию на»)
    as_of_label: str | None
    cards: tuple[TargetCard, ...]
    rows: tuple[MatrixRow, ...]  # the matrix: one row per school (or member territory)
    matrix_targets: tuple[int, ...]  # the targets judged per unit: the matrix's columns
    is_demo: bool
    unit: str = voc.SCHOOL_UNIT  # the matrix's units: vocabulary.SCHOOL_UNIT or TERRITORY_UNIT
    cut: date | None = None  # «по состоянию на»
    period_labels: tuple[tuple[date, str], ...] = ()  # (a period's last day, «2023 г.»), in order
    # figures an approval froze: {(target id, "territory" | "school", unit id): approval.Approved}
    approvals: Mapping[tuple[int, str, int], approval.Approved] = field(default_factory=dict)

    @property
    def cut_options(self) -> list[date]:
        """The cuts a slider offers: every period end with a value on a tile's line, and the cut this
        overview was read at (the latest period judged — after a deadline that may be a due period
        without data, which must stay reachable: today's verdict, not an older quarter's)."""
        ends = {s.end for c in self.cards for s in c.series if s.value is not None}
        if self.as_of is not None:
            ends.add(self.as_of)
        return sorted(ends)

    def cut_label(self, d: date | None) -> str:
        """A cut in the words of the data's periods: «III кв. 2024» for quarterly data, «2023 г.» for
        yearly (never «IV кв. 2023» for a year), «IV кв. 2023 / 2023 г.» for both; a date otherwise."""
        return next((lab for end, lab in self.period_labels if end == d), None) or fmt.cut_label(d)

    @property
    def unit_label(self) -> str:
        """The matrix's first column: «Школа» or «Территория»."""
        return voc.UNIT_LABELS[self.unit]

    def card(self, target_id: int) -> TargetCard | None:
        return next((c for c in self.cards if c.target_id == target_id), None)

    def lagging_units(self) -> tuple[LaggingUnit, ...]:
        """Who lags and where, for the first screen's «Отстают: СОШ № 8 (цель 2), …»: each unit with a
        cell «Отстаёт» in the matrix (exactly the cells the matrix marks, vocabulary.LAGGING) and the
        numbers of those targets; the units lagging on most targets first, then in natural order."""
        numbers = {c.target_id: c.number for c in self.cards}
        out = [LaggingUnit(r.unit_id, r.name, tuple(sorted(numbers[t] for t in self.matrix_targets
                                                             if t in numbers and r.status(t) in voc.LAGGING)))
               for r in self.rows]
        return tuple(sorted((u for u in out if u.targets), key=lambda u: (-len(u.targets), fmt.natural_key(u.name))))

    def status(self, unit_id: int, target_id: int) -> str | None:
        row = next((r for r in self.rows if r.unit_id == unit_id), None)
        return None if row is None else row.status(target_id)


def roadmap_info(scope: Scope, roadmap_id: int, engine: Engine | None = None, conn=None) -> Roadmap:
    """The roadmap if the user may see it; refused (and logged) otherwise. `conn`: a connection to
    read with (the caller's)."""
    engine = engine or get_engine()
    rows = access.rows(conn if conn is not None else engine, """
        SELECT r.id, r.code, r.title, r.year_from, r.year_to, r.approved_by, r.goal, r.is_demo,
               r.territory_id, t.name AS territory
        FROM roadmap r JOIN territory t ON t.id = r.territory_id
        WHERE r.id = :rid AND r.territory_id IN ({territories})""", scope, {"rid": roadmap_id})
    if not rows:
        raise deny(scope, f"дорожная карта {roadmap_id}", engine)
    r = rows[0]
    return Roadmap(**{**r, "is_demo": bool(r["is_demo"])})


def children(executor, territory_id: int, scope: Scope) -> list[dict]:
    """The member territories (one level down) of a territory that the user sees: id, name.
    executor: an Engine or a Connection."""
    return access.rows(executor, """
        SELECT t.id, t.name FROM territoryclosure c JOIN territory t ON t.id = c.descendant_id
        WHERE c.ancestor_id = :tid AND c.depth = 1 AND t.id IN ({territories}) ORDER BY t.name""", scope,
                       {"tid": territory_id})


def _schools(conn, territory_id: int, scope: Scope) -> list[dict]:
    """The territory's schools the user sees, in natural order (each with its `natural_key`)."""
    rows = access.rows(conn, """
        SELECT id, code, name, short_name, is_shnor, is_shnsu, is_leader, is_demo
        FROM school WHERE territory_id = :tid AND id IN ({schools}) ORDER BY short_name""", scope,
                       {"tid": territory_id})
    for r in rows:
        r["natural_key"] = fmt.natural_key(r["short_name"])
    return sorted(rows, key=lambda r: r["natural_key"])


def _columns(trows: list[dict]) -> dict[int, str]:
    """Each target's matrix heading: its short name, with the group when two targets share it."""
    names = [r["short_name"] for r in trows]
    return {r["id"]: r["short_name"] + (f" ({voc.GROUP_LABELS.get(r['applies_to'], r['applies_to'])})"
                                        if names.count(r["short_name"]) > 1 else "") for r in trows}


def expected_path(r: dict, e: tg.Evaluation, starts: dict[int, date],
                  start: float | None = None) -> tuple[SeriesPoint, ...]:
    """The planned straight path of target row r: its baseline at the base period (or `start`, the
    group's, for a school without its own on a level target), its target at the due one."""
    base = e.baseline if e.baseline is not None else start
    if base is None or e.target_value is None or not r["baseline_end"] or not r["due_end"]:
        return ()
    return (SeriesPoint(r["baseline_period_id"], r["baseline_label"], starts.get(r["baseline_period_id"]),
                        as_date(r["baseline_end"]), base),
            SeriesPoint(r["due_period_id"], r["due_label"], starts.get(r["due_period_id"]),
                        as_date(r["due_end"]), e.target_value))


def overview(scope: Scope, roadmap_id: int, as_of: date | None = None,
             engine: Engine | None = None) -> Overview:
    """Every target of a roadmap evaluated by core.targets.evaluation as of the cut `as_of`
    (default: today; shown as the latest period with data), with the group series for charts and
    the status matrix: schools x targets for a municipality, its member territories x targets for
    a region or a country."""
    engine = engine or get_engine()
    cut = as_of or settings.today(engine)
    with engine.connect() as conn:  # one connection for every read
        rm = roadmap_info(scope, roadmap_id, engine, conn)
        if not scope.sees_whole_territory:
            raise deny(scope, "обзор территории доступен руководителю управления, методисту и администратору",
                       engine)
        territory_id = rm.territory_id
        top = ev_mod.Subject.territory(territory_id)
        kids = children(conn, territory_id, scope)
        schools = [] if kids else _schools(conn, territory_id, scope)
        trows = ev_mod.target_rows(conn, roadmap_id=roadmap_id)
        milestones = counts.milestones_of(conn, [r["id"] for r in trows])
        # the territory's series up to the cut, read once: the period judged, the tiles, the average
        top_series = ev_mod.group_series(conn, [territory_id], sorted({r["indicator_id"] for r in trows}),
                                         sorted({r["applies_to"] for r in trows} | {"all", "territory"}), cut=cut,
                                         territory_level=[r["indicator_id"] for r in trows if r["level"] == "territory"])
        all_sizes = counts.group_sizes(conn, [territory_id])
        sizes = {g: all_sizes.get((territory_id, g), 0) for g in counts.GROUP_SQL}
        now = ev_mod.judged_periods(conn, trows, cut, top_series, sizes=all_sizes)
        tiles = ev_mod.evaluate_many(conn, trows, [top], cut, milestones=milestones, now=now, series=top_series)
        if kids:
            cells = _territory_cells(conn, trows, tiles, top, now, kids, cut, milestones)
        else:
            cells = _school_cells(conn, trows, now, schools, cut, milestones)
        # an approved period shows what was approved: the tiles and the matrix in one read
        shown, frozen = approval.overlay(conn, {**tiles, **cells})
        missing_ids = sorted({i for r in trows for i in shown[(r["id"], top)].evaluation.missing_ids})
        names = {x["id"]: x["short_name"] for x in counts.select_rows(
            conn, "SELECT id, short_name FROM school WHERE id IN :ids", {"ids": missing_ids or [-1]}, ("ids",))}
        starts = period_starts(conn)
        if kids:
            rows, tally, matrix_targets = _territory_matrix(conn, territory_id, trows, shown, now, kids, milestones,
                                                            top_series)
            unit = voc.TERRITORY_UNIT
        else:
            rows, tally, matrix_targets = _school_matrix(trows, shown, schools)
            unit = voc.SCHOOL_UNIT
    if as_of is None and now:
        as_of = max(p["end"] for p in now.values())
    labels = period_labels(trows, top_series, territory_id)
    columns = _columns(trows)
    cards = [_card(r, shown[(r["id"], top)], top, top_series, rm.territory, sizes, starts, milestones, names,
                   tally, columns, frozen.get((r["id"], top.kind, top.id))) for r in trows]
    return Overview(roadmap=rm, as_of=as_of, as_of_label=(labels.get(as_of) or fmt.cut_label(as_of)) if as_of else None,
                    cards=tuple(cards), rows=tuple(rows), matrix_targets=tuple(matrix_targets),
                    is_demo=rm.is_demo, unit=unit, cut=cut, period_labels=tuple(sorted(labels.items())),
                    approvals=frozen)


def _card(r: dict, res: Result, top: ev_mod.Subject, top_series: dict, territory: str, sizes: dict[str, int],
          starts: dict[int, date], milestones: dict[int, list[dict]], names: dict[int, str], tally: dict,
          columns: dict[int, str], approved: approval.Approved | None) -> TargetCard:
    """One target's tile: its Result on the roadmap's territory with the words around it."""
    e = res.evaluation
    grp = ev_mod.group_of(r, top)
    avg = [x for x in top_series.get((top.id, r["indicator_id"], "all"), [])
           if x["kind"] == (ev_mod.period_kind(r) or x["kind"])]
    n_schools, n_meeting, lagging = tally.get(r["id"], (0, 0, ()))
    missing = [names.get(i, str(i)) for i in e.missing_ids]
    return TargetCard(
        target_id=r["id"], number=r["number"], wording=r["wording"], indicator_id=r["indicator_id"],
        indicator_code=r["indicator_code"], indicator_name=r["indicator_name"], short_name=r["short_name"],
        unit=r["unit"], value_kind=r["value_kind"], level=r["level"], kind=r["kind"], amount=r["amount"],
        rule_text=rule_as_approved(r, approved), group=grp, baseline_label=r["baseline_label"],
        due_label=r["due_label"], due_end=as_date(r["due_end"]) if r["due_end"] else None,
        as_of_label=res.period_label, period_id=res.period_id, evaluation=e, result=res,
        series=points(res.series, starts, result=res),
        average_series=points(avg, starts, key="value")
        if grp not in ("all", "territory") and r["value_kind"] in ("share", "value") else (),
        expected_path=expected_path(r, e, starts),
        milestones=tuple(Milestone(m["label"], as_date(m["end"]), m["value"], m["note"])
                         for m in milestones.get(r["id"], [])),
        n_schools=n_schools, n_meeting=n_meeting, lagging=tuple(lagging),
        column=columns[r["id"]], coverage=res.coverage_text,
        missing=tuple(missing), forecast_basis=res.forecast_basis, notes=verdict_notes(res, r["unit"], missing),
        **_shown_figures(r, res, grp, top_series, top.id, territory, sizes), approval=approved)


def period_labels(trows: list[dict], top_series: dict, territory_id: int) -> dict[date, str]:
    """{a period's last day: its label} over the periods of the roadmap's targets' kinds that hold data
    (a year's last day is «2023 г.», not «IV кв. 2023»; both kinds on one day: «IV кв. 2023 / 2023 г.»)."""
    kinds = {ev_mod.period_kind(r) for r in trows}
    found: dict[date, dict[str, str]] = {}
    for r in trows:
        grp = "territory" if r["level"] == "territory" else "all"
        for x in top_series.get((territory_id, r["indicator_id"], grp), []):
            if x["value"] is not None and (None in kinds or x["kind"] in kinds):
                found.setdefault(x["end"], {})[x["kind"]] = x["label"]
    order = {"quarter": 0, "half_year": 1, "school_year": 2, "year": 3}
    return {d: " / ".join(v for _, v in sorted(ks.items(), key=lambda kv: order.get(kv[0], 9)))
            for d, ks in found.items()}


def _shown_figures(r: dict, res: Result, grp: str, top_series: dict, territory_id: int, territory: str,
                   sizes: dict[str, int]) -> dict:
    """The card's words beside its value: whose figure it is, the territory's value at the same
    period when the group is a subset, and the expected value as it can be met (whole people)."""
    e = res.evaluation
    n = e.n_members if e.n_members is not None else sizes.get(grp)
    tv = None
    if grp not in ("all", "territory") and res.period_id is not None and sizes.get(grp, 0) < sizes.get("all", 0):
        tv = next((x["value"] for x in top_series.get((territory_id, r["indicator_id"], "all"), [])
                   if x["period_id"] == res.period_id), None)
    den = None
    if r["level"] == "territory" and res.period_id is not None:
        den = next((x.get("sum_denominator") for x in top_series.get((territory_id, r["indicator_id"], "territory"), [])
                    if x["period_id"] == res.period_id), None)
    expected, note = figures.expected_shown(e.expected, value_kind=r["value_kind"], unit=r["unit"],
                                            up=figures.goes_up(r["kind"], r["higher_is_better"]),
                                            denominator=den)
    return {"population": figures.population(grp, n), "territory_value": tv,
            "territory_note": figures.territory_note(territory, tv, r["unit"]),
            "expected": expected, "expected_note": note}


def rule_as_approved(r: dict, approved: approval.Approved | None) -> str:
    """The target's rule in words; for an approved figure, the rule it was approved under."""
    if approved is not None and approved.kind:
        return fmt.rule(approved.kind, approved.amount, r["unit"], r["baseline_label"])
    return fmt.rule(r["kind"], r["amount"], r["unit"], r["baseline_label"])


def _territory_cells(conn, trows: list[dict], tiles: dict, top: ev_mod.Subject, now: dict, kids: list[dict],
                     cut: date, milestones: dict) -> dict:
    """Each target on each member territory's schools of the target's group (like for like, as the
    tile); the forecast only where it decides the status (`evaluate_many(status_only=True)`)."""
    pids = {p["period_id"] for p in now.values()} | {r["baseline_period_id"] for r in trows if r["baseline_period_id"]}
    for r in trows:  # the periods the forecast reads
        pids |= {p.period_id for p in tiles[(r["id"], top)].series[-tg.FORECAST_PERIODS:]}
    return ev_mod.evaluate_many(conn, trows, [ev_mod.Subject.territory(ch["id"]) for ch in kids], cut,
                                milestones=milestones, now=now, with_missing=False, period_ids=sorted(pids),
                                status_only=True)


def _territory_matrix(conn, territory_id: int, trows: list[dict], results: dict, now: dict, kids: list[dict],
                      milestones: dict, top_series: dict) -> tuple[list[MatrixRow], dict, list[int]]:
    """Member territories x targets; the count of schools meeting each target comes from the kept
    counts (SQL over all the schools below, tests/test_evaluation.py).
    Returns (rows, {target id: (n schools, n meeting, lagging units)}, the targets shown)."""
    lagging: dict[int, list[str]] = {r["id"]: [] for r in trows}
    rows = []
    for ch in kids:
        subj = ev_mod.Subject.territory(ch["id"])
        cells = {r["id"]: results[(r["id"], subj)] for r in trows}
        for tid, res in cells.items():
            if res.status in voc.LAGGING:
                lagging[tid].append(ch["name"])
        rows.append(MatrixRow(unit_id=ch["id"], name=ch["name"], groups=(), cells=cells))
    judged = [r for r in trows if r["level"] == "school" and r["judged_on"] in ("school", "both") and r["id"] in now]
    items = []
    for r in judged:
        pid = now[r["id"]]["period_id"]
        a = next((x["average"] for x in top_series.get((territory_id, r["indicator_id"], "all"), [])
                  if x["period_id"] == pid), None)
        items.append((r, pid, a, milestones.get(r["id"], [])))
    # kept with the summary; counted now only if missing
    kept = counts.read(conn, territory_id, [(r["id"], pid) for r, pid, _, _ in items])
    missing = [it for it in items if (it[0]["id"], it[1]) not in kept]
    live = dict(zip([(r["id"], pid) for r, pid, _, _ in missing], counts.count_meeting_many(conn, territory_id, missing)))
    tally = {r["id"]: (0, 0, tuple(lagging[r["id"]])) for r in trows}
    for r, pid, _, _ in items:
        n, met = kept.get((r["id"], pid)) or live[(r["id"], pid)]
        tally[r["id"]] = (n, met, tuple(lagging[r["id"]]))
    return rows, tally, [r["id"] for r in trows]


def _matrix_targets(trows: list[dict]) -> list[dict]:
    """The targets a municipality's matrix judges on each school."""
    return [r for r in trows if r["level"] == "school" and r["judged_on"] in ("school", "both")]


def _school_cells(conn, trows: list[dict], now: dict, schools: list[dict], cut: date, milestones: dict) -> dict:
    """Each school-level target judged on each school (the forecast only where it decides the status)."""
    return ev_mod.evaluate_many(conn, _matrix_targets(trows), [ev_mod.Subject.school(s["id"]) for s in schools], cut,
                                milestones=milestones, now=now, status_only=True)


def _school_matrix(trows: list[dict], results: dict, schools: list[dict]) -> tuple[list[MatrixRow], dict, list[int]]:
    """Per-school status of each school-level target.
    Returns (rows, {target id: (n schools, n meeting, lagging schools)}, the targets shown)."""
    school_rows = _matrix_targets(trows)
    n_schools = {r["id"]: 0 for r in school_rows}
    n_meeting = dict(n_schools)
    lagging: dict[int, list[str]] = {r["id"]: [] for r in school_rows}
    rows = []
    for s in sorted(schools, key=lambda s: (not s["is_shnor"], not s["is_shnsu"], s["natural_key"])):
        subject = ev_mod.Subject.school(s["id"])
        cells = {}
        for r in school_rows:
            res = results.get((r["id"], subject))
            cells[r["id"]] = res
            if res is None:  # not in the target's group
                continue
            n_schools[r["id"]] += 1
            if res.evaluation.meets_target:
                n_meeting[r["id"]] += 1
            elif res.status in voc.LAGGING:
                lagging[r["id"]].append(s["short_name"])
        rows.append(MatrixRow(unit_id=s["id"], name=s["short_name"],
                              groups=tuple(g for g in ("shnor", "shnsu") if s[f"is_{g}"]), cells=cells))
    tally = {tid: (n_schools[tid], n_meeting[tid], tuple(lagging[tid])) for tid in n_schools}
    return rows, tally, [r["id"] for r in school_rows]
