"""A column type that stores strings encrypted and hands them back in the clear."""

from __future__ import annotations

from typing import Any

from sqlalchemy import String
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from storage.crypto import personal_data_cipher


class EncryptedString(TypeDecorator[str]):
    """Encrypts on the way in and decrypts on the way out; never compare it in SQL."""

    impl = String(255)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        """Encrypts a value before it is written."""
        return None if value is None else personal_data_cipher().encrypt(str(value))

    def process_result_value(self, value: Any, dialect: Dialect) -> str | None:
        """Decrypts a stored value."""
        return None if value is None else personal_data_cipher().decrypt(str(value))
