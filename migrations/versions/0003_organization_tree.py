"""organizations in a tree: a province association above its commune associations

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


def downgrade() -> None:
    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.drop_index("ix_organizations_parent_id")
        batch_op.drop_constraint("fk_organizations_parent_id", type_="foreignkey")
        batch_op.drop_column("parent_id")
