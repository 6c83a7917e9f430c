"""Validates the 6-digit SMS one-time code."""

from __future__ import annotations

import re

from flows.validators.messages import invalid
from flows.validators.result import Valid, ValidationResult

OTP_LENGTH = 6
OTP = re.compile(rf"[0-9]{{{OTP_LENGTH}}}")
WHITESPACE = re.compile(r"\s+")


def validate_otp(text: str) -> ValidationResult[str]:
    """Returns the 6 digits without spaces, or otp_format."""
    code = WHITESPACE.sub("", text)
    if not OTP.fullmatch(code):
        return invalid("otp_format", length=OTP_LENGTH)
    return Valid(code)
