"""Broadcast benchmark: 20,000 recipients against the fake Bot API at the paid limit (1000/s).

Runs the fake as a standalone process (limit --limit msg/s, a few blocked chats), starts
`prakerja broadcast send` as another process, kills it with SIGKILL once the fake has received
--kill-at of the messages (so requests are on the wire), starts it again (same worker slot: it
recovers its own in-flight rows from its journal) and prints the achieved rate at the fake,
429s, duplicates, lost and ambiguous rows, the sender's CPU per message (from /proc) beside two
floors measured in the same run against an unlimited fake (bare aiohttp POSTs, and PTB's
Bot.send_message over bot.aiohttp_request), and an ETA table.

    .venv/bin/python -m bench.broadcast            # 20,000 recipients, ≈1 min
    .venv/bin/python -m bench.broadcast --recipients 5000 --profile /tmp/sender.svg  # py-spy
    .venv/bin/python -m bench.broadcast --latency-ms 100 --max-in-flight 150  # real round trip
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from pathlib import Path
from typing import Any

from bench.procstat import cpu_seconds, wait_keeping_stat

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "123456:BENCH-TOKEN"
SENDER = "from bot.cli import main; main()"
TEXT = "<b>Gelombang 13 dibuka!</b> Daftar di prakerja.go.id, 3 Maret 2025."


# --- the fake, in its own process ---------------------------------------------------------
async def _serve_fake(rate: float | None, blocked: list[int], dump: Path,
                      latency_s: float) -> None:
    sys.path.insert(0, str(ROOT / "tests"))
    from fakes.bot_api import FakeBotApi

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with FakeBotApi(token=TOKEN, global_rate_per_s=rate, blocked_chat_ids=blocked,
                          latency_s=latency_s) as api:
        print(f"api_base_url={api.api_base_url}", flush=True)
        await stop.wait()
        delivered = [c for c in api.calls if c.method == "sendMessage" and c.status == 200]
        figures = json.dumps({"stats": api.stats(),
                              "per_chat": Counter(str(c.chat_id) for c in delivered),
                              "times": [c.at for c in delivered]})
    await asyncio.to_thread(dump.write_text, figures)


class Fake:
    """The fake Bot API as a child process; its figures are read back after it stops."""

    def __init__(self, work: Path, name: str, limit: float | None, blocked: list[int],
                 latency_ms: float = 0.0) -> None:
        self.dump = work / f"{name}.json"
        command = [sys.executable, "-m", "bench.broadcast", "--serve-fake",
                   "--limit", str(limit or 0), "--blocked", ",".join(map(str, blocked)),
                   "--dump", str(self.dump), "--latency-ms", str(latency_ms)]
        self.process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        self.base = self.process.stdout.readline().strip().removeprefix("api_base_url=")

    def received(self) -> int:
        """Returns how many sendMessage calls the fake has answered so far."""
        with urllib.request.urlopen(self.base.removesuffix("/bot") + "/_fake/stats") as answer:
            return int(json.load(answer)["by_method"].get("sendMessage", 0))

    def stop(self) -> dict[str, Any]:
        """Stops the fake and returns its per-chat deliveries, call times and stats."""
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=60)
        figures: dict[str, Any] = json.loads(self.dump.read_text())
        return figures


# --- floors: the same sendMessage without the sender's database work ----------------------
async def _floor_client(kind: str, base: str, count: int, concurrency: int) -> None:
    import aiohttp

    from bot.aiohttp_request import AiohttpRequest

    slots = asyncio.Semaphore(concurrency)
    form = {"text": TEXT, "parse_mode": "HTML",
            "link_preview_options": json.dumps({"is_disabled": True})}
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as http:
        from telegram import Bot

        bot = Bot(TOKEN, base_url=base, request=AiohttpRequest(connection_pool_size=concurrency))
        await bot.initialize()

        async def one(index: int) -> None:
            async with slots:
                if kind == "ptb":
                    await bot.send_message(chat_id=20_000_000 + index, text=TEXT,
                                           parse_mode="HTML")
                    return
                async with http.post(f"{base}{TOKEN}/sendMessage",
                                     data={**form, "chat_id": str(20_000_000 + index)}) as r:
                    await r.read()

        started, cpu = time.perf_counter(), cpu_seconds(os.getpid())
        await asyncio.gather(*(one(i) for i in range(count)))
        print(json.dumps({"seconds": time.perf_counter() - started,
                          "cpu": cpu_seconds(os.getpid()) - cpu}), flush=True)
        await bot.shutdown()


def _floor(work: Path, kind: str, count: int, concurrency: int) -> dict[str, float]:
    """Runs one floor client in its own process against an unlimited fake; CPU from /proc."""
    fake = Fake(work, f"floor-{kind}", None, [])
    try:
        client = subprocess.Popen(
            [sys.executable, "-m", "bench.broadcast", "--floor", kind, "--floor-base", fake.base,
             "--recipients", str(count), "--max-in-flight", str(concurrency)],
            cwd=ROOT, stdout=subprocess.PIPE, text=True)
        assert client.stdout is not None
        # Measured by the client around the sends only (not its start-up), from /proc/self.
        figures = json.loads(client.stdout.readline())
        client.wait()
    finally:
        fake.stop()
    return {"rate": count / figures["seconds"], "cpu_ms": figures["cpu"] / count * 1000}


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


# --- the sender, in its own process -------------------------------------------------------
class Sender:
    """`prakerja broadcast send` as a child; CPU is read from /proc from its first delivery."""

    def __init__(self, env: dict[str, str], journal: Path, in_flight: int,
                 profile: Path | None = None) -> None:
        command = [sys.executable, "-c", SENDER, "broadcast", "send", "--until-idle", "--slot",
                   "0", "--journal-dir", str(journal), "--max-in-flight", str(in_flight)]
        self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE)
        self.spy = _attach_py_spy(self.process.pid, profile) if profile else None
        self.cpu_at_first = 0.0
        self.received_at_first = 0

    def wait_first_delivery(self, fake: Fake, before: int) -> None:
        """Waits until the fake gets this sender's first message; notes CPU and count then."""
        while (received := fake.received()) <= before:
            if self.process.poll() is not None:
                raise SystemExit(f"sender exited early with {self.process.returncode}")
            time.sleep(0.005)
        self.cpu_at_first, self.received_at_first = cpu_seconds(self.process.pid), received

    def kill_when(self, fake: Fake, received: int) -> tuple[float, int]:
        """SIGKILLs the sender once the fake has `received` messages; returns (CPU s, count)."""
        while (now := fake.received()) < received:
            if self.process.poll() is not None:
                raise SystemExit(f"sender exited early with {self.process.returncode}")
            time.sleep(0.005)
        cpu = cpu_seconds(self.process.pid)
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()
        return cpu - self.cpu_at_first, now - self.received_at_first

    def finish(self, fake: Fake) -> tuple[float, int, str]:
        """Waits for the sender to go idle and exit; returns (CPU s, messages, its summary)."""
        cpu = wait_keeping_stat(self.process) - self.cpu_at_first
        summary = (self.process.stdout.read() if self.process.stdout else b"").decode().strip()
        if self.spy is not None:
            self.spy.wait(timeout=60)
        return cpu, fake.received() - self.received_at_first, summary


def _attach_py_spy(pid: int, out: Path) -> subprocess.Popen[bytes]:
    spy = shutil.which("py-spy", path=str(ROOT / ".venv/bin")) or shutil.which("py-spy")
    if spy is None:
        raise SystemExit("--profile needs py-spy: .venv/bin/pip install py-spy")
    kind = {".txt": "raw", ".json": "speedscope"}.get(out.suffix, "flamegraph")
    return subprocess.Popen([spy, "record", "--pid", str(pid), "--output", str(out),
                             "--format", kind, "--rate", "200", "--nonblocking"],
                            stdout=subprocess.DEVNULL)


# --- measuring ----------------------------------------------------------------------------
def _phase_rate(times: list[float]) -> tuple[int, float]:
    if len(times) < 2:
        return len(times), 0.0
    return len(times), max(times) - min(times)


def _timeline(times: list[float]) -> str:
    """Returns messages per whole second from the first delivery, e.g. "998 1001 1000 …"."""
    if not times:
        return "-"
    start = min(times)
    seconds = Counter(int(t - start) for t in times)
    return " ".join(str(seconds.get(i, 0)) for i in range(max(seconds) + 1))


def _db_figures(database_url: str) -> dict[str, Any]:
    from sqlalchemy import select

    from bot.broadcast_sender import AMBIGUOUS
    from storage.db import make_engine
    from storage.models_broadcast import BroadcastRecipient

    engine = make_engine(database_url)
    table = BroadcastRecipient.__table__  # type: ignore[attr-defined]
    with engine.connect() as connection:
        result = connection.execute(select(table.c.status, table.c.error, table.c.chat_id)).all()
    engine.dispose()
    return {"statuses": Counter(r.status for r in result),
            "ambiguous": [r.chat_id for r in result if r.error == AMBIGUOUS]}


def _eta_table() -> str:
    lines = ["chats        at 30/s            at 1000/s"]
    for chats in (1_000_000, 5_000_000, 40_000_000):
        slow, fast = chats / 30, chats / 1000
        lines.append(f"{chats:>10,}   {slow / 3600:7.1f} h ({slow / 86400:4.1f} d)"
                     f"   {fast / 3600:6.2f} h")
    return "\n".join(lines)


def _report(args: argparse.Namespace, run: dict[str, Any], db: dict[str, Any],
            fake: dict[str, Any], blocked: list[int]) -> None:
    per_chat = {int(k): v for k, v in fake["per_chat"].items()}
    deliverable = [10_000_000 + i for i in range(args.recipients) if 10_000_000 + i not in blocked]
    duplicates = sum(count - 1 for count in per_chat.values() if count > 1)
    lost = sum(1 for chat in deliverable if per_chat.get(chat, 0) == 0)
    stats = fake["stats"]
    requests = stats["by_method"].get("sendMessage", 0)
    times = fake["times"]
    (n1, d1) = _phase_rate([t for t in times if t < run["killed_at"]])
    (n2, d2) = _phase_rate([t for t in times if t >= run["killed_at"]])
    achieved = (n1 + n2) / (d1 + d2) if d1 + d2 else 0.0
    ambiguous = db["ambiguous"]
    print(f"recipients {args.recipients:,} (blocked {len(blocked)}), limit {args.limit:.0f}/s, "
          f"{args.max_in_flight} in flight, {args.latency_ms:.0f} ms added round trip; "
          f"sender killed (SIGKILL) at {run['killed_after']:,} "
          f"received, resumed {run['gap']:.1f} s later")
    print(f"achieved rate      {achieved:8.1f}/s = {achieved / args.limit:6.1%} of the limit "
          f"(phase 1 {n1 / d1 if d1 else 0:.0f}/s, phase 2 {n2 / d2 if d2 else 0:.0f}/s; "
          "timed at the fake)")
    print(f"  per second, run 1: {_timeline([t for t in times if t < run['killed_at']])}")
    print(f"  per second, run 2: {_timeline([t for t in times if t >= run['killed_at']])}")
    if args.latency_ms:
        ceiling = args.max_in_flight / (args.latency_ms / 1000)
        print(f"  in-flight ceiling  {ceiling:8.0f}/s = --max-in-flight / round trip "
              "(raise --max-in-flight to reach the limit)")
    print(f"429s received      {stats['rate_limited']:8d} = "
          f"{stats['rate_limited'] / max(requests, 1):6.2%} of {requests:,} sendMessage calls")
    print(f"403s (blocked)     {stats['forbidden']:8d}")
    print(f"duplicates         {duplicates:8d}")
    reachable = set(deliverable)
    lost_ambiguous = sum(1 for chat in ambiguous if chat in reachable
                         and per_chat.get(chat, 0) == 0)
    print(f"lost               {lost:8d}   (deliverable chats with no message; {lost_ambiguous} "
          "of them ambiguous rows of the kill, the price of at-most-once)")
    delivered_ambiguous = sum(1 for chat in ambiguous if per_chat.get(chat, 0) > 0)
    print(f"ambiguous rows     {len(ambiguous):8d}   (marked failed, at-most-once; "
          f"{delivered_ambiguous} of them did arrive, {len(ambiguous) - delivered_ambiguous} "
          "did not)")
    print(f"row statuses       {dict(db['statuses'])}")
    cpu_ms = run["cpu"] / max(run["messages"], 1) * 1000
    print("\nCPU per message (from /proc, first delivery to exit/kill, both sender runs):")
    print(f"  prakerja broadcast send         {cpu_ms:6.3f} ms  = {cpu_ms * achieved / 10:5.1f} % "
          "of a core at the achieved rate")
    for name, floor in run["floors"].items():
        print(f"  floor: {name:<24}{floor['cpu_ms']:6.3f} ms  (max {floor['rate']:,.0f}/s "
              f"unpaced)  sender = {cpu_ms / floor['cpu_ms']:.1f}x")
    print("\nETA for one message to every chat:\n" + _eta_table())


def _env(database_url: str, base: str, limit: float) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": database_url, "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_BASE_URL": base,
            "TELEGRAM_FILE_BASE_URL": base.replace("/bot", "/file/bot"),
            "BROADCAST_RATE": str(limit), "BROADCAST_PAID": "true", "LOG_LEVEL": "ERROR"}


def _send_with_a_kill(args: argparse.Namespace, work: Path, database_url: str,
                      blocked: list[int]) -> tuple[dict[str, Any], dict[str, Any]]:
    fake = Fake(work, "fake", args.limit, blocked, args.latency_ms)
    env = _env(database_url, fake.base, args.limit)
    try:
        first = Sender(env, work / "journal", args.max_in_flight)
        first.wait_first_delivery(fake, 0)
        cpu1, sent1 = first.kill_when(fake, int(args.recipients * args.kill_at))
        killed_at = time.monotonic()  # same CLOCK_MONOTONIC as the fake's call times
        received = fake.received()
        second = Sender(env, work / "journal", args.max_in_flight, args.profile)
        second.wait_first_delivery(fake, received)
        gap = time.monotonic() - killed_at
        cpu2, sent2, summary = second.finish(fake)
        print("restarted sender:", summary)
    finally:
        figures = fake.stop()
    run = {"killed_at": killed_at, "killed_after": received, "gap": gap,
           "cpu": cpu1 + cpu2, "messages": sent1 + sent2}
    return run, figures


def run(args: argparse.Namespace) -> None:
    """Runs the benchmark end to end and prints the figures."""
    with tempfile.TemporaryDirectory(prefix="bench-broadcast-") as tmp:
        work = Path(tmp)
        database_url = args.database_url or f"sqlite:///{work / 'bench.db'}"
        blocked = [10_000_000 + i for i in range(0, args.recipients, max(1, args.recipients // 50))]
        _seed(database_url, args.recipients)
        result, figures = _send_with_a_kill(args, work, database_url, blocked)
        count = min(args.recipients, 10_000)
        result["floors"] = {"bare aiohttp POST": _floor(work, "raw", count, args.max_in_flight),
                         "PTB Bot + AiohttpRequest": _floor(work, "ptb", count,
                                                            args.max_in_flight)}
        _report(args, result, _db_figures(database_url), figures, blocked)


def main(argv: list[str] | None = None) -> None:
    """Parses options; --serve-fake / --floor turn this process into a helper process."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--recipients", type=int, default=20_000)
    parser.add_argument("--limit", type=float, default=1000.0, help="fake's global msg/s")
    parser.add_argument("--kill-at", type=float, default=0.5,
                        help="fraction received by the fake before SIGKILL")
    parser.add_argument("--max-in-flight", type=int, default=32)
    parser.add_argument("--latency-ms", type=float, default=0.0,
                        help="round trip the fake adds to every answer (Telegram's is ~50-200)")
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    parser.add_argument("--profile", type=Path, default=None,
                        help="py-spy profile of the restarted sender (.svg, .txt collapsed "
                             "stacks, .json speedscope)")
    parser.add_argument("--serve-fake", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--blocked", default="", help=argparse.SUPPRESS)
    parser.add_argument("--dump", default="", help=argparse.SUPPRESS)
    parser.add_argument("--floor", default="", help=argparse.SUPPRESS)
    parser.add_argument("--floor-base", default="", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve_fake:
        blocked = [int(x) for x in args.blocked.split(",") if x]
        asyncio.run(_serve_fake(args.limit or None, blocked, Path(args.dump),
                                args.latency_ms / 1000))
        return
    if args.floor:
        asyncio.run(_floor_client(args.floor, args.floor_base, args.recipients,
                                  args.max_in_flight))
        return
    run(args)


if __name__ == "__main__":
    main()
