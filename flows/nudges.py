"""Reminders for registrations left halfway: one after 24 h, one after 72 h, never at night."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from actions.outbox.registration import notify
from flows.basic_test_expiry import push_expired_results
from flows.texts import text
from flows.validators.timezones import WIB, zone_for_province
from storage.db import session_scope
from storage.models import Applicant, ConversationState, utcnow
from storage.models_broadcast import Subscriber
from storage.models_nudges import Nudge

AFTER = (timedelta(hours=24), timedelta(hours=72))
TEXT_KEYS = ("nudge_first", "nudge_second")
QUIET_FROM, QUIET_UNTIL = 21, 7  # local hours: no reminder between 21.00 and 07.00


@dataclass(frozen=True, slots=True)
class Candidate:
    """A chat that stopped registering, with what is known about it."""

    state: ConversationState
    applicant: Applicant


def run_nudges(engine: Engine, now: datetime | None = None) -> int:
    """Runs one round (reminders, expired test results) in one transaction; returns the count."""
    moment = now or utcnow()
    with session_scope(engine) as session:
        return send_due_nudges(session, now=moment) + push_expired_results(session, now=moment)


def send_due_nudges(session: Session, *, now: datetime, limit: int = 1000) -> int:
    """Queues every reminder due now (outside the person's quiet hours); returns the count."""
    sent = 0
    for candidate in _stalled(session, now=now - AFTER[0], limit=limit):
        nudge = session.get(Nudge, candidate.state.chat_id)
        count = _count_since_activity(nudge, candidate.state)
        if count >= len(AFTER) or _aware(candidate.state.updated_at) > now - AFTER[count]:
            continue
        if _quiet(now, candidate.applicant) or _opted_out(session, candidate.state.chat_id):
            continue
        notify(session, chat_id=candidate.state.chat_id, channel=candidate.applicant.channel,
               text_=text(TEXT_KEYS[count], step=_step_name(candidate.state)))
        session.merge(Nudge(chat_id=candidate.state.chat_id, sent=count + 1, last_at=now))
        sent += 1
    return sent


def _stalled(session: Session, *, now: datetime, limit: int) -> list[Candidate]:
    """Returns chats inside the registration flow whose last activity is older than `now`."""
    rows = session.exec(
        select(ConversationState, Applicant)
        .join(Applicant, col(Applicant.chat_id) == col(ConversationState.chat_id))
        .where(col(ConversationState.step).is_not(None),
               col(Applicant.registration_completed_at).is_(None),
               col(ConversationState.updated_at) <= now)
        .order_by(col(ConversationState.updated_at)).limit(limit)
    ).all()
    return [Candidate(state=state, applicant=applicant) for state, applicant in rows]


def _count_since_activity(nudge: Nudge | None, state: ConversationState) -> int:
    """Returns the reminders sent since the person last wrote (a new message starts over)."""
    if nudge is None or _aware(state.updated_at) > _aware(nudge.last_at):
        return 0
    return nudge.sent


def _quiet(now: datetime, applicant: Applicant) -> bool:
    zone = zone_for_province((applicant.nik or "")[:2]) or WIB
    hour = _aware(now).astimezone(zone).hour
    return hour >= QUIET_FROM or hour < QUIET_UNTIL


def _opted_out(session: Session, chat_id: int) -> bool:
    subscriber = session.exec(select(Subscriber).where(Subscriber.chat_id == chat_id)).first()
    return subscriber is not None and subscriber.opted_out


def _step_name(state: ConversationState) -> str:
    from flows.definition import load_flow

    flow = load_flow("registration")
    step = flow.steps.get(state.step or "")
    return text("nudge_step", number=step.number) if step is not None else ""


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
