"""Target evaluation: pure functions, no database, no Streamlit. Every screen and report uses these.

Time is a float `t` (the period's end as a fractional year, see `period_t`); values are in the
indicator's own unit (shares in percent, 0-100).

Kinds (DESIGN.md, "Target semantics"):

=====================  ======================================================  ===================
kind                   target value                                            better is
=====================  ======================================================  ===================
at_least X             X                                                       higher
at_most X              X                                                       lower
increase_pp X          baseline + X (percentage points)                        higher
increase_pct X         baseline * (1 + X / 100)                                higher
not_below_average      the territory average in the same period                the indicator's
milestones             the milestone of the period (final: the last one)       the indicator's
=====================  ======================================================  ===================

Evaluation of a target at a period `t_now` (see `evaluate`):

* value: the measured value at `t_now` (None: no data);
* baseline: the value at the baseline period (None when unknown);
* target value: from the kind (above); None when it needs a baseline and there is none;
* progress: (value - baseline) / (target - baseline); None without a baseline. When the baseline
  already meets the target the path is flat: progress is 1 if the value still meets the target,
  else 0. Not clipped (a screen clips its bar to 0..1, the number stays honest);
* expected: the value on the straight path from (t_baseline, baseline) to (t_due, target) at
  t_now, clamped to the ends; for milestones the milestone in force (the last one due at or before
  t_now), or the straight path from the baseline to the first milestone before it;
* forecast: the recent trend, stated with its basis. The slope is the least-squares slope of the
  last FORECAST_PERIODS measured periods up to t_now (at least MIN_FORECAST_POINTS of them,
  otherwise None and a note that says so); the line starts at the value at t_now and is read at
  t_due. When the last step rose the forecast is never below the value now (a negative slope is
  taken as flat), and when it fell never above it. `forecast_ts` are the periods it used.

Status rule (in this order):

0. ``no_data``  - a group whose coverage (schools that reported both the period and the
   baseline, of the group's schools) is below the threshold (settings: MIN_COVERAGE, default
   80 %): the reason names the coverage; a missing report is never read as a decline;
1. ``no_data``  - no value at t_now, or no target value (an increase target without a baseline,
   not_below_average without an average);
2. ``achieved`` - the value meets the final target (>= for higher-is-better, <= for lower);
3. ``off_track`` - the due period has passed (t_now >= t_due) and the target is not met;
4. ``on_track`` - the value meets the expected value at t_now (or, with no expected value, the
   forecast meets the target);
5. ``at_risk``  - behind the expected value by at most AT_RISK_SHARE of the step being judged
   (|target - baseline|, or the step between milestones), or the forecast still meets the target,
   or nothing but the final target can be judged yet (no baseline and no forecast);
6. ``off_track`` - otherwise.

Baselines (explicit rules):

* missing baseline: increase_pp / increase_pct have no target value -> ``no_data`` («нет базового
  значения»); at_least / at_most / milestones are judged without a planned path (the forecast, or
  «Под угрозой» while the target is not met and nothing else can be judged);
* zero baseline, increase_pp: the target is 0 + X as usual;
* zero baseline, increase_pct: a percentage of 0 is 0, so «+X % к базе» cannot be met by staying
  at 0. The rule is «any rise above the baseline»: the target value is None (shown «—»), the
  target is met when the value is above 0 (``achieved``, progress None); a value still at 0 is
  ``at_risk`` before the due period and ``off_track`` after it — never «Достигнут» at 0;
* a baseline that already meets the target: the path is flat (progress 1 or 0, above).

Groups (core.targets.evaluation): the value now and the baseline are aggregated over the same
schools, those that reported both periods (like for like); coverage n of m and the missing
schools are part of the result. Group totals aggregate shares as ratio of sums (`aggregate`),
never as a mean of percentages.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Iterable, Sequence

from core.targets.kinds import Kind as RegistryKind
from core.targets.kinds import codes as kind_codes
from core.targets.kinds import kind as kind_of
from core.vocabulary import STATUS_COLORS, STATUS_ICONS, STATUS_LABELS, STATUSES  # noqa: F401

KINDS = kind_codes()  # the built-in kinds (the registry may gain more)
MIN_FORECAST_POINTS = 3
FORECAST_PERIODS = 4  # the recent trend: the last this many measured periods
AT_RISK_SHARE = 0.25
EPS = 1e-9

@dataclass(frozen=True)
class TargetSpec:
    kind: str
    value: float | None = None
    higher_is_better: bool = True  # of the indicator; used by not_below_average and milestones
    milestones: tuple[tuple[float, float], ...] = ()  # (t, value), any order
    # looked up once: read on every evaluation (plain attributes, not properties: a region's overview
    # judges hundreds of subjects)
    registry_kind: RegistryKind = field(init=False, repr=False, compare=False)  # the registry's row
    direction: int = field(init=False, repr=False, compare=False)  # +1: higher is better for this target, -1: lower
    measures_change: bool = field(init=False, repr=False, compare=False)  # judged like for like from the baseline

    def __post_init__(self) -> None:
        k = kind_of(self.kind)  # an unknown kind is an error
        object.__setattr__(self, "registry_kind", k)
        object.__setattr__(self, "direction", k.direction if k.direction is not None
                           else (1 if self.higher_is_better else -1))
        object.__setattr__(self, "measures_change", k.measures_change)
        if k.uses_milestones and not self.milestones:
            raise ValueError("a milestones target needs at least one milestone")
        if k.needs_amount and self.value is None:
            raise ValueError(f"a {self.kind} target needs a value")

    @property
    def sorted_milestones(self) -> tuple[tuple[float, float], ...]:
        return tuple(sorted(self.milestones))


@dataclass(frozen=True)
class Evaluation:
    status: str
    value: float | None
    baseline: float | None
    target_value: float | None
    progress: float | None
    expected: float | None
    forecast: float | None
    forecast_note: str | None
    reason: str
    direction: int = 1
    meets_target: bool = False
    extra: dict = field(default_factory=dict)
    forecast_ts: tuple[float, ...] = ()  # the periods (t) the forecast's trend was taken from
    uses_forecast: bool = False  # the status came from a rule that consults the forecast
    n_reported: int | None = None  # coverage of a group: schools that reported (both periods)
    n_members: int | None = None  # ... of the group's schools; None for one school or a territory value
    missing_ids: tuple[int, ...] = ()  # the group's schools without the data
    preliminary: bool = False  # the missing schools' last known values would give another status

    @property
    def label(self) -> str:
        return STATUS_LABELS[self.status]


# ---------------------------------------------------------------------------------------------
# Building blocks
# ---------------------------------------------------------------------------------------------
def period_t(end: date) -> float:
    """A period's position on the time axis: its end date as a fractional year."""
    start = date(end.year, 1, 1)
    days = (date(end.year + 1, 1, 1) - start).days
    return end.year + ((end - start).days + 1) / days


def _schools_genitive(m: int) -> str:
    """«из 21 школы», «из 5 школ» (core.formatting.of_schools says it by babel; the pure rules cannot
    import it: formatting reads the kinds registry of this package)."""
    return "школы" if m % 10 == 1 and m % 100 != 11 else "школ"


def share(numerator: float | None, denominator: float | None) -> float | None:
    """A share in percent; None when the denominator is missing or zero."""
    if numerator is None or denominator is None or denominator <= 0:
        return None
    return 100.0 * numerator / denominator


def aggregate(kind: str, rows: Iterable[tuple[float | None, float | None, float | None]]) -> float | None:
    """Aggregate per-school (value, numerator, denominator) rows into a group value.

    share: ratio of sums (100 * sum numerators / sum denominators of rows having both);
    count: sum of values; value: mean of values; flag: number of rows whose value is 1.
    None when no row has data."""
    rows = list(rows)
    if kind == "share":
        pairs = [(n, d) for _, n, d in rows if n is not None and d is not None]
        if not pairs:
            return None
        return share(sum(n for n, _ in pairs), sum(d for _, d in pairs))
    values = [v for v, _, _ in rows if v is not None]
    if not values:
        return None
    if kind == "count":
        return float(sum(values))
    if kind == "value":
        return float(sum(values) / len(values))
    if kind == "flag":
        return float(sum(1 for v in values if v >= 0.5))
    raise ValueError(f"unknown value kind {kind!r}")


def zero_base_increase(spec: TargetSpec, baseline: float | None) -> bool:
    """A relative increase from a zero baseline (judged as «any rise above 0»)."""
    return (spec.registry_kind.any_rise_from_zero and baseline is not None and abs(baseline) <= EPS
            and (spec.value or 0) > 0)


def meets(value: float, goal: float, direction: int) -> bool:
    return (value - goal) * direction >= -EPS


def target_value(spec: TargetSpec, baseline: float | None, average: float | None = None) -> float | None:
    """The value to reach (for milestones: the final milestone); the kind's rule is in the registry
    (core.targets.kinds). From a zero baseline a relative increase has none: «any rise»."""
    final = spec.sorted_milestones[-1][1] if spec.milestones else None
    return spec.registry_kind.target_value(spec.value, baseline, average, final)


def progress(value: float | None, baseline: float | None, target: float | None, direction: int = 1) -> float | None:
    """(value - baseline) / (target - baseline); see the module docstring for the flat case."""
    if value is None or baseline is None or target is None:
        return None
    if (target - baseline) * direction <= EPS:  # the baseline already meets the target
        return 1.0 if meets(value, target, direction) else 0.0
    return (value - baseline) / (target - baseline)


def straight_path(t: float, t0: float, v0: float, t1: float, v1: float) -> float:
    """The value on the line from (t0, v0) to (t1, v1) at t, clamped to the ends."""
    if t1 - t0 <= EPS:
        return v1
    f = min(max((t - t0) / (t1 - t0), 0.0), 1.0)
    return v0 + (v1 - v0) * f


def linear_forecast(points: Sequence[tuple[float, float]], t_at: float) -> tuple[float | None, str | None]:
    """Least-squares line through (t, value) points read at t_at. Needs MIN_FORECAST_POINTS
    distinct t; otherwise (None, reason)."""
    pts = [(t, v) for t, v in points if v is not None and math.isfinite(v)]
    distinct = {round(t, 6) for t, _ in pts}
    if len(distinct) < MIN_FORECAST_POINTS:
        return None, f"для прогноза нужно не меньше {MIN_FORECAST_POINTS} измерений, есть {len(distinct)}"
    n = len(pts)
    mt = sum(t for t, _ in pts) / n
    mv = sum(v for _, v in pts) / n
    stt = sum((t - mt) ** 2 for t, _ in pts)
    slope = sum((t - mt) * (v - mv) for t, v in pts) / stt
    return mv + slope * (t_at - mt), None


def trend_forecast(points: Sequence[tuple[float, float]], t_now: float, t_due: float, *, ordered: bool = False
                   ) -> tuple[float | None, str | None, tuple[float, ...]]:
    """The recent trend read at t_due: (forecast, note when there is none, the periods used).

    The slope is the least-squares slope of the last FORECAST_PERIODS points up to t_now (needs
    MIN_FORECAST_POINTS distinct periods); the line starts at the value at t_now. When the last
    step rose the forecast is not below the value now, when it fell not above it."""
    lim = t_now + EPS
    if ordered:  # sorted by t already (evaluate's points): the last finite ones up to t_now, read from the end
        recent = []
        for t, v in reversed(points):
            if v is not None and t <= lim and math.isfinite(v):
                recent.append((t, v))
                if len(recent) == FORECAST_PERIODS:
                    break
        recent.reverse()
    else:
        recent = sorted((t, v) for t, v in points if v is not None and t <= lim and math.isfinite(v))[-FORECAST_PERIODS:]
    n_distinct = len({round(t, 6) for t, _ in recent})
    if n_distinct < MIN_FORECAST_POINTS:
        return None, f"для прогноза нужно не меньше {MIN_FORECAST_POINTS} измерений, есть {n_distinct}", ()
    if abs(recent[-1][0] - t_now) > EPS:
        return None, "нет значения за период", ()
    n = len(recent)
    mt = sum(t for t, _ in recent) / n
    mv = sum(v for _, v in recent) / n
    slope = sum((t - mt) * (v - mv) for t, v in recent) / sum((t - mt) ** 2 for t, _ in recent)
    last_step = recent[-1][1] - recent[-2][1]
    if last_step * slope < 0:  # the trend contradicts the latest movement: taken as flat
        slope = 0.0
    now = recent[-1][1]
    return now + slope * max(t_due - t_now, 0.0), None, tuple(t for t, _ in recent)


def _milestone_expected(spec: TargetSpec, t_now: float, t_base: float | None, baseline: float | None):
    """(expected value, step size) for a milestones target at t_now."""
    ms = spec.sorted_milestones
    due = [m for m in ms if m[0] <= t_now + EPS]
    if due:
        idx = ms.index(due[-1])
        prev = ms[idx - 1][1] if idx > 0 else baseline
        step = abs(due[-1][1] - prev) if prev is not None else abs(due[-1][1])
        return due[-1][1], step
    first_t, first_v = ms[0]
    if baseline is None or t_base is None:
        return None, None
    return straight_path(t_now, t_base, baseline, first_t, first_v), abs(first_v - baseline)


# ---------------------------------------------------------------------------------------------
# Evaluation
# ---------------------------------------------------------------------------------------------
def evaluate(
    spec: TargetSpec,
    *,
    series: Sequence[tuple[float, float | None]],
    t_now: float,
    t_due: float | None,
    t_baseline: float | None = None,
    baseline: float | None = None,
    average: float | None = None,
    coverage: tuple[int, int] | None = None,
    missing_ids: Sequence[int] = (),
    min_coverage: float = 0.8,
    path_start: float | None = None,
) -> Evaluation:
    """Evaluate a target at t_now from a series of (t, value) measurements.

    `baseline` defaults to the series value at `t_baseline`; `average` is the territory average at
    t_now (for not_below_average). `t_due` defaults to the last milestone for milestone targets.
    `coverage` (n reported, m in the group) and `missing_ids` describe a group's data; below
    `min_coverage` the status is no_data. `path_start`: where the planned path starts when the
    subject has no baseline of its own (a school new to a level target is judged on the level: on
    the group's path); a target that measures a change never uses it. The status rule is in the
    module docstring."""
    k = spec.registry_kind
    d = spec.direction
    lim = t_now + EPS
    points = sorted((t, v) for t, v in series if v is not None and t <= lim)
    value = next((v for t, v in reversed(points) if abs(t - t_now) <= EPS), None)
    if baseline is None and t_baseline is not None:
        baseline = next((v for t, v in points if abs(t - t_baseline) <= EPS), None)
    if k.uses_milestones and t_due is None:
        t_due = spec.sorted_milestones[-1][0]

    tv = target_value(spec, baseline, average)
    forecast, note, f_ts = (None, "нет срока достижения", ())
    if t_due is not None:
        forecast, note, f_ts = trend_forecast(points, t_now, t_due, ordered=True)

    start = baseline if baseline is not None or k.measures_change else path_start
    if k.uses_milestones:
        expected, step = _milestone_expected(spec, t_now, t_baseline, start)
    elif tv is not None and start is not None and t_baseline is not None and t_due is not None:
        expected = straight_path(t_now, t_baseline, start, t_due, tv)
        step = abs(tv - start)
    else:
        expected, step = None, None

    common: dict[str, Any] = dict(value=value, baseline=baseline, target_value=tv,
                                  progress=progress(value, baseline, tv, d), expected=expected, forecast=forecast,
                                  forecast_note=note, direction=d, forecast_ts=f_ts)
    if coverage is not None:
        n, m = coverage
        common.update(n_reported=n, n_members=m, missing_ids=tuple(missing_ids))
        if m and n < min_coverage * m - EPS:
            return Evaluation("no_data", reason=(f"данные {n} из {m} {_schools_genitive(m)} — меньше {round(100 * min_coverage)} %; "
                                                 "по неполным данным статус не ставится"), **common)
    status, reason, meets_target, uses_forecast = _status(spec, value, baseline, tv, expected, step, forecast, t_now,
                                                          t_due)
    return Evaluation(status, reason=reason, meets_target=meets_target, uses_forecast=uses_forecast, **common)


def _status(spec: TargetSpec, value: float | None, baseline: float | None, tv: float | None,
            expected: float | None, step: float | None, forecast: float | None, t_now: float,
            t_due: float | None) -> tuple[str, str, bool, bool]:
    """(status, reason, meets the target, the forecast decided): the status rule of the module
    docstring, after the coverage."""
    d = spec.direction
    if value is None:
        return "no_data", "нет значения за период", False, False
    if zero_base_increase(spec, baseline):
        assert baseline is not None
        if value > baseline + EPS:
            return "achieved", "база 0: засчитывается любой рост, рост есть", True, False
        due_passed = t_due is not None and t_now >= t_due - EPS
        return ("off_track" if due_passed else "at_risk",
                "база 0: рост в процентах от нуля не измерить, засчитывается любой рост — роста пока нет", False, False)
    if tv is None:
        return "no_data", ("нет среднего по территории" if spec.registry_kind.uses_average
                           else "нет базового значения"), False, False
    if meets(value, tv, d):
        return "achieved", "целевое значение достигнуто", True, False
    if t_due is not None and t_now >= t_due - EPS:
        return "off_track", "срок прошёл, цель не достигнута", False, False
    forecast_ok = forecast is not None and meets(forecast, tv, d)
    if expected is not None:
        if meets(value, expected, d):
            return "on_track", "не ниже ожидаемого по плану значения", False, False
        if step is not None and (expected - value) * d <= AT_RISK_SHARE * step + EPS:
            return "at_risk", "немного ниже ожидаемого значения", False, False
        # from here on the forecast decides the status
        if forecast_ok:
            return "at_risk", "заметно ниже ожидаемого значения, но прогноз к сроку достигает цели", False, True
        return "off_track", "заметно ниже ожидаемого значения", False, True
    if forecast is not None:
        if forecast_ok:
            return "on_track", "прогноз к сроку достигает цели", False, True
        return "off_track", "прогноз к сроку не достигает цели", False, True
    return "at_risk", "цель ещё не достигнута, траекторию оценить нельзя", False, True


def group_value(value_kind: str, n_schools: int, sum_value: float, sum_num: float, sum_den: float,
                n_flag: int) -> float | None:
    """A group's value from its summary row, by the indicator's aggregation rule (mirrors
    `aggregate`: shares are a ratio of sums); core.summary keeps the sums."""
    if not n_schools and value_kind != "share":
        return None
    if value_kind == "share":
        return 100.0 * sum_num / sum_den if sum_den > 0 else None
    if value_kind == "count":
        return float(sum_value)
    if value_kind == "value":
        return float(sum_value) / n_schools
    if value_kind == "flag":
        return float(n_flag)
    raise ValueError(value_kind)


def average_value(value_kind: str, n_schools: int, sum_value: float, sum_num: float, sum_den: float,
                  n_flag: int) -> float | None:
    """The average school of a group, for comparing one school with it: shares as a ratio of sums,
    counts and values as the mean per school, flags as the share of schools (0-1)."""
    if value_kind == "share":
        return group_value(value_kind, n_schools, sum_value, sum_num, sum_den, n_flag)
    if not n_schools:
        return None
    if value_kind == "flag":
        return n_flag / n_schools
    return float(sum_value) / n_schools
