"""The motivation & basic-skills test: 15 minutes counted by the server, resumable, scored.

Each attempt draws its questions from the bank in flows/test.yml in a shuffled order (options
shuffled too), and a failed attempt can be retaken only after a cooldown (a setting).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any, Literal

import yaml
from sqlmodel import Session, col, select

from storage.models_waves import BasicTestAttempt
from storage.settings import get_settings

TEST_FILE = Path(__file__).resolve().parents[1] / "flows" / "test.yml"
AnswerCode = Literal["recorded", "finished", "expired", "stale", "invalid"]
# Attempts made before the bank: the first ten questions of the file, in file order.
LEGACY_QUESTION_COUNT = 10


@dataclass(frozen=True, slots=True)
class Question:
    """One question; `answer` is None for motivation questions (not scored)."""

    id: str
    text: str
    options: tuple[tuple[str, str], ...]
    answer: str | None


@cache
def load_test_data() -> dict[str, Any]:
    """Returns flows/test.yml as loaded."""
    with TEST_FILE.open(encoding="utf-8") as handle:
        loaded: dict[str, Any] = yaml.safe_load(handle)
    return loaded


@cache
def questions() -> tuple[Question, ...]:
    """Returns the whole question bank in file order."""
    return tuple(
        Question(id=q["id"], text=str(q["text"]).strip(),
                 options=tuple((str(o["value"]), str(o["label"])) for o in q["options"]),
                 answer=q.get("answer"))
        for q in load_test_data()["questions"]
    )


def _by_id() -> dict[str, Question]:
    return {q.id: q for q in questions()}


def draw_question_ids(rng: random.Random) -> list[str]:
    """Returns every motivation question and a sample of skills questions, shuffled together."""
    motivation = [q.id for q in questions() if q.answer is None]
    skills = [q.id for q in questions() if q.answer is not None]
    drawn = motivation + rng.sample(skills, min(len(skills), int(load_test_data()[
        "skills_per_attempt"])))
    rng.shuffle(drawn)
    return drawn


def attempt_questions(attempt: BasicTestAttempt) -> tuple[Question, ...]:
    """Returns the questions of this attempt in the order they are asked."""
    if not attempt.question_ids:
        return questions()[:LEGACY_QUESTION_COUNT]
    known = _by_id()
    return tuple(known[qid] for qid in attempt.question_ids if qid in known)


def shown_options(attempt: BasicTestAttempt, question: Question) -> tuple[tuple[str, str], ...]:
    """Returns the question's options in this attempt's own order (stable across resumes)."""
    options = list(question.options)
    random.Random(f"{attempt.chat_id}:{attempt.id}:{question.id}").shuffle(options)
    return tuple(options)


def max_score(attempt: BasicTestAttempt) -> int:
    """Returns the number of scored questions in this attempt."""
    return sum(1 for q in attempt_questions(attempt) if q.answer is not None)


def needed_score(attempt: BasicTestAttempt) -> int:
    """Returns the lowest passing score of this attempt."""
    return -(-int(max_score(attempt) * float(load_test_data()["pass_ratio"]) * 100) // 100)


def open_attempt(*, session: Session, chat_id: int) -> BasicTestAttempt | None:
    """Returns the unfinished attempt of this chat, if any."""
    return session.exec(select(BasicTestAttempt).where(
        col(BasicTestAttempt.chat_id) == chat_id, col(BasicTestAttempt.finished_at).is_(None))
        .order_by(col(BasicTestAttempt.id).desc())).first()


def passed_attempt(*, session: Session, chat_id: int) -> BasicTestAttempt | None:
    """Returns a passed attempt of this chat, if any."""
    return session.exec(select(BasicTestAttempt).where(
        col(BasicTestAttempt.chat_id) == chat_id, col(BasicTestAttempt.passed).is_(True))).first()


def settle_expired(*, session: Session, chat_id: int, now: datetime) -> BasicTestAttempt | None:
    """Scores and closes this chat's attempt whose time ran out, returning it (else None)."""
    attempt = open_attempt(session=session, chat_id=chat_id)
    if attempt is None or now <= attempt.deadline_at:
        return None
    finish(session=session, attempt=attempt, now=attempt.deadline_at)
    return attempt


def retry_allowed_at(*, session: Session, chat_id: int) -> datetime | None:
    """Returns when a new attempt may start after the latest failed one, or None if no wait."""
    latest = session.exec(select(BasicTestAttempt).where(
        col(BasicTestAttempt.chat_id) == chat_id, col(BasicTestAttempt.finished_at).is_not(None))
        .order_by(col(BasicTestAttempt.finished_at).desc())).first()
    if latest is None or latest.finished_at is None or latest.passed:
        return None
    return latest.finished_at + timedelta(minutes=get_settings().basic_test_retry_minutes)


def begin_attempt(
    *, session: Session, chat_id: int, now: datetime, rng: random.Random | None = None
) -> BasicTestAttempt:
    """Starts a new attempt with its own draw of questions and a server-side deadline."""
    minutes = int(load_test_data()["duration_minutes"])
    attempt = BasicTestAttempt(chat_id=chat_id, started_at=now,
                               deadline_at=now + timedelta(minutes=minutes),
                               question_ids=draw_question_ids(rng or random.SystemRandom()))
    session.add(attempt)
    session.flush()
    return attempt


def next_question(attempt: BasicTestAttempt) -> Question | None:
    """Returns the first unanswered question, or None when all are answered."""
    return next((q for q in attempt_questions(attempt) if q.id not in attempt.answers), None)


def answer(
    *, session: Session, attempt: BasicTestAttempt, question_id: str, option: str, now: datetime
) -> AnswerCode:
    """Records an answer to the current question if the time is not up; finishes after the last."""
    if attempt.finished_at is not None:
        return "stale"
    if now > attempt.deadline_at:
        finish(session=session, attempt=attempt, now=attempt.deadline_at)
        return "expired"
    question = next_question(attempt)
    if question is None or question.id != question_id:
        return "stale"  # an earlier question's button, or one from another attempt
    if option not in dict(question.options):
        return "invalid"
    attempt.answers = {**attempt.answers, question_id: option}
    session.add(attempt)
    if next_question(attempt) is None:
        finish(session=session, attempt=attempt, now=now)
        return "finished"
    return "recorded"


def finish(*, session: Session, attempt: BasicTestAttempt, now: datetime) -> None:
    """Scores the attempt from the answers given and closes it."""
    attempt.score = sum(1 for q in attempt_questions(attempt)
                        if q.answer is not None and attempt.answers.get(q.id) == q.answer)
    attempt.max_score = max_score(attempt)
    attempt.passed = attempt.score >= needed_score(attempt)
    attempt.finished_at = now
    session.add(attempt)
