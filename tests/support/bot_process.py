"""`prakerja run` as a real child process against the fake Bot API, for kill -9 tests."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from fakes.bot_api import FakeBotApi

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    """Returns a loopback port that was free a moment ago."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class BotProcess:
    """Starts, kills (SIGKILL) and restarts one `prakerja run` process."""

    def __init__(self, api: FakeBotApi, database_url: str, tmp: Path, *args: str,
                 **env: str) -> None:
        self.args = ["run", *args]
        self.log = tmp / "bot.log"
        self.env = {**os.environ, "TELEGRAM_BOT_TOKEN": api.token,
                    "TELEGRAM_API_BASE_URL": api.api_base_url,
                    "TELEGRAM_FILE_BASE_URL": api.file_base_url,
                    "DATABASE_URL": database_url, "OUTBOX_DIR": str(tmp / "outbox"),
                    "LOG_LEVEL": "WARNING", "PYTHONUNBUFFERED": "1", **env}
        self.process: subprocess.Popen[bytes] | None = None
        self.kills = 0

    def start(self) -> None:
        """Starts the process (its output goes to bot.log)."""
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [str(Path(sys.executable).parent / "prakerja"), *self.args], cwd=ROOT,
                env=self.env,
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    def kill(self) -> None:
        """Kills the process group with SIGKILL: no shutdown code runs."""
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)
        self.kills += 1

    def stop(self) -> None:
        """Stops the process politely (SIGTERM), or kills it when it does not go."""
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)


async def wait_until(predicate: Callable[[], object], seconds: float = 60.0,
                     what: str = "") -> None:
    """Polls predicate() until it is true."""
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)
