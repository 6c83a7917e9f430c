"""Recording a delivery outcome: delivered, retry later, or dead-letter (with an alert line)."""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import update
from sqlmodel import Session, col

from actions.destinations.base import Delivered, Failed, Outcome
from actions.ktp_vault import KtpVault
from actions.outbox import breaker
from actions.outbox.backoff import RetryPolicy
from actions.outbox.claim import Claimed
from actions.outbox.kinds import DEAD, DELIVERED, KTP_ATTACHMENT, PENDING, SENDING
from storage.erasure import erase_sink_lines
from storage.models import Outbox
from storage.models_outbox import DeliveryAttempt
from storage.settings import get_settings

logger = logging.getLogger(__name__)
ERROR_LIMIT = 200


class FollowUp(Protocol):
    """Reacts, in the recording transaction, when a row of one kind is delivered or dead."""

    def on_delivered(self, session: Session, row: Claimed, ack: dict[str, Any]) -> None: ...

    def on_dead(self, session: Session, row: Claimed, error: str) -> None: ...


@dataclass(frozen=True, kw_only=True)
class Recorder:
    """Writes outcomes with the policies and hooks a worker was built with."""

    retry: RetryPolicy
    breaker: breaker.BreakerPolicy
    follow_ups: dict[str, FollowUp]
    worker: str
    rng: random.Random

    def record(self, session: Session, row: Claimed, outcome: Outcome, *, now: datetime,
               duration_ms: int) -> str | None:
        """Stores the outcome; returns the new status, or None if our lease was lost."""
        if isinstance(outcome, Delivered):
            return self._delivered(session, row, outcome, now=now, duration_ms=duration_ms)
        return self._failed(session, row, outcome, now=now, duration_ms=duration_ms)

    def _delivered(self, session: Session, row: Claimed, outcome: Delivered, *, now: datetime,
                   duration_ms: int) -> str | None:
        payload = {**row.payload, "ack": outcome.ack}
        if not _fenced_update(session, row, status=DELIVERED, delivered_at=now, last_error=None,
                              payload=payload, next_attempt_at=now):
            _forget_if_erased(session, row)
            return None
        self._attempt(session, row, "delivered", outcome.status_code, None, None, duration_ms)
        breaker.record_success(session, row.kind, now=now)
        if row.payload.get("attachment") == KTP_ATTACHMENT:
            KtpVault.discard(session, row.idempotency_key)
        if (hook := self.follow_ups.get(row.kind)) is not None:
            hook.on_delivered(session, row, outcome.ack)
        return DELIVERED

    def _failed(self, session: Session, row: Claimed, outcome: Failed, *, now: datetime,
                duration_ms: int) -> str | None:
        error = outcome.error[:ERROR_LIMIT]
        if outcome.permanent or self.retry.exhausted(row.attempts):
            return self._dead(session, row, outcome, error, now=now, duration_ms=duration_ms)
        delay = self.retry.delay(row.attempts, retry_after=outcome.retry_after, rng=self.rng)
        if not _fenced_update(session, row, status=PENDING, last_error=error,
                              next_attempt_at=now + timedelta(seconds=delay)):
            return None
        self._attempt(session, row, "retry", outcome.status_code, error, delay, duration_ms)
        breaker.record_failure(session, row.kind, now=now, policy=self.breaker)
        return PENDING

    def _dead(self, session: Session, row: Claimed, outcome: Failed, error: str, *,
              now: datetime, duration_ms: int) -> str | None:
        if not _fenced_update(session, row, status=DEAD, last_error=error, next_attempt_at=now):
            return None
        self._attempt(session, row, "dead", outcome.status_code, error, None, duration_ms)
        if not outcome.permanent:
            breaker.record_failure(session, row.kind, now=now, policy=self.breaker)
        logger.error("ALERT outbox dead-letter: id=%s kind=%s attempts=%s error=%s",
                     row.outbox_id, row.kind, row.attempts, error)
        if (hook := self.follow_ups.get(row.kind)) is not None:
            hook.on_dead(session, row, error)
        return DEAD

    def _attempt(self, session: Session, row: Claimed, outcome: str, status_code: int | None,
                 error: str | None, delay: float | None, duration_ms: int) -> None:
        session.add(DeliveryAttempt(
            outbox_id=row.outbox_id, attempt=row.attempts, outcome=outcome,
            status_code=status_code, error=error, retry_in_seconds=delay,
            duration_ms=duration_ms, worker=self.worker,
        ))


def _forget_if_erased(session: Session, row: Claimed) -> None:
    """Drops the local sink lines of a row whose person erased their data while it was sent."""
    if row.chat_id is not None and session.get(Outbox, row.outbox_id) is None:
        erase_sink_lines(Path(get_settings().outbox_dir), row.chat_id)


def _fenced_update(session: Session, row: Claimed, **values: Any) -> bool:
    """Updates the row only if it is still ours (same try number, still sending)."""
    result = session.execute(
        update(Outbox)
        .where(col(Outbox.id) == row.outbox_id, col(Outbox.status) == SENDING,
               col(Outbox.attempts) == row.attempts)
        .values(**values)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        logger.warning("outbox id=%s: lease lost before recording (another worker took it)",
                       row.outbox_id)
        return False
    return True
