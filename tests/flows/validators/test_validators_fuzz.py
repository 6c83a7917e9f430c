from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flows.validators import (
    Invalid,
    NikInfo,
    Valid,
    ValidationResult,
    mask_nik,
    mask_phone,
    validate_birth_date,
    validate_email,
    validate_full_name,
    validate_nik,
    validate_otp,
    validate_password,
    validate_phone,
)

NIK_RESULT = validate_nik("3201015708900001")
assert isinstance(NIK_RESULT, Valid)
NIK: NikInfo = NIK_RESULT.value

VALIDATORS: dict[str, Callable[[str], ValidationResult[object]]] = {
    "full_name": validate_full_name,
    "email": validate_email,
    "password": lambda text: validate_password(text, email="budi@gmail.com", nik=NIK.nik),
    "nik": validate_nik,
    "birth_date": lambda text: validate_birth_date(text, nik=NIK, today=date(2024, 11, 23)),
    "phone": validate_phone,
    "otp": validate_otp,
}
# Text that looks like the real inputs, so fuzzing reaches past the first checks.
MESSAGES = Path(__file__).resolve().parents[3] / "flows" / "texts" / "validation.yml"
PLACEHOLDERS = sorted(set(re.findall(r"\{[a-z_]+\}", MESSAGES.read_text(encoding="utf-8"))))
assert PLACEHOLDERS, "validation.yml has no placeholders: the check below would be empty"
INPUTISH = st.text(alphabet=st.sampled_from("0123456789 -./+@aAgtO'’,é\u0301\u200b\n"), max_size=40)
ANY_TEXT = st.one_of(st.text(max_size=300), INPUTISH)


def assert_result(result: ValidationResult[object], typed: str) -> None:
    assert isinstance(result, Valid | Invalid)
    if isinstance(result, Invalid):
        assert result.code
        assert result.message.strip()
        # Every placeholder was filled (a user may type one, and see it quoted back).
        left = [p for p in PLACEHOLDERS if p in result.message and p not in typed]
        assert left == []


@pytest.mark.parametrize("name", sorted(VALIDATORS))
@settings(max_examples=300, deadline=None)
@given(text=ANY_TEXT)
def test_validators_never_raise_and_explain_every_failure(name: str, text: str) -> None:
    assert_result(VALIDATORS[name](text), text)


@settings(max_examples=300, deadline=None)
@given(
    day=st.integers(1, 28),
    month=st.integers(1, 12),
    year=st.integers(2000, 2081),  # 18 to 100 years old on 1 Jan 2100
    woman=st.booleans(),
    separator=st.sampled_from(["-", "/", ".", " "]),
)
def test_typed_birth_date_matching_the_nik_is_accepted_once_adult(
    day: int, month: int, year: int, woman: bool, separator: str
) -> None:
    nik = validate_nik(f"320101{day + 40 * woman:02d}{month:02d}{year % 100:02d}0001")
    assert isinstance(nik, Valid)
    typed = separator.join([f"{day:02d}", f"{month:02d}", str(year)])
    result = validate_birth_date(typed, nik=nik.value, today=date(2100, 1, 1))
    assert result == Valid(date(year, month, day))


@given(nik=st.from_regex(r"[0-9]{16}", fullmatch=True))
def test_mask_nik_shows_only_the_ends(nik: str) -> None:
    masked = mask_nik(nik)
    assert masked == nik[:4] + "*" * 8 + nik[-4:]


@given(subscriber=st.from_regex(r"8[0-9]{8,11}", fullmatch=True))
def test_mask_phone_keeps_length_and_ends(subscriber: str) -> None:
    e164 = f"+62{subscriber}"
    masked = mask_phone(e164)
    assert len(masked) == len(e164)
    assert masked.startswith(e164[:6])
    assert masked.endswith(e164[-4:])
