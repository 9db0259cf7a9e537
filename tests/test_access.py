"""core.access: the Scope as SQL means what Scope.can_see_* mean, for every demo role; the read
modules filter in SQL, never in Python after an unscoped read."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from sqlmodel import select

from core import access, auth
from core.read import lists
from core.db import session_scope
from core.models import School, Territory, User

ROOT = Path(__file__).resolve().parent.parent
LOGINS = ["demo-head", "demo-methodist", "demo-principal", "demo-curator", "demo-admin"]


def _scope(engine, login):
    with session_scope(engine) as s:
        return auth.scope_for(s, s.exec(select(User).where(User.login == login)).one())


@pytest.mark.parametrize("login", LOGINS + ["system"])
def test_the_sub_selects_mean_what_the_scope_means(demo_db, login):
    sc = auth.system_scope() if login == "system" else _scope(demo_db, login)
    with session_scope(demo_db) as s:
        schools = [(x.id, x.territory_id) for x in s.exec(select(School))]
        territories = [x.id for x in s.exec(select(Territory))]
    sql_schools = {r["id"] for r in access.rows(demo_db, "{schools}", sc)}
    sql_terrs = {r["id"] for r in access.rows(demo_db, "{territories}", sc)}
    assert sql_schools == {i for i, t in schools if sc.can_see_school(i, t)}
    assert sql_terrs == {t for t in territories if sc.can_see_territory(t)}
    assert set(lists.schools(sc, demo_db)["id"]) == sql_schools
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
