"""Subscriptions to announcements: /start subscribes, /berhenti opts out, topics are opt-ins."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, col

from storage.models import utcnow
from storage.models_broadcast import Subscriber

TOPICS = ("gelombang_dibuka", "hasil_seleksi")


def topic_list(subscriber: Subscriber) -> list[str]:
    """Returns the topics the subscriber opted into, in stored order."""
    return [topic for topic in subscriber.topics.split(",") if topic]


def topic_pattern(topic: str) -> str:
    """Returns the LIKE pattern matching subscribers opted into `topic`."""
    return f"%,{topic},%"


def _check_topic(topic: str) -> None:
    if topic not in TOPICS:
        raise ValueError(f"unknown topic {topic!r}; known: {', '.join(TOPICS)}")


def get_subscriber(*, session: Session, chat_id: int) -> Subscriber | None:
    """Returns the chat's subscription, if it ever pressed /start."""
    return session.get(Subscriber, chat_id)


def subscribe(
    *, session: Session, chat_id: int, first_name: str | None = None, now: datetime | None = None
) -> tuple[Subscriber, bool]:
    """Subscribes the chat (or reactivates a blocked one); returns it and whether it is new.

    An earlier opt-out is kept: pressing /start again is not consent to announcements.
    """
    now = now or utcnow()
    subscriber = session.get(Subscriber, chat_id)
    created = subscriber is None
    if subscriber is None:
        subscriber = Subscriber(chat_id=chat_id, created_at=now)
    subscriber.active, subscriber.blocked_at, subscriber.updated_at = True, None, now
    if first_name:
        subscriber.first_name = first_name[:64]
    session.add(subscriber)
    session.flush()
    return subscriber, created


def set_opted_out(
    *, session: Session, chat_id: int, opted_out: bool, now: datetime | None = None
) -> Subscriber:
    """Turns general announcements off (/berhenti) or back on for the chat."""
    subscriber, _ = subscribe(session=session, chat_id=chat_id, now=now)
    subscriber.opted_out = opted_out
    session.add(subscriber)
    return subscriber


def set_topic(
    *, session: Session, chat_id: int, topic: str, enabled: bool, now: datetime | None = None
) -> Subscriber:
    """Adds or removes one topic opt-in (e.g. "gelombang_dibuka") for the chat."""
    _check_topic(topic)
    subscriber, _ = subscribe(session=session, chat_id=chat_id, now=now)
    topics = [t for t in topic_list(subscriber) if t != topic] + ([topic] if enabled else [])
    subscriber.topics = f",{','.join(topics)}," if topics else ""
    session.add(subscriber)
    return subscriber


def mark_blocked(*, session: Session, chat_ids: Iterable[int], now: datetime | None = None) -> int:
    """Marks chats that blocked the bot (403) inactive; returns how many rows changed."""
    ids = list(chat_ids)
    if not ids:
        return 0
    now = now or utcnow()
    result = session.execute(
        update(Subscriber)
        .where(col(Subscriber.chat_id).in_(ids))
        .values(active=False, blocked_at=now, updated_at=now)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
