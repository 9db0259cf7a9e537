"""Targets: the pure rules (`rules`), one evaluation of a target for a school, a group or a
territory at a cut (`evaluation`), and the SQL that counts schools meeting targets
(`core.target_counts`, proven equal to the evaluation by tests/test_evaluation.py).

`import core.targets as tg` keeps giving the pure rules (tg.evaluate, tg.TargetSpec, ...)."""

from core.targets.rules import *  # noqa: F401,F403
from core.targets.rules import (  # noqa: F401  (underscored and explicit names)
    AT_RISK_SHARE, EPS, FORECAST_PERIODS, KINDS, MIN_FORECAST_POINTS, STATUS_COLORS, STATUS_ICONS, STATUS_LABELS,
    STATUSES, Evaluation, TargetSpec, aggregate, average_value, group_value, evaluate, linear_forecast, meets, period_t, progress, share,
    straight_path, target_value, trend_forecast, zero_base_increase)
