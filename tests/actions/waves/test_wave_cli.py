"""`prakerja wave|lottery|lists` end to end through typer, on a SQLite file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

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

    def ok(*args: str) -> str:
        result = runner.invoke(app, list(args))
        assert result.exit_code == 0, result.output
        return result.output

    ok("wave", "create", "12", "--quota", "600000", "--opens", "2021-02-24T00:00:00",
       "--closes", "2021-02-26T05:00:00")
    assert commitment("rahasia") in ok("wave", "open", "12", "--seed", "rahasia")
    listed = tmp_path / "dikti.csv"
    listed.write_text("nik\n3273014508900001\n")
    assert "1 NIK tersimpan" in ok("lists", "import", "DIKTI", str(listed))
    ok("wave", "close", "12")
    refused = runner.invoke(app, ["lottery", "run", "--wave", "12", "--seed", "lain"])
    assert refused.exit_code == 1 and "komitmen" in refused.output
    assert "0 lolos dari 0" in ok("lottery", "run", "--wave", "12", "--seed", "rahasia")
    assert "✅ Urutan undian sama" in ok("lottery", "verify", "--wave", "12", "--seed", "rahasia")
    bad = runner.invoke(app, ["lottery", "verify", "--wave", "12", "--seed", "lain"])
    assert bad.exit_code == 1 and "❌ Seed cocok" in bad.output
    assert "selected" in ok("wave", "list")
    assert "0 pesan hasil" in ok("wave", "announce", "12")
    assert "announced" in ok("wave", "show", "12")
