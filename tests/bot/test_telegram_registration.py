"""Full registrations through real python-telegram-bot against the fake Bot API over HTTP."""

from __future__ import annotations

import asyncio
import logging

import pytest
from fakes.bot_api import FakeBotApi
from sqlalchemy import text as sql
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from support.applicant_data import (
    ANSWERS,
    NIK,
    good_ktp_jpeg,
    latest_code,
    photocopy_ktp_jpeg,
)
from support.telegram_bot import running_bot
from support.telegram_user import TelegramUser, texts

from bot.runtime import configure_logging
from storage.models import Applicant


async def register_first_half(user: TelegramUser, engine: Engine) -> None:
    """Name, email + code, password, NIK and birth date."""
    menu = await user.says("/start")
    assert "Halo Siti" in texts(menu)
    assert "Nama lengkap" in texts(await user.presses("📝 Daftar akun"))
    assert "Email" in texts(await user.says(ANSWERS["full_name"]))
    assert "kode 6 angka" in texts(await user.says(ANSWERS["email"]))
    code = latest_code(engine, chat_id=user.chat_id, kind="email")
    assert "Kata sandi" in texts(await user.says(code))
    assert "NIK" in texts(await user.says(ANSWERS["password"]))
    assert "tanggal lahir" in texts(await user.says(ANSWERS["nik"]))
    assert "alamat rumah" in texts(await user.says(ANSWERS["birth_date"]))


async def register_second_half(user: TelegramUser) -> None:
    """Address, domicile, education, work, KTP photo, phone, summary, confirm."""
    assert "domisili" in texts(await user.says(ANSWERS["address"]))
    assert "alamat tempat tinggal" in texts(await user.presses("Tidak, beda"))
    assert "pendidikan" in texts(await user.says("Jl. Kenanga 5, Depok, Jawa Barat"))
    assert "pekerjaan" in texts(await user.presses("SMA/SMK"))
    assert "Foto KTP" in texts(await user.presses("Korban PHK"))
    assert "Nomor HP" in texts(await user.sends_photo(good_ktp_jpeg(), 1280, 960))
    summary = await user.shares_contact("+6281234567890")
    assert "3273********0001" in texts(summary) and NIK not in texts(summary)
    assert "selesai dan tersimpan" in texts(await user.presses("✅ Benar, simpan"))


async def test_full_registration_over_http(fake_bot_api: FakeBotApi, engine: Engine) -> None:
    user = TelegramUser(fake_bot_api, 1001)
    async with running_bot(fake_bot_api, engine):
        await register_first_half(user, engine)
        await register_second_half(user)
    with Session(engine) as session:
        saved = session.exec(select(Applicant).where(Applicant.chat_id == 1001)).one()
    assert saved.registration_completed_at is not None
    assert saved.domicile_address == "Jl. Kenanga 5, Depok, Jawa Barat"
    assert saved.ktp_file_kind == "photo" and saved.ktp_file_id
    assert fake_bot_api.unexpected == []


async def test_password_message_is_deleted(fake_bot_api: FakeBotApi, sqlite_engine: Engine) -> None:
    user = TelegramUser(fake_bot_api, 1002)
    async with running_bot(fake_bot_api, sqlite_engine):
        await user.says("/daftar")
        await user.says(ANSWERS["full_name"])
        await user.says(ANSWERS["email"])
        await user.says(latest_code(sqlite_engine, chat_id=1002, kind="email"))
        update = fake_bot_api.user_sends_text(1002, ANSWERS["password"])
        await user.replies(update)
    password_message = (1002, update["message"]["message_id"])
    assert password_message in fake_bot_api.deleted_messages


async def test_invalid_inputs_back_and_stale_buttons(
    fake_bot_api: FakeBotApi, sqlite_engine: Engine
) -> None:
    user = TelegramUser(fake_bot_api, 1003)
    async with running_bot(fake_bot_api, sqlite_engine):
        await user.says("/daftar")
        assert "Nama" in texts(await user.says("X"))
        await user.says(ANSWERS["full_name"])
        assert "tanda @" in texts(await user.says("bukan-email"))
        back = await user.presses("⬅️ Kembali")
        assert "Nama lengkap" in texts(back)
        await user.says(ANSWERS["full_name"])
        await user.says(ANSWERS["email"])
        assert "Sisa percobaan: 4" in texts(await user.says("123456"))
        assert "6 angka" in texts(await user.says("12ab"))
    assert fake_bot_api.unexpected == []


async def test_restart_mid_flow_resumes(fake_bot_api: FakeBotApi, engine: Engine) -> None:
    user = TelegramUser(fake_bot_api, 1004)
    async with running_bot(fake_bot_api, engine):
        await register_first_half(user, engine)
    async with running_bot(fake_bot_api, engine):  # a new process would see the same
        welcome = await user.says("/start")
        assert "Selamat datang kembali" in texts(welcome)
        assert "alamat rumah" in texts(await user.presses("📝 Daftar akun"))
        await register_second_half(user)


async def test_two_chats_interleaved(fake_bot_api: FakeBotApi, engine: Engine) -> None:
    first, second = TelegramUser(fake_bot_api, 2001), TelegramUser(fake_bot_api, 2002, "Budi")
    async with running_bot(fake_bot_api, engine):
        await asyncio.gather(first.says("/daftar"), second.says("/daftar"))
        fake_bot_api.user_sends_text(2001, "Siti Nurhaliza")
        fake_bot_api.user_sends_text(2002, "Budi Santoso")
        fake_bot_api.user_sends_text(2001, "siti@example.com")
        fake_bot_api.user_sends_text(2002, "budi@example.com")
        await first.replies()
        await second.replies()
    with Session(engine) as session:
        people = {a.chat_id: a for a in session.exec(select(Applicant)).all()}
    assert people[2001].full_name == "Siti Nurhaliza" and people[2001].email == "siti@example.com"
    assert people[2002].full_name == "Budi Santoso" and people[2002].email == "budi@example.com"


async def test_handler_crash_apologises_and_bot_keeps_running(
    fake_bot_api: FakeBotApi, sqlite_engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    broken, fine = TelegramUser(fake_bot_api, 3001), TelegramUser(fake_bot_api, 3002)
    caplog.set_level(logging.INFO)
    async with running_bot(fake_bot_api, sqlite_engine):
        await broken.says("/daftar")
        await broken.says(ANSWERS["full_name"])
        with sqlite_engine.begin() as connection:  # storage failure in the middle of a turn
            connection.execute(sql("DROP TABLE verificationcode"))
        apology = await broken.says("siti.rahasia@example.com")
        assert "terjadi gangguan" in texts(apology)
        assert "Nama lengkap" in texts(await fine.says("/daftar"))
    assert "handler failed" in caplog.text
    assert "siti.rahasia" not in caplog.text


async def test_ktp_photo_is_fetched_checked_and_refused_with_example(
    fake_bot_api: FakeBotApi, sqlite_engine: Engine
) -> None:
    user = TelegramUser(fake_bot_api, 1005)
    async with running_bot(fake_bot_api, sqlite_engine):
        await register_first_half(user, sqlite_engine)
        await user.says(ANSWERS["address"])
        await user.presses("Ya, sama")
        await user.presses("SMA/SMK")
        await user.presses("Korban PHK")
        update = fake_bot_api.user_sends_document(1005, photocopy_ktp_jpeg(),
                                                  file_name="ktp.jpg", mime_type="image/jpeg")
        refused = await user.replies(update)
        assert "fotokopi" in texts(refused)
        assert [m.kind for m in refused] == ["text", "photo"]
        assert "Nomor HP" in texts(await user.sends_photo(good_ktp_jpeg(), 1280, 960))
    assert "getFile" in fake_bot_api.stats()["by_method"]


async def test_questions_get_faq_answers_even_inside_a_step(
    fake_bot_api: FakeBotApi, sqlite_engine: Engine
) -> None:
    user = TelegramUser(fake_bot_api, 1006)
    async with running_bot(fake_bot_api, sqlite_engine):
        answer = await user.says("nomor call center dukcapil brp ya")
        assert "1500537" in texts(answer)
        await user.says("/daftar")
        during = await user.says("kapan gelombang berikutnya dibuka?")
        assert "Nama lengkap" in texts(during)  # the step's question comes again
        assert len(during) >= 2
        assert "Email" in texts(await user.says(ANSWERS["full_name"]))
        unsure = await user.says("asdf qwerty zxcv")
        assert unsure


async def test_logs_carry_no_personal_data_even_at_debug(
    fake_bot_api: FakeBotApi, sqlite_engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    configure_logging("DEBUG")
    caplog.set_level(logging.DEBUG)
    user = TelegramUser(fake_bot_api, 1007)
    async with running_bot(fake_bot_api, sqlite_engine):
        await register_first_half(user, sqlite_engine)
        await register_second_half(user)
    email_code = latest_code(sqlite_engine, chat_id=1007, kind="email")
    secrets = [NIK, ANSWERS["email"], ANSWERS["password"], "81234567890", email_code,
               ANSWERS["address"].split(",")[0]]
    assert caplog.records, "the bot logged nothing at all: the check would be empty"
    for secret in secrets:
        assert secret not in caplog.text, f"personal data found in logs: {secret[:3]}…"


async def test_command_menu_lists_every_applicant_command(
    fake_bot_api: FakeBotApi, sqlite_engine: Engine
) -> None:
    from bot.app import _post_init

    async with running_bot(fake_bot_api, sqlite_engine) as application:
        await _post_init(application)
    listed = {command["command"] for commands in fake_bot_api.commands.values()
              for command in commands}
    assert {"start", "daftar", "status", "tes", "gabung", "hasil", "petugas", "hapusdata"} <= listed
