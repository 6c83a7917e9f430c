"""Tables of waves: waves, applications, agency lists, lottery runs, results and the basic test.

Agency lists are keyed by the NIK itself stored as BIGINT (16 digits < 2**63): 8 bytes, no
hashing cost, and a direct equi-join with the applications. A hash would not protect anything
here — the NIK space is small and structured, so an unkeyed SHA-256 is reversible by brute force —
while costing 32 bytes per row. At 50 M rows the (nik, source) primary key is the only index
(SQLite: WITHOUT ROWID, so the table *is* that index).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, Integer, SmallInteger, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.models import utcnow

WAVE_STATUSES = ("planned", "open", "closed", "selected", "announced")
# Stored as SmallInteger codes = position in this tuple: append only, never reorder.
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
    """One applicant joining one wave; NIK and birth date are copied so the draw needs no join."""

    __table_args__ = (
        UniqueConstraint("wave_id", "nik", name="uq_waveapplication_wave_nik"),
        UniqueConstraint("wave_id", "chat_id", name="uq_waveapplication_wave_chat"),
    )

    id: int | None = Field(default=None, primary_key=True, sa_type=BIG_ID)
    wave_id: int = Field(foreign_key="wave.id")
    # chat_id, not a foreign key: erasure of the applicant must not be blocked by history.
    chat_id: int = Field(sa_type=BigInteger, index=True)
    nik: int = Field(sa_type=BigInteger, index=True)
    birth_date: date
    joined_at: datetime = Field(default_factory=utcnow)


class AgencyListEntry(SQLModel, table=True):
    """A NIK found in one agency's list (exclusion, or KEMNAKER_PRIORITY for priority)."""

    __table_args__ = {"sqlite_with_rowid": False}

    nik: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    source: int = Field(sa_column=Column(SmallInteger, primary_key=True, autoincrement=False))


class AgencyListImport(SQLModel, table=True):
    """One import of an agency list file; a re-import of the same file is skipped."""

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(max_length=24, index=True)
    file_sha256: str = Field(max_length=64)
    rows_read: int
    rows_stored: int
    rows_invalid: int
    imported_at: datetime = Field(default_factory=utcnow)


class LotteryRun(SQLModel, table=True):
    """The one draw of a wave, with the revealed seed and digests anyone can re-derive."""

    id: int | None = Field(default=None, primary_key=True)
    wave_id: int = Field(foreign_key="wave.id", unique=True)
    seed: str = Field(max_length=200)
    seed_commitment: str = Field(max_length=64)
    inputs_digest: str = Field(max_length=64)
    draw_digest: str = Field(max_length=64)
    applicants: int
    excluded: int
    eligible: int
    selected: int
    priority_selected: int
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
