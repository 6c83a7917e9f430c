"""Encryption at rest for personal data: Fernet with key rotation, plus an HMAC blind index.

Data keys come from DATA_ENCRYPTION_KEY (comma-separated Fernet keys, newest first) or, for local
runs, a key file created on first use. The blind index (a keyed hash used to find an applicant by
NIK, or to count codes sent to one address) has its own key, BLIND_INDEX_KEY or a local key file:
it is never rotated with the data keys, so lookups keep working while and after they rotate.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import secrets
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from storage.settings import Settings, get_settings

logger = logging.getLogger(__name__)


def data_keys(settings: Settings) -> list[str]:
    """Returns the configured Fernet keys, or the local key file's single key."""
    if settings.data_encryption_key:
        return [k.strip() for k in settings.data_encryption_key.split(",") if k.strip()]
    return [local_key(Path(settings.data_key_file))]


def blind_index_key(settings: Settings) -> bytes:
    """Returns the stable key of the blind index (BLIND_INDEX_KEY or its local key file)."""
    if settings.blind_index_key:
        return settings.blind_index_key.strip().encode()
    return local_key(Path(settings.blind_index_key_file), make=secrets.token_hex).encode()


def local_key(path: Path, make: Callable[[], str | bytes] = Fernet.generate_key) -> str:
    """Returns the key in `path`, creating it (mode 0600) on first use for offline runs."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        draft = path.with_name(f".{path.name}.{os.getpid()}")
        fresh = make()
        draft.write_text(fresh.decode() if isinstance(fresh, bytes) else fresh)
        draft.chmod(0o600)
        try:
            # link() is atomic and refuses to replace: concurrent first runs agree on one key.
            os.link(draft, path)
            logger.warning("no key configured: created a local key file at %s", path)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return path.read_text().strip()


class PersonalDataCipher:
    """Encrypts values (random nonce each time) and computes their keyed blind index."""

    def __init__(self, keys: list[str], *, index_key: bytes) -> None:
        self.fernet = MultiFernet([Fernet(key.encode()) for key in keys])
        self.newest = Fernet(keys[0].encode())
        self._index_key = hmac.new(index_key, b"prakerja-blind-index-v2", hashlib.sha256).digest()

    def encrypt(self, value: str) -> str:
        """Returns the value encrypted (different every call)."""
        return self.fernet.encrypt(value.encode()).decode()

    def decrypt(self, token: str) -> str:
        """Returns the plain value of a token made by encrypt()."""
        return self.fernet.decrypt(token.encode()).decode()

    def blind_index(self, value: str) -> str:
        """Returns a keyed hash of the value: equal values match, the value cannot be read back."""
        return hmac.new(self._index_key, value.encode(), hashlib.sha256).hexdigest()

    def address_index(self, address: str) -> str:
        """Returns the blind index of an email address or phone number (case and spaces ignored)."""
        return self.blind_index("address:" + address.strip().casefold())

    def is_current(self, token: bytes) -> bool:
        """Tells whether the token is already encrypted with the newest key."""
        try:
            self.newest.decrypt(token)
        except InvalidToken:
            return False
        return True

    def rotate(self, token: bytes) -> bytes:
        """Returns the token re-encrypted with the newest key (readable with any configured key)."""
        return self.fernet.rotate(token)


def cipher_from_settings(settings: Settings) -> PersonalDataCipher:
    """Returns a cipher with the data keys and blind-index key of these settings."""
    return PersonalDataCipher(data_keys(settings), index_key=blind_index_key(settings))


@cache
def personal_data_cipher() -> PersonalDataCipher:
    """Returns the process-wide cipher built from the settings."""
    return cipher_from_settings(get_settings())


def seal_json(value: Any, cipher: PersonalDataCipher | None = None) -> str:
    """Returns the JSON of `value`, encrypted as one token (by default with the process cipher)."""
    return (cipher or personal_data_cipher()).encrypt(
        json.dumps(value, ensure_ascii=False, separators=(",", ":")))


def open_json(token: str) -> Any:
    """Returns the value sealed by seal_json()."""
    return json.loads(personal_data_cipher().decrypt(token))


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
    """Returns a copy with every `<name>_sealed` field decrypted back to `<name>`.

    Registration payloads queued before the whole payload was sealed carry a sealed NIK this way.
    """
    cipher = personal_data_cipher()
    opened: dict[str, object] = {}
    for key, value in values.items():
        if key.endswith(SEALED_SUFFIX):
            opened[key.removesuffix(SEALED_SUFFIX)] = cipher.decrypt(str(value))
        else:
            opened[key] = value
    return opened
