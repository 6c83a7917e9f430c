"""Applicant: family card number (sealed) with its blind index, and one account per email

Revision ID: 0011
Revises: 0007
"""
from __future__ import annotations

import logging

import sqlalchemy as sa
from alembic import op

from storage.crypto import personal_data_cipher

revision = "0011"
down_revision = "0007"
branch_labels = None
depends_on = None

logger = logging.getLogger(__name__)


def upgrade() -> None:
    with op.batch_alter_table("applicant") as batch:
        batch.add_column(sa.Column("kk_number", sa.String(255), nullable=True))
        batch.add_column(sa.Column("kk_index", sa.String(64), nullable=True))
        batch.add_column(sa.Column("email_index", sa.String(64), nullable=True))
        batch.create_index("ix_applicant_kk_index", ["kk_index"])
    _index_verified_emails()
    with op.batch_alter_table("applicant") as batch:
        batch.create_index("ix_applicant_email_index", ["email_index"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("applicant") as batch:
        batch.drop_index("ix_applicant_email_index")
        batch.drop_index("ix_applicant_kk_index")
        batch.drop_column("email_index")
        batch.drop_column("kk_index")
        batch.drop_column("kk_number")


def _index_verified_emails() -> None:
    """Indexes each verified email once: the earliest verification keeps the address."""
    connection = op.get_bind()
    rows = connection.execute(sa.text(
        "SELECT id, email FROM applicant WHERE email IS NOT NULL"
        " AND email_verified_at IS NOT NULL ORDER BY email_verified_at, id")).all()
    seen: set[str] = set()
    for row in rows:
        index = personal_data_cipher().blind_index(str(row.email).strip().casefold())
        if index in seen:
            # A later duplicate must verify an address of its own (the bot then says it is taken).
            connection.execute(sa.text(
                "UPDATE applicant SET email_verified_at = NULL WHERE id = :id"), {"id": row.id})
            continue
        seen.add(index)
        connection.execute(sa.text("UPDATE applicant SET email_index = :ix WHERE id = :id"),
                           {"ix": index, "id": row.id})
    if len(seen) < len(rows):
        logger.warning("%d applicants shared a verified email and must verify another",
                       len(rows) - len(seen))
