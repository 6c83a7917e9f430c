"""The inbox: sealed payloads, update_id order per chat, owed replies, dead letters, pruning."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from storage.db import is_sqlite, session_scope
from storage.inbox import CHATS_WITH_WORK, DEPTH, NEXT_WAITING, PRUNE, Inbox, InboxJournal
from storage.models import utcnow

NIK = "3273010101900001"
CHAT = 5


def update(update_id: int, chat: int = CHAT, text_: str = NIK) -> dict[str, Any]:
    return {"update_id": update_id, "message": {"message_id": update_id, "date": 0,
                                                "chat": {"id": chat, "type": "private"},
                                                "text": text_}}


def row(engine: Engine, update_id: int) -> Any:
    with engine.connect() as connection:
        return connection.execute(text("SELECT * FROM inbox_update WHERE update_id = :u"),
                                  {"u": update_id}).first()


def run_turn(journal: InboxJournal, engine: Engine) -> bool:
    """Opens and closes the journal in one transaction, as Conversation.handle does."""
    with session_scope(engine) as session:
        if not journal.open(session):
            return False
        journal.close(session, object())
    return True


def calls(_turn: object) -> list[dict[str, Any]]:
    return [{"method": "sendMessage", "chat_id": CHAT, "text": f"NIK Anda {NIK}"}]


def test_waiting_payload_is_sealed_and_dropped_once_processed(engine: Engine) -> None:
    inbox = Inbox(engine, worker="a")
    assert inbox.add(1, CHAT, update(1))
    stored = row(engine, 1)
    assert stored.payload is None and NIK not in stored.sealed
    waiting = inbox.next_waiting(CHAT)
    assert waiting is not None and waiting.payload == update(1)

    assert run_turn(inbox.journal(1, CHAT, encode=calls, arriving=False), engine)
    replying = row(engine, 1)
    assert replying.status == "replying" and replying.sealed is None
    assert NIK not in replying.replies
    inbox.sent([1])
    done = row(engine, 1)
    assert (done.status, done.replies, done.sealed, done.payload) == ("done", None, None, None)


def test_a_redelivered_update_id_is_recognised(engine: Engine) -> None:
    inbox = Inbox(engine, worker="a")
    assert inbox.add(1, CHAT, update(1))
    assert not inbox.add(1, CHAT, update(1))
    assert run_turn(inbox.journal(2, CHAT, encode=lambda _t: [], arriving=True), engine) is False
    assert run_turn(inbox.journal(1, CHAT, encode=lambda _t: [], arriving=False), engine)
    second = inbox.journal(1, CHAT, encode=lambda _t: [], arriving=False)
    assert not run_turn(second, engine) and second.outcome == "duplicate"
    assert row(engine, 1).status == "done"


def test_a_chat_runs_in_update_id_order(engine: Engine) -> None:
    inbox = Inbox(engine, worker="a")
    inbox.add_many([(11, CHAT, update(11)), (10, CHAT, update(10)), (12, 6, update(12, 6))])
    later = inbox.journal(11, CHAT, encode=lambda _t: [], arriving=False)
    assert not run_turn(later, engine) and later.outcome == "busy"
    other_chat = inbox.journal(12, 6, encode=lambda _t: [], arriving=False)
    assert run_turn(other_chat, engine)
    waiting = inbox.next_waiting(CHAT)
    assert waiting is not None and waiting.update_id == 10
    assert run_turn(inbox.journal(10, CHAT, encode=lambda _t: [], arriving=False), engine)
    assert run_turn(inbox.journal(11, CHAT, encode=lambda _t: [], arriving=False), engine)


def test_another_workers_unsent_replies_hold_the_chat_until_their_lease_ends(
    engine: Engine,
) -> None:
    first, second = Inbox(engine, worker="a"), Inbox(engine, worker="b")
    assert run_turn(first.journal(1, CHAT, encode=calls, arriving=True), engine)
    # Worker a holds the chat's owed replies: b must not answer the next update before them.
    blocked = second.journal(2, CHAT, encode=calls, arriving=True)
    assert not run_turn(blocked, engine) and blocked.outcome == "busy"
    assert run_turn(first.journal(2, CHAT, encode=calls, arriving=True), engine)
    assert second.claim_owed(CHAT) == []
    expired = Inbox(engine, worker="b", lease=timedelta(seconds=-1))
    owed = expired.claim_owed(CHAT)
    assert [o.update_id for o in owed] == [1, 2]
    assert owed[0].calls == calls(None)


def test_restarted_poller_claims_owed_replies_at_once(engine: Engine) -> None:
    killed = Inbox(engine, worker="poller:1")
    assert run_turn(killed.journal(1, CHAT, encode=calls, arriving=True), engine)
    restarted = Inbox(engine, worker="poller:2")
    assert restarted.chats_with_work() == []
    restarted.release_all()
    assert restarted.chats_with_work() == [CHAT]
    assert [o.update_id for o in restarted.claim_owed(CHAT)] == [1]


def test_failing_update_is_dead_lettered_and_stops_blocking(
    engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    inbox = Inbox(engine, worker="a", max_attempts=3)
    inbox.add_many([(1, CHAT, update(1)), (2, CHAT, update(2))])
    with caplog.at_level(logging.ERROR, logger="storage.inbox"):
        assert [inbox.failed(1, CHAT, update(1)) for _ in range(3)] == [False, False, True]
    assert "ALERT dead letter: update 1 of chat 5 failed 3 times" in caplog.text
    assert NIK not in caplog.text
    assert row(engine, 1).status == "dead"
    waiting = inbox.next_waiting(CHAT)
    assert waiting is not None and waiting.update_id == 2


def test_failure_of_an_update_that_never_waited_stores_it_sealed(engine: Engine) -> None:
    inbox = Inbox(engine, worker="a")
    assert not inbox.failed(7, CHAT, update(7))
    stored = row(engine, 7)
    assert (stored.status, stored.attempts) == ("pending", 1) and NIK not in stored.sealed


def test_prune_keeps_ids_a_day_and_dead_letters_a_week(engine: Engine) -> None:
    inbox = Inbox(engine, worker="a", keep=timedelta(hours=24), keep_dead=timedelta(days=7))
    now = utcnow()
    ages = {1: ("done", timedelta(hours=30)), 2: ("done", timedelta(hours=2)),
            3: ("dead", timedelta(days=8)), 4: ("dead", timedelta(days=1)),
            5: ("pending", timedelta(days=3))}
    with engine.begin() as connection:
        for update_id, (status, age) in ages.items():
            connection.execute(text(
                "INSERT INTO inbox_update (update_id, chat_id, status, attempts, received_at, "
                "done_at) VALUES (:u, 5, :s, 0, :t, :d)"),
                {"u": update_id, "s": status, "t": now - age,
                 "d": now - age if status == "done" else None})
    assert inbox.prune(now) == 2
    with engine.connect() as connection:
        left = connection.execute(text("SELECT update_id FROM inbox_update ORDER BY 1")).all()
    assert [r.update_id for r in left] == [2, 4, 5]


def test_every_sweeper_query_has_an_index(engine: Engine) -> None:
    if is_sqlite(str(engine.url)):
        pytest.skip("the plans that matter at 28 M rows are PostgreSQL's")
    now = utcnow()
    queries = {
        "chats_with_work": (CHATS_WITH_WORK, {"expired": now, "n": 100}),
        "depth": (DEPTH, {}),
        "next_waiting": (NEXT_WAITING, {"c": CHAT, "w": "a", "expired": now}),
        "prune done": (PRUNE.format(status="done", column="done_at"), {"cut": now, "n": 10}),
        "prune dead": (PRUNE.format(status="dead", column="received_at"), {"cut": now, "n": 10}),
    }
    with engine.begin() as connection:
        connection.execute(text("SET LOCAL enable_seqscan = off"))  # "can an index serve it?"
        for name, (query, params) in queries.items():
            plan = "\n".join(r[0] for r in connection.execute(text("EXPLAIN " + query), params))
            assert "Seq Scan on inbox_update" not in plan, f"{name}:\n{plan}"
            assert "ix_inbox_" in plan or "inbox_update_pkey" in plan, f"{name}:\n{plan}"
