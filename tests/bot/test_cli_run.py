"""`prakerja run` without a token opens the console chat (what `make run` starts)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from storage.settings import get_settings


@pytest.fixture
def fresh_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'run.db'}")
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.mark.usefixtures("fresh_settings")
def test_run_without_token_chats_in_the_console() -> None:
    result = CliRunner().invoke(app, ["run"], input="/daftar\nSiti Nurhaliza\n/status\n/keluar\n")
    assert result.exit_code == 0, result.output
    assert "obrolan konsol" in result.output
    assert "Langkah 1 dari 8" in result.output and "Langkah 2 dari 8" in result.output
    assert "✅ Nama lengkap" in result.output
