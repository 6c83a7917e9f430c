"""The webhook inbox: store on arrival, claim one update per chat at a time, mark done."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from storage.db import is_sqlite
from storage.models import utcnow

LEASE = timedelta(seconds=60)  # a claim older than this belongs to a worker presumed dead

_NEXT_FOR_CHAT = """
SELECT update_id, payload FROM inbox_update i
WHERE i.chat_id = :chat AND (i.status = 'pending'
      OR (i.status = 'processing' AND i.claimed_at < :expired))
  AND NOT EXISTS (
      SELECT 1 FROM inbox_update j
      WHERE j.chat_id = i.chat_id AND j.status = 'processing' AND j.claimed_at >= :expired
        AND j.update_id <> i.update_id)
ORDER BY i.update_id
LIMIT 1
"""


class Inbox:
    """Stores raw updates and hands them out in update_id order, one chat to one worker."""

    def __init__(self, engine: Engine, *, worker: str, lease: timedelta = LEASE) -> None:
        self.engine = engine
        self.worker = worker
        self.lease = lease
        self.sqlite = is_sqlite(str(engine.url))

    def add(self, update_id: int, chat_id: int, payload: dict[str, Any]) -> bool:
        """Stores an update; False when it was stored before (a redelivery)."""
        row = {"u": update_id, "c": chat_id, "p": payload, "t": utcnow()}
        statement = text(
            "INSERT INTO inbox_update (update_id, chat_id, payload, status, received_at) "
            "VALUES (:u, :c, :p, 'pending', :t)"
        ).bindparams(_json_param())
        try:
            with self.engine.begin() as connection:
                connection.execute(statement, row)
        except IntegrityError:
            return False
        return True

    def claim_next(self, chat_id: int) -> tuple[int, dict[str, Any]] | None:
        """Claims this chat's oldest waiting update unless another worker holds one of its."""
        now = utcnow()
        with self.engine.begin() as connection:
            if not self.sqlite:
                # Serialises claims of one chat across workers; released at commit.
                connection.execute(text("SELECT pg_advisory_xact_lock(:c)"), {"c": chat_id})
            found = connection.execute(
                text(_NEXT_FOR_CHAT), {"chat": chat_id, "expired": now - self.lease}
            ).first()
            if found is None:
                return None
            connection.execute(
                text("UPDATE inbox_update SET status='processing', claimed_by=:w, claimed_at=:t "
                     "WHERE update_id=:u"),
                {"w": self.worker, "t": now, "u": found.update_id},
            )
        payload = found.payload if isinstance(found.payload, dict) else _loads(found.payload)
        return int(found.update_id), payload

    def mark_done(self, update_id: int) -> None:
        """Records that the update was fully processed."""
        with self.engine.begin() as connection:
            connection.execute(
                text("UPDATE inbox_update SET status='done', done_at=:t WHERE update_id=:u"),
                {"t": utcnow(), "u": update_id},
            )

    def chats_with_work(self, limit: int = 100) -> list[int]:
        """Returns chats that have waiting updates or expired claims (crash recovery)."""
        with self.engine.connect() as connection:
            rows = connection.execute(
                text("SELECT DISTINCT chat_id FROM inbox_update WHERE status='pending' "
                     "OR (status='processing' AND claimed_at < :expired) LIMIT :n"),
                {"expired": utcnow() - self.lease, "n": limit},
            ).all()
        return [int(r.chat_id) for r in rows]

    def depth(self) -> int:
        """Returns how many updates wait to be processed."""
        return count_waiting(self.engine)


def count_waiting(engine: Engine | Connection) -> int:
    """Returns how many inbox updates are not done yet."""
    query = text("SELECT count(*) FROM inbox_update WHERE status <> 'done'")
    if isinstance(engine, Connection):
        return int(engine.execute(query).scalar_one())
    with engine.connect() as connection:
        return int(connection.execute(query).scalar_one())


def _json_param() -> Any:
    from sqlalchemy import JSON, bindparam

    return bindparam("p", type_=JSON)


def _loads(raw: Any) -> dict[str, Any]:
    import json

    loaded: dict[str, Any] = json.loads(raw)
    return loaded
