"""Reminders for registrations left halfway: 24 h and 72 h, once each, not at night."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from support.conversation_driver import CHAT, Clock, register_until, text

from flows.conversation import Conversation
from flows.nudges import send_due_nudges
from storage.db import session_scope
from storage.models import ConversationState, Outbox

# 03:00 UTC is 10.00 WIB and 11.00 WITA; 15:00 UTC is 22.00 WIB (quiet) and 23.00 WITA.
MORNING = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)


@pytest.fixture
def conversation(engine: Engine) -> Conversation:
    return Conversation(engine, channel="console", clock=Clock())


def stalled_at(engine: Engine, moment: datetime, chat: int = CHAT) -> None:
    with session_scope(engine) as session:
        state = session.get(ConversationState, chat)
        assert state is not None
        state.updated_at = moment
        session.add(state)


def run(engine: Engine, now: datetime) -> int:
    with session_scope(engine) as session:
        return send_due_nudges(session, now=now)


def reminders(engine: Engine) -> list[str]:
    with Session(engine) as session:
        rows = session.exec(select(Outbox).where(Outbox.kind == "telegram_message")).all()
    return [str(row.payload["text"]) for row in rows if "/daftar" in str(row.payload["text"])]


def test_one_reminder_after_24h_and_one_after_72h_then_none(
    conversation: Conversation, engine: Engine
) -> None:
    register_until(conversation, engine, "birth_date")  # stopped at the address, step 5
    stalled_at(engine, MORNING - timedelta(hours=23))
    assert run(engine, MORNING) == 0
    stalled_at(engine, MORNING - timedelta(hours=25))
    assert run(engine, MORNING) == 1
    assert run(engine, MORNING + timedelta(hours=1)) == 0  # the first is not sent twice
    assert "langkah 5 dari 8" in reminders(engine)[0]
    assert run(engine, MORNING + timedelta(hours=47)) == 1  # 72 h after the last message
    assert run(engine, MORNING + timedelta(days=30)) == 0  # two at most
    assert len(reminders(engine)) == 2 and "pengingat terakhir" in reminders(engine)[1]


def test_writing_again_starts_the_count_over(conversation: Conversation, engine: Engine) -> None:
    register_until(conversation, engine, "birth_date")
    stalled_at(engine, MORNING - timedelta(hours=25))
    assert run(engine, MORNING) == 1
    text(conversation, "/status")  # the person comes back, then stops again
    stalled_at(engine, MORNING + timedelta(hours=1))
    assert run(engine, MORNING + timedelta(hours=26)) == 1


def test_no_reminder_in_quiet_hours_local_time(conversation: Conversation, engine: Engine) -> None:
    register_until(conversation, engine, "birth_date")  # NIK from Kota Bandung: WIB
    night = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)  # 22.00 WIB
    stalled_at(engine, night - timedelta(hours=30))
    assert run(engine, night) == 0
    assert run(engine, night + timedelta(hours=9)) == 1  # 07.00 WIB the next morning


def test_opted_out_people_get_none(conversation: Conversation, engine: Engine) -> None:
    register_until(conversation, engine, "birth_date")
    text(conversation, "/berhenti")
    stalled_at(engine, MORNING - timedelta(hours=30))
    assert run(engine, MORNING) == 0


def test_finished_registrations_get_none(conversation: Conversation, engine: Engine) -> None:
    register_until(conversation, engine, "summary")
    stalled_at(engine, MORNING - timedelta(days=5))
    assert run(engine, MORNING) == 0 and reminders(engine) == []
