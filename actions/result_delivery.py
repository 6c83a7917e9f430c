"""Hands the queued result messages of a wave to the broadcast sender, in batches, once."""

from __future__ import annotations

from sqlalchemy import update
from sqlmodel import Session, col, select

from actions.broadcasts import create_notifications
from actions.results import notification_params, view_for
from actions.waves import get_wave
from storage.models_waves import ApplicantResult, ResultNotification

RESULT_TEMPLATE = "hasil_seleksi"
BATCH = 20_000  # bounds memory: every message carries its own reason text


def hand_results_to_sender(*, session: Session, wave_number: int, created_by: str) -> int:
    """Turns every pending result notification of the wave into a personal broadcast message."""
    wave = get_wave(session=session, number=wave_number)
    handed = 0
    while True:
        batch = session.exec(
            select(ResultNotification, ApplicantResult)
            .join(ApplicantResult,
                  col(ApplicantResult.application_id) == col(ResultNotification.application_id))
            .where(col(ResultNotification.wave_id) == wave.id,
                   col(ResultNotification.status) == "pending")
            .order_by(col(ResultNotification.id)).limit(BATCH)
        ).all()
        if not batch:
            return handed
        per_chat = {note.chat_id: notification_params(view_for(result, wave.number))
                    for note, result in batch}
        broadcast = create_notifications(session=session, template=RESULT_TEMPLATE,
                                         per_chat=per_chat, created_by=created_by,
                                         params={"wave": str(wave.number)})
        ids = [note.id for note, _ in batch]
        session.execute(update(ResultNotification)
                        .where(col(ResultNotification.id).in_(ids))
                        .values(status="queued", broadcast_id=broadcast.id))
        handed += len(batch)
