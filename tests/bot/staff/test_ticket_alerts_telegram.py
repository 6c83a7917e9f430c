"""New-ticket alerts through real python-telegram-bot, the outbox worker and the fake Bot API:
only staff on duty (/tugas on) get them, masked; and a step the bot asks for the staff takes the
applicant's answers in the bot instead of relaying them to the person."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import httpx
from fakes.bot_api import FakeBotApi
from sqlalchemy.engine import Engine
from sqlmodel import select
from support.applicant_data import ANSWERS, latest_code
from support.telegram_bot import running_bot
from support.telegram_user import TelegramUser, texts

from actions.outbox import build_worker
from storage.db import session_scope
from storage.models import VerificationCode
from storage.settings import Settings

ON_DUTY, OFF_DUTY, APPLICANT, SECOND = 9101, 9102, 3101, 3102
STAFF_IDS = f"{ON_DUTY},{OFF_DUTY}"


async def _deliver_outbox(api: FakeBotApi, engine: Engine, outbox_dir: Path) -> int:
    """Runs the outbox worker once over everything due, sending chat notices to the fake."""
    config = Settings(telegram_bot_token=api.token, telegram_api_base_url=api.api_base_url,
                      outbox_dir=str(outbox_dir), outbox_concurrency=4)
    async with httpx.AsyncClient() as client:
        return await build_worker(engine, config, client).drain()


async def _to_email_code(user: TelegramUser) -> str:
    await user.says("/start")
    await user.presses("📝 Daftar akun")
    await user.says(ANSWERS["full_name"])
    return texts(await user.says(ANSWERS["email"]))


async def test_alert_reaches_staff_on_duty_only_and_is_masked(
    fake_bot_api: FakeBotApi, sqlite_engine: Engine, tmp_path: Path,
) -> None:
    api = fake_bot_api
    on, off = TelegramUser(api, ON_DUTY, "Rina"), TelegramUser(api, OFF_DUTY, "Dedi")
    applicant, second = TelegramUser(api, APPLICANT), TelegramUser(api, SECOND, "Budi")
    async with running_bot(api, sqlite_engine, staff_telegram_ids=STAFF_IDS,
                           outbox_dir=str(tmp_path)):
        assert "sekarang <b>bertugas</b>" in texts(await on.says("/tugas on"))
        assert "<b>tidak bertugas</b>" in texts(await off.says("/tugas"))
        assert "Kami sudah mengirim kode 6 angka" in await _to_email_code(applicant)
        assert "tiket #1" in texts(await applicant.says("/petugas"))
        off_before = len(api.sent_messages(OFF_DUTY))
        assert await _deliver_outbox(api, sqlite_engine, tmp_path) >= 1
        alert = texts(await on.replies())
        assert len(api.sent_messages(OFF_DUTY)) == off_before

        assert "tidak bertugas" in texts(await on.says("/tugas off"))
        await second.says("/petugas")
        await _deliver_outbox(api, sqlite_engine, tmp_path)
        assert "Tiket baru #2" not in texts(api.sent_messages(ON_DUTY))
    assert "Tiket baru #1 — mengetik /petugas" in alert
    assert "Langkah pemohon: Langkah 2 dari 8 — Email" in alert
    assert "Kami sudah mengirim kode 6 angka ke [email]" in alert and "/ambil 1" in alert
    assert ANSWERS["email"] not in alert and "<b>" not in alert
    assert api.unexpected == []


async def test_step_asked_by_a_pushed_tree_is_answered_in_the_bot_not_relayed(
    fake_bot_api: FakeBotApi, sqlite_engine: Engine,
) -> None:
    api = fake_bot_api
    staff, applicant = TelegramUser(api, ON_DUTY, "Rina"), TelegramUser(api, APPLICANT)
    async with running_bot(api, sqlite_engine, staff_telegram_ids=STAFF_IDS):
        await _to_email_code(applicant)
        await applicant.says("/petugas")
        await staff.says("/ambil 1")
        await applicant.replies()
        await staff.says("/alur email_verifikasi_tidak_masuk @tiket1")
        assert "apakah alamat email" in texts(await applicant.replies())
        asked = texts(await applicant.presses("Alamatnya salah ketik"))
        assert "Langkah 2 dari 8 — Email" in asked
        assert "asisten menjalankan: minta alamat email baru" in texts(await staff.replies())
        staff_seen = len(api.sent_messages(ON_DUTY))

        _earlier_codes_sent_long_ago(sqlite_engine)  # the person types the new address later
        assert "Kami sudah mengirim kode" in texts(await applicant.says("siti.baru@example.com"))
        code = latest_code(sqlite_engine, chat_id=APPLICANT, kind="email")
        assert "Email terverifikasi" in texts(await applicant.says(code))
        assert len(api.sent_messages(ON_DUTY)) == staff_seen  # neither address nor code relayed

        api.user_sends_text(APPLICANT, "Sudah, terima kasih")  # step 2 is done: relay again
        assert texts(await staff.replies()) == "Sudah, terima kasih"
    assert api.unexpected == []


def _earlier_codes_sent_long_ago(engine: Engine) -> None:
    """Moves the codes already sent two minutes back, past the 60 s resend wait."""
    with session_scope(engine) as session:
        for code in session.exec(select(VerificationCode)).all():
            code.created_at -= timedelta(minutes=2)
            session.add(code)
