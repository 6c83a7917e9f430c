"""Prometheus metrics of one worker process, served on /metrics."""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest
from starlette.requests import Request
from starlette.responses import Response

UPDATES = Counter("prakerja_updates_processed_total", "Telegram updates processed")
REDELIVERED = Counter("prakerja_updates_redelivered_total", "Updates received twice and ignored")
HANDLER_SECONDS = Histogram(
    "prakerja_handler_seconds", "Time to process one update, replies included",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
INBOX_DEPTH = Gauge("prakerja_inbox_depth", "Updates stored but not yet processed")
OUTBOX_DEPTH = Gauge("prakerja_outbox_depth", "Outbox rows waiting for delivery")
BROADCAST_RATE = Gauge("prakerja_broadcast_rate", "Broadcast messages sent per second")
ERRORS = Counter("prakerja_errors_total", "Errors by type", ["type"])


async def endpoint(_request: Request) -> Response:
    """Returns the metrics in Prometheus text format."""
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
