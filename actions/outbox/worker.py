"""The outbox worker: claim due rows → deliver them concurrently → record each outcome."""

from __future__ import annotations

import asyncio
import logging
import os
import random
import socket
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.engine import Engine

from actions.destinations.base import Destination, Failed, Message, Outcome, outcome_of_exception
from actions.ktp_vault import KtpVault
from actions.outbox import breaker
from actions.outbox.backoff import RetryPolicy
from actions.outbox.claim import Claimed, claim_due
from actions.outbox.kinds import KTP_ATTACHMENT
from actions.outbox.record import FollowUp, Recorder
from storage.db import session_scope
from storage.models import utcnow

logger = logging.getLogger(__name__)


def default_worker_name() -> str:
    """Returns host:pid, enough to tell workers apart in the attempts table."""
    return f"{socket.gethostname()}:{os.getpid()}"[:64]


@dataclass(frozen=True, kw_only=True)
class WorkerConfig:
    """Concurrency and timing of one worker process."""

    concurrency: int = 16
    lease_seconds: float = 120.0
    poll_seconds: float = 1.0
    name: str = field(default_factory=default_worker_name)


class Worker:
    """Delivers outbox rows of the kinds it has destinations for; safe to run several at once."""

    def __init__(self, engine: Engine, destinations: Mapping[str, Destination], *,
                 retry: RetryPolicy | None = None,
                 breaker_policy: breaker.BreakerPolicy | None = None,
                 config: WorkerConfig | None = None, vault: KtpVault | None = None,
                 follow_ups: Mapping[str, FollowUp] | None = None,
                 clock: Callable[[], datetime] = utcnow, rng: random.Random | None = None):
        self.engine, self.destinations, self.vault, self.clock = engine, destinations, vault, clock
        self.config = config or WorkerConfig()
        self.recorder = Recorder(
            retry=retry or RetryPolicy(), breaker=breaker_policy or breaker.BreakerPolicy(),
            follow_ups=dict(follow_ups or {}), worker=self.config.name,
            rng=rng or random.Random(),
        )
        self.kinds = sorted(destinations)
        self._circuits_ready = False

    async def run(self, stop: asyncio.Event) -> None:
        """Keeps up to `concurrency` deliveries in flight until `stop` is set, then drains."""
        in_flight: set[asyncio.Task[Any]] = set()
        stopping: asyncio.Task[Any] = asyncio.create_task(stop.wait())
        logger.info("outbox worker %s started for %s", self.config.name, ", ".join(self.kinds))
        try:
            while not stop.is_set():
                claimed = await self._claim_safely(self.config.concurrency - len(in_flight))
                in_flight.update(asyncio.create_task(self.process(row)) for row in claimed)
                _, in_flight = await asyncio.wait(
                    {*in_flight, stopping}, timeout=self.config.poll_seconds,
                    return_when=asyncio.FIRST_COMPLETED,
                )
                in_flight.discard(stopping)
        finally:
            stopping.cancel()
            if in_flight:
                await asyncio.wait(in_flight)
            logger.info("outbox worker %s stopped", self.config.name)

    async def run_once(self) -> int:
        """Claims one batch, delivers and records it; returns how many rows it handled."""
        claimed = await asyncio.to_thread(self.claim, self.config.concurrency)
        await asyncio.gather(*(self.process(row) for row in claimed))
        return len(claimed)

    async def drain(self, *, max_batches: int = 10_000) -> int:
        """Runs batches until nothing is due any more; returns rows handled (one-shot runs)."""
        handled = 0
        for _ in range(max_batches):
            count = await self.run_once()
            if not count:
                break
            handled += count
        return handled

    def claim(self, limit: int) -> list[Claimed]:
        """Leases due rows of our kinds, honouring open circuits and taking half-open probes."""
        if limit <= 0:
            return []
        now = self.clock()
        lease_until = now + timedelta(seconds=self.config.lease_seconds)
        with session_scope(self.engine) as session:
            if not self._circuits_ready:
                breaker.ensure_circuits(session, self.kinds)
                self._circuits_ready = True
            admission = breaker.admit(session, self.kinds, now=now,
                                      probe_lease=self.config.lease_seconds)
            open_kinds = [k for k in self.kinds if k not in admission.blocked | admission.probe]
            rows = claim_due(session, kinds=open_kinds, limit=limit, now=now,
                             lease_until=lease_until)
            for kind in sorted(admission.probe):
                rows += claim_due(session, kinds=[kind], limit=1, now=now, lease_until=lease_until)
        return rows

    async def process(self, row: Claimed) -> None:
        """Delivers one claimed row and records the outcome; errors leave it to the lease."""
        started = time.monotonic()
        try:
            message = await asyncio.to_thread(self._message, row)
            outcome = await self._deliver(message)
            duration_ms = int((time.monotonic() - started) * 1000)
            await asyncio.to_thread(self._record, row, outcome, duration_ms)
        except Exception:
            logger.exception("outbox id=%s: delivery bookkeeping failed; lease will expire",
                             row.outbox_id)

    async def _deliver(self, message: Message) -> Outcome:
        destination = self.destinations[message.kind]
        try:
            return await destination.deliver(message)
        except Exception as exc:  # a destination bug must not kill the worker; it is retried
            logger.warning("outbox id=%s: destination raised %s", message.outbox_id,
                           type(exc).__name__)
            return outcome_of_exception(exc)

    def _message(self, row: Claimed) -> Message:
        attachment, attachment_type = None, None
        if row.payload.get("attachment") == KTP_ATTACHMENT and self.vault is not None:
            with session_scope(self.engine) as session:
                loaded = self.vault.load(session, row.idempotency_key)
            if loaded is not None:
                attachment, attachment_type = loaded
        return Message(
            outbox_id=row.outbox_id, idempotency_key=row.idempotency_key, kind=row.kind,
            chat_id=row.chat_id, destination=row.destination, payload=row.payload,
            attempt=row.attempts, attachment=attachment, attachment_type=attachment_type,
        )

    def _record(self, row: Claimed, outcome: Outcome, duration_ms: int) -> None:
        with session_scope(self.engine) as session:
            status = self.recorder.record(session, row, outcome, now=self.clock(),
                                          duration_ms=duration_ms)
        if isinstance(outcome, Failed) and status is not None:
            logger.info("outbox id=%s kind=%s try %s failed: %s -> %s", row.outbox_id, row.kind,
                        row.attempts, outcome.error, status)

    async def _claim_safely(self, limit: int) -> list[Claimed]:
        try:
            return await asyncio.to_thread(self.claim, limit)
        except Exception:
            # A locked or restarting database must not stop the worker; try again next poll.
            logger.exception("outbox claim failed; retrying after %.1f s", self.config.poll_seconds)
            await asyncio.sleep(self.config.poll_seconds)
            return []
