"""Offline sink: appends delivered messages as JSON lines to a file under OUTBOX_DIR."""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path
from typing import Any

from actions.destinations.base import Delivered, Message, Outcome
from storage.erasure import ERASE_FILES_LOCK

logger = logging.getLogger(__name__)


class JsonlSink:
    """Appends one JSON line per message to `path` (the local outbox of a channel)."""

    def __init__(self, path: Path, *, fields: tuple[str, ...]) -> None:
        self.path = path
        self.fields = fields
        logger.warning("outbox sink %s writes messages in CLEAR TEXT (names, codes, NIK): "
                       "for development only; set the *_API_URL settings in production", path)

    async def deliver(self, message: Message) -> Outcome:
        """Appends the chosen payload fields with the idempotency key and acknowledges."""
        record: dict[str, Any] = {
            "idempotency_key": message.idempotency_key,
            "kind": message.kind,
            "chat_id": message.chat_id,
            "destination": message.recipient,
            **{name: message.payload.get(name) for name in self.fields},
        }
        await asyncio.to_thread(self._append, json.dumps(record, ensure_ascii=False))
        return Delivered(ack={"sink": str(self.path)})

    def _append(self, line: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with ERASE_FILES_LOCK, self.path.open("a", encoding="utf-8") as handle:
            handle.write(line + "\n")
