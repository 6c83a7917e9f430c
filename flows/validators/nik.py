"""Validates the 16-digit NIK (Nomor Induk Kependudukan) and decodes its parts."""

from __future__ import annotations

import calendar
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Literal

from flows.validators.messages import describe_chars, invalid
from flows.validators.regions import province_name, regency_name
from flows.validators.result import Invalid, Valid, ValidationResult

NIK_LENGTH = 16
WOMAN_DAY_OFFSET = 40
SEPARATORS = re.compile(r"[\s.\-]+")
REGENCY_CODES = range(1, 70)
CITY_CODES = range(71, 100)
MINIMUM_AGE = 18
# Nobody older than this registers; a NIK's YY is read with the century that fits 18–100.
MAXIMUM_AGE = 100
CENTURIES = (1900, 2000, 2100)


@dataclass(frozen=True, slots=True)
class NikInfo:
    """Holds a valid NIK and what its digits say (issuing region, birth date, gender)."""

    nik: str
    province_code: str
    province_name: str
    regency_code: str
    regency_name: str
    district_code: str
    birth_date_ddmmyy: str
    birth_day: int
    birth_month: int
    birth_yy: int
    gender: Literal["L", "P"]
    serial: str


def validate_nik(text: str) -> ValidationResult[NikInfo]:
    """Returns the decoded NIK, or the first thing wrong with it."""
    nik = SEPARATORS.sub("", unicodedata.normalize("NFKC", text))
    failure = _check_shape(nik) or _check_region(nik) or _check_date(nik)
    if failure is not None:
        return failure
    if nik[12:] == "0000":
        return invalid("nik_serial_zero")
    return Valid(_decode(nik))


def _check_shape(nik: str) -> Invalid | None:
    """Returns why `nik` is not 16 ASCII digits, or None."""
    if not nik:
        return invalid("nik_empty")
    bad = sorted({char for char in nik if char not in "0123456789"})
    if bad:
        return invalid("nik_not_digits", chars=describe_chars(bad))
    if len(nik) != NIK_LENGTH:
        return invalid("nik_length", count=len(nik))
    return None


def _check_region(nik: str) -> Invalid | None:
    """Returns why the province/regency/district digits are not a known region, or None."""
    province, regency = nik[:2], nik[2:4]
    if province_name(province) is None:
        return invalid("nik_province_unknown", code=province)
    number = int(regency)
    in_range = number in REGENCY_CODES or number in CITY_CODES
    if not in_range or regency_name(nik[:4]) is None:
        return invalid("nik_regency_unknown", code=regency, province=province_name(province))
    if nik[4:6] == "00":
        return invalid("nik_district_zero")
    return None


def _check_date(nik: str) -> Invalid | None:
    """Returns why digits 7–12 are not a plausible DDMMYY birth date, or None."""
    day, month, yy = _birth_parts(nik)
    raw_day = int(nik[6:8])
    if not (1 <= raw_day <= 31 or 41 <= raw_day <= 71):
        return invalid("nik_date_invalid", ddmmyy=nik[6:12], part="tanggal")
    if not 1 <= month <= 12:
        return invalid("nik_date_invalid", ddmmyy=nik[6:12], part="bulan")
    if not any(day <= calendar.monthrange(century + yy, month)[1] for century in (1900, 2000)):
        return invalid("nik_date_invalid", ddmmyy=nik[6:12], part="tanggal")
    return None


def _birth_parts(nik: str) -> tuple[int, int, int]:
    """Returns (day, month, yy) of the birth date in `nik`, with a woman's day reduced by 40."""
    raw_day = int(nik[6:8])
    day = raw_day - WOMAN_DAY_OFFSET if raw_day > WOMAN_DAY_OFFSET else raw_day
    return day, int(nik[8:10]), int(nik[10:12])


def _decode(nik: str) -> NikInfo:
    """Returns the NikInfo of a NIK that passed every check."""
    day, month, yy = _birth_parts(nik)
    return NikInfo(
        nik=nik,
        province_code=nik[:2],
        province_name=province_name(nik[:2]) or "",
        regency_code=nik[2:4],
        regency_name=regency_name(nik[:4]) or "",
        district_code=nik[4:6],
        birth_date_ddmmyy=f"{day:02d}{month:02d}{yy:02d}",
        birth_day=day,
        birth_month=month,
        birth_yy=yy,
        gender="P" if int(nik[6:8]) > WOMAN_DAY_OFFSET else "L",
        serial=nik[12:],
    )


def age_on(born: date, today: date) -> int:
    """Returns the age in whole years on `today` (someone born on 29 Feb turns a year on 1 Mar)."""
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def plausible_birth_year(info: NikInfo, *, today: date) -> int | None:
    """Returns the NIK's YY with the century that makes its holder 18–100 today, or None."""
    for century in CENTURIES:
        year = century + info.birth_yy
        if info.birth_day > calendar.monthrange(year, info.birth_month)[1]:
            continue  # 29 Feb does not exist in that century's year
        age = age_on(date(year, info.birth_month, info.birth_day), today)
        if MINIMUM_AGE <= age <= MAXIMUM_AGE:
            return year
    return None
