"""The registry of target kinds: everything that differs between kinds, in one row per kind.

A kind says how its target value is computed (from the amount, the baseline, the territory's
average, the milestones), which way is better, whether it measures a change (then a group is judged
like for like: over the schools that reported both the baseline and the period judged), its words
on screen and in the roadmap workbook, the rule in words, and the SQL that says «this school meets
it» for the kept counts (core.target_counts). The rules (core.targets.rules), the evaluation, the
SQL counts, formatting, the roadmap workbook, the Word draft and the demo read this registry; an
unknown kind is an error (`kind()` raises), never a fall-through.

Pure data and small functions, no imports from the rest of the app (core.vocabulary re-exports
the codes and words).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

EPS = 1e-9


@dataclass(frozen=True)
class Kind:
    code: str
    label: str  # the words on screen and in the roadmap workbook's «Вид цели» column
    direction: int | None  # +1 higher is better, -1 lower; None: the indicator's own
    needs_amount: bool  # the roadmap must give a number (60 for «не менее 60 %»)
    needs_baseline: bool  # the target value is counted from the baseline
    measures_change: bool  # a group is judged like for like (same schools at the baseline and now)
    # the value to reach: (amount, baseline, average, final milestone) -> value or None
    goal: Callable[[float | None, float | None, float | None, float | None], float | None]
    # the rule in words: (amount formatted, amount formatted with unit, «от I кв. 2024», average words)
    words: Callable[[str, str, str, str], str]
    # SQL for the school's goal, given the names of the amount parameter and of the baseline
    # expression; None when it needs the average or the final milestone (passed as the amount)
    sql_goal: Callable[[str, str], str]
    uses_milestones: bool = False
    uses_average: bool = False
    any_rise_from_zero: bool = False  # a relative increase from a zero baseline: any rise counts

    def target_value(self, amount: float | None, baseline: float | None, average: float | None = None,
                     final_milestone: float | None = None) -> float | None:
        if self.needs_baseline and baseline is None:
            return None
        if self.any_rise_from_zero and baseline is not None and abs(baseline) <= EPS and (amount or 0) > 0:
            return None  # «+X %» of zero: any rise above 0 (core.targets.rules)
        return self.goal(amount, baseline, average, final_milestone)


def _increase_pct(a, b, _avg, _m):
    return b * (1 + a / 100.0)


REGISTRY: dict[str, Kind] = {}


def register(k: Kind) -> Kind:
    """Add a kind (tests add one to see it evaluated, counted and worded)."""
    REGISTRY[k.code] = k
    return k


def unregister(code: str) -> None:
    REGISTRY.pop(code, None)


for _k in (
    Kind("at_least", "не менее", +1, True, False, False, lambda a, b, avg, m: float(a),
         lambda n, nu, base, avg: f"≥ {nu}", lambda a, b: a),
    Kind("at_most", "не более", -1, True, False, False, lambda a, b, avg, m: float(a),
         lambda n, nu, base, avg: f"≤ {nu}", lambda a, b: a),
    Kind("increase_pp", "рост, п.п.", +1, True, True, True, lambda a, b, avg, m: b + a,
         lambda n, nu, base, avg: f"+{n} п.п.{base}", lambda a, b: f"{b} + {a}"),
    Kind("increase_pct", "рост, %", +1, True, True, True, _increase_pct,
         lambda n, nu, base, avg: f"+{n} %{base}", lambda a, b: f"{b} * (1 + {a} / 100.0)",
         any_rise_from_zero=True),
    Kind("not_below_average", "не ниже среднего", None, False, False, False, lambda a, b, avg, m: avg,
         lambda n, nu, base, avg: f"не ниже {avg}", lambda a, b: a, uses_average=True),
    Kind("milestones", "по этапам", None, False, False, False, lambda a, b, avg, m: m,
         lambda n, nu, base, avg: "по этапам", lambda a, b: a, uses_milestones=True),
):
    register(_k)


def kind(code: str) -> Kind:
    """The kind of this code; an unknown code is an error."""
    try:
        return REGISTRY[code]
    except KeyError:
        raise ValueError(f"unknown target kind {code!r}") from None


def codes() -> tuple[str, ...]:
    return tuple(REGISTRY)


def labels() -> dict[str, str]:
    """{code: words}, e.g. {"at_least": "не менее", …}."""
    return {k.code: k.label for k in REGISTRY.values()}


def by_label() -> dict[str, str]:
    """{words: code}: how the roadmap workbook and the Word draft read a kind."""
    return {k.label: k.code for k in REGISTRY.values()}

