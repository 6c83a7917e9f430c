"""The motivation & basic-skills test: 15 minutes counted by the server, resumable, scored."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any, Literal

import yaml
from sqlmodel import Session, col, select

from storage.models_waves import BasicTestAttempt

TEST_FILE = Path(__file__).resolve().parents[1] / "flows" / "test.yml"
AnswerCode = Literal["recorded", "finished", "expired", "stale", "invalid"]


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


def questions() -> tuple[Question, ...]:
    """Returns the questions in order."""
    return tuple(
        Question(id=q["id"], text=str(q["text"]).strip(),
                 options=tuple((str(o["value"]), str(o["label"])) for o in q["options"]),
                 answer=q.get("answer"))
        for q in load_test_data()["questions"]
    )


def max_score() -> int:
    """Returns the number of scored questions."""
    return sum(1 for q in questions() if q.answer is not None)


def needed_score() -> int:
    """Returns the lowest passing score."""
    return -(-int(max_score() * float(load_test_data()["pass_ratio"]) * 100) // 100)


def open_attempt(*, session: Session, chat_id: int) -> BasicTestAttempt | None:
    """Returns the unfinished attempt of this chat, if any."""
    return session.exec(select(BasicTestAttempt).where(
        col(BasicTestAttempt.chat_id) == chat_id, col(BasicTestAttempt.finished_at).is_(None))
        .order_by(col(BasicTestAttempt.id).desc())).first()


def passed_attempt(*, session: Session, chat_id: int) -> BasicTestAttempt | None:
    """Returns a passed attempt of this chat, if any."""
    return session.exec(select(BasicTestAttempt).where(
        col(BasicTestAttempt.chat_id) == chat_id, col(BasicTestAttempt.passed).is_(True))).first()


def start_or_resume(*, session: Session, chat_id: int, now: datetime) -> BasicTestAttempt:
    """Returns the running attempt, finishing an expired one and starting a new one if needed."""
    attempt = open_attempt(session=session, chat_id=chat_id)
    if attempt is not None and now <= attempt.deadline_at:
        return attempt
    if attempt is not None:
        finish(session=session, attempt=attempt, now=attempt.deadline_at)
    minutes = int(load_test_data()["duration_minutes"])
    attempt = BasicTestAttempt(chat_id=chat_id, started_at=now,
                               deadline_at=now + timedelta(minutes=minutes))
    session.add(attempt)
    session.flush()
    return attempt


def next_question(attempt: BasicTestAttempt) -> Question | None:
    """Returns the first unanswered question, or None when all are answered."""
    return next((q for q in questions() if q.id not in attempt.answers), None)


def answer(
    *, session: Session, attempt: BasicTestAttempt, question_id: str, option: str, now: datetime
) -> AnswerCode:
    """Records an answer if the time is not up; finishes the attempt after the last one."""
    if attempt.finished_at is not None:
        return "stale"
    if now > attempt.deadline_at:
        finish(session=session, attempt=attempt, now=attempt.deadline_at)
        return "expired"
    question = next((q for q in questions() if q.id == question_id), None)
    if question is None or option not in dict(question.options):
        return "invalid"
    attempt.answers = {**attempt.answers, question_id: option}
    session.add(attempt)
    if next_question(attempt) is None:
        finish(session=session, attempt=attempt, now=now)
        return "finished"
    return "recorded"


def finish(*, session: Session, attempt: BasicTestAttempt, now: datetime) -> None:
    """Scores the attempt from the answers given and closes it."""
    attempt.score = sum(1 for q in questions()
                        if q.answer is not None and attempt.answers.get(q.id) == q.answer)
    attempt.max_score = max_score()
    attempt.passed = attempt.score >= needed_score()
    attempt.finished_at = now
    session.add(attempt)
