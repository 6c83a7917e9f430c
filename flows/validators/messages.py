"""Loads the Indonesian validation messages from flows/texts/validation.yml."""

from __future__ import annotations

import functools
from pathlib import Path

import yaml

from flows.validators.result import Invalid

MESSAGES_PATH = Path(__file__).resolve().parent.parent / "texts" / "validation.yml"


@functools.cache
def load_messages() -> dict[str, str]:
    """Returns the message templates keyed by failure code (read once, on first use)."""
    raw = yaml.safe_load(MESSAGES_PATH.read_text(encoding="utf-8"))
    if not isinstance(raw, dict):
        raise ValueError(f"{MESSAGES_PATH} must map failure codes to message templates")
    return {str(code): str(template).strip() for code, template in raw.items()}


def invalid(code: str, /, **params: object) -> Invalid:
    """Returns an Invalid whose message is the template for `code` filled with `params`."""
    return Invalid(code=code, message=load_messages()[code].format_map(params))


def describe_chars(chars: list[str], limit: int = 5) -> str:
    """Returns the characters quoted and comma-separated, invisible ones as U+XXXX."""
    shown = [f'"{c}"' if c.isprintable() and not c.isspace() else f"U+{ord(c):04X}" for c in chars]
    more = " dan lainnya" if len(chars) > limit else ""
    return ", ".join(shown[:limit]) + more
