"""Runs one conversation turn off the event loop, for any channel."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

from actions.analytics import TALLY, observe_latency
from actions.ktp import KtpReport, Source, check_ktp
from flows.conversation import Conversation
from flows.messages import Incoming, Turn
from flows.update_journal import UpdateJournal
from nlu import EmbeddedParser, NluParser

PHOTO_WINDOW_SECONDS = 600.0


class SlidingWindowLimit:
    """Allows at most `limit` events per key in any `window` seconds."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit = limit
        self.window = window
        self._events: dict[int, deque[float]] = {}

    def allow(self, key: int, now: float | None = None) -> bool:
        """Records an event for the key if it is within the limit."""
        now = time.monotonic() if now is None else now
        events = self._events.setdefault(key, deque())
        while events and events[0] <= now - self.window:
            events.popleft()
        if len(events) >= self.limit:
            return False
        events.append(now)
        return True


class TurnRunner:
    """Hands turns to a bounded thread pool, since database work and hashing block."""

    def __init__(
        self,
        conversation: Conversation,
        *,
        nlu: NluParser | None = None,
        max_workers: int = 8,
        photos_per_10min: int = 10,
    ) -> None:
        self.conversation = conversation
        self.nlu = nlu
        # Per process: with several workers a chat may get up to N times this many checks.
        self._photo_limit = SlidingWindowLimit(photos_per_10min, PHOTO_WINDOW_SECONDS)
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="turn")
        # Photo checks get their own small pool so a burst of KTP uploads cannot starve replies.
        self._photo_pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="ktp")

    async def run(
        self, chat_id: int, incoming: Incoming, *, journal: UpdateJournal | None = None
    ) -> Turn:
        """Processes one event (in the journal's transaction, if given); returns what to do."""
        loop, started = asyncio.get_running_loop(), time.perf_counter()
        if incoming.kind == "text" and self.nlu is not None:
            incoming = await self._understood(chat_id, incoming)
        turn = await loop.run_in_executor(
            self._pool, lambda: self.conversation.handle(chat_id, incoming, journal=journal)
        )
        observe_latency(time.perf_counter() - started)
        if TALLY.due():  # the dashboard's rollups, written every few seconds, off the loop
            loop.run_in_executor(self._pool, TALLY.flush_quietly, self.conversation.engine)
        return turn

    async def _understood(self, chat_id: int, incoming: Incoming) -> Incoming:
        assert self.nlu is not None
        if not isinstance(self.nlu, EmbeddedParser):
            step = await asyncio.get_running_loop().run_in_executor(
                self._pool, self.conversation.current_step, chat_id
            )
            # Passwords and codes never leave the process for a remote Rasa server.
            if step is not None and (step.secret or step.kind == "code"):
                return incoming
        return replace(incoming, nlu=await self.nlu.parse(incoming.text))

    def allow_photo_check(self, chat_id: int) -> bool:
        """Counts a photo check for the chat; False once the chat has used up its allowance."""
        return self._photo_limit.allow(chat_id)

    def expects_photo(self, chat_id: int) -> bool:
        """Tells whether a photo from this chat is worth fetching and checking now."""
        return self.conversation.wants_ktp_photo(chat_id)

    async def at_photo_step(self, chat_id: int) -> bool:
        """Tells, on the turn pool, whether this chat is at the KTP photo step."""
        return await asyncio.get_running_loop().run_in_executor(
            self._pool, self.expects_photo, chat_id)

    async def inspect_ktp(self, data: bytes, *, source: Source) -> KtpReport:
        """Checks a KTP photo off the event loop."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self._photo_pool, lambda: check_ktp(data, source=source)
        )

    def close(self) -> None:
        """Waits for running turns, writes the last counts and stops the pools."""
        self._pool.submit(TALLY.flush_quietly, self.conversation.engine)
        self._pool.shutdown(wait=True)
        self._photo_pool.shutdown(wait=True)
