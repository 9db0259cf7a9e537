"""Territories form a tree (country > region > municipality); the closure table lists every
ancestor of every territory so that summaries exist at every level."""

from __future__ import annotations

from sqlalchemy import text
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
