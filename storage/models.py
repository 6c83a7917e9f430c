"""Tables of the assistant: applicants, conversation state, codes, outbox, updates, handoffs."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, event
from sqlmodel import Field, SQLModel

from storage.crypto import personal_data_cipher
from storage.encrypted_type import EncryptedString, SealedJSON


def utcnow() -> datetime:
    """Returns the current time, timezone-aware in UTC."""
    return datetime.now(UTC)


class Applicant(SQLModel, table=True):
    """One person registering; fields are filled step by step and kept across restarts."""

    id: int | None = Field(default=None, primary_key=True)
    chat_id: int = Field(sa_type=BigInteger, unique=True, index=True)
    channel: str = Field(default="telegram", max_length=16)
    telegram_user_id: int | None = Field(default=None, sa_type=BigInteger)
    full_name: str | None = Field(default=None, max_length=100)
    email: str | None = Field(default=None, max_length=254, index=True)
    # One account per verified email: a keyed hash of the normalised address, unique.
    email_index: str | None = Field(default=None, max_length=64, unique=True)
    email_verified_at: datetime | None = None
    password_hash: str | None = Field(default=None, max_length=255)
    nik: str | None = Field(default=None, sa_type=EncryptedString)
    nik_index: str | None = Field(default=None, max_length=64, index=True)
    kk_number: str | None = Field(default=None, sa_type=EncryptedString)
    # The draw counts applicants per family card through this index (at most 2 per KK).
    kk_index: str | None = Field(default=None, max_length=64, index=True)
    birth_date: date | None = None
    gender: str | None = Field(default=None, max_length=1)
    address: str | None = Field(default=None, max_length=300)
    domicile_same: bool | None = None
    domicile_address: str | None = Field(default=None, max_length=300)
    education: str | None = Field(default=None, max_length=40)
    employment_status: str | None = Field(default=None, max_length=40)
    ktp_file_id: str | None = Field(default=None, max_length=255)
    ktp_file_kind: str | None = Field(default=None, max_length=16)
    ktp_status: str | None = Field(default=None, max_length=24)
    phone: str | None = Field(default=None, max_length=20, index=True)
    phone_verified_via: str | None = Field(default=None, max_length=16)
    registration_completed_at: datetime | None = None
    # Province + regency digits of the NIK, for counts per region (the NIK itself is encrypted).
    region_code: str | None = Field(default=None, max_length=4, index=True)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


@event.listens_for(Applicant, "before_insert")
@event.listens_for(Applicant, "before_update")
def _index_nik(_mapper: object, _connection: object, applicant: Applicant) -> None:
    # Kept in step with NIK, KK and email on every write, so lookups by them never miss.
    cipher = personal_data_cipher()
    nik, kk = applicant.nik, applicant.kk_number
    applicant.nik_index = cipher.blind_index(nik) if nik else None
    applicant.kk_index = cipher.blind_index(kk) if kk else None
    applicant.region_code = nik[:4] if nik else None
    # Only a verified address claims the email: nobody can squat an address they cannot read.
    verified = applicant.email if applicant.email_verified_at is not None else None
    applicant.email_index = cipher.blind_index(normalized_email(verified)) if verified else None


def normalized_email(email: str) -> str:
    """Returns the address as compared for uniqueness (trimmed, case-folded)."""
    return email.strip().casefold()


class ConversationState(SQLModel, table=True):
    """Where a chat stands in a flow; read on every update so any worker can continue it."""

    chat_id: int = Field(sa_type=BigInteger, primary_key=True)
    flow: str | None = Field(default=None, max_length=40)
    step: str | None = Field(default=None, max_length=40)
    history: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # "step:message_key" of the last refusal shown, so the dashboard sees where people give up.
    last_problem: str | None = Field(default=None, max_length=80)
    updated_at: datetime = Field(default_factory=utcnow)


class VerificationCode(SQLModel, table=True):
    """A one-time code for an email address or phone number; only its hash is kept."""

    id: int | None = Field(default=None, primary_key=True)
    chat_id: int = Field(sa_type=BigInteger, index=True)
    purpose: str = Field(max_length=16)
    target: str = Field(max_length=254)
    code_hash: str = Field(max_length=128)
    attempts: int = 0
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    used_at: datetime | None = None


class Outbox(SQLModel, table=True):
    """A side effect that must not be lost, written in the same transaction as its cause."""

    id: int | None = Field(default=None, primary_key=True)
    idempotency_key: str = Field(
        default_factory=lambda: str(uuid.uuid4()), max_length=36, unique=True
    )
    kind: str = Field(max_length=24, index=True)
    chat_id: int | None = Field(default=None, sa_type=BigInteger, index=True)
    destination: str = Field(max_length=254)
    # Sealed whole: a row may wait for days and holds names, addresses, codes and NIKs.
    payload: dict[str, Any] = Field(default_factory=dict,
                                    sa_column=Column(SealedJSON, nullable=False))
    status: str = Field(default="pending", max_length=16, index=True)
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow)
    last_error: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(default_factory=utcnow)
    delivered_at: datetime | None = None


class ProcessedUpdate(SQLModel, table=True):
    """Telegram update ids already handled, so a redelivered update is ignored."""

    update_id: int = Field(sa_type=BigInteger, primary_key=True)
    processed_at: datetime = Field(default_factory=utcnow)


class HandoffTicket(SQLModel, table=True):
    """A request to talk to a person; the call-center side picks these up."""

    id: int | None = Field(default=None, primary_key=True)
    chat_id: int = Field(sa_type=BigInteger, index=True)
    reason: str = Field(max_length=40)
    status: str = Field(default="open", max_length=16)
    created_at: datetime = Field(default_factory=utcnow)
    closed_at: datetime | None = None
