"""organizations in a tree: a province association above its commune associations; a commune
merged into another keeps its names as aliases of the successor

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("parent_id", BigId, nullable=True))
        batch_op.create_foreign_key("fk_organizations_parent_id", "organizations", ["parent_id"], ["id"])
        batch_op.create_index("ix_organizations_parent_id", ["parent_id"], unique=False)
        batch_op.add_column(sa.Column("aliases", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("merged_into_id", BigId, nullable=True))
        batch_op.create_foreign_key("fk_organizations_merged_into_id", "organizations", ["merged_into_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.drop_constraint("fk_organizations_merged_into_id", type_="foreignkey")
        batch_op.drop_column("merged_into_id")
        batch_op.drop_column("aliases")
        batch_op.drop_index("ix_organizations_parent_id")
        batch_op.drop_constraint("fk_organizations_parent_id", type_="foreignkey")
        batch_op.drop_column("parent_id")
