"""Tables of the PMO dashboard: per-minute rollups of turn events, and used login links.

Nothing here names a person: rollups are counts per minute, metric and label (a KTP problem
code, an intent, a latency bucket), and a used login link keeps only its nonce.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, text
from sqlmodel import Field, SQLModel

from storage.models import Applicant, utcnow
from storage.models_broadcast import BroadcastRecipient

# Metric names of the rollup, declared once.
LATENCY = "latency_ms"
KTP_REFUSAL = "ktp_refusal"
NLU_FALLBACK = "nlu_fallback"
VALIDATOR_REFUSAL = "validator_refusal"


class AnalyticsMinute(SQLModel, table=True):
    """How often something happened in one minute (count, and the sum of its values)."""

    minute: datetime = Field(primary_key=True)
    metric: str = Field(primary_key=True, max_length=24)
    label: str = Field(primary_key=True, max_length=60)
    count: int = 0
    total: float = 0.0


class DashboardLoginUse(SQLModel, table=True):
    """A dashboard login link already used; the primary key makes the second use fail."""

    nonce: str = Field(primary_key=True, max_length=32)
    used_at: datetime = Field(default_factory=utcnow)


# Sign-ups per minute read a time range of the applicants; without this it is a full scan.
APPLICANT_CREATED_INDEX = Index(
    "ix_applicant_created_at",
    Applicant.__table__.c.created_at,  # type: ignore[attr-defined]
)

# Broadcast progress counts rows held back by a 429; a partial index keeps that off the heap.
HELD_429 = text("error = '429'")
BROADCAST_HELD_INDEX = Index(
    "ix_broadcastrecipient_held_429",
    BroadcastRecipient.__table__.c.broadcast_id,  # type: ignore[attr-defined]
    postgresql_where=HELD_429, sqlite_where=HELD_429,
)
