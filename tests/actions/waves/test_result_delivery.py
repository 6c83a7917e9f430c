"""Announced results become one personal message per applicant on the broadcast sender, once."""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from waves_builders import closed_wave, draw, nik

from actions.result_delivery import hand_results_to_sender
from actions.waves import announce_wave
from storage.db import session_scope
from storage.models_broadcast import Broadcast, BroadcastRecipient
from storage.models_waves import ResultNotification


def test_each_applicant_gets_one_result_message_with_reason(engine: Engine) -> None:
    niks = [nik(i) for i in range(6)]
    closed_wave(engine, number=3, quota=2, seed="benih", niks=niks,
                lists={"DAPODIK": [niks[5]]}, first_chat=700)
    draw(engine, number=3, seed="benih")
    with session_scope(engine) as session:
        assert announce_wave(session=session, number=3) == 6
        assert hand_results_to_sender(session=session, wave_number=3, created_by="t") == 6
    with session_scope(engine) as session:
        assert hand_results_to_sender(session=session, wave_number=3, created_by="t") == 0
    with Session(engine) as session:
        recipients = session.exec(select(BroadcastRecipient)).all()
        broadcasts = session.exec(select(Broadcast)).all()
        notes = session.exec(select(ResultNotification)).all()
    assert sorted(r.chat_id for r in recipients) == list(range(700, 706))
    assert len(broadcasts) == 1 and broadcasts[0].template == "hasil_seleksi"
    assert {n.status for n in notes} == {"queued"}
    by_chat = {r.chat_id: r.params for r in recipients}
    assert sum(p["result"] == "LOLOS" for p in by_chat.values()) == 2
    assert "Dapodik" in by_chat[705]["reason"]
