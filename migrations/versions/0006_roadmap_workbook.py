"""Roadmap workbooks: activity stage/form/participants/venue and texts as written, risk groups,
school groups (triads), the roadmap's tasks and source upload

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: Union[str, None] = "0005"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("roadmap") as b:
        b.add_column(sa.Column("tasks", sa.Text(), nullable=True))
        b.alter_column("source", type_=sa.Text(), existing_type=sa.String(length=255), existing_nullable=True)
        b.add_column(sa.Column("upload_id", sa.Integer(), nullable=True))
        b.create_foreign_key("fk_roadmap_upload", "upload", ["upload_id"], ["id"])
    with op.batch_alter_table("activity") as b:
        b.add_column(sa.Column("stage", sa.String(length=32), nullable=False, server_default=""))
        b.add_column(sa.Column("position", sa.Integer(), nullable=False, server_default="0"))
        b.add_column(sa.Column("form", sa.Text(), nullable=True))
        b.add_column(sa.Column("participants", sa.Text(), nullable=True))
        b.add_column(sa.Column("venue", sa.Text(), nullable=True))
        b.add_column(sa.Column("risk_codes_text", sa.String(length=255), nullable=True))
        b.add_column(sa.Column("schools_text", sa.Text(), nullable=True))
        b.drop_constraint("uq_activity_number", type_="unique")
        b.create_unique_constraint("uq_activity_number", ["roadmap_id", "number", "stage"])
    with op.batch_alter_table("controlpoint") as b:
        b.add_column(sa.Column("position", sa.Integer(), nullable=False, server_default="0"))
    with op.batch_alter_table("riskfactor") as b:
        b.add_column(sa.Column("found_in_text", sa.Text(), nullable=True))
        b.add_column(sa.Column("position", sa.Integer(), nullable=False, server_default="0"))
    op.create_table(
        "riskgroup",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("roadmap_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("goals", sa.Text(), nullable=True),
        sa.Column("progress_indicators", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["roadmap_id"], ["roadmap.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("roadmap_id", "code", name="uq_risk_group_code"),
    )
    op.create_table(
        "schoolgroup",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("roadmap_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["roadmap_id"], ["roadmap.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "schoolgroupmember",
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["group_id"], ["schoolgroup.id"]),
        sa.ForeignKeyConstraint(["school_id"], ["school.id"]),
        sa.PrimaryKeyConstraint("group_id", "school_id"),
    )


def downgrade() -> None:
    op.drop_table("schoolgroupmember")
    op.drop_table("schoolgroup")
    op.drop_table("riskgroup")
    with op.batch_alter_table("riskfactor") as b:
        b.drop_column("position")
        b.drop_column("found_in_text")
    with op.batch_alter_table("controlpoint") as b:
        b.drop_column("position")
    with op.batch_alter_table("activity") as b:
        b.drop_constraint("uq_activity_number", type_="unique")
        b.create_unique_constraint("uq_activity_number", ["roadmap_id", "number"])
        for c in ("schools_text", "risk_codes_text", "venue", "participants", "form", "position", "stage"):
            b.drop_column(c)
    with op.batch_alter_table("roadmap") as b:
        b.drop_constraint("fk_roadmap_upload", type_="foreignkey")
        b.drop_column("upload_id")
        b.drop_column("tasks")
        b.alter_column("source", type_=sa.String(length=255), existing_type=sa.Text(), existing_nullable=True)
