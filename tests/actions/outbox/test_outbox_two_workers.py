"""Several workers at once: every row is delivered exactly once (PostgreSQL SKIP LOCKED, SQLite)."""

from __future__ import annotations

import asyncio
import random
from collections import Counter

from sqlmodel import Session, select

from actions.destinations import Delivered, Message, Outcome
from actions.outbox import Worker, WorkerConfig
from storage.db import make_engine, session_scope
from storage.models import Outbox
from storage.models_outbox import DeliveryAttempt


class Counting:
    """Acknowledges after a short pause and counts deliveries per idempotency key."""

    def __init__(self) -> None:
        self.seen: Counter[str] = Counter()

    async def deliver(self, message: Message) -> Outcome:
        self.seen[message.idempotency_key] += 1
        await asyncio.sleep(random.uniform(0, 0.005))
        return Delivered()


async def test_two_workers_never_deliver_a_row_twice(engine) -> None:
    with session_scope(engine) as session:
        for n in range(300):
            session.add(Outbox(kind="email", chat_id=n, destination="a@example.com",
                               payload={"body": "x"}))
    destination = Counting()
    engines = [make_engine(str(engine.url.render_as_string(hide_password=False)))
               for _ in range(2)]
    workers = [Worker(e, {"email": destination},
                      config=WorkerConfig(concurrency=10, poll_seconds=0.01, name=f"w{i}"))
               for i, e in enumerate(engines)]
    await asyncio.gather(*(w.drain() for w in workers))
    for extra in engines:
        extra.dispose()
    with Session(engine) as session:
        statuses = Counter(session.exec(select(Outbox.status)).all())
        by_worker = Counter(session.exec(select(DeliveryAttempt.worker)).all())
    assert statuses == {"delivered": 300}
    assert set(by_worker) == {"w0", "w1"}, "both workers must have taken part"
    assert len(destination.seen) == 300
    assert max(destination.seen.values()) == 1
