"""Photos before the KTP step, stickers and voice notes: each gets a reply that says what to do."""

from __future__ import annotations

import pytest
from fakes.bot_api import FakeBotApi
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from support.applicant_data import good_ktp_jpeg, good_ktp_report, photocopy_ktp_jpeg
from support.conversation_driver import (
    CHAT,
    applicant,
    press,
    register_until,
    said,
    step_of,
    text,
)
from support.telegram_bot import running_bot
from support.telegram_user import TelegramUser, texts

from actions.ktp import check_ktp
from flows.conversation import Conversation
from flows.messages import Incoming
from storage.models_outbox import KtpBlob


@pytest.fixture
def conversation(engine: Engine) -> Conversation:
    return Conversation(engine, channel="console")


def _photo(report: object = None) -> Incoming:
    return Incoming(kind="photo", file_id="AgADearly", file_size=150_000,
                    ktp_report=report)  # type: ignore[arg-type]


def test_a_good_photo_after_start_is_kept_and_step_6_is_skipped(
    conversation: Conversation, engine: Engine
) -> None:
    text(conversation, "/start")
    assert conversation.wants_ktp_photo(CHAT)
    reply = conversation.handle(CHAT, _photo(good_ktp_report()))
    assert "simpan untuk langkah 6" in said(reply)
    assert "Daftar akun" in next(b.label for row in reply.replies[0].buttons for b in row)
    with Session(engine) as session:
        assert session.exec(select(KtpBlob)).first() is not None  # kept encrypted, not lost
    register_until(conversation, engine, "education")
    turn = press(conversation, "s:employment_status:Korban PHK")
    assert "sudah diterima, jadi langkah 6 kami lewati" in said(turn)
    assert step_of(engine) == "phone"
    assert applicant(engine).ktp_file_id == "AgADearly"
    assert not conversation.wants_ktp_photo(CHAT)  # accepted: no more fetching outside the step


def test_a_refused_photo_after_start_says_why_and_keeps_nothing(
    conversation: Conversation, engine: Engine
) -> None:
    text(conversation, "/start")
    turn = conversation.handle(CHAT, _photo(check_ktp(photocopy_ktp_jpeg(), source="photo")))
    assert "belum bisa dipakai" in said(turn) and "fotokopi" in said(turn).lower()
    assert applicant(engine).ktp_status != "accepted"
    register_until(conversation, engine, "employment_status")
    assert step_of(engine) == "ktp_photo"  # still asked for at step 6


def test_a_sticker_gets_a_clear_answer_and_the_step_again(
    conversation: Conversation, engine: Engine
) -> None:
    text(conversation, "/start")
    menu = conversation.handle(CHAT, Incoming(kind="other"))
    assert "stiker, pesan suara" in said(menu) and menu.replies[0].buttons
    register_until(conversation, engine, "full_name")
    turn = conversation.handle(CHAT, Incoming(kind="other"))
    assert "stiker, pesan suara" in said(turn) and "Email" in said(turn)
    assert step_of(engine) == "email"


async def test_photo_right_after_start_over_telegram(
    fake_bot_api: FakeBotApi, sqlite_engine: Engine
) -> None:
    user = TelegramUser(fake_bot_api, 1301)
    async with running_bot(fake_bot_api, sqlite_engine):
        await user.says("/start")
        replies = await user.sends_photo(good_ktp_jpeg(), 1280, 960)
    assert "simpan untuk langkah 6" in texts(replies)
    assert "belum bisa diproses" not in texts(replies)
    assert fake_bot_api.unexpected == []


def test_common_password_is_refused_and_the_step_stays(
    conversation: Conversation, engine: Engine
) -> None:
    register_until(conversation, engine, "email_code")
    for weak in ("password", "Indonesia123!", "bismillah99"):
        assert "paling sering dipakai" in said(text(conversation, weak, message_id=9))
    assert step_of(engine) == "password"


def test_misspelt_email_domain_gets_a_suggestion_and_can_be_insisted_on(
    conversation: Conversation, engine: Engine
) -> None:
    register_until(conversation, engine, "full_name")
    reply = said(text(conversation, "siti.nur@gmial.com"))
    assert "Maksud Anda <b>siti.nur@gmail.com</b>?" in reply
    assert step_of(engine) == "email"
    text(conversation, "siti.nur@gmail.com")
    assert applicant(engine).email == "siti.nur@gmail.com" and step_of(engine) == "email_code"


def test_insisting_on_an_unusual_domain_keeps_it(
    conversation: Conversation, engine: Engine
) -> None:
    register_until(conversation, engine, "full_name")
    text(conversation, "siti@yaho.com")
    text(conversation, "siti@yaho.com")
    assert applicant(engine).email == "siti@yaho.com" and step_of(engine) == "email_code"


def test_welcome_back_writes_a_lower_case_name_properly(
    conversation: Conversation, engine: Engine
) -> None:
    text(conversation, "/start")
    press(conversation, "menu:register")
    text(conversation, "siti aminah")
    back = said(text(conversation, "/start"))
    assert "Selamat datang kembali, Siti Aminah!" in back


def test_first_start_asks_about_announcements_with_the_default_on(
    conversation: Conversation, engine: Engine
) -> None:
    first = text(conversation, "/start")
    ask = next(r for r in first.replies if "Boleh saya kabari" in r.text)
    values = [b.value for row in ask.buttons for b in row]
    assert values == ["sub:keep", "sub:off"]
    assert "Siap" in said(press(conversation, "sub:keep"))
    assert "tidak akan menerima" in said(press(conversation, "sub:off"))
    assert "Boleh saya kabari" not in said(text(conversation, "/start"))  # asked once


def test_a_heic_file_is_converted_and_the_person_is_told(
    conversation: Conversation, engine: Engine
) -> None:
    import io

    import pillow_heif
    from PIL import Image

    out = io.BytesIO()
    pillow_heif.from_pillow(Image.open(io.BytesIO(good_ktp_jpeg())).convert("RGB")).save(
        out, format="HEIF", quality=90)
    register_until(conversation, engine, "employment_status")
    report = check_ktp(out.getvalue(), source="document")
    turn = conversation.handle(CHAT, Incoming(kind="document", file_id="BQADheic",
                                              file_size=len(out.getvalue()), ktp_report=report))
    assert "berformat HEIC" in said(turn) and "Foto KTP sudah kami periksa" in said(turn)
    assert step_of(engine) == "phone"
