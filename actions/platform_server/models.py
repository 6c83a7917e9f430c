"""Tables of the reference platform server, on a registry of their own (not the assistant's DB)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from storage.models import utcnow


class PlatformBase(SQLModel, registry=registry()):
    """Base of the platform's tables; its metadata is created by the server itself."""


class PlatformSubmission(PlatformBase, table=True):
    """A registration as the platform stored it; the key is deliberately not unique here, so a
    broken idempotency check would show up as duplicate rows."""

    id: int | None = Field(default=None, primary_key=True)
    registration_id: str = Field(max_length=36, index=True)
    idempotency_key: str = Field(max_length=255, index=True)
    nik: str | None = Field(default=None, max_length=16, index=True)
    registration: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    ktp_sha256: str | None = Field(default=None, max_length=64)
    ktp_size: int = 0
    created_at: datetime = Field(default_factory=utcnow)


class IdempotencyRecord(PlatformBase, table=True):
    """The answer given to the first request with a key, replayed for every repeat."""

    key: str = Field(primary_key=True, max_length=255)
    request_hash: str = Field(max_length=64)
    status_code: int
    body: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    replays: int = 0
    created_at: datetime = Field(default_factory=utcnow)
