"""Applicant-side steps of the basic test (/tes): start, resume, answer, score and cooldown.

A test may start only once the account is registered; the result of an attempt whose time ran out
is told before anything else, and a failed attempt is retaken only after the cooldown.
"""

from __future__ import annotations

from dataclasses import replace

from actions.basic_test import (
    answer,
    attempt_questions,
    begin_attempt,
    load_test_data,
    needed_score,
    next_question,
    open_attempt,
    passed_attempt,
    retry_allowed_at,
    settle_expired,
    shown_options,
)
from actions.wave_messages import applicant_time
from flows.context import TurnContext
from flows.messages import Button, Reply
from flows.texts import fill
from storage.models_waves import BasicTestAttempt

TEST_PREFIX = "test:"


def basic_test_text(key: str, **values: object) -> str:
    """Returns text `key` of flows/test.yml filled with escaped values."""
    return fill(str(load_test_data()[key]).strip(), **values)


def start_test(ctx: TurnContext) -> None:
    """Tells an expired attempt's result first, else resumes or starts the test (/tes)."""
    if tell_expired_result(ctx):
        return
    if ctx.applicant.registration_completed_at is None:
        ctx.say(basic_test_text("needs_registration"))
        return
    passed = passed_attempt(session=ctx.session, chat_id=ctx.chat_id)
    if passed is not None:
        ctx.say(basic_test_text("already_passed", score=passed.score, max=passed.max_score))
        return
    attempt = open_attempt(session=ctx.session, chat_id=ctx.chat_id)
    if attempt is not None:
        minutes = max(1, int((attempt.deadline_at - ctx.now).total_seconds() // 60))
        ctx.say(basic_test_text("resumed", minutes=minutes))
    elif not _cooled_down(ctx):
        return
    else:
        attempt = begin_attempt(session=ctx.session, chat_id=ctx.chat_id, now=ctx.now)
        ctx.say(basic_test_text("intro", count=len(attempt_questions(attempt))))
    ask_question(ctx, attempt)


def _cooled_down(ctx: TurnContext) -> bool:
    allowed = retry_allowed_at(session=ctx.session, chat_id=ctx.chat_id)
    if allowed is None or ctx.now >= allowed:
        return True
    minutes = max(1, -(-int((allowed - ctx.now).total_seconds()) // 60))
    ctx.say(basic_test_text("retry_wait", retry_at=applicant_time(allowed, ctx.applicant),
                      minutes=minutes))
    return False


def tell_expired_result(ctx: TurnContext) -> bool:
    """Scores an attempt whose 15 minutes ran out and tells its result; False if there is none."""
    attempt = settle_expired(session=ctx.session, chat_id=ctx.chat_id, now=ctx.now)
    if attempt is None:
        return False
    ctx.say(basic_test_text("expired_result"))
    report_score(ctx, attempt)
    return True


def ask_question(ctx: TurnContext, attempt: BasicTestAttempt) -> None:
    """Asks the attempt's next unanswered question with its options as buttons."""
    question = next_question(attempt)
    if question is None:
        return
    asked = attempt_questions(attempt)
    number = [q.id for q in asked].index(question.id) + 1
    rows = tuple((Button(label=label, value=f"{TEST_PREFIX}{question.id}:{value}"),)
                 for value, label in shown_options(attempt, question))
    body = basic_test_text("question", number=number, count=len(asked), text=question.text)
    ctx.say(Reply(body, buttons=rows))


def answer_test(ctx: TurnContext, value: str) -> None:
    """Records a pressed answer ("test:<question>:<option>") and asks on or reports the score."""
    question_id, _, option = value.removeprefix(TEST_PREFIX).partition(":")
    attempt = open_attempt(session=ctx.session, chat_id=ctx.chat_id)
    if attempt is None:
        ctx.say(basic_test_text("not_started"))
        return
    code = answer(session=ctx.session, attempt=attempt, question_id=question_id, option=option,
                  now=ctx.now)
    if code == "expired":
        ctx.say(basic_test_text("expired"))
    if code in ("expired", "finished"):
        report_score(ctx, attempt)
    else:
        ask_question(ctx, attempt)


def answer_typed(ctx: TurnContext, typed: str) -> bool:
    """Answers the current question with a typed option number or label; False if not one."""
    attempt = open_attempt(session=ctx.session, chat_id=ctx.chat_id)
    if attempt is None or ctx.now > attempt.deadline_at:
        return False
    question = next_question(attempt)
    if question is None:
        return False
    wanted = typed.strip().casefold()
    for number, (value, label) in enumerate(shown_options(attempt, question), 1):
        if wanted in (str(number), label.casefold()):
            answer_test(ctx, f"{TEST_PREFIX}{question.id}:{value}")
            return True
    return False


def ask_again(ctx: TurnContext) -> None:
    """Asks the current question again after an FAQ answer, so "1" answers the test next."""
    attempt = open_attempt(session=ctx.session, chat_id=ctx.chat_id)
    if attempt is None or ctx.now > attempt.deadline_at:
        return
    # The answer's own buttons would take the numbers 1, 2… in the console and compete with the
    # question's: while the clock runs, the question is the only thing to press.
    ctx.replies[:] = [replace(reply, buttons=()) for reply in ctx.replies]
    ask_question(ctx, attempt)


def report_score(ctx: TurnContext, attempt: BasicTestAttempt) -> None:
    """Says the score (with when a retake is possible) and emails it."""
    if attempt.passed:
        ctx.say(basic_test_text("finished_pass", score=attempt.score, max=attempt.max_score))
    else:
        allowed = retry_allowed_at(session=ctx.session, chat_id=ctx.chat_id) or ctx.now
        ctx.say(basic_test_text("finished_fail", score=attempt.score, max=attempt.max_score,
                          needed=needed_score(attempt),
                          retry_at=applicant_time(allowed, ctx.applicant)))
    if ctx.applicant.email:
        verdict = "lulus" if attempt.passed else "belum lulus"
        ctx.email_sender.send_email(
            ctx.session, chat_id=ctx.chat_id, to=ctx.applicant.email,
            subject=str(load_test_data()["email_subject"]),
            body=basic_test_text("email_body", name=ctx.applicant.full_name or "",
                           score=attempt.score, max=attempt.max_score, verdict=verdict))
