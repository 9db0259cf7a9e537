"""territory closure: summary at every level of the territory tree

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: Union[str, None] = "0001"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "territoryclosure",
        sa.Column("ancestor_id", sa.Integer(), nullable=False),
        sa.Column("descendant_id", sa.Integer(), nullable=False),
        sa.Column("depth", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["ancestor_id"], ["territory.id"]),
        sa.ForeignKeyConstraint(["descendant_id"], ["territory.id"]),
        sa.PrimaryKeyConstraint("ancestor_id", "descendant_id"),
    )
    with op.batch_alter_table("territoryclosure", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_territoryclosure_descendant_id"), ["descendant_id"], unique=False)
    # Existing territories: each is its own ancestor, then walk the parent links (a tree of any depth).
    op.execute("INSERT INTO territoryclosure (ancestor_id, descendant_id, depth) SELECT id, id, 0 FROM territory")
    for depth in range(1, 10):
        op.execute(sa.text(
            "INSERT INTO territoryclosure (ancestor_id, descendant_id, depth) "
            "SELECT t.parent_id, c.descendant_id, :d FROM territoryclosure c JOIN territory t ON t.id = c.ancestor_id "
            "WHERE c.depth = :p AND t.parent_id IS NOT NULL").bindparams(d=depth, p=depth - 1))
    # Before this revision no code created parent territories, so the summary (kept per leaf
    # territory) is already complete for every level.


def downgrade() -> None:
    with op.batch_alter_table("territoryclosure", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_territoryclosure_descendant_id"))
    op.drop_table("territoryclosure")
