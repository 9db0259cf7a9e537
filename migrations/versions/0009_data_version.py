"""The data version (appmeta 'data_version'): bumped by every write transaction that changes what
the screens show, read once per script run to key the caches (core.db.bump_data_version)

Revision ID: 0009_data_version
Revises: 0008_school_alias
Create Date: 2026-11-29
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0009_data_version"
down_revision: Union[str, None] = "0008_school_alias"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.execute(sa.text("INSERT INTO appmeta (key, value) SELECT 'data_version', '1' "
                       "WHERE NOT EXISTS (SELECT 1 FROM appmeta WHERE key = 'data_version')"))


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM appmeta WHERE key = 'data_version'"))
