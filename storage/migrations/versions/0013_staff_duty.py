"""call-center staff on duty (/tugas on|off): who gets the new-ticket alerts

Revision ID: 0013
Revises: 0005
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import UTCDateTime

revision = "0013"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "staffduty",
        sa.Column("telegram_user_id", sa.BigInteger(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("on_duty", sa.Boolean(), nullable=False),
        sa.Column("changed_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("telegram_user_id"),
    )
    op.create_index("ix_staffduty_on_duty", "staffduty", ["on_duty"])


def downgrade() -> None:
    op.drop_index("ix_staffduty_on_duty", table_name="staffduty")
    op.drop_table("staffduty")
