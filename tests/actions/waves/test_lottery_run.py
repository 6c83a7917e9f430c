"""`lottery run` and `lottery verify` on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select
from waves_builders import closed_wave, nik

from actions.eligibility import Reason, reason_codes
from actions.lottery import derive_draw, run_lottery, verify_lottery
from actions.waves import WaveError, get_wave
from storage.db import session_scope
from storage.models_waves import ApplicantResult, LotteryRun, WaveApplication

SEED = "gelombang-1-seed"


def results(engine: Engine) -> dict[int, ApplicantResult]:
    with Session(engine) as session:
        rows = session.exec(select(ApplicantResult, WaveApplication).join(
            WaveApplication, col(WaveApplication.id) == col(ApplicantResult.application_id))).all()
    return {application.nik: result for result, application in rows}


def test_run_gives_every_applicant_a_result_with_reasons(engine: Engine) -> None:
    niks = [nik(i) for i in range(40)]
    closed_wave(engine, quota=10, seed=SEED, niks=niks,
                lists={"DAPODIK": [nik(0), nik(1)], "ASN": [nik(1)], "BSU": [nik(99)],
                       "KEMNAKER_PRIORITY": [nik(2), nik(3), nik(0)]},
                births={nik(4): date(2005, 1, 1)})
    outcome = run_lottery(engine, wave_number=1, seed=SEED)
    found = results(engine)
    assert len(found) == 40 and outcome.selected == 10 and outcome.excluded == 3
    assert reason_codes(found[nik(0)].reason_mask) == ["DAPODIK"]
    assert reason_codes(found[nik(1)].reason_mask) == ["DAPODIK", "ASN"]
    assert reason_codes(found[nik(4)].reason_mask) == ["UNDERAGE"]
    assert found[nik(2)].selected and found[nik(3)].selected and not found[nik(0)].selected
    assert {found[nik(2)].draw_position, found[nik(3)].draw_position} == {1, 2}
    losers = [r for r in found.values() if not r.selected and r.draw_position > 0]
    assert len(losers) == 27 and all(r.reason_mask == Reason.OVER_QUOTA for r in losers)
    with Session(engine) as session:
        assert get_wave(session=session, number=1).status == "selected"


def test_database_draw_equals_the_pure_derivation(engine: Engine) -> None:
    niks = [nik(i * 7919) for i in range(60)]
    closed_wave(engine, quota=15, seed=SEED, niks=niks)
    outcome = run_lottery(engine, wave_number=1, seed=SEED)
    zeros = np.zeros(60, dtype=np.int64)
    expected = derive_draw(SEED, np.array(niks, dtype=np.int64), zeros, zeros, 15)
    assert outcome.draw_digest == expected.digest


def test_wrong_seed_and_second_run_are_refused(engine: Engine) -> None:
    closed_wave(engine, quota=2, seed=SEED, niks=[nik(i) for i in range(5)])
    with pytest.raises(WaveError, match="komitmen"):
        run_lottery(engine, wave_number=1, seed="re-roll")
    run_lottery(engine, wave_number=1, seed=SEED)
    with pytest.raises(WaveError, match="selected"):
        run_lottery(engine, wave_number=1, seed=SEED)
    assert len(results(engine)) == 5


def test_failed_run_leaves_no_half_results(engine: Engine) -> None:
    closed_wave(engine, quota=2, seed=SEED, niks=[nik(i) for i in range(5)])
    with session_scope(engine) as session:
        first = session.exec(select(WaveApplication).order_by(col(WaveApplication.id))).first()
        assert first is not None and first.id is not None
        session.add(ApplicantResult(application_id=first.id, wave_id=first.wave_id,
                                    selected=False, priority=False, reason_mask=0,
                                    draw_position=0))
    with pytest.raises(IntegrityError):
        run_lottery(engine, wave_number=1, seed=SEED)
    with Session(engine) as session:
        assert get_wave(session=session, number=1).status == "closed"
        assert session.exec(select(LotteryRun)).first() is None
    assert len(results(engine)) == 1


def test_verify_confirms_and_detects_changes(engine: Engine) -> None:
    closed_wave(engine, quota=3, seed=SEED, niks=[nik(i) for i in range(12)])
    run_lottery(engine, wave_number=1, seed=SEED)
    assert verify_lottery(engine, wave_number=1, seed=SEED).ok
    other_seed = verify_lottery(engine, wave_number=1, seed="another")
    assert not other_seed.commitment_ok and not other_seed.draw_matches
    with session_scope(engine) as session:
        wave = get_wave(session=session, number=1)
        session.add(WaveApplication(wave_id=wave.id or 0, chat_id=999, nik=nik(500),
                                    birth_date=date(1990, 1, 1)))
    changed = verify_lottery(engine, wave_number=1, seed=SEED)
    assert changed.commitment_ok and not changed.inputs_unchanged and not changed.ok
