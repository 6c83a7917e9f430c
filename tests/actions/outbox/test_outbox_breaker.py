"""The per-destination circuit breaker: opens, blocks, lets one half-open probe through."""

from __future__ import annotations

import random
from datetime import timedelta

from sqlmodel import Session

from actions.destinations import Delivered, Failed, Message, Outcome
from actions.outbox import BreakerPolicy, RetryPolicy, Worker, WorkerConfig
from actions.outbox.breaker import HALF_OPEN, OPEN, admit, ensure_circuits, record_failure
from storage.db import session_scope
from storage.models import Outbox, utcnow
from storage.models_outbox import CircuitState


class Scripted:
    """A destination answering from a script of outcomes; records what it was sent."""

    def __init__(self, *, fail: bool) -> None:
        self.fail, self.sent = fail, []

    async def deliver(self, message: Message) -> Outcome:
        self.sent.append(message.outbox_id)
        return Failed(error="HTTP 503", status_code=503) if self.fail else Delivered()


class Clock:
    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self):
        return self.now


def build(engine, destination, clock) -> Worker:
    return Worker(
        engine, {"sms": destination},
        retry=RetryPolicy(base_seconds=0.0, cap_seconds=0.0, max_attempts=100),
        breaker_policy=BreakerPolicy(threshold=3, open_seconds=60, max_open_seconds=600),
        config=WorkerConfig(concurrency=1, lease_seconds=30, poll_seconds=0.01),
        clock=clock, rng=random.Random(0),
    )


def queue(engine, count: int) -> None:
    with session_scope(engine) as session:
        for n in range(count):
            session.add(Outbox(kind="sms", chat_id=n, destination="+62", payload={"body": "x"},
                               next_attempt_at=utcnow() - timedelta(seconds=1)))


async def test_opens_after_threshold_then_probes_once_then_closes(engine) -> None:
    queue(engine, 5)
    clock, sms = Clock(), Scripted(fail=True)
    worker = build(engine, sms, clock)
    for _ in range(3):
        assert await worker.run_once() == 1
    with Session(engine) as session:
        assert session.get(CircuitState, "sms").state == OPEN
    assert await worker.run_once() == 0, "an open circuit sends nothing"

    clock.now += timedelta(seconds=61)
    sms.fail = False
    assert len(worker.claim(10)) == 1, "half-open lets exactly one probe through"
    with Session(engine) as session:
        assert session.get(CircuitState, "sms").state == HALF_OPEN
    assert worker.claim(10) == [], "no second probe while the first is out"


async def test_successful_probe_closes_the_circuit(engine) -> None:
    queue(engine, 5)
    clock, sms = Clock(), Scripted(fail=True)
    worker = build(engine, sms, clock)
    for _ in range(3):
        await worker.run_once()
    clock.now += timedelta(seconds=61)
    sms.fail = False
    assert await worker.run_once() == 1
    with Session(engine) as session:
        circuit = session.get(CircuitState, "sms")
    assert (circuit.state, circuit.consecutive_failures) == ("closed", 0)
    assert await worker.run_once() == 1, "closed again: normal batches flow"


async def test_failed_probe_reopens_for_twice_as_long(engine) -> None:
    with session_scope(engine) as session:
        ensure_circuits(session, ["sms"])
    policy = BreakerPolicy(threshold=1, open_seconds=10, max_open_seconds=600)
    now = utcnow()
    with session_scope(engine) as session:
        record_failure(session, "sms", now=now, policy=policy)
    later = now + timedelta(seconds=11)
    with session_scope(engine) as session:
        assert admit(session, ["sms"], now=later, probe_lease=5).probe == {"sms"}
    with session_scope(engine) as session:
        assert admit(session, ["sms"], now=later, probe_lease=5).blocked == {"sms"}
        record_failure(session, "sms", now=later, policy=policy)
    with Session(engine) as session:
        circuit = session.get(CircuitState, "sms")
    assert circuit.state == OPEN
    assert (circuit.opened_until - later).total_seconds() == 20.0
