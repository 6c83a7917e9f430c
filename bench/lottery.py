"""Benchmark of draw day end to end: `python -m bench.lottery --help`.

A generator process writes N applicant NIKs and M agency-list NIKs (CSV, 13 sources, ~10 % of
them belonging to applicants); the applications are loaded into one open wave (untimed). A worker
process then runs, timed: the list imports through the real importer, the close (freeze), the
draw and the kit publication. Per step it prints wall seconds, rows/s, the worker's CPU seconds
and its PostgreSQL backend's CPU seconds (both read from /proc), beside a floor measured in the
same run: a raw binary COPY of as many int8 rows into an unindexed table.
`--small` runs 20 k applicants × 200 k list rows in a few seconds.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import text
from sqlalchemy.engine import Engine

PG_BASE = "postgresql://postgres@127.0.0.1:5432/test"
# Share of list rows per source (Dapodik and bansos lists are the big ones).
WEIGHTS = np.array([30, 10, 8, 8, 25, 4, 1, 1, 0.2, 1, 0.1, 6, 5.7])
TICKS = os.sysconf("SC_CLK_TCK")
VERIFIER = Path(__file__).resolve().parents[1] / "tools" / "verify_draw.py"


def _niks(rng: np.random.Generator, count: int) -> np.ndarray:
    """Returns distinct 16-digit NIK-shaped numbers (province 11–94 first)."""
    raw = np.unique(rng.integers(0, 84 * 10**14 // 97, size=count + count // 50 + 10))
    return rng.permutation(11 * 10**14 + raw[:count] * 97).astype(np.int64)


def generate(folder: Path, applicants: int, rows: int) -> None:
    """Writes applicants.npy and one CSV per source (the load generator, in its own process)."""
    from storage.models_waves import LIST_SOURCES

    rng = np.random.default_rng(2021)
    niks = _niks(rng, applicants)
    np.save(folder / "applicants.npy", niks)
    overlap = rng.choice(niks, size=min(rows // 10, applicants * 15 // 100), replace=False)
    everyone = np.concatenate([overlap, _niks(rng, rows - len(overlap)) + 1])
    rng.shuffle(everyone)
    shares = np.floor(WEIGHTS / WEIGHTS.sum() * rows).astype(int)
    shares[0] += rows - shares.sum()
    start = 0
    for source, share in zip(LIST_SOURCES, shares, strict=True):
        with (folder / f"{source}.csv").open("w") as handle:
            handle.write("nik\n")
            for chunk in np.array_split(everyone[start : start + share], max(1, share // 10**6)):
                handle.write("\n".join(map(str, chunk.tolist())) + "\n")
        start += share


def load_applications(url: str, niks: np.ndarray, quota: int, seed: str) -> None:
    """Creates and opens wave 1 and copies the applications in (1 % share a KK in threes)."""
    from actions.draw import commitment
    from actions.pg_copy import copy_in_binary
    from actions.waves import create_wave, open_wave
    from storage.db import make_engine, session_scope
    from storage.models_waves import WaveApplication
    from storage.nik_keys import nik_keys

    engine = make_engine(url)
    with session_scope(engine) as session:
        wave = create_wave(session=session, number=1, quota=quota,
                           opens_at=datetime(2021, 2, 24, tzinfo=UTC),
                           closes_at=datetime(2021, 2, 26, 5, tzinfo=UTC))
        open_wave(session=session, number=1, seed_commitment=commitment(seed))
        count = len(niks)
        kk = np.where(np.arange(count) % 100 == 0, np.arange(count) // 300 + 1, 0)
        columns = {"wave_id": np.full(count, wave.id, dtype=np.int64),
                   "chat_id": np.arange(1, count + 1, dtype=np.int64), "nik_key": nik_keys(niks),
                   "kk_key": kk.astype(np.int64)}
        table = WaveApplication.__table__  # type: ignore[attr-defined]
        connection = session.connection()
        if connection.dialect.name == "postgresql":
            connection.execute(text("CREATE TEMP TABLE bench_app (wave_id int8, chat_id int8, "
                                    "nik_key int8, kk_key int8) ON COMMIT DROP"))
            copy_in_binary(connection, "bench_app", columns)
            connection.execute(text(
                "INSERT INTO waveapplication (wave_id, chat_id, nik_key, kk_key, birth_date, "
                "joined_at) SELECT wave_id, chat_id, nik_key, kk_key, CASE WHEN chat_id % 50 = 0 "
                "THEN DATE '2006-01-01' ELSE DATE '1990-01-01' END, now() FROM bench_app"))
        else:
            values = zip(*(array.tolist() for array in columns.values()), strict=True)
            connection.execute(table.insert(), [
                dict(zip(columns, row, strict=True), birth_date=datetime(1990, 1, 1).date(),
                     joined_at=datetime(2021, 2, 25, tzinfo=UTC)) for row in values])
    engine.dispose()


def _cpu(pid: int) -> float:
    """Returns user + system CPU seconds of a process, from /proc (0 when unreadable)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS


class Meter:
    """Times one step: wall seconds, this process's CPU and its PostgreSQL backend's CPU."""

    def __init__(self, engine: Engine) -> None:
        self.backend = 0
        if engine.dialect.name == "postgresql":
            with engine.connect() as connection:
                self.backend = int(connection.execute(text("SELECT pg_backend_pid()")).scalar_one())

    def measure(self, step: Callable[[], Any]) -> tuple[Any, float, float, float]:
        """Runs `step`; returns its value, wall, own CPU and backend CPU seconds."""
        started, own, backend = time.perf_counter(), _cpu(os.getpid()), _cpu(self.backend)
        value = step()
        return (value, time.perf_counter() - started, _cpu(os.getpid()) - own,
                _cpu(self.backend) - backend)


def copy_floors(engine: Engine, rows: int) -> tuple[float, float]:
    """Returns rows/s of a raw binary COPY of int8 values: into a temp table, into a logged one."""
    from actions.pg_copy import copy_in_binary

    values, rates = np.arange(rows, dtype=np.int64), []
    for create in ("CREATE TEMP TABLE bench_floor (v int8)", "CREATE TABLE bench_floor (v int8)"):
        with engine.begin() as connection:
            if connection.dialect.name != "postgresql":
                return 0.0, 0.0
            connection.execute(text(create))
            started = time.perf_counter()
            copy_in_binary(connection, "bench_floor", {"v": values})
            rates.append(rows / (time.perf_counter() - started))
            connection.execute(text("DROP TABLE bench_floor"))
    return rates[0], rates[1]


def worker(url: str, folder: Path, seed: str, beacon: str, list_rows: int, out: Any) -> None:
    """Runs the timed steps in their own process and sends one line per step."""
    from actions.agency_lists import import_list
    from actions.draw_kit import publish_kit
    from actions.lottery import run_lottery
    from actions.waves import close_wave
    from storage.db import make_engine, session_scope

    engine = make_engine(url)
    meter = Meter(engine)
    files = sorted(folder.glob("*.csv"))

    def imports() -> int:
        return sum(import_list(engine, source=p.stem, path=p).rows_read for p in files)

    def close() -> int:
        with session_scope(engine) as session:
            close_wave(session=session, number=1)
        return 0

    steps: list[tuple[str, Callable[[], Any]]] = [
        ("lists import", imports), ("close + freeze", close),
        ("draw", lambda: run_lottery(engine, wave_number=1, seed=seed, beacon=beacon,
                                     beacon_source="bench").applicants),
        ("publish kit", lambda: publish_kit(engine, wave_number=1, path=folder / "kit.csv")),
    ]
    for name, step in steps:
        out.send((name, *meter.measure(step)))
    out.send(("floor", copy_floors(engine, max(1, min(list_rows, 20_000_000))), 0, 0, 0))
    out.close()


def _database(kind: str, folder: Path) -> tuple[str, str | None]:
    from storage.db import make_engine

    if kind == "sqlite":
        return f"sqlite:///{folder / 'bench.db'}", None
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    with make_engine(PG_BASE).begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    return f"{PG_BASE}?options=-csearch_path%3D{schema}", schema


def run(url: str, folder: Path, applicants: int, list_rows: int, quota: int,
        kit_verify: bool) -> None:
    """Generates, loads, runs the timed worker and prints the figures."""
    from storage.migrate import upgrade

    upgrade(url)
    context = multiprocessing.get_context("spawn")
    started = time.perf_counter()
    generator = context.Process(target=generate, args=(folder, applicants, list_rows))
    generator.start()
    generator.join()
    seed, beacon = os.urandom(32).hex(), os.urandom(32).hex()
    load_applications(url, np.load(folder / "applicants.npy"), quota, seed)
    print(f"setup (untimed): {applicants:,} applicants, {list_rows:,} list rows generated and "
          f"applications loaded in {time.perf_counter() - started:.1f} s", flush=True)
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=worker, args=(url, folder, seed, beacon, list_rows, send))
    child.start()
    send.close()
    _report(receive, applicants, list_rows)
    child.join()
    if kit_verify:
        _verify_kit(folder / "kit.csv")


def _report(receive: Any, applicants: int, list_rows: int) -> None:
    total = 0.0
    while True:
        try:
            name, value, wall, cpu, backend = receive.recv()
        except EOFError:
            break
        if name == "floor":
            temp, logged = value
            print(f"floor: raw binary COPY of int8 rows into an unindexed table: temp (no WAL) "
                  f"{temp:,.0f} rows/s, logged {logged:,.0f} rows/s" if temp else "floor: n/a")
            continue
        total += wall
        units = list_rows if name == "lists import" else applicants
        print(f"{name:<15} {wall:7.1f} s  {units / wall:>12,.0f} rows/s  worker CPU {cpu:6.1f} s"
              f"  PostgreSQL backend CPU {backend:6.1f} s  ({value:,})", flush=True)
    print(f"end to end (import + close + draw + publish): {total:.1f} s (target < 180 s)")


def _verify_kit(kit: Path) -> None:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-I", str(VERIFIER), str(kit)], capture_output=True,
                          text=True, check=False)
    print(f"kit verifier (pure Python, own process): exit {done.returncode} in "
          f"{time.perf_counter() - started:.1f} s: {done.stdout.strip()[-160:]}")


def main() -> None:
    """Parses the arguments and runs the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--applicants", type=int, default=5_000_000)
    parser.add_argument("--list-rows", type=int, default=50_000_000)
    parser.add_argument("--quota", type=int, default=None, help="default: applicants × 0.16")
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="postgres")
    parser.add_argument("--small", action="store_true", help="20 k applicants, 200 k rows")
    parser.add_argument("--kit-verify", action="store_true",
                        help="also run tools/verify_draw.py on the kit (slow at 5 M)")
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL schema")
    args = parser.parse_args()
    if args.small:
        args.applicants, args.list_rows = 20_000, 200_000
    quota = args.quota or max(1, args.applicants * 16 // 100)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        url, schema = _database(args.db, folder)
        if schema and args.keep:
            print(f"schema kept: {schema}")
        try:
            run(url, folder, args.applicants, args.list_rows, quota, args.kit_verify)
        finally:
            if schema and not args.keep:
                from storage.db import make_engine

                with make_engine(PG_BASE).begin() as connection:
                    connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


if __name__ == "__main__":
    main()
