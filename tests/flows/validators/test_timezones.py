"""WIB/WITA/WIT from the province code, and times written the Indonesian way."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from flows.validators.regions import load_regions
from flows.validators.timezones import (
    WIB,
    WIT,
    WITA,
    local_time,
    time_for_province,
    zone_for_province,
)

# Wave 12 closed on 26 Feb 2021 12:00 WIB (facts.md).
WAVE_12_CLOSE = datetime(2021, 2, 26, 5, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("province", "zone"),
    [("11", WIB), ("31", WIB), ("32", WIB), ("36", WIB), ("61", WIB), ("62", WIB),
     ("51", WITA), ("53", WITA), ("63", WITA), ("64", WITA), ("65", WITA), ("73", WITA),
     ("76", WITA), ("81", WIT), ("82", WIT), ("91", WIT), ("96", WIT),
     ("00", None), ("99", None), ("", None), (None, None), ("3", None)],
)
def test_zone_for_province(province: str | None, zone: object) -> None:
    assert zone_for_province(province) == zone


def test_every_province_in_the_region_table_has_a_zone() -> None:
    provinces = [code for code in load_regions() if len(code) == 2]
    assert len(provinces) >= 38
    assert [code for code in provinces if zone_for_province(code) is None] == []


def test_wave_12_close_in_each_zone() -> None:
    assert local_time(WAVE_12_CLOSE, WIB) == "26 Februari 2021 pukul 12.00 WIB"
    assert time_for_province(WAVE_12_CLOSE, "73") == "26 Februari 2021 pukul 13.00 WITA"
    assert time_for_province(WAVE_12_CLOSE, "91") == "26 Februari 2021 pukul 14.00 WIT"


def test_unknown_region_shows_all_three_zones() -> None:
    shown = time_for_province(WAVE_12_CLOSE, None)
    assert shown == "26 Februari 2021 pukul 12.00 WIB (13.00 WITA, 14.00 WIT)"


def test_a_naive_time_from_the_database_is_read_as_utc() -> None:
    naive = WAVE_12_CLOSE.replace(tzinfo=None)
    assert local_time(naive, WIT) == "26 Februari 2021 pukul 14.00 WIT"


def test_the_date_changes_across_midnight() -> None:
    late = datetime(2021, 2, 26, 16, 30, tzinfo=UTC)
    assert local_time(late, WIB) == "26 Februari 2021 pukul 23.30 WIB"
    assert local_time(late, WITA) == "27 Februari 2021 pukul 00.30 WITA"
