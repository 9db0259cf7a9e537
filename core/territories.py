"""Territories form a tree (country > region > municipality); the closure table lists every
ancestor of every territory so that summaries exist at every level.

One rule, «a territory contains» itself and every territory below it: what a territory-wide user
(head, methodologist) sees (core.auth.scope_for, so core.access's sub-selects too) and what a
territory's quarter approval covers (core.cycle, core.quarters) are the same set."""

from __future__ import annotations

from sqlalchemy import bindparam, text
from sqlmodel import Session

from core.models import Territory, TerritoryClosure


def add_territory(session: Session, territory: Territory) -> Territory:
    """Insert a territory and its closure rows (itself at depth 0, then each ancestor)."""
    session.add(territory)
    session.flush()
    session.add(TerritoryClosure(ancestor_id=territory.id, descendant_id=territory.id, depth=0))
    if territory.parent_id is not None:
        session.execute(text(
            "INSERT INTO territoryclosure (ancestor_id, descendant_id, depth) "
            "SELECT ancestor_id, :me, depth + 1 FROM territoryclosure WHERE descendant_id = :parent"),
            {"me": territory.id, "parent": territory.parent_id})
    session.flush()
    return territory


def contained_sql(param: str = "t") -> str:
    """SQL: the ids of the territories the territory `:param` contains (itself and every one below)."""
    return f"SELECT descendant_id FROM territoryclosure WHERE ancestor_id = :{param}"


def contained(executor, territory_ids) -> frozenset[int]:
    """The territories the given ones contain (themselves and every one below). executor: a Session,
    a Connection."""
    ids = sorted(set(territory_ids))
    if not ids:
        return frozenset()
    stmt = text("SELECT descendant_id FROM territoryclosure WHERE ancestor_id IN :ids").bindparams(
        bindparam("ids", expanding=True))
    return frozenset(r[0] for r in executor.execute(stmt, {"ids": ids}))
