"""Webhook mode: secret check, inbox de-duplication, ordered processing, health and metrics."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
import uvicorn
from fakes.bot_api import FakeBotApi
from prometheus_client import REGISTRY
from sqlalchemy import text
from sqlalchemy.engine import Engine
from support.applicant_data import ANSWERS
from support.telegram_user import texts

from bot.webhook import WEBHOOK_PATH, create_app
from storage.settings import Settings

SECRET = "s3cret-token-for-tests"


@asynccontextmanager
async def webhook_server(api: FakeBotApi, engine: Engine) -> AsyncIterator[str]:
    """Serves the webhook app with uvicorn on a free loopback port; yields its base URL."""
    settings = Settings(
        database_url=str(engine.url.render_as_string(hide_password=False)),
        telegram_bot_token=api.token, telegram_api_base_url=api.api_base_url,
        telegram_file_base_url=api.file_base_url, webhook_secret=SECRET,
        webhook_url="http://127.0.0.1:1",
    )
    config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=0, log_level="warning",
                            lifespan="on")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    for _ in range(1000):  # uvicorn offers no event for "listening"
        if server.started:
            break
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


async def deliver(api: FakeBotApi, base: str, update: dict, secret: str = SECRET) -> int:
    [status] = await api.deliver_updates_to_webhook(base + WEBHOOK_PATH, secret_token=secret,
                                                    updates=[update])
    return status


def redelivered() -> float:
    return REGISTRY.get_sample_value("prakerja_updates_redelivered_total") or 0.0


async def wait_for_messages(api: FakeBotApi, chat: int, count: int) -> list:
    for _ in range(500):
        if len(api.sent_messages(chat)) >= count:
            return api.sent_messages(chat)
        await asyncio.sleep(0.01)
    raise AssertionError(f"only {len(api.sent_messages(chat))} messages in chat {chat}")


async def test_wrong_secret_is_refused(fake_bot_api: FakeBotApi, sqlite_engine: Engine) -> None:
    async with webhook_server(fake_bot_api, sqlite_engine) as base:
        update = fake_bot_api.user_sends_text(7001, "/start")
        assert await deliver(fake_bot_api, base, update, secret="wrong") == 403
        await asyncio.sleep(0.2)
    assert fake_bot_api.sent_messages(7001) == []
    assert fake_bot_api.webhook_secret_token == SECRET


async def test_updates_processed_in_order_and_redelivery_ignored(
    fake_bot_api: FakeBotApi, engine: Engine
) -> None:
    async with webhook_server(fake_bot_api, engine) as base:
        updates = [
            fake_bot_api.user_sends_text(7002, "/daftar"),
            fake_bot_api.user_sends_text(7002, ANSWERS["full_name"]),
            fake_bot_api.user_sends_text(7002, ANSWERS["email"]),
        ]
        statuses = await fake_bot_api.deliver_updates_to_webhook(
            base + WEBHOOK_PATH, secret_token=SECRET, updates=updates, concurrency=1)
        assert statuses == [200, 200, 200]
        messages = await wait_for_messages(fake_bot_api, 7002, 3)
        before = redelivered()
        assert await deliver(fake_bot_api, base, updates[2]) == 200  # Telegram retries
        await asyncio.sleep(0.3)
        async with httpx.AsyncClient() as client:
            metrics = (await client.get(base + "/metrics")).text
    assert "Nama lengkap" in texts(messages[:1]) and "Email" in texts(messages[1:2])
    assert "kode 6 angka" in texts(messages[2:3])
    assert len(fake_bot_api.sent_messages(7002)) == 3
    assert redelivered() == before + 1
    assert "prakerja_updates_processed_total" in metrics
    with engine.connect() as connection:
        emails = connection.execute(text("select count(*) from outbox")).scalar_one()
    assert emails == 1


async def test_health_and_readiness(fake_bot_api: FakeBotApi, sqlite_engine: Engine) -> None:
    async with webhook_server(fake_bot_api, sqlite_engine) as base, httpx.AsyncClient() as client:
        assert (await client.get(base + "/healthz")).json() == {"status": "ok"}
        assert (await client.get(base + "/readyz")).status_code == 200
        bad = await client.post(base + WEBHOOK_PATH, content=b"not json",
                                headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})
        assert bad.status_code == 400


def test_sqlite_refuses_several_workers() -> None:
    from typer.testing import CliRunner

    from bot.cli import app
    from storage.settings import get_settings

    get_settings.cache_clear()  # the CLI reads the environment given below
    result = CliRunner().invoke(app, ["run", "--webhook", "--workers", "2"], env={
        "TELEGRAM_BOT_TOKEN": "1:x", "WEBHOOK_SECRET": "s", "DATABASE_URL": "sqlite:///x.db"})
    get_settings.cache_clear()
    assert result.exit_code == 2
    assert "SQLite" in result.output


@pytest.mark.parametrize("payload", [{"update_id": 1, "message": {"chat": {"id": 5}}}])
def test_chat_of(payload: dict) -> None:
    from bot.webhook import chat_of

    assert chat_of(payload) == 5
