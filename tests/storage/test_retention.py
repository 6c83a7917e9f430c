"""The retention policy removes what is older than its setting and keeps the rest."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, select
from support.keys import Keys
from support.keys import keys as keys_fixture
from typer.testing import CliRunner

from bot.cli import app
from storage.db import session_scope
from storage.models import ConversationState, HandoffTicket, Outbox, VerificationCode
from storage.models_inbox import InboxUpdate
from storage.models_outbox import DeliveryAttempt, KtpBlob
from storage.models_staff import AuditLog, TicketEvent
from storage.retention import RetentionPolicy, apply_retention

keys = keys_fixture
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
POLICY = RetentionPolicy(ktp_days=30, payload_days=30, audit_days=365, conversation_days=180)


def add_pair(session: Session, age: timedelta, n: int) -> None:
    """Adds one row of every kind the policy covers, `age` old."""
    at = NOW - age
    session.add(KtpBlob(idempotency_key=f"k{n}", chat_id=n, ciphertext=b"c", created_at=at))
    session.add(InboxUpdate(update_id=n, chat_id=n, payload={"t": n}, status="done",
                            received_at=at))
    session.add(VerificationCode(chat_id=n, purpose="email", target="x", code_hash="h",
                                 created_at=at, expires_at=at))
    session.add(AuditLog(actor_id=1, actor_role="staff", action="lookup", created_at=at))
    session.add(ConversationState(chat_id=n, updated_at=at))
    ticket = HandoffTicket(chat_id=n, reason="r", status="closed", created_at=at, closed_at=at)
    row = Outbox(kind="registration", chat_id=n, destination="platform", status="delivered",
                 created_at=at, payload={"registration": {"nik": "3273014508900001"},
                                         "ack": {"registration_id": f"ref-{n}"}})
    session.add_all([ticket, row])
    session.flush()
    session.add(TicketEvent(ticket_id=ticket.id or 0, chat_id=n, kind="closed"))
    session.add(DeliveryAttempt(outbox_id=row.id or 0, attempt=1, outcome="delivered"))


def count(engine: Engine, model: type[SQLModel]) -> int:
    with Session(engine) as session:
        return int(session.execute(select(func.count()).select_from(model)).scalar_one())


def test_old_data_goes_and_recent_data_stays(engine: Engine) -> None:
    with session_scope(engine) as session:
        add_pair(session, timedelta(days=400), 1)
        add_pair(session, timedelta(days=1), 2)
    removed = apply_retention(engine, POLICY, now=NOW)
    assert removed == {"ktp_images": 1, "outbox_payloads": 1, "inbox_updates": 1,
                       "verification_codes": 1, "audit_rows": 1, "conversations": 1,
                       "closed_tickets": 1}
    for model in (KtpBlob, InboxUpdate, VerificationCode, AuditLog, ConversationState,
                  HandoffTicket, TicketEvent, DeliveryAttempt, Outbox):
        assert count(engine, model) == (2 if model is Outbox else 1), model.__name__
    with Session(engine) as session:
        old, recent = (session.exec(select(Outbox).where(Outbox.chat_id == n)).one()
                       for n in (1, 2))
    assert "registration" not in old.payload and old.payload["ack"]["registration_id"] == "ref-1"
    assert old.destination == "-"
    assert recent.payload["registration"]["nik"] == "3273014508900001"
    again = apply_retention(engine, POLICY, now=NOW)
    assert set(again.values()) == {0}  # a second run finds nothing more to do


def test_retention_cli_shows_and_runs(sqlite_engine: Engine, keys: Keys,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", sqlite_engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("RETENTION_AUDIT_DAYS", "7")
    keys.use(keys.old)  # the CLI reads the settings above, not those cached by other tests
    shown = CliRunner().invoke(app, ["retention", "show"])
    with session_scope(sqlite_engine) as session:
        session.add(AuditLog(actor_id=1, actor_role="staff", action="lookup",
                             created_at=datetime.now(UTC) - timedelta(days=8)))
    ran = CliRunner().invoke(app, ["retention", "run"])
    assert shown.exit_code == 0 and "Log audit petugas: 7 hari" in shown.output
    assert ran.exit_code == 0 and "audit_rows: 1" in ran.output
    assert count(sqlite_engine, AuditLog) == 0
