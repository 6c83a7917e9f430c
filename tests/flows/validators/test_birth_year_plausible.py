"""The NIK's YY is read with the century that makes its holder 18–100; other years are refused."""

from __future__ import annotations

import calendar
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flows.validators import Invalid, NikInfo, Valid, validate_birth_date, validate_nik
from flows.validators.nik import MAXIMUM_AGE, MINIMUM_AGE, age_on, plausible_birth_year

TODAY = date(2026, 11, 23)


def nik_info(day: int, month: int, yy: int, *, woman: bool = False) -> NikInfo:
    result = validate_nik(f"320101{day + 40 * woman:02d}{month:02d}{yy:02d}0001")
    assert isinstance(result, Valid)
    return result.value


@pytest.mark.parametrize(
    ("nik", "typed", "expected"),
    [
        ((15, 1, 9), "15-01-1909", "birth_year_implausible"),  # issue 14: 19YY to slip past 18
        ((15, 1, 9), "15-01-2009", "too_young"),
        ((1, 6, 10), "01-06-1910", "birth_year_implausible"),  # issue 17: 1910 accepted
        ((24, 11, 25), "24-11-1925", date(1925, 11, 24)),  # 100, turning 101 tomorrow
        ((23, 11, 25), "23-11-1925", "birth_year_implausible"),  # 101 today
        ((23, 11, 8), "23-11-2008", date(2008, 11, 23)),  # exactly 18 today
        ((24, 11, 8), "24-11-2008", "too_young"),
        ((17, 8, 90), "17-08-1990", date(1990, 8, 17)),
        ((1, 1, 5), "01-01-2005", date(2005, 1, 1)),
        ((1, 1, 5), "01-01-1905", "birth_year_other_century"),  # 121: 2005 gives 21
        ((29, 2, 0), "29-02-2000", date(2000, 2, 29)),
    ],
)
def test_birth_year_table(nik: tuple[int, int, int], typed: str, expected: date | str) -> None:
    result = validate_birth_date(typed, nik=nik_info(*nik), today=TODAY)
    if isinstance(expected, date):
        assert result == Valid(expected)
    else:
        assert isinstance(result, Invalid)
        assert result.code == expected


def test_nineteen_oh_nine_is_explained_in_indonesian() -> None:
    result = validate_birth_date("15-01-1909", nik=nik_info(15, 1, 9), today=TODAY)
    assert isinstance(result, Invalid)
    assert "117 tahun" in result.message and "2009" in result.message
    assert "17 tahun" in result.message and "minimal" in result.message


def test_other_century_suggests_the_plausible_year() -> None:
    result = validate_birth_date("01-01-1905", nik=nik_info(1, 1, 5), today=TODAY)
    assert isinstance(result, Invalid)
    assert "2005" in result.message and "01-01-2005" in result.message


@pytest.mark.parametrize(
    ("yy", "expected"),
    [(9, None), (10, None), (8, None), (26, 1926), (27, 1927), (90, 1990), (0, 2000), (5, 2005)],
)
def test_plausible_birth_year_on_23_november_2026(yy: int, expected: int | None) -> None:
    # 2008 births turn 18 after 23 Nov only when born later in the year; 1 Dec is not yet 18.
    assert plausible_birth_year(nik_info(1, 12, yy), today=TODAY) == expected


@settings(max_examples=400, deadline=None)
@given(
    day=st.integers(1, 31), month=st.integers(1, 12), yy=st.integers(0, 99),
    woman=st.booleans(), today=st.dates(date(1990, 1, 1), date(2150, 12, 31)),
)
def test_a_birth_date_is_accepted_exactly_when_its_age_is_18_to_100(
    day: int, month: int, yy: int, woman: bool, today: date
) -> None:
    if day > calendar.monthrange(2000 + yy, month)[1] and day > calendar.monthrange(1900 + yy,
                                                                                    month)[1]:
        return  # no century has this date; validate_nik refuses it
    info = nik_info(day, month, yy, woman=woman)
    accepted = []
    for century in (1800, 1900, 2000, 2100):
        year = century + yy
        if day > calendar.monthrange(year, month)[1]:
            continue
        born = date(year, month, day)
        result = validate_birth_date(f"{day:02d}-{month:02d}-{year}", nik=info, today=today)
        plausible = born <= today and MINIMUM_AGE <= age_on(born, today) <= MAXIMUM_AGE
        plausible = plausible and year >= 1900
        assert isinstance(result, Valid) == plausible, (born, today)
        if plausible:
            accepted.append(year)
    assert len(accepted) <= 1
    assert plausible_birth_year(info, today=today) == (accepted[0] if accepted else None)
