"""Registration throughput through real python-telegram-bot against the fake Bot API.

Run: .venv/bin/python -m bench.registration [--users 200] [--db sqlite|postgres|both]
Each simulated user does the whole 14-update registration, waiting for the bot's answers like a
person would; many users run at once. Prints updates/s and reply latency per database.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.append(str(Path(__file__).resolve().parent.parent / "tests"))

import numpy as np
from fakes.bot_api import FakeBotApi
from sqlalchemy import text
from support import ktp_synth

from bot.app import build_application
from bot.runtime import build_runner
from storage.db import make_engine
from storage.migrate import upgrade
from storage.settings import Settings

PG_URL = "postgresql://postgres@127.0.0.1:5432/test"


def _photo() -> bytes:
    return ktp_synth.jpeg(ktp_synth.good_scene(np.random.default_rng(5)))


def _nik(i: int) -> str:
    return f"327301{(i % 28) + 41:02d}0890{(i % 9999) + 1:04d}"


class Simulated:
    """One applicant; records the latency from each update to the bot's first answer."""

    def __init__(self, api: FakeBotApi, chat_id: int, engine: Any, photo: bytes) -> None:
        self.api, self.chat_id, self.engine, self.photo = api, chat_id, engine, photo
        self.latencies: list[float] = []

    async def _turn(self, send: Any, expected: int) -> None:
        started = time.perf_counter()
        send()
        await self.api.wait_for_bot_messages(self.chat_id, 1, timeout=60)
        self.latencies.append(time.perf_counter() - started)
        if expected > 1:
            await self.api.wait_for_bot_messages(self.chat_id, expected - 1, timeout=60)

    def _code(self, kind: str) -> str:
        with self.engine.connect() as connection:
            body = connection.execute(
                text("select payload from outbox where chat_id=:c and kind=:k order by id desc"),
                {"c": self.chat_id, "k": kind},
            ).scalar_one()
        import json
        import re

        from storage.crypto import open_json

        payload = json.loads(body) if isinstance(body, str) and body[:1] in "{\"" else body
        if isinstance(payload, str):  # sealed whole (storage.encrypted_type.SealedJSON)
            payload = open_json(payload)
        match = re.search(r"\d{6}", payload["body"])
        assert match
        return match.group()

    def _press(self, data: str) -> None:
        last = self.api.sent_messages(self.chat_id)[-1]
        self.api.user_presses_button(self.chat_id, data, message_id=last.message_id)

    async def register(self) -> None:
        c, api = self.chat_id, self.api
        await self._turn(lambda: api.user_sends_text(c, "/daftar"), 1)
        await self._turn(lambda: api.user_sends_text(c, "Siti Nurhaliza"), 1)
        await self._turn(lambda: api.user_sends_text(c, f"siti{c}@example.com"), 1)
        code = self._code("email")
        await self._turn(lambda: api.user_sends_text(c, code), 2)
        await self._turn(lambda: api.user_sends_text(c, "RahasiaKu2024"), 2)
        await self._turn(lambda: api.user_sends_text(c, _nik(c)), 1)
        nik = _nik(c)
        birth = f"{int(nik[6:8]) - 40:02d}-08-1990"
        await self._turn(lambda: api.user_sends_text(c, birth), 1)
        await self._turn(lambda: api.user_sends_text(c, "Jl. Merdeka 10 RT 1 RW 2, Bandung"), 1)
        await self._turn(lambda: self._press("s:domicile_same:yes"), 1)
        await self._turn(lambda: self._press("s:education:SMA/SMK"), 1)
        await self._turn(lambda: self._press("s:employment_status:Korban PHK"), 1)
        await self._turn(
            lambda: api.user_sends_photo(c, self.photo, width=1280, height=960), 2)
        await self._turn(lambda: api.user_shares_contact(c, f"+62812{c:08d}"), 2)
        await self._turn(lambda: self._press("s:summary:confirm"), 2)


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


async def run_once(url: str, users: int) -> dict[str, float]:
    """Runs `users` registrations at once and returns the figures."""
    upgrade(url)
    engine = make_engine(url)
    photo = _photo()
    async with FakeBotApi() as api:
        settings = Settings(telegram_bot_token=api.token, telegram_api_base_url=api.api_base_url,
                            telegram_file_base_url=api.file_base_url)
        runner = build_runner(engine, channel="telegram", settings=settings)
        application = build_application(settings, runner)
        async with application:
            await application.updater.start_polling(poll_interval=0, timeout=1)  # type: ignore[union-attr]
            await application.start()
            people = [Simulated(api, 10_000 + i, engine, photo) for i in range(users)]
            started = time.perf_counter()
            await asyncio.gather(*(p.register() for p in people))
            elapsed = time.perf_counter() - started
            await application.updater.stop()  # type: ignore[union-attr]
            await application.stop()
        runner.close()
    with engine.connect() as connection:
        done = connection.execute(text(
            "select count(*) from applicant where registration_completed_at is not null"
        )).scalar_one()
    engine.dispose()
    latencies = [x for p in people for x in p.latencies]
    return {"updates": len(latencies), "seconds": elapsed, "rate": len(latencies) / elapsed,
            "p50": _pct(latencies, 0.5), "p95": _pct(latencies, 0.95),
            "p99": _pct(latencies, 0.99), "mean": statistics.mean(latencies) * 1000,
            "completed": done, "users": users}


def _pg_fresh_url() -> str:
    import uuid

    schema = f"bench_{uuid.uuid4().hex[:8]}"
    admin = make_engine(PG_URL)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    return f"{PG_URL}?options=-csearch_path%3D{schema}"


def main() -> None:
    """Parses arguments, runs the chosen databases and prints a table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    args = parser.parse_args()
    rows = []
    if args.db in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as tmp:
            rows.append(("SQLite", asyncio.run(run_once(f"sqlite:///{tmp}/bench.db", args.users))))
    if args.db in ("postgres", "both"):
        try:
            url = _pg_fresh_url()
        except Exception as error:  # PostgreSQL absent: say so and go on
            print(f"PostgreSQL skipped: {type(error).__name__}")
        else:
            rows.append(("PostgreSQL", asyncio.run(run_once(url, args.users))))
    print(f"\nRegistration flow through the fake Bot API, 1 process, {args.users} users at once")
    print(f"{'database':<11}{'updates':>9}{'upd/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
          f"{'completed':>11}")
    for name, r in rows:
        print(f"{name:<11}{r['updates']:>9.0f}{r['rate']:>9.1f}{r['p50']:>9.1f}{r['p95']:>9.1f}"
              f"{r['p99']:>9.1f}{r['completed']:>8.0f}/{r['users']:.0f}")


if __name__ == "__main__":
    main()
