from __future__ import annotations

import pytest

from flows.validators import (
    Invalid,
    Valid,
    mask_phone,
    validate_email,
    validate_otp,
    validate_phone,
)


@pytest.mark.parametrize(
    "text",
    [
        "081234567890",
        "0812-3456-7890",
        "0812 3456 7890",
        "6281234567890",
        "+6281234567890",
        "+62 812-3456-7890",
        "+62 (812) 3456 7890",
        " 081234567890 ",
    ],
)
def test_phone_forms_normalise_to_e164(text: str) -> None:
    assert validate_phone(text) == Valid("+6281234567890")


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "phone_empty"),
        ("0812-BUNGA-12", "phone_bad_chars"),
        ("0812#3456", "phone_bad_chars"),
        ("123", "phone_invalid"),
        ("0812", "phone_invalid"),
        ("+", "phone_invalid"),
        ("08123456789012345", "phone_invalid"),
        ("+60123456789", "phone_not_indonesian"),
        ("+1 650 253 0000", "phone_not_indonesian"),
        ("021 5551234", "phone_not_mobile"),
        ("+62 21 5551234", "phone_not_mobile"),
    ],
)
def test_phone_failures(text: str, code: str) -> None:
    result = validate_phone(text)
    assert isinstance(result, Invalid)
    assert result.code == code
    assert result.message


def test_foreign_number_message_names_the_country_code() -> None:
    result = validate_phone("+60123456789")
    assert isinstance(result, Invalid)
    assert "+60" in result.message


def test_mask_phone() -> None:
    assert mask_phone("+6281234567890") == "+62812****7890"
    assert mask_phone("+628123456789") == "+62812***6789"
    assert mask_phone("+62812") == "******"


@pytest.mark.parametrize(
    ("text", "normalised"),
    [
        ("budi@gmail.com", "budi@gmail.com"),
        ("  Budi.Santoso@Gmail.COM ", "Budi.Santoso@gmail.com"),
        ("siti+prakerja@yahoo.co.id", "siti+prakerja@yahoo.co.id"),
    ],
)
def test_valid_email_is_normalised(text: str, normalised: str) -> None:
    assert validate_email(text) == Valid(normalised)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "email_empty"),
        ("   ", "email_empty"),
        ("budi.gmail.com", "email_missing_at"),
        ("budi @gmail.com", "email_spaces"),
        ("budi@", "email_syntax"),
        ("@gmail.com", "email_syntax"),
        ("budi@@gmail.com", "email_syntax"),
        ("budi..santoso@gmail.com", "email_syntax"),
        ("budi@gmail", "email_syntax"),
    ],
)
def test_email_failures(text: str, code: str) -> None:
    result = validate_email(text)
    assert isinstance(result, Invalid)
    assert result.code == code
    assert result.message


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("123456", "123456"),
        ("123 456", "123456"),
        (" 1 2 3 4 5 6 ", "123456"),
        ("000000", "000000"),
    ],
)
def test_otp_accepts_six_digits_with_spaces(text: str, code: str) -> None:
    assert validate_otp(text) == Valid(code)


@pytest.mark.parametrize("text", ["", "12345", "1234567", "12a456", "123-456", "١٢٣٤٥٦"])
def test_otp_failures(text: str) -> None:
    result = validate_otp(text)
    assert isinstance(result, Invalid)
    assert result.code == "otp_format"
    assert "6 angka" in result.message
