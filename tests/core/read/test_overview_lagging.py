"""The head's first screen names who lags (issue 27): `Overview.lagging_units` — each unit with a cell
«Отстаёт» in the matrix and the numbers of those targets, the units lagging on most targets first."""

from sqlalchemy import text

from core import vocabulary as voc
from core.formatting import natural_key
from core.read import overview
from tests.helpers import scope_of


def test_lagging_units_are_the_matrix_cells_marked_lagging(demo_db):
    sc = scope_of(demo_db, "demo-admin")
    with demo_db.connect() as c:
        rids = [r[0] for r in c.execute(text("SELECT id FROM roadmap"))]
    seen = 0
    for rid in rids:
        ov = overview.overview(sc, rid, engine=demo_db)
        units = ov.lagging_units()
        numbers = {c.target_id: c.number for c in ov.cards}
        expected = {}
        for row in ov.rows:
            for tid in ov.matrix_targets:
                if row.status(tid) == voc.OFF_TRACK:
                    expected.setdefault(row.name, set()).add(numbers[tid])
        assert {u.name: set(u.targets) for u in units} == expected, rid
        # the same schools the tiles' «отстают» lines name, target by target
        for card in ov.cards:
            assert {u.name for u in units if card.number in u.targets} == set(card.lagging), (rid, card.number)
        keys = [(-len(u.targets), natural_key(u.name)) for u in units]
        assert keys == sorted(keys)
        assert all(list(u.targets) == sorted(u.targets) for u in units)
        seen += len(units)
    assert seen > 0  # the demo has lagging schools: the rule was exercised
