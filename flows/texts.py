"""Shared texts from flows/texts/common.yml, formatted with HTML-escaped values."""

from __future__ import annotations

import html
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from flows.messages import Button

TEXTS_FILE = Path(__file__).parent / "texts" / "common.yml"


@cache
def _texts() -> dict[str, Any]:
    with TEXTS_FILE.open(encoding="utf-8") as handle:
        loaded: dict[str, Any] = yaml.safe_load(handle)
    return loaded


def raw_texts() -> dict[str, Any]:
    """Returns the whole texts file (for lists that are not messages)."""
    return _texts()


def fill(template: str, **values: object) -> str:
    """Fills {placeholders}, escaping every value for Telegram HTML."""
    return template.format(**{key: html.escape(str(value)) for key, value in values.items()})


def text(key: str, **values: object) -> str:
    """Returns the shared text `key`, stripped and filled."""
    return fill(str(_texts()[key]).strip(), **values)


def buttons(key: str) -> tuple[Button, ...]:
    """Returns the button list stored under `key`."""
    return tuple(Button(label=item["label"], value=item["value"]) for item in _texts()[key])
