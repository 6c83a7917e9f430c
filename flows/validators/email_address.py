"""Validates an email address (syntax only; no DNS look-up)."""

from __future__ import annotations

import email_validator

from flows.validators.messages import invalid
from flows.validators.result import Valid, ValidationResult


def validate_email(text: str) -> ValidationResult[str]:
    """Returns the normalised address, or why it is not a usable email address."""
    address = text.strip()
    if not address:
        return invalid("email_empty")
    if "@" not in address:
        return invalid("email_missing_at")
    if any(char.isspace() for char in address):
        return invalid("email_spaces")
    try:
        checked = email_validator.validate_email(address, check_deliverability=False)
    except email_validator.EmailNotValidError:
        return invalid("email_syntax", typed=address[:80])
    return Valid(checked.normalized)
