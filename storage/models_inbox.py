"""Webhook inbox: raw updates stored on arrival, processed in order per chat by any worker."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index
from sqlmodel import Field, SQLModel

from storage.models import utcnow


class InboxUpdate(SQLModel, table=True):
    """One Telegram update as received; its update_id makes a redelivery a no-op."""

    __tablename__ = "inbox_update"
    __table_args__ = (Index("ix_inbox_chat_status", "chat_id", "status", "update_id"),)

    update_id: int = Field(
        sa_type=BigInteger, primary_key=True, sa_column_kwargs={"autoincrement": False}
    )
    chat_id: int = Field(sa_type=BigInteger)
    payload: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    status: str = Field(default="pending", max_length=12)
    claimed_by: str | None = Field(default=None, max_length=64)
    claimed_at: datetime | None = None
    received_at: datetime = Field(default_factory=utcnow)
    done_at: datetime | None = None
