"""A confirmed applicant changes phone, email or address; the change is queued for the platform."""

from __future__ import annotations

import json

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from support.applicant_data import ANSWERS, latest_code
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

from flows.conversation import Conversation
from storage.models import Outbox

NEW_ADDRESS = "Jl. Kenanga No. 5 RT 03/RW 04, Sukmajaya, Depok, Jawa Barat"


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def conversation(engine: Engine, clock: Clock) -> Conversation:
    return Conversation(engine, channel="console", clock=clock)


def changes(engine: Engine) -> list[Outbox]:
    with Session(engine) as session:
        return list(session.exec(select(Outbox).where(Outbox.kind == "account_change")).all())


def test_status_of_a_confirmed_account_offers_changes(
    conversation: Conversation, engine: Engine
) -> None:
    register_until(conversation, engine, "summary")
    status = text(conversation, "/status")
    assert "account:edit" in [b.value for r in status.replies for row in r.buttons for b in row]
    menu = press(conversation, "account:edit")
    values = [b.value for r in menu.replies for row in r.buttons for b in row]
    assert "account:edit:phone" in values and "account:edit:address" in values
    assert "tidak bisa diubah di sini" in said(menu)  # name/NIK follow Dukcapil
    restart = text(conversation, "/ulang")
    assert "Ubah data akun" in said(restart) and restart.replies[0].buttons


def test_address_change_is_saved_and_queued_sealed(
    conversation: Conversation, engine: Engine
) -> None:
    register_until(conversation, engine, "summary")
    press(conversation, "account:edit:address")
    assert step_of(engine) == "address"
    reply = said(text(conversation, NEW_ADDRESS))
    assert "sedang dikirim ke sistem Kartu Prakerja" in reply
    assert applicant(engine).address == NEW_ADDRESS and step_of(engine) is None
    [row] = changes(engine)
    with Session(engine) as session:
        registration = session.exec(select(Outbox).where(Outbox.kind == "registration")).one()
    assert row.payload["submission_key"] == registration.idempotency_key
    assert row.payload["part"] == "address"
    assert NEW_ADDRESS not in json.dumps(row.payload)  # personal values wait sealed


def test_typed_phone_change_needs_the_sms_code(conversation: Conversation, engine: Engine) -> None:
    register_until(conversation, engine, "summary")
    press(conversation, "account:edit:phone")
    text(conversation, "0813 1111 2222")
    assert step_of(engine) == "phone_code" and changes(engine) == []
    text(conversation, latest_code(engine, chat_id=CHAT, kind="sms"))
    saved = applicant(engine)
    assert saved.phone == "+6281311112222" and saved.phone_verified_via == "sms"
    assert [row.payload["part"] for row in changes(engine)] == ["phone"]


def test_cancelling_an_email_change_keeps_the_verified_email(
    conversation: Conversation, engine: Engine, clock: Clock
) -> None:
    register_until(conversation, engine, "summary")
    press(conversation, "account:edit:email")
    text(conversation, "siti.baru@example.com")
    assert step_of(engine) == "email_code" and applicant(engine).email_verified_at is None
    assert "dibatalkan" in said(text(conversation, "/batal"))
    saved = applicant(engine)
    assert saved.email == ANSWERS["email"] and saved.email_verified_at is not None
    assert changes(engine) == []


def test_choosing_the_same_value_sends_nothing(conversation: Conversation, engine: Engine) -> None:
    register_until(conversation, engine, "summary")
    press(conversation, "account:edit:education")
    assert "Tidak ada yang berubah" in said(press(conversation, "s:education:SMA/SMK"))
    assert changes(engine) == []
    press(conversation, "account:edit:education")
    press(conversation, "s:education:D4/S1")
    assert applicant(engine).education == "D4/S1" and len(changes(engine)) == 1


def test_daftar_after_confirming_opens_the_change_menu(
    conversation: Conversation, engine: Engine
) -> None:
    register_until(conversation, engine, "summary")
    turn = text(conversation, "/daftar")
    assert "sudah selesai" in said(turn) and "Ubah data akun" in said(turn)
    assert step_of(engine) is None  # not the summary: confirming again would send nothing


def test_forgotten_password_is_reset_by_an_email_code(
    conversation: Conversation, engine: Engine
) -> None:
    from actions.passwords import verify_password

    register_until(conversation, engine, "summary")
    old_hash = applicant(engine).password_hash
    start = press(conversation, "account:edit:password")
    assert step_of(engine) == "reset_code" and ANSWERS["email"] in said(start)
    assert "SMS" not in said(text(conversation, "12")), "the reset code comes by email"
    code = latest_code(engine, chat_id=CHAT, kind="email")
    assert "Kode benar" in said(text(conversation, code))
    assert step_of(engine) == "password"
    turn = text(conversation, "KataBaruSaya77", message_id=91)
    assert turn.delete_message_ids == [91]
    saved = applicant(engine)
    assert saved.password_hash != old_hash and saved.password_hash is not None
    assert verify_password(saved.password_hash, "KataBaruSaya77")
    [row] = changes(engine)
    assert row.payload["part"] == "password" and "password_hash" not in row.payload["changes"]
    assert "KataBaruSaya77" not in json.dumps(row.payload)


def test_a_wrong_reset_code_changes_nothing(conversation: Conversation, engine: Engine) -> None:
    register_until(conversation, engine, "summary")
    old_hash = applicant(engine).password_hash
    press(conversation, "account:edit:password")
    assert "Kode salah" in said(text(conversation, "000000"))
    assert step_of(engine) == "reset_code"
    assert applicant(engine).password_hash == old_hash and changes(engine) == []
