"""targetcount: schools meeting each target per territory and period, kept with the summary

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: Union[str, None] = "0004"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "targetcount",
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column("territory_id", sa.Integer(), nullable=False),
        sa.Column("period_id", sa.Integer(), nullable=False),
        sa.Column("n_group", sa.Integer(), nullable=False),
        sa.Column("n_meeting", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["period_id"], ["period.id"]),
        sa.ForeignKeyConstraint(["target_id"], ["target.id"]),
        sa.ForeignKeyConstraint(["territory_id"], ["territory.id"]),
        sa.PrimaryKeyConstraint("target_id", "territory_id", "period_id"),
    )
    # Existing databases: the overview counts live where no row is kept yet; the next write of
    # measurements (or `python -m core.cli recount`) fills the table.


def downgrade() -> None:
    op.drop_table("targetcount")
