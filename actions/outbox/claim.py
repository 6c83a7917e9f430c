"""Claiming due outbox rows: SKIP LOCKED on PostgreSQL, one atomic UPDATE…RETURNING on SQLite."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from actions.outbox.kinds import CLAIMABLE, SENDING
from storage.models import Outbox


@dataclass(frozen=True, kw_only=True)
class Claimed:
    """A row leased to one worker; `attempts` (already counting this try) fences its writes."""

    outbox_id: int
    idempotency_key: str
    kind: str
    chat_id: int | None
    destination: str
    payload: dict[str, Any]
    attempts: int


def claim_due(session: Session, *, kinds: list[str], limit: int, now: datetime,
              lease_until: datetime) -> list[Claimed]:
    """Leases up to `limit` due rows of `kinds` to the caller until `lease_until`.

    A row is due when pending and its time has come, or when "sending" but its lease ran out
    (its worker died). The lease is the row's next_attempt_at, so no extra column is needed.
    """
    if not kinds or limit <= 0:
        return []
    due = (
        select(Outbox.id)
        .where(col(Outbox.kind).in_(kinds), col(Outbox.status).in_(CLAIMABLE),
               col(Outbox.next_attempt_at) <= now)
        .order_by(col(Outbox.next_attempt_at))
        .limit(limit)
        # PostgreSQL: other workers skip these rows instead of waiting. SQLite ignores the clause;
        # there the single UPDATE statement below takes the database write lock, so claims are
        # serialised and never overlap.
        .with_for_update(skip_locked=True)
    )
    statement = (
        update(Outbox)
        .where(col(Outbox.id).in_(due.scalar_subquery()))
        .values(status=SENDING, attempts=col(Outbox.attempts) + 1, next_attempt_at=lease_until)
        .returning(col(Outbox.id), col(Outbox.idempotency_key), col(Outbox.kind),
                   col(Outbox.chat_id), col(Outbox.destination), col(Outbox.payload),
                   col(Outbox.attempts))
    )
    rows = session.execute(statement).all()
    return [
        Claimed(outbox_id=row[0], idempotency_key=row[1], kind=row[2], chat_id=row[3],
                destination=row[4], payload=dict(row[5] or {}), attempts=row[6])
        for row in rows
    ]
