from __future__ import annotations

import pytest

from flows.validators import Invalid, NikInfo, Valid, mask_nik, validate_nik

MAN = "3174071508950001"
WOMAN = "3174075508950001"


def test_valid_nik_is_decoded() -> None:
    result = validate_nik(MAN)
    assert result == Valid(
        NikInfo(
            nik=MAN,
            province_code="31",
            province_name="DKI Jakarta",
            regency_code="74",
            regency_name="Kota Jakarta Selatan",
            district_code="07",
            birth_date_ddmmyy="150895",
            birth_day=15,
            birth_month=8,
            birth_yy=95,
            gender="L",
            serial="0001",
        )
    )


def test_woman_day_is_reduced_by_40() -> None:
    result = validate_nik(WOMAN)
    assert isinstance(result, Valid)
    assert (result.value.gender, result.value.birth_day) == ("P", 15)
    assert result.value.birth_date_ddmmyy == "150895"
    assert result.value.nik == WOMAN


@pytest.mark.parametrize(
    "text", ["3174 0715 0895 0001", "3174.0715.0895.0001", "3174-0715-0895-0001", f" {MAN}\n"]
)
def test_separators_are_stripped(text: str) -> None:
    result = validate_nik(text)
    assert isinstance(result, Valid)
    assert result.value.nik == MAN


@pytest.mark.parametrize(
    ("text", "day", "gender"),
    [
        ("3174070108950001", 1, "L"),
        ("3174073108950001", 31, "L"),
        ("3174074108950001", 1, "P"),
        ("3174077108950001", 31, "P"),
    ],
)
def test_day_bounds_for_men_and_women(text: str, day: int, gender: str) -> None:
    result = validate_nik(text)
    assert isinstance(result, Valid)
    assert (result.value.birth_day, result.value.gender) == (day, gender)


def test_29_february_is_accepted_when_either_century_is_leap() -> None:
    assert isinstance(validate_nik("3174072902000001"), Valid)  # 2000 is leap
    assert isinstance(validate_nik("3174076902880001"), Valid)  # woman, 1988
    result = validate_nik("3174072902990001")  # neither 1999 nor 2099 is leap
    assert isinstance(result, Invalid)
    assert result.code == "nik_date_invalid"


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "nik_empty"),
        (" - . ", "nik_empty"),
        ("31740715O8950001", "nik_not_digits"),
        ("abc", "nik_not_digits"),
        ("317407150895001", "nik_length"),
        ("31740715089500011", "nik_length"),
        ("9974071508950001", "nik_province_unknown"),
        ("2074071508950001", "nik_province_unknown"),
        ("3100071508950001", "nik_regency_unknown"),
        ("3170071508950001", "nik_regency_unknown"),
        ("3169071508950001", "nik_regency_unknown"),
        ("3174001508950001", "nik_district_zero"),
        ("3174070008950001", "nik_date_invalid"),
        ("3174073208950001", "nik_date_invalid"),
        ("3174074008950001", "nik_date_invalid"),
        ("3174077208950001", "nik_date_invalid"),
        ("3174071500950001", "nik_date_invalid"),
        ("3174071513950001", "nik_date_invalid"),
        ("3174073104950001", "nik_date_invalid"),
        ("3174071508950000", "nik_serial_zero"),
    ],
)
def test_each_failure_has_its_code(text: str, code: str) -> None:
    result = validate_nik(text)
    assert isinstance(result, Invalid)
    assert result.code == code
    assert result.message


def test_length_message_counts_the_digits() -> None:
    result = validate_nik("317407150895001")
    assert isinstance(result, Invalid)
    assert "16 angka" in result.message
    assert "15 angka" in result.message


def test_unknown_province_message_names_code_and_dukcapil() -> None:
    result = validate_nik("9974071508950001")
    assert isinstance(result, Invalid)
    assert "99" in result.message
    assert "1500537" in result.message


def test_unknown_regency_message_says_region_is_where_issued() -> None:
    result = validate_nik("3169071508950001")
    assert isinstance(result, Invalid)
    assert "DKI Jakarta" in result.message
    assert "diterbitkan" in result.message


def test_not_digits_message_names_the_bad_character() -> None:
    result = validate_nik("31740715O8950001")
    assert isinstance(result, Invalid)
    assert '"O"' in result.message


@pytest.mark.parametrize(
    ("prefix", "province", "regency"),
    [
        ("9101", "Papua", "Kab. Merauke"),  # before Papua Selatan (2022)
        ("9301", "Papua Selatan", "Kab. Merauke"),
        ("6473", "Kalimantan Timur", "Kota Tarakan"),  # before Kalimantan Utara (2012)
        ("6571", "Kalimantan Utara", "Kota Tarakan"),
        ("9671", "Papua Barat Daya", "Kota Sorong"),
        ("1101", "Aceh", "Kab. Aceh Selatan"),
    ],
)
def test_former_and_current_region_codes_are_known(
    prefix: str, province: str, regency: str
) -> None:
    result = validate_nik(f"{prefix}011508950001")
    assert isinstance(result, Valid)
    assert (result.value.province_name, result.value.regency_name) == (province, regency)


def test_mask_nik_keeps_first_and_last_four() -> None:
    assert mask_nik("3201123456780001") == "3201********0001"


@pytest.mark.parametrize(("nik", "masked"), [("", ""), ("1234", "****"), ("12345678", "********")])
def test_mask_nik_hides_short_values_entirely(nik: str, masked: str) -> None:
    assert mask_nik(nik) == masked
