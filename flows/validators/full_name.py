"""Validates a full name as written on the KTP."""

from __future__ import annotations

import unicodedata

from flows.validators.messages import describe_chars, invalid
from flows.validators.result import Valid, ValidationResult

MIN_LENGTH = 3
MAX_LENGTH = 100
# Phone keyboards often turn ' into the typographic apostrophe, so both are allowed.
ALLOWED_PUNCTUATION = frozenset(" '’.,-")


def validate_full_name(text: str) -> ValidationResult[str]:
    """Returns the name stripped with whitespace collapsed, or the first thing wrong with it."""
    name = " ".join(unicodedata.normalize("NFC", text).split())
    bad = sorted({char for char in name if not _allowed(char)})
    if bad:
        return invalid("name_bad_chars", chars=describe_chars(bad))
    if len(name) < MIN_LENGTH:
        return invalid("name_too_short", minimum=MIN_LENGTH, count=len(name))
    if len(name) > MAX_LENGTH:
        return invalid("name_too_long", maximum=MAX_LENGTH, count=len(name))
    if not any(char.isalpha() for char in name):
        return invalid("name_no_letters")
    return Valid(name)


def _allowed(char: str) -> bool:
    """Tells whether `char` may appear in a KTP name (letters, their accents, ' . , - space)."""
    return char.isalpha() or char in ALLOWED_PUNCTUATION or unicodedata.category(char) == "Mn"
