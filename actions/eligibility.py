"""Who may be selected: reason codes as bits, age limits from the NIK, and pre-screen questions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import IntFlag
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from storage.models_waves import LIST_SOURCES, source_code

PRIORITY_SOURCE = "KEMNAKER_PRIORITY"
EXCLUSION_SOURCES = tuple(name for name in LIST_SOURCES if name != PRIORITY_SOURCE)
# The 2021 rules (facts.md): bansos recipients were excluded until 2022, allowed since 2023.
DEFAULT_EXCLUDED = EXCLUSION_SOURCES
PRESCREEN_FILE = Path(__file__).resolve().parents[1] / "flows" / "texts" / "waves.yml"


class Reason(IntFlag):
    """Why an application was not selected; list sources use bit (1 << source code)."""

    DAPODIK = 1 << source_code("DAPODIK")
    DIKTI = 1 << source_code("DIKTI")
    BPUM = 1 << source_code("BPUM")
    BSU = 1 << source_code("BSU")
    BANSOS = 1 << source_code("BANSOS")
    ASN = 1 << source_code("ASN")
    TNI = 1 << source_code("TNI")
    POLRI = 1 << source_code("POLRI")
    DPRD = 1 << source_code("DPRD")
    DESA = 1 << source_code("DESA")
    BUMN = 1 << source_code("BUMN")
    PRIOR_RECIPIENT = 1 << source_code("PRIOR_RECIPIENT")
    OVER_QUOTA = 1 << 16
    UNDERAGE = 1 << 17
    OVERAGE = 1 << 18
    SELECTED_BEFORE = 1 << 19
    KK_LIMIT = 1 << 20  # a third (or later) applicant of one family card (KK) in draw order


def reason_codes(mask: int) -> list[str]:
    """Returns the reason names set in `mask`, in bit order (stable for texts and tests)."""
    return [reason.name for reason in Reason if reason.name and mask & reason.value]


def parse_sources(text: str) -> tuple[str, ...]:
    """Returns the exclusion list names in a comma list, raising ValueError on unknown ones."""
    names = tuple(part.strip().upper() for part in text.split(",") if part.strip())
    unknown = [name for name in names if name not in EXCLUSION_SOURCES]
    if unknown:
        raise ValueError(f"daftar tidak dikenal: {', '.join(unknown)}")
    return names


def birth_date_from_nik(nik: str, *, today: date) -> date:
    """Returns the birth date in digits 7–12 (women: day + 40); YY after today's year is 19YY."""
    day, month, yy = int(nik[6:8]), int(nik[8:10]), int(nik[10:12])
    day = day - 40 if day > 40 else day
    century = 1900 if yy > today.year % 100 else 2000
    return date(century + yy, month, day)


def years_before(day: date, years: int) -> date:
    """Returns the same calendar day `years` earlier (29 Feb becomes 28 Feb)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def age_on(birth: date, day: date) -> int:
    """Returns the age in whole years on `day`."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


@dataclass(frozen=True, slots=True)
class PrescreenQuestion:
    """A yes/no question asked before joining; "yes" means the rule likely excludes the person."""

    id: str
    question: str
    warning: str
    source: str
    refuses: bool = False  # "yes" ends the pre-screen: the rule has no data to check it later


@cache
def waves_texts() -> dict[str, Any]:
    with PRESCREEN_FILE.open(encoding="utf-8") as handle:
        loaded: dict[str, Any] = yaml.safe_load(handle)
    return loaded


def prescreen_questions() -> tuple[PrescreenQuestion, ...]:
    """Returns the pre-screen questions in the order they are asked."""
    return tuple(
        PrescreenQuestion(id=item["id"], question=str(item["question"]).strip(),
                          warning=str(item["warning"]).strip(), source=str(item["source"]).strip(),
                          refuses=bool(item.get("refuses", False)))
        for item in waves_texts()["prescreen"]
    )


def waves_text(key: str) -> str:
    """Returns the raw text `key` from flows/texts/waves.yml."""
    return str(waves_texts()[key]).strip()
