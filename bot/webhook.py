"""Webhook mode: an ASGI app that processes each update inside its request when it can.

When the update is its chat's next one, the turn runs in the request (one transaction that also
records the update_id) and the answer carries the last reply as a Bot API method, so a typical
update costs no outgoing request at all. Updates of a chat busy elsewhere wait in the inbox.
`uvicorn bot.webhook:create_app --factory` (or `prakerja run --webhook --workers N`); any number
of workers may run behind one URL on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import text
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from telegram import Update
from telegram.ext import Application

from bot import metrics
from bot.app import build_application
from bot.inbox_processor import InboxProcessor, build_inbox, chat_of
from bot.outbox_task import OutboxWorkerTask
from bot.runtime import build_runner
from storage.db import make_engine
from storage.settings import Settings, get_settings

logger = logging.getLogger(__name__)

WEBHOOK_PATH = "/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_BODY = 1_000_000  # Telegram updates are a few kB; anything bigger is not from Telegram


def create_app(settings: Settings | None = None) -> Starlette:
    """Builds the webhook ASGI app (called once per worker process)."""
    settings = settings or get_settings()
    if not settings.telegram_bot_token or not settings.webhook_secret:
        raise ValueError("webhook mode needs TELEGRAM_BOT_TOKEN and WEBHOOK_SECRET")
    engine = make_engine(settings.database_url, pool_recycle=settings.db_pool_recycle_seconds)
    runner = build_runner(engine, channel="telegram", settings=settings)
    application = build_application(settings, runner, polling=False)
    processor = InboxProcessor(application, build_inbox(engine, settings),
                               settle_seconds=settings.inbox_settle_seconds,
                               reply_in_response=settings.webhook_reply_in_response)
    secret = settings.webhook_secret.encode()

    async def receive(request: Request) -> Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not secrets.compare_digest(given, secret):
            return PlainTextResponse("forbidden", status_code=403)
        body = await _read_body(request, settings.webhook_body_timeout_seconds)
        if isinstance(body, Response):
            return body
        try:
            payload = json.loads(body)
            update_id = int(payload["update_id"])
        except (ValueError, KeyError, TypeError):
            return PlainTextResponse("bad update", status_code=400)
        call = await processor.answer(update_id, chat_of(payload), payload)
        return JSONResponse(call) if call is not None else Response(status_code=200)

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
            background = [asyncio.create_task(processor.sweep_forever()),
                          asyncio.create_task(processor.acknowledge_forever())]
            outbox = OutboxWorkerTask(engine, settings)
            outbox.start()
            try:
                yield
            finally:
                for task in background:
                    task.cancel()
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


async def _read_body(request: Request, seconds: float) -> bytes | Response:
    """Returns the body, or the answer for one too big or too slow to arrive."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY:
        return PlainTextResponse("too large", status_code=413)
    chunks: list[bytes] = []
    size = 0
    try:
        async with asyncio.timeout(seconds):
            async for chunk in request.stream():
                size += len(chunk)
                if size > MAX_BODY:
                    return PlainTextResponse("too large", status_code=413)
                chunks.append(chunk)
    except TimeoutError:
        return PlainTextResponse("too slow", status_code=408)
    return b"".join(chunks)


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
