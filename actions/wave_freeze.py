"""Freezing a wave at close: its applicants and the list versions in force become a snapshot.

Each application gets a per-wave keyed public id (from its NIK blind index), the reason bits
known at close (agency lists in force, age, earlier card), the priority flag and a per-wave
keyed KK group. The snapshot keeps no NIK and no cross-wave key, so a later list import or an
applicant's erasure changes nothing; its digest is published before the draw.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy.engine import Connection
from sqlmodel import Session, col, func, select

from actions.draw import inputs_digest
from actions.eligibility import PRIORITY_SOURCE, Reason, parse_sources, years_before
from actions.pg_copy import analyze, insert_arrays, query_array
from storage.models_waves import (
    AgencyListImport,
    Wave,
    WaveFreeze,
    WaveSnapshotEntry,
    source_code,
)
from storage.nik_keys import KK_GROUP_LABEL, PUBLIC_ID_LABEL, wave_ids

RAW_DTYPE = np.dtype([("id", "<i8"), ("nik_key", "<i8"), ("kk_key", "<i8"), ("mask", "<i8"),
                      ("priority", "<i8")])
SNAPSHOT_DTYPE = np.dtype([("application_id", "<i8"), ("public_id", "<i8"), ("mask", "<i8"),
                           ("priority", "<i8"), ("kk_group", "<i8")])


class FreezeError(ValueError):
    """The inputs of a wave cannot be frozen (e.g. two applicants with one public id)."""


def lists_in_force(session: Session) -> list[dict[str, Any]]:
    """Returns the newest import of every source: the list versions a closing wave uses."""
    newest = select(func.max(AgencyListImport.id)).group_by(col(AgencyListImport.source))
    imports = session.exec(select(AgencyListImport).where(col(AgencyListImport.id).in_(newest))
                           .order_by(col(AgencyListImport.source))).all()
    return [{"source": i.source, "import_id": i.id, "file_sha256": i.file_sha256,
             "rows": i.rows_stored} for i in imports]


def _mask_sql(wave: Wave, lists: list[dict[str, Any]]) -> tuple[str, dict[str, Any]]:
    """Returns the query giving (id, NIK key, KK key, reason bits, priority) per application."""
    excluded = set(parse_sources(wave.excluded_sources))
    bits = " ".join(f"WHEN {e['import_id']} THEN {1 << source_code(e['source'])}"
                    for e in lists if e["source"] in excluded) or "WHEN -1 THEN 0"
    priority = [e["import_id"] for e in lists if e["source"] == PRIORITY_SOURCE] or [-1]
    ids = ",".join(str(e["import_id"]) for e in lists) or "-1"
    young = years_before(wave.closes_at.date(), wave.min_age)
    old = years_before(wave.closes_at.date(), wave.max_age + 1) if wave.max_age else date(1, 1, 1)
    sql = f"""
        SELECT a.id, a.nik_key, a.kk_key,
          COALESCE(l.mask, 0)
            + CASE WHEN a.birth_date > :young THEN {int(Reason.UNDERAGE)} ELSE 0 END
            + CASE WHEN a.birth_date <= :old THEN {int(Reason.OVERAGE)} ELSE 0 END
            + CASE WHEN r.nik_key IS NULL THEN 0 ELSE {int(Reason.SELECTED_BEFORE)} END,
          COALESCE(l.priority, 0)
        FROM waveapplication a
        LEFT JOIN (
          SELECT e.nik_key, SUM(CASE e.import_id {bits} ELSE 0 END) AS mask,
            MAX(CASE WHEN e.import_id = {priority[0]} THEN 1 ELSE 0 END) AS priority
          FROM agencylistentry e JOIN waveapplication w ON w.nik_key = e.nik_key
          WHERE w.wave_id = :wave AND e.import_id IN ({ids})
          GROUP BY e.nik_key) l ON l.nik_key = a.nik_key
        LEFT JOIN cardrecipient r ON r.nik_key = a.nik_key
        WHERE a.wave_id = :wave"""
    return sql, {"wave": wave.id, "young": young, "old": old}


def _snapshot_rows(wave: Wave, raw: npt.NDArray[Any]) -> npt.NDArray[Any]:
    rows = np.empty(len(raw), dtype=SNAPSHOT_DTYPE)
    rows["application_id"], rows["mask"], rows["priority"] = raw["id"], raw["mask"], raw["priority"]
    rows["public_id"] = wave_ids(PUBLIC_ID_LABEL, wave.number, raw["nik_key"])
    groups = wave_ids(KK_GROUP_LABEL, wave.number, raw["kk_key"])
    rows["kk_group"] = np.where(raw["kk_key"] == 0, 0, np.where(groups == 0, 1, groups))
    if len(np.unique(rows["public_id"])) != len(rows):
        raise FreezeError(f"gelombang {wave.number}: dua pendaftar mendapat ID publik yang sama")
    return rows


def _store(connection: Connection, wave: Wave, rows: npt.NDArray[Any]) -> None:
    table = WaveSnapshotEntry.__table__  # type: ignore[attr-defined]
    rows = rows[np.argsort(rows["public_id"], kind="stable")]  # primary key order
    columns = {"wave_id": np.full(len(rows), wave.id, dtype=np.int64),
               "public_id": rows["public_id"], "application_id": rows["application_id"],
               "base_mask": rows["mask"], "priority": rows["priority"].astype(bool),
               "kk_group": rows["kk_group"]}
    insert_arrays(connection, table, columns)


def freeze_wave(session: Session, wave: Wave) -> WaveFreeze:
    """Writes the wave's snapshot and returns its freeze record with the inputs digest."""
    connection = session.connection()
    lists = lists_in_force(session)
    analyze(connection, "waveapplication", "cardrecipient")  # applications arrive in bulk
    sql, params = _mask_sql(wave, lists)
    rows = _snapshot_rows(wave, query_array(connection, sql, params, RAW_DTYPE))
    _store(connection, wave, rows)
    digest = inputs_digest(wave=wave.number, quota=wave.quota, lists=lists, ids=rows["public_id"],
                           masks=rows["mask"], priority=rows["priority"], kk=rows["kk_group"])
    freeze = WaveFreeze(wave_id=wave.id or 0, inputs_digest=digest, applicants=len(rows),
                        lists=lists)
    session.add(freeze)
    session.flush()
    return freeze


def load_snapshot(connection: Connection, wave_id: int) -> npt.NDArray[Any]:
    """Returns the wave's frozen rows (application id, public id, reasons, priority, KK group)."""
    sql = ("SELECT application_id, public_id, base_mask, CASE WHEN priority THEN 1 ELSE 0 END, "
           "kk_group FROM wavesnapshotentry WHERE wave_id = :wave")
    return query_array(connection, sql, {"wave": wave_id}, SNAPSHOT_DTYPE)
