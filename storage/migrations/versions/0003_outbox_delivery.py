"""outbox delivery: KTP blobs, delivery attempts, circuit states

Revision ID: 0003
Revises: 0001
"""
from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0003"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ktpblob",
        sa.Column("idempotency_key", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=True),
        sa.Column("content_type", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("ciphertext", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("idempotency_key"),
    )
    with op.batch_alter_table("ktpblob", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ktpblob_chat_id"), ["chat_id"], unique=False)

    op.create_table(
        "deliveryattempt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("outbox_id", sa.Integer(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("outcome", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("error", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("retry_in_seconds", sa.Float(), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("worker", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("deliveryattempt", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_deliveryattempt_outbox_id"), ["outbox_id"], unique=False
        )

    op.create_table(
        "circuitstate",
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("consecutive_failures", sa.Integer(), nullable=False),
        sa.Column("open_count", sa.Integer(), nullable=False),
        sa.Column("opened_until", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_due", ["status", "next_attempt_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_due")
    op.drop_table("circuitstate")
    with op.batch_alter_table("deliveryattempt", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_deliveryattempt_outbox_id"))
    op.drop_table("deliveryattempt")
    with op.batch_alter_table("ktpblob", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ktpblob_chat_id"))
    op.drop_table("ktpblob")
