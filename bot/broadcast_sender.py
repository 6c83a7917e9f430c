"""The broadcast sender: one paced loop per bot token, separate from the bot answering users.

It runs as its own process (`prakerja broadcast send`) or task with its own `telegram.Bot`, so
a 429 on broadcasts never stalls replies to users. A token bucket paces sends at
BROADCAST_RATE (at most 30/s, or 1000/s with BROADCAST_PAID, which also sets
`allow_paid_broadcast`); a 429 holds the whole loop for `retry_after`.

Recipient rows move pending → sending (claimed in batches; FOR UPDATE SKIP LOCKED on
PostgreSQL, so several senders take disjoint rows and never double-send) → sent | failed.
403 (blocked) and "chat not found" fail the row and mark the subscriber inactive.

Crash rule. Telegram has no idempotency key for sendMessage, so a send whose answer was not
recorded is ambiguous. To keep that window to the requests actually on the wire, every sender
keeps an append-only journal (`<journal_dir>/<worker>.journal`, flock-ed while it runs):
``A id`` just before a request, ``S id message_id`` or ``N id`` (Telegram refused) just after.
The file survives kill -9 (it sits in the page cache; only a power cut can lose its tail).
On start, and for expired leases of other workers, rows left in `sending` are resolved:

- a message_id in the row → sent, never resent;
- ``S`` in the journal → sent with that message_id; ``N`` or no entry → back to pending;
- ``A`` without an answer (the request may or may not have reached Telegram), or the worker's
  journal is not on this host → **ambiguous**. Default at-most-once: the row fails with
  error "ambiguous" (the person may miss one message; at most `max_in_flight` rows per crash).
  With `resend_ambiguous=True` (at-least-once) they are sent again, so the same few people may
  get the message twice. Results of the lottery favour at-least-once; announcements do not.

A sender drops (releases) the unsent rest of a batch older than half the lease, so a row taken
over by another sender after the lease is never sent by both.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import socket
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session
from telegram import Bot, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut

from actions.broadcasts import (
    BroadcastError,
    Claimed,
    InFlight,
    Outcome,
    activate_due,
    adopt_claims,
    claim_batch,
    finish_completed,
    load_template,
    orphaned_claims,
    recipient_names,
    record_outcomes,
    render,
    running_broadcasts,
)
from actions.subscriptions import mark_blocked
from bot.aiohttp_request import AiohttpRequest, was_not_sent
from storage.db import session_scope
from storage.models import utcnow
from storage.settings import Settings

logger = logging.getLogger(__name__)

FREE_MAX_RATE = 30.0
PAID_MAX_RATE = 1000.0
AMBIGUOUS = "ambiguous: may have been delivered"
UNREACHABLE = ("chat not found", "user is deactivated", "bot was blocked")


def effective_rate(rate: float, *, paid: bool) -> float:
    """Returns the rate capped at Telegram's limit for free (30/s) or paid (1000/s) sending."""
    return max(0.1, min(rate, PAID_MAX_RATE if paid else FREE_MAX_RATE))


class TokenBucket:
    """Paces sends at `rate` per second with a small burst; hold() pauses everyone."""

    def __init__(self, rate: float, *, burst_s: float = 0.05) -> None:
        self.rate = rate
        self.capacity = max(1.0, rate * burst_s)
        self.tokens = self.capacity
        self.stamp = time.monotonic()
        self.held_until = 0.0

    async def take(self) -> None:
        """Waits for a token (and for any hold to end) and consumes it."""
        while True:
            now = time.monotonic()
            if now < self.held_until:
                await asyncio.sleep(self.held_until - now)
                continue
            self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
            self.stamp = now
            if self.tokens >= 1:
                self.tokens -= 1
                return
            await asyncio.sleep((1 - self.tokens) / self.rate)

    def hold(self, seconds: float) -> None:
        """Stops all sending for `seconds` (Telegram's retry_after) and empties the bucket."""
        self.held_until = max(self.held_until, time.monotonic() + seconds)
        self.tokens = 0.0


class Journal:
    """Append-only record of this worker's requests; locked so one process owns a worker id."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self._fd)
            raise RuntimeError(f"another sender runs as {path.stem}; pick another slot") from None

    def attempt(self, row_id: int) -> None:
        """Notes that a request for the row is about to leave."""
        os.write(self._fd, f"A {row_id}\n".encode())

    def sent(self, row_id: int, message_id: int) -> None:
        """Notes that Telegram accepted the row's message."""
        os.write(self._fd, f"S {row_id} {message_id}\n".encode())

    def refused(self, row_id: int) -> None:
        """Notes that Telegram refused the row's message (nothing was delivered)."""
        os.write(self._fd, f"N {row_id}\n".encode())

    def reset(self) -> None:
        """Empties the journal once every entry is reflected in the database."""
        os.ftruncate(self._fd, 0)

    def size(self) -> int:
        """Returns the journal's size in bytes."""
        return os.fstat(self._fd).st_size

    def close(self) -> None:
        """Releases the lock and closes the file."""
        os.close(self._fd)


def read_journal(path: Path) -> dict[int, tuple[str, int | None]] | None:
    """Returns the last entry per row id, or None when the journal is not on this host."""
    if not path.exists():
        return None
    entries: dict[int, tuple[str, int | None]] = {}
    for line in path.read_text(encoding="ascii", errors="replace").splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[1].isdigit():  # a torn last line is skipped
            message_id = int(parts[2]) if len(parts) > 2 and parts[2].isdigit() else None
            entries[int(parts[1])] = (parts[0], message_id)
    return entries


def journal_is_live(path: Path) -> bool:
    """Tells whether a running process holds this journal (its worker is alive)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


@dataclass(kw_only=True)
class SenderConfig:
    """How a sender runs: identity, pace, crash policy and batch sizes."""

    rate: float
    paid: bool = False
    worker: str = field(default_factory=lambda: f"{socket.gethostname()}-0")
    journal_dir: Path = Path(".cache/broadcast")
    lease: timedelta = timedelta(seconds=60)
    max_in_flight: int = 32
    resend_ambiguous: bool = False
    max_attempts: int = 5
    idle_sleep_s: float = 1.0
    journal_limit_bytes: int = 64 * 1024 * 1024
    batch: int | None = None

    @property
    def batch_size(self) -> int:
        """Returns rows per claim: `batch`, else about two seconds of sending within 10..1000."""
        return self.batch or max(10, min(1000, int(self.rate * 2)))


@dataclass
class SenderStats:
    """What one sender did since it started."""

    sent: int = 0
    failed: int = 0
    rate_limited: int = 0
    ambiguous: int = 0
    recovered: int = 0
    first_send: float | None = None
    last_send: float | None = None

    @property
    def achieved_rate(self) -> float:
        """Returns messages sent per second between the first and the last send."""
        if self.first_send is None or self.last_send is None or self.last_send <= self.first_send:
            return 0.0
        return self.sent / (self.last_send - self.first_send)


@dataclass
class _Batch:
    rows: list[Claimed]
    texts: dict[int, str]
    claimed_at: float


class BroadcastSender:
    """The paced loop: claims batches, sends them at the rate, records every outcome."""

    def __init__(self, engine: Engine, bot: Bot, config: SenderConfig) -> None:
        self.engine = engine
        self.bot = bot
        self.config = config
        self.bucket = TokenBucket(config.rate)
        self.stats = SenderStats()
        self._outcomes: list[Outcome] = []
        self._blocked: list[int] = []
        self._in_flight: set[asyncio.Task[None]] = set()
        self._slots = asyncio.Semaphore(config.max_in_flight)
        self._db_lock = asyncio.Lock()
        self._journal: Journal | None = None

    @property
    def journal(self) -> Journal:
        """Returns the open journal (run() opens it)."""
        if self._journal is None:
            raise RuntimeError("the sender is not running")
        return self._journal

    async def run(self, *, until_idle: bool = False, stop: asyncio.Event | None = None) -> None:
        """Sends until stopped (or, with until_idle, until nothing is left to send)."""
        path = self.config.journal_dir / f"{self.config.worker}.journal"
        self._journal = Journal(path)
        try:
            await self.recover()
            self._journal.reset()  # what it said about earlier runs is in the database now
            await self._loop(until_idle, stop or asyncio.Event())
        finally:
            await self._drain()
            self._journal.close()
            self._journal = None

    async def _loop(self, until_idle: bool, stop: asyncio.Event) -> None:
        upcoming: asyncio.Task[_Batch | None] = asyncio.create_task(self._next_batch())
        last_recovery = time.monotonic()
        while not stop.is_set():
            batch = await upcoming
            if batch is None:
                await self._drain()
                batch = await self._next_batch()
            if batch is None:
                if until_idle:
                    return
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self.config.idle_sleep_s)
                upcoming = asyncio.create_task(self._next_batch())
                continue
            upcoming = asyncio.create_task(self._next_batch())  # prefetch while sending
            await self._dispatch(batch, stop)
            if time.monotonic() - last_recovery > self.config.lease.total_seconds() / 2:
                await self.recover(own=False)  # our own rows in `sending` are in flight now
                last_recovery = time.monotonic()
        leftover = await upcoming
        if leftover is not None:
            self._outcomes.extend(Outcome(row.id, "release") for row in leftover.rows)

    # --- claiming and rendering ----------------------------------------------------------
    async def _next_batch(self) -> _Batch | None:
        async with self._db_lock:
            outcomes, blocked = self._take_outcomes()
            return await asyncio.to_thread(self._claim_sync, outcomes, blocked)

    def _claim_sync(self, outcomes: list[Outcome], blocked: list[int]) -> _Batch | None:
        now = utcnow()
        with session_scope(self.engine) as session:
            self._record(session, outcomes, blocked)
            activate_due(session=session, now=now)
            finish_completed(session=session, now=now)
            for broadcast in running_broadcasts(session=session):
                rows = claim_batch(session=session, broadcast_id=broadcast.id or 0,
                                   worker=self.config.worker, limit=self.config.batch_size,
                                   now=now)
                if rows:
                    texts, failed = self._render(session, broadcast.template,
                                                 broadcast.params, rows)
                    self._record(session, failed, [])
                    kept = [row for row in rows if row.id in texts]
                    return _Batch(rows=kept, texts=texts, claimed_at=time.monotonic())
        return None

    def _render(
        self, session: Session, template_id: str, params: dict[str, Any], rows: list[Claimed]
    ) -> tuple[dict[int, str], list[Outcome]]:
        template = load_template(template_id)
        chat_ids = [row.chat_id for row in rows]
        names = recipient_names(session=session, chat_ids=chat_ids) if template.uses_name else {}
        texts: dict[int, str] = {}
        failed: list[Outcome] = []
        for row in rows:
            try:
                texts[row.id] = render(template, {**params, **(row.params or {})},
                                       names.get(row.chat_id))
            except BroadcastError as error:
                failed.append(Outcome(row.id, "failed", error=str(error)[:200]))
        return texts, failed

    # --- sending -------------------------------------------------------------------------
    async def _dispatch(self, batch: _Batch, stop: asyncio.Event) -> None:
        deadline = batch.claimed_at + self.config.lease.total_seconds() / 2
        for index, row in enumerate(batch.rows):
            await self.bucket.take()
            if stop.is_set() or time.monotonic() > deadline:
                # Past half the lease another sender may adopt these rows: give them back.
                self._outcomes.extend(Outcome(r.id, "release") for r in batch.rows[index:])
                return
            await self._slots.acquire()
            task = asyncio.create_task(self._send(row, batch.texts[row.id]))
            self._in_flight.add(task)
            task.add_done_callback(self._in_flight.discard)
        await self._flush()

    async def _send(self, row: Claimed, text: str) -> None:
        try:
            self.journal.attempt(row.id)
            outcome = await self._deliver(row, text)
            if outcome.kind == "sent" and outcome.message_id is not None:
                self.journal.sent(row.id, outcome.message_id)
                self._count_sent()
            elif outcome.error != AMBIGUOUS:
                self.journal.refused(row.id)
            self._outcomes.append(outcome)
        finally:
            self._slots.release()

    async def _deliver(self, row: Claimed, text: str) -> Outcome:
        try:
            message = await self.bot.send_message(
                chat_id=row.chat_id, text=text, parse_mode=ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
                allow_paid_broadcast=True if self.config.paid else None,
            )
        except RetryAfter as error:
            self.stats.rate_limited += 1
            self.bucket.hold(_seconds(error))
            return Outcome(row.id, "release", error="429")
        except Forbidden as error:
            return self._unreachable(row, error)
        except BadRequest as error:
            if any(reason in error.message.lower() for reason in UNREACHABLE):
                return self._unreachable(row, error)
            return self._failed(row, error.message)
        except (TimedOut, NetworkError) as error:
            if was_not_sent(error):  # no slot or no socket: Telegram never saw it
                return self._retry(row, error.message)
            return self._ambiguous(row)
        except TelegramError as error:
            return self._retry(row, error.message)
        return Outcome(row.id, "sent", message_id=message.message_id)

    def _count_sent(self) -> None:
        now = time.monotonic()
        self.stats.sent += 1
        self.stats.first_send = self.stats.first_send or now
        self.stats.last_send = now

    def _unreachable(self, row: Claimed, error: TelegramError) -> Outcome:
        self._blocked.append(row.chat_id)
        return self._failed(row, error.message)

    def _failed(self, row: Claimed, message: str) -> Outcome:
        self.stats.failed += 1
        return Outcome(row.id, "failed", error=message[:200])

    def _retry(self, row: Claimed, message: str) -> Outcome:
        if row.attempts + 1 >= self.config.max_attempts:
            return self._failed(row, message)
        return Outcome(row.id, "retry", error=message[:200])

    def _ambiguous(self, row: Claimed) -> Outcome:
        self.stats.ambiguous += 1
        if self.config.resend_ambiguous:
            return Outcome(row.id, "retry", error=AMBIGUOUS)
        return self._failed(row, AMBIGUOUS)

    # --- recording -----------------------------------------------------------------------
    def _take_outcomes(self) -> tuple[list[Outcome], list[int]]:
        # Swapped on the event loop thread, so no append can slip between read and reset.
        outcomes, self._outcomes = self._outcomes, []
        blocked, self._blocked = self._blocked, []
        return outcomes, blocked

    async def _flush(self) -> None:
        if not self._outcomes and not self._blocked:
            return
        async with self._db_lock:
            outcomes, blocked = self._take_outcomes()
            await asyncio.to_thread(self._flush_sync, outcomes, blocked)
            idle = not self._in_flight and not self._outcomes
            if idle and self.journal.size() > self.config.journal_limit_bytes:
                self.journal.reset()  # every entry is in the database by now

    def _flush_sync(self, outcomes: list[Outcome], blocked: list[int]) -> None:
        with session_scope(self.engine) as session:
            self._record(session, outcomes, blocked)

    def _record(self, session: Session, outcomes: list[Outcome], blocked: list[int]) -> None:
        record_outcomes(session=session, worker=self.config.worker, outcomes=outcomes,
                        now=utcnow())
        mark_blocked(session=session, chat_ids=blocked)

    async def _drain(self) -> None:
        while self._in_flight:
            await asyncio.gather(*list(self._in_flight), return_exceptions=True)
        await self._flush()

    # --- crash recovery ------------------------------------------------------------------
    async def recover(self, *, own: bool = True) -> int:
        """Resolves rows left in `sending` by a crash (see the module docstring); returns count.

        `own` includes this worker's rows: only right after start, when none can be in flight.
        """
        async with self._db_lock:
            count = await asyncio.to_thread(self._recover_sync, own)
        self.stats.recovered += count
        return count

    def _recover_sync(self, own: bool) -> int:
        now = utcnow()
        live = {p.stem for p in self.config.journal_dir.glob("*.journal")
                if p.stem != self.config.worker and journal_is_live(p)}
        with session_scope(self.engine) as session:
            rows = orphaned_claims(session=session, worker=self.config.worker,
                                   lease=self.config.lease, now=now, live=live, own=own)
            if not rows:
                return 0
            adopt_claims(session=session, worker=self.config.worker, rows=rows, now=now)
            outcomes = list(self._resolve(rows))
            record_outcomes(session=session, worker=self.config.worker, outcomes=outcomes,
                            now=now)
        logger.warning("recovered %d in-flight rows (%d ambiguous)", len(rows),
                       sum(o.error == AMBIGUOUS for o in outcomes))
        return len(rows)

    def _resolve(self, rows: list[InFlight]) -> Iterator[Outcome]:
        journals: dict[str, dict[int, tuple[str, int | None]] | None] = {}
        for row in rows:
            if row.message_id is not None:
                yield Outcome(row.id, "sent", message_id=row.message_id)
                continue
            if row.claimed_by not in journals:
                path = self.config.journal_dir / f"{row.claimed_by}.journal"
                journals[row.claimed_by] = read_journal(path)
            entries = journals[row.claimed_by]
            state, message_id = (entries or {}).get(row.id, ("?" if entries is None else "", None))
            if state == "S" and message_id is not None:
                yield Outcome(row.id, "sent", message_id=message_id)
            elif state in ("A", "?"):
                self.stats.ambiguous += 1
                kind = "retry" if self.config.resend_ambiguous else "failed"
                yield Outcome(row.id, kind, error=AMBIGUOUS)
            else:
                yield Outcome(row.id, "release")


def _seconds(error: RetryAfter) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PTB warns about int vs timedelta here
        value = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def build_broadcast_bot(settings: Settings, *, max_in_flight: int = 32) -> Bot:
    """Returns a Bot of its own for broadcasts, with a connection pool wide enough to keep pace."""
    if not settings.telegram_bot_token:
        raise ValueError("TELEGRAM_BOT_TOKEN is not set")
    request = AiohttpRequest(connection_pool_size=max_in_flight, pool_timeout=5.0,
                             read_timeout=10.0, write_timeout=10.0, connect_timeout=5.0)
    return Bot(settings.telegram_bot_token, base_url=settings.telegram_api_base_url,
               base_file_url=settings.telegram_file_base_url, request=request)


async def run_sender(
    settings: Settings, engine: Engine, config: SenderConfig | None = None, *,
    until_idle: bool = False, stop: asyncio.Event | None = None,
) -> SenderStats:
    """Runs one sender with its own Bot until stopped (or idle); returns its figures."""
    config = config or SenderConfig(rate=effective_rate(settings.broadcast_rate,
                                                        paid=settings.broadcast_paid),
                                    paid=settings.broadcast_paid)
    sender = BroadcastSender(engine, build_broadcast_bot(settings,
                                                         max_in_flight=config.max_in_flight),
                             config)
    async with sender.bot:
        await sender.run(until_idle=until_idle, stop=stop)
    return sender.stats
