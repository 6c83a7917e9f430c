"""Inbox of Telegram updates: the update_id record, sealed payloads while waiting, replies owed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, Text, text
from sqlmodel import Field, SQLModel

from storage.models import utcnow

PENDING = "pending"  # stored, not processed yet (its payload sealed in `sealed`)
REPLYING = "replying"  # processed; the replies in `replies` are on their way
DONE = "done"  # processed and answered; only update_id and chat_id are left
DEAD = "dead"  # failed too often; kept sealed for a person to look at
OPEN_STATUSES = (PENDING, REPLYING)
_OPEN = text("status IN ('pending', 'replying')")


class InboxUpdate(SQLModel, table=True):
    """One Telegram update; its update_id makes a redelivery a no-op for a day."""

    __tablename__ = "inbox_update"
    __table_args__ = (
        Index("ix_inbox_chat_status", "chat_id", "status", "update_id"),
        # The sweeper and the depth gauge read only the few open rows, never the day of done ones.
        Index("ix_inbox_open", "chat_id", "claimed_at", postgresql_where=_OPEN,
              sqlite_where=_OPEN),
        Index("ix_inbox_done_at", "done_at", postgresql_where=text("status = 'done'"),
              sqlite_where=text("status = 'done'")),
        Index("ix_inbox_dead", "received_at", postgresql_where=text("status = 'dead'"),
              sqlite_where=text("status = 'dead'")),
    )

    update_id: int = Field(
        sa_type=BigInteger, primary_key=True, sa_column_kwargs={"autoincrement": False}
    )
    chat_id: int = Field(sa_type=BigInteger)
    payload: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    sealed: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    replies: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    status: str = Field(default=PENDING, max_length=12)
    attempts: int = 0
    claimed_by: str | None = Field(default=None, max_length=64)
    claimed_at: datetime | None = None
    received_at: datetime = Field(default_factory=utcnow)
    done_at: datetime | None = None
