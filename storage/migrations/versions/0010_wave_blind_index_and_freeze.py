"""waves: NIK blind indexes, versioned agency lists, frozen inputs, card recipients, seed material

Revision ID: 0010
Revises: 0002
"""
from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import sqlalchemy as sa
import sqlmodel
from alembic import op

from storage.models_waves import LIST_SOURCES
from storage.nik_keys import nik_keys

revision = "0010"
down_revision = "0002"
branch_labels = None
depends_on = None

S = sqlmodel.sql.sqltypes.AutoString
T = sqlmodel.sql.sqltypes.UTCDateTime
BATCH = 100_000


def upgrade() -> None:
    _applications()
    _agency_lists()
    _frozen_inputs()
    with op.batch_alter_table("lotteryrun") as batch:
        batch.add_column(sa.Column("beacon", S(length=200), nullable=False, server_default=""))
        batch.add_column(sa.Column("beacon_source", S(length=500), nullable=False,
                                   server_default=""))
        batch.add_column(sa.Column("final_seed", S(length=64), nullable=False, server_default=""))
        batch.add_column(sa.Column("kk_limited", sa.Integer(), nullable=False,
                                   server_default="0"))


def _keys(niks: list[int]) -> list[int]:
    return nik_keys(np.array(niks, dtype=np.int64)).tolist() if niks else []


def _applications() -> None:
    with op.batch_alter_table("waveapplication") as batch:
        batch.add_column(sa.Column("nik_key", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("kk_key", sa.BigInteger(), nullable=False,
                                   server_default="0"))
    connection = op.get_bind()
    rows = connection.execute(sa.text("SELECT id, nik FROM waveapplication")).all()
    for start in range(0, len(rows), BATCH):
        batch_rows = rows[start : start + BATCH]
        keys = _keys([row.nik for row in batch_rows])
        connection.execute(sa.text("UPDATE waveapplication SET nik_key = :k WHERE id = :i"),
                           [{"k": k, "i": row.id} for k, row in zip(keys, batch_rows, strict=True)])
    _record_old_recipients()
    with op.batch_alter_table("waveapplication") as batch:
        batch.drop_constraint("uq_waveapplication_wave_nik", type_="unique")
        batch.drop_index("ix_waveapplication_nik")
        batch.drop_column("nik")
        batch.alter_column("nik_key", existing_type=sa.BigInteger(), nullable=False)
        batch.create_unique_constraint("uq_waveapplication_wave_nik_key", ["wave_id", "nik_key"])
        batch.create_index("ix_waveapplication_nik_key", ["nik_key"])


def _record_old_recipients() -> None:
    op.create_table(
        "cardrecipient",
        sa.Column("nik_key", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("wave_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", T(), nullable=False),
        sa.PrimaryKeyConstraint("nik_key"),
    )
    # Recipients of waves drawn before this revision keep counting for "once only".
    op.get_bind().execute(sa.text(
        "INSERT INTO cardrecipient (nik_key, wave_id, recorded_at) "
        "SELECT a.nik_key, MIN(r.wave_id), :now FROM applicantresult r "
        "JOIN waveapplication a ON a.id = r.application_id WHERE r.selected "
        "GROUP BY a.nik_key"), {"now": datetime.now(UTC)})


def _agency_lists() -> None:
    connection = op.get_bind()
    op.create_table(
        "agencylistentry_v2",
        sa.Column("import_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("nik_key", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.PrimaryKeyConstraint("import_id", "nik_key"),
        sqlite_with_rowid=False,
    )
    for code, source in enumerate(LIST_SOURCES):
        niks = connection.execute(sa.text("SELECT nik FROM agencylistentry WHERE source = :s"),
                                  {"s": code}).scalars().all()
        if niks:
            _move_source(connection, source, list(niks))
    op.drop_table("agencylistentry")
    op.rename_table("agencylistentry_v2", "agencylistentry")


def _move_source(connection: sa.Connection, source: str, niks: list[int]) -> None:
    found = connection.execute(sa.text(
        "SELECT MAX(id) FROM agencylistimport WHERE source = :s"), {"s": source}).scalar()
    if found is None:  # rows added without an import record: give them one
        connection.execute(sa.text(
            "INSERT INTO agencylistimport (source, file_sha256, rows_read, rows_stored, "
            "rows_invalid, imported_at) VALUES (:s, :sha, :n, :n, 0, :now)"),
            {"s": source, "sha": "0" * 64, "n": len(niks), "now": datetime.now(UTC)})
        found = connection.execute(sa.text(
            "SELECT MAX(id) FROM agencylistimport WHERE source = :s"), {"s": source}).scalar()
    keys = sorted(set(_keys(niks)))
    connection.execute(sa.text("INSERT INTO agencylistentry_v2 (import_id, nik_key) "
                               "VALUES (:i, :k)"), [{"i": found, "k": k} for k in keys])


def _frozen_inputs() -> None:
    op.create_table(
        "wavefreeze",
        sa.Column("wave_id", sa.Integer(), nullable=False),
        sa.Column("inputs_digest", S(length=64), nullable=False),
        sa.Column("applicants", sa.Integer(), nullable=False),
        sa.Column("lists", sa.JSON(), nullable=False),
        sa.Column("frozen_at", T(), nullable=False),
        sa.ForeignKeyConstraint(["wave_id"], ["wave.id"]),
        sa.PrimaryKeyConstraint("wave_id"),
    )
    op.create_table(
        "wavesnapshotentry",
        sa.Column("wave_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("public_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("application_id", sa.BigInteger(), nullable=False),
        sa.Column("base_mask", sa.BigInteger(), nullable=False),
        sa.Column("priority", sa.Boolean(), nullable=False),
        sa.Column("kk_group", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("wave_id", "public_id"),
        sa.UniqueConstraint("wave_id", "application_id", name="uq_wavesnapshotentry_application"),
    )


def downgrade() -> None:
    raise NotImplementedError("NIKs replaced by blind indexes cannot be restored")
