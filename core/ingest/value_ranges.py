"""Values within reason: the plausible range of every indicator's values.

A share is 0–100 % by construction (its «из них» never exceeds its «всего»); its two counts, a count
indicator and a value not in per cent are bounded above by the indicator's maximum (`max_value`,
else COUNT_CEILING — no school counts a hundred thousand pupils, teachers or participants) and, where
the indicator counts a school's pupils or teachers (`per_school`, else read from a share's «всего»
label) and the school's number is known, by that number with a margin (the directory may be a year
old). A value
outside is refused with a Russian message naming the range, by the upload, the browser entry and the
CLI alike (`core.ingest.pipeline._EntryCheck.number` calls `out_of_range`), and `core.cli check` reports
stored values outside (`stored_outside`)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.engine import Engine

from core.formatting import num

COUNT_CEILING = 100_000.0
# the directory's pupils and teachers may be a year old, and a small school's staff changes by a few:
# up to half as many again plus ten is still taken (610 pupils: 925; 33 teachers: 59)
PER_SCHOOL_MARGIN, PER_SCHOOL_SLACK = 1.5, 10
PER_SCHOOL_WORDS = {"pupils": ("обучающихся", r"учащ|обучающ|учени|школьник|детей|воспитанник"),
                    "teachers": ("педагогов", r"педагог|учител|преподават")}


@dataclass(frozen=True)
class Bounds:
    indicators: dict[int, dict]  # indicator id -> {max_value, per_school}
    schools: dict[int, dict]  # school id -> {pupils, teachers}


def load(engine_or_conn) -> Bounds:
    """The bounds of every indicator and the schools' pupils and teachers (two small reads)."""
    def read(c):
        inds = {r.id: {"max_value": r.max_value, "per_school": _per_school(r)} for r in c.execute(text(
            "SELECT id, value_kind, unit, name, short_name, denominator_label, max_value, per_school FROM indicator"))}
        schools = {r.id: {"pupils": r.pupils, "teachers": r.teachers}
                   for r in c.execute(text("SELECT id, pupils, teachers FROM school"))}
        return Bounds(inds, schools)

    if isinstance(engine_or_conn, Engine):
        with engine_or_conn.connect() as c:
            return read(c)
    return read(engine_or_conn)


def _per_school(r) -> str | None:
    if r.per_school in PER_SCHOOL_WORDS:
        return r.per_school
    if r.value_kind != "share":
        # a count's name does not tell persons from events («участники олимпиад» counts participations,
        # more than the school's pupils): bounded per school only when `per_school` says so
        return None
    for key, (_, pattern) in PER_SCHOOL_WORDS.items():  # what a share's «всего» counts
        if re.search(pattern, r.denominator_label or "", re.I):
            return key
    return None


def upper_bound(bounds: Bounds, indicator: dict, school_id: int | None, part: str) -> tuple[float, str]:
    """(the largest plausible number for `part` of `indicator` at the school, why that number)."""
    if indicator["value_kind"] == "flag":
        return 1.0, "1 — да, 0 — нет"
    if part == "value" and indicator["value_kind"] == "value" and indicator.get("unit") == "%":
        return 100.0, "процент"
    own = bounds.indicators.get(indicator["id"], {})
    top = own.get("max_value") or COUNT_CEILING
    why = "наибольшее допустимое для показателя" if own.get("max_value") else "наибольшее правдоподобное для школы"
    per = own.get("per_school")
    if per and school_id is not None and part in ("value", "numerator", "denominator"):
        known = (bounds.schools.get(school_id) or {}).get(per)
        if known:
            limit = math.floor(known * PER_SCHOOL_MARGIN) + PER_SCHOOL_SLACK
            if limit < top:
                top, why = float(limit), (f"{PER_SCHOOL_WORDS[per][0]} в школе по справочнику {num(known, 0)}, "
                                          f"с запасом в полтора раза и ещё {PER_SCHOOL_SLACK}")
    return top, why


def out_of_range(bounds: Bounds | None, indicator: dict, school_id: int | None, part: str, number: float) -> str | None:
    """A Russian refusal when `number` (already known to be ≥ 0) is beyond the plausible range, else None."""
    if bounds is None:
        return None
    if not math.isfinite(number):
        return "число вне допустимого диапазона (бесконечность или не число)"
    top, why = upper_bound(bounds, indicator, school_id, part)
    if number > top:
        return f"значение {num(number, 2)} вне допустимого диапазона: от 0 до {num(top, 0)} ({why})"
    return None


def stored_outside(engine: Engine) -> list[dict]:
    """Stored school values outside their range: [{school, indicator, period, part, value, top}] (at
    most 50), for `core.cli check`. One read of the measurements' maxima per key part."""
    bounds = load(engine)
    out = []
    with engine.connect() as c:
        rows = c.execute(text(
            "SELECT m.school_id, m.indicator_id, m.value, m.numerator, m.denominator, s.short_name AS school, "
            "i.code, i.value_kind, i.unit, p.label FROM measurement m JOIN school s ON s.id = m.school_id "
            "JOIN indicator i ON i.id = m.indicator_id JOIN period p ON p.id = m.period_id "
            "WHERE m.value < 0 OR m.numerator < 0 OR m.denominator < 0 OR m.value > 100 OR m.numerator > 100 "
            "OR m.denominator > 100"))
        for r in rows:
            ind = {"id": r.indicator_id, "value_kind": r.value_kind, "unit": r.unit}
            parts = ({"numerator": r.numerator, "denominator": r.denominator} if r.value_kind == "share"
                     else {"value": r.value})
            for part, v in parts.items():
                if v is None:
                    continue
                if v < 0 or out_of_range(bounds, ind, r.school_id, part, float(v)):
                    out.append({"school": r.school, "indicator": r.code, "period": r.label, "part": part,
                                "value": float(v), "top": upper_bound(bounds, ind, r.school_id, part)[0]})
            if r.value_kind == "share" and r.value is not None and not (0 <= r.value <= 100):
                out.append({"school": r.school, "indicator": r.code, "period": r.label, "part": "value",
                            "value": float(r.value), "top": 100.0})
            if len(out) >= 50:
                break
    return out[:50]
