"""waves: waves, applications, agency lists, lottery runs, results, notifications, basic test

Revision ID: 0002
Revises: 0001
"""
from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

S = sqlmodel.sql.sqltypes.AutoString
T = sqlmodel.sql.sqltypes.UTCDateTime
# BIGINT on PostgreSQL; INTEGER on SQLite, where only INTEGER PRIMARY KEY autoincrements.
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "wave",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("quota", sa.Integer(), nullable=False),
        sa.Column("opens_at", T(), nullable=False),
        sa.Column("closes_at", T(), nullable=False),
        sa.Column("status", S(length=16), nullable=False),
        sa.Column("seed_commitment", S(length=64), nullable=True),
        sa.Column("excluded_sources", S(length=200), nullable=False),
        sa.Column("min_age", sa.Integer(), nullable=False),
        sa.Column("max_age", sa.Integer(), nullable=True),
        sa.Column("created_at", T(), nullable=False),
        sa.Column("updated_at", T(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("wave", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_wave_number"), ["number"], unique=True)
        batch_op.create_index(batch_op.f("ix_wave_status"), ["status"], unique=False)

    op.create_table(
        "waveapplication",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("wave_id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("nik", sa.BigInteger(), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=False),
        sa.Column("joined_at", T(), nullable=False),
        sa.ForeignKeyConstraint(["wave_id"], ["wave.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("wave_id", "nik", name="uq_waveapplication_wave_nik"),
        sa.UniqueConstraint("wave_id", "chat_id", name="uq_waveapplication_wave_chat"),
    )
    with op.batch_alter_table("waveapplication", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_waveapplication_chat_id"), ["chat_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_waveapplication_nik"), ["nik"], unique=False)

    op.create_table(
        "agencylistentry",
        sa.Column("nik", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("source", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.PrimaryKeyConstraint("nik", "source"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "agencylistimport",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", S(length=24), nullable=False),
        sa.Column("file_sha256", S(length=64), nullable=False),
        sa.Column("rows_read", sa.Integer(), nullable=False),
        sa.Column("rows_stored", sa.Integer(), nullable=False),
        sa.Column("rows_invalid", sa.Integer(), nullable=False),
        sa.Column("imported_at", T(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("agencylistimport", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_agencylistimport_source"), ["source"], unique=False)

    op.create_table(
        "lotteryrun",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("wave_id", sa.Integer(), nullable=False),
        sa.Column("seed", S(length=200), nullable=False),
        sa.Column("seed_commitment", S(length=64), nullable=False),
        sa.Column("inputs_digest", S(length=64), nullable=False),
        sa.Column("draw_digest", S(length=64), nullable=False),
        sa.Column("applicants", sa.Integer(), nullable=False),
        sa.Column("excluded", sa.Integer(), nullable=False),
        sa.Column("eligible", sa.Integer(), nullable=False),
        sa.Column("selected", sa.Integer(), nullable=False),
        sa.Column("priority_selected", sa.Integer(), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("created_at", T(), nullable=False),
        sa.ForeignKeyConstraint(["wave_id"], ["wave.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("wave_id"),
    )
    op.create_table(
        "applicantresult",
        sa.Column("application_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("wave_id", sa.Integer(), nullable=False),
        sa.Column("selected", sa.Boolean(), nullable=False),
        sa.Column("priority", sa.Boolean(), nullable=False),
        sa.Column("reason_mask", sa.Integer(), nullable=False),
        sa.Column("draw_position", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("application_id"),
    )
    with op.batch_alter_table("applicantresult", schema=None) as batch_op:
        batch_op.create_index(
            "ix_applicantresult_wave_selected", ["wave_id", "selected"], unique=False
        )

    op.create_table(
        "resultnotification",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("application_id", sa.BigInteger(), nullable=False),
        sa.Column("wave_id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("status", S(length=16), nullable=False),
        sa.Column("broadcast_id", sa.Integer(), nullable=True),
        sa.Column("created_at", T(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("application_id"),
    )
    with op.batch_alter_table("resultnotification", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_resultnotification_wave_id"), ["wave_id"])
        batch_op.create_index(batch_op.f("ix_resultnotification_chat_id"), ["chat_id"])
        batch_op.create_index(batch_op.f("ix_resultnotification_status"), ["status"])

    op.create_table(
        "basictestattempt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("started_at", T(), nullable=False),
        sa.Column("deadline_at", T(), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("finished_at", T(), nullable=True),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("max_score", sa.Integer(), nullable=True),
        sa.Column("passed", sa.Boolean(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("basictestattempt", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_basictestattempt_chat_id"), ["chat_id"])


def downgrade() -> None:
    op.drop_table("basictestattempt")
    op.drop_table("resultnotification")
    op.drop_table("applicantresult")
    op.drop_table("lotteryrun")
    op.drop_table("agencylistimport")
    op.drop_table("agencylistentry")
    op.drop_table("waveapplication")
    op.drop_table("wave")
