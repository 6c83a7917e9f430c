"""Tests for the fake Bot API, driven through real python-telegram-bot."""

from __future__ import annotations

import asyncio
import datetime as dtm
import json
import subprocess
import sys
import time
import urllib.request
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from aiohttp import web
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, Conflict, Forbidden, InvalidToken, RetryAfter
from telegram.ext import Application, ContextTypes, MessageHandler, filters
from telegram.warnings import PTBUserWarning

from fakes.bot_api import FakeBotApi
from fakes.fixtures import fake_bot_api  # noqa: F401 - pytest fixture

CHAT = 5550001
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
KEYBOARD = InlineKeyboardMarkup(
    [
        [
            InlineKeyboardButton("Ya", callback_data="yes"),
            InlineKeyboardButton("Tidak", callback_data="no"),
        ]
    ]
)


def make_bot(api: FakeBotApi, token: str | None = None) -> Bot:
    return Bot(token or api.token, base_url=api.api_base_url, base_file_url=api.file_base_url)


@pytest_asyncio.fixture
async def api_and_bot(fake_bot_api: FakeBotApi) -> AsyncIterator[tuple[FakeBotApi, Bot]]:  # noqa: F811
    async with make_bot(fake_bot_api) as bot:
        yield fake_bot_api, bot


async def test_get_me_returns_the_configured_bot(fake_bot_api: FakeBotApi) -> None:  # noqa: F811
    async with make_bot(fake_bot_api) as bot:
        me = await bot.get_me()

    assert (me.id, me.is_bot, me.username) == (123456, True, "prakerja_test_bot")
    assert fake_bot_api.api_base_url.startswith("http://127.0.0.1:")
    assert [call.method for call in fake_bot_api.calls] == ["getMe", "getMe"]


async def test_send_edit_and_delete_message_with_inline_keyboard(
    api_and_bot: tuple[FakeBotApi, Bot],
) -> None:
    api, bot = api_and_bot

    sent = await bot.send_message(CHAT, "Lanjut daftar?", reply_markup=KEYBOARD)
    edited = await bot.edit_message_text("Yakin?", chat_id=CHAT, message_id=sent.message_id)
    second = await bot.send_message(CHAT, "Pesan kedua")
    await bot.delete_message(CHAT, second.message_id)

    assert sent.reply_markup == KEYBOARD
    assert sent.from_user is not None
    assert sent.from_user.is_bot
    assert sent.chat.type == "private"
    assert isinstance(edited, Message)
    assert edited.text == "Yakin?"
    assert edited.edit_date is not None
    log = api.chat_log(CHAT)
    assert [(m.message_id, m.text, m.edited, m.reply_markup) for m in log] == [
        (sent.message_id, "Yakin?", True, None)
    ]
    assert api.deleted_messages == {(CHAT, second.message_id)}
    assert api.calls[-4].params["reply_markup"] == KEYBOARD.to_dict()


async def test_edit_reply_markup_and_not_modified_error(
    api_and_bot: tuple[FakeBotApi, Bot],
) -> None:
    api, bot = api_and_bot
    sent = await bot.send_message(CHAT, "Pilih", reply_markup=KEYBOARD)

    await bot.edit_message_reply_markup(CHAT, sent.message_id, reply_markup=None)
    with pytest.raises(BadRequest, match="not modified"):
        await bot.edit_message_text("Pilih", chat_id=CHAT, message_id=sent.message_id)

    assert api.chat_log(CHAT)[0].reply_markup is None
    assert api.chat_log(CHAT)[0].edited


async def test_edit_of_unknown_message_is_bad_request(api_and_bot: tuple[FakeBotApi, Bot]) -> None:
    _, bot = api_and_bot

    with pytest.raises(BadRequest, match=r"[Mm]essage to edit not found"):
        await bot.edit_message_text("x", chat_id=CHAT, message_id=999)
    with pytest.raises(BadRequest, match=r"[Mm]essage to delete not found"):
        await bot.delete_message(CHAT, 999)


async def test_markup_that_telegram_cannot_parse_is_bad_request(
    api_and_bot: tuple[FakeBotApi, Bot],
) -> None:
    api, bot = api_and_bot

    with pytest.raises(BadRequest, match=r"(?i)unsupported start tag"):
        await bot.send_message(CHAT, "Baris satu<br>dua", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match=r"(?i)reserved"):
        await bot.send_message(CHAT, "Terima kasih.", parse_mode=ParseMode.MARKDOWN_V2)
    ok = await bot.send_message(CHAT, "<b>NIK</b> &lt;16 digit&gt;", parse_mode=ParseMode.HTML)

    assert ok.text == "NIK <16 digit>"
    assert api.chat_log(CHAT)[0].text == "<b>NIK</b> &lt;16 digit&gt;"


async def test_long_poll_returns_text_callback_contact_and_photo(
    api_and_bot: tuple[FakeBotApi, Bot],
) -> None:
    api, bot = api_and_bot
    sent = await bot.send_message(CHAT, "Pilih", reply_markup=KEYBOARD)
    api.user_sends_text(CHAT, "/start daftar", first_name="Siti", username="siti")
    api.user_presses_button(CHAT, "yes", message_id=sent.message_id)
    api.user_shares_contact(CHAT, "+6281234567890")
    api.user_sends_photo(CHAT, PNG_BYTES, width=1280, height=800)

    updates = await bot.get_updates(timeout=5)

    text, callback, contact, photo = updates
    assert text.message is not None
    assert text.message.text == "/start daftar"
    assert text.message.chat.id == CHAT
    assert text.message.from_user is not None
    assert text.message.from_user.username == "siti"
    assert text.message.parse_entities(["bot_command"]) != {}
    assert callback.callback_query is not None
    assert callback.callback_query.data == "yes"
    assert callback.callback_query.message is not None
    assert callback.callback_query.message.message_id == sent.message_id
    assert contact.message is not None
    assert contact.message.contact is not None
    assert contact.message.contact.user_id == CHAT
    assert contact.message.contact.phone_number == "+6281234567890"
    assert photo.message is not None
    assert [(p.width, p.height) for p in photo.message.photo] == [(90, 56), (1280, 800)]
    assert photo.message.photo[-1].file_size == len(PNG_BYTES)


async def test_long_poll_waits_for_an_update_and_offset_confirms(
    api_and_bot: tuple[FakeBotApi, Bot],
) -> None:
    api, bot = api_and_bot
    loop = asyncio.get_running_loop()
    loop.call_later(0.1, api.user_sends_text, CHAT, "halo")

    started = time.monotonic()
    first = await bot.get_updates(timeout=5)
    waited = time.monotonic() - started
    again = await bot.get_updates(timeout=0)
    api.user_sends_text(CHAT, "kedua")
    after_confirm = await bot.get_updates(offset=first[-1].update_id + 1, timeout=0)
    empty = await bot.get_updates(offset=after_confirm[-1].update_id + 1, timeout=0)

    assert 0.05 < waited < 4
    assert [u.update_id for u in again] == [u.update_id for u in first]
    assert [u.message.text for u in after_confirm if u.message] == ["kedua"]
    assert empty == ()


async def test_answer_callback_query_only_for_issued_queries(
    api_and_bot: tuple[FakeBotApi, Bot],
) -> None:
    api, bot = api_and_bot
    sent = await bot.send_message(CHAT, "Pilih", reply_markup=KEYBOARD)
    update = api.user_presses_button(CHAT, "no", message_id=sent.message_id)
    query_id = update["callback_query"]["id"]

    assert await bot.answer_callback_query(query_id, text="Oke")
    with pytest.raises(BadRequest, match=r"(?i)query id is invalid"):
        await bot.answer_callback_query(query_id)
    assert api.callback_answers[query_id]["text"] == "Oke"


async def test_get_file_and_download_returns_the_same_bytes(
    api_and_bot: tuple[FakeBotApi, Bot],
) -> None:
    api, bot = api_and_bot
    update = api.user_sends_photo(CHAT, PNG_BYTES, width=640, height=640)
    doc_update = api.user_sends_document(
        CHAT, b"%PDF-1.4", file_name="ktp.pdf", mime_type="application/pdf"
    )

    tg_file = await bot.get_file(update["message"]["photo"][-1]["file_id"])
    data = await tg_file.download_as_bytearray()
    doc_file = await bot.get_file(doc_update["message"]["document"]["file_id"])

    assert bytes(data) == PNG_BYTES
    assert tg_file.file_size == len(PNG_BYTES)
    assert tg_file.file_path is not None
    assert tg_file.file_path.startswith(api.file_base_url)
    assert bytes(await doc_file.download_as_bytearray()) == b"%PDF-1.4"
    assert doc_file.file_path is not None
    assert doc_file.file_path.endswith(".pdf")


async def test_get_file_of_a_huge_file_is_bad_request(api_and_bot: tuple[FakeBotApi, Bot]) -> None:
    api, bot = api_and_bot
    update = api.user_sends_document(
        CHAT, b"x", file_name="big.pdf", mime_type="application/pdf", file_size=21 * 1024 * 1024
    )

    with pytest.raises(BadRequest, match="too big"):
        await bot.get_file(update["message"]["document"]["file_id"])
    with pytest.raises(BadRequest, match=r"[Ii]nvalid file_id"):
        await bot.get_file("nope")


async def test_send_photo_document_and_copy_message(api_and_bot: tuple[FakeBotApi, Bot]) -> None:
    api, bot = api_and_bot
    user_photo = api.user_sends_photo(CHAT, PNG_BYTES, width=100, height=100)
    user_photo_id = user_photo["message"]["message_id"]

    photo = await bot.send_photo(CHAT, InputFile(PNG_BYTES, filename="a.png"), caption="Foto")
    doc = await bot.send_document(CHAT, InputFile(b"isi", filename="panduan.txt"))
    copied = await bot.copy_message(CHAT, from_chat_id=CHAT, message_id=user_photo_id)
    messages = await api.wait_for_bot_messages(CHAT, 3, timeout=1)

    assert photo.caption == "Foto"
    assert doc.document is not None
    assert doc.document.file_name == "panduan.txt"
    assert [(m.kind, m.text) for m in messages] == [
        ("photo", "Foto"),
        ("document", None),
        ("photo", None),
    ]
    assert messages[2].message_id == copied.message_id
    assert messages[0].file_id is not None
    assert api.file_bytes(messages[0].file_id) == PNG_BYTES
    assert messages[1].file_name == "panduan.txt"


async def test_rate_limit_raises_retry_after(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    async with FakeBotApi(per_chat_rate_per_s=1.0) as api, make_bot(api) as bot:
        await bot.send_message(CHAT, "satu")
        with pytest.raises(RetryAfter) as caught:
            await bot.send_message(CHAT, "dua")
        await bot.send_message(CHAT + 1, "chat lain tidak terpengaruh")

    assert caught.value.retry_after == dtm.timedelta(seconds=1)
    assert api.stats()["rate_limited"] == 1
    assert [m.text for m in api.chat_log(CHAT)] == ["satu"]


async def test_global_rate_limit_applies_across_chats(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    async with FakeBotApi(global_rate_per_s=2) as api, make_bot(api) as bot:
        await bot.send_message(1, "a")
        await bot.send_message(2, "b")
        with pytest.raises(RetryAfter):
            await bot.send_message(3, "c")

    assert api.calls[-1].status == 429


async def test_blocked_chat_is_forbidden() -> None:
    async with FakeBotApi(blocked_chat_ids=[CHAT]) as api, make_bot(api) as bot:
        with pytest.raises(Forbidden, match="blocked by the user"):
            await bot.send_message(CHAT, "halo")
        api.unblock(CHAT)
        await bot.send_message(CHAT, "halo lagi")

    assert api.stats()["forbidden"] == 1
    assert [m.text for m in api.chat_log(CHAT)] == ["halo lagi"]


async def test_wrong_token_is_invalid_token(fake_bot_api: FakeBotApi) -> None:  # noqa: F811
    with pytest.raises(InvalidToken):
        async with make_bot(fake_bot_api, token="999:WRONG"):
            pass

    assert fake_bot_api.calls[0].status == 401


async def test_unknown_method_is_recorded_as_unexpected(
    api_and_bot: tuple[FakeBotApi, Bot],
) -> None:
    api, bot = api_and_bot

    with pytest.raises(InvalidToken):  # PTB maps Telegram's 404 "Not Found" to InvalidToken
        await bot.send_dice(CHAT)

    assert [(c.method, c.chat_id, c.status) for c in api.unexpected] == [("sendDice", CHAT, 404)]


async def test_malformed_parameters_are_bad_request(api_and_bot: tuple[FakeBotApi, Bot]) -> None:
    api, bot = api_and_bot

    with pytest.warns(PTBUserWarning), pytest.raises(BadRequest, match=r"(?i)invalid param"):
        await bot.do_api_request("deleteMessage", {"chat_id": CHAT, "message_id": "abc"})
    with pytest.warns(PTBUserWarning), pytest.raises(BadRequest, match=r"(?i)chat_id is empty"):
        await bot.do_api_request("sendMessage", {"text": "x"})

    assert [c.status for c in api.calls[-2:]] == [400, 400]


async def test_commands_chat_and_menu_button(api_and_bot: tuple[FakeBotApi, Bot]) -> None:
    _, bot = api_and_bot
    api_and_bot[0].user_sends_text(CHAT, "hai", first_name="Rina")

    await bot.set_my_commands([("start", "Mulai"), ("bantuan", "Bantuan")])
    commands = await bot.get_my_commands()
    chat = await bot.get_chat(CHAT)
    await bot.set_chat_menu_button()
    await bot.delete_my_commands()
    await bot.send_chat_action(CHAT, "typing")
    await bot.send_message(
        CHAT,
        "Bagikan nomor",
        reply_markup=ReplyKeyboardMarkup([[KeyboardButton("Kirim", request_contact=True)]]),
    )

    assert [c.command for c in commands] == ["start", "bantuan"]
    assert await bot.get_my_commands() == ()
    assert chat.first_name == "Rina"
    markup = api_and_bot[0].chat_log(CHAT)[0].reply_markup
    assert markup is not None
    assert markup["keyboard"][0][0]["request_contact"] is True


async def test_webhook_conflicts_with_polling_and_delivers_updates(
    api_and_bot: tuple[FakeBotApi, Bot],
) -> None:
    api, bot = api_and_bot
    received: list[tuple[str | None, dict[str, object]]] = []

    async def hook(request: web.Request) -> web.Response:
        received.append(
            (request.headers.get("X-Telegram-Bot-Api-Secret-Token"), await request.json())
        )
        return web.Response()

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}/hook"
    try:
        await bot.set_webhook(url, secret_token="rahasia")
        info = await bot.get_webhook_info()
        with pytest.raises(Conflict):
            await bot.get_updates()
        statuses = await api.deliver_updates_to_webhook(
            url, secret_token="rahasia", updates=[{"message": {"text": "x"}}] * 3, concurrency=2
        )
    finally:
        await runner.cleanup()
    await bot.delete_webhook()

    assert info.url == url
    assert statuses == [200, 200, 200]
    assert {secret for secret, _ in received} == {"rahasia"}
    assert await bot.get_updates(timeout=0) == ()


async def test_wait_for_bot_messages_times_out_with_chat_log(
    api_and_bot: tuple[FakeBotApi, Bot],
) -> None:
    api, bot = api_and_bot
    await bot.send_message(CHAT, "hanya satu")

    with pytest.raises(AssertionError, match="hanya satu"):
        await api.wait_for_bot_messages(CHAT, 2, timeout=0.2)


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None
    await update.effective_message.reply_text(f"Anda menulis: {update.effective_message.text}")


async def test_application_polling_echoes_user_text(fake_bot_api: FakeBotApi) -> None:  # noqa: F811
    api = fake_bot_api
    app = (
        Application.builder()
        .token(api.token)
        .base_url(api.api_base_url)
        .base_file_url(api.file_base_url)
        .build()
    )
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))

    async with app:
        await app.updater.start_polling(poll_interval=0, timeout=1)  # type: ignore[union-attr]
        await app.start()
        api.user_sends_text(CHAT, "halo bot")
        replies = await api.wait_for_bot_messages(CHAT, 1)
        await api.wait_until_idle(quiet_for=0.05)
        await app.updater.stop()  # type: ignore[union-attr]
        await app.stop()

    assert [m.text for m in replies] == ["Anda menulis: halo bot"]
    assert api.unexpected == []
    assert api.stats()["by_method"]["sendMessage"] == 1


def test_standalone_server_prints_urls_and_stops_on_sigterm() -> None:
    script = Path(__file__).with_name("bot_api.py")
    proc = subprocess.Popen(
        [sys.executable, str(script), "--port", "0", "--rate", "30", "--blocked", "1,2"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        first_line = proc.stdout.readline().strip()
        base = first_line.removeprefix("api_base_url=").removesuffix("/bot")
        request = urllib.request.Request(
            f"{base}/_fake/user/sends_text",
            data=json.dumps({"chat_id": CHAT, "text": "halo"}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            update = json.load(response)
        proc.terminate()
        proc.wait(timeout=5)
    finally:
        if proc.poll() is None:
            proc.kill()

    assert first_line.startswith("api_base_url=http://127.0.0.1:")
    assert proc.returncode == 0
    assert update["message"]["text"] == "halo"
