"""One target's indicator across the units of the roadmap's territory: the values at the period
judged with numerators and denominators and each unit's status, and every unit's history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import text
from sqlalchemy.engine import Engine

from core import access, quarters, settings
from core import vocabulary as voc
from core.auth import Scope, deny
from core.db import get_engine
from core.read.overview import Overview, TargetCard, children, overview
from core.targets import evaluation as ev_mod


@dataclass(frozen=True)
class UnitValue:
    """A unit's value of the indicator at one period (its status: at the period judged only)."""

    unit_id: int
    name: str
    groups: tuple[str, ...]  # "shnor", "shnsu"; () for a territory
    period_id: int
    label: str
    value: float | None
    numerator: float | None = None
    denominator: float | None = None
    status: str | None = None  # None: not in the target's group (or not judged)


@dataclass(frozen=True)
class IndicatorView:
    card: TargetCard
    unit: str  # vocabulary.SCHOOL_UNIT or TERRITORY_UNIT
    current: tuple[UnitValue, ...]  # at the card's period
    history: tuple[UnitValue, ...]  # every unit × period up to the cut, in the card's period order
    periods: tuple[str, ...]  # the history's period labels in order (the card's series)
    average: float | None  # the average school of the territory at the card's period
    numerator_label: str | None
    denominator_label: str | None
    silent: tuple[UnitValue, ...] = ()  # the units without a value at the card's period (value None)
    approval: str | None = None  # «Данные за III кв. 2024 утверждены 01.11.2024 (…)» / «… предварительные: …»

    @property
    def coverage(self) -> str | None:
        """«данные 4 из 5 школ» for the target's group (None for a figure of no group)."""
        return self.card.coverage

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
    card = ov.card(target_id)
    if card is None:
        raise deny(scope, f"цель {target_id} дорожной карты {roadmap_id}", engine)
    tid = ov.roadmap.territory_id
    now_pid = card.period_id
    statuses = {r.unit_id: r.status(target_id) for r in ov.rows}
    cut = ov.cut or settings.today(engine)
    with engine.connect() as conn:
        ind = conn.execute(text("SELECT numerator_label, denominator_label FROM indicator WHERE id = :i"),
                           {"i": card.indicator_id}).mappings().one()
        avg = next((x["average"] for x in ev_mod.group_series(conn, [tid], [card.indicator_id], ["all"], cut=cut).get(
            (tid, card.indicator_id, "all"), []) if x["period_id"] == now_pid), None)
    if ov.unit == voc.SCHOOL_UNIT:
        rows = access.rows(engine, """
            SELECT s.id AS unit_id, s.short_name AS name, s.is_shnor, s.is_shnsu, m.value, m.numerator, m.denominator,
                   m.period_id, p.label
            FROM school s
            JOIN measurement m ON m.school_id = s.id AND m.indicator_id = :ind
            JOIN period p ON p.id = m.period_id AND p."end" <= :cut
            WHERE s.territory_id = :tid AND s.id IN ({schools}) ORDER BY p."end", s.short_name""", scope,
                           {"ind": card.indicator_id, "tid": tid, "cut": cut})
    else:
        kids = children(engine, tid, scope)
        with engine.connect() as conn:
            ser = ev_mod.group_series(conn, [k["id"] for k in kids], [card.indicator_id], [card.group], cut=cut)
        names = {k["id"]: k["name"] for k in kids}
        rows = [{"unit_id": k, "name": names[k], "is_shnor": False, "is_shnsu": False, "value": x["value"],
                 "numerator": x.get("sum_numerator"), "denominator": x.get("sum_denominator"),
                 "period_id": x["period_id"], "label": x["label"]}
                for (k, _, _), xs in ser.items() for x in xs]
    values = [UnitValue(unit_id=r["unit_id"], name=r["name"],
                        groups=tuple(g for g in ("shnor", "shnsu") if r[f"is_{g}"]), period_id=r["period_id"],
                        label=r["label"], value=r["value"], numerator=r["numerator"], denominator=r["denominator"],
                        status=statuses.get(r["unit_id"]) if r["period_id"] == now_pid else None) for r in rows]
    current = tuple(v for v in values if now_pid is not None and v.period_id == now_pid)
    silent, approval = (), None
    if now_pid is not None:  # every unit the user sees without a value at the period: listed, not dropped
        reported = {v.unit_id for v in current}
        label = card.as_of_label or ""
        units = ([(r.unit_id, r.name, r.groups) for r in ov.rows] if ov.unit != voc.SCHOOL_UNIT else
                 [(r["id"], r["short_name"], tuple(g for g in ("shnor", "shnsu") if r[f"is_{g}"]))
                  for r in access.rows(engine, """
                      SELECT id, short_name, is_shnor, is_shnsu FROM school
                      WHERE territory_id = :tid AND id IN ({schools}) ORDER BY short_name""", scope, {"tid": tid})])
        silent = tuple(UnitValue(unit_id=u, name=name, groups=groups, period_id=now_pid, label=label, value=None,
                                 status=statuses.get(u)) for u, name, groups in units if u not in reported)
        approval = quarters.approvals(scope, tid, [now_pid], engine).get(now_pid)
    order = [s.label for s in card.series]
    seen = {v.label for v in values}
    return IndicatorView(card=card, unit=ov.unit, current=current,
                         history=tuple(values), periods=tuple(o for o in order if o in seen), average=avg,
                         numerator_label=ind["numerator_label"], denominator_label=ind["denominator_label"],
                         silent=silent, approval=approval.note if approval else None)
