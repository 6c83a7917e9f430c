"""Encryption at rest for personal data: Fernet with key rotation, plus an HMAC blind index.

Keys come from DATA_ENCRYPTION_KEY (comma-separated Fernet keys, newest first) or, for local runs,
a key file created on first use. The blind index lets us find an applicant by NIK without storing
the NIK in a searchable form.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
from functools import cache
from pathlib import Path

from cryptography.fernet import Fernet, MultiFernet

from storage.settings import Settings, get_settings

logger = logging.getLogger(__name__)


def data_keys(settings: Settings) -> list[str]:
    """Returns the configured Fernet keys, or the local key file's single key."""
    if settings.data_encryption_key:
        return [k.strip() for k in settings.data_encryption_key.split(",") if k.strip()]
    return [local_key(Path(settings.data_key_file))]


def local_key(path: Path) -> str:
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


class PersonalDataCipher:
    """Encrypts values (random nonce each time) and computes their keyed blind index."""

    def __init__(self, keys: list[str]) -> None:
        self.fernet = MultiFernet([Fernet(key.encode()) for key in keys])
        # The index key is derived from the newest key, so one secret configures both.
        self._index_key = hmac.new(keys[0].encode(), b"prakerja-blind-index-v1",
                                   hashlib.sha256).digest()

    def encrypt(self, value: str) -> str:
        """Returns the value encrypted (different every call)."""
        return self.fernet.encrypt(value.encode()).decode()

    def decrypt(self, token: str) -> str:
        """Returns the plain value of a token made by encrypt()."""
        return self.fernet.decrypt(token.encode()).decode()

    def blind_index(self, value: str) -> str:
        """Returns a keyed hash of the value: equal values match, the value cannot be read back."""
        return hmac.new(self._index_key, value.encode(), hashlib.sha256).hexdigest()


@cache
def personal_data_cipher() -> PersonalDataCipher:
    """Returns the process-wide cipher built from the settings."""
    return PersonalDataCipher(data_keys(get_settings()))


SEALED_SUFFIX = "_sealed"


def seal_fields(values: dict[str, object], names: tuple[str, ...]) -> dict[str, object]:
    """Returns a copy with the named fields encrypted (kept as `<name>_sealed`)."""
    cipher = personal_data_cipher()
    sealed = {k: v for k, v in values.items() if k not in names}
    for name in names:
        if values.get(name) is not None:
            sealed[name + SEALED_SUFFIX] = cipher.encrypt(str(values[name]))
    return sealed


def open_fields(values: dict[str, object]) -> dict[str, object]:
    """Returns a copy with every `<name>_sealed` field decrypted back to `<name>`."""
    cipher = personal_data_cipher()
    opened: dict[str, object] = {}
    for key, value in values.items():
        if key.endswith(SEALED_SUFFIX):
            opened[key.removesuffix(SEALED_SUFFIX)] = cipher.decrypt(str(value))
        else:
            opened[key] = value
    return opened
