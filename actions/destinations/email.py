"""Email delivery: an HTTP email API, or the local outbox file by default."""

from __future__ import annotations

import httpx

from actions.destinations.base import (
    Message,
    Outcome,
    auth_headers,
    post_idempotent,
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
            "to": message.recipient,
            "subject": message.payload.get("subject", ""),
            "text": message.payload.get("body", ""),
        }
        return await post_idempotent(self.client, self.url, headers=self.headers,
                                     message=message, json=body)
