"""Destinations of outbox messages: httpx clients behind one small interface, plus offline sinks."""

from __future__ import annotations

from actions.destinations.base import (
    IDEMPOTENCY_HEADER,
    Delivered,
    Destination,
    Failed,
    Message,
    Outcome,
    parse_retry_after,
)
from actions.destinations.email import HttpEmailApi
from actions.destinations.local import JsonlSink
from actions.destinations.nik import (
    DukcapilApi,
    NikCheckDelivery,
    NikChecker,
    NikVerdict,
    OfflineNikChecker,
)
from actions.destinations.platform import LocalPlatform, PlatformApi
from actions.destinations.sms import HttpSmsGateway
from actions.destinations.telegram import TelegramBotApi

__all__ = [
    "IDEMPOTENCY_HEADER",
    "Delivered",
    "Destination",
    "DukcapilApi",
    "Failed",
    "HttpEmailApi",
    "HttpSmsGateway",
    "JsonlSink",
    "LocalPlatform",
    "Message",
    "NikCheckDelivery",
    "NikChecker",
    "NikVerdict",
    "OfflineNikChecker",
    "Outcome",
    "PlatformApi",
    "TelegramBotApi",
    "parse_retry_after",
]
