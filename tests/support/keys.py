"""Switching the process's data keys in tests, the way an operator changes DATA_ENCRYPTION_KEY."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from actions import ktp_pending
from storage.crypto import personal_data_cipher
from storage.settings import get_settings

STAFF_ID = 9001


class Keys:
    """An old and a new Fernet key, a stable blind-index key, and a switch between them."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, outbox_dir: Path) -> None:
        self.monkeypatch = monkeypatch
        self.old, self.new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
        monkeypatch.setenv("BLIND_INDEX_KEY", "stable-blind-index-key-for-tests")
        monkeypatch.setenv("OUTBOX_DIR", str(outbox_dir))
        monkeypatch.setenv("STAFF_TELEGRAM_IDS", str(STAFF_ID))

    def use(self, value: str) -> None:
        """Sets DATA_ENCRYPTION_KEY and forgets every cached key, as a restart would."""
        self.monkeypatch.setenv("DATA_ENCRYPTION_KEY", value)
        forget_cached_keys()


def forget_cached_keys() -> None:
    """Drops the settings and ciphers cached by the process."""
    get_settings.cache_clear()
    personal_data_cipher.cache_clear()
    ktp_pending._vault.cache_clear()


@pytest.fixture
def keys(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Keys]:
    """Yields the key switcher with the old key in use; caches are forgotten afterwards."""
    switcher = Keys(monkeypatch, tmp_path / "outbox")
    switcher.use(switcher.old)
    yield switcher
    forget_cached_keys()
