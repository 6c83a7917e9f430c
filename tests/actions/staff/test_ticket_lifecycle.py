"""Tickets: queue place and wait, the atomic take (two staff at once), close, rate, restart."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from actions.tickets import (
    close_ticket,
    expected_wait_minutes,
    get_ticket,
    handoff_text,
    open_queue,
    open_ticket,
    queue_position,
    rate_ticket,
    route,
    take_ticket,
)
from storage.db import make_engine, session_scope
from storage.models import utcnow
from storage.models_staff import TicketEvent


def _open(engine: Engine, chat_id: int) -> int:
    with session_scope(engine) as session:
        return open_ticket(session=session, chat_id=chat_id, reason="user_request").id


def _race(engine: Engine, ticket_id: int, staff_ids: tuple[int, ...]) -> list[str]:
    """Lets every staff member take the ticket at the same moment; returns the outcomes."""
    barrier = threading.Barrier(len(staff_ids))
    outcomes: list[str] = []

    def take(staff_id: int) -> None:
        barrier.wait()
        with session_scope(engine) as session:
            outcomes.append(take_ticket(session=session, ticket_id=ticket_id,
                                        staff_id=staff_id, staff_chat_id=staff_id))

    threads = [threading.Thread(target=take, args=(staff_id,)) for staff_id in staff_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def test_concurrent_take_has_exactly_one_winner(engine: Engine) -> None:
    for round_ in range(4):
        ticket_id = _open(engine, 500 + round_)
        staff_ids = (9000 + round_, 9100 + round_)
        assert sorted(_race(engine, ticket_id, staff_ids)) == ["gone", "taken"]
        with Session(engine) as session:
            ticket = get_ticket(session=session, ticket_id=ticket_id)
            assert ticket is not None and ticket.status == "taken"
            takes = session.exec(select(TicketEvent).where(
                TicketEvent.ticket_id == ticket_id, TicketEvent.kind == "taken")).all()
        assert len(takes) == 1 and takes[0].staff_id == ticket.assigned_staff_id


def test_queue_position_wait_and_handoff_text(engine: Engine) -> None:
    first, second = _open(engine, 601), _open(engine, 602)
    with session_scope(engine) as session:
        assert queue_position(session=session, ticket_id=second) == 2
        assert expected_wait_minutes(session=session, position=2, staff_count=1) == 12
        assert expected_wait_minutes(session=session, position=2, staff_count=4) == 3
        message = handoff_text(session=session, chat_id=602, reason="again", staff_count=1)
        assert f"#{second}" in message and "<b>2</b>" in message and "0800 1503 001" in message
        now = utcnow()
        take_ticket(session=session, ticket_id=first, staff_id=9, staff_chat_id=9,
                    now=now - timedelta(minutes=30))
        assert queue_position(session=session, ticket_id=second) == 1
        assert queue_position(session=session, ticket_id=first) == 0
        close_ticket(session=session, staff_chat_id=9, now=now)
        # measured: one ticket took ~30 minutes, so the wait estimate follows it
        assert expected_wait_minutes(session=session, position=1, staff_count=1) == 30
        assert [t.id for t in open_queue(session=session)] == [second]


def test_close_rate_once_and_survive_restart(engine: Engine) -> None:
    ticket_id = _open(engine, 701)
    with session_scope(engine) as session:
        assert take_ticket(session=session, ticket_id=ticket_id, staff_id=8, staff_chat_id=8) \
            == "taken"
        assert take_ticket(session=session, ticket_id=_open_in(session, 702), staff_id=8,
                           staff_chat_id=8) == "busy"
    reopened = make_engine(str(engine.url.render_as_string(hide_password=False)))
    with session_scope(reopened) as session:  # a new process sees the same relay
        to_staff = route(session=session, chat_id=701)
        to_applicant = route(session=session, chat_id=8)
        assert to_staff is not None and to_staff.to_chat_id == 8 and to_staff.from_applicant
        assert to_applicant is not None and to_applicant.to_chat_id == 701
        assert rate_ticket(session=session, ticket_id=ticket_id, chat_id=701, score=5) is None
        closed = close_ticket(session=session, staff_chat_id=8)
        assert closed is not None and closed.status == "closed"
        assert route(session=session, chat_id=701) is None
        assert rate_ticket(session=session, ticket_id=ticket_id, chat_id=999, score=4) is None
        assert rate_ticket(session=session, ticket_id=ticket_id, chat_id=701, score=6) is None
        rated = rate_ticket(session=session, ticket_id=ticket_id, chat_id=701, score=4)
        assert rated is not None and rated.rating == 4
        assert rate_ticket(session=session, ticket_id=ticket_id, chat_id=701, score=1) is None
    reopened.dispose()


def _open_in(session: Session, chat_id: int) -> int:
    return open_ticket(session=session, chat_id=chat_id, reason="x").id
