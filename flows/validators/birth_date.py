"""Validates a typed birth date against the NIK and the minimum age."""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from flows.validators.messages import invalid
from flows.validators.nik import WOMAN_DAY_OFFSET, NikInfo
from flows.validators.result import Valid, ValidationResult

MINIMUM_AGE = 18
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
    return Valid(born)


def age_on(born: date, today: date) -> int:
    """Returns the age in whole years on `today` (someone born on 29 Feb turns a year on 1 Mar)."""
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


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
