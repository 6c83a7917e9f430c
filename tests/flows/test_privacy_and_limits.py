"""NIK encrypted at rest, one NIK per account, and the abuse limits of the conversation."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import text as sql
from sqlalchemy.engine import Engine
from sqlmodel import Session
from support.applicant_data import NIK
from support.conversation_driver import Clock, register_until, said, step_of, text

from bot.turns import SlidingWindowLimit
from flows.conversation import Conversation
from flows.messages import Incoming
from storage.repositories import find_applicant_by_nik


def test_nik_is_encrypted_at_rest_and_found_by_blind_index(engine: Engine) -> None:
    conversation = Conversation(engine, channel="console", clock=Clock())
    register_until(conversation, engine, "nik", chat=11)
    with engine.connect() as connection:
        stored, index = connection.execute(sql("select nik, nik_index from applicant")).one()
    assert NIK not in stored and NIK not in index
    with Session(engine) as session:
        found = find_applicant_by_nik(session=session, nik=NIK)
        assert found is not None and found.chat_id == 11 and found.nik == NIK
        assert find_applicant_by_nik(session=session, nik="3273014508900002") is None


def test_one_nik_serves_one_account(engine: Engine) -> None:
    conversation = Conversation(engine, channel="console", clock=Clock())
    register_until(conversation, engine, "nik", chat=21)
    register_until(conversation, engine, "password", chat=22)
    turn = text(conversation, NIK, chat=22)
    assert "sudah dipakai" in said(turn)
    assert step_of(engine, 22) == "nik"


def test_overlong_message_is_refused_politely(engine: Engine) -> None:
    conversation = Conversation(engine, channel="console", max_message_length=50)
    register_until(conversation, engine, "full_name", chat=31)
    turn = text(conversation, "a" * 51, chat=31)
    assert "terlalu panjang" in said(turn)
    assert step_of(engine, 31) == "email"


def test_codes_are_capped_per_hour(sqlite_engine: Engine) -> None:
    clock = Clock()
    conversation = Conversation(sqlite_engine, channel="console", clock=clock)
    register_until(conversation, sqlite_engine, "email", chat=41)
    for _ in range(4):
        clock.now += timedelta(seconds=61)
        assert "Kode baru" in said(conversation.handle(41, Incoming(
            kind="button", text="s:email_code:resend")))
    clock.now += timedelta(seconds=61)
    capped = said(conversation.handle(41, Incoming(kind="button", text="s:email_code:resend")))
    assert "5 kali dalam satu jam" in capped
    clock.now += timedelta(hours=1)
    assert "Kode baru" in said(conversation.handle(41, Incoming(
        kind="button", text="s:email_code:resend")))


def test_throttled_photo_gets_a_polite_wait(sqlite_engine: Engine) -> None:
    conversation = Conversation(sqlite_engine, channel="console", clock=Clock())
    register_until(conversation, sqlite_engine, "employment_status", chat=51)
    turn = conversation.handle(51, Incoming(kind="photo", file_id="x", throttled=True))
    assert "10 menit" in said(turn)
    assert step_of(sqlite_engine, 51) == "ktp_photo"


def test_sliding_window_limit() -> None:
    limit = SlidingWindowLimit(3, 600.0)
    assert [limit.allow(1, now=t) for t in (0, 1, 2, 3)] == [True, True, True, False]
    assert limit.allow(2, now=3)  # other chats are not affected
    assert limit.allow(1, now=600.5)  # the first event left the window

