"""Runs the outbox worker as a task inside the bot process (the default for `prakerja run`)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy.engine import Engine

from actions.outbox import run_worker
from flows.nudges import run_nudges
from storage.models import utcnow
from storage.settings import Settings

logger = logging.getLogger(__name__)


class OutboxWorkerTask:
    """Starts and stops one outbox worker on the running event loop."""

    def __init__(
        self, engine: Engine, settings: Settings, *, clock: Callable[[], datetime] = utcnow
    ) -> None:
        self.engine = engine
        self.settings = settings
        self.clock = clock
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._nudges: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Starts delivering outbox rows (and queuing due reminders) in the background."""
        if not self.settings.outbox_worker_in_process:
            return
        self._task = asyncio.create_task(run_worker(self.engine, self.settings, self._stop))
        if self.settings.nudges_enabled:
            self._nudges = asyncio.create_task(self._remind())
        logger.info("outbox worker started in-process")

    async def stop(self) -> None:
        """Asks the worker to finish its in-flight deliveries and waits for it."""
        self._stop.set()
        for task in (self._task, self._nudges):
            if task is not None:
                with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                    await asyncio.wait_for(task, timeout=30)

    async def _remind(self) -> None:
        """Queues due reminders every NUDGE_INTERVAL_SECONDS until stopped."""
        while not self._stop.is_set():
            try:
                count = await asyncio.to_thread(run_nudges, self.engine, self.clock())
                if count:
                    logger.info("queued %d registration reminders", count)
            except Exception as error:  # a failing round must not stop the next ones
                logger.error("reminder round failed: %s", type(error).__name__)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), self.settings.nudge_interval_seconds)
