"""SMS gateway delivery over HTTP; the local outbox file is the offline default."""

from __future__ import annotations

import httpx

from actions.destinations.base import (
    Message,
    Outcome,
    auth_headers,
    post_idempotent,
)


class HttpSmsGateway:
    """POSTs {to, text} as JSON to `<url>/sms` with the row's Idempotency-Key."""

    def __init__(self, client: httpx.AsyncClient, *, base_url: str, token: str | None = None):
        self.client = client
        self.url = base_url.rstrip("/") + "/sms"
        self.headers = auth_headers(token)

    async def deliver(self, message: Message) -> Outcome:
        """Sends one SMS; the gateway deduplicates on the idempotency key."""
        body = {"to": message.recipient, "text": message.payload.get("body", "")}
        return await post_idempotent(self.client, self.url, headers=self.headers,
                                     message=message, json=body)
