"""Applicant rules in the registration conversation: plausible birth year, KK number, one email."""

from __future__ import annotations

import pytest
from sqlalchemy import text as sql
from sqlalchemy.engine import Engine
from sqlmodel import Session
from support.applicant_data import ANSWERS, KK, NIK, latest_code
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
from storage.crypto import personal_data_cipher


@pytest.fixture
def conversation(engine: Engine) -> Conversation:
    return Conversation(engine, channel="console", clock=Clock())  # 23 Nov 2026


def test_nineteen_oh_nine_for_a_2009_nik_is_refused(
    conversation: Conversation, engine: Engine
) -> None:
    register_until(conversation, engine, "password")
    text(conversation, "3273011501090001")  # a man born 15-01-(20)09: 17 years old
    turn = text(conversation, "15-01-1909")
    assert step_of(engine) == "birth_date"
    assert "117 tahun" in said(turn) and "18 tahun" in said(turn)
    assert applicant(engine).birth_date is None
    assert step_of(engine) == "birth_date"
    assert "usia minimal" in said(text(conversation, "15-01-2009")).casefold()
    assert applicant(engine).birth_date is None


def test_a_1910_birth_date_is_refused(conversation: Conversation, engine: Engine) -> None:
    register_until(conversation, engine, "password")
    text(conversation, "3273010106100001")
    turn = text(conversation, "01-06-1910")
    assert "116 tahun" in said(turn)
    assert step_of(engine) == "birth_date" and applicant(engine).birth_date is None


def test_kk_number_is_asked_after_the_birth_date_and_stored_sealed(
    conversation: Conversation, engine: Engine
) -> None:
    register_until(conversation, engine, "birth_date")
    assert step_of(engine) == "kk_number"
    refused = text(conversation, NIK)
    assert "bukan nomor KK" in said(refused) and step_of(engine) == "kk_number"
    assert "kode provinsi" in said(text(conversation, "0073010203150007"))
    text(conversation, "3273 0102 0315 0007")
    assert step_of(engine) == "address"
    saved = applicant(engine)
    assert saved.kk_number == KK
    assert saved.kk_index == personal_data_cipher().blind_index(KK)
    with Session(engine) as session:
        stored = session.execute(sql("SELECT kk_number FROM applicant")).scalar_one()
    assert KK not in stored


def test_kk_number_is_masked_in_the_summary_and_changed_via_ubah(
    conversation: Conversation, engine: Engine
) -> None:
    register_until(conversation, engine, "phone")
    summary = said(text(conversation, "/daftar"))
    assert "Nomor KK: 3273********0007" in summary and KK not in summary
    prompt = press(conversation, "s:summary:edit:kk_number")
    assert "Kartu Keluarga" in said(prompt)
    back = said(text(conversation, "3273010203150008"))
    assert step_of(engine) == "summary" and "3273********0008" in back
    assert applicant(engine).kk_number == "3273010203150008"
    labels = [b.label for r in prompt.replies for row in r.buttons for b in row]
    assert "⬅️ Kembali" in labels


def test_a_second_account_with_the_same_email_is_refused(
    conversation: Conversation, engine: Engine
) -> None:
    register_until(conversation, engine, "email_code")  # chat CHAT verified the address
    other = CHAT + 1
    text(conversation, "/daftar", other)
    text(conversation, ANSWERS["full_name"], other)
    turn = text(conversation, ANSWERS["email"].upper(), other)
    assert "sudah dipakai" in said(turn) and "email lain" in said(turn)
    assert step_of(engine, other) == "email" and applicant(engine, other).email is None
    text(conversation, "budi@example.com", other)
    assert step_of(engine, other) == "email_code"


def test_an_unverified_email_does_not_block_its_owner(
    conversation: Conversation, engine: Engine
) -> None:
    squatter = CHAT + 2
    text(conversation, "/daftar", squatter)
    text(conversation, "Orang Lain", squatter)
    text(conversation, ANSWERS["email"], squatter)  # typed, never verified
    register_until(conversation, engine, "email_code")
    assert step_of(engine) == "password"
    assert applicant(engine).email_index is not None
    assert applicant(engine, squatter).email_index is None
    code = latest_code(engine, chat_id=squatter, kind="email")
    said_to_squatter = said(text(conversation, code, squatter))
    assert step_of(engine, squatter) == "email"
    assert "sudah dipakai" in said_to_squatter
