"""Long polling through the inbox: a batch is stored before its offset is confirmed.

Telegram confirms updates when the next getUpdates asks for a higher offset, so an update is
either in our inbox or still at Telegram; a process killed at any moment loses nothing. On start
the poller makes the replies of a killed run claimable at once (it is the only consumer).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import Application

from bot.handlers import RUNNER_KEY
from bot.inbox_processor import InboxProcessor, build_inbox, chat_of
from bot.outbox_task import OutboxWorkerTask
from storage.settings import Settings

logger = logging.getLogger(__name__)

ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY]
RETRY_SECONDS = 1.0


class InboxPoller:
    """Fetches updates with getUpdates and hands them to the inbox processor."""

    def __init__(self, application: Application, processor: InboxProcessor,  # type: ignore[type-arg]
                 *, poll_seconds: int = 10) -> None:
        self.application = application
        self.processor = processor
        self.poll_seconds = poll_seconds

    async def poll_forever(self) -> None:
        """Polls until cancelled, storing each batch before asking past it."""
        inbox = self.processor.inbox
        await asyncio.to_thread(inbox.release_all)
        for chat_id in await asyncio.to_thread(inbox.chats_with_work, 10_000):
            self.processor.kick(chat_id, owed=True)
        offset: int | None = None
        while True:
            updates = await self._fetch(offset)
            if not updates:
                continue
            payloads = [update.to_dict() for update in updates]
            batch = [(p["update_id"], chat_of(p), p) for p in payloads]
            for chat_id in await asyncio.to_thread(inbox.add_many, batch):
                self.processor.kick(chat_id)
            offset = updates[-1].update_id + 1  # confirmed by the next call, after the commit

    async def _fetch(self, offset: int | None) -> tuple[Update, ...]:
        try:
            updates: tuple[Update, ...] = await self.application.bot.get_updates(
                offset=offset, timeout=self.poll_seconds, allowed_updates=ALLOWED_UPDATES,
                read_timeout=self.poll_seconds + 5)
        except TelegramError as error:  # network trouble or a second poller: try again soon
            logger.warning("getUpdates failed: %s", type(error).__name__)
            await asyncio.sleep(RETRY_SECONDS)
            return ()
        return updates


class PollingService:
    """The polling bot's moving parts: Application, poller, inbox processor and outbox worker."""

    def __init__(self, application: Application, settings: Settings) -> None:  # type: ignore[type-arg]
        self.application = application
        engine = application.bot_data[RUNNER_KEY].conversation.engine
        self.processor = InboxProcessor(application, build_inbox(engine, settings))
        self.poller = InboxPoller(application, self.processor)
        self.outbox = OutboxWorkerTask(engine, settings)
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        """Initialises the Application and starts polling, draining and the outbox worker."""
        await self.application.initialize()
        await self.application.bot.delete_webhook()  # getUpdates is refused while one is set
        if self.application.post_init is not None:
            await self.application.post_init(self.application)
        await self.application.start()
        self.outbox.start()
        self._tasks = [asyncio.create_task(self.poller.poll_forever()),
                       asyncio.create_task(self.processor.sweep_forever()),
                       asyncio.create_task(self.processor.acknowledge_forever())]

    async def stop(self) -> None:
        """Stops polling, lets the turns in flight finish, then shuts everything down."""
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.processor.wait_idle()
        await self.outbox.stop()
        await self.application.stop()
        await self.application.shutdown()


async def serve_polling(application: Application, settings: Settings) -> None:  # type: ignore[type-arg]
    """Runs the polling bot until SIGINT or SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    service = PollingService(application, settings)
    await service.start()
    logger.info("polling through the inbox")
    try:
        await stop.wait()
    finally:
        await service.stop()
