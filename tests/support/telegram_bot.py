"""The real bot Application, polling the fake Bot API, for end-to-end tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fakes.bot_api import FakeBotApi
from sqlalchemy.engine import Engine
from support.telegram_user import track_processed_updates
from telegram.ext import Application

from bot.app import build_application
from bot.runtime import build_runner
from storage.settings import Settings


@asynccontextmanager
async def running_bot(
    api: FakeBotApi, engine: Engine, **settings: Any
) -> AsyncIterator[Application]:  # type: ignore[type-arg]
    """Starts the Application as `prakerja run` builds it, with long polling against the fake."""
    config = Settings(telegram_bot_token=api.token, telegram_api_base_url=api.api_base_url,
                      telegram_file_base_url=api.file_base_url, **settings)
    runner = build_runner(engine, channel="telegram", settings=config)
    application = build_application(config, runner)
    track_processed_updates(application, api)
    async with application:
        await application.updater.start_polling(poll_interval=0, timeout=1)  # type: ignore[union-attr]
        await application.start()
        try:
            yield application
        finally:
            await application.updater.stop()  # type: ignore[union-attr]
            await application.stop()
            runner.close()
