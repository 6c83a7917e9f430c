"""NIK encrypted at rest with an HMAC blind index for lookups

Revision ID: 0007
Revises: 0001
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.crypto import personal_data_cipher

revision = "0007"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("applicant") as batch:
        batch.drop_index("ix_applicant_nik")
        batch.alter_column("nik", type_=sa.String(255), existing_nullable=True)
        batch.add_column(sa.Column("nik_index", sa.String(64), nullable=True))
        batch.create_index("ix_applicant_nik_index", ["nik_index"])
    _rewrite(lambda nik: (personal_data_cipher().encrypt(nik),
                          personal_data_cipher().blind_index(nik)))


def downgrade() -> None:
    _rewrite(lambda token: (personal_data_cipher().decrypt(token), None))
    with op.batch_alter_table("applicant") as batch:
        batch.drop_index("ix_applicant_nik_index")
        batch.drop_column("nik_index")
        batch.alter_column("nik", type_=sa.String(16), existing_nullable=True)
        batch.create_index("ix_applicant_nik", ["nik"])


def _rewrite(convert: object) -> None:
    connection = op.get_bind()
    rows = connection.execute(sa.text("SELECT id, nik FROM applicant WHERE nik IS NOT NULL")).all()
    for row in rows:
        nik, index = convert(row.nik)  # type: ignore[operator]
        connection.execute(
            sa.text("UPDATE applicant SET nik = :nik, nik_index = :ix WHERE id = :id"),
            {"nik": nik, "ix": index, "id": row.id},
        )
