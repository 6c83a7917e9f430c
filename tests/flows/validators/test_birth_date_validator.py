from __future__ import annotations

from datetime import date

import pytest

from flows.validators import Invalid, NikInfo, Valid, validate_birth_date, validate_nik

TODAY = date(2024, 11, 23)


def nik_info(nik: str) -> NikInfo:
    result = validate_nik(nik)
    assert isinstance(result, Valid)
    return result.value


MAN_1990 = nik_info("3201011708900001")  # 17-08-1990
WOMAN_1990 = nik_info("3201015708900001")  # 17-08-1990, day + 40


@pytest.mark.parametrize(
    "text",
    [
        "17-08-1990",
        "17/08/1990",
        "17.08.1990",
        "17 08 1990",
        "17-8-1990",
        "17081990",
        "1990-08-17",
        "17 Agustus 1990",
        "17 agustus 1990",
        "17 agt 1990",
        "17 Agu 1990",
        "17 Ags. 1990",
        "17-Agustus-1990",
        "17 AUG 1990",
        "  17 Agustus 1990  ",
    ],
)
def test_accepted_formats(text: str) -> None:
    assert validate_birth_date(text, nik=MAN_1990, today=TODAY) == Valid(date(1990, 8, 17))


@pytest.mark.parametrize(
    ("text", "month"),
    [
        ("1 jan 2000", 1),
        ("1 peb 2000", 2),
        ("1 maret 2000", 3),
        ("1 apr 2000", 4),
        ("1 mei 2000", 5),
        ("1 juni 2000", 6),
        ("1 juli 2000", 7),
        ("1 september 2000", 9),
        ("1 okt 2000", 10),
        ("1 nopember 2000", 11),
        ("1 des 2000", 12),
    ],
)
def test_indonesian_month_names(text: str, month: int) -> None:
    info = nik_info(f"32010101{month:02d}000001")
    assert validate_birth_date(text, nik=info, today=TODAY) == Valid(date(2000, month, 1))


def test_woman_birth_date_matches_nik_day_plus_40() -> None:
    result = validate_birth_date("17-08-1990", nik=WOMAN_1990, today=TODAY)
    assert result == Valid(date(1990, 8, 17))


def test_woman_typing_the_nik_day_gets_the_plus_40_explanation() -> None:
    result = validate_birth_date("18-08-1990", nik=WOMAN_1990, today=TODAY)
    assert isinstance(result, Invalid)
    assert result.code == "birth_date_mismatch_nik"
    assert "40" in result.message
    assert "570890" in result.message
    assert "17 Agustus" in result.message


def test_century_is_resolved_by_the_typed_year() -> None:
    info = nik_info("3201010101050001")  # 01-01-05
    assert validate_birth_date("01-01-2005", nik=info, today=TODAY) == Valid(date(2005, 1, 1))
    old = nik_info("3201010101500001")  # 01-01-50
    assert validate_birth_date("01-01-1950", nik=old, today=TODAY) == Valid(date(1950, 1, 1))
    wrong_century = validate_birth_date("01-01-2050", nik=old, today=date(2080, 1, 1))
    assert wrong_century == Valid(date(2050, 1, 1))  # NIK only holds YY: both centuries fit


def test_29_february_in_a_leap_year() -> None:
    info = nik_info("3201012902000001")
    assert validate_birth_date("29-02-2000", nik=info, today=TODAY) == Valid(date(2000, 2, 29))
    result = validate_birth_date("29-02-1900", nik=info, today=TODAY)
    assert isinstance(result, Invalid)
    assert result.code == "birth_date_invalid"


def test_someone_born_on_29_february_turns_18_on_1_march() -> None:
    info = nik_info("3201012902040001")
    assert validate_birth_date("29-02-2004", nik=info, today=date(2022, 3, 1)) == Valid(
        date(2004, 2, 29)
    )
    result = validate_birth_date("29-02-2004", nik=info, today=date(2022, 2, 28))
    assert isinstance(result, Invalid)
    assert result.code == "too_young"


def test_exactly_18_today_is_accepted() -> None:
    info = nik_info("3201012311060001")
    assert validate_birth_date("23-11-2006", nik=info, today=TODAY) == Valid(date(2006, 11, 23))


def test_one_day_short_of_18_is_too_young() -> None:
    info = nik_info("3201012411060001")
    result = validate_birth_date("24-11-2006", nik=info, today=TODAY)
    assert isinstance(result, Invalid)
    assert result.code == "too_young"
    assert "18 tahun" in result.message
    assert "17 tahun" in result.message


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "birth_date_format"),
        ("kemarin", "birth_date_format"),
        ("17 agustusan 1990", "birth_date_format"),
        ("17-08", "birth_date_format"),
        ("17-08-90", "birth_date_year_digits"),
        ("17-08-1890", "birth_date_too_old"),
        ("31-02-1990", "birth_date_invalid"),
        ("17-13-1990", "birth_date_invalid"),
        ("00-08-1990", "birth_date_invalid"),
        ("18-08-1990", "birth_date_mismatch_nik"),
        ("17-09-1990", "birth_date_mismatch_nik"),
        ("17-08-1991", "birth_date_mismatch_nik"),
    ],
)
def test_each_failure_has_its_code(text: str, code: str) -> None:
    result = validate_birth_date(text, nik=MAN_1990, today=TODAY)
    assert isinstance(result, Invalid)
    assert result.code == code
    assert result.message


def test_future_date_is_refused_before_the_nik_comparison() -> None:
    info = nik_info("3201010101300001")
    result = validate_birth_date("01-01-2030", nik=info, today=TODAY)
    assert isinstance(result, Invalid)
    assert result.code == "birth_date_future"
