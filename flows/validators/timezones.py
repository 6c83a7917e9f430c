"""Indonesia's three time zones (WIB, WITA, WIT) chosen from a province code, and times in them.

Indonesia keeps no daylight saving time, so fixed offsets are exact. The province is the one in
the applicant's NIK (where it was issued), the only region code we hold for everyone.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from flows.validators.birth_date import MONTH_NAMES

WIB = timezone(timedelta(hours=7), "WIB")
WITA = timezone(timedelta(hours=8), "WITA")
WIT = timezone(timedelta(hours=9), "WIT")
ZONES = (WIB, WITA, WIT)
# Sumatra and its islands, Java, West and Central Kalimantan (Keppres 41/1987 and later splits).
WIB_PROVINCES = frozenset({"11", "12", "13", "14", "15", "16", "17", "18", "19", "21", "31", "32",
                           "33", "34", "35", "36", "61", "62"})
# Bali and Nusa Tenggara, South/East/North Kalimantan, all of Sulawesi.
WITA_PROVINCES = frozenset({"51", "52", "53", "63", "64", "65", "71", "72", "73", "74", "75",
                            "76"})
# Maluku, North Maluku and the Papua provinces.
WIT_PROVINCES = frozenset({"81", "82", "91", "92", "93", "94", "95", "96"})


def zone_for_province(code: str | None) -> timezone | None:
    """Returns the time zone of a 2-digit province code, or None when the code is unknown."""
    for zone, provinces in ((WIB, WIB_PROVINCES), (WITA, WITA_PROVINCES), (WIT, WIT_PROVINCES)):
        if code in provinces:
            return zone
    return None


def local_time(moment: datetime, zone: timezone) -> str:
    """Returns e.g. "26 Februari 2021 pukul 12.00 WIB" for an aware datetime."""
    local = _aware(moment).astimezone(zone)
    month = MONTH_NAMES[local.month - 1]
    return f"{local.day} {month} {local.year} pukul {local:%H.%M} {zone.tzname(None)}"


def time_for_province(moment: datetime, province_code: str | None) -> str:
    """Returns the time in the province's zone, or in WIB with WITA and WIT beside it."""
    zone = zone_for_province(province_code)
    if zone is not None:
        return local_time(moment, zone)
    others = ", ".join(f"{_aware(moment).astimezone(z):%H.%M} {z.tzname(None)}"
                       for z in ZONES[1:])
    return f"{local_time(moment, WIB)} ({others})"


def _aware(moment: datetime) -> datetime:
    """Returns the moment with UTC attached when a database handed it back without a zone."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
