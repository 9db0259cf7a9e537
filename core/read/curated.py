"""A curator's schools: each curated school with its target statuses, own and overdue items and
risk factors (the curator's own school is not in the list)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.engine import Engine

from core import access, school_plan
from core.auth import Scope
from core.db import get_engine
from core.read.school import SchoolTarget, school_view
from core.read.types import School


@dataclass(frozen=True)
class CuratedSchool:
    school: School
    targets: tuple[SchoolTarget, ...]
    statuses: tuple[tuple[str, int], ...]  # (status, how many targets), in the order first met
    n_own: int  # the school's own roadmap items (school_plan.own_items)
    n_overdue_own: int
    n_overdue: int  # every overdue item, the office's included
    risks: tuple[str, ...]  # risk factor codes


def curated_schools(scope: Scope, engine: Engine | None = None, today: date | None = None) -> tuple[CuratedSchool, ...]:
    """A curator's schools (a user without an own school: none)."""
    engine = engine or get_engine()
    if scope.own_school_id is None:
        return ()
    ids = [r["id"] for r in access.rows(engine, """
        SELECT s.id FROM curatorlink l JOIN school s ON s.id = l.school_id
        WHERE l.curator_school_id = :own AND s.id IN ({schools}) ORDER BY s.short_name""", scope,
                                           {"own": scope.own_school_id})]
    out = []
    for sid in ids:
        view = school_view(scope, sid, engine, today)
        statuses = [t.evaluation.status for t in view.targets]
        _, n_own, n_late = school_plan.own_items(view.activities)  # the school page's rule, one place
        out.append(CuratedSchool(
            school=view.school, targets=view.targets,
            statuses=tuple((k, statuses.count(k)) for k in dict.fromkeys(statuses)),
            n_own=n_own, n_overdue_own=n_late, n_overdue=sum(a.overdue for a in view.activities),
            risks=tuple(r.code for r in view.risks)))
    return tuple(out)
