"""`lottery run` and `lottery verify` on SQLite and PostgreSQL, from the frozen snapshot."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select
from waves_builders import BEACON_SOURCE, add_list, closed_wave, draw, nik, strong

from actions.draw import commitment, derive_draw, final_seed
from actions.eligibility import Reason, reason_codes
from actions.lottery import run_lottery, verify_lottery
from actions.wave_freeze import load_snapshot
from actions.waves import WaveError, delete_wave_data, get_wave
from storage.db import session_scope
from storage.models_waves import (
    ApplicantResult,
    LotteryRun,
    WaveApplication,
    WaveFreeze,
    WaveSnapshotEntry,
)
from storage.nik_keys import nik_key

SEED = "gelombang-1-seed"


def results(engine: Engine) -> dict[int, ApplicantResult]:
    with Session(engine) as session:
        rows = session.exec(select(ApplicantResult, WaveApplication).join(
            WaveApplication, col(WaveApplication.id) == col(ApplicantResult.application_id))).all()
    keys = {nik_key(str(nik(i))): nik(i) for i in range(1000)}
    return {keys[application.nik_key]: result for result, application in rows}


def test_run_gives_every_applicant_a_result_with_reasons(engine: Engine) -> None:
    niks = [nik(i) for i in range(40)]
    closed_wave(engine, quota=10, seed=SEED, niks=niks,
                lists={"DAPODIK": [nik(0), nik(1)], "ASN": [nik(1)], "BSU": [nik(99)],
                       "KEMNAKER_PRIORITY": [nik(2), nik(3), nik(0)]},
                births={nik(4): date(2005, 1, 1)})
    outcome = draw(engine, seed=SEED)
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


def test_third_applicant_of_one_kk_is_excluded_with_its_reason(engine: Engine) -> None:
    family = {nik(i): 77 for i in range(3)}
    closed_wave(engine, quota=10, seed=SEED, niks=[nik(i) for i in range(6)], kks=family)
    outcome = draw(engine, seed=SEED)
    found = results(engine)
    limited = [n for n in family if found[n].reason_mask == Reason.KK_LIMIT]
    assert len(limited) == 1 and found[limited[0]].draw_position == 0
    assert not found[limited[0]].selected and reason_codes(Reason.KK_LIMIT) == ["KK_LIMIT"]
    assert sum(found[n].selected for n in family) == 2 and outcome.kk_limited == 1
    assert outcome.selected == 5  # the quota is not the limit here: the KK rule is
    assert verify_lottery(engine, wave_number=1).ok


def test_database_draw_equals_the_pure_derivation(engine: Engine) -> None:
    closed_wave(engine, quota=15, seed=SEED, niks=[nik(i * 7919) for i in range(60)])
    outcome = draw(engine, seed=SEED)
    with Session(engine) as session:
        wave_id = get_wave(session=session, number=1).id or 0
        freeze = session.get(WaveFreeze, wave_id)
        assert freeze is not None
        snapshot = load_snapshot(session.connection(), wave_id)
    seed_hex = final_seed(strong(SEED), wave=1, inputs_digest=freeze.inputs_digest,
                          beacon=strong("beacon-1"), source=BEACON_SOURCE)
    expected = derive_draw(seed_hex, snapshot["public_id"], snapshot["mask"],
                           snapshot["priority"], snapshot["kk_group"], 15)
    assert outcome.draw_digest == expected.digest and outcome.final_seed == seed_hex


def test_wrong_or_weak_seed_weak_beacon_and_second_run_are_refused(engine: Engine) -> None:
    closed_wave(engine, quota=2, seed=SEED, niks=[nik(i) for i in range(5)])
    beacon = strong("b")
    with pytest.raises(WaveError, match="komitmen"):
        run_lottery(engine, wave_number=1, seed=strong("re-roll"), beacon=beacon,
                    beacon_source="x")
    with pytest.raises(WaveError, match="beacon lemah"):
        run_lottery(engine, wave_number=1, seed=strong(SEED), beacon="1", beacon_source="x")
    with pytest.raises(WaveError, match="sumber beacon"):
        run_lottery(engine, wave_number=1, seed=strong(SEED), beacon=beacon, beacon_source=" ")
    draw(engine, seed=SEED)
    with pytest.raises(WaveError, match="selected"):
        draw(engine, seed=SEED)
    assert len(results(engine)) == 5


def test_a_weak_committed_seed_is_refused_at_the_draw(engine: Engine) -> None:
    with session_scope(engine) as session:
        from waves_builders import CLOSES, OPENS

        from actions.waves import close_wave, create_wave, open_wave

        create_wave(session=session, number=1, quota=1, opens_at=OPENS, closes_at=CLOSES)
        open_wave(session=session, number=1, seed_commitment=commitment("1"))
        close_wave(session=session, number=1)
    with pytest.raises(WaveError, match="seed lemah"):
        run_lottery(engine, wave_number=1, seed="1", beacon=strong("b"), beacon_source="x")


def test_failed_run_leaves_no_half_results(engine: Engine) -> None:
    closed_wave(engine, quota=2, seed=SEED, niks=[nik(i) for i in range(5)])
    with session_scope(engine) as session:
        first = session.exec(select(WaveApplication).order_by(col(WaveApplication.id))).first()
        assert first is not None and first.id is not None
        session.add(ApplicantResult(application_id=first.id, wave_id=first.wave_id,
                                    selected=False, priority=False, reason_mask=0,
                                    draw_position=0))
    with pytest.raises(IntegrityError):
        draw(engine, seed=SEED)
    with Session(engine) as session:
        assert get_wave(session=session, number=1).status == "closed"
        assert session.exec(select(LotteryRun)).first() is None
    assert len(results(engine)) == 1


def test_lists_imported_after_close_change_nothing_frozen(engine: Engine) -> None:
    closed_wave(engine, quota=3, seed=SEED, niks=[nik(i) for i in range(12)],
                lists={"DIKTI": [nik(5)]})
    with session_scope(engine) as session:
        add_list(session, "DIKTI", [nik(i) for i in range(12)])  # next wave's file
        add_list(session, "ASN", [nik(1)])
    draw(engine, seed=SEED)
    assert reason_codes(results(engine)[nik(5)].reason_mask) == ["DIKTI"]
    assert sum(r.reason_mask == 0 or r.reason_mask == Reason.OVER_QUOTA
               for r in results(engine).values()) == 11
    assert verify_lottery(engine, wave_number=1).ok


def test_verify_confirms_and_lists_what_differs(engine: Engine) -> None:
    closed_wave(engine, quota=3, seed=SEED, niks=[nik(i) for i in range(12)])
    draw(engine, seed=SEED)
    assert verify_lottery(engine, wave_number=1).ok
    with engine.begin() as connection:
        connection.execute(text(
            "UPDATE applicantresult SET selected = NOT selected, reason_mask = 0 "
            "WHERE draw_position = 4"))
    found = verify_lottery(engine, wave_number=1)
    assert not found.ok and all(good for _label, good in found.checks)
    assert {d.column for d in found.differences} == {"selected", "reason_mask"}
    assert len({d.row for d in found.differences}) == 1


def test_erasure_after_the_draw_keeps_verify_passing(engine: Engine) -> None:
    closed_wave(engine, quota=3, seed=SEED, niks=[nik(i) for i in range(12)], first_chat=100)
    draw(engine, seed=SEED)
    with session_scope(engine) as session:
        delete_wave_data(session=session, chat_id=104)
        assert session.exec(select(WaveSnapshotEntry)).all().__len__() == 12
    found = verify_lottery(engine, wave_number=1)
    assert found.ok and found.erased == 1


def test_an_application_added_after_close_is_not_in_the_draw(engine: Engine) -> None:
    closed_wave(engine, quota=3, seed=SEED, niks=[nik(i) for i in range(12)])
    with session_scope(engine) as session:
        wave = get_wave(session=session, number=1)
        session.add(WaveApplication(wave_id=wave.id or 0, chat_id=999,
                                    nik_key=nik_key(str(nik(500))), birth_date=date(1990, 1, 1)))
    outcome = draw(engine, seed=SEED)
    assert outcome.applicants == 12 and nik(500) not in results(engine)
