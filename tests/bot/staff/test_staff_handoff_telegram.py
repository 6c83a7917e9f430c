"""Handoff through real python-telegram-bot and the fake Bot API: queue, take, relay both ways,
canned reply, pushed troubleshooting flow, close, rating; and applicants trying staff commands."""

from __future__ import annotations

from fakes.bot_api import FakeBotApi
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from support.telegram_bot import running_bot
from support.telegram_user import TelegramUser, texts

from actions.tickets import get_ticket
from storage.models_staff import AuditLog, TicketEvent

STAFF, OTHER_STAFF, APPLICANT, SECOND, NOSY = 9001, 9002, 3001, 3002, 3003
STAFF_IDS = f"{STAFF},{OTHER_STAFF}"


async def test_handoff_round_trip(fake_bot_api: FakeBotApi, sqlite_engine: Engine) -> None:
    api = fake_bot_api
    applicant, second = TelegramUser(api, APPLICANT), TelegramUser(api, SECOND, "Budi")
    staff, other = TelegramUser(api, STAFF, "Rina"), TelegramUser(api, OTHER_STAFF, "Dedi")
    async with running_bot(api, sqlite_engine, staff_telegram_ids=STAFF_IDS):
        welcome = await applicant.says("/start")
        api.user_presses_button(APPLICANT, "handoff:open", message_id=welcome[0].message_id)
        assert "tiket #1" in texts(await applicant.replies())
        assert "Posisi antrean Anda: <b>2</b>" in texts(await second.says("/petugas"))

        queue = texts(await staff.says("/antrian"))
        assert "#1" in queue and "#2" in queue
        assert "sekarang Anda tangani" in texts(await staff.says("/ambil 1"))
        assert "Petugas" in texts(await applicant.replies())
        assert "sudah diambil petugas lain" in texts(await other.says("/ambil 1"))

        seen = len(api.sent_messages(APPLICANT))
        api.user_sends_text(APPLICANT, "NIK saya ditolak terus")
        assert texts(await staff.replies()) == "NIK saya ditolak terus"
        assert len(api.sent_messages(APPLICANT)) == seen  # the bot stays quiet for the applicant
        api.user_sends_text(STAFF, "Baik, saya bantu cek ya")
        assert "Baik, saya bantu cek ya" in texts(await applicant.replies())

        assert "terkirim" in texts(await staff.says("/kirim kontak_dukcapil"))
        assert "1500537" in texts(await applicant.replies())

        assert "dikirim ke pemohon" in texts(await staff.says("/alur ktp_gagal @tiket1"))
        assert "Alasan mana yang tertulis" in texts(await applicant.replies())
        assert "Foto belum bisa kami ambil" in texts(
            await applicant.presses("Tidak ada jawaban / foto tidak terkirim"))
        assert "Bagus" in texts(await applicant.presses("Sudah terkirim dan diterima"))
        assert "menyelesaikan alur" in texts(await staff.replies())

        assert "ditutup" in texts(await staff.says("/selesai"))
        assert "Seberapa puas" in texts(await applicant.replies())
        assert "5/5" in texts(await applicant.presses("5"))
        assert "dinilai 5/5" in texts(await staff.replies())
        assert "Halo Siti" in texts(await applicant.says("/start"))  # the normal bot is back
    with Session(sqlite_engine) as session:
        ticket = get_ticket(session=session, ticket_id=1)
        kinds = {e.kind for e in session.exec(select(TicketEvent)).all()}
    assert ticket is not None and ticket.status == "closed" and ticket.rating == 5
    assert ticket.assigned_staff_id == STAFF
    expected = {"opened", "taken", "relay_in", "relay_out", "canned", "flow", "closed", "rated"}
    assert expected <= kinds
    assert api.unexpected == []


async def test_applicant_gets_no_staff_features(
    fake_bot_api: FakeBotApi, sqlite_engine: Engine
) -> None:
    nosy, staff = TelegramUser(fake_bot_api, NOSY), TelegramUser(fake_bot_api, STAFF)
    async with running_bot(fake_bot_api, sqlite_engine, staff_telegram_ids=STAFF_IDS):
        await nosy.says("/petugas")
        for command in ("/antrian", "/ambil 1", "/cari 3273014508900001", "/alur ktp_gagal",
                        "/kirim salam", "/selesai"):
            answer = texts(await nosy.says(command))
            assert "belum mengerti" in answer, command  # the normal bot's answer
            assert "Antrean" not in answer and "Hasil pencarian" not in answer
        assert "Antrean tiket" in texts(await staff.says("/antrian"))
    with Session(sqlite_engine) as session:
        ticket = get_ticket(session=session, ticket_id=1)
        assert ticket is not None and ticket.status == "open"  # /ambil by an applicant did nothing
        assert session.exec(select(AuditLog)).all() == []


async def test_staff_lookup_is_audited(fake_bot_api: FakeBotApi, sqlite_engine: Engine) -> None:
    staff = TelegramUser(fake_bot_api, STAFF)
    async with running_bot(fake_bot_api, sqlite_engine, staff_telegram_ids=STAFF_IDS):
        assert "Tidak ada pemohon" in texts(await staff.says("/cari 3273014508900001"))
    with Session(sqlite_engine) as session:
        audit = session.exec(select(AuditLog)).one()
    assert audit.actor_id == STAFF and audit.query_masked == "3273********0001"
