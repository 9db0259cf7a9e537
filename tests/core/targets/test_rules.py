"""core.targets: a hand-computed table for every kind and status, edge cases, properties."""

import math
from datetime import date

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from core import targets as tg

TS = tg.TargetSpec


def ev(spec, series, t_now, t_due=4.0, t_baseline=0.0, **kw):
    return tg.evaluate(spec, series=series, t_now=t_now, t_due=t_due, t_baseline=t_baseline, **kw)


# (id, spec, series, t_now, kwargs, status, target_value, progress, expected)
# Baseline at t=0, due at t=4 unless stated; every number below was worked out by hand.
TABLE = [
    ("at_least achieved", TS("at_least", 60), [(0, 40), (2, 62)], 2, {}, "achieved", 60, 1.1, 50),
    ("at_least on the path", TS("at_least", 60), [(0, 40), (2, 50)], 2, {}, "on_track", 60, 0.5, 50),
    ("at_least behind by 4 of 20", TS("at_least", 60), [(0, 40), (2, 46)], 2, {}, "at_risk", 60, 0.3, 50),
    ("at_least behind by 6 of 20", TS("at_least", 60), [(0, 40), (2, 44)], 2, {}, "off_track", 60, 0.2, 50),
    ("at_least due passed", TS("at_least", 60), [(0, 40), (4, 55)], 4, {}, "off_track", 60, 0.75, 60),
    ("at_most on the path", TS("at_most", 0), [(0, 3), (2, 1)], 2, {}, "on_track", 0, 2 / 3, 1.5),
    ("at_most achieved", TS("at_most", 0), [(0, 3), (2, 0)], 2, {}, "achieved", 0, 1.0, 1.5),
    ("at_most behind 0.5 of 3", TS("at_most", 0), [(0, 3), (2, 2)], 2, {}, "at_risk", 0, 1 / 3, 1.5),
    ("at_most behind 1 of 3", TS("at_most", 0), [(0, 3), (2, 2.5)], 2, {}, "off_track", 0, 1 / 6, 1.5),
    ("increase_pp on track", TS("increase_pp", 5), [(0, 52), (2, 55)], 2, {}, "on_track", 57, 0.6, 54.5),
    ("increase_pp achieved", TS("increase_pp", 5), [(0, 52), (3, 57.5)], 3, {}, "achieved", 57, 1.1, 55.75),
    ("increase_pct achieved", TS("increase_pct", 10), [(0, 200), (2, 221)], 2, {}, "achieved", 220, 1.05, 210),
    ("increase_pct behind 5 of 20", TS("increase_pct", 10), [(0, 200), (2, 205)], 2, {}, "at_risk", 220, 0.25, 210),
    ("increase_pct behind 6 of 20", TS("increase_pct", 10), [(0, 200), (2, 204)], 2, {}, "off_track", 220, 0.2, 210),
    ("not_below_average achieved", TS("not_below_average"), [(2, 97)], 2, {"average": 96, "t_baseline": None},
     "achieved", 96, None, None),
    ("not_below_average forecast ok", TS("not_below_average"), [(0, 90), (1, 92), (2, 95)], 2,
     {"average": 96, "t_baseline": None}, "on_track", 96, None, None),
    ("not_below_average forecast short", TS("not_below_average"), [(0, 95), (1, 94.5), (2, 95)], 2,
     {"average": 96, "t_baseline": None}, "off_track", 96, None, None),
    ("not_below_average one point", TS("not_below_average"), [(2, 95)], 2, {"average": 96, "t_baseline": None},
     "at_risk", 96, None, None),
    ("not_below_average lower is better", TS("not_below_average", higher_is_better=False), [(2, 95)], 2,
     {"average": 96, "t_baseline": None}, "achieved", 96, None, None),
    ("milestone met", TS("milestones", milestones=((1, 3), (2, 5), (3, 7))), [(0, 0), (1, 3)], 1,
     {"t_due": None}, "on_track", 7, 3 / 7, 3),
    ("milestone missed", TS("milestones", milestones=((1, 3), (2, 5), (3, 7))), [(0, 0), (1, 3), (2, 4)], 2,
     {"t_due": None}, "off_track", 7, 4 / 7, 5),
    ("milestone before the first", TS("milestones", milestones=((1, 3), (2, 5), (3, 7))), [(0, 0), (0.5, 1)], 0.5,
     {"t_due": None}, "at_risk", 7, 1 / 7, 1.5),
    ("milestone final met", TS("milestones", milestones=((1, 3), (2, 5), (3, 7))), [(0, 0), (3, 7)], 3,
     {"t_due": None}, "achieved", 7, 1.0, 7),
    ("milestone final missed", TS("milestones", milestones=((1, 3), (2, 5), (3, 7))), [(0, 0), (3, 6)], 3,
     {"t_due": None}, "off_track", 7, 6 / 7, 7),
    ("no value at the period", TS("at_least", 60), [(0, 40), (1, 45)], 2, {}, "no_data", 60, None, 50),
    ("increase without baseline", TS("increase_pp", 5), [(2, 55)], 2, {}, "no_data", None, None, None),
    ("average missing", TS("not_below_average"), [(2, 95)], 2, {"average": None, "t_baseline": None},
     "no_data", None, None, None),
    ("baseline already above target, still above", TS("at_least", 60), [(0, 65), (2, 63)], 2, {}, "achieved", 60,
     1.0, 62.5),
    ("baseline already above target, fell below", TS("at_least", 60), [(0, 65), (2, 58)], 2, {}, "off_track", 60,
     0.0, 62.5),
    ("single point, no baseline", TS("at_least", 60), [(2, 50)], 2, {"t_baseline": None}, "at_risk", 60, None, None),
]


@pytest.mark.parametrize("name,spec,series,t_now,kw,status,target,prog,expected", TABLE, ids=[r[0] for r in TABLE])
def test_table(name, spec, series, t_now, kw, status, target, prog, expected):
    kw = dict(kw)
    t_due = kw.pop("t_due", 4.0)
    t_base = kw.pop("t_baseline", 0.0)
    e = ev(spec, series, t_now, t_due=t_due, t_baseline=t_base, **kw)
    assert e.status == status, e.reason
    assert e.target_value == pytest.approx(target) if target is not None else e.target_value is None
    assert e.progress == pytest.approx(prog) if prog is not None else e.progress is None
    assert e.expected == pytest.approx(expected) if expected is not None else e.expected is None


def test_every_status_is_covered_by_the_table():
    assert {row[5] for row in TABLE} == set(tg.STATUSES)
    assert {row[1].kind for row in TABLE} == set(tg.KINDS)


def test_forecast_needs_three_points_and_says_so():
    e = ev(TS("at_least", 60), [(0, 40), (2, 50)], 2)
    assert e.forecast is None
    assert "не меньше 3" in e.forecast_note and "есть 2" in e.forecast_note
    e = ev(TS("at_least", 60), [(0, 40), (1, 45), (2, 50)], 2)
    assert e.forecast == pytest.approx(60.0)  # 40 + 5 per unit, read at t=4
    assert e.forecast_note is None


def test_forecast_can_lift_a_lagging_value_to_at_risk():
    # at_least 50 from a baseline of 40 (t=0) by t=4: at t=1 the path expects 42.5; 39 is 3.5 behind,
    # more than a quarter of the step (2.5), so without a forecast it would be off track ...
    spec = TS("at_least", 50)
    e = ev(spec, [(0, 40), (1, 39)], 1)
    assert e.expected == pytest.approx(42.5)
    assert e.status == "off_track"
    # ... but with two earlier points the recent trend (slope 6.5) from 39 reaches 58.5 by t=4: at risk.
    e = ev(spec, [(-2, 20), (-1, 30), (0, 38), (1, 39)], 1)
    assert e.forecast == pytest.approx(58.5)
    assert e.forecast_ts == (-2, -1, 0, 1)
    assert e.status == "at_risk"
    # a fall in the last period: the trend is not projected against it (flat from 39)
    e = ev(spec, [(-2, 20), (-1, 30), (0, 40), (1, 39)], 1)
    assert e.forecast == pytest.approx(39)
    assert e.status == "off_track"


def test_forecast_uses_the_last_four_periods_and_never_lands_below_a_rising_value():
    # slow growth for years, then a fast rise: a line fitted from the first year lands below today's
    # value; the recent trend starts at today's value and keeps rising.
    series = [(t / 4, 10 + t * 0.1) for t in range(12)] + [(3.0, 14), (3.25, 18), (3.5, 22), (3.75, 26)]
    old, _ = tg.linear_forecast(series, 5.0)
    assert old < 26
    e = ev(TS("at_least", 40), series, 3.75, t_due=5.0, t_baseline=0.0)
    assert e.forecast_ts == (3.0, 3.25, 3.5, 3.75)
    assert e.forecast == pytest.approx(26 + 16 * 1.25)
    # a dip in an older period does not pull a rising forecast below the value now
    e = ev(TS("at_least", 40), [(0, 30), (1, 10), (2, 11), (3, 12)], 3, t_due=5.0, t_baseline=0.0)
    assert e.forecast >= 12


@given(vals=st.lists(st.floats(0, 100), min_size=3, max_size=8))
def test_forecast_follows_the_last_step(vals):
    pts = [(float(i), v) for i, v in enumerate(vals)]
    f, _, _ = tg.trend_forecast(pts, len(vals) - 1, len(vals) + 3)
    if vals[-1] > vals[-2]:
        assert f >= vals[-1] - 1e-6
    if vals[-1] < vals[-2]:
        assert f <= vals[-1] + 1e-6


@pytest.mark.parametrize("value,t_now,status", [(0, 2, "at_risk"), (0, 4, "off_track"), (3, 2, "achieved")])
def test_relative_increase_from_zero_is_not_achieved_at_zero(value, t_now, status):
    e = ev(TS("increase_pct", 10), [(0, 0), (t_now, value)], t_now)
    assert e.status == status, e.reason
    assert e.progress is None and e.target_value is None
    assert "база 0" in e.reason


def test_zero_baseline_increase_pp_is_the_amount():
    e = ev(TS("increase_pp", 5), [(0, 0), (2, 5)], 2)
    assert e.status == "achieved" and e.target_value == 5


def test_missing_baseline_rules():
    assert ev(TS("increase_pct", 10), [(2, 5)], 2).status == "no_data"
    e = ev(TS("at_least", 60), [(2, 50)], 2)  # no path without a baseline, nothing else to judge
    assert e.status == "at_risk" and e.expected is None


@pytest.mark.parametrize("n,m,status", [(4, 5, "on_track"), (3, 5, "no_data"), (5, 5, "on_track")])
def test_coverage_below_threshold_is_no_data_not_a_decline(n, m, status):
    e = tg.evaluate(TS("at_least", 60), series=[(0, 40), (2, 52)], t_now=2, t_due=4, t_baseline=0,
                    coverage=(n, m), missing_ids=list(range(m - n)))
    assert e.status == status, e.reason
    assert (e.n_reported, e.n_members, len(e.missing_ids)) == (n, m, m - n)
    if status == "no_data":
        assert f"{n} из {m}" in e.reason


def test_share_and_zero_denominator():
    assert tg.share(5, 0) is None
    assert tg.share(None, 10) is None
    assert tg.share(3, 12) == pytest.approx(25.0)
    assert tg.aggregate("share", [(None, 5, 0), (None, None, 10)]) is None


def test_group_share_is_a_ratio_of_sums_not_a_mean_of_percentages():
    rows = [(50.0, 1, 2), (1.0, 1, 100)]
    assert tg.aggregate("share", rows) == pytest.approx(100 * 2 / 102)
    assert tg.aggregate("share", rows) != pytest.approx((50.0 + 1.0) / 2)


def test_aggregate_other_kinds():
    assert tg.aggregate("count", [(3, None, None), (None, None, None), (4, None, None)]) == 7
    assert tg.aggregate("value", [(3, None, None), (5, None, None)]) == 4
    assert tg.aggregate("flag", [(1, None, None), (0, None, None), (1, None, None)]) == 2
    assert tg.aggregate("count", []) is None
    with pytest.raises(ValueError):
        tg.aggregate("nonsense", [(1, 1, 1)])


def test_spec_validation():
    with pytest.raises(ValueError):
        TS("more_or_less", 1)
    with pytest.raises(ValueError):
        TS("at_least")
    with pytest.raises(ValueError):
        TS("milestones")


def test_period_t_orders_periods_by_end():
    assert tg.period_t(date(2024, 3, 31)) < tg.period_t(date(2024, 6, 30)) < tg.period_t(date(2024, 12, 31))
    assert tg.period_t(date(2024, 12, 31)) == pytest.approx(2025.0)


# ---------------------------------------------------------------------------------------------
# Properties
# ---------------------------------------------------------------------------------------------
finite = st.floats(min_value=-1e4, max_value=1e4, allow_nan=False, allow_infinity=False)


@given(baseline=finite, gap=st.floats(min_value=0.01, max_value=1e3), d=st.sampled_from([1, -1]))
def test_progress_is_zero_at_baseline_and_one_at_target(baseline, gap, d):
    target = baseline + d * gap
    assert tg.progress(baseline, baseline, target, d) == pytest.approx(0.0, abs=1e-9)
    assert tg.progress(target, baseline, target, d) == pytest.approx(1.0)


@given(t0=st.floats(0, 10), span=st.floats(0.1, 10), f=st.floats(-1, 2), v0=finite, v1=finite)
def test_straight_path_stays_between_its_ends(t0, span, f, v0, v1):
    v = tg.straight_path(t0 + f * span, t0, v0, t0 + span, v1)
    assert min(v0, v1) - 1e-6 <= v <= max(v0, v1) + 1e-6


@given(a=finite, b=st.floats(-100, 100), ts=st.lists(st.floats(0, 20), min_size=3, max_size=8, unique=True))
def test_forecast_reproduces_a_straight_line(a, b, ts):
    assume(len({round(t, 6) for t in ts}) >= 3 and max(ts) - min(ts) > 0.5)
    f, note = tg.linear_forecast([(t, a + b * t) for t in ts], 25.0)
    assert note is None
    assert f == pytest.approx(a + b * 25.0, rel=1e-6, abs=1e-4)


@given(kind=st.sampled_from(["at_least", "at_most", "increase_pp", "increase_pct"]), amount=st.floats(0, 100),
       base=st.floats(0, 100), value=st.floats(0, 150), t_now=st.floats(0.5, 5))
def test_evaluate_is_total_and_consistent(kind, amount, base, value, t_now):
    e = ev(TS(kind, amount), [(0, base), (t_now, value)], t_now)
    assert e.status in tg.STATUSES
    if e.target_value is not None:
        assert (e.status == "achieved") == tg.meets(value, e.target_value, e.direction)
    if e.status == "on_track":
        assert e.expected is None or tg.meets(value, e.expected, e.direction)


@given(rows=st.lists(st.tuples(st.integers(0, 500), st.integers(0, 500)), min_size=1, max_size=30))
def test_summary_group_value_matches_aggregate(rows):
    rows = [(n, d) for n, d in rows if n <= d]
    assume(rows)
    direct = tg.aggregate("share", [(None, n, d) for n, d in rows])
    pos = [(n, d) for n, d in rows if d > 0]
    from_summary = tg.group_value("share", len(rows), 0.0, sum(n for n, _ in pos), sum(d for _, d in pos), 0)
    if direct is None:
        assert from_summary is None
    else:
        assert math.isclose(direct, from_summary, rel_tol=1e-12)
