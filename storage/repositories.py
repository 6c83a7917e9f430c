"""Repository functions: verbs over the tables, each taking the caller's session."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import delete, event
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from storage.crypto import personal_data_cipher
from storage.erasure import erase_chat, erase_sink_lines
from storage.models import (
    Applicant,
    ConversationState,
    HandoffTicket,
    Outbox,
    VerificationCode,
    normalized_email,
    utcnow,
)
from storage.models_outbox import KtpBlob
from storage.models_staff import TicketEvent, TroubleshootingWalk
from storage.settings import get_settings


def get_applicant(*, session: Session, chat_id: int) -> Applicant | None:
    """Returns the applicant of this chat, if any."""
    return session.exec(select(Applicant).where(Applicant.chat_id == chat_id)).first()


def find_applicant_by_nik(*, session: Session, nik: str) -> Applicant | None:
    """Returns the applicant with this NIK, found through its blind index."""
    index = personal_data_cipher().blind_index(nik)
    return session.exec(select(Applicant).where(Applicant.nik_index == index)).first()


def find_applicant_by_email(*, session: Session, email: str) -> Applicant | None:
    """Returns the applicant who verified this email address, found through its blind index."""
    index = personal_data_cipher().blind_index(normalized_email(email))
    return session.exec(select(Applicant).where(Applicant.email_index == index)).first()


def get_or_create_applicant(*, session: Session, chat_id: int, channel: str) -> Applicant:
    """Returns the applicant of this chat, creating an empty one on first contact."""
    applicant = get_applicant(session=session, chat_id=chat_id)
    if applicant is None:
        applicant = Applicant(chat_id=chat_id, channel=channel)
        session.add(applicant)
        session.flush()
    return applicant


def get_state(*, session: Session, chat_id: int) -> ConversationState:
    """Returns the conversation state of this chat (a fresh one if none was stored)."""
    state = session.get(ConversationState, chat_id)
    return state if state is not None else ConversationState(chat_id=chat_id)


def save_state(*, session: Session, state: ConversationState) -> None:
    """Stores the state; JSON columns are reassigned so the change is always detected."""
    state.history = list(state.history)
    state.data = dict(state.data)
    state.updated_at = utcnow()
    session.add(state)


def open_handoff(*, session: Session, chat_id: int, reason: str) -> HandoffTicket:
    """Opens a ticket for a person to take over, or returns the chat's open one."""
    existing = session.exec(
        select(HandoffTicket)
        .where(HandoffTicket.chat_id == chat_id, HandoffTicket.status == "open")
    ).first()
    if existing is not None:
        return existing
    ticket = HandoffTicket(chat_id=chat_id, reason=reason)
    session.add(ticket)
    session.flush()
    return ticket


def delete_personal_data(*, session: Session, chat_id: int) -> None:
    """Removes every row and local file line that names this chat's person (UU PDP erasure).

    storage.erasure.ERASURE says, table by table, what is erased and what a legal duty keeps.
    """
    erase_chat(session, chat_id)
    erase_sink_lines(Path(get_settings().outbox_dir), chat_id)
    event.listen(session, "after_commit", _flush_erased_pages, once=True)


def _flush_erased_pages(session: Session) -> None:
    """Checkpoints SQLite's write-ahead log so erased rows survive in no older page copy."""
    bind = session.get_bind()
    if bind.dialect.name != "sqlite":
        return  # PostgreSQL: autovacuum reclaims dead rows; the data files are not ours to scrub
    engine = bind if isinstance(bind, Engine) else bind.engine
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")


def reset_registration(*, session: Session, chat_id: int) -> None:
    """Removes the registration answers, codes, queued messages and tickets to start over."""
    tables = (Applicant, ConversationState, VerificationCode, Outbox, HandoffTicket, KtpBlob,
              TicketEvent, TroubleshootingWalk)
    for table in tables:
        session.execute(delete(table).where(col(table.chat_id) == chat_id))
