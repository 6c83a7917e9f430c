"""The worker against the reference platform over loopback HTTP: success, retries, dead letters."""

from __future__ import annotations

import hashlib
import logging
import random
from datetime import timedelta

import httpx
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from actions.destinations import PlatformApi
from actions.outbox import (
    BreakerPolicy,
    RegistrationFollowUp,
    RetryPolicy,
    Worker,
    WorkerConfig,
    delivery_status,
    enqueue_registration_submission,
)
from actions.outbox.claim import claim_due
from storage.db import session_scope
from storage.models import HandoffTicket, Outbox, utcnow
from storage.models_outbox import DeliveryAttempt, KtpBlob

KTP = b"\xff\xd8\xff\xe0 fake jpeg bytes of a KTP " * 40
FAST = RetryPolicy(base_seconds=0.01, cap_seconds=0.05, max_attempts=20)


def make_worker(engine: Engine, platform_url: str, http: httpx.AsyncClient, vault: object, *,
                retry: RetryPolicy = FAST, lease: float = 30.0) -> Worker:
    return Worker(
        engine, {"registration": PlatformApi(http, base_url=platform_url)},
        retry=retry, breaker_policy=BreakerPolicy(threshold=1000),
        config=WorkerConfig(concurrency=8, lease_seconds=lease, poll_seconds=0.01),
        vault=vault,  # type: ignore[arg-type]
        follow_ups={"registration": RegistrationFollowUp()}, rng=random.Random(1),
    )


def enqueue(engine: Engine, vault: object, helpers: object, chat_id: int) -> str:
    with session_scope(engine) as session:
        enqueue_registration_submission(
            session, applicant=helpers.applicant(chat_id),  # type: ignore[attr-defined]
            ktp_image=KTP, vault=vault,  # type: ignore[arg-type]
        )
    with Session(engine) as session:
        return session.exec(select(Outbox.idempotency_key)
                            .where(Outbox.chat_id == chat_id)).one()


async def test_delivers_registration_with_image_then_deletes_it(
    engine, platform, http, vault, helpers
) -> None:
    key = enqueue(engine, vault, helpers, 101)
    worker = make_worker(engine, platform.url, http, vault)
    await helpers.settle(worker, engine)
    with Session(engine) as session:
        row = session.exec(select(Outbox).where(Outbox.kind == "registration")).one()
        note = session.exec(select(Outbox).where(Outbox.kind == "telegram_message")).one()
        assert session.get(KtpBlob, key) is None
        status = delivery_status(session, 101)
    assert row.status == "delivered"
    assert row.payload["ack"]["registration_id"]
    assert note.chat_id == 101
    assert note.payload["text"].startswith("✅ Data Anda sudah terkirim")
    assert status is not None
    assert row.payload["ack"]["registration_id"] in status
    stored = platform.store.get(row.payload["ack"]["registration_id"])
    assert stored["ktp_sha256"] == hashlib.sha256(KTP).hexdigest()


async def test_retries_through_faults_without_duplicates(
    engine, platform, http, vault, helpers
) -> None:
    platform.faults.error_rate, platform.faults.drop_rate = 0.3, 0.3
    for chat_id in range(200, 230):
        enqueue(engine, vault, helpers, chat_id)
    await helpers.settle(make_worker(engine, platform.url, http, vault), engine, seconds=20)
    stats = platform.store.stats()
    with Session(engine) as session:
        statuses = set(session.exec(select(Outbox.status)
                                    .where(Outbox.kind == "registration")).all())
        retries = session.exec(select(DeliveryAttempt)
                               .where(DeliveryAttempt.outcome == "retry")).all()
    assert statuses == {"delivered"}
    assert stats["submissions"] == 30
    assert stats["duplicate_by_key"] == 0
    assert retries, "with 60 % faults some tries must have failed"
    assert stats["replays"] > 0, "dropped connections after storing must be replayed"


async def test_resend_after_crash_between_sent_and_marked_is_not_a_duplicate(
    engine, platform, http, vault, helpers
) -> None:
    key = enqueue(engine, vault, helpers, 301)
    worker = make_worker(engine, platform.url, http, vault, lease=0.05)
    with session_scope(engine) as session:
        (row,) = claim_due(session, kinds=["registration"], limit=1, now=utcnow(),
                           lease_until=utcnow() + timedelta(seconds=0.05))
    first = await worker._deliver(await _message(worker, row))  # sent …
    # … and the process dies here: nothing recorded. The lease runs out; a worker takes it again.
    await helpers.settle(worker, engine)
    with Session(engine) as session:
        final = session.exec(select(Outbox).where(Outbox.idempotency_key == key)).one()
    stats = platform.store.stats()
    assert final.status == "delivered"
    assert final.attempts == 2
    assert final.payload["ack"]["registration_id"] == first.ack["registration_id"]
    assert (stats["submissions"], stats["replays"], stats["duplicate_by_key"]) == (1, 1, 0)


async def _message(worker: Worker, row: object) -> object:
    import asyncio

    return await asyncio.to_thread(worker._message, row)  # type: ignore[arg-type]


async def test_honours_retry_after_on_503(engine, platform, http, vault, helpers) -> None:
    platform.faults.unavailable_rate, platform.faults.retry_after_seconds = 1.0, 7
    enqueue(engine, vault, helpers, 401)
    worker = make_worker(engine, platform.url, http, vault)
    before = utcnow()
    assert await worker.run_once() == 1
    with Session(engine) as session:
        row = session.exec(select(Outbox)).one()
        attempt = session.exec(select(DeliveryAttempt)).one()
    assert row.status == "pending"
    assert (attempt.status_code, attempt.retry_in_seconds) == (503, 7.0)
    waited = (row.next_attempt_at - before).total_seconds()
    assert 7.0 <= waited < 8.0
    assert await worker.run_once() == 0, "the row must not be tried before Retry-After"


async def test_dead_letters_after_max_attempts_with_alert_and_handoff(
    engine, platform, http, vault, helpers, caplog
) -> None:
    platform.faults.error_rate = 1.0
    key = enqueue(engine, vault, helpers, 501)
    worker = make_worker(engine, platform.url, http, vault,
                         retry=RetryPolicy(base_seconds=0.001, cap_seconds=0.01, max_attempts=3))
    with caplog.at_level(logging.ERROR, logger="actions.outbox.record"):
        await helpers.settle(worker, engine)
    with Session(engine) as session:
        row = session.exec(select(Outbox).where(Outbox.kind == "registration")).one()
        note = session.exec(select(Outbox).where(Outbox.kind == "telegram_message")).one()
        ticket = session.exec(select(HandoffTicket)).one()
        status = delivery_status(session, 501)
        kept = session.get(KtpBlob, key)
    assert (row.status, row.attempts, row.last_error) == ("dead", 3, "HTTP 500")
    assert any("ALERT outbox dead-letter" in r.getMessage() for r in caplog.records)
    assert "Mohon maaf" in note.payload["text"]
    assert (ticket.chat_id, ticket.reason) == (501, "delivery_failed")
    assert status == note.payload["text"]
    assert kept is not None, "an undelivered KTP stays (encrypted) for a staff retry"


async def test_rejected_registration_is_dead_at_once(engine, platform, http, vault, helpers):
    with session_scope(engine) as session:
        person = helpers.applicant(601, nik="12345")
        enqueue_registration_submission(session, applicant=person, ktp_image=None, vault=vault)
    await helpers.settle(make_worker(engine, platform.url, http, vault), engine)
    with Session(engine) as session:
        row = session.exec(select(Outbox).where(Outbox.kind == "registration")).one()
    assert (row.status, row.attempts, row.last_error) == ("dead", 1, "HTTP 422")


async def test_times_out_on_hanging_platform_then_replays(
    engine, platform, vault, helpers
) -> None:
    platform.faults.hang_rate, platform.faults.hang_seconds = 1.0, 0.4
    enqueue(engine, vault, helpers, 701)
    async with httpx.AsyncClient(timeout=0.1) as quick:
        worker = make_worker(engine, platform.url, quick, vault)
        await worker.run_once()
        with Session(engine) as session:
            assert session.exec(select(Outbox)).one().last_error.startswith("timeout")
        await _sleep(0.5)
        platform.faults.hang_rate = 0.0
        await helpers.settle(worker, engine)
    stats = platform.store.stats()
    assert (stats["submissions"], stats["duplicate_by_key"]) == (1, 0)


async def _sleep(seconds: float) -> None:
    import asyncio

    await asyncio.sleep(seconds)


@pytest.mark.parametrize("key_header", ["Idempotency-Key"])
async def test_platform_replays_same_answer_and_refuses_reuse(platform, http, key_header):
    files = {"registration": (None, '{"nik": "3273014508900001"}', "application/json")}
    first = await http.post(f"{platform.url}/v1/registrations", files=files,
                            headers={key_header: "k-1"})
    again = await http.post(f"{platform.url}/v1/registrations", files=files,
                            headers={key_header: "k-1"})
    other = {"registration": (None, '{"nik": "3273014508900002"}', "application/json")}
    reused = await http.post(f"{platform.url}/v1/registrations", files=other,
                             headers={key_header: "k-1"})
    missing = await http.post(f"{platform.url}/v1/registrations", files=files)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert (reused.status_code, missing.status_code) == (422, 400)
