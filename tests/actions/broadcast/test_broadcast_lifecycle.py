"""Broadcast lifecycle, audiences resolved in SQL and the claim queue, on SQLite and PostgreSQL."""

from __future__ import annotations

import sys
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from actions import broadcasts
from actions.broadcasts import (
    BroadcastError,
    activate_due,
    broadcast_progress,
    claim_batch,
    create_broadcast,
    create_notifications,
    pause_broadcast,
    resume_broadcast,
    start_broadcast,
)
from actions.subscriptions import mark_blocked, set_opted_out, set_topic, subscribe
from storage.db import session_scope
from storage.models import Applicant, utcnow
from storage.models_broadcast import BroadcastRecipient

WAVE = {"wave": "13", "dates": "3 Maret 2025"}


def seed(engine: Engine) -> None:
    """Creates chats 1..6: plain, opted out, opted out + topic, blocked, registered, unfinished."""
    with session_scope(engine) as session:
        for chat_id in range(1, 7):
            subscribe(session=session, chat_id=chat_id, first_name=f"Orang{chat_id}")
        set_opted_out(session=session, chat_id=2, opted_out=True)
        set_opted_out(session=session, chat_id=3, opted_out=True)
        set_topic(session=session, chat_id=3, topic="gelombang_dibuka", enabled=True)
        mark_blocked(session=session, chat_ids=[4])
        session.add(Applicant(chat_id=5, registration_completed_at=utcnow()))
        session.add(Applicant(chat_id=6))


def recipients(engine: Engine, broadcast_id: int) -> set[int]:
    with Session(engine) as session:
        return set(session.scalars(select(col(BroadcastRecipient.chat_id)).where(
            col(BroadcastRecipient.broadcast_id) == broadcast_id)))


def launch(engine: Engine, audience: str, template: str = "gelombang_dibuka") -> int:
    with session_scope(engine) as session:
        broadcast = create_broadcast(session=session, template=template, audience=audience,
                                     params=WAVE, created_by="test")
        start_broadcast(session=session, broadcast_id=broadcast.id or 0)
        return broadcast.id or 0


@pytest.mark.parametrize(
    ("audience", "expected"),
    [("all", {1, 3, 5, 6}), ("registered", {5}), ("not_registered", {1, 3, 6}),
     ("topic:gelombang_dibuka", {3})],
)
def test_audiences_respect_opt_outs_topics_and_blocks(
    engine: Engine, audience: str, expected: set[int]
) -> None:
    seed(engine)

    broadcast_id = launch(engine, audience)

    assert recipients(engine, broadcast_id) == expected


def test_wave_audience_needs_a_provider_and_uses_it(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(engine)
    monkeypatch.setattr(broadcasts, "_providers", {})
    monkeypatch.setitem(sys.modules, "actions.waves", None)  # as if no waves module existed
    with pytest.raises(BroadcastError, match="wave"):
        launch(engine, "wave:13")

    broadcasts.register_audience_provider(
        "wave", lambda n: select(col(Applicant.chat_id)).where(col(Applicant.chat_id) >= 13 - 8))
    broadcast_id = launch(engine, "wave:13")

    assert recipients(engine, broadcast_id) == {5, 6}


def test_create_checks_template_params_and_audience(engine: Engine) -> None:
    with session_scope(engine) as session:
        with pytest.raises(BroadcastError, match="dates"):
            create_broadcast(session=session, template="gelombang_dibuka", audience="all",
                             params={"wave": "13"}, created_by="t")
        with pytest.raises(BroadcastError, match="template"):
            create_broadcast(session=session, template="../etc", audience="all",
                             params=WAVE, created_by="t")
        with pytest.raises(BroadcastError, match="audiens"):
            create_broadcast(session=session, template="gelombang_dibuka", audience="semua",
                             params=WAVE, created_by="t")


def test_pause_resume_and_progress(engine: Engine) -> None:
    seed(engine)
    broadcast_id = launch(engine, "all")
    with session_scope(engine) as session:
        pause_broadcast(session=session, broadcast_id=broadcast_id)
        claimed_while_paused = broadcasts.running_broadcasts(session=session)
        resume_broadcast(session=session, broadcast_id=broadcast_id)
        claim_batch(session=session, broadcast_id=broadcast_id, worker="w", limit=1, now=utcnow())
    with Session(engine) as session:
        progress = broadcast_progress(session=session, broadcast_id=broadcast_id)

    assert claimed_while_paused == []
    assert (progress.broadcast.status, progress.pending, progress.sending) == ("running", 3, 1)
    assert progress.remaining == 4
    assert progress.eta is None  # nothing sent yet, so no rate to project


def test_scheduled_broadcast_starts_only_when_due(engine: Engine) -> None:
    seed(engine)
    now = utcnow()
    with session_scope(engine) as session:
        broadcast = create_broadcast(session=session, template="gelombang_dibuka", audience="all",
                                     params=WAVE, created_by="t",
                                     scheduled_at=now + timedelta(hours=1))
        started = start_broadcast(session=session, broadcast_id=broadcast.id or 0, now=now).status
        early = activate_due(session=session, now=now)
        due = activate_due(session=session, now=now + timedelta(hours=1))

    assert started == "scheduled"
    assert (early, due) == ([], [broadcast.id])
    assert recipients(engine, broadcast.id or 0) == {1, 3, 5, 6}


def test_claims_of_two_workers_are_disjoint(engine: Engine) -> None:
    seed(engine)
    broadcast_id = launch(engine, "all")
    with session_scope(engine) as session:
        first = claim_batch(session=session, broadcast_id=broadcast_id, worker="a", limit=3,
                            now=utcnow())
    with session_scope(engine) as session:
        second = claim_batch(session=session, broadcast_id=broadcast_id, worker="b", limit=3,
                             now=utcnow())

    assert len(first) == 3
    assert len(second) == 1
    assert {r.chat_id for r in first}.isdisjoint({r.chat_id for r in second})


def test_result_notifications_ignore_opt_out_but_skip_blocked(engine: Engine) -> None:
    seed(engine)
    with session_scope(engine) as session:
        broadcast = create_notifications(
            session=session, template="hasil_seleksi", created_by="lottery",
            params={"wave": "13"},
            per_chat={2: {"result": "Lolos", "reason": ""},
                      4: {"result": "Belum lolos", "reason": "Kuota penuh"}})

    assert broadcast.status == "running"
    assert recipients(engine, broadcast.id or 0) == {2}
