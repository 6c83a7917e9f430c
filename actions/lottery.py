"""The random selection of a closed wave: exclusions in SQL, keyed-hash order in numpy.

Order: eligible applications (no reason bit) sorted by (not priority, key, NIK) where
key = first 8 bytes, big-endian, of HMAC-SHA256(key=seed as UTF-8, msg=NIK as 16 ASCII digits).
The first `quota` are selected. Anyone with the seed and the inputs re-derives the same order.
`wave open` publishes SHA-256(seed); the run refuses a seed that does not match it.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from dataclasses import dataclass
from datetime import date
from functools import partial
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session, col, select

from actions.eligibility import PRIORITY_SOURCE, Reason, parse_sources, years_before
from actions.pg_copy import copy_in_binary, copy_out_binary
from actions.waves import WaveError, get_wave
from storage.models_waves import ApplicantResult, LotteryRun, Wave, source_code

logger = logging.getLogger(__name__)

I64 = npt.NDArray[np.int64]
CHUNK = 500_000
INPUT_DTYPE = np.dtype([("id", "<i8"), ("nik", "<i8"), ("mask", "<i8"), ("priority", "<i8")])


def commitment(seed: str) -> str:
    """Returns the published commitment of a seed: SHA-256 of its UTF-8 bytes, hex."""
    return hashlib.sha256(seed.encode()).hexdigest()


def draw_keys(seed: str, niks: I64) -> npt.NDArray[np.uint64]:
    """Returns the keyed-hash sort key of each NIK (HMAC-SHA256, first 8 bytes big-endian)."""
    mac = partial(hmac.digest, seed.encode(), digest="sha256")
    keys = np.empty(len(niks), dtype=np.uint64)
    for start in range(0, len(niks), CHUNK):  # a loop over chunks, each one C-level map
        digits = niks[start : start + CHUNK].astype("S16")
        joined = b"".join(map(mac, digits.tolist()))
        keys[start : start + CHUNK] = np.frombuffer(joined, dtype=">u8").reshape(-1, 4)[:, 0]
    return keys


@dataclass(frozen=True, slots=True)
class Draw:
    """The derived order: position per input row (0 = excluded) and the selected count."""

    positions: I64
    selected: int
    digest: str


def derive_draw(seed: str, niks: I64, masks: I64, priority: I64, quota: int) -> Draw:
    """Returns each row's draw position: priority first, then keyed-hash order; 0 if excluded."""
    eligible = np.flatnonzero(masks == 0)
    keys = draw_keys(seed, niks[eligible])
    order = eligible[np.lexsort((niks[eligible], keys, 1 - priority[eligible]))]
    positions = np.zeros(len(niks), dtype=np.int64)
    positions[order] = np.arange(1, len(order) + 1, dtype=np.int64)
    digest = hashlib.sha256(niks[order].astype(">i8").tobytes()).hexdigest()
    return Draw(positions=positions, selected=min(quota, len(order)), digest=digest)


def inputs_digest(niks: I64, masks: I64, priority: I64) -> str:
    """Returns SHA-256 over (NIK, reason bits, priority) sorted by NIK."""
    order = np.argsort(niks, kind="stable")
    rows = np.empty(len(niks), dtype=[("nik", ">i8"), ("mask", ">i8"), ("priority", "u1")])
    rows["nik"], rows["mask"], rows["priority"] = niks[order], masks[order], priority[order]
    return hashlib.sha256(rows.tobytes()).hexdigest()


def _inputs_sql(wave: Wave) -> tuple[str, dict[str, Any]]:
    """Returns the one query giving (application id, NIK, reason bits, priority) per application."""
    excluded = [source_code(name) for name in parse_sources(wave.excluded_sources)] or [-1]
    young = years_before(wave.closes_at.date(), wave.min_age)
    old = years_before(wave.closes_at.date(), wave.max_age + 1) if wave.max_age else date(1, 1, 1)
    sql = f"""
        SELECT a.id, a.nik,
          COALESCE(l.mask, 0)
            + CASE WHEN a.birth_date > :young THEN {int(Reason.UNDERAGE)} ELSE 0 END
            + CASE WHEN a.birth_date <= :old THEN {int(Reason.OVERAGE)} ELSE 0 END
            + CASE WHEN p.nik IS NULL THEN 0 ELSE {int(Reason.SELECTED_BEFORE)} END,
          COALESCE(l.priority, 0)
        FROM waveapplication a
        LEFT JOIN (
          SELECT e.nik,
            SUM(CASE WHEN e.source IN ({",".join(map(str, excluded))})
                THEN 1 << e.source ELSE 0 END) AS mask,
            MAX(CASE WHEN e.source = {source_code(PRIORITY_SOURCE)} THEN 1 ELSE 0 END) AS priority
          FROM agencylistentry e JOIN waveapplication w ON w.nik = e.nik AND w.wave_id = :wave
          GROUP BY e.nik) l ON l.nik = a.nik
        LEFT JOIN (
          SELECT DISTINCT w2.nik FROM applicantresult r
          JOIN waveapplication w2 ON w2.id = r.application_id
          WHERE r.selected AND r.wave_id <> :wave) p ON p.nik = a.nik
        WHERE a.wave_id = :wave"""
    return sql, {"wave": wave.id, "young": young, "old": old}


def load_inputs(connection: Connection, wave: Wave) -> npt.NDArray[Any]:
    """Returns the wave's inputs as a structured array (id, nik, mask, priority)."""
    sql, params = _inputs_sql(wave)
    if connection.dialect.name == "postgresql":
        return copy_out_binary(connection, sql, params, INPUT_DTYPE)
    rows = connection.execute(text(sql), params).fetchall()
    return np.array([tuple(row) for row in rows], dtype=INPUT_DTYPE)


@dataclass(frozen=True, slots=True)
class LotteryOutcome:
    """Counts of one run, for the CLI and the benchmark."""

    applicants: int
    excluded: int
    eligible: int
    selected: int
    priority_selected: int
    seconds: float
    draw_digest: str


def run_lottery(engine: Engine, *, wave_number: int, seed: str) -> LotteryOutcome:
    """Draws a closed wave in one transaction: results for every application, or nothing."""
    started = time.perf_counter()
    with Session(engine) as session, session.begin():
        wave = get_wave(session=session, number=wave_number, lock=True)
        _check_runnable(session, wave, seed)
        connection = session.connection()
        if connection.dialect.name == "postgresql":
            connection.execute(text("SET LOCAL work_mem = '256MB'"))
        inputs = load_inputs(connection, wave)
        draw = derive_draw(seed, inputs["nik"], inputs["mask"], inputs["priority"], wave.quota)
        outcome = _store(connection, wave, inputs, draw, started)
        session.add(LotteryRun(
            wave_id=wave.id or 0, seed=seed, seed_commitment=wave.seed_commitment or "",
            inputs_digest=inputs_digest(inputs["nik"], inputs["mask"], inputs["priority"]),
            draw_digest=draw.digest, applicants=outcome.applicants, excluded=outcome.excluded,
            eligible=outcome.eligible, selected=outcome.selected,
            priority_selected=outcome.priority_selected, seconds=outcome.seconds))
        wave.status = "selected"
        session.add(wave)
    logger.info("wave %s drawn: %s selected of %s", wave_number, outcome.selected,
                outcome.applicants)
    return outcome


def _check_runnable(session: Session, wave: Wave, seed: str) -> None:
    if wave.status != "closed":
        raise WaveError(f"gelombang {wave.number} berstatus {wave.status}; undian hanya untuk "
                        "gelombang yang sudah ditutup dan belum diundi")
    if not wave.seed_commitment or commitment(seed) != wave.seed_commitment:
        raise WaveError("seed tidak cocok dengan komitmen SHA-256 yang diumumkan saat dibuka")
    if session.exec(select(LotteryRun).where(col(LotteryRun.wave_id) == wave.id)).first():
        raise WaveError(f"gelombang {wave.number} sudah diundi")


def _store(
    connection: Connection, wave: Wave, inputs: npt.NDArray[Any], draw: Draw, started: float
) -> LotteryOutcome:
    """Writes one ApplicantResult per application; over-quota rows get the OVER_QUOTA bit."""
    positions = draw.positions
    selected = (positions > 0) & (positions <= wave.quota)
    masks = inputs["mask"] | np.where(positions > wave.quota, int(Reason.OVER_QUOTA), 0)
    table = ApplicantResult.__table__  # type: ignore[attr-defined]
    columns = {"application_id": inputs["id"], "wave_id": np.full(len(masks), wave.id),
               "selected": selected, "priority": inputs["priority"].astype(bool),
               "reason_mask": masks, "draw_position": positions}
    if connection.dialect.name == "postgresql":
        copy_in_binary(connection, table, columns)
    elif len(masks):
        rows = [dict(zip(columns, values, strict=True))
                for values in zip(*(array.tolist() for array in columns.values()), strict=True)]
        connection.execute(table.insert(), rows)
    return LotteryOutcome(
        applicants=len(masks), excluded=int((positions == 0).sum()),
        eligible=int((positions > 0).sum()), selected=int(selected.sum()),
        priority_selected=int((selected & (inputs["priority"] == 1)).sum()),
        seconds=time.perf_counter() - started, draw_digest=draw.digest)


@dataclass(frozen=True, slots=True)
class Verification:
    """What `lottery verify` found; ok only when every check holds."""

    commitment_ok: bool
    inputs_unchanged: bool
    draw_matches: bool
    stored_matches: bool

    @property
    def ok(self) -> bool:
        """Tells whether the draw is confirmed."""
        return (self.commitment_ok and self.inputs_unchanged and self.draw_matches
                and self.stored_matches)


def verify_lottery(engine: Engine, *, wave_number: int, seed: str) -> Verification:
    """Re-derives the draw from the seed and the current data and compares it with the run."""
    with Session(engine) as session:
        wave = get_wave(session=session, number=wave_number)
        run = session.exec(select(LotteryRun).where(col(LotteryRun.wave_id) == wave.id)).first()
        if run is None:
            raise WaveError(f"gelombang {wave_number} belum diundi")
        connection = session.connection()
        inputs = load_inputs(connection, wave)
        draw = derive_draw(seed, inputs["nik"], inputs["mask"], inputs["priority"], wave.quota)
        stored = _stored_digest(connection, wave)
    return Verification(
        commitment_ok=commitment(seed) == wave.seed_commitment == run.seed_commitment,
        inputs_unchanged=inputs_digest(inputs["nik"], inputs["mask"],
                                       inputs["priority"]) == run.inputs_digest,
        draw_matches=draw.digest == run.draw_digest,
        stored_matches=stored == run.draw_digest,
    )


def _stored_digest(connection: Connection, wave: Wave) -> str:
    """Returns the digest of the stored draw order (NIKs by draw position)."""
    niks = connection.execute(text(
        "SELECT a.nik FROM applicantresult r JOIN waveapplication a ON a.id = r.application_id "
        "WHERE r.wave_id = :wave AND r.draw_position > 0 ORDER BY r.draw_position"),
        {"wave": wave.id}).scalars().all()
    return hashlib.sha256(np.array(niks, dtype=">i8").tobytes()).hexdigest()
