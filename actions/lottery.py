"""The random selection of a closed, frozen wave, and its verification from the snapshot.

`run` reveals the committed secret and types in a public beacon value (with its source); the
final seed binds both and the inputs digest published at close (rules: actions.draw). Results,
the run record and the recipients' blind indexes are written in one transaction. `verify`
re-derives every stored column applicants are told — selected, reasons, priority, position —
and the counts, and lists each difference.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session, col, select

from actions.draw import (
    Draw,
    WeakSeed,
    check_strength,
    commitment,
    derive_draw,
    final_seed,
    inputs_digest,
)
from actions.pg_copy import copy_in_binary, insert_arrays, query_array
from actions.wave_freeze import load_snapshot
from actions.waves import WaveError, get_wave
from storage.models import utcnow
from storage.models_waves import ApplicantResult, LotteryRun, Wave, WaveFreeze
from storage.nik_keys import PUBLIC_ID_LABEL, id_hex, wave_ids

logger = logging.getLogger(__name__)
I64 = npt.NDArray[np.int64]

__all__ = ["LotteryOutcome", "Verification", "commitment", "run_lottery", "verify_lottery"]
COUNTS = ("applicants", "excluded", "eligible", "selected", "priority_selected", "kk_limited")


@dataclass(frozen=True, slots=True)
class LotteryOutcome:
    """Counts of one run, for the CLI and the benchmark."""

    applicants: int
    excluded: int
    eligible: int
    selected: int
    priority_selected: int
    kk_limited: int
    seconds: float
    draw_digest: str
    final_seed: str


def _frozen(session: Session, wave: Wave) -> WaveFreeze:
    freeze = session.get(WaveFreeze, wave.id)
    if freeze is None:
        raise WaveError(f"gelombang {wave.number} belum dibekukan (tutup dulu gelombangnya)")
    return freeze


def _derive(snapshot: npt.NDArray[Any], wave: Wave, seed_hex: str) -> Draw:
    return derive_draw(seed_hex, snapshot["public_id"], snapshot["mask"], snapshot["priority"],
                       snapshot["kk_group"], wave.quota)


def run_lottery(
    engine: Engine, *, wave_number: int, seed: str, beacon: str, beacon_source: str
) -> LotteryOutcome:
    """Draws a closed wave in one transaction: results for every application, or nothing."""
    started = time.perf_counter()
    with Session(engine) as session, session.begin():
        wave = get_wave(session=session, number=wave_number, lock=True)
        freeze = _check_runnable(session, wave, seed, beacon, beacon_source)
        connection = session.connection()
        if connection.dialect.name == "postgresql":
            connection.execute(text("SET LOCAL work_mem = '256MB'"))
        snapshot = load_snapshot(connection, wave.id or 0)
        seed_hex = final_seed(seed, wave=wave.number, inputs_digest=freeze.inputs_digest,
                              beacon=beacon, source=beacon_source)
        draw = _derive(snapshot, wave, seed_hex)
        _store(connection, wave, snapshot, draw)
        _record_recipients(connection, wave, snapshot, draw)
        counts = draw.counts(snapshot["priority"])
        seconds = time.perf_counter() - started
        session.add(LotteryRun(
            wave_id=wave.id or 0, seed=seed, seed_commitment=wave.seed_commitment or "",
            inputs_digest=freeze.inputs_digest, beacon=beacon, beacon_source=beacon_source,
            final_seed=seed_hex, draw_digest=draw.digest, seconds=seconds,
            **counts))  # type: ignore[arg-type]
        wave.status, wave.updated_at = "selected", utcnow()
        session.add(wave)
    logger.info("wave %s drawn: %s selected of %s", wave_number, counts["selected"],
                counts["applicants"])
    return LotteryOutcome(**counts, seconds=seconds, draw_digest=draw.digest,
                          final_seed=seed_hex)


def _check_runnable(session: Session, wave: Wave, seed: str, beacon: str,
                    source: str) -> WaveFreeze:
    if wave.status != "closed":
        raise WaveError(f"gelombang {wave.number} berstatus {wave.status}; undian hanya untuk "
                        "gelombang yang sudah ditutup dan belum diundi")
    if not wave.seed_commitment or commitment(seed) != wave.seed_commitment:
        raise WaveError("seed tidak cocok dengan komitmen SHA-256 yang diumumkan saat dibuka")
    try:
        check_strength(seed, "seed")
        check_strength(beacon, "nilai beacon")
    except WeakSeed as error:
        raise WaveError(str(error)) from error
    if not source.strip():
        raise WaveError("sumber beacon wajib (mis. URL ronde drand/NIST yang dipakai)")
    if session.exec(select(LotteryRun).where(col(LotteryRun.wave_id) == wave.id)).first():
        raise WaveError(f"gelombang {wave.number} sudah diundi")
    return _frozen(session, wave)


def _store(connection: Connection, wave: Wave, snapshot: npt.NDArray[Any], draw: Draw) -> None:
    """Writes one ApplicantResult per frozen application."""
    table = ApplicantResult.__table__  # type: ignore[attr-defined]
    # In primary key order: the index then grows at its end instead of at random pages.
    order = np.argsort(snapshot["application_id"], kind="stable")
    columns = {"application_id": snapshot["application_id"][order],
               "wave_id": np.full(len(snapshot), wave.id, dtype=np.int64),
               "selected": draw.selected[order],
               "priority": snapshot["priority"][order].astype(bool),
               "reason_mask": draw.masks[order], "draw_position": draw.positions[order]}
    insert_arrays(connection, table, columns)


def _record_recipients(connection: Connection, wave: Wave, snapshot: npt.NDArray[Any],
                       draw: Draw) -> int:
    """Keeps the blind index of every selected NIK (once only, even after erasure)."""
    applications = _present_applications(connection, wave)
    chosen = np.isin(applications["id"], snapshot["application_id"][draw.selected])
    known = query_array(connection, "SELECT nik_key FROM cardrecipient", {}, KEY_DTYPE)
    new = np.setdiff1d(applications["nik_key"][chosen], known["nik_key"])  # computed here: a
    # join inside the INSERT was planned on the pre-draw statistics and took minutes at 1 M.
    values = {"wave": wave.id, "now": utcnow()}
    if connection.dialect.name == "postgresql":
        connection.execute(text("CREATE TEMP TABLE new_recipient (nik_key int8) ON COMMIT DROP"))
        copy_in_binary(connection, "new_recipient", {"nik_key": new})
        connection.execute(text("INSERT INTO cardrecipient (nik_key, wave_id, recorded_at) "
                                "SELECT nik_key, :wave, :now FROM new_recipient"), values)
    elif len(new):
        connection.execute(text("INSERT INTO cardrecipient (nik_key, wave_id, recorded_at) "
                                "VALUES (:key, :wave, :now)"),
                           [{"key": key, **values} for key in new.tolist()])
    return len(new)


@dataclass(frozen=True, slots=True)
class Difference:
    """One stored value that the re-derivation does not confirm."""

    row: str  # the applicant's public id (hex) or "undian" for the run record
    column: str
    stored: str
    derived: str


@dataclass(slots=True)
class Verification:
    """What `lottery verify` found; ok only when every check holds and nothing differs."""

    checks: list[tuple[str, bool]] = field(default_factory=list)
    differences: list[Difference] = field(default_factory=list)
    erased: int = 0

    @property
    def ok(self) -> bool:
        """Tells whether the draw is confirmed."""
        return all(good for _label, good in self.checks) and not self.differences


def verify_lottery(engine: Engine, *, wave_number: int) -> Verification:
    """Re-derives the draw from the frozen snapshot and compares every stored value."""
    with Session(engine) as session:
        wave = get_wave(session=session, number=wave_number)
        run = session.exec(select(LotteryRun).where(col(LotteryRun.wave_id) == wave.id)).first()
        if run is None:
            raise WaveError(f"gelombang {wave_number} belum diundi")
        freeze = _frozen(session, wave)
        connection = session.connection()
        snapshot = load_snapshot(connection, wave.id or 0)
        found = _check_seed_material(wave, freeze, run, snapshot)
        draw = _derive(snapshot, wave, run.final_seed)
        _compare_results(connection, wave, snapshot, draw, found)
        _compare_run(run, draw, snapshot, found)
        _check_public_ids(connection, wave, snapshot, found)
    return found


def _check_seed_material(wave: Wave, freeze: WaveFreeze, run: LotteryRun,
                         snapshot: npt.NDArray[Any]) -> Verification:
    digest = inputs_digest(wave=wave.number, quota=wave.quota, lists=freeze.lists,
                           ids=snapshot["public_id"], masks=snapshot["mask"],
                           priority=snapshot["priority"], kk=snapshot["kk_group"])
    seed_hex = final_seed(run.seed, wave=wave.number, inputs_digest=digest, beacon=run.beacon,
                          source=run.beacon_source)
    try:
        check_strength(run.seed, "seed")
        check_strength(run.beacon, "beacon")
        strong = True
    except WeakSeed:
        strong = False
    return Verification(checks=[
        ("Seed cocok dengan komitmen", commitment(run.seed) == wave.seed_commitment
         == run.seed_commitment),
        ("Seed dan beacon ≥ 128 bit", strong),
        ("Data beku sama dengan sidik yang diumumkan", digest == freeze.inputs_digest
         == run.inputs_digest and freeze.applicants == len(snapshot)),
        ("Seed akhir = HMAC(seed, sidik data, beacon)", seed_hex == run.final_seed),
    ])


RESULT_COLUMNS = ("selected", "reason_mask", "priority", "draw_position")
RESULT_DTYPE = np.dtype([("application_id", "<i8"), ("selected", "<i8"), ("reason_mask", "<i8"),
                         ("priority", "<i8"), ("draw_position", "<i8")])
APPLICATION_DTYPE = np.dtype([("id", "<i8"), ("nik_key", "<i8")])
KEY_DTYPE = np.dtype([("nik_key", "<i8")])


def stored_results(connection: Connection, wave_id: int) -> npt.NDArray[Any]:
    """Returns the wave's stored results as a structured array sorted by application id."""
    rows = query_array(connection, (
        "SELECT application_id, CASE WHEN selected THEN 1 ELSE 0 END, reason_mask, "
        "CASE WHEN priority THEN 1 ELSE 0 END, draw_position FROM applicantresult "
        "WHERE wave_id = :wave"), {"wave": wave_id}, RESULT_DTYPE)
    return np.sort(rows, order="application_id")


def _present_applications(connection: Connection, wave: Wave) -> npt.NDArray[Any]:
    rows = query_array(connection, "SELECT id, nik_key FROM waveapplication WHERE wave_id = :wave",
                       {"wave": wave.id}, APPLICATION_DTYPE)
    return np.sort(rows, order="id")


def _positions_in(sorted_ids: I64, wanted: I64) -> tuple[I64, npt.NDArray[np.bool_]]:
    """Returns where each wanted id sits in `sorted_ids`, and whether it is there at all."""
    at = np.minimum(np.searchsorted(sorted_ids, wanted), max(len(sorted_ids) - 1, 0))
    found = sorted_ids[at] == wanted if len(sorted_ids) else np.zeros(len(wanted), bool)
    return at, found


def derived_columns(snapshot: npt.NDArray[Any], draw: Draw) -> dict[str, I64]:
    """Returns what every frozen applicant must have been told, per result column."""
    return {"selected": draw.selected.astype(np.int64), "reason_mask": draw.masks,
            "priority": snapshot["priority"], "draw_position": draw.positions}


def _compare_results(connection: Connection, wave: Wave, snapshot: npt.NDArray[Any], draw: Draw,
                     found: Verification) -> None:
    """Adds a difference for every stored result value the draw does not give."""
    stored = stored_results(connection, wave.id or 0)
    present = _present_applications(connection, wave)
    at, has_result = _positions_in(stored["application_id"], snapshot["application_id"])
    _at, has_application = _positions_in(present["id"], snapshot["application_id"])
    found.erased = int((~has_result & ~has_application).sum())
    for index in np.flatnonzero(~has_result & has_application).tolist():
        found.differences.append(Difference(_hex(snapshot, index), "hasil", "tidak ada", "ada"))
    rows = np.flatnonzero(has_result)
    for name, expected in derived_columns(snapshot, draw).items():
        got = stored[name][at[rows]]
        wrong = np.flatnonzero(got != expected[rows])
        found.differences += [Difference(_hex(snapshot, int(rows[i])), name, str(got[i]),
                                         str(expected[rows[i]])) for i in wrong.tolist()]
    extra = np.setdiff1d(stored["application_id"], snapshot["application_id"])
    found.differences += [Difference(f"aplikasi {a}", "hasil", "ada", "tidak ada")
                          for a in extra.tolist()]


def _hex(snapshot: npt.NDArray[Any], index: int) -> str:
    return id_hex(int(snapshot["public_id"][index]))


def _compare_run(run: LotteryRun, draw: Draw, snapshot: npt.NDArray[Any],
                 found: Verification) -> None:
    counts = draw.counts(snapshot["priority"])
    found.differences += [Difference("undian", name, str(getattr(run, name)), str(value))
                          for name, value in counts.items() if getattr(run, name) != value]
    if run.draw_digest != draw.digest:
        found.differences.append(Difference("undian", "draw_digest", run.draw_digest,
                                            draw.digest))


def _check_public_ids(connection: Connection, wave: Wave, snapshot: npt.NDArray[Any],
                      found: Verification) -> None:
    """Checks each remaining application's public id against its NIK blind index."""
    present = _present_applications(connection, wave)
    at, there = _positions_in(present["id"], snapshot["application_id"])
    expected = wave_ids(PUBLIC_ID_LABEL, wave.number, present["nik_key"])[at] if len(present) \
        else np.zeros(len(snapshot), dtype=np.int64)
    wrong = np.flatnonzero(there & (expected != snapshot["public_id"])).tolist()
    found.differences += [Difference(_hex(snapshot, i), "public_id", _hex(snapshot, i),
                                     id_hex(int(expected[i]))) for i in wrong]
