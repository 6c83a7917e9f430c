"""Wave-opening load test: N applicants register through the webhook at once.

Run: .venv/bin/python -m bench.load [--users 5000] [--skip-sqlite] [--skip-postgres] [--no-chaos]
Telegram's side is played in this process: a fake Bot API answers the bot's calls, and simulated
users POST their updates to the webhook (retrying until 200, as Telegram redelivers). The bot runs
as separate `prakerja run --webhook --workers N` processes. Afterwards the database is checked for
lost or duplicated steps. Prints one table row per configuration and a chaos run (kill -9).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.append(str(ROOT / "tests"))

from fakes.bot_api import FakeBotApi  # noqa: E402
from sqlalchemy import text  # noqa: E402
from support import ktp_synth  # noqa: E402

from storage.db import make_engine  # noqa: E402
from storage.migrate import upgrade  # noqa: E402

PG_URL = "postgresql://postgres@127.0.0.1:5432/test"
SECRET = "load-test-secret"
STEPS_PER_USER = 14
EXPECTED_MESSAGES = 20  # the bot's answers to the 14 steps of one registration


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _nik(i: int) -> str:
    return f"327301{(i % 28) + 41:02d}0890{(i % 9999) + 1:04d}"


@dataclass
class Figures:
    """What one configuration measured."""

    name: str
    updates: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    retries: int = 0
    completed: int = 0
    lost: int = 0
    duplicated: int = 0
    rss_mb: list[float] = field(default_factory=list)
    note: str = ""


class Server:
    """`prakerja run --webhook --workers N` as a child process group."""

    def __init__(self, url: str, workers: int, api: FakeBotApi) -> None:
        self.port = _free_port()
        self.env = {
            **os.environ, "DATABASE_URL": url, "TELEGRAM_BOT_TOKEN": api.token,
            "TELEGRAM_API_BASE_URL": api.api_base_url,
            "TELEGRAM_FILE_BASE_URL": api.file_base_url, "WEBHOOK_SECRET": SECRET,
            "WEBHOOK_PORT": str(self.port), "WEBHOOK_URL": "", "LOG_LEVEL": "WARNING",
            "INBOX_LEASE_SECONDS": "5",
        }
        self.workers = workers
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/telegram/webhook"

    async def start(self) -> None:
        command = [str(ROOT / ".venv/bin/prakerja"), "run", "--webhook", "--workers",
                   str(self.workers)]
        self.process = await asyncio.to_thread(
            subprocess.Popen, command, env=self.env, cwd=ROOT, start_new_session=True
        )
        async with aiohttp.ClientSession() as session:
            for _ in range(600):
                try:
                    async with session.get(f"http://127.0.0.1:{self.port}/readyz") as response:
                        if response.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.1)
        raise RuntimeError("webhook server did not start")

    def worker_pids(self) -> list[int]:
        assert self.process is not None
        return _descendants(self.process.pid) or [self.process.pid]

    def stop(self) -> None:
        if self.process is not None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=30)


def _descendants(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        for child in task.read_text().split():
            found.append(int(child))
            found.extend(_descendants(int(child)))
    return found


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class Applicant:
    """One simulated person: sends a step, waits for the bot's answers, goes on."""

    def __init__(self, api: FakeBotApi, chat_id: int, run: Run) -> None:
        self.api, self.chat_id, self.run = api, chat_id, run

    async def _step(self, make_update: Any, expected: int) -> None:
        update = make_update()
        started = time.perf_counter()
        await self.run.deliver(update)
        await self.api.wait_for_bot_messages(self.chat_id, 1, timeout=300)
        self.run.figures.latencies.append(time.perf_counter() - started)
        if expected > 1:
            await self.api.wait_for_bot_messages(self.chat_id, expected - 1, timeout=300)

    def _press(self, data: str) -> dict[str, Any]:
        last = self.api.sent_messages(self.chat_id)[-1]
        return self.api.user_presses_button(self.chat_id, data, message_id=last.message_id)

    async def register(self) -> None:
        c, api, run = self.chat_id, self.api, self.run
        await self._step(lambda: api.user_sends_text(c, "/daftar"), 1)
        await self._step(lambda: api.user_sends_text(c, "Siti Nurhaliza"), 1)
        await self._step(lambda: api.user_sends_text(c, f"siti{c}@example.com"), 1)
        code = await asyncio.to_thread(run.email_code, c)
        await self._step(lambda: api.user_sends_text(c, code), 2)
        await self._step(lambda: api.user_sends_text(c, "RahasiaKu2024"), 2)
        await self._step(lambda: api.user_sends_text(c, _nik(c)), 1)
        birth = f"{int(_nik(c)[6:8]) - 40:02d}-08-1990"
        await self._step(lambda: api.user_sends_text(c, birth), 1)
        await self._step(lambda: api.user_sends_text(c, "Jl. Merdeka 10 RT 1 RW 2, Bandung"), 1)
        await self._step(lambda: self._press("s:domicile_same:yes"), 1)
        await self._step(lambda: self._press("s:education:SMA/SMK"), 1)
        await self._step(lambda: self._press("s:employment_status:Korban PHK"), 1)
        await self._step(lambda: api.user_sends_photo(c, run.photo, width=1280, height=960), 2)
        await self._step(lambda: api.user_shares_contact(c, f"+62812{c:08d}"), 2)
        await self._step(lambda: self._press("s:summary:confirm"), 2)


class Run:
    """One configuration's load: delivery with Telegram-style retries, then the checks."""

    def __init__(self, name: str, url: str, api: FakeBotApi, server: Server) -> None:
        self.figures = Figures(name)
        self.url, self.api, self.server = url, api, server
        self.engine = make_engine(url)
        self.photo = ktp_synth.jpeg(ktp_synth.good_scene(np.random.default_rng(5)))
        self.session: aiohttp.ClientSession | None = None

    async def deliver(self, update: dict[str, Any]) -> None:
        assert self.session is not None
        headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
        for attempt in range(200):
            try:
                async with self.session.post(self.server.url, json=update,
                                             headers=headers) as response:
                    if response.status == 200:
                        return
                    self.figures.errors += 1
            except (TimeoutError, aiohttp.ClientError):
                self.figures.errors += 1 if attempt == 0 else 0
            self.figures.retries += 1
            await asyncio.sleep(min(0.2 * (attempt + 1), 2.0))
        raise RuntimeError("update could not be delivered")

    def email_code(self, chat_id: int) -> str:
        import json
        import re

        from storage.crypto import open_json

        for _ in range(300):
            with self.engine.connect() as connection:
                row = connection.execute(text(
                    "select payload from outbox where chat_id=:c and kind='email' "
                    "order by id desc"), {"c": chat_id}).first()
            if row is not None:
                raw = row[0]
                payload = json.loads(raw) if isinstance(raw, str) and raw[:1] in "{\"" else raw
                if isinstance(payload, str):  # sealed whole (storage.encrypted_type.SealedJSON)
                    payload = open_json(payload)
                match = re.search(r"\d{6}", payload["body"])
                assert match
                return match.group()
            time.sleep(0.05)
        raise RuntimeError("no email code")

    async def go(self, users: int, chaos: bool) -> Figures:
        people = [Applicant(self.api, 100_000 + i, self) for i in range(users)]
        timeout = aiohttp.ClientTimeout(total=30)
        connector = aiohttp.TCPConnector(limit=200)
        async with aiohttp.ClientSession(timeout=timeout, connector=connector) as self.session:
            started = time.perf_counter()
            tasks = [asyncio.create_task(p.register()) for p in people]
            sampler = asyncio.create_task(self._sample_rss())
            if chaos:
                await self._kill_one_worker_midway(users)
            await asyncio.gather(*tasks)
            self.figures.seconds = time.perf_counter() - started
            sampler.cancel()
        self.figures.updates = len(self.figures.latencies)
        self._check(users)
        return self.figures

    async def _sample_rss(self) -> None:
        while True:
            try:
                rss = [_rss_mb(pid) for pid in self.server.worker_pids()]
                self.figures.rss_mb = [max(a, b) for a, b in
                                       zip(rss, self.figures.rss_mb + [0.0] * len(rss),
                                           strict=False)]
            except (FileNotFoundError, ProcessLookupError):
                pass
            await asyncio.sleep(1.0)

    async def _kill_one_worker_midway(self, users: int) -> None:
        halfway = users * STEPS_PER_USER // 2
        while True:  # polled: the latencies list is filled by many tasks
            if len(self.figures.latencies) >= halfway:
                break
            await asyncio.sleep(0.2)
        victim = self.server.worker_pids()[0]
        os.kill(victim, signal.SIGKILL)
        self.figures.note = f"killed worker {victim} at 50 %"
        await asyncio.sleep(1.0)
        alive = self.server.worker_pids()
        self.figures.note += f"; workers after: {len(alive)}"

    def _check(self, users: int) -> None:
        with self.engine.connect() as connection:
            self.figures.completed = connection.execute(text(
                "select count(*) from applicant where registration_completed_at is not null"
            )).scalar_one()
            processed = connection.execute(text("select count(*) from processedupdate")
                                           ).scalar_one()
            emails = connection.execute(text(
                "select count(*) from (select chat_id from outbox where kind='email' "
                "group by chat_id having count(*) > 1) d")).scalar_one()
        expected = users * STEPS_PER_USER
        self.figures.lost = users - self.figures.completed + max(0, expected - processed)
        extra_messages = sum(max(0, len(self._step_messages(100_000 + i)) - EXPECTED_MESSAGES)
                             for i in range(users))
        self.figures.duplicated = emails + extra_messages
        self.engine.dispose()


    def _step_messages(self, chat_id: int) -> list[Any]:
        # The outbox worker's later "sudah terkirim" notice is not a step's answer.
        return [m for m in self.api.sent_messages(chat_id) if "terkirim" not in (m.text or "")]


def _pg_schema_url() -> str | None:
    try:
        admin = make_engine(PG_URL)
        schema = f"load_{uuid.uuid4().hex[:8]}"
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        admin.dispose()
    except Exception as error:  # PostgreSQL absent: say so and go on
        print(f"PostgreSQL skipped: {type(error).__name__}")
        return None
    return f"{PG_URL}?options=-csearch_path%3D{schema}"


async def scenario(name: str, url: str, workers: int, users: int, chaos: bool) -> Figures:
    """Runs one configuration from a fresh database."""
    upgrade(url)
    async with FakeBotApi() as api:
        server = Server(url, workers, api)
        await server.start()
        try:
            return await Run(name, url, api, server).go(users, chaos)
        finally:
            server.stop()


def _print(rows: list[Figures]) -> None:
    print(f"\n{'configuration':<28}{'updates':>8}{'upd/s':>8}{'p50 ms':>8}{'p95 ms':>8}"
          f"{'p99 ms':>8}{'errors':>7}{'lost':>6}{'dup':>5}  RSS/worker MB")
    for f in rows:
        lat = sorted(f.latencies) or [0.0]
        def pct(q: float, lat: list[float] = lat) -> float:
            return lat[min(len(lat) - 1, int(q * len(lat)))] * 1000
        rate = f.updates / f.seconds if f.seconds else 0.0
        rss = "/".join(f"{r:.0f}" for r in f.rss_mb)
        print(f"{f.name:<28}{f.updates:>8}{rate:>8.0f}{pct(0.5):>8.0f}{pct(0.95):>8.0f}"
              f"{pct(0.99):>8.0f}{f.errors:>7}{f.lost:>6}{f.duplicated:>5}  {rss}")
        if f.note:
            print(f"{'':<28}{f.note}")
    if rows:
        mean = statistics.mean(x for f in rows for x in f.latencies) * 1000
        print(f"\nmean reply latency over all runs: {mean:.0f} ms")


async def main_async(args: argparse.Namespace) -> None:
    rows: list[Figures] = []
    if not args.skip_sqlite:
        with tempfile.TemporaryDirectory() as tmp:
            rows.append(await scenario("SQLite, 1 worker", f"sqlite:///{tmp}/load.db", 1,
                                       args.users, False))
    if not args.skip_postgres:
        for workers in args.workers:
            url = _pg_schema_url()
            if url is None:
                break
            rows.append(await scenario(f"PostgreSQL, {workers} worker(s)", url, workers,
                                       args.users, False))
        if not args.no_chaos and (url := _pg_schema_url()) is not None:
            rows.append(await scenario("PostgreSQL, 2 workers, chaos", url, 2, args.users, True))
    _print(rows)


def main() -> None:
    """Parses arguments and runs the load test."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=5000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--no-chaos", action="store_true")
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
