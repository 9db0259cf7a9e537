"""indicator.max_value and indicator.per_school: the plausible range of an indicator's values

A value outside its range is refused by every way in (upload, browser entry, CLI) and reported by
`core.cli check`; see core/ingest/value_ranges.py. Both columns may stay empty: the range then
follows from the indicator's kind, unit and labels.

Revision ID: 0014_value_ranges
Revises: 0013_column_mapping
Create Date: 2026-12-06
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0014_value_ranges"
down_revision: Union[str, None] = "0013_column_mapping"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("indicator") as b:
        b.add_column(sa.Column("max_value", sa.Float(), nullable=True))
        b.add_column(sa.Column("per_school", sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("indicator") as b:
        b.drop_column("per_school")
        b.drop_column("max_value")
