"""Drives the registration conversation directly, for tests that need a registered applicant."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from support.applicant_data import ANSWERS, DEFAULT_CHAT, email_for, good_ktp_report, latest_code

from flows.conversation import Conversation
from flows.messages import Incoming, Turn
from storage.models import Applicant, ConversationState

CHAT = DEFAULT_CHAT


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def text(conv: Conversation, value: str, chat: int = CHAT, message_id: int | None = None) -> Turn:
    kind = "command" if value.startswith("/") else "text"
    return conv.handle(chat, Incoming(kind=kind, text=value, message_id=message_id))


def press(conv: Conversation, value: str, chat: int = CHAT) -> Turn:
    return conv.handle(chat, Incoming(kind="button", text=value))


def said(turn: Turn) -> str:
    return "\n".join(reply.text for reply in turn.replies)


def applicant(engine: Engine, chat: int = CHAT) -> Applicant:
    with Session(engine) as session:
        found = session.exec(select(Applicant).where(Applicant.chat_id == chat)).one()
    return found


def step_of(engine: Engine, chat: int = CHAT) -> str | None:
    with Session(engine) as session:
        state = session.get(ConversationState, chat)
    return state.step if state else None


def register_until(conv: Conversation, engine: Engine, last_step: str, chat: int = CHAT) -> None:
    """Answers every step correctly up to and including `last_step`."""
    text(conv, "/start", chat)
    press(conv, "menu:register", chat)
    script = [
        ("full_name", lambda: text(conv, ANSWERS["full_name"], chat)),
        ("email", lambda: text(conv, email_for(chat), chat)),
        ("email_code", lambda: text(conv, latest_code(engine, chat_id=chat, kind="email"), chat)),
        ("password", lambda: text(conv, ANSWERS["password"], chat, message_id=77)),
        ("nik", lambda: text(conv, ANSWERS["nik"], chat)),
        ("birth_date", lambda: text(conv, ANSWERS["birth_date"], chat)),
        ("kk_number", lambda: text(conv, ANSWERS["kk_number"], chat)),
        ("address", lambda: text(conv, ANSWERS["address"], chat)),
        ("domicile_same", lambda: press(conv, "s:domicile_same:yes", chat)),
        ("education", lambda: press(conv, "s:education:SMA/SMK", chat)),
        ("employment_status", lambda: press(conv, "s:employment_status:Korban PHK", chat)),
        ("ktp_photo", lambda: conv.handle(chat, Incoming(
            kind="photo", file_id="AgADfile", file_size=150_000, ktp_report=good_ktp_report()))),
        ("phone", lambda: conv.handle(chat, Incoming(
            kind="contact", phone="+6281234567890", contact_is_own=True))),
        ("summary", lambda: press(conv, "s:summary:confirm", chat)),
    ]
    for step, act in script:
        assert step_of(engine, chat) == step
        act()
        if step == last_step:
            return
