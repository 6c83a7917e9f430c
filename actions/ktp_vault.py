"""Accepted KTP images, encrypted at rest (Fernet) and deleted once the platform acknowledges."""

from __future__ import annotations

import logging

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import delete
from sqlmodel import Session

from storage.crypto import data_keys
from storage.models_outbox import KtpBlob
from storage.settings import Settings

logger = logging.getLogger(__name__)


class KtpVault:
    """Seals and opens KTP bytes; the first key encrypts, every key decrypts (rotation)."""

    def __init__(self, keys: list[str]) -> None:
        if not keys:
            raise ValueError("KtpVault needs at least one key")
        self.fernet = MultiFernet([Fernet(key.encode()) for key in keys])

    @classmethod
    def from_settings(cls, settings: Settings) -> KtpVault:
        """Returns a vault keyed by DATA_ENCRYPTION_KEY (comma-separated) or the local key file."""
        return cls(data_keys(settings))

    def store(self, session: Session, *, key: str, chat_id: int | None, image: bytes,
              content_type: str = "image/jpeg") -> None:
        """Adds the encrypted image under the outbox row's idempotency key to the session."""
        session.add(KtpBlob(idempotency_key=key, chat_id=chat_id, content_type=content_type,
                            ciphertext=self.fernet.encrypt(image)))

    def load(self, session: Session, key: str) -> tuple[bytes, str] | None:
        """Returns the decrypted image and its content type, or None if gone or undecryptable."""
        blob = session.get(KtpBlob, key)
        if blob is None:
            return None
        try:
            return self.fernet.decrypt(blob.ciphertext), blob.content_type
        except InvalidToken:
            logger.error("KTP blob for outbox key %s cannot be decrypted with the configured keys",
                         key)
            return None

    @staticmethod
    def discard(session: Session, key: str) -> None:
        """Deletes the image (the platform has it now; we keep no copy)."""
        session.execute(delete(KtpBlob).where(KtpBlob.idempotency_key == key))  # type: ignore[arg-type]
