"""`prakerja wave|lottery|lists` end to end through typer, on a SQLite file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner
from waves_builders import strong

from actions.lottery import commitment
from bot.cli import app
from storage.migrate import upgrade
from storage.settings import get_settings


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    upgrade(url)
    monkeypatch.setenv("DATABASE_URL", url)
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


def test_wave_lifecycle_and_draw_from_the_command_line(database: str, tmp_path: Path) -> None:
    runner = CliRunner()
    seed, beacon = strong("rahasia"), strong("drand-round")

    def ok(*args: str) -> str:
        result = runner.invoke(app, list(args))
        assert result.exit_code == 0, result.output
        return result.output

    def fails(*args: str) -> str:
        result = runner.invoke(app, list(args))
        assert result.exit_code == 1, result.output
        return result.output

    ok("wave", "create", "12", "--quota", "600000", "--opens", "2021-02-24T00:00:00",
       "--closes", "2021-02-26T05:00:00")
    assert "seed lemah" in fails("wave", "open", "12", "--seed", "rahasia")
    opened = ok("wave", "open", "12", "--seed", seed)
    assert commitment(seed) in opened and "Pengingat untuk pendaftar" in opened
    listed = tmp_path / "dikti.csv"
    listed.write_text("nik\n3273014508900001\n")
    assert "1 NIK tersimpan" in ok("lists", "import", "DIKTI", str(listed))
    closed = ok("wave", "close", "12")
    assert "Sidik data (SHA-256)" in closed and commitment(seed) in closed
    run = ("lottery", "run", "--wave", "12", "--beacon", beacon, "--beacon-source", "drand")
    assert "komitmen" in fails(*run, "--seed", strong("lain"))
    assert "0 lolos dari 0" in ok(*run, "--seed", seed)
    assert "✅ Seed cocok dengan komitmen" in ok("lottery", "verify", "--wave", "12")
    kit = tmp_path / "kit.csv"
    assert "0 baris" in ok("lottery", "publish", "--wave", "12", "--out", str(kit))
    assert f"# secret_seed={seed}" in kit.read_text()
    assert "selected" in ok("wave", "list")
    assert "0 pesan hasil" in ok("wave", "announce", "12")
    shown = ok("wave", "show", "12")
    assert "sudah diumumkan" in shown and "Undian: seed akhir" in shown
    assert "announced" not in shown and "seed_commitment" not in shown  # no internal names


def test_verify_exits_non_zero_and_names_the_changed_rows(database: str) -> None:
    from sqlalchemy import text
    from waves_builders import closed_wave, draw, nik

    from storage.db import make_engine

    engine = make_engine(database)
    closed_wave(engine, quota=2, seed="s", niks=[nik(i) for i in range(6)])
    draw(engine, seed="s")
    with engine.begin() as connection:
        connection.execute(text("UPDATE applicantresult SET selected = 1, reason_mask = 0 "
                                "WHERE draw_position = 5"))
        connection.execute(text("UPDATE lotteryrun SET selected = 3"))
    result = CliRunner().invoke(app, ["lottery", "verify", "--wave", "1"])
    assert result.exit_code == 1
    assert "reason_mask" in result.output and "65536" in result.output
    assert "undian" in result.output and "perbedaan" in result.output


def test_lists_import_refuses_a_bad_file_and_keeps_the_list(database: str,
                                                            tmp_path: Path) -> None:
    runner = CliRunner()
    good = tmp_path / "bsu.csv"
    good.write_text("".join(f"{3273014508900001 + i}\n" for i in range(50)))
    assert runner.invoke(app, ["lists", "import", "BSU", str(good)]).exit_code == 0
    bad = tmp_path / "bad.csv"
    bad.write_text("nama;nik\n" + "Budi;3273014508900001\n" * 40)
    refused = runner.invoke(app, ["lists", "import", "BSU", str(bad)])
    assert refused.exit_code == 1 and "tidak ada satu pun NIK valid" in refused.output
    small = tmp_path / "small.csv"
    small.write_text("3273014508900001\n")
    refused = runner.invoke(app, ["lists", "import", "BSU", str(small)])
    assert refused.exit_code == 1 and "--replace" in refused.output
    forced = runner.invoke(app, ["lists", "import", "BSU", str(small), "--replace"])
    assert forced.exit_code == 0 and "1 NIK tersimpan (sebelumnya 50)" in forced.output
