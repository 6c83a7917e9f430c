"""The family card (KK) number: 16 digits, a known region, a district and a serial, not the NIK."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flows.validators import Invalid, Valid, mask_kk, validate_kk
from flows.validators.regions import load_regions

NIK = "3273014508900001"


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("3273010203150007", "3273010203150007"),
        ("3273 0102 0315 0007", "3273010203150007"),
        ("3273-0102-0315-0007", "3273010203150007"),
        ("３２７３０１０２０３１５０００７", "3273010203150007"),  # full-width digits
        ("", "kk_empty"),
        ("   ", "kk_empty"),
        ("3273O10203150007", "kk_not_digits"),
        ("327301020315000", "kk_length"),
        ("32730102031500071", "kk_length"),
        ("0073010203150007", "kk_province_unknown"),
        ("3270010203150007", "kk_regency_unknown"),
        ("3298010203150007", "kk_regency_unknown"),
        ("3273000203150007", "kk_district_zero"),
        ("3273010203150000", "kk_serial_zero"),
        (NIK, "kk_is_nik"),
    ],
)
def test_kk_table(typed: str, expected: str) -> None:
    result = validate_kk(typed, nik=NIK)
    if expected.isdigit():
        assert result == Valid(expected)
    else:
        assert isinstance(result, Invalid)
        assert result.code == expected
        assert "KK" in result.message


def test_wrong_length_says_how_many_digits_were_typed() -> None:
    result = validate_kk("3273 0102 0315", nik=NIK)
    assert isinstance(result, Invalid) and "12 angka" in result.message


def test_mask_kk_shows_only_the_ends() -> None:
    assert mask_kk("3273010203150007") == "3273********0007"


REGENCIES = sorted(code for code in load_regions() if len(code) == 4)


@settings(max_examples=300, deadline=None)
@given(region=st.sampled_from(REGENCIES), district=st.integers(1, 99),
       middle=st.from_regex(r"[0-9]{6}", fullmatch=True), serial=st.integers(1, 9999))
def test_every_well_formed_kk_in_a_known_region_is_accepted(
    region: str, district: int, middle: str, serial: int
) -> None:
    kk = f"{region}{district:02d}{middle}{serial:04d}"
    if not (1 <= int(region[2:]) <= 69 or 71 <= int(region[2:]) <= 99):
        return  # special codes in the table that no card number uses
    assert validate_kk(kk, nik=NIK) == Valid(kk)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_any_text_is_either_a_16_digit_kk_or_explained(typed: str) -> None:
    result = validate_kk(typed)
    if isinstance(result, Valid):
        assert len(result.value) == 16 and result.value.isascii() and result.value.isdigit()
    else:
        assert result.code.startswith("kk_") and "KK" in result.message
