"""The applicant side: basic test (timer on the server, resumable, scored), pre-screen, joining."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from waves_builders import CLOSES, OPENS

from actions.basic_test import Question, next_question
from actions.lottery import commitment
from actions.senders import OutboxEmailSender, OutboxSmsSender
from actions.waves import create_wave, open_wave
from flows import wave_steps
from flows.context import TurnContext
from storage.db import session_scope
from storage.models import Applicant, Outbox
from storage.models_waves import BasicTestAttempt, WaveApplication
from storage.repositories import get_or_create_applicant, get_state, save_state

START = datetime(2021, 2, 25, 9, 0, tzinfo=UTC)
CHAT = 31


def turn(engine: Engine, now: datetime, action: object, *args: str) -> str:
    """Runs one step function in its own transaction and returns what was said."""
    with session_scope(engine) as session:
        applicant = get_or_create_applicant(session=session, chat_id=CHAT, channel="console")
        ctx = TurnContext(session=session, chat_id=CHAT, channel="console", now=now,
                          state=get_state(session=session, chat_id=CHAT), applicant=applicant,
                          email_sender=OutboxEmailSender(), sms_sender=OutboxSmsSender())
        action(ctx, *args)  # type: ignore[operator]
        save_state(session=session, state=ctx.state)
        return "\n".join(reply.text for reply in ctx.replies)


def registered(engine: Engine) -> None:
    with session_scope(engine) as session:
        session.add(Applicant(chat_id=CHAT, nik="3273014508900001", birth_date=date(1990, 8, 5),
                              email="siti@example.com", registration_completed_at=START))


def press(engine: Engine, now: datetime, value: str) -> str:
    return turn(engine, now, lambda ctx: wave_steps.handle_button(ctx, value))


def attempt_now(engine: Engine) -> BasicTestAttempt:
    with Session(engine) as session:
        return session.exec(select(BasicTestAttempt).order_by(col(BasicTestAttempt.id).desc())
                            ).first() or pytest.fail("no attempt")


def question_now(engine: Engine) -> Question:
    question = next_question(attempt_now(engine))
    assert question is not None
    return question


def test_test_resumes_scores_and_emails(engine: Engine) -> None:
    registered(engine)
    assert "15 menit" in turn(engine, START, wave_steps.start_test)
    first = question_now(engine)
    press(engine, START + timedelta(minutes=1), f"test:{first.id}:{first.answer or 'a'}")
    resumed = turn(engine, START + timedelta(minutes=5), wave_steps.start_test)
    assert "Melanjutkan" in resumed and "Soal 2/10" in resumed
    said = ""
    for _ in range(9):
        item = question_now(engine)
        said = press(engine, START + timedelta(minutes=6), f"test:{item.id}:{item.answer or 'a'}")
    assert "lulus" in said
    with Session(engine) as session:
        attempt = session.exec(select(BasicTestAttempt)).one()
        assert attempt.passed and attempt.score == attempt.max_score == 7
        assert session.exec(select(Outbox).where(Outbox.kind == "email")).first() is not None


def test_answers_after_fifteen_minutes_are_refused(engine: Engine) -> None:
    registered(engine)
    turn(engine, START, wave_steps.start_test)
    first = question_now(engine)
    late = START + timedelta(minutes=15, seconds=1)
    said = press(engine, late, f"test:{first.id}:{first.answer or 'a'}")
    assert "habis" in said
    with Session(engine) as session:
        attempt = session.exec(select(BasicTestAttempt)).one()
        assert attempt.finished_at is not None and attempt.score == 0 and not attempt.passed


def test_prescreen_warns_with_source_then_joins(engine: Engine) -> None:
    registered(engine)
    with session_scope(engine) as session:
        session.add(BasicTestAttempt(chat_id=CHAT, started_at=START, deadline_at=START,
                                     finished_at=START, score=7, max_score=7, passed=True))
        create_wave(session=session, number=12, quota=600_000, opens_at=OPENS, closes_at=CLOSES)
        open_wave(session=session, number=12, seed_commitment=commitment("x"))
    assert "Sebelum bergabung" in turn(engine, START, wave_steps.start_join)
    press(engine, START, "wave:pre:foreign_national:no")
    warned = press(engine, START, "wave:pre:formal_education:yes")
    assert "Dapodik" in warned and "Sumber aturan" in warned
    press(engine, START, "wave:next")
    press(engine, START, "wave:pre:state_official:no")
    press(engine, START, "wave:pre:bansos:no")
    joined = press(engine, START, "wave:pre:prior_recipient:no")
    assert "Gelombang 12" in joined and "600.000" in joined
    with Session(engine) as session:
        assert len(session.exec(select(WaveApplication)).all()) == 1
    assert "belum diumumkan" in turn(engine, START, wave_steps.show_result)
