"""basictestattempt: the questions drawn from the bank for each attempt, in their asked order

Revision ID: 0011a
Revises: 0002
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011a"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Earlier attempts keep an empty list: they were asked the first bank questions in file order.
    with op.batch_alter_table("basictestattempt") as batch:
        batch.add_column(sa.Column("question_ids", sa.JSON(), nullable=False,
                                   server_default=sa.text("'[]'")))


def downgrade() -> None:
    with op.batch_alter_table("basictestattempt") as batch:
        batch.drop_column("question_ids")
