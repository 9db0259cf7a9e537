"""Roadmap.participants: the document's «Участники реализации» (participants, their functions and
indicators), carried from the workbook's field of that name

Revision ID: 0010_roadmap_participants
Revises: 0009_data_version
Create Date: 2026-11-29
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0010_roadmap_participants"
down_revision: Union[str, None] = "0009_data_version"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("roadmap") as batch:
        batch.add_column(sa.Column("participants", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("roadmap") as batch:
        batch.drop_column("participants")
