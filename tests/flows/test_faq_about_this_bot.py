"""FAQ answers describe this bot's own steps; eligibility questions get a direct answer first."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine

from flows.conversation import Conversation
from flows.faq import load_faq
from flows.faq_responder import FaqResponder
from flows.messages import Incoming, Turn
from nlu import embedded_parser

CHAT = 5252


@pytest.fixture
def conversation(sqlite_engine: Engine) -> Conversation:
    return Conversation(sqlite_engine, channel="console", free_text=FaqResponder())


def ask(conv: Conversation, message: str) -> Turn:
    parsed = embedded_parser().parse_sync(message)
    return conv.handle(CHAT, Incoming(kind="text", text=message, nlu=parsed))


def first(turn: Turn) -> str:
    return turn.replies[0].text


def values(turn: Turn) -> list[str]:
    return [b.value for r in turn.replies for row in r.buttons for b in row]


def test_how_to_register_is_this_bot_not_the_website(conversation: Conversation) -> None:
    turn = ask(conversation, "gmn cara daftar prakerja")
    answer = "\n".join(r.text for r in turn.replies)
    assert "chat ini" in answer and "/daftar" in answer and "/tes" in answer and "/gabung" in answer
    assert "tautan" not in answer and "ibu kandung" not in answer and "wajah" not in answer
    assert "menu:register" in values(turn)


def test_how_long_is_the_test_points_at_tes(conversation: Conversation) -> None:
    turn = ask(conversation, "tesnya brp lama")
    assert "15 menit" in first(turn) and "/tes" in first(turn)
    assert "menu:test" in values(turn)


def test_what_is_prakerja_is_not_the_contacts_answer(conversation: Conversation) -> None:
    turn = ask(conversation, "apa itu prakerja")
    assert "program pemerintah" in first(turn)
    assert "0800 1503 001" not in first(turn)


@pytest.mark.parametrize(("question", "opening"), [
    ("sy pns boleh daftar gk", "Tidak bisa. ASN"),
    ("aku msh kuliah bs ikut ga", "Belum bisa selama Anda masih menempuh pendidikan formal"),
    ("sy wna boleh ikut prakerja?", "Tidak bisa. Kartu Prakerja hanya untuk WNI"),
    ("saya korban phk boleh daftar prakerja?", "Bisa, selama Anda WNI"),
])
def test_eligibility_questions_get_a_direct_answer_first(
    conversation: Conversation, question: str, opening: str
) -> None:
    turn = ask(conversation, question)
    assert first(turn).startswith(opening)
    assert "Syarat umum peserta" in turn.replies[1].text  # the rules follow the direct answer


def test_answer_buttons_act_in_the_conversation(conversation: Conversation) -> None:
    turn = conversation.handle(CHAT, Incoming(kind="button", text="menu:register"))
    assert "Nama lengkap" in first(turn)
    commands = {b.command for a in load_faq().values() for b in a.buttons if b.command}
    assert commands
    for chat, command in enumerate(sorted(commands), start=CHAT + 1):
        pressed = conversation.handle(chat, Incoming(kind="button", text=command))
        assert "sudah tidak berlaku" not in first(pressed), command


def test_wave_opening_announcement_sends_people_to_gabung() -> None:
    from pathlib import Path

    import yaml

    path = Path(__file__).parents[2] / "flows" / "announcements" / "gelombang_dibuka.yml"
    body = yaml.safe_load(path.read_text(encoding="utf-8"))["text"]
    assert "/gabung" in body and "www.prakerja.go.id" not in body
