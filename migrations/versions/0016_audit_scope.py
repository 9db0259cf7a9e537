"""auditevent.territory_id and roadmap_id: what an event concerns, indexed, so that «Что изменилось»
is one scoped query with its limit last

Revision ID: 0016_audit_scope
Revises: 0015_level_target_sums
Create Date: 2026-12-06
"""
import json
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0016_audit_scope"
down_revision: Union[str, None] = "0015_level_target_sums"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("auditevent") as b:
        b.add_column(sa.Column("territory_id", sa.Integer(), nullable=True))
        b.add_column(sa.Column("roadmap_id", sa.Integer(), nullable=True))
    op.create_index("ix_auditevent_territory_id", "auditevent", ["territory_id"])
    op.create_index("ix_auditevent_roadmap_id", "auditevent", ["roadmap_id"])
    conn = op.get_bind()
    # the events written before: their territory and roadmap from what they stored
    roadmaps = dict(conn.execute(sa.text("SELECT id, territory_id FROM roadmap")).all())
    uploads = dict(conn.execute(sa.text("SELECT id, territory_id FROM upload")).all())
    rows = conn.execute(sa.text("""SELECT id, action, object_id, details FROM auditevent
                                   WHERE action IN ('roadmap_status', 'upload', 'upload_undone')
                                      OR action LIKE 'quarter%'""")).all()
    updates = []
    for eid, action, object_id, details in rows:
        terr = rm = None
        if action == "roadmap_status":
            rm = (json.loads(details or "{}") or {}).get("roadmap_id")
            terr = roadmaps.get(rm)
        elif action in ("upload", "upload_undone"):
            terr = uploads.get(int(object_id)) if (object_id or "").isdigit() else None
        else:
            head = (object_id or "").split(":")[0]
            terr = int(head) if head.isdigit() else None
        if terr is not None or rm is not None:
            updates.append({"i": eid, "t": terr, "r": rm})
    if updates:
        conn.execute(sa.text("UPDATE auditevent SET territory_id = :t, roadmap_id = :r WHERE id = :i"), updates)


def downgrade() -> None:
    op.drop_index("ix_auditevent_roadmap_id", "auditevent")
    op.drop_index("ix_auditevent_territory_id", "auditevent")
    with op.batch_alter_table("auditevent") as b:
        b.drop_column("roadmap_id")
        b.drop_column("territory_id")
