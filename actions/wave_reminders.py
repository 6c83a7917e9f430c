"""At a wave's opening, registered applicants are reminded to join it with /gabung."""

from __future__ import annotations

from sqlmodel import Session

from actions.broadcasts import create_broadcast, start_broadcast
from flows.validators.timezones import time_for_province
from storage.models_waves import Wave

OPENING_TEMPLATE = "gelombang_dibuka"
# Nobody can have joined a wave that opens now, so "registered" is exactly who still needs to.
AUDIENCE = "registered"


def remind_registered_to_join(*, session: Session, wave: Wave, created_by: str) -> int:
    """Queues the opening announcement for every registered subscriber; returns the broadcast id."""
    dates = (f"{time_for_province(wave.opens_at, None)} sampai "
             f"{time_for_province(wave.closes_at, None)}")
    broadcast = create_broadcast(session=session, template=OPENING_TEMPLATE, audience=AUDIENCE,
                                 params={"wave": str(wave.number), "dates": dates},
                                 created_by=created_by)
    start_broadcast(session=session, broadcast_id=broadcast.id or 0)
    return broadcast.id or 0
