"""AiohttpRequest against the real fake Bot API over 127.0.0.1: PTB's request contract."""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
import pytest_asyncio
from fakes.bot_api import FakeBotApi
from fakes.fixtures import fake_bot_api  # noqa: F401 - pytest fixture
from telegram import Bot, InputFile
from telegram.error import NetworkError, RetryAfter, TimedOut

from bot.aiohttp_request import AiohttpRequest, was_not_sent

CHAT = 4242
UPLOAD = bytes(range(256)) * 64 + os.urandom(300_000)  # every byte value, several TCP chunks


def make_bot(api: FakeBotApi, request: AiohttpRequest | None = None) -> Bot:
    return Bot(api.token, base_url=api.api_base_url, base_file_url=api.file_base_url,
               request=request or AiohttpRequest(), get_updates_request=AiohttpRequest())


@pytest_asyncio.fixture
async def api_and_bot(fake_bot_api: FakeBotApi) -> AsyncIterator[tuple[FakeBotApi, Bot]]:  # noqa: F811
    async with make_bot(fake_bot_api) as bot:
        yield fake_bot_api, bot


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_send_message_through_a_full_bot(api_and_bot: tuple[FakeBotApi, Bot]) -> None:
    api, bot = api_and_bot
    sent = await bot.send_message(CHAT, "Halo <b>Anda</b> – ✓", parse_mode="HTML")
    [seen] = await api.wait_for_bot_messages(CHAT, 1, timeout=2)
    assert seen.text == "Halo <b>Anda</b> – ✓"
    assert seen.message_id == sent.message_id
    assert (await bot.get_me()).username == api.bot_username


async def test_send_photo_arrives_intact(api_and_bot: tuple[FakeBotApi, Bot]) -> None:
    api, bot = api_and_bot
    await bot.send_photo(CHAT, InputFile(UPLOAD, filename="ktp.jpg"), caption="Foto KTP")
    [seen] = await api.wait_for_bot_messages(CHAT, 1, timeout=2)
    assert seen.kind == "photo"
    assert seen.text == "Foto KTP"
    assert seen.file_id is not None
    assert api.file_bytes(seen.file_id) == UPLOAD


async def test_send_document_keeps_name_and_bytes(api_and_bot: tuple[FakeBotApi, Bot]) -> None:
    api, bot = api_and_bot
    sent = await bot.send_document(CHAT, InputFile(UPLOAD, filename="panduan.pdf"))
    assert sent.document is not None
    assert sent.document.file_name == "panduan.pdf"
    assert api.file_bytes(sent.document.file_id) == UPLOAD


async def test_upload_from_an_open_file_handle(
    api_and_bot: tuple[FakeBotApi, Bot], tmp_path: Path
) -> None:
    api, bot = api_and_bot
    path = tmp_path / "contoh_ktp.jpg"
    path.write_bytes(UPLOAD)
    with path.open("rb") as handle:
        sent = await bot.send_document(CHAT, handle, caption="Contoh ✓")
    assert sent.caption == "Contoh ✓"
    assert sent.document is not None
    assert sent.document.file_name == "contoh_ktp.jpg"
    assert api.file_bytes(sent.document.file_id) == UPLOAD


async def test_file_download_uses_get(api_and_bot: tuple[FakeBotApi, Bot]) -> None:
    api, bot = api_and_bot
    update = api.user_sends_photo(CHAT, UPLOAD, width=100, height=100)
    file_id = update["message"]["photo"][-1]["file_id"]
    telegram_file = await bot.get_file(file_id)
    assert bytes(await telegram_file.download_as_bytearray()) == UPLOAD


async def test_slow_answer_is_timed_out(fake_bot_api: FakeBotApi) -> None:  # noqa: F811
    fake_bot_api.fail_next("sendMessage", delay_s=1.0)
    async with make_bot(fake_bot_api, AiohttpRequest(read_timeout=0.2)) as bot:
        with pytest.raises(TimedOut) as caught:
            await bot.send_message(CHAT, "lambat")
    assert not was_not_sent(caught.value)  # the request did reach the server


async def test_read_timeout_given_per_call_wins(fake_bot_api: FakeBotApi) -> None:  # noqa: F811
    fake_bot_api.fail_next("sendMessage", delay_s=1.0, times=2)
    async with make_bot(fake_bot_api, AiohttpRequest(read_timeout=0.1)) as bot:
        with pytest.raises(TimedOut):
            await bot.send_message(CHAT, "satu")
        sent = await bot.send_message(CHAT, "dua", read_timeout=5)
    assert sent.text == "dua"


async def test_429_becomes_retry_after_with_its_value(
    fake_bot_api: FakeBotApi,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    fake_bot_api.fail_next("sendMessage", status=429, retry_after=7)
    async with make_bot(fake_bot_api) as bot:
        with pytest.raises(RetryAfter) as caught:
            await bot.send_message(CHAT, "cepat")
    assert caught.value.retry_after == timedelta(seconds=7)


async def test_real_rate_limit_of_the_fake_is_retry_after(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    async with FakeBotApi(per_chat_rate_per_s=0.5) as api, make_bot(api) as bot:
        await bot.send_message(CHAT, "satu")
        with pytest.raises(RetryAfter) as caught:
            await bot.send_message(CHAT, "dua")
    assert caught.value.retry_after == timedelta(seconds=2)
    assert api.stats()["rate_limited"] == 1


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_server_error_is_network_error(fake_bot_api: FakeBotApi, status: int) -> None:  # noqa: F811
    fake_bot_api.fail_next("sendMessage", status=status)
    async with make_bot(fake_bot_api) as bot:
        with pytest.raises(NetworkError) as caught:
            await bot.send_message(CHAT, "gagal")
        assert not isinstance(caught.value, TimedOut)
        assert (await bot.send_message(CHAT, "lagi")).text == "lagi"


async def test_connection_reset_is_network_error_and_the_pool_recovers(
    fake_bot_api: FakeBotApi,  # noqa: F811
) -> None:
    async with make_bot(fake_bot_api) as bot:
        await bot.send_message(CHAT, "pemanasan")  # a kept-alive connection is in the pool now
        fake_bot_api.fail_next("sendMessage", reset=True)
        with pytest.raises(NetworkError) as caught:
            await bot.send_message(CHAT, "putus")
        assert not isinstance(caught.value, TimedOut)
        assert not was_not_sent(caught.value)  # the server had the request: ambiguous
        assert (await bot.send_message(CHAT, "lagi")).text == "lagi"


async def test_refused_connection_was_not_sent() -> None:
    port = _free_port()  # nothing listens there
    request = AiohttpRequest(connect_timeout=1.0)
    bot = Bot("1:X", base_url=f"http://127.0.0.1:{port}/bot", request=request)
    await request.initialize()
    try:
        with pytest.raises(NetworkError) as caught:
            await bot.send_message(CHAT, "tidak ada")
    finally:
        await request.shutdown()
    assert was_not_sent(caught.value)


async def test_full_pool_times_out_without_sending(fake_bot_api: FakeBotApi) -> None:  # noqa: F811
    fake_bot_api.fail_next("sendMessage", delay_s=0.5)
    request = AiohttpRequest(connection_pool_size=1, pool_timeout=0.05)
    async with make_bot(fake_bot_api, request) as bot:
        slow = asyncio.create_task(bot.send_message(CHAT, "lambat"))
        await asyncio.sleep(0.1)  # the only connection is busy with the slow request now
        with pytest.raises(TimedOut) as caught:
            await bot.send_message(CHAT, "antre")
        assert (await slow).text == "lambat"
    assert was_not_sent(caught.value)
    texts = [call.params.get("text") for call in fake_bot_api.calls]
    assert "antre" not in texts


async def test_pool_bounds_concurrent_requests(fake_bot_api: FakeBotApi) -> None:  # noqa: F811
    fake_bot_api.fail_next("sendMessage", delay_s=0.2, times=6)
    request = AiohttpRequest(connection_pool_size=2, pool_timeout=5.0)
    async with make_bot(fake_bot_api, request) as bot:
        sent = await asyncio.gather(*(bot.send_message(CHAT + i, f"pesan {i}")
                                      for i in range(6)))
    assert [m.text for m in sent] == [f"pesan {i}" for i in range(6)]
    assert fake_bot_api.peak_open_requests == 2


async def test_shutdown_closes_and_initialize_reopens(fake_bot_api: FakeBotApi) -> None:  # noqa: F811
    request = AiohttpRequest()
    bot = Bot(fake_bot_api.token, base_url=fake_bot_api.api_base_url, request=request)
    with pytest.raises(RuntimeError, match="not initialized"):
        await request.do_request(f"{fake_bot_api.api_base_url}{fake_bot_api.token}/getMe", "POST")
    await request.initialize()
    assert (await bot.get_me()).id == fake_bot_api.bot_id
    await request.shutdown()
    with pytest.raises(RuntimeError, match="not initialized"):
        await request.do_request(f"{fake_bot_api.api_base_url}{fake_bot_api.token}/getMe", "POST")
    await request.initialize()
    assert (await bot.get_me()).id == fake_bot_api.bot_id
    await request.shutdown()


def test_read_timeout_property_is_the_default() -> None:
    assert AiohttpRequest(read_timeout=7.5).read_timeout == 7.5
    with pytest.raises(ValueError, match="pool"):
        AiohttpRequest(connection_pool_size=0)
