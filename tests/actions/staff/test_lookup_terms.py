"""/cari with a term too long for the audit log, or with control characters: refused, audited."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from actions.lookup import MAX_TERM, REFUSED_TERM, lookup
from flows.staff_desk import StaffDesk
from storage.db import session_scope
from storage.models_staff import AuditLog
from storage.settings import Settings


@pytest.mark.parametrize("term", ["9" * (MAX_TERM + 1), "x" * 500, "siti\x00@example.com"])
def test_refused_term_is_audited_on_every_database(engine: Engine, term: str) -> None:
    with session_scope(engine) as session:
        assert lookup(session=session, query=term, actor_id=9001, actor_role="staff") == []
    with Session(engine) as session:
        audit = session.exec(select(AuditLog)).one()
    assert (audit.actor_id, audit.result_count, audit.query_masked) == (9001, 0, REFUSED_TERM)


def test_staff_get_a_clear_answer_for_a_long_term(engine: Engine) -> None:
    desk = StaffDesk(engine, Settings(staff_telegram_ids="77"))
    deliveries = desk.command(user_id=77, chat_id=77, text="/cari " + "a" * 200)
    assert deliveries is not None
    shown = "\n".join(d.reply.text for d in deliveries)
    assert "terlalu panjang" in shown and "log audit" in shown
    with Session(engine) as session:
        assert session.exec(select(AuditLog)).one().query_masked == REFUSED_TERM
