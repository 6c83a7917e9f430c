"""Applicant-facing delivery texts, read from messages.yml next to this module."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

MESSAGES_FILE = Path(__file__).with_name("messages.yml")


@lru_cache(maxsize=1)
def _messages() -> dict[str, str]:
    with MESSAGES_FILE.open(encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    return {str(key): str(value) for key, value in data.items()}


def text(key: str, **values: object) -> str:
    """Returns the text named `key` with `{placeholders}` filled in."""
    return _messages()[key].format(**values)
