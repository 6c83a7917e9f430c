"""Validates the 16-digit family card number (Nomor Kartu Keluarga, KK)."""

from __future__ import annotations

import unicodedata

from flows.validators.messages import describe_chars, invalid
from flows.validators.nik import CITY_CODES, REGENCY_CODES, SEPARATORS
from flows.validators.regions import province_name, regency_name
from flows.validators.result import Invalid, Valid, ValidationResult

KK_LENGTH = 16


def validate_kk(text: str, *, nik: str | None = None) -> ValidationResult[str]:
    """Returns the 16 digits of a plausible KK number, or the first thing wrong with it."""
    kk = SEPARATORS.sub("", unicodedata.normalize("NFKC", text))
    failure = _check_shape(kk) or _check_region(kk)
    if failure is not None:
        return failure
    if kk[12:] == "0000":
        return invalid("kk_serial_zero")
    if nik is not None and kk == nik:
        return invalid("kk_is_nik")
    return Valid(kk)


def _check_shape(kk: str) -> Invalid | None:
    """Returns why `kk` is not 16 ASCII digits, or None."""
    if not kk:
        return invalid("kk_empty")
    bad = sorted({char for char in kk if char not in "0123456789"})
    if bad:
        return invalid("kk_not_digits", chars=describe_chars(bad))
    if len(kk) != KK_LENGTH:
        return invalid("kk_length", count=len(kk))
    return None


def _check_region(kk: str) -> Invalid | None:
    """Returns why the first 6 digits are not a known province, regency/city and district."""
    province, regency = kk[:2], kk[2:4]
    if province_name(province) is None:
        return invalid("kk_province_unknown", code=province)
    number = int(regency)
    if not (number in REGENCY_CODES or number in CITY_CODES) or regency_name(kk[:4]) is None:
        return invalid("kk_regency_unknown", code=regency, province=province_name(province))
    if kk[4:6] == "00":
        return invalid("kk_district_zero")
    return None
