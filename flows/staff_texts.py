"""Texts of the call-center side from flows/texts/staff.yml, formatted with escaped values."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flows.texts import TextBook

STAFF_TEXTS_FILE = Path(__file__).parent / "texts" / "staff.yml"


_BOOK = TextBook(STAFF_TEXTS_FILE)


def _texts() -> dict[str, Any]:
    return _BOOK.entries


def staff_text(key: str, **values: object) -> str:
    """Returns the staff text `key`, stripped and filled with escaped values."""
    return _BOOK.text(key, **values)


def staff_label(group: str, key: str) -> str:
    """Returns one label of a mapping in the staff texts (e.g. result_labels.selected)."""
    return str(_texts()[group][key])


def staff_plain_text(key: str, **values: object) -> str:
    """Returns the staff text `key` filled without escaping, for plain-text chat notices."""
    return str(_texts()[key]).strip().format(**values)


def staff_entry(key: str) -> Any:
    """Returns a raw entry of the staff texts (a list or mapping of labels)."""
    return _texts()[key]
