"""The Scope as SQL: one sub-select of the school ids and one of the territory ids a user may see,
which every read joins (`WHERE s.id IN (<schools>)`), so nothing is read unscoped and filtered
afterwards in Python.

The sub-selects mean exactly what `core.auth.Scope.can_see_school` / `can_see_territory` mean
(tests/test_access.py checks it for every demo role): an administrator sees everything; a head or
a methodologist the schools of their territory; a principal their school; a curator their school
and the curated ones, and the territories those schools are in.

    vis = access.visible(scope)
    rows = conn.execute(text(f"SELECT ... FROM school s WHERE s.id IN ({vis.schools})"), {**params, **vis.params})
"""

from __future__ import annotations

from dataclasses import dataclass


from core.auth import Scope
from core.db import statement


@dataclass(frozen=True)
class Visible:
    schools: str  # SQL: SELECT of visible school ids
    territories: str  # SQL: SELECT of visible territory ids
    params: dict
    expanding: tuple[str, ...]


def visible(scope: Scope) -> Visible:
    params: dict = {}
    expanding: list[str] = []
    if scope.territory_ids is None:
        territories = "SELECT id FROM territory"
    else:
        params["_scope_tids"] = sorted(scope.territory_ids) or [-1]
        expanding.append("_scope_tids")
        territories = "SELECT id FROM territory WHERE id IN :_scope_tids"
    if scope.school_ids is not None:
        params["_scope_sids"] = sorted(scope.school_ids) or [-1]
        expanding.append("_scope_sids")
        schools = "SELECT id FROM school WHERE id IN :_scope_sids"
    elif scope.territory_ids is None:
        schools = "SELECT id FROM school"
    else:
        schools = "SELECT id FROM school WHERE territory_id IN :_scope_tids"
    return Visible(schools=schools, territories=territories, params=params, expanding=tuple(expanding))


def rows(executor, sql: str, scope: Scope, params: dict | None = None, expanding: tuple[str, ...] = ()) -> list[dict]:
    """Run `sql`, which uses {schools} and/or {territories} for the visible ids, as `scope` sees it.
    executor: an Engine, a Connection or a Session."""
    vis = visible(scope)
    sql = sql.format(schools=vis.schools, territories=vis.territories)
    names = set(expanding) | {k for k in vis.expanding if f":{k}" in sql}
    stmt = statement(sql, tuple(sorted(names)))
    allp = {**(params or {}), **{k: v for k, v in vis.params.items() if f":{k}" in sql}}
    if hasattr(executor, "connect") and not hasattr(executor, "execute"):
        with executor.connect() as conn:
            res = conn.execute(stmt, allp)
            keys = list(res.keys())
            return [dict(zip(keys, r)) for r in res]
    res = executor.execute(stmt, allp)
    keys = list(res.keys())
    return [dict(zip(keys, r)) for r in res]
