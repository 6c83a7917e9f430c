"""Joining waves, announcing results and explaining them, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from waves_builders import CLOSES, OPENS, add_list, strong
from waves_builders import draw as run_draw

from actions.lottery import commitment
from actions.results import applicant_result, draw_proof, notification_params
from actions.waves import (
    WaveError,
    announce_wave,
    close_wave,
    create_wave,
    delete_wave_data,
    get_wave,
    join_wave,
    open_wave,
)
from storage.db import session_scope
from storage.models import Applicant
from storage.models_waves import (
    ApplicantResult,
    BasicTestAttempt,
    CardRecipient,
    ResultNotification,
    WaveApplication,
    WaveFreeze,
)
from storage.nik_keys import nik_key

NOW = datetime(2021, 2, 25, 9, 0, tzinfo=UTC)


def applicant(session: Session, chat_id: int, nik: str, *, tested: bool = True) -> Applicant:
    person = Applicant(chat_id=chat_id, nik=nik, birth_date=date(1990, 8, 5),
                       registration_completed_at=NOW)
    session.add(person)
    if tested:
        session.add(BasicTestAttempt(chat_id=chat_id, started_at=NOW, deadline_at=NOW,
                                     finished_at=NOW, score=8, max_score=10, passed=True))
    session.flush()
    return person


def new_wave(session: Session, number: int, quota: int, seed: str) -> None:
    create_wave(session=session, number=number, quota=quota, opens_at=OPENS, closes_at=CLOSES)
    open_wave(session=session, number=number, seed_commitment=commitment(strong(seed)))


def draw(engine: Engine, number: int, seed: str) -> None:
    with session_scope(engine) as session:
        close_wave(session=session, number=number)
    run_draw(engine, number=number, seed=seed)
    with session_scope(engine) as session:
        announce_wave(session=session, number=number)


def test_join_rules_and_results_across_two_waves(engine: Engine) -> None:
    with session_scope(engine) as session:
        new_wave(session, 1, quota=1, seed="s1")
        a = applicant(session, 1, "3273014508900001")
        b = applicant(session, 2, "3273014508900002")
        c = applicant(session, 3, "3273014508900003")
        untested = applicant(session, 4, "3273014508900004", tested=False)
        add_list(session, "DAPODIK", [3273014508900003])
        assert [join_wave(session=session, applicant=p, now=NOW).code for p in (a, b, c)] == [
            "joined", "joined", "joined"]
        assert join_wave(session=session, applicant=a, now=NOW).code == "already_joined"
        assert join_wave(session=session, applicant=untested, now=NOW).code == "test_not_passed"
    with session_scope(engine) as session:
        assert applicant_result(session=session, chat_id=1).state == "pending"
    draw(engine, 1, "s1")
    with session_scope(engine) as session:
        views = {chat: applicant_result(session=session, chat_id=chat) for chat in (1, 2, 3)}
        assert sorted(v.state for v in views.values()) == [
            "not_selected", "not_selected", "selected"]
        assert views[3].reasons == ("DAPODIK",) and "Dapodik" in views[3].text
        assert "sekolah" in views[3].text  # what to do next
        loser = next(v for c, v in views.items() if c != 3 and v.state == "not_selected")
        assert loser.reasons == ("OVER_QUOTA",) and "gelombang berikutnya" in loser.text
        assert notification_params(loser)["result"] == "TIDAK LOLOS"
        assert len(session.exec(select(ResultNotification)).all()) == 3
        winner_chat = next(c for c, v in views.items() if v.state == "selected")
    with session_scope(engine) as session:
        new_wave(session, 2, quota=5, seed="s2")
        people = {p.chat_id: p for p in session.exec(select(Applicant)).all()}
        codes = {chat: join_wave(session=session, applicant=people[chat], now=NOW).code
                 for chat in (1, 2, 3)}
    assert codes[winner_chat] == "prior_recipient"
    assert sorted(codes.values()) == ["joined", "joined", "prior_recipient"]


def test_announcing_twice_is_refused_and_messages_stay_unique(engine: Engine) -> None:
    with session_scope(engine) as session:
        new_wave(session, 1, quota=1, seed="s")
        join_wave(session=session, applicant=applicant(session, 1, "3273014508900001"), now=NOW)
    draw(engine, 1, "s")
    with session_scope(engine) as session, pytest.raises(WaveError):
        announce_wave(session=session, number=1)
    with Session(engine) as session:
        assert len(session.exec(select(ResultNotification)).all()) == 1


def test_only_one_wave_open_at_a_time(engine: Engine) -> None:
    with session_scope(engine) as session:
        new_wave(session, 1, quota=1, seed="s")
        create_wave(session=session, number=2, quota=1, opens_at=OPENS, closes_at=CLOSES)
        with pytest.raises(WaveError, match="masih dibuka"):
            open_wave(session=session, number=2, seed_commitment=commitment("t"))


def test_an_erased_recipient_cannot_join_again_nor_be_drawn(engine: Engine) -> None:
    nik = "3273014508900001"
    with session_scope(engine) as session:
        new_wave(session, 1, quota=1, seed="s1")
        join_wave(session=session, applicant=applicant(session, 1, nik), now=NOW)
    draw(engine, 1, "s1")
    with session_scope(engine) as session:
        assert applicant_result(session=session, chat_id=1).state == "selected"
        delete_wave_data(session=session, chat_id=1)  # /hapusdata
        session.delete(session.exec(select(Applicant)).one())
    with session_scope(engine) as session:
        assert session.exec(select(ApplicantResult)).first() is None
        assert session.get(CardRecipient, nik_key(nik)) is not None  # kept by legal duty
        new_wave(session, 2, quota=5, seed="s2")
        again = applicant(session, 2, nik)  # registers again with the same NIK
        assert join_wave(session=session, applicant=again, now=NOW).code == "prior_recipient"
        assert session.exec(select(WaveApplication)).all() == []
        # Even when an application gets in by another path, the draw excludes it.
        session.add(WaveApplication(wave_id=get_wave(session=session, number=2).id or 0,
                                    chat_id=2, nik_key=nik_key(nik), birth_date=date(1990, 8, 5)))
    draw(engine, 2, "s2")
    with session_scope(engine) as session:
        view = applicant_result(session=session, chat_id=2)
    assert view.state == "not_selected" and view.reasons == ("SELECTED_BEFORE",)
    assert "sudah pernah lolos" in view.text


def test_hasil_shows_the_frozen_digest_then_the_draw_id_and_position(engine: Engine) -> None:
    with session_scope(engine) as session:
        new_wave(session, 1, quota=1, seed="s1")
        join_wave(session=session, applicant=applicant(session, 1, "3273014508900001"), now=NOW)
        assert draw_proof(session=session, chat_id=1) == ""  # nothing frozen while open
        close_wave(session=session, number=1)
    with session_scope(engine) as session:
        frozen = draw_proof(session=session, chat_id=1)
        digest = session.exec(select(WaveFreeze)).one().inputs_digest
    assert digest in frozen and "ID undian Anda" in frozen
    run_draw(engine, number=1, seed="s1")
    with session_scope(engine) as session:
        announce_wave(session=session, number=1)
    with session_scope(engine) as session:
        drawn = draw_proof(session=session, chat_id=1)
    assert "posisi undian: 1" in drawn and digest in drawn and "verify_draw.py" in drawn
