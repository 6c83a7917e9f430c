"""Builders for wave tests: a wave with applications and agency list entries on a real database."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime

from sqlalchemy.engine import Engine

from actions.lottery import commitment
from actions.waves import close_wave, create_wave, open_wave
from storage.db import session_scope
from storage.models_waves import AgencyListEntry, WaveApplication, source_code

OPENS = datetime(2021, 2, 24, 0, 0, tzinfo=UTC)
CLOSES = datetime(2021, 2, 26, 5, 0, tzinfo=UTC)
ADULT = date(1990, 8, 5)
BASE_NIK = 3273014508900001


def nik(index: int) -> int:
    """Returns a distinct 16-digit NIK for applicant number `index`."""
    return BASE_NIK + index


def closed_wave(
    engine: Engine, *, number: int = 1, quota: int, seed: str, niks: Iterable[int],
    lists: dict[str, Iterable[int]] | None = None, births: dict[int, date] | None = None,
    first_chat: int = 0,
) -> None:
    """Creates, opens (committing to `seed`), fills and closes a wave."""
    births = births or {}
    with session_scope(engine) as session:
        wave = create_wave(session=session, number=number, quota=quota, opens_at=OPENS,
                           closes_at=CLOSES)
        open_wave(session=session, number=number, seed_commitment=commitment(seed))
        for offset, value in enumerate(niks):
            session.add(WaveApplication(wave_id=wave.id or 0, chat_id=first_chat + offset,
                                        nik=value, birth_date=births.get(value, ADULT)))
        for source, members in (lists or {}).items():
            existing = set(members)
            session.add_all(AgencyListEntry(nik=m, source=source_code(source)) for m in existing)
        session.flush()
        close_wave(session=session, number=number)
