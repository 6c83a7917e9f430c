"""Runs one conversation turn off the event loop, for any channel."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from flows.conversation import Conversation
from flows.messages import Incoming, Turn


class TurnRunner:
    """Hands turns to a bounded thread pool, since database work and hashing block."""

    def __init__(self, conversation: Conversation, *, max_workers: int = 8) -> None:
        self.conversation = conversation
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="turn")

    async def run(self, chat_id: int, incoming: Incoming, *, update_id: int | None = None) -> Turn:
        """Processes one event and returns what the channel must do."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self._pool, lambda: self.conversation.handle(chat_id, incoming, update_id=update_id)
        )

    def close(self) -> None:
        """Waits for running turns and stops the pool."""
        self._pool.shutdown(wait=True)
