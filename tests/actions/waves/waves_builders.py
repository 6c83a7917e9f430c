"""Builders for wave tests: a wave with applications and agency list entries on a real database."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import UTC, date, datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session

from actions.lottery import LotteryOutcome, commitment, run_lottery
from actions.waves import close_wave, create_wave, open_wave
from storage.db import session_scope
from storage.models_waves import AgencyListEntry, AgencyListImport, WaveApplication
from storage.nik_keys import nik_key

OPENS = datetime(2021, 2, 24, 0, 0, tzinfo=UTC)
CLOSES = datetime(2021, 2, 26, 5, 0, tzinfo=UTC)
ADULT = date(1990, 8, 5)
BASE_NIK = 3273014508900001
BEACON_SOURCE = "https://api.drand.sh/public/1234567"


def nik(index: int) -> int:
    """Returns a distinct 16-digit NIK for applicant number `index`."""
    return BASE_NIK + index


def strong(label: str) -> str:
    """Returns a 256-bit hex value standing for a secret seed or beacon named `label`."""
    return hashlib.sha256(label.encode()).hexdigest()


def add_list(session: Session, source: str, niks: Iterable[int]) -> None:
    """Adds an imported version of agency list `source` holding `niks`."""
    keys = sorted({nik_key(str(value)) for value in niks})
    record = AgencyListImport(source=source, file_sha256=strong(f"{source}{keys}"),
                              rows_read=len(keys), rows_stored=len(keys), rows_invalid=0)
    session.add(record)
    session.flush()
    session.add_all(AgencyListEntry(import_id=record.id or 0, nik_key=key) for key in keys)


def closed_wave(
    engine: Engine, *, number: int = 1, quota: int, seed: str, niks: Iterable[int],
    lists: dict[str, Iterable[int]] | None = None, births: dict[int, date] | None = None,
    first_chat: int = 0, kks: dict[int, int] | None = None,
) -> None:
    """Creates, opens (committing to strong(`seed`)), fills and closes (freezes) a wave."""
    births, kks = births or {}, kks or {}
    with session_scope(engine) as session:
        wave = create_wave(session=session, number=number, quota=quota, opens_at=OPENS,
                           closes_at=CLOSES)
        open_wave(session=session, number=number, seed_commitment=commitment(strong(seed)))
        for offset, value in enumerate(niks):
            session.add(WaveApplication(wave_id=wave.id or 0, chat_id=first_chat + offset,
                                        nik_key=nik_key(str(value)), kk_key=kks.get(value, 0),
                                        birth_date=births.get(value, ADULT)))
        for source, members in (lists or {}).items():
            add_list(session, source, members)
        session.flush()
        close_wave(session=session, number=number)


def draw(engine: Engine, *, number: int = 1, seed: str) -> LotteryOutcome:
    """Runs the draw of wave `number` with strong(`seed`) and a fixed beacon."""
    return run_lottery(engine, wave_number=number, seed=strong(seed),
                       beacon=strong(f"beacon-{number}"), beacon_source=BEACON_SOURCE)
