"""Validates a typed birth date against the NIK and the minimum age."""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from flows.validators.messages import invalid
from flows.validators.nik import (
    MAXIMUM_AGE,
    MINIMUM_AGE,
    WOMAN_DAY_OFFSET,
    NikInfo,
    age_on,
    plausible_birth_year,
)
from flows.validators.result import Valid, ValidationResult

__all__ = ["age_on", "format_date", "validate_birth_date"]

EARLIEST_YEAR = 1900
NUMERIC_DATE = re.compile(r"([0-9]{1,2})\s*[-/. ]\s*([0-9]{1,2})\s*[-/. ]\s*([0-9]{2,4})")
COMPACT_DATE = re.compile(r"([0-9]{2})([0-9]{2})([0-9]{4})")
ISO_DATE = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})")
NAMED_MONTH_DATE = re.compile(r"([0-9]{1,2})\s*[-/. ]?\s*([a-z]+)\.?\s*[-/. ]?\s*([0-9]{2,4})")
MONTHS = {
    1: ("januari", "jan", "january"),
    2: ("februari", "pebruari", "feb", "peb", "february"),
    3: ("maret", "mar", "march"),
    4: ("april", "apr"),
    5: ("mei", "may"),
    6: ("juni", "jun", "june"),
    7: ("juli", "jul", "july"),
    8: ("agustus", "agu", "agt", "ags", "agus", "agst", "aug", "august"),
    9: ("september", "sep", "sept"),
    10: ("oktober", "okt", "oct", "october"),
    11: ("november", "nopember", "nov", "nop"),
    12: ("desember", "des", "dec", "december"),
}
MONTH_BY_NAME = {name: number for number, names in MONTHS.items() for name in names}
MONTH_NAMES = [names[0].capitalize() for names in MONTHS.values()]


def validate_birth_date(text: str, *, nik: NikInfo, today: date) -> ValidationResult[date]:
    """Returns the birth date if it is real, matches the NIK and makes the person 18 or older."""
    parsed = _parse(text)
    if isinstance(parsed, str):
        return invalid(parsed)
    year, month, day = parsed
    try:
        born = date(year, month, day)
    except ValueError:
        return invalid("birth_date_invalid", typed=text.strip()[:40])
    if born > today:
        return invalid("birth_date_future", born=format_date(born))
    if (born.day, born.month, born.year % 100) != (nik.birth_day, nik.birth_month, nik.birth_yy):
        return _mismatch(born, nik)
    if age_on(born, today) < MINIMUM_AGE:
        return invalid("too_young", minimum=MINIMUM_AGE, age=age_on(born, today))
    if age_on(born, today) > MAXIMUM_AGE:
        return _implausibly_old(born, nik, today)
    return Valid(born)


def _implausibly_old(born: date, nik: NikInfo, today: date) -> ValidationResult[date]:
    """Returns why a birth year over 100 years ago is refused, naming the NIK's other reading."""
    age = age_on(born, today)
    expected = plausible_birth_year(nik, today=today)
    if expected is not None:
        return invalid("birth_year_other_century", year=born.year, age=age, expected=expected,
                       example=f"{born.day:02d}-{born.month:02d}-{expected}")
    later = born.year + 100
    # Only 29 Feb can be missing a century later; that person's age counts from 1 March.
    day_later = date(later, 3, 1) if (born.month, born.day) == (2, 29) else born.replace(year=later)
    later_age = age_on(day_later, today)
    return invalid("birth_year_implausible", year=born.year, age=age, maximum=MAXIMUM_AGE,
                   later=later, later_age=later_age, minimum=MINIMUM_AGE)


def format_date(value: date) -> str:
    """Returns the date written the Indonesian way, e.g. "17 Agustus 1990"."""
    return f"{value.day} {MONTH_NAMES[value.month - 1]} {value.year}"


def _parse(text: str) -> tuple[int, int, int] | str:
    """Returns (year, month, day) as typed, or the failure code when the text is no date."""
    cleaned = unicodedata.normalize("NFKC", text).strip().lower()
    if match := ISO_DATE.fullmatch(cleaned):
        return int(match[1]), int(match[2]), int(match[3])
    if match := NUMERIC_DATE.fullmatch(cleaned) or COMPACT_DATE.fullmatch(cleaned):
        day, month, year = match[1], match[2], match[3]
    elif (match := NAMED_MONTH_DATE.fullmatch(cleaned)) and match[2] in MONTH_BY_NAME:
        day, month, year = match[1], str(MONTH_BY_NAME[match[2]]), match[3]
    else:
        return "birth_date_format"
    if len(year) != 4:
        return "birth_date_year_digits"
    if int(year) < EARLIEST_YEAR:
        return "birth_date_too_old"
    return int(year), int(month), int(day)


def _mismatch(born: date, nik: NikInfo) -> ValidationResult[date]:
    """Returns the birth_date_mismatch_nik failure, showing what the NIK says."""
    raw_day = nik.birth_day + (WOMAN_DAY_OFFSET if nik.gender == "P" else 0)
    return invalid(
        "birth_date_mismatch_nik",
        born=format_date(born),
        nik_day=nik.birth_day,
        nik_month=MONTH_NAMES[nik.birth_month - 1],
        nik_yy=f"{nik.birth_yy:02d}",
        nik_digits=f"{raw_day:02d}{nik.birth_month:02d}{nik.birth_yy:02d}",
    )
