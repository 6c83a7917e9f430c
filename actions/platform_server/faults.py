"""Fault injection for the reference server: errors, 503 + Retry-After, hangs, dropped links."""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass, field

NONE = "none"
ERROR = "error"
UNAVAILABLE = "unavailable"
HANG = "hang"
DROP = "drop"


@dataclass(kw_only=True)
class Faults:
    """Probabilities (each of all requests) of each fault, plus added latency.

    `hang` answers only after `hang_seconds` (the client times out, the server still stores);
    `drop` stores the registration, then cuts the connection before answering.
    """

    error_rate: float = 0.0
    unavailable_rate: float = 0.0
    hang_rate: float = 0.0
    drop_rate: float = 0.0
    latency_ms: float = 0.0
    retry_after_seconds: int = 1
    hang_seconds: float = 30.0
    seed: int | None = None
    rng: random.Random = field(init=False)

    def __post_init__(self) -> None:
        if self.error_rate + self.unavailable_rate + self.hang_rate + self.drop_rate > 1.0:
            raise ValueError("fault rates add up to more than 1")
        self.rng = random.Random(self.seed)

    @property
    def total_rate(self) -> float:
        """Returns the share of requests that fail in some way."""
        return self.error_rate + self.unavailable_rate + self.hang_rate + self.drop_rate

    def draw(self) -> str:
        """Returns which fault (or NONE) this request gets."""
        roll = self.rng.random()
        for name, rate in ((ERROR, self.error_rate), (UNAVAILABLE, self.unavailable_rate),
                           (HANG, self.hang_rate), (DROP, self.drop_rate)):
            if roll < rate:
                return name
            roll -= rate
        return NONE

    async def delay(self) -> None:
        """Sleeps a random latency between 0 and `latency_ms`."""
        if self.latency_ms > 0:
            await asyncio.sleep(self.rng.uniform(0, self.latency_ms) / 1000)
