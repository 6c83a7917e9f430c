"""Validates an Indonesian mobile number and returns it in E.164 form."""

from __future__ import annotations

import re

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat, PhoneNumberType

from flows.validators.messages import describe_chars, invalid
from flows.validators.result import Valid, ValidationResult

REGION = "ID"
COUNTRY_CODE = 62
# Letters would be read as a vanity number ("0812-BUNGA") by phonenumbers; refuse them instead.
DISALLOWED = re.compile(r"[^0-9+\s\-.()]")
MOBILE_TYPES = frozenset({PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE})


def validate_phone(text: str) -> ValidationResult[str]:
    """Returns the number as "+628…" if it is a valid Indonesian mobile number."""
    typed = text.strip()
    if not typed:
        return invalid("phone_empty")
    bad = sorted(set(DISALLOWED.findall(typed)))
    if bad:
        return invalid("phone_bad_chars", chars=describe_chars(bad))
    try:
        number = phonenumbers.parse(typed, REGION)
    except NumberParseException:
        return invalid("phone_invalid")
    if number.country_code != COUNTRY_CODE:
        return invalid("phone_not_indonesian", country_code=number.country_code)
    if not phonenumbers.is_valid_number(number):
        return invalid("phone_invalid")
    if phonenumbers.number_type(number) not in MOBILE_TYPES:
        return invalid("phone_not_mobile")
    return Valid(phonenumbers.format_number(number, PhoneNumberFormat.E164))
