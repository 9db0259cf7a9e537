"""The quarterly cycle: a territory's period state (open / checked / approved) and its deadline

Revision ID: 0007_cycle
Revises: 0006
Create Date: 2026-11-29
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0007_cycle"
down_revision: Union[str, None] = "0006"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "quarterstate",
        sa.Column("territory_id", sa.Integer(), sa.ForeignKey("territory.id"), primary_key=True),
        sa.Column("period_id", sa.Integer(), sa.ForeignKey("period.id"), primary_key=True),
        sa.Column("state", sa.String(length=16), nullable=False, server_default="open"),
        sa.Column("deadline", sa.Date(), nullable=True),
        sa.Column("checked_by", sa.Integer(), sa.ForeignKey("user.id"), nullable=True),
        sa.Column("checked_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("approved_by", sa.Integer(), sa.ForeignKey("user.id"), nullable=True),
        sa.Column("approved_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("updated_by", sa.Integer(), sa.ForeignKey("user.id"), nullable=True),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    )
    op.create_index("ix_quarterstate_period", "quarterstate", ["period_id", "state"])


def downgrade() -> None:
    op.drop_index("ix_quarterstate_period", table_name="quarterstate")
    op.drop_table("quarterstate")
