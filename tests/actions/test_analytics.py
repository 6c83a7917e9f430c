"""The per-minute tally: message keys, latency buckets and the upsert into the rollup."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from actions.analytics import Tally, latency_bucket, message_key, prune_rollups
from flows.texts import text
from flows.validators import validate_nik
from storage.models_events import AnalyticsMinute


def test_a_filled_validator_message_is_traced_back_to_its_key() -> None:
    short = validate_nik("12345")
    letters = validate_nik("12345678901234ab")

    assert message_key(short.message) == "nik_length"  # type: ignore[union-attr]
    assert message_key(letters.message) == "nik_not_digits"  # type: ignore[union-attr]
    assert message_key(text("nik_taken")) == "nik_taken"
    assert message_key("something the bot never says") == "other"


def test_latency_falls_into_the_bucket_at_or_above_it() -> None:
    assert [latency_bucket(ms) for ms in (0.4, 5, 5.1, 999, 10_000, 60_000)] == [
        "5", "5", "10", "1000", "10000", "inf"]


def test_flushes_add_up_in_the_same_minute_row(engine: Engine) -> None:
    tally, at = Tally(), datetime(2026, 12, 1, 8, 30, 15, tzinfo=UTC)
    tally.add("ktp_refusal", "blurry", at=at)
    tally.add("ktp_refusal", "blurry", at=at.replace(second=50))
    tally.flush(engine)
    tally.add("ktp_refusal", "blurry", 2.5, at=at)

    written = tally.flush(engine)

    with Session(engine) as session:
        rows = session.exec(select(AnalyticsMinute)).all()
    assert written == 1 and tally.flush(engine) == 0
    assert [(r.minute, r.label, r.count, r.total) for r in rows] == [
        (at.replace(second=0), "blurry", 3, 2.5)]


def test_rollups_older_than_the_retention_are_pruned(engine: Engine) -> None:
    tally, now = Tally(), datetime.now(UTC)
    tally.add("nlu_fallback", "greet", at=now - timedelta(days=31))
    tally.add("nlu_fallback", "greet", at=now)
    tally.flush(engine)

    removed = prune_rollups(engine)

    with Session(engine) as session:
        left = session.exec(select(AnalyticsMinute)).all()
    assert removed == 1
    assert [row.minute for row in left] == [now.replace(second=0, microsecond=0)]
