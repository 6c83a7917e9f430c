"""Every CLI error is one line on stderr with a non-zero exit, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


def _prakerja(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "TELEGRAM_BOT_TOKEN"}
    env |= {"DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}", "DATA_KEY_FILE":
            str(tmp_path / "data.key"), "OUTBOX_DIR": str(tmp_path / "outbox")}
    return subprocess.run(
        [sys.executable, "-c", "from bot.cli import main; main()", *args],
        capture_output=True, text=True, env=env, cwd=Path(__file__).parents[2], timeout=120,
        check=False,
    )


@pytest.mark.parametrize("args", [("broadcast", "send"), ("wave", "show", "999")])
def test_errors_are_one_line(tmp_path: Path, args: tuple[str, ...]) -> None:
    done = _prakerja(tmp_path, *args)
    assert done.returncode != 0
    assert "Traceback" not in done.stderr and "Traceback" not in done.stdout
    errors = [line for line in done.stderr.splitlines() if line.startswith("Gagal:")]
    assert len(errors) == 1, done.stderr


def test_missing_token_names_the_setting(tmp_path: Path) -> None:
    done = _prakerja(tmp_path, "broadcast", "send")
    assert "TELEGRAM_BOT_TOKEN" in done.stderr
