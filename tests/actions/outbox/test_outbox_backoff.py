"""Backoff bounds, full jitter and Retry-After parsing."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

from hypothesis import given
from hypothesis import strategies as st

from actions.destinations import parse_retry_after
from actions.outbox import RetryPolicy

POLICY = RetryPolicy(base_seconds=2.0, cap_seconds=900.0, max_attempts=20)


def test_ceiling_doubles_then_stops_at_the_cap() -> None:
    ceilings = [POLICY.backoff_ceiling(n) for n in range(1, 13)]
    assert ceilings[:5] == [2.0, 4.0, 8.0, 16.0, 32.0]
    assert ceilings[-3:] == [900.0, 900.0, 900.0]


@given(attempt=st.integers(min_value=1, max_value=10_000), seed=st.integers(0, 2**32))
def test_full_jitter_stays_between_zero_and_the_ceiling(attempt: int, seed: int) -> None:
    delay = POLICY.delay(attempt, rng=random.Random(seed))
    assert 0.0 <= delay <= min(900.0, POLICY.backoff_ceiling(attempt))


def test_full_jitter_spreads_over_the_whole_range() -> None:
    rng = random.Random(3)
    delays = [POLICY.delay(15, rng=rng) for _ in range(2000)]
    assert min(delays) < 90 and max(delays) > 810, "jitter must use the whole 0..cap range"


def test_retry_after_wins_over_backoff_and_is_clamped() -> None:
    assert POLICY.delay(1, retry_after=120.0) == 120.0
    assert POLICY.delay(1, retry_after=10**9) == POLICY.retry_after_max_seconds
    assert POLICY.delay(1, retry_after=-5) == 0.0


def test_exhausted_after_max_attempts() -> None:
    assert not POLICY.exhausted(19)
    assert POLICY.exhausted(20)


def test_retry_after_parses_seconds_and_http_dates() -> None:
    now = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    later = format_datetime(now + timedelta(seconds=90), usegmt=True)
    assert parse_retry_after("30") == 30.0
    assert parse_retry_after(later, now=now) == 90.0
    assert parse_retry_after(format_datetime(now - timedelta(hours=1), usegmt=True), now=now) == 0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None
