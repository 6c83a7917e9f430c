"""Handoff tickets: open with queue position and expected wait, take atomically, close, rate.

Tickets are rows of `handoffticket` (storage.models) with the staff columns of migration 0005,
so they survive restarts. Status goes open → taken → closed; the take is one conditional UPDATE,
so two staff pressing /ambil at once cannot both win.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any, Literal

from sqlalchemy import delete, func, or_, select, update
from sqlmodel import Session, col

from actions.staff import active_staff_count
from actions.staff_hours import (
    OpeningHours,
    OpeningHoursError,
    WaitEstimate,
    estimate_wait,
    hours_label,
    parse_opening_hours,
)
from actions.ticket_alerts import bot_has_turn, queue_alerts
from flows.staff_texts import staff_entry, staff_text
from flows.texts import text
from storage.models import utcnow
from storage.models_staff import HANDOFF, TicketEvent, TroubleshootingWalk
from storage.repositories import open_handoff
from storage.settings import Settings, get_settings

logger = logging.getLogger(__name__)

ALWAYS_OPEN = "Mon-Sun 00:00-24:00"
DEFAULT_HANDLE_MINUTES = 6.0  # until enough tickets were closed to measure it
HANDLE_SAMPLE = 20
TakeOutcome = Literal["taken", "gone", "missing", "busy"]


@dataclass(frozen=True, slots=True)
class Ticket:
    """A handoff ticket as the staff side sees it."""

    id: int
    chat_id: int
    reason: str
    status: str
    created_at: datetime
    closed_at: datetime | None
    assigned_staff_id: int | None
    staff_chat_id: int | None
    taken_at: datetime | None
    rating: int | None


@dataclass(frozen=True, slots=True)
class Route:
    """Where a message from a chat in a taken ticket goes."""

    ticket: Ticket
    to_chat_id: int
    from_applicant: bool


def _ticket(row: Any) -> Ticket:
    return Ticket(id=row.id, chat_id=row.chat_id, reason=row.reason, status=row.status,
                  created_at=row.created_at, closed_at=row.closed_at,
                  assigned_staff_id=row.assigned_staff_id, staff_chat_id=row.staff_chat_id,
                  taken_at=row.taken_at, rating=row.rating)


def _select_tickets(*conditions: Any) -> Any:
    return select(HANDOFF).where(*conditions).order_by(HANDOFF.c.id)


def get_ticket(*, session: Session, ticket_id: int) -> Ticket | None:
    """Returns the ticket, if it exists."""
    row = session.execute(_select_tickets(HANDOFF.c.id == ticket_id)).first()
    return _ticket(row) if row is not None else None


def log_event(
    *, session: Session, ticket: Ticket, kind: str, staff_id: int | None = None, detail: str = "",
) -> None:
    """Records what happened to a ticket (never message contents)."""
    session.add(TicketEvent(ticket_id=ticket.id, chat_id=ticket.chat_id, kind=kind,
                            staff_id=staff_id, detail=detail[:80]))


def open_ticket(
    *, session: Session, chat_id: int, reason: str, settings: Settings | None = None,
) -> Ticket:
    """Opens a ticket for the chat (alerting staff on duty), or returns its open one."""
    handoff = open_handoff(session=session, chat_id=chat_id, reason=reason)
    ticket = get_ticket(session=session, ticket_id=handoff.id or 0)
    assert ticket is not None  # just flushed
    if not _has_events(session, ticket.id):  # a new ticket, not the chat's waiting one
        log_event(session=session, ticket=ticket, kind="opened", detail=reason)
        queue_alerts(session=session, settings=settings or get_settings(), ticket_id=ticket.id,
                     chat_id=chat_id, reason=ticket.reason)
    return ticket


def _has_events(session: Session, ticket_id: int) -> bool:
    query = select(col(TicketEvent.id)).where(col(TicketEvent.ticket_id) == ticket_id).limit(1)
    return session.execute(query).first() is not None


def open_queue(*, session: Session) -> list[Ticket]:
    """Returns the tickets waiting for a person, oldest first."""
    return [_ticket(r) for r in session.execute(_select_tickets(HANDOFF.c.status == "open"))]


def taken_count(*, session: Session) -> int:
    """Returns how many tickets staff are handling now."""
    query = select(func.count()).select_from(HANDOFF).where(HANDOFF.c.status == "taken")
    return int(session.execute(query).scalar_one())


def queue_position(*, session: Session, ticket_id: int) -> int:
    """Returns the 1-based place of an open ticket in the queue (0 when it is not waiting)."""
    ticket = get_ticket(session=session, ticket_id=ticket_id)
    if ticket is None or ticket.status != "open":
        return 0
    query = select(func.count()).select_from(HANDOFF).where(
        HANDOFF.c.status == "open", HANDOFF.c.id <= ticket_id)
    return int(session.execute(query).scalar_one())


def handle_minutes(*, session: Session) -> float:
    """Returns the mean minutes staff spent on the latest closed tickets."""
    query = (select(HANDOFF.c.taken_at, HANDOFF.c.closed_at)
             .where(HANDOFF.c.taken_at.is_not(None), HANDOFF.c.closed_at.is_not(None))
             .order_by(HANDOFF.c.closed_at.desc()).limit(HANDLE_SAMPLE))
    spans = [(closed - taken).total_seconds() / 60 for taken, closed in session.execute(query)]
    return sum(spans) / len(spans) if spans else DEFAULT_HANDLE_MINUTES


def expected_wait_minutes(*, session: Session, position: int, staff_count: int) -> int:
    """Returns the expected wait: the tickets ahead served by the staff in parallel."""
    if position <= 0:
        return 0
    minutes = position * handle_minutes(session=session) / max(staff_count, 1)
    return max(1, math.ceil(minutes))


@cache
def _hours(raw: str, zone: str) -> OpeningHours:
    try:
        return parse_opening_hours(raw, zone)
    except OpeningHoursError as error:
        # A typo in the setting must not break every handoff: estimate as if always open.
        logger.warning("STAFF_OPENING_HOURS/STAFF_TIMEZONE ignored: %s", error)
        return parse_opening_hours(ALWAYS_OPEN, "Asia/Jakarta")


def opening_hours(settings: Settings) -> OpeningHours:
    """Returns the desk's opening hours from STAFF_OPENING_HOURS and STAFF_TIMEZONE."""
    return _hours(settings.staff_opening_hours, settings.staff_timezone)


def wait_estimate(
    *, session: Session, settings: Settings, position: int, now: datetime | None = None,
    staff_count: int | None = None,
) -> WaitEstimate:
    """Returns when the ticket at `position` can expect a person, counting open hours only."""
    count = staff_count or active_staff_count(session=session, settings=settings)
    return estimate_wait(opening_hours(settings), now or utcnow(), position=position,
                         handle_minutes=handle_minutes(session=session), staff_count=count)


def _moment(at: datetime, now: datetime, settings: Settings) -> str:
    local, today = at.astimezone(opening_hours(settings).zone), now.astimezone(at.tzinfo)
    values = {"time": local.strftime("%H.%M"), "zone": zone_label(settings),
              "day": staff_entry("day_names")[local.weekday()]}
    days = (local.date() - today.date()).days
    key = "when_today" if days == 0 else "when_tomorrow" if days == 1 else "when_day"
    return staff_text(key, **values)


def zone_label(settings: Settings) -> str:
    """Returns WIB/WITA/WIT for the desk's time zone (the zone name for any other)."""
    return str(staff_entry("zone_labels").get(settings.staff_timezone, settings.staff_timezone))


def hours_text(settings: Settings) -> str:
    """Returns the opening hours as applicants read them ("Senin–Jumat 08.00–17.00 WIB")."""
    days = [str(day) for day in staff_entry("day_names")]
    return hours_label(settings.staff_opening_hours, days, zone_label(settings))


def wait_text(
    *, session: Session, settings: Settings, position: int, now: datetime | None = None,
    staff_count: int | None = None,
) -> str:
    """Returns the queue place with the wait: minutes when open, else when staff are back."""
    moment = now or utcnow()
    estimate = wait_estimate(session=session, settings=settings, position=position, now=moment,
                             staff_count=staff_count)
    when = _moment(estimate.served_at, moment, settings)
    if estimate.before_closing:
        return staff_text("queue_position", position=position, minutes=estimate.minutes)
    if estimate.open_now:
        return staff_text("queue_position_later", position=position, when=when,
                          hours=hours_text(settings))
    back = _moment(estimate.back_at or estimate.served_at, moment, settings)
    return staff_text("queue_position_closed", position=position, back=back, when=when,
                      hours=hours_text(settings))


def handoff_text(
    *, session: Session, chat_id: int, reason: str, staff_count: int | None = None,
    settings: Settings | None = None, now: datetime | None = None,
) -> str:
    """Opens (or finds) the chat's ticket; returns the confirmation with queue place and wait."""
    config = settings or get_settings()
    ticket = open_ticket(session=session, chat_id=chat_id, reason=reason, settings=config)
    position = queue_position(session=session, ticket_id=ticket.id)
    opened = text("handoff_opened", ticket=ticket.id)
    wait = wait_text(session=session, settings=config, position=position, now=now,
                     staff_count=staff_count)
    return f"{opened}\n\n{wait}"


def active_ticket_of_staff(*, session: Session, staff_chat_id: int) -> Ticket | None:
    """Returns the ticket this staff chat is handling now, if any."""
    row = session.execute(_select_tickets(HANDOFF.c.status == "taken",
                                          HANDOFF.c.staff_chat_id == staff_chat_id)).first()
    return _ticket(row) if row is not None else None


def take_ticket(
    *, session: Session, ticket_id: int, staff_id: int, staff_chat_id: int,
    now: datetime | None = None,
) -> TakeOutcome:
    """Assigns an open ticket to a staff member; exactly one of concurrent takers wins."""
    if active_ticket_of_staff(session=session, staff_chat_id=staff_chat_id) is not None:
        return "busy"
    result = session.execute(
        update(HANDOFF)
        .where(HANDOFF.c.id == ticket_id, HANDOFF.c.status == "open")
        .values(status="taken", assigned_staff_id=staff_id, staff_chat_id=staff_chat_id,
                taken_at=now or utcnow())
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return "missing" if get_ticket(session=session, ticket_id=ticket_id) is None else "gone"
    ticket = get_ticket(session=session, ticket_id=ticket_id)
    assert ticket is not None
    log_event(session=session, ticket=ticket, kind="taken", staff_id=staff_id)
    return "taken"


def route(*, session: Session, chat_id: int, button: str | None = None) -> Route | None:
    """Returns where a message (or a pressed button) from this chat must be relayed while a
    ticket is taken; None when nothing is taken or the bot has the applicant's turn."""
    row = session.execute(_select_tickets(
        HANDOFF.c.status == "taken",
        or_(HANDOFF.c.chat_id == chat_id, HANDOFF.c.staff_chat_id == chat_id))).first()
    if row is None:
        return None
    ticket = _ticket(row)
    if ticket.chat_id == chat_id and bot_has_turn(session, chat_id=chat_id, ticket_id=ticket.id,
                                                  button=button):
        return None  # the bot is asking this applicant a step on the staff's behalf
    if ticket.chat_id == chat_id:
        return Route(ticket=ticket, to_chat_id=ticket.staff_chat_id or 0, from_applicant=True)
    return Route(ticket=ticket, to_chat_id=ticket.chat_id, from_applicant=False)


def close_ticket(
    *, session: Session, staff_chat_id: int, now: datetime | None = None,
) -> Ticket | None:
    """Closes the ticket this staff chat is handling; returns it, or None when there is none."""
    ticket = active_ticket_of_staff(session=session, staff_chat_id=staff_chat_id)
    if ticket is None:
        return None
    result = session.execute(
        update(HANDOFF).where(HANDOFF.c.id == ticket.id, HANDOFF.c.status == "taken")
        .values(status="closed", closed_at=now or utcnow()))
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return None
    log_event(session=session, ticket=ticket, kind="closed", staff_id=ticket.assigned_staff_id)
    session.execute(delete(TroubleshootingWalk).where(
        col(TroubleshootingWalk.ticket_id) == ticket.id))
    return get_ticket(session=session, ticket_id=ticket.id)


def rate_ticket(
    *, session: Session, ticket_id: int, chat_id: int, score: int, now: datetime | None = None,
) -> Ticket | None:
    """Stores the applicant's 1–5 rating of a closed ticket once; None when not allowed."""
    if not 1 <= score <= 5:
        return None
    result = session.execute(
        update(HANDOFF)
        .where(HANDOFF.c.id == ticket_id, HANDOFF.c.chat_id == chat_id,
               HANDOFF.c.status == "closed", HANDOFF.c.rating.is_(None))
        .values(rating=score, rated_at=now or utcnow()))
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return None
    ticket = get_ticket(session=session, ticket_id=ticket_id)
    assert ticket is not None
    log_event(session=session, ticket=ticket, kind="rated", detail=str(score))
    return ticket


def open_tickets_of_chat(*, session: Session, chat_id: int) -> list[Ticket]:
    """Returns the chat's tickets that are not closed."""
    rows = session.execute(_select_tickets(HANDOFF.c.chat_id == chat_id,
                                           HANDOFF.c.status != "closed"))
    return [_ticket(r) for r in rows]


def erase_ticket_history(*, session: Session, chat_id: int) -> None:
    """Removes the staff-side records of a chat (for the UU PDP right to erasure)."""
    session.execute(delete(TicketEvent).where(col(TicketEvent.chat_id) == chat_id))
    session.execute(delete(TroubleshootingWalk).where(col(TroubleshootingWalk.chat_id) == chat_id))
