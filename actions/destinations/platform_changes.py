"""Account changes to the registration platform: PATCH by the original submission's key."""

from __future__ import annotations

from pathlib import Path

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
from actions.destinations.local import JsonlSink
from storage.crypto import open_fields

CHANGES_PATH = "/v1/registrations/by-submission/{key}"


class PlatformChangeApi:
    """Sends one account change (docs/platform-api.yaml, changeRegistration)."""

    def __init__(self, client: httpx.AsyncClient, *, base_url: str, token: str | None = None):
        self.client = client
        self.base_url = base_url.rstrip("/")
        self.headers = auth_headers(token)

    async def deliver(self, message: Message) -> Outcome:
        """PATCHes the changes with the row's Idempotency-Key; 409 (not stored yet) is retried."""
        key = message.payload.get("submission_key")
        if not key:
            return Failed(error="no registration submission to change", permanent=True)
        headers = {**self.headers, IDEMPOTENCY_HEADER: message.idempotency_key}
        url = self.base_url + CHANGES_PATH.format(key=key)
        changes = open_fields(dict(message.payload.get("changes") or {}))
        try:
            response = await self.client.patch(url, headers=headers, json={"changes": changes})
        except httpx.HTTPError as exc:
            return outcome_of_exception(exc)
        return outcome_of_response(response)


class LocalPlatformChanges:
    """Offline stand-in: records the change (still sealed) and acknowledges."""

    def __init__(self, path: Path) -> None:
        self.sink = JsonlSink(path, fields=("part", "changes"))

    async def deliver(self, message: Message) -> Outcome:
        """Writes the change line and returns a local acknowledgement."""
        outcome = await self.sink.deliver(message)
        return outcome if isinstance(outcome, Failed) else Delivered(ack={"local": True})
