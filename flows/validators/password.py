"""Validates a new account password."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from flows.validators.messages import invalid
from flows.validators.nik import NIK_LENGTH
from flows.validators.result import Valid, ValidationResult

MIN_LENGTH = 8
MAX_LENGTH = 128
NON_DIGITS = re.compile(r"[^0-9]")
COMMON_FILE = Path(__file__).resolve().parent.parent / "data" / "common_passwords.txt"
_TRAILING_NOISE = re.compile(r"[\d\W_]+$")


@cache
def common_passwords() -> frozenset[str]:
    """Returns the shipped list of passwords (and base words) guessed first."""
    lines = COMMON_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def is_common(password: str) -> bool:
    """Tells whether the password is a listed one, or a listed word plus digits/symbols."""
    folded = password.casefold()
    base = _TRAILING_NOISE.sub("", folded)
    return folded in common_passwords() or base in common_passwords()


def validate_password(
    text: str, *, email: str | None = None, nik: str | None = None
) -> ValidationResult[str]:
    """Returns the password unchanged if it is long enough and not guessable from email/NIK."""
    if len(text) < MIN_LENGTH:
        return invalid("password_too_short", minimum=MIN_LENGTH, count=len(text))
    if len(text) > MAX_LENGTH:
        return invalid("password_too_long", maximum=MAX_LENGTH, count=len(text))
    if text.isdigit():
        return invalid("password_all_digits")
    if is_common(text):
        return invalid("password_common")
    nik_digits = NON_DIGITS.sub("", nik or "")
    if len(nik_digits) == NIK_LENGTH and nik_digits in text:
        return invalid("password_contains_nik")
    if email and _matches_email(text, email):
        return invalid("password_is_email")
    return Valid(text)


def _matches_email(password: str, email: str) -> bool:
    """Tells whether the password equals the email or its local part (case-insensitive)."""
    address = email.strip().casefold()
    local_part = address.rpartition("@")[0] if "@" in address else address
    return password.casefold() in {address, local_part}
