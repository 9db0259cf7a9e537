"""The typed rows the read views are made of: frozen, keyed by ids, carrying dates (not float years)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Mapping, Sequence

from core.targets.evaluation import Result, as_date


@dataclass(frozen=True)
class SeriesPoint:
    """One period's value on a chart: the period (id, Russian label, first and last day) and the value;
    `coverage` («данные 4 из 5 школ») where the group's value is known to lack schools."""

    period_id: int | None
    label: str
    start: date | None
    end: date
    value: float | None
    coverage: str | None = None


@dataclass(frozen=True)
class Milestone:
    """An intermediate target value of a «milestones» target (its period's last day)."""

    label: str
    end: date
    value: float
    note: str | None = None


@dataclass(frozen=True)
class MatrixRow:
    """One unit (school or member territory) of an overview's status matrix: its targets' Results
    keyed by target id (None: the unit is not in the target's group)."""

    unit_id: int
    name: str
    groups: tuple[str, ...]  # "shnor", "shnsu" (vocabulary.GROUPS); () for a territory
    cells: Mapping[int, Result | None] = field(default_factory=dict)

    def status(self, target_id: int) -> str | None:
        res = self.cells.get(target_id)
        return None if res is None else res.status


# the columns School.of reads, from `school s JOIN territory t ON t.id = s.territory_id`
SCHOOL_COLUMNS = """s.id, s.code, s.name, s.short_name, s.kind, s.is_shnor, s.is_shnsu, s.is_leader, s.is_demo,
                    s.territory_id, t.name AS territory"""


@dataclass(frozen=True)
class School:
    id: int
    code: str
    name: str
    short_name: str
    groups: tuple[str, ...]  # "shnor", "shnsu", "leader"
    territory_id: int
    territory: str
    kind: str | None = None
    is_demo: bool = False

    @property
    def is_shnor(self) -> bool:
        return "shnor" in self.groups

    @property
    def is_shnsu(self) -> bool:
        return "shnsu" in self.groups

    @property
    def is_leader(self) -> bool:
        return "leader" in self.groups

    @classmethod
    def of(cls, r: Mapping) -> "School":
        """From a row with id, code, name, short_name, is_shnor, is_shnsu, is_leader, territory_id, territory."""
        groups = tuple(g for g in ("shnor", "shnsu", "leader") if r.get(f"is_{g}"))
        return cls(id=int(r["id"]), code=r["code"], name=r["name"], short_name=r["short_name"], groups=groups,
                   territory_id=int(r["territory_id"]), territory=r["territory"], kind=r.get("kind"),
                   is_demo=bool(r.get("is_demo")))


@dataclass(frozen=True)
class ActivityRow:
    """An activity or control point of a roadmap as a school sees it, overdue as of the cut."""

    kind: str  # «Мероприятие» | «Контрольная точка»
    number: str | None
    title: str
    deadline_text: str | None
    due_date: date | None
    responsible: str | None
    status: str
    status_text: str
    named: bool  # the roadmap names this school
    overdue: bool


@dataclass(frozen=True)
class RiskRow:
    group_code: str
    group_name: str
    code: str
    name: str
    audit_date: date | None = None


def period_starts(conn) -> dict[int, date]:
    """{period id: its first day} (the period table is a few dozen rows)."""
    from core.db import statement

    return {r[0]: as_date(r[1]) for r in conn.execute(statement("SELECT id, start FROM period"))}


def points(series, starts: Mapping[int, date], *, key: str = "value",
           result: Result | None = None) -> tuple[SeriesPoint, ...]:
    """SeriesPoints from evaluation Points or group series rows (dicts, the value under `key`); the
    point of the period `result` judged carries its coverage."""
    cov_pid = result.period_id if result is not None and result.coverage_text else None
    out = []
    for x in series:
        cov = None
        if isinstance(x, dict):
            pid, label, end, value = x["period_id"], x["label"], x["end"], x[key]
        else:
            pid, label, end, value, cov = x.period_id, x.label, x.end, x.value, x.coverage
        out.append(SeriesPoint(pid, label, starts.get(pid), end, value,
                               result.coverage_text if pid is not None and pid == cov_pid else cov))
    return tuple(out)


def verdict_notes(res: Result, unit: str, missing: Sequence[str] = ()) -> tuple[str, ...]:
    """The words that go with a verdict: «вердикт к сроку (IV кв. 2024)» and the values after it,
    «предварительно: нет данных СОШ № 8», «идёт сбор IV кв. 2024: 1 из 5 школ»; on a school's own
    page its newer value, not yet in the territory's figures."""
    from core import formatting as fmt

    out = []
    later = [p for p in res.series if res.period_end is not None and p.end > res.period_end and p.value is not None]
    if res.at_deadline and res.period_label:
        out.append(f"вердикт к сроку ({res.period_label})")
        if later:
            out.append("после срока: " + ", ".join(f"{p.label} — {fmt.value(p.value, unit)}" for p in later[-3:]))
    elif later and res.subject.kind == "school":
        p = later[-1]
        out.append(f"сдано за {p.label}: {fmt.value(p.value, unit)} — ещё не в итогах территории (идёт сбор)")
    if res.evaluation.preliminary:
        shown = ", ".join(missing[:4]) + (" и др." if len(missing) > 4 else "")
        out.append(f"предварительно: нет данных {shown}" if shown else "предварительно")
    if res.collecting_text and res.subject.kind != "school":
        out.append(res.collecting_text)
    return tuple(out)
