"""Validators for the registration flow: each returns Valid(normalised value) or Invalid."""

from __future__ import annotations

from flows.validators.birth_date import validate_birth_date
from flows.validators.email_address import validate_email
from flows.validators.full_name import validate_full_name
from flows.validators.kk import validate_kk
from flows.validators.masking import mask_kk, mask_nik, mask_phone
from flows.validators.nik import NikInfo, validate_nik
from flows.validators.otp import validate_otp
from flows.validators.password import validate_password
from flows.validators.phone import validate_phone
from flows.validators.result import Invalid, Valid, ValidationResult

__all__ = [
    "Invalid",
    "NikInfo",
    "Valid",
    "ValidationResult",
    "mask_kk",
    "mask_nik",
    "mask_phone",
    "validate_birth_date",
    "validate_email",
    "validate_full_name",
    "validate_kk",
    "validate_nik",
    "validate_otp",
    "validate_password",
    "validate_phone",
]
