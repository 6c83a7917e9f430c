"""Retry timing: exponential backoff with full jitter, capped, and Retry-After honoured."""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True, kw_only=True)
class RetryPolicy:
    """How long to wait between tries and when to give up."""

    base_seconds: float = 2.0
    cap_seconds: float = 900.0
    max_attempts: int = 20
    retry_after_max_seconds: float = 3600.0

    def backoff_ceiling(self, attempt: int) -> float:
        """Returns the upper bound of the wait after failed try number `attempt` (1-based)."""
        exponent = min(max(attempt - 1, 0), 62)
        return float(min(self.cap_seconds, self.base_seconds * 2**exponent))

    def delay(self, attempt: int, *, retry_after: float | None = None,
              rng: random.Random | None = None) -> float:
        """Returns the wait before the next try: the server's Retry-After if given, else jitter."""
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.retry_after_max_seconds)
        # Full jitter (uniform between 0 and the ceiling) spreads a thundering herd best.
        return (rng or random).uniform(0.0, self.backoff_ceiling(attempt))

    def exhausted(self, attempt: int) -> bool:
        """Tells whether try number `attempt` was the last one allowed."""
        return attempt >= self.max_attempts
