"""core/read: every screen's view is typed — frozen dataclasses keyed by ids, carrying dates (never
float years), with no DataFrame or loose dict rows inside — for every demo roadmap, school and role."""

from __future__ import annotations

import dataclasses
from datetime import date

import pandas as pd
import pytest
from sqlalchemy import text

from core import auth
from core.read import curated, indicator, overview, school
from core.read.types import SeriesPoint
from core.targets.evaluation import Result
from tests.helpers import scope_of


def _walk(obj, path="view"):
    """Every value inside a view, with where it is; Results (the evaluation's own type) are leaves."""
    yield path, obj
    if isinstance(obj, Result):
        return
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        for f in dataclasses.fields(obj):
            yield from _walk(getattr(obj, f.name), f"{path}.{f.name}")
    elif isinstance(obj, (list, tuple)):
        for i, x in enumerate(obj):
            yield from _walk(x, f"{path}[{i}]")
    elif isinstance(obj, dict):
        for k, x in obj.items():
            yield from _walk(x, f"{path}[{k!r}]")


def _check(view) -> int:
    assert dataclasses.is_dataclass(view) and type(view).__dataclass_params__.frozen
    points = 0
    for where, x in _walk(view):
        assert not isinstance(x, (pd.DataFrame, pd.Series)), where
        assert not isinstance(x, list), f"{where}: a list (views hold tuples)"
        if dataclasses.is_dataclass(x) and not isinstance(x, type):
            assert type(x).__dataclass_params__.frozen, where
        if isinstance(x, dict):  # only id-keyed maps (the matrix's cells), never rows as dicts
            assert all(isinstance(k, int) for k in x), where
        if isinstance(x, SeriesPoint):
            assert isinstance(x.end, date) and (x.start is None or x.start <= x.end), where
            assert not hasattr(x, "t")
            points += 1
    return points


def test_every_view_is_typed_and_carries_dates(demo_db):
    sc = auth.system_scope()
    with demo_db.connect() as c:
        rids = [r[0] for r in c.execute(text("SELECT id FROM roadmap"))]
        sids = [r[0] for r in c.execute(text("SELECT id FROM school"))]
    points = 0
    for rid in rids:
        ov = overview.overview(sc, rid, engine=demo_db)
        points += _check(ov)
        assert all(set(r.cells) <= set(ov.matrix_targets) for r in ov.rows)
        for card in ov.cards:
            assert [p.end for p in card.series] == sorted(p.end for p in card.series)
            assert card.period_id is None or card.period_id in {p.period_id for p in card.series}
            points += _check(indicator.indicator_view(sc, rid, card.target_id, engine=demo_db, ov=ov))
        with pytest.raises(dataclasses.FrozenInstanceError):  # a cached view is shared by every session
            ov.cut = None
    for sid in sids:
        points += _check(school.school_view(sc, sid, engine=demo_db))
    assert points > 100
    cur = scope_of(demo_db, "demo-curator")
    mine = curated.curated_schools(cur, demo_db)
    assert mine and all(_check(x) >= 0 for x in mine)
    assert {m.school.code for m in mine} == {"NEV-02", "NEV-05"}  # the curator's own school (NEV-01) is not listed
