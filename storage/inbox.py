"""The inbox: the one record of each update_id, sealed payloads while they wait, replies owed.

An update is processed in one transaction that holds its chat (a PostgreSQL advisory lock), checks
that no earlier update of the chat waits, runs the turn and records the outcome on the update's
row: `done`, or `replying` with the Bot API calls still to make (sealed). A worker that dies after
the commit leaves `replying` rows that another worker (or the restarted poller) sends again once
their lease is over. Done rows keep only update_id and chat_id, for as long as Telegram may
redeliver, then the sweeper deletes them.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session

from storage.crypto import personal_data_cipher
from storage.db import is_sqlite
from storage.models import utcnow
from storage.models_inbox import DEAD, DONE, PENDING, REPLYING

logger = logging.getLogger(__name__)

LEASE = timedelta(seconds=60)  # replies claimed longer ago belong to a worker presumed dead
LOCK_NAMESPACE = 7301  # first key of our advisory locks, so other features' locks never clash
PRUNE_LOCK_NAMESPACE = 7302
PRUNE_BATCH = 5000
Calls = list[dict[str, Any]]
Encode = Callable[[Any], Calls]
Outcome = Literal["processed", "duplicate", "busy"]

# Rows of a chat that must be finished before another of its updates may run. A `replying` row
# this worker holds is not one: its calls go out before this worker takes the chat's next update.
_BLOCKING = (
    "chat_id = :c AND status IN ('pending', 'replying') AND update_id <> :u"
    " AND NOT (status = 'replying' AND claimed_by = :w AND claimed_at >= :expired)"
)
NEXT_WAITING = (
    "SELECT update_id, sealed, payload, status FROM inbox_update "
    "WHERE chat_id = :c AND status IN ('pending', 'replying') "
    "AND NOT (status = 'replying' AND claimed_by = :w AND claimed_at >= :expired) "
    "ORDER BY update_id LIMIT 1"
)
CHATS_WITH_WORK = (
    "SELECT DISTINCT chat_id FROM inbox_update WHERE status IN ('pending', 'replying') "
    "AND (status = 'pending' OR claimed_at IS NULL OR claimed_at < :expired) LIMIT :n"
)
DEPTH = "SELECT count(*) FROM inbox_update WHERE status IN ('pending', 'replying')"
PRUNE = (
    "DELETE FROM inbox_update WHERE update_id IN (SELECT update_id FROM inbox_update "
    "WHERE status = '{status}' AND {column} < :cut LIMIT :n)"  # literals: partial indexes
)
_INSERT = (
    "INSERT INTO inbox_update (update_id, chat_id, sealed, status, attempts, received_at) "
    "VALUES (:u, :c, :s, 'pending', :a, :t) ON CONFLICT (update_id) DO NOTHING"
)


class Busy(Exception):
    """The chat is held elsewhere, or an earlier update of it waits: this one must queue."""


@dataclass(frozen=True, slots=True)
class Waiting:
    """An update stored before it could be processed."""

    update_id: int
    chat_id: int
    payload: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Owed:
    """A processed update whose Bot API calls may not have been made."""

    update_id: int
    chat_id: int
    calls: Calls


class Inbox:
    """Stores updates, hands each chat's out in update_id order, and remembers owed replies."""

    def __init__(
        self, engine: Engine, *, worker: str, lease: timedelta = LEASE, max_attempts: int = 5,
        keep: timedelta = timedelta(hours=24), keep_dead: timedelta = timedelta(days=7),
    ) -> None:
        self.engine = engine
        self.worker = worker
        self.lease = lease
        self.max_attempts = max_attempts
        self.keep = keep
        self.keep_dead = keep_dead
        self.sqlite = is_sqlite(str(engine.url))

    # --- arrival ---------------------------------------------------------------------------
    def add(self, update_id: int, chat_id: int, payload: dict[str, Any]) -> bool:
        """Stores an update to wait (sealed); False when its update_id is known (a redelivery)."""
        with self.engine.begin() as connection:
            return self._insert(connection, update_id, chat_id, payload, attempts=0)

    def add_many(self, updates: Iterable[tuple[int, int, dict[str, Any]]]) -> set[int]:
        """Stores a batch in one transaction; returns the chats that got a new update."""
        chats: set[int] = set()
        with self.engine.begin() as connection:
            for update_id, chat_id, payload in updates:
                if self._insert(connection, update_id, chat_id, payload, attempts=0):
                    chats.add(chat_id)
        return chats

    def _insert(
        self, connection: Connection, update_id: int, chat_id: int, payload: dict[str, Any] | None,
        *, attempts: int,
    ) -> bool:
        sealed = seal(payload) if payload is not None else None
        result = connection.execute(text(_INSERT), {"u": update_id, "c": chat_id, "s": sealed,
                                                    "a": attempts, "t": utcnow()})
        return bool(result.rowcount)

    # --- processing --------------------------------------------------------------------------
    def next_waiting(self, chat_id: int) -> Waiting | None:
        """Returns the chat's oldest waiting update, if nothing earlier of the chat is in flight."""
        with self.engine.connect() as connection:
            row = connection.execute(text(NEXT_WAITING), {
                "c": chat_id, "w": self.worker, "expired": utcnow() - self.lease}).first()
        if row is None or row.status != PENDING:
            return None
        return Waiting(int(row.update_id), chat_id, _payload_of(row))

    def journal(self, update_id: int, chat_id: int, *, encode: Encode,
                arriving: bool) -> InboxJournal:
        """Returns the record to keep inside the update's turn transaction."""
        return InboxJournal(self, update_id, chat_id, encode=encode, arriving=arriving)

    def lock_chat(self, connection: Connection, chat_id: int) -> bool:
        """Holds the chat until the transaction ends; False when another worker holds it."""
        if self.sqlite:
            return True  # one process: the processor's own per-chat lock is enough
        held = connection.execute(
            text("SELECT pg_try_advisory_xact_lock(:ns, CAST(:c % 2147483647 AS integer))"),
            {"ns": LOCK_NAMESPACE, "c": chat_id}).scalar_one()
        return bool(held)

    def blocked(self, connection: Connection, update_id: int, chat_id: int,
                *, earlier_only: bool) -> bool:
        """Tells whether another update of the chat must be finished first."""
        query = f"SELECT 1 FROM inbox_update WHERE {_BLOCKING}"
        if earlier_only:
            query += " AND update_id < :u"
        found = connection.execute(text(query + " LIMIT 1"), {
            "c": chat_id, "u": update_id, "w": self.worker,
            "expired": utcnow() - self.lease}).first()
        return found is not None

    def failed(self, update_id: int, chat_id: int, payload: dict[str, Any] | None) -> bool:
        """Counts a failed attempt; True when the update was moved to the dead letters."""
        with self.engine.begin() as connection:
            if self._insert(connection, update_id, chat_id, payload, attempts=1):
                attempts = 1
            else:
                attempts = int(connection.execute(text(
                    "UPDATE inbox_update SET attempts = attempts + 1 "
                    "WHERE update_id = :u AND status = 'pending' RETURNING attempts"),
                    {"u": update_id}).scalar() or 0)
            if attempts < self.max_attempts:
                return False
            connection.execute(text("UPDATE inbox_update SET status = 'dead' "
                                    "WHERE update_id = :u AND status = 'pending'"),
                               {"u": update_id})
        logger.error("ALERT dead letter: update %s of chat %s failed %s times; it no longer "
                     "blocks the chat", update_id, chat_id, attempts)
        return True

    # --- replies ----------------------------------------------------------------------------
    def sent(self, update_ids: Iterable[int]) -> None:
        """Records that the calls of these updates were made: the rows keep only their ids."""
        ids = list(update_ids)
        if not ids:
            return
        with self.engine.begin() as connection:
            connection.execute(text(
                "UPDATE inbox_update SET status = 'done', replies = NULL "
                "WHERE update_id = :u AND status = 'replying'"),  # done_at: when it was processed
                [{"u": update_id} for update_id in ids])

    def claim_owed(self, chat_id: int) -> list[Owed]:
        """Takes over the chat's replies whose sender is presumed dead, oldest first."""
        now = utcnow()
        with self.engine.begin() as connection:
            rows = connection.execute(text(
                "UPDATE inbox_update SET claimed_by = :w, claimed_at = :t "
                "WHERE chat_id = :c AND status = 'replying' "
                "AND (claimed_at IS NULL OR claimed_at < :expired) "
                "RETURNING update_id, replies"),
                {"w": self.worker, "t": now, "c": chat_id,
                 "expired": now - self.lease}).all()
        owed = [Owed(int(r.update_id), chat_id, unseal_calls(r.replies)) for r in rows]
        return sorted(owed, key=lambda o: o.update_id)

    # --- upkeep -----------------------------------------------------------------------------
    def chats_with_work(self, limit: int = 100) -> list[int]:
        """Returns chats with waiting updates or replies whose sender is presumed dead."""
        with self.engine.connect() as connection:
            rows = connection.execute(text(CHATS_WITH_WORK), {
                "expired": utcnow() - self.lease, "n": limit}).all()
        return [int(r.chat_id) for r in rows]

    def release_all(self) -> None:
        """Makes every owed reply claimable now (the single poller restarting owns them all)."""
        with self.engine.begin() as connection:
            connection.execute(text("UPDATE inbox_update SET claimed_at = NULL "
                                    "WHERE status = 'replying'"))

    def prune(self, now: datetime | None = None) -> int:
        """Deletes done rows older than `keep` and dead letters older than `keep_dead`."""
        now = now or utcnow()
        deleted = 0
        for status, column, age in ((DONE, "done_at", self.keep),
                                    (DEAD, "received_at", self.keep_dead)):
            deleted += self._prune(status, column, now - age)
        return deleted

    def _prune(self, status: str, column: str, cutoff: datetime) -> int:
        deleted = 0
        while True:  # in batches, so no transaction holds a day of rows
            with self.engine.begin() as connection:
                if not self.sqlite and not connection.execute(text(
                        "SELECT pg_try_advisory_xact_lock(:ns, 0)"),
                        {"ns": PRUNE_LOCK_NAMESPACE}).scalar_one():
                    return deleted  # another worker is pruning; overlapping deletes deadlock
                count = connection.execute(text(PRUNE.format(status=status, column=column)),
                                           {"cut": cutoff, "n": PRUNE_BATCH}).rowcount
            deleted += count
            if count < PRUNE_BATCH:
                return deleted

    def depth(self) -> int:
        """Returns how many updates wait to be processed."""
        return count_waiting(self.engine)


class InboxJournal:
    """The update's record inside its turn transaction (flows.update_journal's protocol)."""

    def __init__(self, inbox: Inbox, update_id: int, chat_id: int, *, encode: Encode,
                 arriving: bool) -> None:
        self.inbox = inbox
        self.update_id = update_id
        self.chat_id = chat_id
        self.encode = encode
        self.arriving = arriving  # True: the update came with the request and has no row yet
        self.outcome: Outcome | None = None
        self.calls: Calls = []

    def open(self, session: Session) -> bool:
        """Holds the chat and claims the update; False when it must queue or was handled."""
        connection = session.connection()
        if not self.inbox.lock_chat(connection, self.chat_id) or self.inbox.blocked(
                connection, self.update_id, self.chat_id, earlier_only=not self.arriving):
            self.outcome = "busy"
            return False
        if self.arriving:
            fresh = self.inbox._insert(connection, self.update_id, self.chat_id, None, attempts=0)
        else:
            fresh = connection.execute(text(
                "SELECT 1 FROM inbox_update WHERE update_id = :u AND status = 'pending'"),
                {"u": self.update_id}).first() is not None
        if not fresh:
            self.outcome = "duplicate"
        return fresh

    def close(self, session: Session, turn: Any) -> None:
        """Records the outcome and the calls owed, or raises Busy to roll the turn back."""
        connection = session.connection()
        if self.arriving and self.inbox.blocked(connection, self.update_id, self.chat_id,
                                                earlier_only=True):
            self.outcome = "busy"  # an earlier update arrived while this one ran: it goes first
            raise Busy(self.update_id)
        self.calls = self.encode(turn)
        now = utcnow()
        connection.execute(text(
            "UPDATE inbox_update SET status = :s, replies = :r, sealed = NULL, payload = NULL, "
            "claimed_by = :w, claimed_at = :t, done_at = :t WHERE update_id = :u"),
            {"s": REPLYING if self.calls else DONE, "r": seal(self.calls) if self.calls else None,
             "w": self.inbox.worker, "t": now, "u": self.update_id})
        self.outcome = "processed"

    def record_alone(self) -> None:
        """Records an update that no turn handled (staff commands, ignored kinds) as done."""
        with self.inbox.engine.begin() as connection:
            if self.arriving:
                self.inbox._insert(connection, self.update_id, self.chat_id, None, attempts=0)
            connection.execute(text(
                "UPDATE inbox_update SET status = 'done', sealed = NULL, payload = NULL, "
                "done_at = :t WHERE update_id = :u AND status = 'pending'"),
                {"t": utcnow(), "u": self.update_id})
        self.outcome = "processed"


def count_waiting(engine: Engine | Connection) -> int:
    """Returns how many inbox updates wait or owe replies."""
    query = text(DEPTH)
    if isinstance(engine, Connection):
        return int(engine.execute(query).scalar_one())
    with engine.connect() as connection:
        return int(connection.execute(query).scalar_one())


def seal(value: Any) -> str:
    """Returns the value as JSON encrypted with the data key."""
    return personal_data_cipher().encrypt(json.dumps(value, separators=(",", ":")))


def unseal_calls(token: str | None) -> Calls:
    """Returns the Bot API calls sealed in a `replies` column."""
    if not token:
        return []
    calls: Calls = json.loads(personal_data_cipher().decrypt(token))
    return calls


def _payload_of(row: Any) -> dict[str, Any]:
    if row.sealed:
        payload: dict[str, Any] = json.loads(personal_data_cipher().decrypt(row.sealed))
        return payload
    raw = row.payload  # written clear by an older version
    loaded: dict[str, Any] = raw if isinstance(raw, dict) else json.loads(raw)
    return loaded
