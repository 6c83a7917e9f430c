"""Opening hours (STAFF_OPENING_HOURS, WIB) and the wait an applicant is told, table-driven."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.engine import Engine

from actions.staff_hours import (
    OpeningHoursError,
    estimate_wait,
    is_open,
    parse_opening_hours,
)
from actions.tickets import handoff_text, wait_text
from storage.db import session_scope
from storage.settings import Settings

HOURS = "Mon-Fri 08:00-17:00; Sat 09:00-12:00"
# 2026-12-07 is a Monday. WIB = UTC+7, so 01:00 UTC is 08:00 WIB.
CASES = [
    # now (UTC),              position, staff, open now, served at (WIB)
    ("2026-12-07 02:00", 1, 1, True, "2026-12-07 09:06"),   # Mon 09:00 WIB, 6 min per ticket
    ("2026-12-07 02:00", 10, 2, True, "2026-12-07 09:30"),  # two staff share the queue
    ("2026-12-07 09:55", 3, 1, True, "2026-12-08 08:13"),   # Mon 16:55: spills into Tuesday
    ("2026-12-07 00:30", 1, 1, False, "2026-12-07 08:06"),  # Mon 07:30: opens at 08:00
    ("2026-12-07 12:00", 2, 1, False, "2026-12-08 08:12"),  # Mon 19:00: back Tuesday
    ("2026-12-11 11:00", 1, 1, False, "2026-12-12 09:06"),  # Fri 18:00: Saturday morning
    ("2026-12-12 05:30", 1, 1, False, "2026-12-14 08:06"),  # Sat 12:30: back Monday
    ("2026-12-13 03:00", 40, 1, False, "2026-12-14 12:00"),  # Sun: a long queue, Monday noon
]


def _utc(raw: str) -> datetime:
    return datetime.fromisoformat(raw).replace(tzinfo=UTC)


@pytest.mark.parametrize(("now", "position", "staff", "open_now", "served"), CASES)
def test_wait_counts_only_open_hours(
    now: str, position: int, staff: int, open_now: bool, served: str,
) -> None:
    hours = parse_opening_hours(HOURS, "Asia/Jakarta")
    estimate = estimate_wait(hours, _utc(now), position=position, handle_minutes=6.0,
                             staff_count=staff)
    assert estimate.open_now is open_now
    assert estimate.served_at.strftime("%Y-%m-%d %H:%M") == served
    assert (estimate.back_at is None) is open_now


@pytest.mark.parametrize(("raw", "problem"), [
    ("Mon-Fri 17:00-08:00", "ends before it starts"),
    ("Senin-Jumat 08:00-17:00", "cannot read"),
    ("Mon-Xyz 08:00-17:00", "unknown day"),
    ("Mon 25:00-26:00", "not a time of day"),
    ("", "no opening hours"),
])
def test_bad_opening_hours_are_refused_with_the_reason(raw: str, problem: str) -> None:
    with pytest.raises(OpeningHoursError, match=problem):
        parse_opening_hours(raw)


def test_ranges_wrap_and_list_days() -> None:
    hours = parse_opening_hours("Fri-Mon 10.00-14.00; Wed 08:00-24:00", "Asia/Makassar")
    assert sorted({w.weekday for w in hours.windows}) == [0, 2, 4, 5, 6]
    assert is_open(hours, _utc("2026-12-09 15:30"))  # Wed 23:30 WITA
    assert not is_open(hours, _utc("2026-12-08 03:00"))  # Tue 11:00 WITA


@pytest.mark.parametrize(("now", "expected"), [
    ("2026-12-07 02:00", "Perkiraan waktu tunggu: sekitar <b>6 menit</b>"),
    ("2026-12-07 12:00", "Saat ini di luar jam layanan petugas (Senin–Jumat 08.00–17.00 WIB; "
                         "Sabtu 09.00–12.00 WIB).\nPetugas kembali <b>besok pukul 08.00 WIB</b>"),
    ("2026-12-12 05:30", "Petugas kembali <b>hari Senin pukul 08.00 WIB</b>"),
    ("2026-12-07 09:58", "jadi perkiraan Anda\ndilayani <b>besok pukul 08.04 WIB</b>"),
])
def test_applicant_is_told_the_wait_or_when_staff_are_back(
    sqlite_engine: Engine, now: str, expected: str,
) -> None:
    settings = Settings(staff_opening_hours=HOURS, staff_timezone="Asia/Jakarta",
                        staff_telegram_ids="9001")
    with session_scope(sqlite_engine) as session:
        told = wait_text(session=session, settings=settings, position=1, now=_utc(now))
    assert told.startswith("📋 Posisi antrean Anda: <b>1</b>.")
    assert expected in told


def test_handoff_outside_hours_says_when_staff_are_back(sqlite_engine: Engine) -> None:
    settings = Settings(staff_opening_hours="Mon-Fri 08:00-17:00", staff_timezone="Asia/Jakarta")
    with session_scope(sqlite_engine) as session:
        told = handoff_text(session=session, chat_id=601, reason="user_request",
                            settings=settings, now=_utc("2026-12-12 02:00"))  # Saturday
    assert "tiket #1" in told and "di luar jam layanan" in told
    assert "Petugas kembali <b>hari Senin pukul 08.00 WIB</b>" in told


def test_a_broken_setting_falls_back_to_always_open(
    sqlite_engine: Engine, caplog: pytest.LogCaptureFixture,
) -> None:
    settings = Settings(staff_opening_hours="Senin-Jumat 8-17")
    with session_scope(sqlite_engine) as session:
        told = wait_text(session=session, settings=settings, position=1,
                         now=_utc("2026-12-13 03:00"))  # a Sunday
    assert "sekitar <b>6 menit</b>" in told
    assert any("STAFF_OPENING_HOURS" in r.getMessage() for r in caplog.records)
