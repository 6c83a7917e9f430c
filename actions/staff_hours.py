"""Opening hours of the call-center desk ("Mon-Fri 08:00-17:00; Sat 09:00-12:00", in WIB by
default) and the moment a waiting ticket can expect a person, counting only open time."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_PART = re.compile(
    r"^(?P<days>[a-z]{3}(?:\s*[-,]\s*[a-z]{3})*)\s+"
    r"(?P<start>\d{1,2}[:.]\d{2})\s*-\s*(?P<end>\d{1,2}[:.]\d{2})$")
MAX_SEARCH_DAYS = 8  # a weekly schedule repeats: any opening lies within a week


class OpeningHoursError(ValueError):
    """Raised for a STAFF_OPENING_HOURS value that cannot be read."""


@dataclass(frozen=True, slots=True)
class Window:
    """One open span on one weekday (0 = Monday), local time; end is exclusive."""

    weekday: int
    start: time
    end: time


@dataclass(frozen=True, slots=True)
class OpeningHours:
    """The weekly open spans and the zone they are written in."""

    windows: tuple[Window, ...]
    zone: tzinfo
    zone_name: str


@dataclass(frozen=True, slots=True)
class WaitEstimate:
    """When a person can be expected, and whether the desk is open right now."""

    open_now: bool
    served_at: datetime
    back_at: datetime | None  # the next opening, when closed now
    minutes: int
    before_closing: bool  # served within the span open now (a wait in minutes makes sense)


def _clock(raw: str) -> time:
    hours, minutes = (int(part) for part in re.split(r"[:.]", raw))
    if hours == 24 and minutes == 0:
        return time.max
    if not (0 <= hours < 24 and 0 <= minutes < 60):
        raise OpeningHoursError(f"not a time of day: {raw!r}")
    return time(hours, minutes)


def _days(raw: str) -> list[int]:
    days: list[int] = []
    for chunk in raw.split(","):
        first, _, last = (part.strip() for part in chunk.partition("-"))
        if first not in DAYS or (last and last not in DAYS):
            raise OpeningHoursError(f"unknown day in {chunk.strip()!r} (use Mon … Sun)")
        start, end = DAYS.index(first), DAYS.index(last or first)
        days += [(start + i) % 7 for i in range((end - start) % 7 + 1)]
    return days


def parse_opening_hours(raw: str, zone_name: str = "Asia/Jakarta") -> OpeningHours:
    """Returns the schedule written as "Mon-Fri 08:00-17:00; Sat 09:00-12:00"."""
    try:
        zone = ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise OpeningHoursError(f"unknown time zone {zone_name!r}") from error
    windows: list[Window] = []
    for part in filter(None, (p.strip().lower() for p in raw.split(";"))):
        match = _PART.match(part)
        if match is None:
            raise OpeningHoursError(f"cannot read {part!r} (write e.g. Mon-Fri 08:00-17:00)")
        start, end = _clock(match["start"]), _clock(match["end"])
        if end <= start:
            raise OpeningHoursError(f"{part!r} ends before it starts")
        windows += [Window(day, start, end) for day in _days(match["days"])]
    if not windows:
        raise OpeningHoursError("no opening hours given")
    return OpeningHours(tuple(sorted(windows, key=lambda w: (w.weekday, w.start))), zone,
                        zone_name)


def _spans(hours: OpeningHours, after: datetime) -> list[tuple[datetime, datetime]]:
    """Returns the open spans (local, aware) that end after `after`, in order, for ~a week."""
    local = after.astimezone(hours.zone)
    spans: list[tuple[datetime, datetime]] = []
    for offset in range(MAX_SEARCH_DAYS + 1):
        day = (local + timedelta(days=offset)).date()
        for window in (w for w in hours.windows if w.weekday == day.weekday()):
            start = datetime.combine(day, window.start, hours.zone)
            end = datetime.combine(day, window.end, hours.zone)
            if end > local:
                spans.append((max(start, local), end))
    return spans


def is_open(hours: OpeningHours, at: datetime) -> bool:
    """Tells whether staff are working at this moment."""
    spans = _spans(hours, at)
    return bool(spans) and spans[0][0] <= at.astimezone(hours.zone) < spans[0][1]


def next_opening(hours: OpeningHours, at: datetime) -> datetime:
    """Returns `at` when open, else the start of the next open span."""
    return _spans(hours, at)[0][0]


def served_at(hours: OpeningHours, at: datetime, work_minutes: float) -> datetime:
    """Returns when `work_minutes` of open time, counted from `at`, have passed."""
    left = timedelta(minutes=work_minutes)
    spans = _spans(hours, at)
    for start, end in spans:
        if end - start >= left:
            return start + left
        left -= end - start
    return spans[-1][1] + left  # beyond a week of queue: keep counting past the last span


def estimate_wait(
    hours: OpeningHours, now: datetime, *, position: int, handle_minutes: float, staff_count: int,
) -> WaitEstimate:
    """Returns when the ticket at `position` can expect a person, skipping closed hours."""
    work = position * handle_minutes / max(staff_count, 1) if position > 0 else 0.0
    open_now = is_open(hours, now)
    served = served_at(hours, now, work)
    minutes = max(1, math.ceil((served - now).total_seconds() / 60)) if position > 0 else 0
    back = None if open_now else next_opening(hours, now)
    within = open_now and served <= _spans(hours, now)[0][1]
    return WaitEstimate(open_now=open_now, served_at=served, back_at=back, minutes=minutes,
                        before_closing=within)


def hours_label(raw: str, day_names: list[str], zone_label: str) -> str:
    """Returns the schedule in the local way: "Senin–Jumat 08.00–17.00 WIB"."""
    parts = []
    for part in filter(None, (p.strip() for p in raw.split(";"))):
        text = re.sub(r"[A-Za-z]{3}", lambda m: day_names[DAYS.index(m[0].lower())]
                      if m[0].lower() in DAYS else m[0], part)
        text = re.sub(r"(\d{1,2}):(\d{2})", r"\1.\2", text)
        text = re.sub(r"\s*-\s*", "–", text)
        parts.append(f"{text} {zone_label}")
    return "; ".join(parts)
