"""The basic test in the console channel: after an FAQ answer, "1" still answers the test."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from support.applicant_data import NIK

from bot.console import ConsoleChat
from bot.runtime import build_runner
from storage.db import session_scope
from storage.models import Applicant
from storage.models_waves import BasicTestAttempt

CHAT = 78


async def test_question_comes_back_after_an_faq_answer(sqlite_engine: Engine) -> None:
    with session_scope(sqlite_engine) as session:
        session.add(Applicant(chat_id=CHAT, channel="console", nik=NIK,
                              birth_date=date(1990, 8, 5),
                              registration_completed_at=datetime.now(UTC)))
    script = ["/tes", "gak tau, tesnya berapa lama sih?", "1", "/keluar"]
    written: list[str] = []
    runner = build_runner(sqlite_engine, channel="console")
    try:
        await ConsoleChat(runner, sqlite_engine, chat_id=CHAT, read=lambda _p: script.pop(0),
                          write=written.append).run()
    finally:
        runner.close()
    output = "\n".join(written)
    assert output.count("Soal 1/10") == 2  # asked, then asked again after the FAQ answer
    assert "Soal 2/10" in output
    with Session(sqlite_engine) as session:
        attempt = session.exec(select(BasicTestAttempt)).one()
    assert len(attempt.answers) == 1
