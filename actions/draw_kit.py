"""The public verification kit of a drawn wave: one CSV without NIKs plus the seed material.

Format (read by tools/verify_draw.py, which imports nothing of this project):
  lines "# key=value" — kit version, wave, quota, list versions, commitment, secret, inputs
  digest, beacon and its source, final seed, draw digest and the counts; then the header
  "id,base_mask,priority,kk_group,position,selected,reason_mask" and one row per applicant,
  sorted by id (16 hex digits, the id each applicant sees in /hasil); kk_group is "-" without KK.
The rows carry what applicants were told (the stored results); an applicant erased after the
draw has no stored result any more, so their row carries the derivation that verify confirmed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from actions.draw import derive_draw, lists_line
from actions.lottery import derived_columns, stored_results
from actions.wave_freeze import load_snapshot
from actions.waves import WaveError, get_wave
from storage.models_waves import LotteryRun, Wave, WaveFreeze

KIT_VERSION = "prakerja-draw-kit-v1"
COLUMNS = ("id", "base_mask", "priority", "kk_group", "position", "selected", "reason_mask")
ROW = "%s,%d,%d,%s,%d,%d,%d\n"
COUNTS = ("applicants", "excluded", "eligible", "selected", "priority_selected", "kk_limited")


def _header(wave: Wave, freeze: WaveFreeze, run: LotteryRun) -> list[str]:
    fields: dict[str, object] = {
        "kit": KIT_VERSION, "wave": wave.number, "quota": wave.quota,
        "lists": lists_line(freeze.lists), "seed_commitment": run.seed_commitment,
        "secret_seed": run.seed, "inputs_digest": freeze.inputs_digest, "beacon": run.beacon,
        "beacon_source": run.beacon_source, "final_seed": run.final_seed,
        "draw_digest": run.draw_digest,
    }
    fields |= {name: getattr(run, name) for name in COUNTS}
    return [f"# {key}={value}" for key, value in fields.items()] + [",".join(COLUMNS)]


def _told(snapshot: npt.NDArray[Any], run: LotteryRun, wave: Wave,
          engine_results: npt.NDArray[Any]) -> dict[str, npt.NDArray[np.int64]]:
    """Returns the stored result columns per snapshot row, derived where the row was erased."""
    draw = derive_draw(run.final_seed, snapshot["public_id"], snapshot["mask"],
                       snapshot["priority"], snapshot["kk_group"], wave.quota)
    told = derived_columns(snapshot, draw)
    ids = engine_results["application_id"]
    at = np.minimum(np.searchsorted(ids, snapshot["application_id"]), max(len(ids) - 1, 0))
    there = ids[at] == snapshot["application_id"] if len(ids) else np.zeros(len(at), bool)
    for name in told:
        told[name] = np.where(there, engine_results[name][at] if len(ids) else 0, told[name])
    return told


def _hex_texts(values: npt.NDArray[np.int64]) -> list[str]:
    text = values.astype(">i8").tobytes().hex()
    return [text[i : i + 16] for i in range(0, len(text), 16)]


def _rows(snapshot: npt.NDArray[Any], told: dict[str, npt.NDArray[np.int64]]) -> str:
    """Returns the CSV lines of a slice of the kit, one format operation per row."""
    kk = ["-" if group == "0" * 16 else group for group in _hex_texts(snapshot["kk_group"])]
    columns = zip(_hex_texts(snapshot["public_id"]), snapshot["mask"].tolist(),
                  snapshot["priority"].tolist(), kk, told["draw_position"].tolist(),
                  told["selected"].tolist(), told["reason_mask"].tolist(), strict=True)
    return "".join(map(ROW.__mod__, columns))


def publish_kit(engine: Engine, *, wave_number: int, path: Path) -> int:
    """Writes the kit of a drawn wave to `path` and returns the number of applicant rows."""
    with Session(engine) as session:
        wave = get_wave(session=session, number=wave_number)
        run = session.exec(select(LotteryRun).where(col(LotteryRun.wave_id) == wave.id)).first()
        freeze = session.get(WaveFreeze, wave.id)
        if run is None or freeze is None:
            raise WaveError(f"gelombang {wave_number} belum diundi")
        connection = session.connection()
        snapshot = load_snapshot(connection, wave.id or 0)
        snapshot = snapshot[np.argsort(snapshot["public_id"].view(np.uint64), kind="stable")]
        told = _told(snapshot, run, wave, stored_results(connection, wave.id or 0))
        header = _header(wave, freeze, run)
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        handle.write("\n".join(header) + "\n")
        for start in range(0, len(snapshot), 500_000):
            part = snapshot[start : start + 500_000]
            chunk = {name: values[start : start + 500_000] for name, values in told.items()}
            handle.write(_rows(part, chunk))
    return len(snapshot)
