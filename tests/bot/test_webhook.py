"""Webhook mode: secret check, inbox de-duplication, ordered processing, health and metrics."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import httpx
import pytest
import uvicorn
from fakes.bot_api import FakeBotApi
from prometheus_client import REGISTRY
from sqlalchemy import text
from sqlalchemy.engine import Engine
from support.applicant_data import ANSWERS, latest_code
from support.telegram_user import texts

from bot.slow_clients import HeaderDeadlineProtocol
from bot.webhook import WEBHOOK_PATH, create_app
from storage.db import session_scope
from storage.inbox import Inbox
from storage.settings import Settings

SECRET = "s3cret-token-for-tests"


@asynccontextmanager
async def webhook_server(api: FakeBotApi, engine: Engine, **options: Any) -> AsyncIterator[str]:
    """Serves the webhook app with uvicorn on a free loopback port; yields its base URL."""
    settings = Settings(
        database_url=str(engine.url.render_as_string(hide_password=False)),
        telegram_bot_token=api.token, telegram_api_base_url=api.api_base_url,
        telegram_file_base_url=api.file_base_url, webhook_secret=SECRET,
        webhook_url="http://127.0.0.1:1", **options,
    )
    config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=0, log_level="warning",
                            lifespan="on", http=HeaderDeadlineProtocol)
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
    for _ in range(1500):  # a queued update waits for the drain loop: allow it 15 s
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


async def post(base: str, update: dict, secret: str = SECRET) -> httpx.Response:
    """POSTs an update as Telegram does and returns the raw answer."""
    async with httpx.AsyncClient() as client:
        return await client.post(base + WEBHOOK_PATH, json=update,
                                 headers={"X-Telegram-Bot-Api-Secret-Token": secret})


def inbox_row(engine: Engine, update_id: int) -> Any:
    with engine.connect() as connection:
        return connection.execute(text("select * from inbox_update where update_id = :u"),
                                  {"u": update_id}).first()


async def wait_for_status(engine: Engine, update_id: int, status: str) -> Any:
    for _ in range(500):
        row = inbox_row(engine, update_id)
        if row is not None and row.status == status:
            return row
        await asyncio.sleep(0.01)
    raise AssertionError(f"update {update_id} never became {status}")


async def test_reply_rides_in_the_webhook_answer(fake_bot_api: FakeBotApi, engine: Engine) -> None:
    async with webhook_server(fake_bot_api, engine) as base:
        update = fake_bot_api.user_sends_text(7101, "/bantuan")
        update["update_id"] = 501
        answer = await post(base, update)
        done = await wait_for_status(engine, 501, "done")
    body = answer.json()
    assert answer.status_code == 200 and body["method"] == "sendMessage"
    assert body["chat_id"] == 7101 and "Bantuan" in body["text"] and body["parse_mode"] == "HTML"
    assert body["reply_markup"]["inline_keyboard"]  # the menu buttons come along
    assert [c for c in fake_bot_api.calls if c.method == "sendMessage"] == []  # none on the wire
    assert (done.payload, done.sealed, done.replies) == (None, None, None)


async def test_fake_telegram_runs_the_answer_and_the_rest_goes_first_over_the_wire(
    fake_bot_api: FakeBotApi, sqlite_engine: Engine
) -> None:
    chat = 7102
    async with webhook_server(fake_bot_api, sqlite_engine) as base:
        for answer in ("/daftar", ANSWERS["full_name"], ANSWERS["email"]):
            await deliver(fake_bot_api, base, fake_bot_api.user_sends_text(chat, answer))
        code = latest_code(sqlite_engine, chat_id=chat, kind="email")
        await deliver(fake_bot_api, base, fake_bot_api.user_sends_text(chat, code))
        password = fake_bot_api.user_sends_text(chat, ANSWERS["password"])
        await deliver(fake_bot_api, base, password)
    answered = [c for c in fake_bot_api.calls if c.via_webhook_answer]
    assert [c.method for c in answered] == ["sendMessage"] * 5
    assert "NIK" in (answered[-1].params["text"] or "")
    deletion = [c for c in fake_bot_api.calls if c.method == "deleteMessage"]
    assert len(deletion) == 1 and not deletion[0].via_webhook_answer
    assert deletion[0].at < answered[-1].at  # the secret is gone before the next question
    assert (chat, password["message"]["message_id"]) in fake_bot_api.deleted_messages
    assert "kode 6 angka" in texts(fake_bot_api.sent_messages(chat))


async def test_update_of_a_busy_chat_waits_its_turn_in_the_inbox(
    fake_bot_api: FakeBotApi, engine: Engine
) -> None:
    chat = 7103
    earlier = fake_bot_api.user_sends_text(chat, "/start")
    earlier["update_id"] = 601
    Inbox(engine, worker="elsewhere").add(601, chat, earlier)  # stored, not yet processed
    async with webhook_server(fake_bot_api, engine) as base:
        later = fake_bot_api.user_sends_text(chat, "/daftar")
        later["update_id"] = 602
        answer = await post(base, later)
        messages = await wait_for_messages(fake_bot_api, chat, 3)
        await wait_for_status(engine, 602, "done")
    assert answer.status_code == 200 and answer.content == b""
    assert "Halo" in texts(messages[:1]) and "Nama lengkap" in texts(messages[2:3])


async def test_replies_of_a_worker_killed_after_its_commit_are_sent_on_redelivery(
    fake_bot_api: FakeBotApi, engine: Engine
) -> None:
    chat = 7104
    dead = Inbox(engine, worker="killed:1", lease=timedelta(seconds=0))
    journal = dead.journal(701, chat, arriving=True, encode=lambda _turn: [
        {"method": "sendMessage", "chat_id": chat, "text": "Balasan yang tertunda",
         "parse_mode": "HTML", "link_preview_options": {"is_disabled": True}}])
    with session_scope(engine) as session:
        assert journal.open(session)
        journal.close(session, object())
    async with webhook_server(fake_bot_api, engine, inbox_lease_seconds=0.0) as base:
        update = fake_bot_api.user_sends_text(chat, "halo")
        update["update_id"] = 701  # Telegram never saw our answer, so it asks again
        answer = await post(base, update)
        [message] = await wait_for_messages(fake_bot_api, chat, 1)
        await wait_for_status(engine, 701, "done")
    assert answer.status_code == 200 and answer.content == b""
    assert message.text == "Balasan yang tertunda"


async def test_update_that_keeps_failing_is_dead_lettered_and_frees_its_chat(
    fake_bot_api: FakeBotApi, engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    chat = 7105
    broken = {"update_id": 801, "message": {"chat": {"id": chat, "type": "private"}}}
    async with webhook_server(fake_bot_api, engine, inbox_max_attempts=2) as base:
        assert (await post(base, broken)).status_code == 200
        await wait_for_status(engine, 801, "dead")
        [apology] = await wait_for_messages(fake_bot_api, chat, 1)
        start = fake_bot_api.user_sends_text(chat, "/start")
        start["update_id"] = 802
        answer = await post(base, start)
    assert "ALERT dead letter: update 801" in caplog.text
    assert "Maaf, terjadi gangguan" in (apology.text or "")
    assert answer.status_code == 200 and answer.json()["method"] == "sendMessage"
    assert "Halo" in texts(fake_bot_api.sent_messages(chat))  # welcome over the wire, then more


async def test_slow_clients_are_cut_off(
    fake_bot_api: FakeBotApi, sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(HeaderDeadlineProtocol, "header_seconds", 0.3)
    async with webhook_server(fake_bot_api, sqlite_engine,
                              webhook_body_timeout_seconds=0.3) as base:
        host, port = base.removeprefix("http://").split(":")
        reader, writer = await asyncio.open_connection(host, int(port))
        writer.write(b"POST /telegram/webhook HTTP/1.1\r\nHost: x\r\n")  # and then nothing
        assert await asyncio.wait_for(reader.read(), 3) == b""  # closed by the server
        writer.close()
        reader, writer = await asyncio.open_connection(host, int(port))
        writer.write(b"POST /telegram/webhook HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n"
                     b"X-Telegram-Bot-Api-Secret-Token: " + SECRET.encode() + b"\r\n\r\n{")
        status_line = await asyncio.wait_for(reader.readline(), 3)
        writer.close()
    assert b" 408 " in status_line
