"""Registration throughput: the real bot (PTB, polling) with N applicants registering at once.

Run: .venv/bin/python -m bench.registration [--users 200] [--db sqlite|postgres|both]
The bot runs in this process; Telegram's side (the fake Bot API and the users) runs in its own
process (bench.telegram_side), so the figures are the bot's alone. Each user does the whole
14-update registration, waiting for the bot's answers; all users start at once (closed loop:
this measures capacity, bench.load measures latency under an arrival rate). Prints updates/s,
reply latency and the bot process's CPU ms per update (from /proc) per database.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import uuid
from typing import Any

from bench.load import SECRET, TOKEN, TelegramSide
from bench.procstat import cpu_seconds

PG_URL = "postgresql://postgres@127.0.0.1:5432/test"


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values) or [0.0]
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


async def run_once(url: str, users: int) -> dict[str, Any]:
    """Runs `users` registrations at once against a polling bot and returns the figures."""
    from bot.app import build_application
    from bot.runtime import build_runner
    from storage.db import make_engine
    from storage.migrate import upgrade
    from storage.settings import Settings

    upgrade(url)
    engine = make_engine(url)
    tg = await asyncio.to_thread(TelegramSide)
    settings = Settings(telegram_bot_token=TOKEN, telegram_api_base_url=tg.urls["api_base_url"],
                        telegram_file_base_url=tg.urls["file_base_url"], database_url=url)
    runner = build_runner(engine, channel="telegram", settings=settings)
    application = build_application(settings, runner)
    common = {"webhook": None, "secret": SECRET, "database_url": url}
    try:
        async with application:
            await application.updater.start_polling(poll_interval=0, timeout=1)  # type: ignore[union-attr]
            await application.start()
            await asyncio.to_thread(tg.ask, cmd="calibrate", script="registration",
                                    first_chat=9_000_000, **common)
            cpu = cpu_seconds(os.getpid())
            figures = await asyncio.to_thread(
                tg.ask, cmd="phase", scripts=["registration"], users=users, rate=10_000.0,
                think=0.0, timeout=120.0, first_chat=100_000, **common)
            figures["cpu_s"] = cpu_seconds(os.getpid()) - cpu
            await application.updater.stop()  # type: ignore[union-attr]
            await application.stop()
    finally:
        await asyncio.to_thread(tg.close)
        runner.close()
        engine.dispose()
    return figures


def _pg_fresh_url() -> str:
    from sqlalchemy import text

    from storage.db import make_engine

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
    print(f"\nRegistration flow, bot polling in 1 process, fake + users in another, "
          f"{args.users} users at once")
    print(f"{'database':<11}{'updates':>9}{'upd/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
          f"{'CPU ms/upd':>12}{'lost':>6}{'dup':>5}{'completed':>11}")
    for name, r in rows:
        rate = r["updates"] / r["seconds"] if r["seconds"] else 0.0
        cpu_ms = r["cpu_s"] / max(r["updates"], 1) * 1000
        print(f"{name:<11}{r['updates']:>9}{rate:>9.1f}{_pct(r['latencies'], 0.5):>9.1f}"
              f"{_pct(r['latencies'], 0.95):>9.1f}{_pct(r['latencies'], 0.99):>9.1f}"
              f"{cpu_ms:>12.2f}{r['lost']:>6}{r['duplicated']:>5}"
              f"{r['completed']:>8}/{r['users']}")
    print("CPU: this process (the bot) from /proc, during the load only; upd/s over the phase, "
          "including the final quiet wait")


if __name__ == "__main__":
    main()
