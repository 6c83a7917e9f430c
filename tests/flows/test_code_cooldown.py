"""The resend wait holds when the person goes back and types another address."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from support.conversation_driver import Clock, applicant, press, register_until, said, step_of, text

from flows.conversation import Conversation
from storage.models import Outbox


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def conversation(engine: Engine, clock: Clock) -> Conversation:
    return Conversation(engine, channel="console", clock=clock)


def emails(engine: Engine) -> int:
    with Session(engine) as session:
        return len(session.exec(select(Outbox).where(Outbox.kind == "email")).all())


def test_going_back_to_change_the_email_does_not_skip_the_wait(
    conversation: Conversation, engine: Engine, clock: Clock
) -> None:
    register_until(conversation, engine, "email")
    assert emails(engine) == 1
    press(conversation, "s:email_code:back")
    assert step_of(engine) == "email"
    reply = said(text(conversation, "siti.lain@example.com"))
    assert "Tunggu" in reply and "belum</b> kami kirim" in reply
    assert "sudah mengirim" not in reply  # no claim that a code went to the new address
    assert step_of(engine) == "email_code" and emails(engine) == 1
    assert applicant(engine).email == "siti.lain@example.com"
    clock.now += timedelta(seconds=61)
    assert "Kode baru sudah dikirim" in said(press(conversation, "s:email_code:resend"))
    assert emails(engine) == 2
