"""Polling mode under kill -9: a real `prakerja run` child is SIGKILLed mid-registration, again
and again, and restarted; every step still gets its answer and nothing is processed twice."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fakes.bot_api import FakeBotApi
from sqlalchemy import text
from sqlalchemy.engine import Engine
from support.applicant_data import ANSWERS, good_ktp_jpeg, latest_code
from support.bot_process import BotProcess, wait_until
from support.telegram_user import TelegramUser, texts

from storage.db import make_engine
from storage.migrate import upgrade

CHAT = 7401
# Seconds between the bot fetching an update and the kill: before the inbox commit, during the
# turn, between commit and reply, between reply and its acknowledgement.
KILL_DELAYS = itertools.cycle([0.0, 0.03, 0.08, 0.01, 0.2, 0.05, 0.12])
Send = Callable[[FakeBotApi, Engine], dict[str, Any]]


def says(value: str) -> Send:
    return lambda api, _engine: api.user_sends_text(CHAT, value, first_name="Siti")


def says_code() -> Send:
    return lambda api, engine: api.user_sends_text(
        CHAT, latest_code(engine, chat_id=CHAT, kind="email"), first_name="Siti")


def presses(label: str) -> Send:
    def send(api: FakeBotApi, _engine: Engine) -> dict[str, Any]:
        for message in reversed(api.chat_log(CHAT)):
            for row in (message.reply_markup or {}).get("inline_keyboard", []):
                for button in row:
                    if button["text"] == label:
                        return api.user_presses_button(CHAT, button["callback_data"],
                                                       message_id=message.message_id)
        raise AssertionError(f"no button {label!r}")
    return send


STEPS: list[tuple[Send, str, bool]] = [  # what the user does, what the answer says, kill?
    (says("/start"), "Halo Siti", False),
    (presses("📝 Daftar akun"), "Nama lengkap", False),
    (says(ANSWERS["full_name"]), "Email", True),
    (says(ANSWERS["email"]), "kode 6 angka", True),
    (says_code(), "Kata sandi", False),
    (says(ANSWERS["password"]), "NIK", True),
    (says(ANSWERS["nik"]), "tanggal lahir", True),
    (says(ANSWERS["birth_date"]), "Kartu Keluarga", False),
    (says(ANSWERS["kk_number"]), "alamat rumah", True),
    (says(ANSWERS["address"]), "domisili", True),
    (presses("Tidak, beda"), "alamat tempat tinggal", False),
    (says("Jl. Kenanga 5, Depok, Jawa Barat"), "pendidikan", True),
    (presses("SMA/SMK"), "pekerjaan", False),
    (presses("Korban PHK"), "Foto KTP", True),
    (lambda api, _e: api.user_sends_photo(CHAT, good_ktp_jpeg(), width=1280, height=960),
     "Nomor HP", True),
    (lambda api, _e: api.user_shares_contact(CHAT, "+6281234567890"), "3273********0001", False),
    (presses("✅ Benar, simpan"), "selesai dan tersimpan", True),
]


async def kill_after_fetch(api: FakeBotApi, bot: BotProcess, update: dict[str, Any]) -> None:
    """Waits until the bot has fetched the update, lets it run a little, then SIGKILLs it."""
    await wait_until(lambda: api._fetched_up_to >= update["update_id"], 60, "the fetch")
    delay = next(KILL_DELAYS)
    if delay:
        await asyncio.sleep(delay)
    bot.kill()
    polls = polls_made(api)
    bot.start()
    # Up again once it polls: by then it has taken up the replies the killed run owed.
    await wait_until(lambda: polls_made(api) > polls, 90, "the restarted bot")


def polls_made(api: FakeBotApi) -> int:
    return sum(1 for call in api.calls if call.method == "getUpdates")


def count(engine: Engine, query: str) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text(query), {"c": CHAT}).scalar_one())


async def test_registration_survives_repeated_kill_9_of_the_polling_bot(
    fake_bot_api: FakeBotApi, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'bot.db'}"
    upgrade(url)
    engine = make_engine(url)
    bot = BotProcess(fake_bot_api, url, tmp_path)
    user = TelegramUser(fake_bot_api, CHAT)
    bot.start()
    password_update: dict[str, Any] = {}
    try:
        for send, expected, kill in STEPS:
            update = send(fake_bot_api, engine)
            if update.get("message", {}).get("text") == ANSWERS["password"]:
                password_update = update
            if kill:
                await kill_after_fetch(fake_bot_api, bot, update)
            replies = await user.replies(update, timeout=90)
            assert expected in texts(replies), f"step answered {texts(replies)!r}"
        await wait_until(lambda: count(engine, "SELECT count(*) FROM inbox_update WHERE "
                                               "chat_id = :c AND status <> 'done'") == 0,
                         30, "every update recorded as done")
    finally:
        bot.stop()
    log = fake_bot_api.chat_log(CHAT)
    repeats = sum(1 for a, b in itertools.pairwise(log) if a.text and a.text == b.text)
    assert bot.kills == sum(1 for *_, kill in STEPS if kill)
    assert count(engine, "SELECT count(*) FROM inbox_update WHERE chat_id = :c") == len(STEPS)
    assert count(engine, "SELECT count(*) FROM applicant WHERE chat_id = :c "
                         "AND registration_completed_at IS NOT NULL") == 1
    assert count(engine, "SELECT count(*) FROM outbox WHERE chat_id = :c AND kind = 'email'") == 1
    assert count(engine, "SELECT count(*) FROM outbox WHERE chat_id = :c "
                         "AND kind = 'registration'") == 1
    assert (CHAT, password_update["message"]["message_id"]) in fake_bot_api.deleted_messages
    # A reply can only repeat when the kill fell between sending it and recording that it was
    # sent: at most once per kill, and the bench reports how often.
    assert repeats <= bot.kills
    print(f"kills={bot.kills} repeated replies={repeats} messages={len(log)}")
    engine.dispose()
