"""Starts the webhook workers: migrate and register the webhook once, then run uvicorn."""

from __future__ import annotations

import asyncio
import os

import typer
import uvicorn
from telegram import Bot, Update

from bot.slow_clients import HeaderDeadlineProtocol
from bot.webhook import WEBHOOK_PATH
from storage.db import is_sqlite
from storage.migrate import upgrade
from storage.settings import Settings

MAX_HEADER_BYTES = 16 * 1024  # Telegram's request headers are well under 1 kB


def serve(settings: Settings, workers: int) -> None:
    """Runs `workers` webhook processes behind one port."""
    if workers > 1 and is_sqlite(settings.database_url):
        typer.echo(
            "SQLite hanya mendukung satu proses. Untuk beberapa worker, pakai PostgreSQL "
            "(DATABASE_URL=postgresql://…). SQLite supports one worker only.", err=True
        )
        raise typer.Exit(2)
    if not settings.webhook_secret:
        typer.echo("WEBHOOK_SECRET must be set in webhook mode.", err=True)
        raise typer.Exit(2)
    upgrade(settings.database_url)
    if settings.webhook_url:
        asyncio.run(_register(settings))
    os.environ["PRAKERJA_SET_WEBHOOK"] = "0"  # registered above, exactly once
    # Slow clients are cut off: headers within HEADER_SECONDS, the body within
    # WEBHOOK_BODY_TIMEOUT_SECONDS (in the app), idle keep-alive after WEBHOOK_KEEPALIVE_SECONDS.
    uvicorn.run("bot.webhook:create_app", factory=True, host=settings.webhook_listen,
                port=settings.webhook_port, workers=max(workers, 1), log_level="warning",
                access_log=False, http=HeaderDeadlineProtocol,
                timeout_keep_alive=int(settings.webhook_keepalive_seconds),
                h11_max_incomplete_event_size=MAX_HEADER_BYTES)


async def _register(settings: Settings) -> None:
    bot = Bot(settings.telegram_bot_token or "", base_url=settings.telegram_api_base_url)
    async with bot:
        await bot.set_webhook(
            url=(settings.webhook_url or "").rstrip("/") + WEBHOOK_PATH,
            secret_token=settings.webhook_secret,
            allowed_updates=[Update.MESSAGE, Update.CALLBACK_QUERY],
            max_connections=settings.webhook_max_connections,
        )
