"""Tables of announcements: subscribers, broadcasts and one row per recipient of a broadcast."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.models import utcnow

BROADCAST_STATUSES = ("draft", "scheduled", "running", "paused", "done")
RECIPIENT_STATUSES = ("pending", "sending", "sent", "failed")


class Subscriber(SQLModel, table=True):
    """A chat that pressed /start; gets general announcements unless it opted out.

    `topics` holds the topic opt-ins as ",topic_a,topic_b," so SQL can match one with LIKE on
    both SQLite and PostgreSQL; use actions.subscriptions to read and change it.
    """

    chat_id: int = Field(sa_type=BigInteger, primary_key=True)
    first_name: str | None = Field(default=None, max_length=64)
    active: bool = Field(default=True, index=True)
    opted_out: bool = False
    topics: str = Field(default="", max_length=500)
    blocked_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class Broadcast(SQLModel, table=True):
    """One announcement (or batch of result notifications) and where its sending stands."""

    id: int | None = Field(default=None, primary_key=True)
    template: str = Field(max_length=40)
    params: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    audience: str = Field(max_length=40)
    status: str = Field(default="draft", max_length=16, index=True)
    scheduled_at: datetime | None = None
    created_by: str = Field(max_length=64)
    total: int = 0
    created_at: datetime = Field(default_factory=utcnow)
    started_at: datetime | None = None
    finished_at: datetime | None = None


class BroadcastRecipient(SQLModel, table=True):
    """One chat of one broadcast: pending → sending → sent | failed, claimed by one sender."""

    __table_args__ = (
        UniqueConstraint("broadcast_id", "chat_id", name="uq_broadcastrecipient_broadcast_chat"),
        Index("ix_broadcastrecipient_claim", "broadcast_id", "status", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    broadcast_id: int = Field(foreign_key="broadcast.id")
    chat_id: int = Field(sa_type=BigInteger)
    status: str = Field(default="pending", max_length=16)
    params: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    message_id: int | None = Field(default=None, sa_type=BigInteger)
    attempts: int = 0
    claimed_by: str | None = Field(default=None, max_length=64)
    claimed_at: datetime | None = None
    sent_at: datetime | None = None
    error: str | None = Field(default=None, max_length=200)
