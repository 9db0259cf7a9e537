"""measurement history keeps who entered the old value and when (undo restores them)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0003"
down_revision: Union[str, None] = "0002"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("measurementhistory", schema=None) as batch_op:
        batch_op.add_column(sa.Column("old_entered_by", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("old_entered_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("old_is_demo", sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("measurementhistory", schema=None) as batch_op:
        batch_op.drop_column("old_is_demo")
        batch_op.drop_column("old_entered_at")
        batch_op.drop_column("old_entered_by")
