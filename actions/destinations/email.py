"""Email delivery: an HTTP email API, or the local outbox file by default."""

from __future__ import annotations

import httpx

from actions.destinations.base import (
    IDEMPOTENCY_HEADER,
    Message,
    Outcome,
    auth_headers,
    outcome_of_exception,
    outcome_of_response,
)


class HttpEmailApi:
    """POSTs {to, subject, text} as JSON to `<url>/messages` with the row's Idempotency-Key."""

    def __init__(self, client: httpx.AsyncClient, *, base_url: str, token: str | None = None):
        self.client = client
        self.url = base_url.rstrip("/") + "/messages"
        self.headers = auth_headers(token)

    async def deliver(self, message: Message) -> Outcome:
        """Sends one email; the provider deduplicates on the idempotency key."""
        body = {
            "to": message.destination,
            "subject": message.payload.get("subject", ""),
            "text": message.payload.get("body", ""),
        }
        headers = {**self.headers, IDEMPOTENCY_HEADER: message.idempotency_key}
        try:
            response = await self.client.post(self.url, json=body, headers=headers)
        except httpx.HTTPError as exc:
            return outcome_of_exception(exc)
        return outcome_of_response(response)
