"""Benchmark of the agency list import and the draw: `python -m bench.lottery --help`.

Generates N applicants (one closed wave) and M agency-list NIKs spread over the 13 sources,
about 10 % of them belonging to applicants; imports the lists through the real CSV importer,
then runs the selection in a fresh process and prints rows/s, seconds and the peak RSS.
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from sqlalchemy import text

from actions.agency_lists import import_list
from actions.lottery import commitment, run_lottery
from actions.pg_copy import copy_in_binary
from actions.waves import close_wave, create_wave, open_wave
from storage.db import make_engine, session_scope
from storage.migrate import upgrade
from storage.models_waves import LIST_SOURCES

PG_BASE = "postgresql://postgres@127.0.0.1:5432/test"
SEED = "bench-seed"
# Share of list rows per source (Dapodik and bansos lists are the big ones).
WEIGHTS = np.array([30, 10, 8, 8, 25, 4, 1, 1, 0.2, 1, 0.1, 6, 5.7])


def _niks(rng: np.random.Generator, count: int) -> np.ndarray:
    """Returns distinct 16-digit NIK-shaped numbers (province 11–94 first)."""
    raw = np.unique(rng.integers(0, 84 * 10**14 // 97, size=count + count // 50 + 10))
    return rng.permutation(11 * 10**14 + raw[:count] * 97).astype(np.int64)


def _write_lists(rng: np.random.Generator, applicants: np.ndarray, rows: int,
                 folder: Path) -> dict[str, Path]:
    # About 15 % of applicants are on some list (students, bansos, ASN, …).
    overlap = rng.choice(applicants, size=min(rows // 10, len(applicants) * 15 // 100),
                         replace=False)
    outsiders = _niks(rng, rows - len(overlap)) + 1  # +1: never equal to an applicant NIK
    everyone = np.concatenate([overlap, outsiders])
    rng.shuffle(everyone)
    shares = np.floor(WEIGHTS / WEIGHTS.sum() * rows).astype(int)
    shares[0] += rows - shares.sum()
    files, start = {}, 0
    for source, share in zip(LIST_SOURCES, shares, strict=True):
        path = folder / f"{source.lower()}.csv"
        with path.open("w") as handle:
            handle.write("nik\n")
            for chunk in np.array_split(everyone[start : start + share], max(1, share // 10**6)):
                handle.write("\n".join(map(str, chunk.tolist())) + "\n")
        files[source], start = path, start + share
    return files


def _load_applications(url: str, niks: np.ndarray, quota: int) -> None:
    engine = make_engine(url)
    closes = datetime(2021, 2, 26, 5, tzinfo=UTC)
    with session_scope(engine) as session:
        wave = create_wave(session=session, number=1, quota=quota,
                           opens_at=datetime(2021, 2, 24, tzinfo=UTC), closes_at=closes)
        open_wave(session=session, number=1, seed_commitment=commitment(SEED))
        connection = session.connection()
        if connection.dialect.name == "postgresql":
            connection.execute(text("CREATE TEMP TABLE bench_nik (nik bigint) ON COMMIT DROP"))
            copy_in_binary(connection, "bench_nik", {"nik": niks})
            connection.execute(text(
                "INSERT INTO waveapplication (wave_id, chat_id, nik, birth_date, joined_at) "
                "SELECT :w, row_number() OVER (), nik, CASE WHEN nik % 50 = 0 "
                "THEN DATE '2006-01-01' ELSE DATE '1990-01-01' END, now() FROM bench_nik"),
                {"w": wave.id})
        else:
            rows = [{"w": wave.id, "c": chat, "n": n,
                     "b": "2006-01-01" if n % 50 == 0 else "1990-01-01"}
                    for chat, n in enumerate(niks.tolist(), start=1)]
            connection.execute(text(
                "INSERT INTO waveapplication (wave_id, chat_id, nik, birth_date, joined_at) "
                "VALUES (:w, :c, :n, :b, '2021-02-25 00:00:00.000000')"), rows)
        close_wave(session=session, number=1)
    engine.dispose()


def _select(url: str, queue: multiprocessing.Queue[tuple[float, int, int]]) -> None:
    engine = make_engine(url)
    started = time.perf_counter()
    outcome = run_lottery(engine, wave_number=1, seed=SEED)
    queue.put((time.perf_counter() - started, outcome.selected, outcome.applicants))


def _database(kind: str, folder: Path) -> tuple[str, str | None]:
    if kind == "sqlite":
        return f"sqlite:///{folder / 'bench.db'}", None
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    with make_engine(PG_BASE).begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    return f"{PG_BASE}?options=-csearch_path%3D{schema}", schema


def main() -> None:
    """Runs the benchmark and prints its figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--applicants", type=int, default=200_000)
    parser.add_argument("--list-rows", type=int, default=2_000_000)
    parser.add_argument("--quota", type=int, default=None, help="default: applicants × 0.16")
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL schema")
    args = parser.parse_args()
    quota = args.quota or max(1, args.applicants * 16 // 100)
    rng = np.random.default_rng(2021)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        url, schema = _database(args.db, folder)
        try:
            _run(url, folder, rng, args.applicants, args.list_rows, quota)
        finally:
            if schema and not args.keep:
                with make_engine(PG_BASE).begin() as connection:
                    connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


def _run(url: str, folder: Path, rng: np.random.Generator, applicants: int, list_rows: int,
         quota: int) -> None:
    upgrade(url)
    started = time.perf_counter()
    niks = _niks(rng, applicants)
    files = _write_lists(rng, niks, list_rows, folder)
    print(f"generated {applicants:,} applicants, {list_rows:,} list rows "
          f"in {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    _load_applications(url, niks, quota)
    print(f"applications loaded in {time.perf_counter() - started:.1f} s")
    engine, started, total = make_engine(url), time.perf_counter(), 0
    for source, path in files.items():
        total += import_list(engine, source=source, path=path).rows_read
    seconds = time.perf_counter() - started
    print(f"lists imported: {total:,} rows in {seconds:.1f} s = {total / seconds:,.0f} rows/s")
    context = multiprocessing.get_context("spawn")
    queue: multiprocessing.Queue[tuple[float, int, int]] = context.Queue()
    child = context.Process(target=_select, args=(url, queue))
    child.start()
    took, selected, counted = queue.get()
    child.join()
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"selection: {selected:,} of {counted:,} selected (quota {quota:,}) in {took:.1f} s; "
          f"peak RSS of the selecting process {peak_mb:,.0f} MB")


if __name__ == "__main__":
    main()
