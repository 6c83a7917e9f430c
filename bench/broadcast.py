"""Broadcast benchmark: 20,000 recipients against the fake Bot API with the limit scaled up.

Runs the fake as a standalone subprocess (limit --limit msg/s, a few blocked chats), starts
`prakerja broadcast send` as another subprocess, kills it with SIGKILL at about half way,
starts it again (same worker slot: it recovers its own in-flight rows from its journal) and
prints achieved rate / limit, 429s, duplicates, lost, ambiguous rows and an ETA table.

    .venv/bin/python -m bench.broadcast [--recipients 20000] [--limit 1000] [--kill-at 0.5]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "123456:BENCH-TOKEN"
SENDER = "from bot.cli import main; main()"


# --- the fake, in its own process ---------------------------------------------------------
async def _serve_fake(rate: float, blocked: list[int], dump: Path) -> None:
    sys.path.insert(0, str(ROOT / "tests"))
    from fakes.bot_api import FakeBotApi

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with FakeBotApi(token=TOKEN, global_rate_per_s=rate, blocked_chat_ids=blocked) as api:
        print(f"api_base_url={api.api_base_url}", flush=True)
        await stop.wait()
        delivered = Counter(str(c.chat_id) for c in api.calls
                            if c.method == "sendMessage" and c.status == 200)
        figures = json.dumps({"stats": api.stats(), "per_chat": delivered})
    await asyncio.to_thread(dump.write_text, figures)


# --- setup --------------------------------------------------------------------------------
def _seed(database_url: str, recipients: int) -> int:
    from sqlalchemy import insert

    from actions.broadcasts import create_broadcast, start_broadcast
    from storage.db import make_engine, session_scope
    from storage.migrate import upgrade
    from storage.models_broadcast import Subscriber

    upgrade(database_url)
    engine = make_engine(database_url)
    with session_scope(engine) as session:
        session.execute(insert(Subscriber), [
            {"chat_id": 10_000_000 + i, "first_name": f"Peserta{i}", "active": True,
             "opted_out": False, "topics": ""} for i in range(recipients)])
        broadcast = create_broadcast(session=session, template="gelombang_dibuka", audience="all",
                                     params={"wave": "13", "dates": "3 Maret 2025"},
                                     created_by="bench")
        start_broadcast(session=session, broadcast_id=broadcast.id or 0)
    engine.dispose()
    return broadcast.id or 0


def _sent_count(database_url: str) -> int:
    from sqlalchemy import func, select

    from storage.db import make_engine
    from storage.models_broadcast import BroadcastRecipient

    engine = make_engine(database_url)
    with engine.connect() as connection:
        table = BroadcastRecipient.__table__  # type: ignore[attr-defined]
        count = connection.execute(select(func.count()).where(
            table.c.status.in_(("sent", "failed")))).scalar_one()
    engine.dispose()
    return int(count)


def _start_sender(env: dict[str, str], journal: Path) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-c", SENDER, "broadcast", "send", "--until-idle", "--slot", "0",
               "--journal-dir", str(journal), "--max-in-flight", "6"]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE)


# --- measuring ----------------------------------------------------------------------------
def _phase_rate(times: list[datetime]) -> tuple[int, float]:
    if len(times) < 2:
        return len(times), 0.0
    return len(times), (max(times) - min(times)).total_seconds()


def _db_figures(database_url: str, killed_at: datetime) -> dict[str, Any]:
    from sqlalchemy import select

    from bot.broadcast_sender import AMBIGUOUS
    from storage.db import make_engine
    from storage.models_broadcast import BroadcastRecipient

    engine = make_engine(database_url)
    table = BroadcastRecipient.__table__  # type: ignore[attr-defined]
    with engine.connect() as connection:
        result = connection.execute(select(table.c.status, table.c.sent_at, table.c.error,
                                           table.c.chat_id)).all()
    engine.dispose()
    sent = [r.sent_at for r in result if r.status == "sent" and r.sent_at is not None]
    before = [t for t in sent if t < killed_at]
    after = [t for t in sent if t >= killed_at]
    return {"statuses": Counter(r.status for r in result), "before": _phase_rate(before),
            "after": _phase_rate(after),
            "ambiguous": [r.chat_id for r in result if r.error == AMBIGUOUS],
            "gap": (min(after) - killed_at).total_seconds() if after else 0.0}


def _eta_table() -> str:
    lines = ["chats        at 30/s            at 1000/s"]
    for chats in (1_000_000, 5_000_000, 40_000_000):
        slow, fast = chats / 30, chats / 1000
        lines.append(f"{chats:>10,}   {slow / 3600:7.1f} h ({slow / 86400:4.1f} d)"
                     f"   {fast / 3600:6.2f} h")
    return "\n".join(lines)


def _report(args: argparse.Namespace, db: dict[str, Any], fake: dict[str, Any],
            blocked: list[int]) -> None:
    per_chat = {int(k): v for k, v in fake["per_chat"].items()}
    deliverable = [10_000_000 + i for i in range(args.recipients) if 10_000_000 + i not in blocked]
    duplicates = sum(count - 1 for count in per_chat.values() if count > 1)
    lost = sum(1 for chat in deliverable if per_chat.get(chat, 0) == 0)
    stats = fake["stats"]
    requests = stats["by_method"].get("sendMessage", 0)
    (n1, d1), (n2, d2) = db["before"], db["after"]
    achieved = (n1 + n2) / (d1 + d2) if d1 + d2 else 0.0
    ambiguous = db["ambiguous"]
    print(f"recipients {args.recipients:,} (blocked {len(blocked)}), limit {args.limit:.0f}/s, "
          f"sender killed (SIGKILL) at {n1:,} sent, resumed {db['gap']:.1f} s later")
    print(f"achieved rate      {achieved:8.1f}/s = {achieved / args.limit:6.1%} of the limit "
          f"(phase 1 {n1 / d1 if d1 else 0:.0f}/s, phase 2 {n2 / d2 if d2 else 0:.0f}/s)")
    print(f"429s received      {stats['rate_limited']:8d} = "
          f"{stats['rate_limited'] / max(requests, 1):6.2%} of {requests:,} sendMessage calls")
    print(f"403s (blocked)     {stats['forbidden']:8d}")
    print(f"duplicates         {duplicates:8d}")
    print(f"lost               {lost:8d}   (deliverable chats with no message)")
    delivered_ambiguous = sum(1 for chat in ambiguous if per_chat.get(chat, 0) > 0)
    print(f"ambiguous rows     {len(ambiguous):8d}   (marked failed, at-most-once; "
          f"{delivered_ambiguous} of them did arrive)")
    print(f"row statuses       {dict(db['statuses'])}")
    print("\nETA for one message to every chat:\n" + _eta_table())


def run(args: argparse.Namespace) -> None:
    """Runs the benchmark end to end and prints the figures."""
    with tempfile.TemporaryDirectory(prefix="bench-broadcast-") as tmp:
        work = Path(tmp)
        database_url = args.database_url or f"sqlite:///{work / 'bench.db'}"
        blocked = [10_000_000 + i for i in range(0, args.recipients, max(1, args.recipients // 50))]
        _seed(database_url, args.recipients)
        dump = work / "fake.json"
        fake = subprocess.Popen(
            [sys.executable, "-m", "bench.broadcast", "--serve-fake", "--limit", str(args.limit),
             "--blocked", ",".join(map(str, blocked)), "--dump", str(dump)],
            cwd=ROOT, stdout=subprocess.PIPE, text=True)
        assert fake.stdout is not None
        base = fake.stdout.readline().strip().removeprefix("api_base_url=")
        env = {**os.environ, "DATABASE_URL": database_url, "TELEGRAM_BOT_TOKEN": TOKEN,
               "TELEGRAM_API_BASE_URL": base,
               "TELEGRAM_FILE_BASE_URL": base.replace("/bot", "/file/bot"),
               "BROADCAST_RATE": str(args.limit), "BROADCAST_PAID": "true", "LOG_LEVEL": "ERROR"}
        try:
            sender = _start_sender(env, work / "journal")
            while _sent_count(database_url) < args.recipients * args.kill_at:
                if sender.poll() is not None:
                    raise SystemExit(f"sender exited early with {sender.returncode}")
                time.sleep(0.02)
            sender.send_signal(signal.SIGKILL)
            sender.wait()
            from storage.models import utcnow

            killed_at = utcnow()
            sender = _start_sender(env, work / "journal")
            sender.wait(timeout=600)
            print("restarted sender:", (sender.stdout.read() if sender.stdout else b"").decode()
                  .strip())
        finally:
            fake.send_signal(signal.SIGTERM)
            fake.wait(timeout=60)
        _report(args, _db_figures(database_url, killed_at), json.loads(dump.read_text()),
                blocked)


def main(argv: list[str] | None = None) -> None:
    """Parses options; --serve-fake turns this process into the fake Bot API."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--recipients", type=int, default=20_000)
    parser.add_argument("--limit", type=float, default=1000.0, help="fake's global msg/s")
    parser.add_argument("--kill-at", type=float, default=0.5, help="fraction sent before SIGKILL")
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    parser.add_argument("--serve-fake", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--blocked", default="", help=argparse.SUPPRESS)
    parser.add_argument("--dump", default="", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve_fake:
        blocked = [int(x) for x in args.blocked.split(",") if x]
        asyncio.run(_serve_fake(args.limit, blocked, Path(args.dump)))
        return
    run(args)


if __name__ == "__main__":
    main()
