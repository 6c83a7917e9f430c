"""Account changes reach the reference platform after the registration, once, then a notice."""

from __future__ import annotations

import random

import httpx
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from actions.destinations import PlatformApi
from actions.destinations.platform_changes import PlatformChangeApi
from actions.outbox import (
    BreakerPolicy,
    RegistrationFollowUp,
    RetryPolicy,
    Worker,
    WorkerConfig,
    enqueue_registration_submission,
)
from actions.outbox.account_change import AccountChangeFollowUp, enqueue_account_change
from storage.db import session_scope
from storage.models import Outbox

FAST = RetryPolicy(base_seconds=0.01, cap_seconds=0.05, max_attempts=40)
NEW_ADDRESS = "Jl. Kenanga No. 5, Depok"


def worker(engine: Engine, url: str, http: httpx.AsyncClient, vault: object,
           kinds: tuple[str, ...]) -> Worker:
    destinations = {"registration": PlatformApi(http, base_url=url),
                    "account_change": PlatformChangeApi(http, base_url=url)}
    return Worker(
        engine, {kind: destinations[kind] for kind in kinds},
        retry=FAST, breaker_policy=BreakerPolicy(threshold=1000),
        config=WorkerConfig(concurrency=4, lease_seconds=30, poll_seconds=0.01),
        vault=vault,  # type: ignore[arg-type]
        follow_ups={"registration": RegistrationFollowUp(),
                    "account_change": AccountChangeFollowUp()},
        rng=random.Random(3),
    )


async def test_change_waits_for_the_registration_then_applies_once(
    engine, platform, http, vault, helpers
) -> None:
    person = helpers.applicant(301)
    with session_scope(engine) as session:
        enqueue_registration_submission(session, applicant=person, ktp_image=None, vault=vault)
        person.address = NEW_ADDRESS
        enqueue_account_change(session, applicant=person, part="address")
    # Only the change first: the platform answers 409 (submission not stored yet), kept pending.
    await worker(engine, platform.url, http, vault, ("account_change",)).run_once()
    with Session(engine) as session:
        change = session.exec(select(Outbox).where(Outbox.kind == "account_change")).one()
    assert change.status == "pending" and change.attempts == 1
    await helpers.settle(worker(engine, platform.url, http, vault,
                                ("registration", "account_change")), engine, seconds=20)
    with Session(engine) as session:
        change = session.exec(select(Outbox).where(Outbox.kind == "account_change")).one()
        notes = session.exec(select(Outbox.payload).where(Outbox.kind == "telegram_message")).all()
    assert change.status == "delivered"
    stored = platform.store.get(change.payload["ack"]["registration_id"])
    assert stored is not None
    [submission] = [s for s in _submissions(platform)
                    if s.registration_id == stored["registration_id"]]
    assert submission.registration["address"] == NEW_ADDRESS
    assert any("Perubahan data Anda (alamat) sudah tercatat" in n["text"] for n in notes)


def _submissions(platform: object) -> list:  # type: ignore[type-arg]
    from actions.platform_server.models import PlatformSubmission

    with Session(platform.store.engine) as session:  # type: ignore[attr-defined]
        return list(session.exec(select(PlatformSubmission)).all())
