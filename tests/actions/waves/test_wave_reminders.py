"""Opening a wave reminds registered applicants (who cannot have joined yet) to join it."""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from waves_builders import CLOSES, OPENS, strong

from actions.broadcasts import render
from actions.lottery import commitment
from actions.wave_reminders import remind_registered_to_join
from actions.waves import create_wave, open_wave
from storage.db import session_scope
from storage.models import Applicant
from storage.models_broadcast import Broadcast, BroadcastRecipient, Subscriber


def test_opening_reminds_registered_subscribers_only(engine: Engine) -> None:
    with session_scope(engine) as session:
        for chat, done, out in ((1, True, False), (2, False, False), (3, True, True)):
            session.add(Subscriber(chat_id=chat, opted_out=out))
            session.add(Applicant(chat_id=chat, registration_completed_at=OPENS if done else None))
        create_wave(session=session, number=14, quota=10, opens_at=OPENS, closes_at=CLOSES)
        wave = open_wave(session=session, number=14, seed_commitment=commitment(strong("s")))
        broadcast_id = remind_registered_to_join(session=session, wave=wave, created_by="t")
    with Session(engine) as session:
        broadcast = session.get(Broadcast, broadcast_id)
        recipients = session.exec(select(BroadcastRecipient.chat_id).where(
            BroadcastRecipient.broadcast_id == broadcast_id)).all()
    assert broadcast is not None and broadcast.status == "running"
    assert broadcast.template == "gelombang_dibuka" and broadcast.params["wave"] == "14"
    assert sorted(recipients) == [1]  # not the unregistered one, not the one who opted out
    assert "WIB" in broadcast.params["dates"]


def test_the_reminder_text_sends_people_to_gabung() -> None:
    from actions.broadcasts import load_template

    body = render(load_template("gelombang_dibuka"), {"wave": "14", "dates": "x"}, "Budi")
    assert "/gabung" in body and "Gelombang 14" in body
