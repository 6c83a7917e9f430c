"""Free text in the conversation: FAQ answers, actions on the applicant's data, clarification."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from flows.conversation import Conversation
from flows.faq_responder import FaqResponder, looks_like_question
from flows.messages import Incoming, Turn
from nlu import embedded_parser
from storage.models import HandoffTicket

CHAT = 5151


@pytest.fixture
def conversation(sqlite_engine: Engine) -> Conversation:
    return Conversation(sqlite_engine, channel="console", free_text=FaqResponder())


def ask(conv: Conversation, message: str) -> Turn:
    parsed = embedded_parser().parse_sync(message)
    return conv.handle(CHAT, Incoming(kind="text", text=message, nlu=parsed))


def said(turn: Turn) -> str:
    return "\n".join(r.text for r in turn.replies)


def test_contact_question_gets_dated_official_numbers(conversation: Conversation) -> None:
    assert "1500537" in said(ask(conversation, "nomor call center dukcapil brp?"))
    assert "0800 1503 001" in said(ask(conversation, "cs prakerja bisa dihubungi dimana"))


def test_unclear_text_offers_top_intents_and_a_person(conversation: Conversation) -> None:
    turn = ask(conversation, "blablabla xyz qwerty")
    values = [b.value for r in turn.replies for row in r.buttons for b in row]
    if "Maksud Anda" in said(turn) or "kurang yakin" in said(turn):
        assert "handoff:open" in values
        assert 1 <= len([v for v in values if v.startswith("faq:")]) <= 3
    else:  # a confident out_of_scope answer is also acceptable, but it must not be an FAQ fact
        assert "1500537" not in said(turn)


def test_pressing_a_suggested_intent_answers_it(conversation: Conversation) -> None:
    turn = conversation.handle(CHAT, Incoming(kind="button", text="faq:ktp_photo_requirements"))
    assert "2 MB" in said(turn)


def test_asking_for_a_person_opens_one_ticket(
    conversation: Conversation, sqlite_engine: Engine
) -> None:
    first = ask(conversation, "saya mau bicara dengan petugas manusia aja")
    ask(conversation, "tolong sambungkan ke cs manusia")
    assert "tiket" in said(first)
    with Session(sqlite_engine) as session:
        tickets = session.exec(select(HandoffTicket)).all()
    assert len(tickets) == 1 and tickets[0].chat_id == CHAT


def test_status_question_shows_the_checklist(conversation: Conversation) -> None:
    conversation.handle(CHAT, Incoming(kind="command", text="/daftar"))
    conversation.handle(CHAT, Incoming(kind="text", text="Budi Santoso"))
    conversation.handle(CHAT, Incoming(kind="command", text="/batal"))
    turn = ask(conversation, "status pendaftaran saya sudah sampai mana?")
    assert "✅ Nama lengkap" in said(turn)


def test_quoted_nik_is_checked_structurally(conversation: Conversation) -> None:
    turn = ask(conversation, "nik saya 3273014508900000 tidak terdaftar kenapa ya")
    assert "Dukcapil" in said(turn)
    assert "nomor urut" in said(turn)  # the serial 0000 is the structural problem found
    assert "3273014508900000" not in said(turn)  # the NIK is never echoed back


def test_questions_are_told_apart_from_answers() -> None:
    assert looks_like_question("kapan gelombang dibuka")
    assert looks_like_question("otp nya ga masuk?")
    assert not looks_like_question("Jl. Merdeka 10 Bandung")
    assert not looks_like_question("bukan-email")
