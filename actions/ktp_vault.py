"""Accepted KTP images, encrypted at rest (Fernet) and deleted once the platform acknowledges."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import delete
from sqlmodel import Session

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
        if settings.data_encryption_key:
            return cls([k.strip() for k in settings.data_encryption_key.split(",") if k.strip()])
        return cls([_local_key(Path(settings.data_key_file))])

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


def _local_key(path: Path) -> str:
    """Returns the key in `path`, creating it (mode 0600) on first use for offline runs."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        draft = path.with_name(f".{path.name}.{os.getpid()}")
        draft.write_text(Fernet.generate_key().decode())
        draft.chmod(0o600)
        try:
            # link() is atomic and refuses to replace: concurrent first runs agree on one key.
            os.link(draft, path)
            logger.warning("DATA_ENCRYPTION_KEY not set: created a local key file at %s", path)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return path.read_text().strip()
