"""Joining a wave through the conversation: times, the WNA question, no wave, /hasil wording."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from support.conversation_driver import CHAT, Clock, press, register_until, said, text

from actions.lottery import commitment
from actions.waves import create_wave, open_wave
from flows.conversation import Conversation
from flows.messages import Turn
from storage.db import session_scope
from storage.models import Applicant
from storage.models_waves import ApplicantResult, BasicTestAttempt, Wave, WaveApplication


@pytest.fixture
def clock() -> Clock:
    return Clock()  # 23 Nov 2026 09:00 UTC


@pytest.fixture
def conversation(engine: Engine, clock: Clock) -> Conversation:
    return Conversation(engine, channel="console", clock=clock)


def ready_to_join(conv: Conversation, engine: Engine, clock: Clock) -> None:
    register_until(conv, engine, "summary")
    with session_scope(engine) as session:
        session.add(BasicTestAttempt(chat_id=CHAT, started_at=clock.now, deadline_at=clock.now,
                                     finished_at=clock.now, score=7, max_score=7, passed=True))


def a_wave(engine: Engine, *, opens: datetime, closes: datetime, number: int = 20) -> None:
    with session_scope(engine) as session:
        create_wave(session=session, number=number, quota=1000, opens_at=opens, closes_at=closes)
        open_wave(session=session, number=number, seed_commitment=commitment("s"))


def buttons(turn: Turn) -> list[str]:
    return [b.value for r in turn.replies for row in r.buttons for b in row]


def applications(engine: Engine) -> list[WaveApplication]:
    with Session(engine) as session:
        return list(session.exec(select(WaveApplication)).all())


def join_through_prescreen(conv: Conversation) -> Turn:
    last = text(conv, "/gabung")
    for question in ("foreign_national", "formal_education", "state_official", "bansos",
                     "prior_recipient"):
        last = press(conv, f"wave:pre:{question}:no")
    return last


def test_no_open_wave_is_said_at_once(
    conversation: Conversation, engine: Engine, clock: Clock
) -> None:
    ready_to_join(conversation, engine, clock)
    turn = text(conversation, "/gabung")
    assert "belum ada gelombang yang dibuka" in said(turn)
    assert "Sebelum bergabung" not in said(turn) and buttons(turn) == []


def test_a_foreign_national_is_refused_with_the_rule_and_its_source(
    conversation: Conversation, engine: Engine, clock: Clock
) -> None:
    ready_to_join(conversation, engine, clock)
    a_wave(engine, opens=clock.now - timedelta(days=1), closes=clock.now + timedelta(days=2))
    asked = text(conversation, "/gabung")
    assert "warga negara asing" in said(asked)
    refused = press(conversation, "wave:pre:foreign_national:yes")
    assert "hanya untuk warga negara Indonesia" in said(refused)
    assert "Sumber aturan: Ketentuan Program Kartu Prakerja 2021" in said(refused)
    assert "wave:next" not in buttons(refused)  # no "Tetap gabung"
    stale = press(conversation, "wave:pre:formal_education:no")  # an old button pressed later
    assert "tidak berlaku" in said(stale)
    assert applications(engine) == []


def test_join_shows_the_closing_time_in_the_applicants_zone(
    conversation: Conversation, engine: Engine, clock: Clock
) -> None:
    ready_to_join(conversation, engine, clock)
    closes = datetime(2026, 11, 26, 5, 0, tzinfo=clock.now.tzinfo)  # 12.00 WIB
    a_wave(engine, opens=clock.now - timedelta(days=1), closes=closes)
    joined = said(join_through_prescreen(conversation))
    assert "Gelombang 20" in joined and "26 November 2026 pukul 12.00 WIB" in joined
    assert "UTC" not in joined
    with session_scope(engine) as session:  # the same person, had the NIK been from Makassar
        session.execute(update(Applicant).values(nik="7371014508900001"))
    status = said(text(conversation, "/status"))
    assert "26 November 2026 pukul 13.00 WITA" in status


def test_a_join_after_closes_at_is_refused_even_if_nobody_closed_the_wave(
    conversation: Conversation, engine: Engine, clock: Clock
) -> None:
    ready_to_join(conversation, engine, clock)
    closes = clock.now - timedelta(days=30)
    a_wave(engine, opens=closes - timedelta(days=2), closes=closes)
    turn = text(conversation, "/gabung")
    assert "sudah ditutup pada" in said(turn) and "24 Oktober 2026 pukul 16.00 WIB" in said(turn)
    assert buttons(turn) == [] and applications(engine) == []


def test_a_join_between_the_questions_and_the_close_is_refused(
    conversation: Conversation, engine: Engine, clock: Clock
) -> None:
    ready_to_join(conversation, engine, clock)
    a_wave(engine, opens=clock.now - timedelta(days=1), closes=clock.now + timedelta(minutes=2))
    text(conversation, "/gabung")
    for question in ("foreign_national", "formal_education", "state_official", "bansos"):
        press(conversation, f"wave:pre:{question}:no")
    clock.now += timedelta(minutes=3)
    late = said(press(conversation, "wave:pre:prior_recipient:no"))
    assert "sudah ditutup" in late and applications(engine) == []


def test_a_wave_before_its_opening_time_is_not_joinable(
    conversation: Conversation, engine: Engine, clock: Clock
) -> None:
    ready_to_join(conversation, engine, clock)
    opens = clock.now + timedelta(hours=3)  # 19.00 WIB
    a_wave(engine, opens=opens, closes=opens + timedelta(days=2))
    turn = text(conversation, "/gabung")
    assert "baru dibuka pada" in said(turn) and "23 November 2026 pukul 19.00 WIB" in said(turn)
    assert applications(engine) == []


@pytest.mark.parametrize("stage", ["open", "closed", "selected"])
def test_result_before_the_announcement_uses_no_status_words(
    conversation: Conversation, engine: Engine, clock: Clock, stage: str
) -> None:
    ready_to_join(conversation, engine, clock)
    a_wave(engine, opens=clock.now - timedelta(days=1), closes=clock.now + timedelta(days=2))
    join_through_prescreen(conversation)
    [application] = applications(engine)
    with session_scope(engine) as session:
        session.execute(update(Wave).values(status=stage))
        if stage == "selected":  # drawn and excluded (BSU), not yet announced
            session.add(ApplicantResult(application_id=application.id or 0,
                                        wave_id=application.wave_id, selected=False,
                                        priority=False, reason_mask=1 << 3, draw_position=1))
    shown = said(text(conversation, "/hasil"))
    assert "Gelombang 20" in shown and "belum diumumkan" in shown
    for word in ("status:", "selected", "closed", "open", "BSU", "lolos"):
        assert word not in shown
