"""Tables of waves: waves, applications, agency lists, frozen inputs, draws, results, the test.

No NIK is stored here: applications and agency lists hold `nik_key`, the 64-bit keyed blind
index of storage.nik_keys (8 bytes, an equi-join, unreadable without the key). Agency list rows
belong to one import (a version); at 50 M rows the (import_id, nik_key) primary key is the only
index (SQLite: WITHOUT ROWID, so the table *is* that index). At close a wave's inputs are frozen
into WaveFreeze + WaveSnapshotEntry, which hold only per-wave keyed ids, so a later list import
or one applicant's erasure changes nothing a verification needs.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, Integer, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.models import utcnow

WAVE_STATUSES = ("planned", "open", "closed", "selected", "announced")
# Reason bit of a source = 1 << its position in this tuple: append only, never reorder.
LIST_SOURCES = (
    "DAPODIK", "DIKTI", "BPUM", "BSU", "BANSOS", "ASN", "TNI", "POLRI", "DPRD", "DESA", "BUMN",
    "PRIOR_RECIPIENT", "KEMNAKER_PRIORITY",
)
NOTIFICATION_STATUSES = ("pending", "queued", "sent")
# BIGINT on PostgreSQL; INTEGER on SQLite, where only INTEGER PRIMARY KEY autoincrements.
BIG_ID = BigInteger().with_variant(Integer(), "sqlite")


def source_code(name: str) -> int:
    """Returns the stored code of an agency list name (e.g. "DAPODIK" → 0)."""
    return LIST_SOURCES.index(name.upper())


class Wave(SQLModel, table=True):
    """One registration wave: its dates, quota, status and the published seed commitment."""

    id: int | None = Field(default=None, primary_key=True)
    number: int = Field(unique=True, index=True)
    quota: int
    opens_at: datetime
    closes_at: datetime
    status: str = Field(default="planned", max_length=16, index=True)
    seed_commitment: str | None = Field(default=None, max_length=64)
    excluded_sources: str = Field(max_length=200)
    min_age: int = 18
    max_age: int | None = None
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class WaveApplication(SQLModel, table=True):
    """One applicant joining one wave; NIK key, KK key and birth date copied for the freeze."""

    __table_args__ = (
        UniqueConstraint("wave_id", "nik_key", name="uq_waveapplication_wave_nik_key"),
        UniqueConstraint("wave_id", "chat_id", name="uq_waveapplication_wave_chat"),
    )

    id: int | None = Field(default=None, primary_key=True, sa_type=BIG_ID)
    wave_id: int = Field(foreign_key="wave.id")
    # chat_id, not a foreign key: erasure of the applicant must not be blocked by history.
    chat_id: int = Field(sa_type=BigInteger, index=True)
    nik_key: int = Field(sa_type=BigInteger, index=True)
    # 0 when the applicant gave no KK number (the 2-per-KK rule then does not apply).
    kk_key: int = Field(default=0, sa_type=BigInteger)
    birth_date: date
    joined_at: datetime = Field(default_factory=utcnow)


class AgencyListEntry(SQLModel, table=True):
    """A NIK (its blind index) in one imported version of an agency list."""

    __table_args__ = {"sqlite_with_rowid": False}

    import_id: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    nik_key: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))


class AgencyListImport(SQLModel, table=True):
    """One import (version) of an agency list; the newest of a source is the one in force."""

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(max_length=24, index=True)
    file_sha256: str = Field(max_length=64)
    rows_read: int
    rows_stored: int
    rows_invalid: int
    imported_at: datetime = Field(default_factory=utcnow)


class WaveFreeze(SQLModel, table=True):
    """The inputs of a wave fixed at close: list versions in force and the published digest."""

    wave_id: int = Field(foreign_key="wave.id", primary_key=True)
    inputs_digest: str = Field(max_length=64)
    applicants: int
    # [{"source", "import_id", "file_sha256", "rows"}] sorted by source.
    lists: list[dict[str, Any]] = Field(default_factory=list,
                                        sa_column=Column(JSON, nullable=False))
    frozen_at: datetime = Field(default_factory=utcnow)


class WaveSnapshotEntry(SQLModel, table=True):
    """One frozen applicant of a wave: keyed public id, reasons known at close, priority, KK."""

    __table_args__ = (
        UniqueConstraint("wave_id", "application_id", name="uq_wavesnapshotentry_application"),
    )

    wave_id: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    public_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    application_id: int = Field(sa_type=BigInteger)
    base_mask: int = Field(sa_type=BigInteger)
    priority: bool
    kk_group: int = Field(default=0, sa_type=BigInteger)  # 0: no KK number given


class CardRecipient(SQLModel, table=True):
    """The blind index of a NIK that was selected: kept through erasure (legal duty, once only)."""

    nik_key: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    wave_id: int
    recorded_at: datetime = Field(default_factory=utcnow)


class LotteryRun(SQLModel, table=True):
    """The one draw of a wave, with the revealed seed material and digests anyone can re-derive."""

    id: int | None = Field(default=None, primary_key=True)
    wave_id: int = Field(foreign_key="wave.id", unique=True)
    seed: str = Field(max_length=200)  # the committed secret, revealed at the draw
    seed_commitment: str = Field(max_length=64)
    inputs_digest: str = Field(max_length=64)
    beacon: str = Field(default="", max_length=200)
    beacon_source: str = Field(default="", max_length=500)
    final_seed: str = Field(default="", max_length=64)
    draw_digest: str = Field(max_length=64)
    applicants: int
    excluded: int
    eligible: int
    selected: int
    priority_selected: int
    kk_limited: int = 0
    seconds: float
    created_at: datetime = Field(default_factory=utcnow)


class ApplicantResult(SQLModel, table=True):
    """The outcome of one application: selected or not, with reason bits and draw position."""

    __table_args__ = (Index("ix_applicantresult_wave_selected", "wave_id", "selected"),)

    application_id: int = Field(
        sa_column=Column(BigInteger, primary_key=True, autoincrement=False)
    )
    wave_id: int
    selected: bool
    priority: bool
    reason_mask: int
    draw_position: int


class ResultNotification(SQLModel, table=True):
    """The result message of one application, queued once for the broadcast sender."""

    id: int | None = Field(default=None, primary_key=True, sa_type=BIG_ID)
    application_id: int = Field(sa_type=BigInteger, unique=True)
    wave_id: int = Field(index=True)
    chat_id: int = Field(sa_type=BigInteger, index=True)
    status: str = Field(default="pending", max_length=16, index=True)
    broadcast_id: int | None = None
    created_at: datetime = Field(default_factory=utcnow)


class BasicTestAttempt(SQLModel, table=True):
    """One sitting of the motivation & basic-skills test; the deadline is set by the server."""

    id: int | None = Field(default=None, primary_key=True)
    chat_id: int = Field(sa_type=BigInteger, index=True)
    started_at: datetime
    deadline_at: datetime
    # The questions drawn from the bank for this sitting, in the order they are asked.
    question_ids: list[str] = Field(default_factory=list,
                                    sa_column=Column(JSON, nullable=False, server_default="[]"))
    answers: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    finished_at: datetime | None = None
    score: int | None = None
    max_score: int | None = None
    passed: bool | None = None
