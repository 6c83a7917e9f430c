"""PMO dashboard: per-minute rollups, used login links, region code and last refusal

Revision ID: 0012
Revises: 0007
"""
from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

from storage.crypto import personal_data_cipher

revision = "0012"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "analyticsminute",
        sa.Column("minute", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("metric", sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
        sa.Column("label", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("total", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("minute", "metric", "label"),
    )
    op.create_table(
        "dashboardloginuse",
        sa.Column("nonce", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("used_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("nonce"),
    )
    with op.batch_alter_table("applicant") as batch:
        batch.add_column(sa.Column("region_code", sa.String(4), nullable=True))
        batch.create_index("ix_applicant_region_code", ["region_code"])
        batch.create_index("ix_applicant_created_at", ["created_at"])
    with op.batch_alter_table("conversationstate") as batch:
        batch.add_column(sa.Column("last_problem", sa.String(80), nullable=True))
    _fill_region_codes()


def downgrade() -> None:
    with op.batch_alter_table("conversationstate") as batch:
        batch.drop_column("last_problem")
    with op.batch_alter_table("applicant") as batch:
        batch.drop_index("ix_applicant_created_at")
        batch.drop_index("ix_applicant_region_code")
        batch.drop_column("region_code")
    op.drop_table("dashboardloginuse")
    op.drop_table("analyticsminute")


def _fill_region_codes() -> None:
    # NIKs are encrypted, so the region digits of existing applicants are read back in Python.
    connection = op.get_bind()
    rows = connection.execute(sa.text("SELECT id, nik FROM applicant WHERE nik IS NOT NULL"))
    for row in rows.all():
        code = personal_data_cipher().decrypt(row.nik)[:4]
        connection.execute(sa.text("UPDATE applicant SET region_code = :code WHERE id = :id"),
                           {"code": code, "id": row.id})
