"""Builds the destinations and the worker from Settings (HTTP when configured, offline if not)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
from sqlalchemy.engine import Engine

from actions.destinations import (
    Destination,
    DukcapilApi,
    HttpEmailApi,
    HttpSmsGateway,
    JsonlSink,
    LocalPlatform,
    Message,
    NikCheckDelivery,
    OfflineNikChecker,
    Outcome,
    PlatformApi,
    TelegramBotApi,
)
from actions.destinations.nik import NikChecker
from actions.destinations.platform_changes import LocalPlatformChanges, PlatformChangeApi
from actions.ktp_vault import KtpVault
from actions.outbox.account_change import AccountChangeFollowUp
from actions.outbox.backoff import RetryPolicy
from actions.outbox.breaker import BreakerPolicy
from actions.outbox.kinds import (
    ACCOUNT_CHANGE,
    EMAIL,
    NIK_CHECK,
    REGISTRATION,
    SMS,
    TELEGRAM_MESSAGE,
)
from actions.outbox.record import FollowUp
from actions.outbox.registration import RegistrationFollowUp
from actions.outbox.worker import Worker, WorkerConfig
from storage.settings import Settings


class ByChannel:
    """Sends chat messages of the Telegram channel to Telegram and the rest to a local sink."""

    def __init__(self, telegram: Destination | None, local: Destination) -> None:
        self.telegram, self.local = telegram, local

    async def deliver(self, message: Message) -> Outcome:
        """Routes on the row's destination (the applicant's channel)."""
        if message.destination == "telegram" and self.telegram is not None:
            return await self.telegram.deliver(message)
        return await self.local.deliver(message)


def build_destinations(settings: Settings, client: httpx.AsyncClient) -> dict[str, Destination]:
    """Returns one destination per outbox kind, HTTP where a URL is set, local files otherwise."""
    local = Path(settings.outbox_dir)
    return {
        REGISTRATION: (
            PlatformApi(client, base_url=settings.platform_api_url,
                        token=settings.platform_api_token)
            if settings.platform_api_url else LocalPlatform(local / "platform.jsonl")
        ),
        ACCOUNT_CHANGE: (
            PlatformChangeApi(client, base_url=settings.platform_api_url,
                              token=settings.platform_api_token)
            if settings.platform_api_url else LocalPlatformChanges(local / "platform_changes.jsonl")
        ),
        EMAIL: (
            HttpEmailApi(client, base_url=settings.email_api_url, token=settings.email_api_token)
            if settings.email_api_url else JsonlSink(local / "email.jsonl",
                                                     fields=("subject", "body"))
        ),
        SMS: (
            HttpSmsGateway(client, base_url=settings.sms_api_url, token=settings.sms_api_token)
            if settings.sms_api_url else JsonlSink(local / "sms.jsonl", fields=("body",))
        ),
        NIK_CHECK: NikCheckDelivery(build_nik_checker(settings, client)),
        TELEGRAM_MESSAGE: ByChannel(
            TelegramBotApi(client, api_base_url=settings.telegram_api_base_url,
                           token=settings.telegram_bot_token)
            if settings.telegram_bot_token else None,
            JsonlSink(local / "chat.jsonl", fields=("text",)),
        ),
    }


def build_nik_checker(settings: Settings, client: httpx.AsyncClient) -> NikChecker:
    """Returns the Dukcapil-style client if DUKCAPIL_API_URL is set, else the offline check."""
    if settings.dukcapil_api_url:
        return DukcapilApi(client, base_url=settings.dukcapil_api_url,
                           token=settings.dukcapil_api_token)
    return OfflineNikChecker()


def follow_ups() -> dict[str, FollowUp]:
    """Returns the hooks run when a row is delivered or dead-lettered, by kind."""
    return {REGISTRATION: RegistrationFollowUp(), ACCOUNT_CHANGE: AccountChangeFollowUp()}


def build_worker(engine: Engine, settings: Settings, client: httpx.AsyncClient, *,
                 concurrency: int | None = None) -> Worker:
    """Returns a worker wired with every destination and the policies from Settings."""
    return Worker(
        engine, build_destinations(settings, client),
        retry=RetryPolicy(
            base_seconds=settings.outbox_backoff_base_seconds,
            cap_seconds=settings.outbox_backoff_cap_seconds,
            max_attempts=settings.outbox_max_attempts,
            retry_after_max_seconds=settings.outbox_retry_after_max_seconds,
        ),
        breaker_policy=BreakerPolicy(
            threshold=settings.outbox_breaker_threshold,
            open_seconds=settings.outbox_breaker_open_seconds,
            max_open_seconds=settings.outbox_backoff_cap_seconds,
        ),
        config=WorkerConfig(
            concurrency=concurrency or settings.outbox_concurrency,
            lease_seconds=settings.outbox_lease_seconds,
            poll_seconds=settings.outbox_poll_seconds,
        ),
        vault=KtpVault.from_settings(settings),
        follow_ups=follow_ups(),
    )


async def run_worker(engine: Engine, settings: Settings, stop: asyncio.Event, *,
                     concurrency: int | None = None) -> None:
    """Runs a worker with its own HTTP client until `stop` is set (for `prakerja run`/`worker`)."""
    timeout = httpx.Timeout(settings.outbox_http_timeout_seconds)
    limits = httpx.Limits(max_connections=(concurrency or settings.outbox_concurrency) + 4)
    async with httpx.AsyncClient(timeout=timeout, limits=limits) as client:
        await build_worker(engine, settings, client, concurrency=concurrency).run(stop)
