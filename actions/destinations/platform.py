"""Registration platform API client: submits a completed registration and its KTP image."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import httpx

from actions.destinations.base import (
    Delivered,
    Failed,
    Message,
    Outcome,
    auth_headers,
    post_idempotent,
)
from actions.destinations.local import JsonlSink
from storage.crypto import open_fields

REGISTRATIONS_PATH = "/v1/registrations"


class PlatformApi:
    """POSTs multipart registrations to the platform (see docs/platform-api.yaml)."""

    def __init__(self, client: httpx.AsyncClient, *, base_url: str, token: str | None = None):
        self.client = client
        self.url = base_url.rstrip("/") + REGISTRATIONS_PATH
        self.headers = auth_headers(token)

    async def deliver(self, message: Message) -> Outcome:
        """Submits the registration with the row's Idempotency-Key; maps the answer."""
        if message.payload.get("attachment") and message.attachment is None:
            return Failed(error="KTP image missing from vault", permanent=True)
        registration = open_fields(message.payload["registration"])
        files = {"registration": (None, json.dumps(registration), "application/json")}
        if message.attachment is not None:
            files["ktp_image"] = ("ktp.jpg", message.attachment,  # type: ignore[assignment]
                                  message.attachment_type or "image/jpeg")
        return await post_idempotent(self.client, self.url, headers=self.headers,
                                     message=message, files=files)


class LocalPlatform:
    """Offline stand-in: records the registration (image only as size and hash) and acknowledges."""

    def __init__(self, path: Path) -> None:
        self.sink = JsonlSink(path, fields=("registration",))

    async def deliver(self, message: Message) -> Outcome:
        """Writes the registration line and returns a local acknowledgement."""
        outcome = await self.sink.deliver(message)
        image = message.attachment or b""
        return Delivered(ack={
            "registration_id": f"local-{message.idempotency_key[:8]}",
            "ktp_sha256": hashlib.sha256(image).hexdigest() if image else None,
            **(outcome.ack if isinstance(outcome, Delivered) else {}),
        })
