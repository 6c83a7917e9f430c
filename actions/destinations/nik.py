"""NIK checks: a Dukcapil-style verification API, or the offline structural check by default."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import httpx

from actions.destinations.base import (
    IDEMPOTENCY_HEADER,
    Delivered,
    Failed,
    Message,
    Outcome,
    auth_headers,
    outcome_of_exception,
    outcome_of_response,
)
from flows.validators.nik import validate_nik
from flows.validators.result import Valid


@dataclass(frozen=True, kw_only=True)
class NikVerdict:
    """What a check concluded: `status` is "valid", "invalid" or "not_found"; `source` who said."""

    status: str
    source: str
    reason: str | None = None


class NikChecker(Protocol):
    """Checks one NIK; returns a verdict, or a Failed outcome when the service did not answer."""

    async def check(self, nik: str, *, idempotency_key: str) -> NikVerdict | Failed: ...


class OfflineNikChecker:
    """Checks only the structure (region, date, serial) with flows.validators.validate_nik."""

    async def check(self, nik: str, *, idempotency_key: str) -> NikVerdict | Failed:
        """Returns "valid" or "invalid" with the validator's failure code."""
        result = validate_nik(nik)
        if isinstance(result, Valid):
            return NikVerdict(status="valid", source="structure")
        return NikVerdict(status="invalid", source="structure", reason=result.code)


class DukcapilApi:
    """POSTs {"nik": ...} to `<url>/v1/nik/verify`; expects {"status": "valid"|"not_found"|...}."""

    def __init__(self, client: httpx.AsyncClient, *, base_url: str, token: str | None = None):
        self.client = client
        self.url = base_url.rstrip("/") + "/v1/nik/verify"
        self.headers = auth_headers(token)

    async def check(self, nik: str, *, idempotency_key: str) -> NikVerdict | Failed:
        """Asks the service; structural failures are answered locally without a request."""
        local = await OfflineNikChecker().check(nik, idempotency_key=idempotency_key)
        if isinstance(local, Failed) or local.status != "valid":
            return local
        headers = {**self.headers, IDEMPOTENCY_HEADER: idempotency_key}
        try:
            response = await self.client.post(self.url, json={"nik": nik}, headers=headers)
        except httpx.HTTPError as exc:
            return outcome_of_exception(exc)
        outcome = outcome_of_response(response)
        if isinstance(outcome, Failed):
            return outcome
        return NikVerdict(status=str(outcome.ack.get("status", "unknown")), source="dukcapil")


class NikCheckDelivery:
    """Runs a queued NIK check (kind "nik_check", payload {"nik": ...}) and keeps the verdict."""

    def __init__(self, checker: NikChecker) -> None:
        self.checker = checker

    async def deliver(self, message: Message) -> Outcome:
        """Returns the verdict as the acknowledgement, or the service failure to retry."""
        verdict = await self.checker.check(
            str(message.payload.get("nik", "")), idempotency_key=message.idempotency_key
        )
        if isinstance(verdict, Failed):
            return verdict
        return Delivered(ack={"status": verdict.status, "source": verdict.source,
                              "reason": verdict.reason})
