"""How a figure is said aloud (pure functions, no SQL): whose figure it is («ШНОР и ШНСУ, 5 школ»,
with the territory's value beside it), what the plan expects by now in whole people, what a
school's flag says («да» / «нет»), and an honest caption of the forecast. The tiles, meeting-mode
slides, the indicator and school pages and the справка all take these words from here."""

from __future__ import annotations

import functools
import math
import re
from typing import Sequence

from core import formatting as fmt
from core import vocabulary as voc
from core.targets import kinds

EPS = 1e-9


@functools.lru_cache(maxsize=1024)  # pure: said once per group and size (babel's numbers are dear)
def population(group: str, n_schools: int | None) -> str:
    """The set of schools a figure is about: «ШНОР и ШНСУ, 5 школ», «ШНОР, 1 школа», «все 15 школ»;
    a territory-level indicator: «территория в целом» (no schools)."""
    if group == voc.TERRITORY_LEVEL:
        return "территория в целом"
    if group == "all":
        return f"все {fmt.schools(n_schools or 0)}" if n_schools else "все школы"
    label = voc.GROUP_LABELS.get(group, group)
    return f"{label}, {fmt.schools(n_schools or 0)}"


# the kind of a territory from its name, the more specific first («городской округ» is an округ)
_TERRITORY_WORDS = tuple((re.compile(rf"(?<![а-яё]){p}"), w) for p, w in (
    ("округ", "по округу"), ("район", "по району"), (r"(?:город|г\.)(?![а-яё])", "по городу"),
    ("област", "по области"), ("кра[йя]", "по краю"), ("республик", "по республике")))


def territory_word(name: str | None) -> str:
    """How the territory is said after «по»: «по городу», «по району», «по округу», «по области»,
    «по краю», «по республике»; otherwise «по территории»."""
    n = (name or "").lower()
    for pattern, word in _TERRITORY_WORDS:
        if pattern.search(n):
            return word
    return "по территории"


def territory_note(territory: str | None, value: float | None, unit: str) -> str:
    """«по городу 61 %» — the value over every school of the territory at the same period; ""
    without one."""
    if value is None or value != value:
        return ""
    return f"{territory_word(territory)} {fmt.value(value, unit)}"


def goes_up(kind: str, higher_is_better: bool | None = True) -> bool:
    """Whether the target asks for more or for less: the kind's direction (core.targets.kinds), else
    the indicator's own («не ниже среднего», «по этапам»)."""
    d = kinds.kind(kind).direction
    return d > 0 if d is not None else bool(True if higher_is_better is None else higher_is_better)


def whole(x: float, up: bool) -> int:
    """A count of people or schools expected by a straight path, as a whole number rounded the way
    that does not flatter: up where more is better (3,33 directors → 4), down where less is."""
    return math.ceil(x - EPS) if up else math.floor(x + EPS)


def expected_shown(expected: float | None, *, value_kind: str, unit: str, up: bool,
                   denominator: float | None = None) -> tuple[float | None, str | None]:
    """The value the plan expects by now as it can be met: (value, its words or None).

    A count (people, schools, things) or a flag count is a whole number: 3,33 → 4 where more is
    better. A share of a known small whole (directors of 9 schools: `denominator` = 9) is a whole
    number of people over it: 37,0 % of 9 = 3,33 directors → «4 из 9» = 44,4 %. Other values are
    as computed."""
    if expected is None or expected != expected:
        return None, None
    if value_kind in ("count", "flag") or unit in fmt.COUNT_UNITS[1:]:
        return float(whole(expected, up)), None
    if value_kind == "share" and denominator and float(denominator).is_integer() and denominator > 0:
        k = whole(expected * denominator / 100.0, up)
        k = min(max(k, 0), int(denominator))
        return 100.0 * k / denominator, f"{fmt.num(k, 0)} из {fmt.num(denominator, 0)}"
    return expected, None


def expected_text(expected: float | None, note: str | None, unit: str) -> str:
    """«44,4 % (4 из 9)», «213 чел.», «—»."""
    return fmt.value(expected, unit) + (f" ({note})" if note else "")


def school_value(x: float | None, unit: str, value_kind: str) -> str:
    """One school's value in words: a flag as «да» / «нет» (not «1 школ»), anything else as fmt.value."""
    if value_kind == "flag" and x is not None and x == x:
        return "да" if x >= 0.5 else "нет"
    return fmt.value(x, unit)


def result_forecast_text(result, series, due_end, unit: str) -> str:
    """`forecast_text` for an evaluation Result and the series shown (SeriesPoints up to the cut):
    the trend's values up to the period judged, and whether the due period has come."""
    ev, end = result.evaluation, result.period_end
    judged = [p.value for p in series if end is None or p.end <= end]
    return forecast_text(ev.forecast, ev.value, result.forecast_basis, judged[-4:], unit, note=ev.forecast_note,
                         due_passed=bool(result.at_deadline or (due_end and end and end >= due_end)))


def territory_value_text(value: float | None, unit: str, value_kind: str, n_schools: int | None) -> str:
    """The territory's average school beside one school's value: a flag as the schools that have it
    («да у 6 из 9 школ»; `value` is then the share of schools, 0–1), anything else as fmt.value."""
    if value_kind == "flag" and value is not None and value == value and n_schools:
        return f"да у {fmt.of_schools(round(value * n_schools), n_schools)}"
    return fmt.value(value, unit)


def forecast_text(forecast: float | None, value: float | None, basis: str | None, recent: Sequence[float],
                  unit: str, *, note: str | None = None, due_passed: bool = False) -> str:
    """«Прогноз к сроку: 56,3 % — тренд 4 последних периодов (…), продолжен от значения за III кв. 2024», or,
    when the forecast is the value now (the trend was taken as flat), why: the trend runs against the
    latest change, or the values did not move, or the due period has come. `recent`: the values the
    trend was read from, oldest first; `note`: why there is no forecast."""
    if forecast is None or forecast != forecast:
        return f"Прогноз: {note}" if note else "Прогноза нет"
    head = f"Прогноз к сроку: {fmt.value(forecast, unit)}"
    if not basis:
        return head
    flat = value is not None and abs(forecast - value) < EPS
    if not flat or due_passed:
        return f"{head} — {basis}" if not flat else f"{head} — срок наступил, прогноз равен значению"
    # basis: «тренд N последних периодов (A – B), продолжен от значения за B»
    trend = basis.split(", продолжен", 1)[0]
    last = basis.rsplit("значения за ", 1)[-1] if "значения за " in basis else None
    vals = [v for v in recent if v is not None and v == v]
    keep = f"значение{f' за {last}' if last else ''} сохранится"
    if len(vals) >= 2 and abs(vals[-1] - vals[-2]) > EPS:
        return f"{head} — {keep}: {trend} направлен против последнего изменения, поэтому принят ровным"
    return f"{head} — {keep}: {trend} ровный"
