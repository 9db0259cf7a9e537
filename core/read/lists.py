"""Small lists for pickers: the roadmaps and schools a user sees, the periods, indicator names —
tuples of frozen rows (core.read.types.School for schools)."""

from __future__ import annotations


from dataclasses import dataclass
from datetime import date

from sqlalchemy import text
from sqlalchemy.engine import Engine

from core import access
from core.formatting import natural_key
from core.auth import Scope
from core.db import get_engine
from core.read.types import SCHOOL_COLUMNS, School
from core.targets.evaluation import as_date


@dataclass(frozen=True)
class RoadmapRow:
    id: int
    code: str
    title: str
    year_from: int | None
    year_to: int | None
    is_demo: bool
    territory_id: int
    territory: str
    n_targets: int

    @property
    def label(self) -> str:
        """«Территория — название» for a picker (the title clipped at 90 characters)."""
        return f"{self.territory} — {self.title[:90]}{'…' if len(self.title) > 90 else ''}"


@dataclass(frozen=True)
class PeriodRow:
    id: int
    code: str
    kind: str
    start: date
    end: date
    label: str


def _rows(engine: Engine, sql: str) -> list[dict]:
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(text(sql)).mappings()]


def is_demo(engine: Engine | None = None) -> bool:
    rows = _rows(engine or get_engine(), "SELECT value FROM appmeta WHERE key = 'demo'")
    return bool(rows) and rows[0]["value"] == "1"


def roadmaps(scope: Scope, engine: Engine | None = None) -> tuple[RoadmapRow, ...]:
    """Roadmaps of the territories the user sees (with how many targets each has)."""
    engine = engine or get_engine()
    rows = access.rows(engine, """
        SELECT r.id, r.code, r.title, r.year_from, r.year_to, r.is_demo, r.territory_id,
               t.name AS territory, (SELECT COUNT(*) FROM target x WHERE x.roadmap_id = r.id) AS n_targets
        FROM roadmap r JOIN territory t ON t.id = r.territory_id
        WHERE r.territory_id IN ({territories})
        ORDER BY t.name, r.year_from, r.id""", scope)
    return tuple(RoadmapRow(**{**r, "is_demo": bool(r["is_demo"]), "n_targets": int(r["n_targets"])}) for r in rows)


def indicator_names(engine: Engine | None = None) -> dict[str, str]:
    """Indicator code -> short name (the catalogue is public reference data)."""
    return {r["code"]: r["short_name"] for r in _rows(engine or get_engine(), "SELECT code, short_name FROM indicator")}


def periods(engine: Engine | None = None) -> tuple[PeriodRow, ...]:
    rows = _rows(engine or get_engine(), "SELECT id, code, kind, start, \"end\", label FROM period ORDER BY \"end\", kind")
    return tuple(PeriodRow(**{**r, "start": as_date(r["start"]), "end": as_date(r["end"])}) for r in rows)


def schools(scope: Scope, engine: Engine | None = None) -> tuple[School, ...]:
    """The schools the user may open (a principal: their own; a curator: the curated ones)."""
    engine = engine or get_engine()
    rows = access.rows(engine, f"""
        SELECT {SCHOOL_COLUMNS} FROM school s JOIN territory t ON t.id = s.territory_id
        WHERE s.id IN ({{schools}})
        ORDER BY t.name, s.short_name""", scope)
    return tuple(School.of(r) for r in sorted(rows, key=lambda r: (r["territory"], natural_key(r["short_name"]))))
