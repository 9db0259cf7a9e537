"""approvalsnapshot, approvalfigure: the figures an approval froze; uservisit: a user's previous visit

Revision ID: 0012_approval_snapshot
Revises: 0014_value_ranges
Create Date: 2026-12-06
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0012_approval_snapshot"
down_revision: Union[str, None] = "0014_value_ranges"  # chained after main's head at the merge of main
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "approvalsnapshot",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("territory_id", sa.Integer(), nullable=False),
        sa.Column("period_id", sa.Integer(), nullable=False),
        sa.Column("cut", sa.Date(), nullable=False),
        sa.Column("approved_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("approved_by", sa.Integer(), nullable=True),
        sa.Column("basis", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["approved_by"], ["user.id"]),
        sa.ForeignKeyConstraint(["period_id"], ["period.id"]),
        sa.ForeignKeyConstraint(["territory_id"], ["territory.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("territory_id", "period_id", name="uq_approvalsnapshot_key"),
    )
    op.create_table(
        "approvalfigure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("snapshot_id", sa.Integer(), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column("subject_kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("grp", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column("period_id", sa.Integer(), nullable=True),
        sa.Column("period_label", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("baseline", sa.Float(), nullable=True),
        sa.Column("target_value", sa.Float(), nullable=True),
        sa.Column("expected", sa.Float(), nullable=True),
        sa.Column("progress", sa.Float(), nullable=True),
        sa.Column("forecast", sa.Float(), nullable=True),
        sa.Column("meets_target", sa.Boolean(), nullable=False),
        sa.Column("preliminary", sa.Boolean(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("n_reported", sa.Integer(), nullable=True),
        sa.Column("n_members", sa.Integer(), nullable=True),
        sa.Column("missing_ids", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["snapshot_id"], ["approvalsnapshot.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_approvalfigure_snapshot_id", "approvalfigure", ["snapshot_id"])
    op.create_index("ix_approvalfigure_key", "approvalfigure", ["target_id", "subject_kind", "subject_id"])
    op.create_table(
        "uservisit",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("last_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("previous_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"]),
        sa.PrimaryKeyConstraint("user_id"),
    )
    # Periods approved before this revision have no snapshot: their screens show today's figures
    # as before, until the period is approved again.


def downgrade() -> None:
    op.drop_table("uservisit")
    op.drop_index("ix_approvalfigure_key", table_name="approvalfigure")
    op.drop_index("ix_approvalfigure_snapshot_id", table_name="approvalfigure")
    op.drop_table("approvalfigure")
    op.drop_table("approvalsnapshot")
