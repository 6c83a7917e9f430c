"""The erasure registry covers every table that can name a person, and erasing erases."""

from __future__ import annotations

import importlib
import pkgutil
import re
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import BigInteger, Column, Integer, MetaData, String, Table, func, select, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel

import storage
from storage.db import session_scope
from storage.erasure import ERASURE, ByChat, ByParent, KeptByLegalDuty, kept_by_legal_duty
from storage.models import Applicant, ConversationState, HandoffTicket, Outbox, VerificationCode
from storage.models_broadcast import Broadcast, BroadcastRecipient, Subscriber
from storage.models_inbox import InboxUpdate
from storage.models_nudges import Nudge
from storage.models_outbox import DeliveryAttempt, KtpBlob
from storage.models_staff import TicketEvent, TroubleshootingWalk
from storage.models_waves import (
    ApplicantResult,
    BasicTestAttempt,
    ResultNotification,
    Wave,
    WaveApplication,
)
from storage.repositories import delete_personal_data

PERSONAL_COLUMN = re.compile(r"chat_id|applicant|nik|telegram_user_id|email|phone|user_id")
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def all_model_tables() -> MetaData:
    """Imports every storage.models* module, so a new model module cannot hide its tables."""
    for module in pkgutil.iter_modules(storage.__path__):
        if module.name.startswith("models"):
            importlib.import_module(f"storage.{module.name}")
    return SQLModel.metadata


def uncovered(metadata: MetaData) -> list[str]:
    """Returns the tables with a person-naming column (or name) that ERASURE does not list."""
    return sorted(
        table.name for table in metadata.tables.values()
        if table.name not in ERASURE
        and (PERSONAL_COLUMN.search(table.name)
             or any(PERSONAL_COLUMN.search(column.name) for column in table.columns))
    )


def test_every_table_that_can_name_a_person_is_in_the_registry() -> None:
    missing = uncovered(all_model_tables())
    assert missing == [], f"add these tables to storage.erasure.ERASURE: {missing}"


def test_the_check_catches_a_new_table_with_a_chat_id_or_nik_column() -> None:
    scratch = MetaData()
    Table("feedback", scratch, Column("id", Integer, primary_key=True),
          Column("chat_id", BigInteger))
    Table("card_recipient_hash", scratch, Column("nik_hash", String(64), primary_key=True))
    Table("wave", scratch, Column("id", Integer, primary_key=True))
    assert uncovered(scratch) == ["card_recipient_hash", "feedback"]


def test_registry_names_only_real_tables_and_columns() -> None:
    tables = all_model_tables().tables
    for name, rule in ERASURE.items():
        assert name in tables, f"ERASURE lists {name}, which is no table"
        if isinstance(rule, ByChat):
            assert rule.column in tables[name].columns
        if isinstance(rule, ByParent):
            assert rule.column in tables[name].columns
            assert {rule.parent_key, rule.parent_chat} <= set(tables[rule.parent].columns.keys())


def test_kept_tables_state_their_legal_reason() -> None:
    kept = kept_by_legal_duty()
    assert "agencylistentry" in kept
    assert all(len(reason) > 20 for reason in kept.values())
    assert all(isinstance(ERASURE[name], KeptByLegalDuty) for name in kept)


def add_rows_of(session: Session, chat_id: int, wave_id: int, broadcast_id: int) -> None:
    """Adds one row per erasable table for the chat (two outbox rows with attempts)."""
    session.add(Applicant(chat_id=chat_id, nik=f"32730145089{chat_id:05d}", email="a@b.id"))
    session.add(ConversationState(chat_id=chat_id, flow="registration", step="email"))
    session.add(VerificationCode(chat_id=chat_id, purpose="email", target="x", code_hash="h",
                                 expires_at=NOW))
    session.add(Subscriber(chat_id=chat_id, first_name="Siti"))
    session.add(KtpBlob(idempotency_key=f"k{chat_id}", chat_id=chat_id, ciphertext=b"c"))
    session.add(TroubleshootingWalk(chat_id=chat_id, flow_id="f", node_id="n"))
    session.add(InboxUpdate(update_id=chat_id, chat_id=chat_id, payload={"t": 1}))
    session.add(BroadcastRecipient(broadcast_id=broadcast_id, chat_id=chat_id))
    session.add(BasicTestAttempt(chat_id=chat_id, started_at=NOW, deadline_at=NOW))
    session.add(Nudge(chat_id=chat_id))
    ticket = HandoffTicket(chat_id=chat_id, reason="user_request")
    application = WaveApplication(wave_id=wave_id, chat_id=chat_id, nik_key=chat_id,
                                  birth_date=date(1990, 8, 5))
    outboxes = [Outbox(kind="email", chat_id=chat_id, destination="d", payload={"b": 1})
                for _ in range(2)]
    session.add_all([ticket, application, *outboxes])
    session.flush()
    session.add(TicketEvent(ticket_id=ticket.id or 0, chat_id=chat_id, kind="opened"))
    session.add(ApplicantResult(application_id=application.id or 0, wave_id=wave_id,
                                selected=True, priority=False, reason_mask=0, draw_position=1))
    session.add(ResultNotification(application_id=application.id or 0, wave_id=wave_id,
                                   chat_id=chat_id))
    session.add_all(DeliveryAttempt(outbox_id=row.id or 0, attempt=1, outcome="delivered")
                    for row in outboxes)


def rows_per_table(engine: Engine, chat_id: int) -> dict[str, int]:
    """Returns, per erasable table, how many rows belong to the chat."""
    counts: dict[str, int] = {}
    tables = SQLModel.metadata.tables
    with engine.connect() as connection:
        for name, rule in ERASURE.items():
            table = tables[name]
            if isinstance(rule, ByChat):
                where = table.c[rule.column] == chat_id
            elif isinstance(rule, ByParent):
                parent = tables[rule.parent]
                where = table.c[rule.column].in_(select(parent.c[rule.parent_key])
                                                 .where(parent.c[rule.parent_chat] == chat_id))
            else:
                continue
            counts[name] = connection.execute(
                select(func.count()).select_from(table).where(where)).scalar_one()
    return counts


def test_erasure_removes_every_row_of_the_chat_and_nothing_of_another(engine: Engine) -> None:
    with session_scope(engine) as session:
        wave = Wave(number=1, quota=10, opens_at=NOW, closes_at=NOW + timedelta(days=2),
                    excluded_sources="")
        broadcast = Broadcast(template="t", audience="all", created_by="pmo")
        session.add_all([wave, broadcast])
        session.flush()
        for chat_id in (501, 502):
            add_rows_of(session, chat_id, wave.id or 0, broadcast.id or 0)
    before = rows_per_table(engine, 502)
    assert all(count >= 1 for count in before.values()), before
    with session_scope(engine) as session:
        delete_personal_data(session=session, chat_id=501)
    assert set(rows_per_table(engine, 501).values()) == {0}
    assert rows_per_table(engine, 502) == before
    with engine.connect() as connection:
        assert connection.execute(text("select count(*) from wave")).scalar_one() == 1
