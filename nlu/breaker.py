"""An in-process circuit breaker for the Rasa server: after N failures, stop asking for a while."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Literal

BreakerState = Literal["closed", "open", "half_open"]


class CircuitBreaker:
    """Opens after `threshold` failures in a row; after each cool-down one call may try again.

    While open, `allows()` is False at once, so callers answer without waiting on the remote.
    When the cool-down ends, the next caller is the single trial (the others still see an open
    circuit for another cool-down): success closes the circuit, failure reopens it. A trial that
    never reports (its task was cancelled) simply lets the next cool-down start another trial.
    """

    def __init__(
        self, *, threshold: int = 3, cooldown_seconds: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.threshold = max(1, threshold)
        self.cooldown_seconds = cooldown_seconds
        self._clock = clock
        self._failures = 0
        self._state: BreakerState = "closed"
        self._open_until = 0.0

    @property
    def state(self) -> BreakerState:
        """Returns closed, open, or half_open (a trial call is out)."""
        return self._state

    def allows(self) -> bool:
        """Tells whether a call may go to the remote now (True once per cool-down when open)."""
        if self._state == "closed":
            return True
        now = self._clock()
        if now < self._open_until:
            return False
        self._state, self._open_until = "half_open", now + self.cooldown_seconds
        return True

    def succeeded(self) -> None:
        """Closes the circuit and forgets earlier failures."""
        self._state, self._failures = "closed", 0

    def failed(self) -> bool:
        """Counts a failure; returns True when this one opened the circuit."""
        self._failures += 1
        if self._state == "half_open" or self._failures >= self.threshold:
            opening = self._state != "open"
            self._state, self._open_until = "open", self._clock() + self.cooldown_seconds
            return opening
        return False
