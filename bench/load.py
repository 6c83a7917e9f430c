"""Wave-opening load test, open loop: users arrive at a rate, whatever the bot's speed.

    .venv/bin/python -m bench.load                         # ≈6 min: 2 users/s for 30 s per phase
    .venv/bin/python -m bench.load --users 8 --duration 6 --think 0.3    # small mode, ≈2 min
    .venv/bin/python -m bench.load --only "PostgreSQL, 1 worker" --rate 5 --duration 60

Three kinds of process: Telegram's side (bench.telegram_side: the fake Bot API and the users,
arriving Poisson at --rate users/s for --duration s, thinking --think s on average between
turns), the bot (`prakerja run --webhook --workers N`, or `prakerja run` polling), and this
driver, which reads the bot's CPU from /proc/<pid>/stat (utime + stime of every bot process).

Per configuration and phase it prints updates/s, p50/p95/p99 reply latency (update sent → first
answer seen), CPU ms per update, lost (no answer within --turn-timeout), duplicated (answers
beyond what a lone calibration user got), reordered (a burst of three questions answered in
another order) and Telegram's redeliveries. Phases: `registration` (14 updates incl. argon2 and a
KTP photo) and `chat` (text and button turns: menu, FAQ, three questions at once, a button,
commands), measured apart; the kill -9 runs mix both. In the same run it measures two floors on
the same fake with text turns: the minimal PTB v22 echo bot by webhook (httpx as PTB ships it,
and on bot.aiohttp_request), and a raw Starlette handler doing one PostgreSQL INSERT with the
reply in the webhook answer; the project's CPU per update is printed as a ratio to each. The
floors keep no per-chat order, so their reordered bursts are expected; the bot's are not.
BENCH_VERBOSE=1 logs each step and every reordered burst (asked vs answered).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.procstat import cpu_seconds, descendants, free_port, rss_mb

ROOT = Path(__file__).resolve().parent.parent
PG_URL = "postgresql://postgres@127.0.0.1:5432/test"
SECRET = "load-test-secret"
TOKEN = "123456:LOAD-TOKEN"
WEBHOOK_PATH = "/telegram/webhook"
IDLE_WINDOW_S = 2.0


@dataclass(frozen=True)
class Config:
    """One configuration: database, how the bot runs, what happens to it, which phases."""

    name: str
    database: str  # "sqlite" | "postgres"
    bot: str  # "webhook" | "polling" | "echo-httpx" | "echo-aiohttp" | "raw"
    workers: int = 1
    kill: bool = False
    phases: tuple[tuple[str, ...], ...] = (("registration",), ("chat",))


CONFIGS = [
    Config("SQLite, 1 worker", "sqlite", "webhook"),
    Config("PostgreSQL, 1 worker", "postgres", "webhook"),
    Config("PostgreSQL, 2 workers", "postgres", "webhook", workers=2),
    Config("PostgreSQL, 2 workers, kill -9 one at 50 %", "postgres", "webhook", workers=2,
           kill=True, phases=(("registration", "chat"),)),
    Config("PostgreSQL, polling, kill -9 at 50 %", "postgres", "polling", kill=True,
           phases=(("registration", "chat"),)),
    Config("floor: PTB echo bot (httpx)", "none", "echo-httpx", phases=(("echo",),)),
    Config("floor: PTB echo bot (aiohttp)", "none", "echo-aiohttp", phases=(("echo",),)),
    Config("floor: Starlette + 1 INSERT, reply in answer", "postgres", "raw",
           phases=(("echo",),)),
]


@dataclass
class Row:
    """One printed line: a configuration's phase."""

    config: str
    phase: str
    figures: dict[str, Any]
    cpu_s: float
    idle_cpu_per_s: float
    rss_mb: list[float] = field(default_factory=list)
    note: str = ""

    @property
    def gross_ms(self) -> float:
        """Returns the bot's CPU milliseconds per update, idle work included."""
        return self.cpu_s / max(self.figures["updates"], 1) * 1000

    @property
    def cpu_ms(self) -> float:
        """Returns CPU ms per update net of what the bot burns idle over the same seconds."""
        busy = self.cpu_s - self.idle_cpu_per_s * self.figures["seconds"]
        return max(busy, 0.0) / max(self.figures["updates"], 1) * 1000


class TelegramSide:
    """bench.telegram_side as a child process, driven by JSON lines."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bench.telegram_side", TOKEN], cwd=ROOT,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.urls = self._read()

    def _read(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError("Telegram's side stopped; see its error above")
        answer: dict[str, Any] = json.loads(line)
        return answer

    def ask(self, **command: Any) -> dict[str, Any]:
        """Sends one command and returns its answer."""
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(command) + "\n")
        self.process.stdin.flush()
        return self._read()

    def close(self) -> None:
        """Asks the process to quit and waits for it."""
        with suppress(BrokenPipeError, ValueError):
            self.ask_quit()
        self.process.wait(timeout=30)

    def ask_quit(self) -> None:
        """Sends `quit` (no answer comes)."""
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps({"cmd": "quit"}) + "\n")
        self.process.stdin.close()


class CpuMeter:
    """Sums utime + stime over the bot's processes (and their children) from /proc."""

    def __init__(self) -> None:
        self.roots: list[int] = []
        self.baseline: dict[int, float] = {}
        self.last: dict[int, float] = {}
        self.rss: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def sample(self) -> None:
        """Reads every live bot process once (new ones start from their first reading)."""
        for root in self.roots:
            for pid in [root, *_safe(descendants, root, [])]:
                used = _safe(cpu_seconds, pid, None)
                if used is not None:
                    self.baseline.setdefault(pid, used)
                    self.last[pid] = used
                    self.rss[pid] = max(self.rss.get(pid, 0.0), _safe(rss_mb, pid, 0.0))

    def start(self) -> None:
        """Takes the baseline and samples every 0.2 s until stop()."""
        self.baseline, self.last, self.rss = {}, {}, {}
        self.sample()
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.2):
            self.sample()

    def stop(self) -> float:
        """Stops sampling and returns the CPU seconds used since start()."""
        self.sample()
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        return sum(self.last[pid] - self.baseline[pid] for pid in self.last)


def _safe(read: Any, pid: int, default: Any) -> Any:
    try:
        return read(pid)
    except (FileNotFoundError, ProcessLookupError, IndexError, ValueError):
        return default


class Bot:
    """The bot under test (or a floor) as a child process group."""

    def __init__(self, config: Config, database_url: str, tg: TelegramSide) -> None:
        self.config, self.database_url, self.tg = config, database_url, tg
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def webhook(self) -> str | None:
        """Returns the URL Telegram's side POSTs to (None when the bot polls)."""
        return None if self.config.bot == "polling" else f"http://127.0.0.1:{self.port}" \
            + WEBHOOK_PATH

    def command(self) -> list[str]:
        """Returns the command line of the configuration's bot."""
        prakerja = str(ROOT / ".venv/bin/prakerja")
        floors = [sys.executable, "-m", "bench.floors"]
        return {
            "webhook": [prakerja, "run", "--webhook", "--workers", str(self.config.workers)],
            "polling": [prakerja, "run"],
            "echo-httpx": [*floors, "echo", "--port", str(self.port), "--token", TOKEN,
                           "--api", self.tg.urls["api_base_url"]],
            "echo-aiohttp": [*floors, "echo", "--port", str(self.port), "--token", TOKEN,
                             "--api", self.tg.urls["api_base_url"], "--request", "aiohttp"],
            "raw": [*floors, "raw", "--port", str(self.port), "--database-url",
                    self.database_url],
        }[self.config.bot]

    def start(self) -> None:
        """Starts the bot and waits until its webhook answers (polling bots: at once)."""
        env = {**os.environ, "DATABASE_URL": self.database_url, "TELEGRAM_BOT_TOKEN": TOKEN,
               "TELEGRAM_API_BASE_URL": self.tg.urls["api_base_url"],
               "TELEGRAM_FILE_BASE_URL": self.tg.urls["file_base_url"],
               "WEBHOOK_SECRET": SECRET, "WEBHOOK_PORT": str(self.port), "WEBHOOK_URL": "",
               "LOG_LEVEL": "WARNING", "INBOX_LEASE_SECONDS": "5"}
        self.process = subprocess.Popen(self.command(), env=env, cwd=ROOT,
                                        start_new_session=True)
        if self.webhook is not None:
            self._wait_ready()

    def _wait_ready(self) -> None:
        ready = "/readyz" if self.config.bot == "webhook" else WEBHOOK_PATH
        for _ in range(1200):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{ready}", timeout=2):
                    return
            except urllib.error.HTTPError as error:
                if error.code == 405:  # a floor's webhook route is POST-only: it is up
                    return
            except OSError:
                pass
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"{self.config.name}: the bot exited")
            time.sleep(0.1)
        raise RuntimeError(f"{self.config.name}: the webhook did not come up")

    def kill_one(self, meter: CpuMeter) -> str:
        """SIGKILLs one worker (webhook) or the bot (polling, then restarts it)."""
        assert self.process is not None
        meter.sample()  # its CPU until now still counts
        victims = descendants(self.process.pid) if self.config.workers > 1 else []
        victim = victims[0] if victims else self.process.pid
        os.kill(victim, signal.SIGKILL)
        if victim != self.process.pid:
            return f"killed worker {victim} at 50 %"
        self.process.wait()
        killed_at, polls = time.monotonic(), self._get_updates_calls()
        self.start()
        while self._get_updates_calls() == polls and time.monotonic() - killed_at < 120:
            time.sleep(0.05)  # polling again: from here on its CPU counts, not its start-up
        meter.roots = [self.process.pid]
        return (f"killed the bot at 50 %, restarted it at once; polling again after "
                f"{time.monotonic() - killed_at:.1f} s (start-up CPU not counted)")

    def _get_updates_calls(self) -> int:
        stats_url = self.tg.urls["api_base_url"].removesuffix("/bot") + "/_fake/stats"
        with urllib.request.urlopen(stats_url, timeout=5) as answer:
            return int(json.load(answer)["by_method"].get("getUpdates", 0))

    def stop(self) -> None:
        """Stops the process group."""
        if self.process is not None and self.process.poll() is None:
            with suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def _pg_schema_url() -> str | None:
    from sqlalchemy import text

    from storage.db import make_engine

    try:
        admin = make_engine(PG_URL)
        schema = f"load_{uuid.uuid4().hex[:8]}"
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        admin.dispose()
    except Exception as error:  # PostgreSQL absent: say so and go on
        print(f"PostgreSQL unavailable ({type(error).__name__}): its configurations are skipped")
        return None
    return f"{PG_URL}?options=-csearch_path%3D{schema}"


def _database(config: Config, folder: Path) -> str | None:
    from storage.migrate import upgrade

    if config.database == "none":
        return f"sqlite:///{folder / 'unused.db'}"
    url = f"sqlite:///{folder / 'load.db'}" if config.database == "sqlite" else _pg_schema_url()
    if url is not None and config.bot in ("webhook", "polling"):
        upgrade(url)
    return url


def run_config(config: Config, args: argparse.Namespace, index: int) -> list[Row]:
    """Runs one configuration from a fresh database and Telegram side; returns its rows."""
    with tempfile.TemporaryDirectory(prefix="bench-load-") as tmp:
        url = _database(config, Path(tmp))
        if url is None:
            return []
        tg = TelegramSide()
        bot = Bot(config, url, tg)
        try:
            _log(f"starting {config.name}")
            bot.start()
            return _phases(config, args, index, tg, bot)
        finally:
            bot.stop()
            tg.close()


CALIBRATED: dict[str, dict[str, Any]] = {}  # per script, from its first configuration


def _phases(config: Config, args: argparse.Namespace, index: int, tg: TelegramSide,
            bot: Bot) -> list[Row]:
    common = {"webhook": bot.webhook, "secret": SECRET, "database_url": bot.database_url}
    for offset, script in enumerate(sorted({s for p in config.phases for s in p})):
        if script in CALIBRATED:  # the same conversation answers alike in every configuration
            tg.ask(cmd="expect", script=script, **CALIBRATED[script])
            continue
        _log(f"calibrating {script}")
        CALIBRATED[script] = tg.ask(cmd="calibrate", script=script,
                                    first_chat=9_000_000 + offset * 1000, **common)
    _log("calibrated")
    rows: list[Row] = []
    meter = CpuMeter()
    assert bot.process is not None
    meter.roots = [bot.process.pid]
    meter.start()  # what the bot burns doing nothing (sweepers, outbox polls), per second
    time.sleep(IDLE_WINDOW_S)
    idle_per_s = meter.stop() / IDLE_WINDOW_S
    for number, scripts in enumerate(config.phases):
        note: list[str] = []
        timer = None
        if config.kill:
            timer = threading.Timer(args.duration / 2, _kill, (bot, meter, note))
            timer.start()
        meter.start()
        _log(f"phase {'+'.join(scripts)}")
        figures = tg.ask(cmd="phase", scripts=list(scripts), users=args.users_per_phase,
                         rate=args.rate, think=args.think, timeout=args.turn_timeout,
                         first_chat=(index * 10 + number + 1) * 100_000, **common)
        cpu = meter.stop()
        if timer is not None:
            timer.join()
        rows.append(Row(config.name, "+".join(scripts), figures, cpu, idle_per_s,
                        sorted(meter.rss.values(), reverse=True)[:config.workers],
                        "; ".join(note)))
    return rows


def _log(text: str) -> None:
    if os.environ.get("BENCH_VERBOSE"):
        print(f"    {time.strftime('%H:%M:%S')} {text}", file=sys.stderr, flush=True)


def _kill(bot: Bot, meter: CpuMeter, note: list[str]) -> None:
    note.append(bot.kill_one(meter))


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values) or [0.0]
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def print_rows(rows: list[Row]) -> None:
    """Prints the table and the ratios to the floors."""
    print(f"\n{'configuration':<46}{'phase':<18}{'updates':>8}{'upd/s':>7}{'p50':>6}{'p95':>6}"
          f"{'p99':>6}{'CPU ms':>8}{'gross':>7}{'idle':>6}{'lost':>5}{'dup':>5}{'reord':>6}"
          f"{'redeliv':>8}  RSS MB")
    for row in rows:
        f = row.figures
        rate = f["updates"] / f["seconds"] if f["seconds"] else 0.0
        rss = "/".join(f"{r:.0f}" for r in row.rss_mb)
        print(f"{row.config:<46}{row.phase:<18}{f['updates']:>8}{rate:>7.1f}"
              f"{_pct(f['latencies'], 0.5):>6.0f}{_pct(f['latencies'], 0.95):>6.0f}"
              f"{_pct(f['latencies'], 0.99):>6.0f}{row.cpu_ms:>8.2f}{row.gross_ms:>7.2f}"
              f"{row.idle_cpu_per_s * 1000:>6.0f}{f['lost']:>5}"
              f"{f['duplicated']:>5}{f['reordered']:>6}{f['retries']:>8}  {rss}")
        if row.note:
            print(f"{'':<46}{row.note}")
    print("latency in ms (update sent → first answer seen at the fake). CPU ms per update of "
          "the bot's processes from /proc: net of its idle\nburn (idle = CPU ms per second "
          "with no traffic, measured before the phase); gross includes it.")
    _print_ratios(rows)


def _print_ratios(rows: list[Row]) -> None:
    floors = [r for r in rows if r.config.startswith("floor:")]
    ours = [r for r in rows if not r.config.startswith("floor:") and "+" not in r.phase]
    if not floors or not ours:
        return
    print("\nCPU per update as a multiple of each floor (same run, same fake):")
    print(f"{'':<46}{'phase':<14}" + "".join(f"{f.config[7:][:22]:>24}" for f in floors))
    for row in ours:
        ratios = "".join(f"{row.cpu_ms / max(f.cpu_ms, 1e-9):>23.1f}x" for f in floors)
        print(f"{row.config:<46}{row.phase:<14}{ratios}")
    for row in ours:
        if row.phase == "registration" and row.cpu_ms:
            print(f"{row.config}: {1000 / row.cpu_ms:.0f} registration updates/s per core "
                  f"→ {2400 * row.cpu_ms / 1000:.1f} cores for a 2,400 upd/s peak")


def main() -> None:
    """Parses arguments, runs the chosen configurations and prints the table."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, default=2.0, help="users arriving per second")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of arrivals")
    parser.add_argument("--users", type=int, default=None,
                        help="users per phase (then rate = users / duration)")
    parser.add_argument("--think", type=float, default=1.0, help="mean think time, seconds")
    parser.add_argument("--turn-timeout", type=float, default=30.0,
                        help="seconds without an answer before a turn counts as lost")
    parser.add_argument("--only", action="append", default=None,
                        help="run only configurations whose name contains this (repeatable)")
    args = parser.parse_args()
    if args.users is not None:
        args.rate = args.users / args.duration
    args.users_per_phase = max(1, round(args.rate * args.duration))
    chosen = [c for c in CONFIGS if not args.only or any(o in c.name for o in args.only)]
    print(f"open loop: {args.rate:.2f} users/s for {args.duration:.0f} s "
          f"({args.users_per_phase} users per phase), think {args.think:.1f} s")
    rows: list[Row] = []
    for index, config in enumerate(chosen):
        started = time.monotonic()
        found = run_config(config, args, index)
        rows.extend(found)
        print(f"  {config.name}: {time.monotonic() - started:.0f} s", flush=True)
    print_rows(rows)
    if rows:
        mean = statistics.mean(x for r in rows for x in r.figures["latencies"] or [0.0])
        print(f"\nmean reply latency over all runs: {mean * 1000:.0f} ms")


if __name__ == "__main__":
    main()
