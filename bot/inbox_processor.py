"""Processes inbox updates chat by chat, in update_id order, for the webhook and the poller.

One update = one transaction (the turn's), which the inbox journal opens by holding the chat and
closes by recording the Bot API calls owed. The calls are made after the commit; a webhook request
answers with the last one. Each worker also holds a chat in memory, so its own requests and drains
of one chat never overlap.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy.engine import Engine
from telegram import Update
from telegram.error import TelegramError
from telegram.ext import Application

from bot import metrics
from bot.delivery import CURRENT_DELIVERY, Delivery
from bot.outgoing import Call, calls_for, perform_all, split_for_response
from flows.texts import text
from storage.inbox import Inbox, InboxJournal, Waiting
from storage.settings import Settings

logger = logging.getLogger(__name__)

SWEEP_SECONDS = 2.0
PRUNE_SECONDS = 60.0
ACK_SECONDS = 0.1
BUSY_RETRY_SECONDS = 0.05
BUSY_RETRIES = 40  # then the sweeper takes the chat up again
BURST_SETTLE_SECONDS = 0.01  # latency only (a timer, no CPU): a burst's requests all arrive


def chat_of(payload: dict[str, Any]) -> int:
    """Returns the chat an update belongs to (0 for updates without a chat)."""
    for key in ("message", "edited_message", "channel_post"):
        if key in payload:
            return int(payload[key]["chat"]["id"])
    query = payload.get("callback_query")
    if query is not None:
        message = query.get("message")
        return int(message["chat"]["id"]) if message else int(query["from"]["id"])
    return 0


class InboxProcessor:
    """Runs the PTB Application on inbox updates: inline in a request, or drained from the inbox."""

    def __init__(
        self, application: Application, inbox: Inbox, *,  # type: ignore[type-arg]
        settle_seconds: float = 0.0, reply_in_response: bool = True,
    ) -> None:
        self.application = application
        self.inbox = inbox
        self.settle_seconds = settle_seconds
        self.reply_in_response = reply_in_response
        self._locks: dict[int, asyncio.Lock] = {}
        self._draining: set[int] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._acks: list[int] = []
        self._arrivals: dict[int, set[int]] = {}
        self.listeners: list[Callable[[int], None]] = []  # told each update_id once answered

    # --- webhook requests -----------------------------------------------------------------
    async def answer(self, update_id: int, chat_id: int, payload: dict[str, Any]) -> Call | None:
        """Processes the update now when it is the chat's next; returns the call to answer with."""
        arrivals = self._arrivals.setdefault(chat_id, set())
        arrivals.add(update_id)  # kept until decided, so a later one of a burst sees it
        try:
            if self.settle_seconds > 0 or not await self._first_of_burst(update_id, arrivals):
                await self.enqueue(update_id, chat_id, payload)
                return None
            return await self._inline(update_id, chat_id, payload)
        finally:
            arrivals.discard(update_id)
            if not arrivals:
                self._arrivals.pop(chat_id, None)

    async def _first_of_burst(self, update_id: int, arrivals: set[int]) -> bool:
        """Tells, after a short wait, whether no earlier update of the chat came with this one.

        Several updates of one chat sent at once reach the handler in any order; the wait lets
        them all register, so only the earliest runs inline and the others queue behind it.
        """
        await asyncio.sleep(BURST_SETTLE_SECONDS)
        return update_id == min(arrivals)

    async def _inline(self, update_id: int, chat_id: int, payload: dict[str, Any]) -> Call | None:
        lock = self._lock(chat_id)
        if lock.locked() or chat_id in self._draining:
            await self.enqueue(update_id, chat_id, payload)
            return None
        async with lock:
            journal = self._journal(update_id, chat_id, arriving=True)
            delivery = await self._process(payload, journal)
            if journal.outcome == "processed":
                return await self._deliver_inline(journal.calls, update_id)
        self._forget(chat_id)
        await self._settle_unprocessed(delivery, payload)
        return None

    async def enqueue(self, update_id: int, chat_id: int, payload: dict[str, Any]) -> None:
        """Stores the update (sealed) to wait its turn, and starts draining its chat."""
        if await asyncio.to_thread(self.inbox.add, update_id, chat_id, payload):
            self.kick(chat_id)
        else:
            metrics.REDELIVERED.inc()
            self.kick(chat_id, owed=True)  # a redelivery may mean our answer never arrived

    async def _deliver_inline(self, calls: list[Call], update_id: int) -> Call | None:
        wire, last = split_for_response(calls) if self.reply_in_response else (calls, None)
        await perform_all(self.application.bot, wire)
        if calls:
            self._acks.append(update_id)
        self._tell(update_id)
        return last

    async def _settle_unprocessed(self, delivery: Delivery, payload: dict[str, Any]) -> None:
        journal = delivery.journal
        if journal.outcome == "busy":
            await self.enqueue(journal.update_id, journal.chat_id, payload)
        elif journal.outcome == "duplicate":
            metrics.REDELIVERED.inc()
            self.kick(journal.chat_id, owed=True)
        elif delivery.error is not None:
            await self._count_failure(journal, payload)
            self.kick(journal.chat_id)

    # --- draining -------------------------------------------------------------------------
    def kick(self, chat_id: int, *, owed: bool = False) -> None:
        """Starts draining a chat unless this worker is already on it."""
        if chat_id in self._draining:
            return
        self._draining.add(chat_id)
        task = asyncio.create_task(self._drain(chat_id, owed=owed))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _drain(self, chat_id: int, *, owed: bool) -> None:
        try:
            if self.settle_seconds > 0:
                await asyncio.sleep(self.settle_seconds)  # lets simultaneous updates all land
            if owed:
                await self._resend_owed(chat_id)
            busy = 0
            while busy <= BUSY_RETRIES:
                waiting = await asyncio.to_thread(self.inbox.next_waiting, chat_id)
                if waiting is None:
                    return
                outcome = await self._run_waiting(waiting)
                if outcome == "failed":
                    return  # retried by the sweeper, so a failing update cannot spin
                busy = busy + 1 if outcome == "busy" else 0
                if outcome == "busy":
                    await asyncio.sleep(BUSY_RETRY_SECONDS)
        except Exception as error:  # the sweeper retries the chat; this worker stays up
            metrics.ERRORS.labels(type(error).__name__).inc()
            logger.error("draining a chat failed: %s", type(error).__name__)
        finally:
            self._draining.discard(chat_id)
            self._forget(chat_id)

    async def _run_waiting(self, waiting: Waiting) -> str:
        async with self._lock(waiting.chat_id):
            journal = self._journal(waiting.update_id, waiting.chat_id, arriving=False)
            await self._process(waiting.payload, journal)
            if journal.outcome == "processed":
                await perform_all(self.application.bot, journal.calls)
                if journal.calls:
                    self._acks.append(waiting.update_id)
                self._tell(waiting.update_id)
                return "processed"
        if journal.outcome is not None:
            return journal.outcome
        await self._count_failure(journal, waiting.payload)
        return "failed"

    async def _resend_owed(self, chat_id: int) -> None:
        async with self._lock(chat_id):
            for owed in await asyncio.to_thread(self.inbox.claim_owed, chat_id):
                await perform_all(self.application.bot, owed.calls)
                self._acks.append(owed.update_id)

    # --- one update -----------------------------------------------------------------------
    async def _process(self, payload: dict[str, Any], journal: InboxJournal) -> Delivery:
        """Runs the Application's handlers on the update with the journal in context."""
        delivery = Delivery(journal)
        token = CURRENT_DELIVERY.set(delivery)
        try:
            with metrics.HANDLER_SECONDS.time():
                await self.application.process_update(Update.de_json(payload,
                                                                     self.application.bot))
        except Exception as error:  # PTB could not read it, or a handler bug got through
            delivery.error = error
            logger.error("update %s could not be processed: %s", journal.update_id,
                         type(error).__name__)
        finally:
            CURRENT_DELIVERY.reset(token)
        if journal.outcome is None and delivery.error is None:
            # No turn ran (staff desk, relay, ignored kinds): the update is done all the same.
            await asyncio.to_thread(journal.record_alone)
        if journal.outcome == "processed":
            metrics.UPDATES.inc()
        return delivery

    def _journal(self, update_id: int, chat_id: int, *, arriving: bool) -> InboxJournal:
        return self.inbox.journal(update_id, chat_id, arriving=arriving,
                                  encode=lambda turn: calls_for(chat_id, turn))

    async def _count_failure(self, journal: InboxJournal, payload: dict[str, Any]) -> None:
        dead = await asyncio.to_thread(self.inbox.failed, journal.update_id, journal.chat_id,
                                       payload)
        if dead and journal.chat_id:
            with contextlib.suppress(TelegramError):
                await self.application.bot.send_message(chat_id=journal.chat_id,
                                                        text=text("error"))

    def _tell(self, update_id: int) -> None:
        for listener in self.listeners:
            listener(update_id)

    def _lock(self, chat_id: int) -> asyncio.Lock:
        return self._locks.setdefault(chat_id, asyncio.Lock())

    def _forget(self, chat_id: int) -> None:
        lock = self._locks.get(chat_id)
        if lock is not None and not lock.locked() and chat_id not in self._draining:
            del self._locks[chat_id]  # idle chats leave no trace, so memory stays flat

    # --- background -----------------------------------------------------------------------
    async def acknowledge_forever(self) -> None:
        """Marks answered updates done in batches (one statement for many updates)."""
        while True:
            await asyncio.sleep(ACK_SECONDS)
            await self.flush_acks()

    async def flush_acks(self) -> None:
        """Records the answered updates now."""
        ids, self._acks = self._acks, []
        if not ids:
            return
        try:
            await asyncio.to_thread(self.inbox.sent, ids)
        except Exception as error:  # they stay owed; after the lease they are sent again
            logger.warning("could not record sent replies: %s", type(error).__name__)

    async def sweep_forever(self) -> None:
        """Picks up chats left behind (crashed workers, retries) and prunes old rows."""
        since_prune = PRUNE_SECONDS  # prune once at start-up too
        while True:
            try:
                for chat_id in await asyncio.to_thread(self.inbox.chats_with_work):
                    self.kick(chat_id, owed=True)
                metrics.INBOX_DEPTH.set(await asyncio.to_thread(self.inbox.depth))
                if since_prune >= PRUNE_SECONDS:
                    since_prune = 0.0
                    await asyncio.to_thread(self.inbox.prune)
            except Exception as error:
                logger.warning("inbox sweep failed: %s", type(error).__name__)
            await asyncio.sleep(SWEEP_SECONDS)
            since_prune += SWEEP_SECONDS

    async def wait_idle(self) -> None:
        """Waits for the drains in flight and records their replies (used at shutdown)."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.flush_acks()


def build_inbox(engine: Engine, settings: Settings) -> Inbox:
    """Returns this process's view of the inbox, named after host and pid."""
    return Inbox(engine, worker=f"{socket.gethostname()}:{os.getpid()}",
                 lease=timedelta(seconds=settings.inbox_lease_seconds),
                 max_attempts=settings.inbox_max_attempts,
                 keep=timedelta(hours=settings.inbox_keep_hours),
                 keep_dead=timedelta(days=settings.inbox_dead_letter_days))
