"""schoolalias: school names as offices write them, confirmed once on the upload page

Revision ID: 0008_school_alias
Revises: 0007_cycle
Create Date: 2026-11-29
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0008_school_alias"
down_revision: Union[str, None] = "0007_cycle"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "schoolalias",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("territory_id", sa.Integer(), nullable=False),
        sa.Column("alias_key", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("alias_text", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["territory_id"], ["territory.id"]),
        sa.ForeignKeyConstraint(["school_id"], ["school.id"]),
        sa.ForeignKeyConstraint(["created_by"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("territory_id", "alias_key", name="uq_schoolalias_territory_key"),
    )
    op.create_index("ix_schoolalias_school_id", "schoolalias", ["school_id"])


def downgrade() -> None:
    op.drop_index("ix_schoolalias_school_id", table_name="schoolalias")
    op.drop_table("schoolalias")
