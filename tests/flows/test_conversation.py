"""The registration conversation, driven through Conversation.handle on a real database."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from support.applicant_data import ANSWERS, NIK, good_ktp_report, latest_code, photocopy_ktp_jpeg
from support.conversation_driver import (
    CHAT,
    Clock,
    applicant,
    press,
    register_until,
    said,
    step_of,
    text,
)

from actions.ktp import check_ktp
from actions.passwords import verify_password
from flows.conversation import Conversation
from flows.messages import Incoming
from storage.inbox import Inbox, InboxJournal
from storage.models import Applicant, ConversationState, Outbox, VerificationCode
from storage.models_outbox import KtpBlob


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def conversation(engine: Engine, clock: Clock) -> Conversation:
    return Conversation(engine, channel="console", clock=clock)


def test_full_registration_stores_every_field(conversation: Conversation, engine: Engine) -> None:
    register_until(conversation, engine, "summary")
    saved = applicant(engine)
    assert saved.full_name == "Siti Nurhaliza"
    assert saved.email == "siti.nur@example.com" and saved.email_verified_at is not None
    assert saved.password_hash is not None and saved.password_hash.startswith("$argon2id$")
    assert verify_password(saved.password_hash, ANSWERS["password"])
    assert saved.nik == NIK and saved.gender == "P"
    assert saved.birth_date is not None and saved.birth_date.isoformat() == "1990-08-05"
    assert saved.domicile_same is True and saved.education == "SMA/SMK"
    assert saved.employment_status == "Korban PHK"
    assert saved.ktp_file_id == "AgADfile" and saved.ktp_status == "accepted"
    assert saved.phone == "+6281234567890" and saved.phone_verified_via == "contact"
    assert saved.registration_completed_at is not None
    assert step_of(engine) is None


def test_summary_masks_nik_and_hides_password(conversation: Conversation, engine: Engine) -> None:
    register_until(conversation, engine, "phone")
    turn = text(conversation, "/status")
    assert "✅ Nomor HP terverifikasi" in said(turn)
    with Session(engine) as session:
        assert session.get(ConversationState, CHAT).step == "summary"  # type: ignore[union-attr]
    summary = said(press(conversation, "s:summary:edit:education"))
    assert "Apa pendidikan terakhir" in summary
    back_at_summary = said(press(conversation, "s:education:S1" if False else "s:education:S2"))
    assert "3273********0001" in back_at_summary
    assert NIK not in back_at_summary and ANSWERS["password"] not in back_at_summary
    assert "S2" in back_at_summary


def test_password_message_is_deleted_and_never_stored_plain(
    conversation: Conversation, engine: Engine
) -> None:
    register_until(conversation, engine, "email_code")
    turn = text(conversation, "pendek", message_id=55)
    assert turn.delete_message_ids == [55]
    assert "8" in said(turn)  # says the minimum length
    turn = text(conversation, ANSWERS["password"], message_id=56)
    assert turn.delete_message_ids == [56]
    with Session(engine) as session:
        rows = [repr(r) for r in session.exec(select(Applicant)).all()]
    assert not any(ANSWERS["password"] in row for row in rows)


@pytest.mark.parametrize(
    ("step", "bad", "expected"),
    [
        ("full_name", "B", "Nama"),
        ("email", "siti@@example", "email"),
        ("nik", "12345", "16"),
        ("birth_date", "06-08-1990", "NIK"),
        ("kk_number", "3273 0102 0315", "16 angka"),
        ("address", "Jl", "Alamat"),
    ],
)
def test_invalid_answer_keeps_step_and_explains(
    conversation: Conversation, engine: Engine, step: str, bad: str, expected: str
) -> None:
    previous = {"full_name": None, "email": "full_name", "nik": "password",
                "birth_date": "nik", "kk_number": "birth_date", "address": "kk_number"}[step]
    if previous is None:
        text(conversation, "/start")
        press(conversation, "menu:register")
    else:
        register_until(conversation, engine, previous)
    before = applicant(engine).model_dump()
    turn = text(conversation, bad)
    assert step_of(engine) == step
    assert expected.casefold() in said(turn).casefold()
    after = applicant(engine).model_dump()
    assert {k: v for k, v in after.items() if k != "updated_at"} == {
        k: v for k, v in before.items() if k != "updated_at"
    }


def test_back_returns_one_step_without_losing_data(
    conversation: Conversation, engine: Engine
) -> None:
    register_until(conversation, engine, "kk_number")
    assert step_of(engine) == "address"
    turn = text(conversation, "kembali")
    assert step_of(engine) == "kk_number"
    assert "Kartu Keluarga" in said(turn)
    assert applicant(engine).kk_number is not None and applicant(engine).birth_date is not None


def test_email_code_rules_expiry_attempts_and_cooldown(
    conversation: Conversation, engine: Engine, clock: Clock
) -> None:
    register_until(conversation, engine, "email")
    assert "Tunggu" in said(press(conversation, "s:email_code:resend"))
    for attempt in range(4):
        turn = text(conversation, "000000")
        assert f"Sisa percobaan: {4 - attempt}" in said(turn)
    assert "Terlalu banyak" in said(text(conversation, "000000"))
    good = latest_code(engine, chat_id=CHAT, kind="email")
    assert "Terlalu banyak" in said(text(conversation, good))  # blocked after 5 tries
    clock.now += timedelta(seconds=61)
    assert "Kode baru" in said(press(conversation, "s:email_code:resend"))
    fresh = latest_code(engine, chat_id=CHAT, kind="email")
    clock.now += timedelta(minutes=11)
    assert "kedaluwarsa" in said(text(conversation, fresh))
    press(conversation, "s:email_code:resend")
    newest = latest_code(engine, chat_id=CHAT, kind="email")
    text(conversation, newest)
    assert step_of(engine) == "password"
    with Session(engine) as session:
        codes = session.exec(select(VerificationCode)).all()
    assert all(newest not in code.code_hash for code in codes)


def test_typed_phone_gets_sms_otp(conversation: Conversation, engine: Engine) -> None:
    register_until(conversation, engine, "ktp_photo")
    turn = text(conversation, ANSWERS["phone"])
    assert "OTP" in said(turn) and "Jangan" in said(turn)
    assert step_of(engine) == "phone_code"
    text(conversation, latest_code(engine, chat_id=CHAT, kind="sms"))
    assert step_of(engine) == "summary"
    assert applicant(engine).phone_verified_via == "sms"


def test_someone_elses_contact_is_refused(conversation: Conversation, engine: Engine) -> None:
    register_until(conversation, engine, "ktp_photo")
    turn = conversation.handle(CHAT, Incoming(kind="contact", phone="+6281111111111",
                                              contact_is_own=False))
    assert "kontak orang lain" in said(turn)
    assert applicant(engine).phone is None


def test_edit_email_from_summary_requires_new_verification(
    conversation: Conversation, engine: Engine
) -> None:
    register_until(conversation, engine, "phone")
    press(conversation, "s:summary:edit:email")
    text(conversation, "siti.baru@example.com")
    assert step_of(engine) == "email_code"
    assert applicant(engine).email_verified_at is None
    text(conversation, latest_code(engine, chat_id=CHAT, kind="email"))
    assert step_of(engine) == "summary"
    assert applicant(engine).email == "siti.baru@example.com"


def test_new_conversation_object_resumes_where_user_stopped(
    engine: Engine, clock: Clock
) -> None:
    first = Conversation(engine, channel="console", clock=clock)
    register_until(first, engine, "nik")
    restarted = Conversation(engine, channel="console", clock=clock)
    turn = text(restarted, "/start")
    assert "Selamat datang kembali" in said(turn)
    turn = press(restarted, "menu:register")
    assert "tanggal lahir" in said(turn)
    text(restarted, ANSWERS["birth_date"])
    assert step_of(engine) == "kk_number"


def test_cancel_keeps_data_and_free_text_gets_a_hint(
    conversation: Conversation, engine: Engine
) -> None:
    register_until(conversation, engine, "full_name")
    assert "tetap tersimpan" in said(text(conversation, "/batal"))
    assert "belum mengerti" in said(text(conversation, "halo bot"))
    assert applicant(engine).full_name == "Siti Nurhaliza"
    assert "Email" in said(text(conversation, "/daftar"))


def test_choice_step_hints_at_buttons_on_free_text(
    conversation: Conversation, engine: Engine
) -> None:
    register_until(conversation, engine, "address")
    reply = said(text(conversation, "mungkin"))
    assert '"mungkin" belum cocok' in reply and "Ya, sama" in reply
    assert "alamat yang sama dengan KTP" in reply  # the question is asked again with its buttons
    assert step_of(engine) == "domicile_same"
    text(conversation, "Tidak, beda")
    assert step_of(engine) == "domicile_address"


def test_stale_button_is_refused_and_current_step_prompted(
    conversation: Conversation, engine: Engine
) -> None:
    register_until(conversation, engine, "education")
    turn = press(conversation, "s:domicile_same:no")
    assert "tidak berlaku" in said(turn)
    assert step_of(engine) == "employment_status"
    assert applicant(engine).domicile_same is True


def test_restart_clears_registration(conversation: Conversation, engine: Engine) -> None:
    register_until(conversation, engine, "nik")
    assert "dari awal" in said(text(conversation, "/ulang"))
    press(conversation, "restart:yes")
    assert step_of(engine) == "full_name"
    assert applicant(engine).nik is None


def test_delete_data_removes_everything(conversation: Conversation, engine: Engine) -> None:
    register_until(conversation, engine, "summary")
    text(conversation, "/hapusdata")
    assert applicant(engine).nik == NIK  # nothing happens before the confirmation
    turn = press(conversation, "delete:yes")
    assert "dihapus" in said(turn)
    with Session(engine) as session:
        assert session.exec(select(Applicant)).all() == []
        assert session.exec(select(Outbox)).all() == []
        assert session.exec(select(VerificationCode)).all() == []


def test_redelivered_update_is_ignored(conversation: Conversation, engine: Engine) -> None:
    register_until(conversation, engine, "full_name")
    inbox = Inbox(engine, worker="test")

    def journal() -> InboxJournal:
        return inbox.journal(900, CHAT, encode=lambda turn: [], arriving=True)

    first = conversation.handle(CHAT, Incoming(kind="text", text=ANSWERS["email"]),
                                journal=journal())
    again_journal = journal()
    again = conversation.handle(CHAT, Incoming(kind="text", text=ANSWERS["email"]),
                                journal=again_journal)
    assert first.replies and not again.replies and again.duplicate
    assert again_journal.outcome == "duplicate"
    with Session(engine) as session:
        assert len(session.exec(select(Outbox)).all()) == 1


def test_two_chats_do_not_mix(conversation: Conversation, engine: Engine) -> None:
    register_until(conversation, engine, "email", chat=1)
    register_until(conversation, engine, "full_name", chat=2)
    assert step_of(engine, 1) == "email_code" and step_of(engine, 2) == "email"
    assert applicant(engine, 2).email is None


def test_refused_photo_lists_problems_and_offers_help_after_five(
    conversation: Conversation, engine: Engine
) -> None:
    register_until(conversation, engine, "employment_status")
    report = check_ktp(photocopy_ktp_jpeg(), source="document")
    bad = Incoming(kind="document", file_id="BQADcopy", file_size=90_000, ktp_report=report)
    first = conversation.handle(CHAT, bad)
    assert "fotokopi" in said(first) and "1 dari 5" in said(first)
    assert first.replies[0].photo is not None  # an example of a good photo
    for _ in range(3):
        conversation.handle(CHAT, bad)
    fifth = conversation.handle(CHAT, bad)
    assert "5 dari 5" in said(fifth)
    assert any(b.value == "handoff:open" for r in fifth.replies for row in r.buttons for b in row)
    assert step_of(engine) == "ktp_photo"
    assert applicant(engine).ktp_file_id is None and applicant(engine).nik == NIK
    sixth = said(conversation.handle(CHAT, bad))
    assert "masih belum bisa diterima" in sixth and "dari 5" not in sixth
    assert "tiket" in said(press(conversation, "handoff:open"))
    good = Incoming(kind="photo", file_id="AgADgood", file_size=150_000,
                    ktp_report=good_ktp_report())
    conversation.handle(CHAT, good)
    assert step_of(engine) == "phone"


def test_confirmed_registration_is_queued_with_the_encrypted_ktp(
    conversation: Conversation, engine: Engine
) -> None:
    register_until(conversation, engine, "phone")
    with Session(engine) as session:
        pending = session.exec(select(KtpBlob)).all()
    assert [b.idempotency_key for b in pending] == [f"pending-{CHAT}"]
    assert good_ktp_report().image is not None
    assert good_ktp_report().image[:64] not in pending[0].ciphertext
    turn = press(conversation, "s:summary:confirm")
    assert "sedang dikirim" in said(turn)
    with Session(engine) as session:
        rows = session.exec(select(Outbox).where(Outbox.kind == "registration")).all()
        blobs = session.exec(select(KtpBlob)).all()
    assert len(rows) == 1 and rows[0].chat_id == CHAT
    assert [b.idempotency_key for b in blobs] == [rows[0].idempotency_key]
    status = said(text(conversation, "/status"))
    assert "✅ Data dikonfirmasi" in status and "sedang dikirim" in status
    assert "/tes" in status  # the next steps after the account: the basic test, then a wave
    assert status.count("Pendaftaran akun") == 1  # said once, by the checklist
    press(conversation, "delete:yes")
    with Session(engine) as session:
        assert session.exec(select(KtpBlob)).all() == []
