"""Tables of durable delivery: encrypted KTP blobs, delivery attempts and circuit states."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, LargeBinary
from sqlmodel import Field, SQLModel

from storage.models import Outbox, utcnow


class KtpBlob(SQLModel, table=True):
    """An accepted KTP image, encrypted, kept only until the platform acknowledges it."""

    idempotency_key: str = Field(primary_key=True, max_length=36)
    chat_id: int | None = Field(default=None, sa_type=BigInteger, index=True)
    content_type: str = Field(default="image/jpeg", max_length=40)
    ciphertext: bytes = Field(sa_type=LargeBinary)
    created_at: datetime = Field(default_factory=utcnow)


class DeliveryAttempt(SQLModel, table=True):
    """One try at delivering an outbox row: its outcome and the delay chosen before the next."""

    id: int | None = Field(default=None, primary_key=True)
    outbox_id: int = Field(index=True)
    attempt: int
    outcome: str = Field(max_length=16)
    status_code: int | None = None
    error: str | None = Field(default=None, max_length=200)
    retry_in_seconds: float | None = None
    duration_ms: int = 0
    worker: str = Field(default="", max_length=64)
    created_at: datetime = Field(default_factory=utcnow)


class CircuitState(SQLModel, table=True):
    """Circuit breaker of one destination, shared by every worker through the database."""

    name: str = Field(primary_key=True, max_length=40)
    state: str = Field(default="closed", max_length=16)
    consecutive_failures: int = 0
    open_count: int = 0
    opened_until: datetime | None = None
    updated_at: datetime = Field(default_factory=utcnow)


# Workers poll "due rows of these kinds"; this index keeps that query cheap on a big outbox.
OUTBOX_DUE_INDEX = Index(
    "ix_outbox_due",
    Outbox.__table__.c.status,  # type: ignore[attr-defined]
    Outbox.__table__.c.next_attempt_at,  # type: ignore[attr-defined]
)
