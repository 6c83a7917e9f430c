"""Texts of the call-center side from flows/texts/staff.yml, formatted with escaped values."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

from flows.texts import fill

STAFF_TEXTS_FILE = Path(__file__).parent / "texts" / "staff.yml"


@cache
def _texts() -> dict[str, Any]:
    with STAFF_TEXTS_FILE.open(encoding="utf-8") as handle:
        loaded: dict[str, Any] = yaml.safe_load(handle)
    return loaded


def staff_text(key: str, **values: object) -> str:
    """Returns the staff text `key`, stripped and filled with escaped values."""
    return fill(str(_texts()[key]).strip(), **values)


def staff_label(group: str, key: str) -> str:
    """Returns one label of a mapping in the staff texts (e.g. result_labels.selected)."""
    return str(_texts()[group][key])
