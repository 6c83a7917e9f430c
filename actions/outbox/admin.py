"""Operator verbs behind `prakerja outbox list|retry|purge`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, func, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from actions.outbox.kinds import DEAD, DELIVERED, PENDING
from storage.models import Outbox
from storage.models_outbox import DeliveryAttempt, KtpBlob


def list_rows(session: Session, *, status: str | None = None, kind: str | None = None,
              limit: int = 50) -> Sequence[Outbox]:
    """Returns the newest rows, optionally of one status and kind."""
    query = select(Outbox).order_by(col(Outbox.id).desc()).limit(limit)
    if status:
        query = query.where(Outbox.status == status)
    if kind:
        query = query.where(Outbox.kind == kind)
    return session.exec(query).all()


def count_by_status(session: Session) -> dict[str, int]:
    """Returns how many rows each status has."""
    rows = session.execute(
        sa_select(col(Outbox.status), func.count()).group_by(col(Outbox.status))
    ).all()
    return {str(status): int(count) for status, count in rows}


def retry_rows(session: Session, *, ids: Sequence[int], all_dead: bool, now: datetime) -> int:
    """Puts dead rows (the given ids, or all) back to pending with a fresh try budget."""
    condition = col(Outbox.status) == DEAD
    if not all_dead:
        condition = condition & col(Outbox.id).in_(list(ids))
    result = session.execute(
        update(Outbox).where(condition)
        .values(status=PENDING, attempts=0, next_attempt_at=now, last_error=None)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def purge_rows(session: Session, *, statuses: Sequence[str], before: datetime) -> int:
    """Deletes finished rows created before `before`, with their attempts and KTP blobs."""
    allowed = [s for s in statuses if s in (DELIVERED, DEAD)]
    ids_and_keys = session.execute(
        select(Outbox.id, Outbox.idempotency_key)
        .where(col(Outbox.status).in_(allowed), col(Outbox.created_at) < before)
    ).all()
    ids = [row[0] for row in ids_and_keys]
    keys = [row[1] for row in ids_and_keys]
    if not ids:
        return 0
    session.execute(delete(DeliveryAttempt).where(col(DeliveryAttempt.outbox_id).in_(ids)))
    session.execute(delete(KtpBlob).where(col(KtpBlob.idempotency_key).in_(keys)))
    session.execute(delete(Outbox).where(col(Outbox.id).in_(ids)))
    return len(ids)
