"""stable blind-index key, outbox payloads sealed whole, code targets kept only as blind index

Revision ID: 0009
Revises: 0007
"""
from __future__ import annotations

import hashlib
import hmac

import sqlalchemy as sa
from alembic import op

from storage.crypto import cipher_from_settings, data_keys, open_json, seal_json
from storage.key_rotation import reindex_niks
from storage.settings import get_settings

revision = "0009"
down_revision = "0007"
branch_labels = None
depends_on = None

OUTBOX = sa.table("outbox", sa.column("id", sa.Integer()), sa.column("payload", sa.JSON()))
CODES = sa.table("verificationcode", sa.column("id", sa.Integer()),
                 sa.column("target", sa.String()))


def upgrade() -> None:
    connection = op.get_bind()
    cipher = cipher_from_settings(get_settings())
    reindex_niks(connection, cipher)
    for row in connection.execute(sa.select(OUTBOX.c.id, OUTBOX.c.payload)).all():
        if not isinstance(row.payload, str):
            connection.execute(sa.update(OUTBOX).where(OUTBOX.c.id == row.id)
                               .values(payload=seal_json(row.payload, cipher)))
    for row in connection.execute(sa.select(CODES.c.id, CODES.c.target)).all():
        connection.execute(sa.update(CODES).where(CODES.c.id == row.id)
                           .values(target=cipher.address_index(row.target)))


def downgrade() -> None:
    connection = op.get_bind()
    cipher = cipher_from_settings(get_settings())
    for row in connection.execute(sa.select(OUTBOX.c.id, OUTBOX.c.payload)).all():
        if isinstance(row.payload, str):
            connection.execute(sa.update(OUTBOX).where(OUTBOX.c.id == row.id)
                               .values(payload=open_json(row.payload)))
    # Revision 0007 derived the index key from the newest data key.
    old_key = hmac.new(data_keys(get_settings())[0].encode(), b"prakerja-blind-index-v1",
                       hashlib.sha256).digest()
    applicant = sa.table("applicant", sa.column("id"), sa.column("nik"), sa.column("nik_index"))
    for row in connection.execute(sa.select(applicant.c.id, applicant.c.nik)
                                  .where(applicant.c.nik.is_not(None))).all():
        nik = cipher.decrypt(row.nik)
        connection.execute(sa.update(applicant).where(applicant.c.id == row.id).values(
            nik_index=hmac.new(old_key, nik.encode(), hashlib.sha256).hexdigest()))
