"""When a 15-minute test runs out unfinished, the person is told the result without asking."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from actions.outbox.registration import notify
from actions.senders import OutboxEmailSender, OutboxSmsSender
from actions.server.replies import plain
from flows.basic_test_steps import tell_expired_result
from flows.context import TurnContext
from storage.models_waves import BasicTestAttempt
from storage.repositories import get_or_create_applicant, get_state


def push_expired_results(session: Session, *, now: datetime, limit: int = 500) -> int:
    """Scores attempts whose time ran out and queues each result to its chat; returns the count."""
    chats = session.exec(
        select(BasicTestAttempt.chat_id)
        .where(col(BasicTestAttempt.finished_at).is_(None), col(BasicTestAttempt.deadline_at) < now)
        .limit(limit)
    ).all()
    for chat_id in set(chats):
        ctx = _context(session, chat_id, now)
        if tell_expired_result(ctx):
            # Chat notices go out as plain text: the test texts are Telegram HTML.
            notify(session, chat_id=chat_id, channel=ctx.applicant.channel,
                   text_="\n".join(plain(reply.text) for reply in ctx.replies))
    return len(set(chats))


def _context(session: Session, chat_id: int, now: datetime) -> TurnContext:
    applicant = get_or_create_applicant(session=session, chat_id=chat_id, channel="telegram")
    return TurnContext(session=session, chat_id=chat_id, channel=applicant.channel, now=now,
                       state=get_state(session=session, chat_id=chat_id), applicant=applicant,
                       email_sender=OutboxEmailSender(), sms_sender=OutboxSmsSender())
