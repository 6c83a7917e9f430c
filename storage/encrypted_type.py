"""Column types that store values encrypted and hand them back in the clear."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, String
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from storage.crypto import open_json, personal_data_cipher, seal_json


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


class SealedJSON(TypeDecorator[Any]):
    """A JSON column whose whole value is stored as one encrypted token (a JSON string).

    The column stays JSON in the schema; a row written before sealing (a JSON object) is handed
    back as it is, so old rows keep working until `prakerja keys rotate` or migration 0009 seals
    them.
    """

    impl = JSON
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        """Seals the value before it is written."""
        return None if value is None else seal_json(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        """Opens a sealed value; anything else is a legacy clear value."""
        return open_json(value) if isinstance(value, str) else value
