"""`lottery publish`: the public kit re-derives the same draw in a process of its own."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from waves_builders import closed_wave, draw, nik

from actions.draw_kit import publish_kit
from actions.waves import delete_wave_data
from storage.db import session_scope
from storage.models_waves import ApplicantResult, WaveSnapshotEntry
from storage.nik_keys import id_hex

VERIFIER = Path(__file__).resolve().parents[3] / "tools" / "verify_draw.py"
SEED = "kit-seed"


def verify_in_own_process(kit: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    """Runs the kit verifier isolated (-I), from a folder where nothing of the project lies."""
    return subprocess.run([sys.executable, "-I", str(VERIFIER), str(kit), *extra],
                          cwd=kit.parent, capture_output=True, text=True, timeout=120,
                          check=False)


def drawn_wave(engine: Engine) -> None:
    niks = [nik(i) for i in range(30)]
    closed_wave(engine, quota=8, seed=SEED, niks=niks, first_chat=300,
                lists={"DAPODIK": niks[:3], "KEMNAKER_PRIORITY": niks[3:5]},
                kks=dict.fromkeys(niks[10:14], 5))
    draw(engine, seed=SEED)


def test_the_kit_re_derives_the_stored_draw_without_any_nik(engine: Engine,
                                                              tmp_path: Path) -> None:
    drawn_wave(engine)
    kit = tmp_path / "undian.csv"
    assert publish_kit(engine, wave_number=1, path=kit) == 30
    content = kit.read_text()
    assert not any(str(nik(i)) in content for i in range(30))
    done = verify_in_own_process(kit)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "terverifikasi: 30 pendaftar, 8 lolos" in done.stdout
    with Session(engine) as session:
        rows = session.exec(select(WaveSnapshotEntry, ApplicantResult).join(
            ApplicantResult,
            col(ApplicantResult.application_id) == col(WaveSnapshotEntry.application_id))).all()
    lines = {line.split(",")[0]: line.split(",") for line in content.splitlines()
             if not line.startswith("#")}
    for entry, result in rows:
        row = lines[id_hex(entry.public_id)]
        assert (int(row[4]), int(row[5]), int(row[6])) == (
            result.draw_position, int(result.selected), result.reason_mask)


def test_each_applicant_finds_their_row_by_the_id_they_see(engine: Engine,
                                                           tmp_path: Path) -> None:
    drawn_wave(engine)
    kit = tmp_path / "undian.csv"
    publish_kit(engine, wave_number=1, path=kit)
    with Session(engine) as session:
        entry = session.exec(select(WaveSnapshotEntry)).first()
        assert entry is not None
    done = verify_in_own_process(kit, "--id", id_hex(entry.public_id))
    assert done.returncode == 0 and f"Baris Anda: Row(id='{id_hex(entry.public_id)}'" in done.stdout


def test_a_tampered_kit_fails_in_the_separate_process(engine: Engine, tmp_path: Path) -> None:
    drawn_wave(engine)
    kit = tmp_path / "undian.csv"
    publish_kit(engine, wave_number=1, path=kit)
    lines = kit.read_text().splitlines()
    index = next(i for i, line in enumerate(lines) if line.endswith(",1,0"))  # a selected row
    fields = lines[index].split(",")
    fields[5], fields[6] = "0", str(1 << 16)
    lines[index] = ",".join(fields)
    kit.write_text("\n".join(lines) + "\n")
    done = verify_in_own_process(kit)
    assert done.returncode == 1 and "TIDAK terverifikasi" in done.stdout
    assert f"baris {fields[0]}: selected 0, seharusnya 1" in done.stdout


def test_the_kit_still_verifies_after_an_applicant_erased_their_data(engine: Engine,
                                                                    tmp_path: Path) -> None:
    drawn_wave(engine)
    with session_scope(engine) as session:
        delete_wave_data(session=session, chat_id=305)
    kit = tmp_path / "undian.csv"
    assert publish_kit(engine, wave_number=1, path=kit) == 30
    assert verify_in_own_process(kit).returncode == 0
