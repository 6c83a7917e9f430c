"""Reminders sent to people who stopped in the middle of registering."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger
from sqlmodel import Field, SQLModel

from storage.models import utcnow


class Nudge(SQLModel, table=True):
    """How many reminders a chat got since it last wrote, and when the last one went out."""

    chat_id: int = Field(sa_type=BigInteger, primary_key=True,
                         sa_column_kwargs={"autoincrement": False})
    sent: int = 0
    last_at: datetime = Field(default_factory=utcnow)
