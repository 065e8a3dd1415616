"""committee administration: invites for any role, chapter aliases and merges, org-wide targets,
the audit log

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

import bot.storage.models

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("invites", schema=None) as batch_op:
        batch_op.alter_column("chapter_id", existing_type=BigId, nullable=True)
        batch_op.add_column(sa.Column("role", sa.String(length=10), nullable=False, server_default="head"))
        batch_op.add_column(sa.Column("person_id", BigId, nullable=True))
        batch_op.add_column(sa.Column("name", sa.String(length=200), nullable=True))
        batch_op.create_foreign_key("fk_invites_person_id", "people", ["person_id"], ["id"])
    with op.batch_alter_table("chapters", schema=None) as batch_op:
        batch_op.add_column(sa.Column("aliases", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("merged_into_id", BigId, nullable=True))
        batch_op.create_foreign_key("fk_chapters_merged_into_id", "chapters", ["merged_into_id"], ["id"])
    with op.batch_alter_table("targets", schema=None) as batch_op:
        batch_op.alter_column("chapter_id", existing_type=BigId, nullable=True)
    op.create_table(
        "audit_log",
        sa.Column("id", BigId, nullable=False),
        sa.Column("org_id", BigId, nullable=False),
        sa.Column("person_id", BigId, nullable=True),
        sa.Column("at", bot.storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("before", sa.Text(), nullable=True),
        sa.Column("after", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["org_id"], ["organizations.id"]),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_audit_org_at", "audit_log", ["org_id", "at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_audit_org_at", table_name="audit_log")
    op.drop_table("audit_log")
    with op.batch_alter_table("targets", schema=None) as batch_op:
        batch_op.alter_column("chapter_id", existing_type=BigId, nullable=False)
    with op.batch_alter_table("chapters", schema=None) as batch_op:
        batch_op.drop_constraint("fk_chapters_merged_into_id", type_="foreignkey")
        batch_op.drop_column("merged_into_id")
        batch_op.drop_column("aliases")
    with op.batch_alter_table("invites", schema=None) as batch_op:
        batch_op.drop_constraint("fk_invites_person_id", type_="foreignkey")
        batch_op.drop_column("name")
        batch_op.drop_column("person_id")
        batch_op.drop_column("role")
        batch_op.alter_column("chapter_id", existing_type=BigId, nullable=False)
