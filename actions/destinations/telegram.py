"""Pushes a text to a chat through the Telegram Bot API over plain httpx (no telegram import)."""

from __future__ import annotations

import httpx

from actions.destinations.base import (
    Delivered,
    Failed,
    Message,
    Outcome,
    outcome_of_exception,
    outcome_of_response,
)


class TelegramBotApi:
    """Calls sendMessage; a 429 carries `parameters.retry_after`, which becomes Retry-After."""

    def __init__(self, client: httpx.AsyncClient, *, api_base_url: str, token: str) -> None:
        self.client = client
        self.url = f"{api_base_url}{token}/sendMessage"

    async def deliver(self, message: Message) -> Outcome:
        """Sends payload["text"] to the row's chat (no idempotency key: at least once)."""
        if message.chat_id is None:
            return Failed(error="no chat_id", permanent=True)
        body = {"chat_id": message.chat_id, "text": message.payload.get("text", "")}
        try:
            response = await self.client.post(self.url, json=body)
        except httpx.HTTPError as exc:
            return outcome_of_exception(exc)
        outcome = outcome_of_response(response)
        if isinstance(outcome, Failed) and response.status_code == 429:
            return Failed(error=outcome.error, status_code=429,
                          retry_after=_telegram_retry_after(response) or outcome.retry_after)
        if isinstance(outcome, Delivered):
            return Delivered(ack={"ok": True}, status_code=outcome.status_code)
        return outcome


def _telegram_retry_after(response: httpx.Response) -> float | None:
    """Returns parameters.retry_after from a Bot API error body, if present."""
    try:
        value = response.json().get("parameters", {}).get("retry_after")
    except (ValueError, AttributeError):
        return None
    return float(value) if isinstance(value, int | float) else None
