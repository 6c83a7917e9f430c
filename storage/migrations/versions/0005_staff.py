"""call-center staff: members, ticket events, audit log, troubleshooting walks, ticket columns

Revision ID: 0005
Revises: 0001
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString, UTCDateTime

revision = "0005"
down_revision = "0001"
branch_labels = None
depends_on = None

_TS = UTCDateTime
_STR = AutoString


def upgrade() -> None:
    op.create_table(
        "staffmember",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("telegram_user_id", sa.BigInteger(), nullable=False),
        sa.Column("role", _STR(length=8), nullable=False),
        sa.Column("name", _STR(length=80), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", _TS(), nullable=False),
        sa.Column("updated_at", _TS(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_staffmember_telegram_user_id", "staffmember", ["telegram_user_id"],
                    unique=True)
    op.create_table(
        "ticketevent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", _STR(length=16), nullable=False),
        sa.Column("staff_id", sa.BigInteger(), nullable=True),
        sa.Column("detail", _STR(length=80), nullable=False),
        sa.Column("created_at", _TS(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_ticketevent_ticket_id", "ticketevent", ["ticket_id"])
    op.create_index("ix_ticketevent_chat_id", "ticketevent", ["chat_id"])
    op.create_table(
        "auditlog",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.BigInteger(), nullable=False),
        sa.Column("actor_role", _STR(length=8), nullable=False),
        sa.Column("action", _STR(length=24), nullable=False),
        sa.Column("query_masked", _STR(length=120), nullable=False),
        sa.Column("result_count", sa.Integer(), nullable=False),
        sa.Column("created_at", _TS(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_auditlog_actor_id", "auditlog", ["actor_id"])
    op.create_index("ix_auditlog_created_at", "auditlog", ["created_at"])
    op.create_table(
        "troubleshootingwalk",
        sa.Column("chat_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("flow_id", _STR(length=40), nullable=False),
        sa.Column("node_id", _STR(length=40), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("pushed_by", sa.BigInteger(), nullable=True),
        sa.Column("updated_at", _TS(), nullable=False),
        sa.PrimaryKeyConstraint("chat_id"),
    )
    with op.batch_alter_table("handoffticket") as batch_op:
        batch_op.add_column(sa.Column("assigned_staff_id", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("staff_chat_id", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("taken_at", _TS(), nullable=True))
        batch_op.add_column(sa.Column("rating", sa.SmallInteger(), nullable=True))
        batch_op.add_column(sa.Column("rated_at", _TS(), nullable=True))
        batch_op.add_column(sa.Column("topic_id", sa.BigInteger(), nullable=True))
        batch_op.create_index("ix_handoffticket_status", ["status"])
        batch_op.create_index("ix_handoffticket_staff_chat_id", ["staff_chat_id"])


def downgrade() -> None:
    with op.batch_alter_table("handoffticket") as batch_op:
        batch_op.drop_index("ix_handoffticket_staff_chat_id")
        batch_op.drop_index("ix_handoffticket_status")
        for name in ("topic_id", "rated_at", "rating", "taken_at", "staff_chat_id",
                     "assigned_staff_id"):
            batch_op.drop_column(name)
    op.drop_table("troubleshootingwalk")
    op.drop_index("ix_auditlog_created_at", table_name="auditlog")
    op.drop_index("ix_auditlog_actor_id", table_name="auditlog")
    op.drop_table("auditlog")
    op.drop_index("ix_ticketevent_chat_id", table_name="ticketevent")
    op.drop_index("ix_ticketevent_ticket_id", table_name="ticketevent")
    op.drop_table("ticketevent")
    op.drop_index("ix_staffmember_telegram_user_id", table_name="staffmember")
    op.drop_table("staffmember")
