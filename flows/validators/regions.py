"""Looks up province and regency/city names by their Kemendagri code (the NIK prefix)."""

from __future__ import annotations

import csv
import functools
from pathlib import Path

REGIONS_PATH = Path(__file__).resolve().parent.parent / "data" / "wilayah.csv"


@functools.cache
def load_regions() -> dict[str, str]:
    """Returns region names keyed by code: 2 digits = province, 4 = regency/city (incl. former)."""
    with REGIONS_PATH.open(encoding="utf-8", newline="") as handle:
        return {row["code"]: row["name"] for row in csv.DictReader(handle)}


def province_name(code: str) -> str | None:
    """Returns the name of the province with this 2-digit code, or None if unknown."""
    return load_regions().get(code) if len(code) == 2 else None


def regency_name(code: str) -> str | None:
    """Returns the name of the regency/city with this 4-digit code, or None if unknown."""
    return load_regions().get(code) if len(code) == 4 else None
