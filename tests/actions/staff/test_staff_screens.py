"""Staff screens speak Indonesian (no stored codes such as "accepted" or "asked_for_person"),
/cari finds a NIK typed the way it is read off a KTP, and /tugas is stored."""

from __future__ import annotations

import re

import pytest
import yaml
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from support.applicant_data import NIK
from support.conversation_driver import CHAT, Clock, press, register_until

from actions.staff import is_on_duty, on_duty_chats
from flows.conversation import Conversation
from flows.staff_desk import StaffDesk, normalise_query
from flows.staff_texts import staff_entry
from flows.troubleshooting import result_reason_label
from storage.models_staff import AuditLog, StaffDuty
from storage.settings import Settings

STAFF = 9001
INTERNAL_WORDS = ("accepted", "user_request", "user_command", "asked_for_person",
                  "delivery_failed", "not_selected", "pending", "None")
SETTINGS = Settings(staff_telegram_ids=str(STAFF))


def _screen(desk: StaffDesk, command: str) -> str:
    out = desk.command(user_id=STAFF, chat_id=STAFF, text=command) or []
    return "\n".join(d.reply.text for d in out if d.chat_id == STAFF)


def _registered_with_ticket(engine: Engine) -> StaffDesk:
    conv = Conversation(engine, clock=Clock())
    register_until(conv, engine, "summary")
    press(conv, "handoff:open")  # the menu's "Bicara dengan petugas"
    return StaffDesk(engine, SETTINGS)


@pytest.mark.parametrize("typed", [
    "3273 0145 0890 0001", "3273.0145.0890.0001", "3273-0145-0890-0001", " 32730145 08900001 ",
])
def test_cari_finds_a_nik_typed_with_spaces_dots_or_dashes(
    sqlite_engine: Engine, typed: str,
) -> None:
    desk = _registered_with_ticket(sqlite_engine)
    found = _screen(desk, f"/cari {typed}")
    assert "Hasil pencarian</b> (1 pemohon)" in found and f"chat {CHAT}" in found
    assert NIK not in found and "3273********0001" in found
    with Session(sqlite_engine) as session:
        audit = session.exec(select(AuditLog)).one()
    assert audit.query_masked == "3273********0001" and audit.result_count == 1


def test_normalising_leaves_phones_and_emails_alone() -> None:
    assert normalise_query("0812 3456 7890") == "0812 3456 7890"
    assert normalise_query("siti.nur@example.com") == "siti.nur@example.com"
    assert normalise_query("3273 0145 0890 000") == "3273 0145 0890 000"  # 15 digits: not a NIK


def test_staff_screens_show_no_internal_codes(sqlite_engine: Engine) -> None:
    desk = _registered_with_ticket(sqlite_engine)
    queue = _screen(desk, "/antrian")
    assert re.search(r"#1 · menunggu \d+ mnt · menekan tombol “Bicara dengan petugas” · "
                     r"pendaftaran akun selesai", queue), queue
    found = _screen(desk, f"/cari {NIK}")
    assert "Foto KTP: diterima" in found and "Langkah sekarang: pendaftaran akun selesai" in found
    taken = _screen(desk, "/ambil 1")
    duty = _screen(desk, "/tugas")
    for screen in (queue, found, taken, duty):
        for word in INTERNAL_WORDS:
            assert word not in screen, f"{word!r} on a staff screen:\n{screen}"


def test_every_result_reason_has_an_indonesian_label() -> None:
    with open("flows/texts/results.yml", encoding="utf-8") as handle:
        reasons = yaml.safe_load(handle)["reasons"]
    labels = staff_entry("result_reason_labels")
    assert set(labels) == set(reasons)
    assert result_reason_label("DAPODIK") == "Dapodik (siswa)"


def test_duty_is_stored_and_only_staff_can_set_it(sqlite_engine: Engine) -> None:
    desk = StaffDesk(sqlite_engine, SETTINGS)
    assert "sekarang <b>bertugas</b>" in _screen(desk, "/tugas on")
    assert "Senin–Jumat 08.00–17.00 WIB" in _screen(desk, "/tugas")
    with Session(sqlite_engine) as session:
        assert is_on_duty(session=session, user_id=STAFF)
        assert on_duty_chats(session=session, settings=SETTINGS) == [STAFF]
        # Once the role is gone, a stored "on duty" no longer gets alerts.
        assert on_duty_chats(session=session, settings=Settings()) == []
    assert "tidak bertugas" in _screen(desk, "/tugas off")
    assert desk.command(user_id=555, chat_id=555, text="/tugas on") is None  # an applicant
    with Session(sqlite_engine) as session:
        assert session.get(StaffDuty, 555) is None
        assert not is_on_duty(session=session, user_id=STAFF)
