"""targetgroupvalue of level targets: every school that reported the period, not only those that also
reported the baseline (like for like now applies only to targets that measure a change)

Revision ID: 0015_level_target_sums
Revises: 0011_target_group_values
Create Date: 2026-12-06
"""
from typing import Sequence, Union

from alembic import op

revision: str = "0015_level_target_sums"
down_revision: Union[str, None] = "0011_target_group_values"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # The kept sums of level targets were counted over the schools that reported both periods. They
    # are dropped: the evaluation counts live where no row is kept, and the next write of
    # measurements (or `python -m core.cli recount`) keeps them again by the new rule.
    op.execute("""DELETE FROM targetgroupvalue WHERE target_id IN
                  (SELECT id FROM target WHERE kind NOT IN ('increase_pp', 'increase_pct'))""")


def downgrade() -> None:
    op.execute("""DELETE FROM targetgroupvalue WHERE target_id IN
                  (SELECT id FROM target WHERE kind NOT IN ('increase_pp', 'increase_pct'))""")
