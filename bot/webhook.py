"""Webhook mode: an ASGI app that stores each update in the inbox, answers 200, then processes.

`uvicorn bot.webhook:create_app --factory` (or `prakerja run --webhook --workers N`). Any number of
workers may run behind one URL on PostgreSQL: the inbox hands each chat to one worker at a time.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import secrets
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

from sqlalchemy import text
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from telegram import Update
from telegram.ext import Application

from bot import metrics
from bot.app import build_application
from bot.outbox_task import OutboxWorkerTask
from bot.runtime import build_runner
from storage.db import make_engine
from storage.inbox import Inbox
from storage.settings import Settings, get_settings

logger = logging.getLogger(__name__)

WEBHOOK_PATH = "/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_BODY = 1_000_000  # Telegram updates are a few kB; anything bigger is not from Telegram
SWEEP_SECONDS = 2.0


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
    """Drains the inbox chat by chat, feeding updates to the PTB Application in order."""

    def __init__(self, application: Application, inbox: Inbox) -> None:  # type: ignore[type-arg]
        self.application = application
        self.inbox = inbox
        self._draining: set[int] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    def kick(self, chat_id: int) -> None:
        """Starts draining a chat unless this worker is already on it."""
        if chat_id in self._draining:
            return
        self._draining.add(chat_id)
        task = asyncio.create_task(self._drain(chat_id))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _drain(self, chat_id: int) -> None:
        try:
            while True:
                claimed = await asyncio.to_thread(self.inbox.claim_next, chat_id)
                if claimed is None:
                    return
                update_id, payload = claimed
                update = Update.de_json(payload, self.application.bot)
                with metrics.HANDLER_SECONDS.time():
                    await self.application.process_update(update)
                metrics.UPDATES.inc()
                await asyncio.to_thread(self.inbox.mark_done, update_id)
        except Exception as error:  # the sweeper retries the chat; this worker stays up
            metrics.ERRORS.labels(type(error).__name__).inc()
            logger.error("draining a chat failed: %s", type(error).__name__)
        finally:
            self._draining.discard(chat_id)

    async def sweep_forever(self) -> None:
        """Picks up chats left behind (crashed workers, missed wake-ups)."""
        while True:
            await asyncio.sleep(SWEEP_SECONDS)
            try:
                for chat_id in await asyncio.to_thread(self.inbox.chats_with_work):
                    self.kick(chat_id)
                metrics.INBOX_DEPTH.set(await asyncio.to_thread(self.inbox.depth))
            except Exception as error:
                logger.warning("inbox sweep failed: %s", type(error).__name__)

    async def wait_idle(self) -> None:
        """Waits for the drains in flight (used at shutdown)."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)


def create_app(settings: Settings | None = None) -> Starlette:
    """Builds the webhook ASGI app (called once per worker process)."""
    settings = settings or get_settings()
    if not settings.telegram_bot_token or not settings.webhook_secret:
        raise ValueError("webhook mode needs TELEGRAM_BOT_TOKEN and WEBHOOK_SECRET")
    engine = make_engine(settings.database_url)
    runner = build_runner(engine, channel="telegram", settings=settings)
    application = build_application(settings, runner, polling=False)
    worker = f"{socket.gethostname()}:{os.getpid()}"
    lease = timedelta(seconds=settings.inbox_lease_seconds)
    processor = InboxProcessor(application, Inbox(engine, worker=worker, lease=lease))
    secret = settings.webhook_secret.encode()

    async def receive(request: Request) -> Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not secrets.compare_digest(given, secret):
            return PlainTextResponse("forbidden", status_code=403)
        body = await request.body()
        if len(body) > MAX_BODY:
            return PlainTextResponse("too large", status_code=413)
        try:
            payload = json.loads(body)
            update_id = int(payload["update_id"])
        except (ValueError, KeyError, TypeError):
            return PlainTextResponse("bad update", status_code=400)
        chat_id = chat_of(payload)
        if await asyncio.to_thread(processor.inbox.add, update_id, chat_id, payload):
            processor.kick(chat_id)
        else:
            metrics.REDELIVERED.inc()
        return Response(status_code=200)

    async def healthz(_request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(_request: Request) -> Response:
        def ping() -> None:
            with engine.connect() as connection:
                connection.execute(text("select 1"))

        try:
            await asyncio.to_thread(ping)
        except Exception as error:
            return JSONResponse({"status": "db unreachable", "error": type(error).__name__},
                                status_code=503)
        return JSONResponse({"status": "ready"})

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        async with application:
            await application.start()
            await set_webhook_once(application, settings)
            sweeper = asyncio.create_task(processor.sweep_forever())
            outbox = OutboxWorkerTask(engine, settings)
            outbox.start()
            try:
                yield
            finally:
                sweeper.cancel()
                await outbox.stop()
                await processor.wait_idle()
                await application.stop()
        runner.close()
        engine.dispose()

    routes = [
        Route(WEBHOOK_PATH, receive, methods=["POST"]),
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route("/metrics", metrics.endpoint),
    ]
    return Starlette(routes=routes, lifespan=lifespan)


async def set_webhook_once(application: Application, settings: Settings) -> None:  # type: ignore[type-arg]
    """Registers the webhook with Telegram from one process only (the one told to)."""
    if os.environ.get("PRAKERJA_SET_WEBHOOK", "1") != "1" or not settings.webhook_url:
        return
    await application.bot.set_webhook(
        url=settings.webhook_url.rstrip("/") + WEBHOOK_PATH,
        secret_token=settings.webhook_secret,
        allowed_updates=[Update.MESSAGE, Update.CALLBACK_QUERY],
        max_connections=settings.webhook_max_connections,
    )
    logger.info("webhook registered")
