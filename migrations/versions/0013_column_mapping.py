"""columnmapping: an office's column mapped once on the upload page, kept for its territory

Revision ID: 0013_column_mapping
Revises: 0016_audit_scope
Create Date: 2026-12-06
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0013_column_mapping"
down_revision: Union[str, None] = "0016_audit_scope"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "columnmapping",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("territory_id", sa.Integer(), nullable=False),
        sa.Column("header_key", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("header_text", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("answer", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["territory_id"], ["territory.id"]),
        sa.ForeignKeyConstraint(["created_by"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("territory_id", "header_key", name="uq_columnmapping_territory_header"),
    )


def downgrade() -> None:
    op.drop_table("columnmapping")
