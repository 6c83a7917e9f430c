"""The basic test through the conversation: after registration, shuffled, cooldown, expiry first."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from support.conversation_driver import CHAT, Clock, press, register_until, said, text

from actions.basic_test import attempt_questions, next_question, questions
from flows.conversation import Conversation
from flows.faq_responder import FaqResponder
from flows.messages import Incoming, Turn
from nlu import embedded_parser
from storage.models_waves import BasicTestAttempt


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def conversation(engine: Engine, clock: Clock) -> Conversation:
    return Conversation(engine, channel="console", clock=clock, free_text=FaqResponder())


def attempts(engine: Engine, chat: int = CHAT) -> list[BasicTestAttempt]:
    with Session(engine) as session:
        return list(session.exec(select(BasicTestAttempt).where(BasicTestAttempt.chat_id == chat)
                                 .order_by(col(BasicTestAttempt.id))).all())


def question_buttons(turn: Turn) -> list[str]:
    return [b.value for r in turn.replies for row in r.buttons for b in row
            if b.value.startswith("test:")]


def answer_all(conv: Conversation, engine: Engine, *, right: bool, leave: int = 0,
               chat: int = CHAT) -> Turn:
    """Answers the open attempt's questions (rightly or wrongly), leaving `leave` unanswered."""
    last = Turn()
    for _ in range(len(attempt_questions(attempts(engine, chat)[-1])) - leave):
        question = next_question(attempts(engine, chat)[-1])
        assert question is not None
        values = [value for value, _ in question.options]
        wrong = next(v for v in values if v != question.answer)
        chosen = (question.answer or values[0]) if right else wrong
        last = press(conv, f"test:{question.id}:{chosen}", chat)
    return last


def test_the_test_waits_for_the_registration(conversation: Conversation, engine: Engine) -> None:
    register_until(conversation, engine, "kk_number")
    turn = text(conversation, "/tes")
    assert "setelah pendaftaran akun selesai" in said(turn) and "/daftar" in said(turn)
    assert attempts(engine) == []


def test_each_attempt_draws_and_shuffles_its_own_questions(
    conversation: Conversation, engine: Engine, clock: Clock
) -> None:
    register_until(conversation, engine, "summary")
    orders = []
    for _ in range(3):
        turn = text(conversation, "/tes")
        shown = next_question(attempts(engine)[-1])
        assert shown is not None and "Soal 1/10" in said(turn)
        assert sorted(question_buttons(turn)) == sorted(f"test:{shown.id}:{v}" for v, _ in
                                                        shown.options)
        answer_all(conversation, engine, right=False)
        orders.append(attempts(engine)[-1].question_ids)
        clock.now += timedelta(minutes=61)
    motivation = {q.id for q in questions() if q.answer is None}
    for order in orders:
        assert len(order) == len(set(order)) == 10 and motivation <= set(order)
    assert len({tuple(order) for order in orders}) > 1  # 3 equal shuffles: ~1 in 10^13


def test_a_failed_test_waits_for_the_cooldown(
    conversation: Conversation, engine: Engine, clock: Clock
) -> None:
    register_until(conversation, engine, "summary")
    text(conversation, "/tes")
    failed = said(answer_all(conversation, engine, right=False))
    assert "0/7" in failed and "23 November 2026 pukul 17.00 WIB" in failed  # 10.00 UTC
    clock.now += timedelta(minutes=30)
    wait = said(text(conversation, "/tes"))
    assert "pukul 17.00 WIB" in wait and "30 menit" in wait
    assert len(attempts(engine)) == 1
    clock.now += timedelta(minutes=30)
    assert "Soal 1/10" in said(text(conversation, "/tes"))
    assert len(attempts(engine)) == 2


def test_an_expired_attempt_that_passes_is_told_first_not_replaced(
    conversation: Conversation, engine: Engine, clock: Clock
) -> None:
    register_until(conversation, engine, "summary")
    text(conversation, "/tes")
    answer_all(conversation, engine, right=True, leave=1)
    clock.now += timedelta(minutes=16)
    turn = text(conversation, "/tes")
    assert "sudah habis" in said(turn) and "lulus" in said(turn)
    assert said(turn).index("sudah habis") < said(turn).index("lulus")
    assert question_buttons(turn) == [] and "Soal" not in said(turn)
    [attempt] = attempts(engine)
    assert attempt.passed and attempt.finished_at == attempt.deadline_at
    assert "sudah lulus" in said(text(conversation, "/tes"))


def test_a_question_answered_by_the_faq_is_asked_again(
    conversation: Conversation, engine: Engine
) -> None:
    register_until(conversation, engine, "summary")
    text(conversation, "/tes")
    first = next_question(attempts(engine)[-1])
    typed = "gak tau, tesnya berapa lama sih?"
    turn = conversation.handle(CHAT, Incoming(kind="text", text=typed,
                                              nlu=embedded_parser().parse_sync(typed)))
    assert len(turn.replies) >= 2 and "Soal" not in turn.replies[0].text  # the FAQ answer first
    [last_with_buttons] = [r for r in turn.replies if r.buttons]  # the question's only
    assert "Soal 1/10" in last_with_buttons.text
    assert all(b.value.startswith("test:") for row in last_with_buttons.buttons for b in row)
    answered = text(conversation, "1")
    assert "Soal 2/10" in said(answered)
    attempt = attempts(engine)[-1]
    assert first is not None and list(attempt.answers) == [first.id]


def test_an_expired_attempt_is_pushed_with_its_result_without_asking(
    conversation: Conversation, engine: Engine, clock: Clock
) -> None:
    from flows.nudges import run_nudges
    from storage.models import Outbox

    register_until(conversation, engine, "summary")
    text(conversation, "/tes")
    answer_all(conversation, engine, right=True, leave=1)
    assert run_nudges(engine, clock.now) == 0  # still within the 15 minutes
    clock.now += timedelta(minutes=16)
    assert run_nudges(engine, clock.now) == 1
    assert run_nudges(engine, clock.now) == 0  # told once
    with Session(engine) as session:
        pushed = [str(row.payload["text"]) for row in session.exec(
            select(Outbox).where(Outbox.kind == "telegram_message", Outbox.chat_id == CHAT))]
    [result] = [p for p in pushed if "sudah habis" in p]
    assert "lulus" in result and "<b>" not in result  # plain text for a chat notice
    [attempt] = attempts(engine)
    assert attempt.passed and attempt.finished_at == attempt.deadline_at
