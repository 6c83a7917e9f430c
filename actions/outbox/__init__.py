"""Durable delivery: outbox rows written with their cause, delivered by a retrying worker."""

from __future__ import annotations

from actions.outbox.backoff import RetryPolicy
from actions.outbox.breaker import BreakerPolicy
from actions.outbox.claim import Claimed, claim_due
from actions.outbox.record import FollowUp
from actions.outbox.registration import (
    RegistrationFollowUp,
    delivery_status,
    enqueue_registration_submission,
    notify,
    queued_text,
)
from actions.outbox.setup import build_destinations, build_worker, run_worker
from actions.outbox.worker import Worker, WorkerConfig

__all__ = [
    "BreakerPolicy",
    "Claimed",
    "FollowUp",
    "RegistrationFollowUp",
    "RetryPolicy",
    "Worker",
    "WorkerConfig",
    "build_destinations",
    "build_worker",
    "claim_due",
    "delivery_status",
    "enqueue_registration_submission",
    "notify",
    "queued_text",
    "run_worker",
]
