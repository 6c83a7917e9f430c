"""Masks identifiers before they are shown back to the user or written to logs."""

from __future__ import annotations

MASK = "*"
NIK_VISIBLE = 4
PHONE_VISIBLE_HEAD = 6
PHONE_VISIBLE_TAIL = 4


def mask_nik(nik: str) -> str:
    """Returns the NIK with all but its first 4 and last 4 characters masked."""
    return _mask(nik, NIK_VISIBLE, NIK_VISIBLE)


def mask_kk(kk: str) -> str:
    """Returns the family card number with all but its first 4 and last 4 digits masked."""
    return _mask(kk, NIK_VISIBLE, NIK_VISIBLE)


def mask_phone(e164: str) -> str:
    """Returns an E.164 number with all but "+62" plus 3 digits and the last 4 digits masked."""
    return _mask(e164, PHONE_VISIBLE_HEAD, PHONE_VISIBLE_TAIL)


def _mask(value: str, head: int, tail: int) -> str:
    """Returns `value` with its middle masked, or wholly masked when too short to keep both ends."""
    if len(value) <= head + tail:
        return MASK * len(value)
    return value[:head] + MASK * (len(value) - head - tail) + value[-tail:]
