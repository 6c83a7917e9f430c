"""Runs the outbox worker as a task inside the bot process (the default for `prakerja run`)."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from sqlalchemy.engine import Engine

from actions.outbox import run_worker
from storage.settings import Settings

logger = logging.getLogger(__name__)


class OutboxWorkerTask:
    """Starts and stops one outbox worker on the running event loop."""

    def __init__(self, engine: Engine, settings: Settings) -> None:
        self.engine = engine
        self.settings = settings
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Starts delivering outbox rows in the background."""
        if not self.settings.outbox_worker_in_process:
            return
        self._task = asyncio.create_task(run_worker(self.engine, self.settings, self._stop))
        logger.info("outbox worker started in-process")

    async def stop(self) -> None:
        """Asks the worker to finish its in-flight deliveries and waits for it."""
        self._stop.set()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(self._task, timeout=30)
