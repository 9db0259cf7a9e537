"""core.access: the Scope as SQL means what Scope.can_see_* mean, for every demo role; the read
modules filter in SQL, never in Python after an unscoped read."""

from __future__ import annotations

import ast

import pytest
from sqlalchemy import bindparam
from sqlmodel import select

from core import access, auth
from core.read import lists
from core.db import session_scope
from core.models import School, Territory
from core.settings import ROOT
from tests.helpers import scope_of

LOGINS = ["demo-head", "demo-methodist", "demo-principal", "demo-curator", "demo-admin"]


@pytest.mark.parametrize("login", LOGINS + ["system"])
def test_the_sub_selects_mean_what_the_scope_means(demo_db, login):
    sc = auth.system_scope() if login == "system" else scope_of(demo_db, login)
    with session_scope(demo_db) as s:
        schools = [(x.id, x.territory_id) for x in s.exec(select(School))]
        territories = [x.id for x in s.exec(select(Territory))]
    sql_schools = {r["id"] for r in access.rows(demo_db, "{schools}", sc)}
    sql_terrs = {r["id"] for r in access.rows(demo_db, "{territories}", sc)}
    assert sql_schools == {i for i, t in schools if sc.can_see_school(i, t)}
    assert sql_terrs == {t for t in territories if sc.can_see_territory(t)}
    assert {s.id for s in lists.schools(sc, demo_db)} == sql_schools
    if login != "system" and login != "demo-admin":
        assert sql_schools and len(sql_schools) < len(schools)  # a real restriction


@pytest.mark.parametrize("module", ["core/read/overview.py", "core/read/school.py", "core/read/indicator.py",
                                    "core/read/curated.py", "core/read/lists.py", "core/reports.py",
                                    "core/roadmap_view.py", "core/targets/evaluation.py"])
def test_reads_filter_in_sql_not_in_python(module):
    """The read modules never call Scope.can_see_* (that would be filtering after reading)."""
    tree = ast.parse((ROOT / module).read_text(encoding="utf-8"))
    calls = [n.func.attr for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
             and n.func.attr in ("can_see_school", "can_see_territory")]
    assert not calls, f"{module}: {calls}"


def test_a_territory_contains_the_territories_below_it_for_the_scope_and_the_approval(empty_db):
    """One rule (core.territories.contained): a regional methodologist or head sees the schools of the
    region's municipalities (Python and SQL alike) and manages their quarters; the region's approval
    covers those municipalities; nothing of the other region is theirs."""
    from sqlalchemy import text

    from core import cycle, synthetic
    from core.quarters import quarter_state
    from core.territories import contained

    synthetic.build(empty_db, synthetic.Scale("t", regions=2, municipalities=2, schools=2, indicators=3, periods=2))
    with empty_db.connect() as c:
        region, other = [r[0] for r in c.execute(text("SELECT id FROM territory WHERE kind = 'region' ORDER BY id"))]
        below = {r[0] for r in c.execute(text("SELECT id FROM territory WHERE parent_id = :r"), {"r": region})}
        theirs = {r[0] for r in c.execute(text("SELECT id FROM school WHERE territory_id IN :t").bindparams(
            bindparam("t", expanding=True)), {"t": sorted(below)})}
        all_schools = [(r[0], r[1]) for r in c.execute(text("SELECT id, territory_id FROM school"))]
        all_terrs = [r[0] for r in c.execute(text("SELECT id FROM territory"))]
        assert contained(c, [region]) == frozenset(below | {region}) and len(below) == 2 and len(theirs) == 4
    with session_scope(empty_db, write=True) as s:
        for login, role in (("reg-met", "methodologist"), ("reg-head", "head")):
            auth.create_user(s, login=login, password="x", full_name=login, role=role, territory_id=region,
                             check_rules=False)
    met, head = scope_of(empty_db, "reg-met"), scope_of(empty_db, "reg-head")
    for sc in (met, head):
        assert {i for i, t in all_schools if sc.can_see_school(i, t)} == theirs
        assert {r["id"] for r in access.rows(empty_db, "{schools}", sc)} == theirs
        assert {r["id"] for r in access.rows(empty_db, "{territories}", sc)} == {t for t in all_terrs
                                                                                  if sc.can_see_territory(t)}
        assert not sc.can_see_territory(other)
    muni = min(below)
    assert cycle.mark_checked(met, muni, "2022-Q1", empty_db).state == "checked"  # a municipality below: theirs
    cycle.mark_checked(met, region, "2022-Q2", empty_db)
    cycle.approve(head, region, "2022-Q2", empty_db)
    assert quarter_state(muni, "2022-Q2", empty_db).state == "approved"  # the region's approval covers it
    with pytest.raises(auth.AccessDenied):
        cycle.mark_checked(met, min(t for t in all_terrs if t not in contained(empty_db.connect(), [region])),
                           "2022-Q1", empty_db)
