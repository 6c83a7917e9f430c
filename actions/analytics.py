"""Counts what happens in turns (refusals, fallbacks, latency) for the PMO dashboard.

Counting happens in memory, per process, and is written to `analyticsminute` at most every
FLUSH_SECONDS as one upsert per (minute, metric, label): a turn never waits on a contended row,
and a crash loses at most those seconds of counts (never a person's data; none is counted).
"""

from __future__ import annotations

import bisect
import logging
import re
import threading
import time
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from functools import cache

from sqlalchemy import delete
from sqlalchemy import text as sql
from sqlalchemy.engine import Engine

from flows.texts import raw_texts
from flows.validators.messages import load_messages
from storage.models import ConversationState
from storage.models_events import (
    KTP_REFUSAL,
    LATENCY,
    NLU_FALLBACK,
    VALIDATOR_REFUSAL,
    AnalyticsMinute,
)

logger = logging.getLogger(__name__)

FLUSH_SECONDS = 10.0
# Upper bounds (ms) of the latency histogram; p50/p99 are read off these buckets.
LATENCY_BUCKETS_MS = (5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000)
OVERFLOW_BUCKET = "inf"
UNKNOWN_KEY = "other"
PLACEHOLDER = re.compile(r"\{[^{}]*\}")
UPSERT = sql(
    "INSERT INTO analyticsminute (minute, metric, label, count, total) "
    "VALUES (:minute, :metric, :label, :count, :total) "
    "ON CONFLICT (minute, metric, label) DO UPDATE SET "
    "count = analyticsminute.count + excluded.count, "
    "total = analyticsminute.total + excluded.total"
)
Key = tuple[datetime, str, str]


class Tally:
    """Thread-safe per-minute counters of one process, flushed to the rollup table."""

    def __init__(self, *, flush_seconds: float = FLUSH_SECONDS) -> None:
        self.flush_seconds = flush_seconds
        self._lock = threading.Lock()
        self._counts: dict[Key, list[float]] = {}
        self._last_flush = time.monotonic()

    def add(self, metric: str, label: str, value: float = 0.0, *,
            at: datetime | None = None) -> None:
        """Counts one event of `metric` with `label` (and adds `value` to its sum)."""
        minute = (at or datetime.now(UTC)).replace(second=0, microsecond=0)
        key = (minute, metric, label[:60])
        with self._lock:
            slot = self._counts.setdefault(key, [0, 0.0])
            slot[0] += 1
            slot[1] += value

    def due(self) -> bool:
        """Tells whether counts are waiting and the last flush is FLUSH_SECONDS old."""
        return bool(self._counts) and time.monotonic() - self._last_flush >= self.flush_seconds

    def clear(self) -> None:
        """Drops the counts not yet written (a test starting from a known zero)."""
        with self._lock:
            self._counts = {}

    def flush_quietly(self, engine: Engine) -> None:
        """Flushes, logging instead of raising: counting must never break a turn."""
        try:
            self.flush(engine)
        except Exception as error:
            logger.warning("analytics flush failed: %s", type(error).__name__)

    def flush(self, engine: Engine) -> int:
        """Writes the waiting counts in one transaction and returns how many rows it upserted."""
        with self._lock:
            counts, self._counts = self._counts, {}
            self._last_flush = time.monotonic()
        if not counts:
            return 0
        rows = [{"minute": m, "metric": k, "label": lab, "count": int(c), "total": t}
                for (m, k, lab), (c, t) in counts.items()]
        with engine.begin() as connection:
            connection.execute(UPSERT, rows)
        return len(rows)


TALLY = Tally()
ROLLUP_KEEP = timedelta(days=30)


def prune_rollups(engine: Engine, *, keep: timedelta = ROLLUP_KEEP) -> int:
    """Deletes rollup minutes older than `keep`; returns how many rows went."""
    before = datetime.now(UTC) - keep
    with engine.begin() as connection:
        result = connection.execute(delete(AnalyticsMinute).where(
            AnalyticsMinute.__table__.c.minute < before))  # type: ignore[attr-defined]
    return int(result.rowcount)


def latency_bucket(milliseconds: float) -> str:
    """Returns the histogram label (upper bound in ms) that a latency falls into."""
    index = bisect.bisect_left(LATENCY_BUCKETS_MS, milliseconds)
    return str(LATENCY_BUCKETS_MS[index]) if index < len(LATENCY_BUCKETS_MS) else OVERFLOW_BUCKET


def observe_latency(seconds: float) -> None:
    """Counts one reply's latency in its histogram bucket."""
    milliseconds = seconds * 1000
    TALLY.add(LATENCY, latency_bucket(milliseconds), milliseconds)


def note_refusal(state: ConversationState, step_id: str, message: str) -> None:
    """Remembers the validator message shown at a step, and counts it."""
    key = message_key(message)
    state.last_problem = f"{step_id}:{key}"[:80]
    TALLY.add(VALIDATOR_REFUSAL, f"{step_id}:{key}")


def note_ktp_refusal(state: ConversationState, codes: Iterable[str]) -> None:
    """Counts each problem code of a refused KTP photo and remembers the first."""
    codes = list(codes)
    for code in codes:
        TALLY.add(KTP_REFUSAL, code)
    state.last_problem = f"ktp_photo:{codes[0] if codes else UNKNOWN_KEY}"[:80]


def note_fallback(top_intent: str) -> None:
    """Counts one "Maksud Anda …?" question by the intent the classifier guessed first."""
    TALLY.add(NLU_FALLBACK, top_intent)


def message_key(message: str) -> str:
    """Returns the key of the text template that produced `message`, or "other"."""
    for key, pattern in _templates():
        if pattern.fullmatch(message.strip()):
            return key
    return UNKNOWN_KEY


@cache
def _templates() -> tuple[tuple[str, re.Pattern[str]], ...]:
    # Validator messages are filled templates; matching them back avoids threading a key
    # through every validator. Longest literal text first, so specific templates win.
    sources = {**{k: v for k, v in raw_texts().items() if isinstance(v, str)}, **load_messages()}
    ordered = sorted(sources.items(), key=lambda item: -len(PLACEHOLDER.sub("", str(item[1]))))
    return tuple((key, _pattern(str(template).strip())) for key, template in ordered)


def _pattern(template: str) -> re.Pattern[str]:
    parts = PLACEHOLDER.split(template)
    return re.compile(".*?".join(re.escape(part) for part in parts), re.DOTALL)
