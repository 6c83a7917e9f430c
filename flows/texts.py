"""Shared texts from flows/texts/common.yml, formatted with HTML-escaped values."""

from __future__ import annotations

import html
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml

from flows.messages import Button

TEXTS_FILE = Path(__file__).parent / "texts" / "common.yml"


class TextBook:
    """One YAML file of user-facing texts, read on first use."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @cached_property
    def entries(self) -> dict[str, Any]:
        """Returns the whole file as a mapping."""
        with self.path.open(encoding="utf-8") as handle:
            loaded: dict[str, Any] = yaml.safe_load(handle)
        return loaded

    def text(self, key: str, **values: object) -> str:
        """Returns the text `key`, stripped and filled with HTML-escaped values."""
        return fill(str(self.entries[key]).strip(), **values)


COMMON = TextBook(TEXTS_FILE)


def _texts() -> dict[str, Any]:
    return COMMON.entries


def raw_texts() -> dict[str, Any]:
    """Returns the whole texts file (for lists that are not messages)."""
    return _texts()


def fill(template: str, **values: object) -> str:
    """Fills {placeholders}, escaping every value for Telegram HTML."""
    return template.format(**{key: html.escape(str(value)) for key, value in values.items()})


def text(key: str, **values: object) -> str:
    """Returns the shared text `key`, stripped and filled."""
    return COMMON.text(key, **values)


def buttons(key: str) -> tuple[Button, ...]:
    """Returns the button list stored under `key`."""
    return tuple(Button(label=item["label"], value=item["value"]) for item in _texts()[key])
