"""A school's page: the school against each of its own targets (from its own baseline) and the
territory average, its curators and groups, its roadmap items and risk factors, as of a cut."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.engine import Engine

from core import access, approval, figures
from core import target_counts as counts
from core import formatting as fmt
from core import roadmap as rm_rules
from core import settings
from core import targets as tg
from core.auth import Scope, deny
from core.db import get_engine
from core.read.overview import expected_path, rule_as_approved
from core.read.types import (SCHOOL_COLUMNS, ActivityRow, RiskRow, School, SeriesPoint, period_starts, points,
                             verdict_notes)
from core.targets import evaluation as ev_mod
from core.targets.evaluation import Result, as_date


@dataclass(frozen=True)
class SchoolTarget:
    target_id: int
    roadmap_title: str
    number: int
    short_name: str
    indicator_name: str
    unit: str
    rule_text: str
    evaluation: tg.Evaluation
    result: Result
    average: float | None  # the territory's average school at the period judged
    as_of_label: str | None
    series: tuple[SeriesPoint, ...]
    average_series: tuple[SeriesPoint, ...]
    expected_path: tuple[SeriesPoint, ...]
    forecast_basis: str | None = None
    notes: tuple[str, ...] = ()  # «вердикт к сроку …», a newer value not yet in the territory's figures
    value_kind: str = "share"
    expected: float | None = None  # what the plan expects by now, as it can be met (whole people; figures)
    approval: approval.Approved | None = None  # the row as approved (then `evaluation` is the stored figure)

    @property
    def forecast_text(self) -> str:
        """«Прогноз к сроку: …» with its honest basis (figures.forecast_text)."""
        due = self.expected_path[-1].end if self.expected_path else None
        return figures.result_forecast_text(self.result, self.series, due, self.unit)

    @property
    def value_text(self) -> str:
        """The school's value: a flag as «да» / «нет», anything else in its unit."""
        return figures.school_value(self.evaluation.value, self.unit, self.value_kind)


@dataclass(frozen=True)
class SchoolView:
    school: School
    targets: tuple[SchoolTarget, ...]
    curators: tuple[str, ...]
    curated: tuple[str, ...]
    risks: tuple[RiskRow, ...] = ()
    activities: tuple[ActivityRow, ...] = ()  # overdue first
    groups: tuple[str, ...] = ()  # «Триада 1: Золотонивская СШ, Красовская СШ, …»


def school(scope: Scope, school_id: int, engine: Engine, conn=None) -> School:
    """The school if the user may see it; refused (and logged) otherwise. `conn`: a connection to
    read with (the caller's)."""
    rows = access.rows(conn if conn is not None else engine, f"""
        SELECT {SCHOOL_COLUMNS} FROM school s JOIN territory t ON t.id = s.territory_id
        WHERE s.id = :sid AND s.id IN ({{schools}})""", scope, {"sid": school_id})
    if not rows:
        raise deny(scope, f"школа {school_id}", engine)
    return School.of(rows[0])


def school_view(scope: Scope, school_id: int, engine: Engine | None = None, today: date | None = None,
                as_of: date | None = None) -> SchoolView:
    """One school against its own targets (from its own baseline) and the territory average, as
    of the cut `as_of` (default: today); activities overdue as of the cut."""
    engine = engine or get_engine()
    cut = as_of or settings.today(engine)
    subject = ev_mod.Subject.school(school_id)
    with engine.connect() as conn:  # one connection for every read
        s = school(scope, school_id, engine, conn)
        flags = {"is_shnor": s.is_shnor, "is_shnsu": s.is_shnsu}
        trows = sorted((r for r in ev_mod.target_rows(conn, judged_below=s.territory_id)
                        if counts.in_group(flags, r["applies_to"])), key=lambda r: (r["roadmap_id"], r["number"]))
        # compared with the average school of the territory whose roadmap sets the target; read once
        groups = ev_mod.group_series(conn, sorted({r["roadmap_territory_id"] for r in trows}),
                                     sorted({r["indicator_id"] for r in trows}),
                                     sorted({"all", "territory"} | {r["applies_to"] for r in trows}), cut=cut,
                                     territory_level=[])  # a school's targets are on school-level indicators
        now = ev_mod.judged_periods(conn, trows, cut, groups)
        results = ev_mod.evaluate_many(conn, trows, [subject], cut, now=now, series=groups)
        results, frozen = approval.overlay(conn, results)  # an approved period shows what was approved
        starts = period_starts(conn)
        curators = tuple(fmt.natural_sorted(r["short_name"] for r in counts.select_rows(conn, """
            SELECT c.short_name FROM curatorlink l JOIN school c ON c.id = l.curator_school_id
            WHERE l.school_id = :sid ORDER BY c.short_name""", {"sid": school_id})))
        curated = tuple(fmt.natural_sorted(r["short_name"] for r in counts.select_rows(conn, """
            SELECT c.short_name FROM curatorlink l JOIN school c ON c.id = l.school_id
            WHERE l.curator_school_id = :sid ORDER BY c.short_name""", {"sid": school_id})))
        members: dict[str, list[str]] = {}
        for r in counts.select_rows(conn, """
                SELECT g.id, g.name, s.short_name FROM schoolgroup g JOIN schoolgroupmember m ON m.group_id = g.id
                JOIN school s ON s.id = m.school_id
                WHERE g.id IN (SELECT group_id FROM schoolgroupmember WHERE school_id = :sid)
                ORDER BY g.id, s.short_name""", {"sid": school_id}):
            members.setdefault(r["name"], []).append(r["short_name"])
        risks = _risks(conn, school_id)
        activities = _activities(conn, school_id, s.territory_id, as_of or today or cut)
    out = []
    for r in trows:
        res = results.get((r["id"], subject))
        if res is None:
            continue
        e = res.evaluation
        kind = ev_mod.period_kind(r)
        avg = [x for x in groups.get((r["roadmap_territory_id"], r["indicator_id"], "all"), [])
               if kind is None or x["kind"] == kind]
        out.append(SchoolTarget(
            target_id=r["id"], roadmap_title=r["roadmap_title"], number=r["number"], short_name=r["short_name"],
            indicator_name=r["indicator_name"], unit=r["unit"],
            rule_text=rule_as_approved(r, frozen.get((r["id"], "school", school_id))), evaluation=e, result=res,
            average=res.average, as_of_label=res.period_label, series=points(res.series, starts),
            average_series=points(avg, starts, key="average"),
            expected_path=expected_path(r, e, starts, start=res.path_start),
            forecast_basis=res.forecast_basis, notes=verdict_notes(res, r["unit"]), value_kind=r["value_kind"],
            expected=figures.expected_shown(e.expected, value_kind=r["value_kind"], unit=r["unit"],
                                            up=figures.goes_up(r["kind"], r["higher_is_better"]))[0],
            approval=frozen.get((r["id"], "school", school_id))))
    return SchoolView(school=s, targets=tuple(out), curators=curators, curated=curated, risks=risks,
                      activities=activities, groups=tuple(f"{name}: {', '.join(xs)}" for name, xs in members.items()))


def _risks(conn, school_id: int) -> tuple[RiskRow, ...]:
    return tuple(RiskRow(r["group_code"], r["group_name"], r["code"], r["name"],
                         as_date(r["audit_date"]) if r["audit_date"] else None) for r in counts.select_rows(conn, """
        SELECT rf.group_code, rf.group_name, rf.code, rf.name, sr.audit_date
        FROM schoolrisk sr JOIN riskfactor rf ON rf.id = sr.risk_factor_id
        WHERE sr.school_id = :sid ORDER BY rf.group_code, rf.code""", {"sid": school_id}))


def _activities(conn, school_id: int, territory_id: int, today: date) -> tuple[ActivityRow, ...]:
    """Activities of the roadmaps over the school's territory that name this school or no school
    at all, and those roadmaps' control points; overdue first."""
    roadmaps = "SELECT id FROM roadmap WHERE territory_id IN (SELECT ancestor_id FROM territoryclosure WHERE descendant_id = :tid)"
    out = []
    for r in counts.select_rows(conn, f"""
            SELECT 'Мероприятие' AS kind, a.number, a.title, a.deadline_text, a.due_date, a.responsible, a.status,
                   CASE WHEN EXISTS (SELECT 1 FROM activityschool x WHERE x.activity_id = a.id AND x.school_id = :sid)
                        THEN 1 ELSE 0 END AS named
            FROM activity a
            WHERE a.roadmap_id IN ({roadmaps})
              AND (EXISTS (SELECT 1 FROM activityschool x WHERE x.activity_id = a.id AND x.school_id = :sid)
                   OR NOT EXISTS (SELECT 1 FROM activityschool x WHERE x.activity_id = a.id))
            UNION ALL
            SELECT 'Контрольная точка', c.number, c.title, c.deadline_text, c.due_date, c.responsible, c.status, 0
            FROM controlpoint c WHERE c.roadmap_id IN ({roadmaps})""", {"sid": school_id, "tid": territory_id}):
        due = as_date(r["due_date"]) if r["due_date"] else None
        out.append(ActivityRow(kind=r["kind"], number=r["number"], title=r["title"], deadline_text=r["deadline_text"],
                               due_date=due, responsible=r["responsible"], status=r["status"],
                               status_text=rm_rules.ACTIVITY_STATUSES.get(r["status"], r["status"]),
                               named=bool(r["named"]), overdue=rm_rules.is_overdue(due, r["status"], today, r["deadline_text"])))
    out.sort(key=lambda a: rm_rules.sort_key(a.due_date, a.status, today, a.deadline_text))
    return tuple(out)
