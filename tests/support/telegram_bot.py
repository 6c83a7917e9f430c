"""The real bot Application, polling the fake Bot API, for end-to-end tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fakes.bot_api import FakeBotApi
from sqlalchemy.engine import Engine
from support.telegram_user import track_delivered_updates
from telegram.ext import Application

from bot.app import build_application
from bot.polling import PollingService
from bot.runtime import build_runner
from storage.settings import Settings


@asynccontextmanager
async def running_bot(
    api: FakeBotApi, engine: Engine, **settings: Any
) -> AsyncIterator[Application]:  # type: ignore[type-arg]
    """Starts the bot as `prakerja run` does: long polling through the inbox, against the fake."""
    config = Settings(telegram_bot_token=api.token, telegram_api_base_url=api.api_base_url,
                      telegram_file_base_url=api.file_base_url, **settings)
    runner = build_runner(engine, channel="telegram", settings=config)
    application = build_application(config, runner)
    service = PollingService(application, config)
    track_delivered_updates(service.processor, api)
    service.poller.poll_seconds = 1
    await service.start()
    try:
        yield application
    finally:
        await service.stop()
        runner.close()
