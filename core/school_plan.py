"""What a principal's first screen answers beyond the evaluation itself: the number to reach by the next
control point, which of the roadmap's items are the school's own, and — for a school without targets —
its indicators against the territory average (aggregated in SQL)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import text
from sqlalchemy.engine import Engine

from core import access, periods
from core import formatting as fmt
from core.auth import Scope, deny
from core.db import get_engine
from core.targets import average_value, period_t, straight_path

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
    over `acts` (core.read.types.ActivityRow: named, responsible, overdue), how many are the school's own
    and how many of those are overdue. The office's items are never counted as the school's overdue."""
    mask = [is_school_level(a.named, a.responsible) for a in acts or ()]
    late = sum(bool(a.overdue) for a, m in zip(acts or (), mask) if m)
    return mask, sum(mask), int(late)


def own_items_text(n_own: int, n_late: int, *, markdown: bool = True) -> str:
    """«Мероприятия школы: 23, из них просрочено: 2» — the same words on the school page, the
    curator's card (Markdown, bold label) and the printed school card (`markdown=False`)."""
    label = "**Мероприятия школы:**" if markdown else "Мероприятия школы:"
    return f"{label} {n_own}" + (f", из них просрочено: {n_late}" if n_late else ", просроченных нет")


@dataclass(frozen=True)
class ControlPoint:
    """A dated control point of a roadmap (the roadmap's own table of control points)."""
    roadmap_id: int
    number: str
    title: str
    due: date
    responsible: str | None = None


@dataclass(frozen=True)
class NextStep:
    """The value the school needs at the next control point after the cut, read on the straight path
    from its base to its target. `basis`: «control_point» (the roadmap's own control point `point`),
    «quarter» (the end of the next quarter: the roadmap has no control point left before the target's
    due date) or «due» (the target's own deadline comes first)."""
    by: date
    value: float
    basis: str
    point: ControlPoint | None = None
    roadmap_has_points: bool = False


def applies(point: ControlPoint, cut: date, due: date | None) -> bool:
    """A control point that checks the school's progress on a target of its roadmap: dated after the cut,
    not after the target's due date, with the schools among those responsible (a point only the office
    answers for, such as «создание методической команды», is not the school's)."""
    return point.due > cut and (due is None or point.due <= due) and is_school_level(False, point.responsible)


def next_step(expected_path, cut: date | None, points: Sequence[ControlPoint] = (),
              roadmap_has_points: bool | None = None) -> NextStep | None:
    """What the school needs by the next control point after the cut («по состоянию на»): the first of
    the target roadmap's `points` that applies (`applies`); without one, the end of the next quarter, or
    the target's own due date when that comes first. None without a path or when the due date is not after
    the cut. The value is read on the straight path from the base to the target (`expected_path`:
    core.read.types.SeriesPoint, end date and value)."""
    pts = sorted((period_t(p.end), p.value) for p in expected_path if p.value is not None)
    ends = [p.end for p in expected_path]
    if len(pts) < 2 or cut is None or not ends or max(ends) <= cut:
        return None
    due = max(ends)
    has = bool(points) if roadmap_has_points is None else roadmap_has_points
    ahead = sorted((p for p in points if applies(p, cut, due)), key=lambda p: p.due)
    if ahead:
        point = ahead[0]
        return NextStep(point.due, _on_path(pts, point.due), "control_point", point, has)
    quarter = periods.quarter_of(cut)
    quarter_end = quarter.end if quarter.end > cut else periods.following(quarter).end
    if quarter_end >= due:
        return NextStep(due, pts[-1][1], "due", None, has)
    return NextStep(quarter_end, _on_path(pts, quarter_end), "quarter", None, has)


def _on_path(pts: list[tuple[float, float]], d: date) -> float:
    t = period_t(d)
    for (t0, v0), (t1, v1) in zip(pts, pts[1:]):
        if t <= t1 + 1e-9:
            return straight_path(t, t0, v0, t1, v1)
    return pts[-1][1]


def step_text(step: NextStep, unit: str) -> str:
    """«57,1 % к контрольной точке 31.12.2024 «Анализ обученности…»», «… к концу II кв. 2025 (контрольных
    точек в дорожной карте нет)», «… к сроку цели 31.12.2024 (…)»: the number and which date it is for."""
    shown = fmt.value(step.value, unit)
    if step.basis == "control_point":
        return f"{shown} к контрольной точке {fmt.date_text(step.by)} «{fmt.clip(step.point.title, 40)}»"
    why = ("следующих контрольных точек в дорожной карте нет" if step.roadmap_has_points
           else "контрольных точек в дорожной карте нет")
    if step.basis == "due":
        return f"{shown} к сроку цели {fmt.date_text(step.by)} ({why})"
    return f"{shown} к концу {periods.quarter_of(step.by).label} ({why})"


def control_points(scope: Scope, school_id: int, target_ids: list[int],
                   engine: Engine | None = None) -> dict[int, list[ControlPoint]]:
    """The dated control points of each target's roadmap (not cancelled), for a school the user may see
    and the roadmaps over its territory (a target of another territory's roadmap gives nothing); one
    query. A target whose roadmap has no control points at all is absent from the answer."""
    engine = engine or get_engine()
    if not target_ids:
        return {}
    rows = access.rows(engine, """
        SELECT x.id AS target_id, c.roadmap_id, c.number, c.title, c.due_date, c.responsible, c.status
        FROM target x JOIN controlpoint c ON c.roadmap_id = x.roadmap_id JOIN roadmap r ON r.id = x.roadmap_id
        WHERE x.id IN :tids AND EXISTS (
            SELECT 1 FROM school s JOIN territoryclosure t ON t.descendant_id = s.territory_id
            WHERE s.id = :sid AND s.id IN ({schools}) AND t.ancestor_id = r.territory_id)
        ORDER BY c.position, c.id""", scope, {"tids": list(target_ids), "sid": school_id}, expanding=("tids",))
    out: dict[int, list[ControlPoint]] = {}
    for r in rows:
        points = out.setdefault(r["target_id"], [])
        if r["due_date"] is not None and r["status"] != "cancelled":
            due = r["due_date"] if isinstance(r["due_date"], date) else date.fromisoformat(str(r["due_date"])[:10])
            points.append(ControlPoint(r["roadmap_id"], r["number"], r["title"], due, r["responsible"]))
    return out


def school_indicators(scope: Scope, school_id: int, cut: date, engine: Engine | None = None) -> list[dict]:
    """The school's latest value of every indicator it reports as of the cut (one period per indicator:
    the latest ending on or before the cut; of two ending on the same day — a quarter and its year — the
    shorter), beside the average school of its territory for the same period, read from the kept summary
    (`core.targets.average_value`: shares as a ratio of sums, counts and values per school), for a school
    without targets. One SQL query."""
    engine = engine or get_engine()
    with engine.connect() as c:
        row = c.execute(text("SELECT territory_id FROM school WHERE id = :s"), {"s": school_id}).first()
        if row is None or not scope.can_see_school(school_id, row[0]):
            raise deny(scope, f"школа {school_id}", engine)
        rows = c.execute(text("""
            WITH ranked AS (
                SELECT m.indicator_id, m.period_id, m.value,
                       ROW_NUMBER() OVER (PARTITION BY m.indicator_id ORDER BY p."end" DESC, p.start DESC) AS rn
                FROM measurement m JOIN period p ON p.id = m.period_id
                WHERE m.school_id = :s AND p."end" <= :cut)
            SELECT i.short_name, i.name, i.unit, i.value_kind, i.higher_is_better, p.label, p."end", r.value,
                   ms.n_schools, ms.sum_value, ms.sum_numerator, ms.sum_denominator, ms.n_flag
            FROM ranked r
            JOIN period p ON p.id = r.period_id
            JOIN indicator i ON i.id = r.indicator_id
            LEFT JOIN measurementsummary ms ON ms.territory_id = :t AND ms.grp = 'all'
                 AND ms.indicator_id = r.indicator_id AND ms.period_id = r.period_id
            WHERE r.rn = 1
            ORDER BY i.short_name"""), {"s": school_id, "t": row[0], "cut": cut}).mappings().all()
    out = []
    for r in rows:
        d = dict(r)
        parts = [d.pop(k) for k in ("n_schools", "sum_value", "sum_numerator", "sum_denominator", "n_flag")]
        d["n_schools"] = parts[0] or 0
        d["territory_value"] = (None if parts[0] is None else
                                average_value(d["value_kind"], *(x or 0 for x in parts)))
        out.append(d)
    return out
