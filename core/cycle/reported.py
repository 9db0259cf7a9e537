"""Who has reported a period: every school expected to (it has roadmap targets measured per school)
with n of m values, when, by whom, through which upload or entry, late or not."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pandas as pd
from sqlalchemy.engine import Engine

from core import access, auth, settings
from core import formatting as fmt
from core.auth import Scope
from core.db import get_engine
from core.quarters import QuarterInfo, aware_utc, quarter_info
from core.territories import contained_sql

# the schools of territory :t expected to report and the indicators they report (the entry form uses it too)
EXPECTED_SQL = """
    sch AS (
        SELECT s.id, s.code, s.short_name, s.territory_id FROM school s
        WHERE s.territory_id IN (""" + contained_sql("t") + """) {only}
    ),
    exp AS (
        SELECT DISTINCT sch.id AS school_id, tg.indicator_id
        FROM sch JOIN territoryclosure cl ON cl.descendant_id = sch.territory_id
        JOIN roadmap r ON r.territory_id = cl.ancestor_id
        JOIN target tg ON tg.roadmap_id = r.id
        JOIN indicator i ON i.id = tg.indicator_id
        WHERE i.level = 'school'
    )"""

COLLECTION_COLUMNS = ["school_id", "code", "school", "territory_id", "expected", "reported_values", "reported",
                      "complete", "status", "first_at", "last_at", "by", "via", "upload_id", "late"]


@dataclass
class Collection:
    info: QuarterInfo
    rows: pd.DataFrame = field(repr=False)  # COLLECTION_COLUMNS, one row per school expected to report
    today: date = field(default_factory=date.today)

    @property
    def n_schools(self) -> int:
        return len(self.rows)

    @property
    def n_reported(self) -> int:
        return int(self.rows["reported"].sum())

    @property
    def n_complete(self) -> int:
        return int(self.rows["complete"].sum())

    @property
    def n_late(self) -> int:
        return int(self.rows["late"].sum())

    @property
    def not_reported(self) -> pd.DataFrame:
        return self.rows[~self.rows["reported"]]

    @property
    def latest(self) -> dict | None:
        """The school whose values came last through an upload or an entry (not the demo's)."""
        real = self.rows[self.rows["upload_id"].notna()]
        return None if real.empty else real.sort_values("last_at").iloc[-1].to_dict()

    def filtered(self, *, late_only: bool = False, incomplete_only: bool = False) -> pd.DataFrame:
        df = self.rows
        if late_only:
            df = df[df["late"]]
        if incomplete_only:
            df = df[~df["complete"]]
        return df


def _via(kind: str | None, upload_id: int | None, is_demo: bool) -> str:
    if upload_id is None:
        return "демо-данные" if is_demo else "—"
    return {"entry": "ввод в браузере", "correction": "исправление"}.get(kind or "", "загрузка файла") + f" № {upload_id}"


def collection(scope: Scope, territory_id: int, period: str | int, *, today: date | None = None,
               engine: Engine | None = None) -> Collection:
    """Every school of the territory that has roadmap targets × has it reported the period: n of m
    values (the school-level indicators of the targets of the roadmaps over it), when, by whom,
    through which upload or entry, late or not. One aggregate query; a curator or a principal gets
    only their schools."""
    engine = engine or get_engine()
    today = today or settings.today(engine)
    if not scope.can_see_territory(territory_id):
        raise auth.deny(scope, f"сбор данных по территории {territory_id}", engine)
    with engine.connect() as c:
        info = quarter_info(c, territory_id, period)
        params: dict = {"t": territory_id, "p": info.period_id or -1}  # -1: no row yet, nobody has reported
        sql = "WITH " + EXPECTED_SQL.format(only="AND s.id IN ({schools})") + """,
            got AS (
                SELECT m.school_id, m.entered_at, m.entered_by, m.upload_id, m.is_demo,
                       ROW_NUMBER() OVER (PARTITION BY m.school_id ORDER BY m.entered_at DESC, m.id DESC) AS rn
                FROM measurement m JOIN exp ON exp.school_id = m.school_id AND exp.indicator_id = m.indicator_id
                WHERE m.period_id = :p AND m.value IS NOT NULL
            ),
            exp_n AS (SELECT school_id, COUNT(*) AS m FROM exp GROUP BY school_id),
            got_n AS (SELECT school_id, COUNT(*) AS n,  -- demo values were written when the demo was built: never late
                      MIN(CASE WHEN is_demo THEN NULL ELSE entered_at END) AS first_at FROM got GROUP BY school_id)
            SELECT sch.id AS school_id, sch.code, sch.short_name AS school, sch.territory_id, e.m AS expected,
                   COALESCE(g.n, 0) AS reported_values, g.first_at, l.entered_at AS last_at, u.full_name AS by_name,
                   u.login AS by_login, l.upload_id, up.kind, l.is_demo
            FROM sch JOIN exp_n e ON e.school_id = sch.id
            LEFT JOIN got_n g ON g.school_id = sch.id
            LEFT JOIN got l ON l.school_id = sch.id AND l.rn = 1
            LEFT JOIN "user" u ON u.id = l.entered_by
            LEFT JOIN upload up ON up.id = l.upload_id
            ORDER BY sch.short_name, sch.code"""
        raw = access.rows(c, sql, scope, params)  # a curator or a principal: their schools only
    raw = sorted(raw, key=lambda r: (fmt.natural_key(r["school"]), r["code"]))  # «СОШ № 2» before «№ 14»
    overdue = today > info.deadline
    out = []
    for r in raw:
        n, m = int(r["reported_values"]), int(r["expected"])
        first = aware_utc(r["first_at"])
        # the office's day of the first value (one sent at 01:00 in Moscow the day after the deadline is late,
        # though its UTC date is still the deadline's)
        late = (first is not None and fmt.local_time(first).date() > info.deadline) or (n == 0 and overdue)
        if n == 0:
            status = "не представлены" + (" (срок прошёл)" if overdue else "")
        elif n < m:
            status = f"частично: {n} из {m}"
        else:
            status = "представлены"
        if n and late:
            status += ", с опозданием"
        out.append({"school_id": r["school_id"], "code": r["code"], "school": r["school"],
                    "territory_id": r["territory_id"], "expected": m, "reported_values": n, "reported": n > 0,
                    "complete": n >= m, "status": status, "first_at": first,
                    "last_at": None if r["is_demo"] else aware_utc(r["last_at"]),  # the demo's: when it was built
                    "by": r["by_name"] or r["by_login"] or ("—" if not r["is_demo"] else "демо"),
                    "via": _via(r["kind"], r["upload_id"], bool(r["is_demo"])) if n else "—",
                    "upload_id": r["upload_id"], "late": bool(late)})
    df = pd.DataFrame(out, columns=COLLECTION_COLUMNS)
    for col in ("reported", "complete", "late"):
        df[col] = df[col].astype(bool)
    return Collection(info=info, rows=df, today=today)


def territories(scope: Scope, engine: Engine | None = None) -> pd.DataFrame:
    """Territories the user may see that have roadmap targets measured per school (the ones with a
    collection), the user's own first."""
    engine = engine or get_engine()
    with engine.connect() as c:
        rows = access.rows(c, """
            SELECT DISTINCT t.id, t.name FROM territory t
            JOIN territoryclosure cl ON cl.descendant_id = t.id
            JOIN roadmap r ON r.territory_id = cl.ancestor_id
            JOIN target tg ON tg.roadmap_id = r.id JOIN indicator i ON i.id = tg.indicator_id AND i.level = 'school'
            WHERE EXISTS (SELECT 1 FROM territoryclosure c2 JOIN school s ON s.territory_id = c2.descendant_id
                          WHERE c2.ancestor_id = t.id)
              AND t.id IN ({territories})
            ORDER BY t.name""", scope)
    return pd.DataFrame(rows, columns=["id", "name"])
