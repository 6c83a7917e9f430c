"""Validates a new account password."""

from __future__ import annotations

import re

from flows.validators.messages import invalid
from flows.validators.nik import NIK_LENGTH
from flows.validators.result import Valid, ValidationResult

MIN_LENGTH = 8
MAX_LENGTH = 128
NON_DIGITS = re.compile(r"[^0-9]")


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
