"""New-ticket alerts as outbox rows: to staff on duty only, once per ticket, nothing personal in
them; a registration that could not be delivered alerts them too."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from actions.outbox import RegistrationFollowUp
from actions.outbox.claim import Claimed
from actions.outbox.kinds import TELEGRAM_MESSAGE
from actions.staff import add_staff, set_duty
from actions.ticket_alerts import LAST_REPLY_KEY, mask_personal, remember_last_reply
from actions.tickets import open_ticket
from storage.db import session_scope
from storage.models import Applicant, ConversationState, Outbox
from storage.settings import Settings

ON, OFF, APPLICANT = 9001, 9002, 4242
SETTINGS = Settings(staff_telegram_ids=f"{ON},{OFF}")


def _alerts(engine: Engine, chat: int) -> list[str]:
    with Session(engine) as session:
        rows = session.exec(select(Outbox).where(col(Outbox.kind) == TELEGRAM_MESSAGE,
                                                 col(Outbox.chat_id) == chat)).all()
    return [str(row.payload["text"]) for row in rows]


@pytest.mark.parametrize(("said", "masked"), [
    ("Kami sudah mengirim kode 6 angka ke <b>siti.nur@example.com</b>.",
     "Kami sudah mengirim kode 6 angka ke [email]."),
    ("📨 Kode OTP sedang dikirim lewat SMS ke +62812****7890.",
     "📨 Kode OTP sedang dikirim lewat SMS ke [angka]."),
    ("NIK: 3273 0145 0890 0001 · HP 0812-3456-7890", "NIK: [angka] · HP [angka]"),
    ("Selamat datang kembali Siti Nurhaliza! 👋", "Selamat datang kembali [nama]! 👋"),
    ("Langkah 2 dari 8 &amp; kode 10 menit", "Langkah 2 dari 8 & kode 10 menit"),
])
def test_masking_removes_email_numbers_and_name(said: str, masked: str) -> None:
    assert mask_personal(said, name="Siti Nurhaliza") == masked


def test_only_the_last_message_is_kept_short() -> None:
    state, applicant = ConversationState(chat_id=APPLICANT), Applicant(chat_id=APPLICANT)
    long_line = "line 3 " + "x" * 300
    remember_last_reply(state, applicant, ["first", f"line 1\n\nline 2\n{long_line}\nline 4"])
    kept = state.data[LAST_REPLY_KEY]
    assert kept.startswith("line 1 / line 2 / line 3 xx") and "line 4" not in kept
    assert len(kept) == 240 and kept.endswith("…")
    remember_last_reply(state, applicant, [])  # a turn without replies keeps the previous one
    assert state.data[LAST_REPLY_KEY] == kept


def test_alert_goes_to_staff_on_duty_once_per_ticket(engine: Engine) -> None:
    with session_scope(engine) as session:
        set_duty(session=session, user_id=ON, chat_id=ON, on_duty=True)
        set_duty(session=session, user_id=OFF, chat_id=OFF, on_duty=False)
        first = open_ticket(session=session, chat_id=APPLICANT, reason="asked_for_person",
                            settings=SETTINGS)
        again = open_ticket(session=session, chat_id=APPLICANT, reason="asked_for_person",
                            settings=SETTINGS)
    assert first.id == again.id
    alerts = _alerts(engine, ON)
    assert len(alerts) == 1 and f"Tiket baru #{first.id} — meminta petugas lewat pesan" in alerts[0]
    assert "Langkah pemohon: belum mulai mendaftar" in alerts[0]
    assert _alerts(engine, OFF) == [] and _alerts(engine, APPLICANT) == []


def test_undelivered_registration_opens_a_ticket_that_alerts(engine: Engine) -> None:
    with session_scope(engine) as session:
        add_staff(session=session, user_id=ON, role="staff", name="Rina")  # a role in the table
        set_duty(session=session, user_id=ON, chat_id=ON, on_duty=True)
        row = Claimed(outbox_id=1, idempotency_key="k", kind="registration", chat_id=APPLICANT,
                      destination="platform", payload={"registration": {"channel": "telegram"}},
                      attempts=20)
        RegistrationFollowUp().on_dead(session, row, "HTTP 500")
    alerts = _alerts(engine, ON)
    assert len(alerts) == 1 and "data gagal terkirim ke sistem Prakerja" in alerts[0]
    assert any("belum berhasil kami kirim" in text for text in _alerts(engine, APPLICANT))
