"""targetgroupvalue: like-for-like group sums per target, territory and period, kept with the summary

Revision ID: 0011_target_group_values
Revises: 0010_roadmap_participants
Create Date: 2026-11-29
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0011_target_group_values"
down_revision: Union[str, None] = "0010_roadmap_participants"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "targetgroupvalue",
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column("territory_id", sa.Integer(), nullable=False),
        sa.Column("period_id", sa.Integer(), nullable=False),
        sa.Column("n_members", sa.Integer(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("sv", sa.Float(), nullable=False),
        sa.Column("sn", sa.Float(), nullable=False),
        sa.Column("sd", sa.Float(), nullable=False),
        sa.Column("nf", sa.Integer(), nullable=False),
        sa.Column("bsv", sa.Float(), nullable=False),
        sa.Column("bsn", sa.Float(), nullable=False),
        sa.Column("bsd", sa.Float(), nullable=False),
        sa.Column("bnf", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["period_id"], ["period.id"]),
        sa.ForeignKeyConstraint(["target_id"], ["target.id"]),
        sa.ForeignKeyConstraint(["territory_id"], ["territory.id"]),
        sa.PrimaryKeyConstraint("target_id", "territory_id", "period_id"),
    )
    # Existing databases: the evaluation computes live where no row is kept yet; the next write of
    # measurements (or `python -m core.cli recount`) fills the table.


def downgrade() -> None:
    op.drop_table("targetgroupvalue")
