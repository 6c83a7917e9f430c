"""Imports agency NIK lists (CSV, NIK in the first column) as a snapshot per source.

An import replaces the source's previous snapshot in one transaction, so re-importing the same
file is idempotent and a NIK removed at the agency (e.g. a graduate leaving Dapodik) stops
counting. A file identical to the source's last import is skipped without touching the table.
Lines are parsed in batches (NIK = first CSV field, 16 digits, no leading zero). PostgreSQL:
each batch goes through binary COPY into a temporary table, moved with one sorted
INSERT … SELECT DISTINCT. SQLite: executemany of each batch inside the one transaction.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session, col, select

from actions.pg_copy import copy_in_binary
from storage.models_waves import LIST_SOURCES, AgencyListImport, source_code

logger = logging.getLogger(__name__)

BLOCK = 1 << 20
BATCH = 100_000
Progress = Callable[[int], None]


@dataclass(frozen=True, slots=True)
class ImportReport:
    """What one import did."""

    source: str
    rows_read: int
    rows_stored: int
    rows_invalid: int
    skipped: bool
    seconds: float

    @property
    def rows_per_second(self) -> float:
        """Returns the read rate."""
        return self.rows_read / self.seconds if self.seconds else 0.0


def file_sha256(path: Path) -> str:
    """Returns the SHA-256 of a file, read in blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(BLOCK):
            digest.update(block)
    return digest.hexdigest()


def import_list(
    engine: Engine, *, source: str, path: Path, progress: Progress | None = None
) -> ImportReport:
    """Replaces `source`'s snapshot with the NIKs of `path`; `progress` gets bytes read."""
    name = source.upper()
    if name not in LIST_SOURCES:
        raise ValueError(f"sumber tidak dikenal: {source} (pilihan: {', '.join(LIST_SOURCES)})")
    started, sha = time.perf_counter(), file_sha256(path)
    with Session(engine) as session, session.begin():
        last = session.exec(select(AgencyListImport).where(col(AgencyListImport.source) == name)
                            .order_by(col(AgencyListImport.id).desc())).first()
        if last is not None and last.file_sha256 == sha:
            return ImportReport(name, last.rows_read, last.rows_stored, last.rows_invalid,
                                True, time.perf_counter() - started)
        connection = session.connection()
        connection.execute(text("DELETE FROM agencylistentry WHERE source = :s"),
                           {"s": source_code(name)})
        load = _load_postgres if connection.dialect.name == "postgresql" else _load_sqlite
        read, invalid = load(connection, source_code(name), path, progress or (lambda _n: None))
        stored = int(connection.execute(text(
            "SELECT COUNT(*) FROM agencylistentry WHERE source = :s"),
            {"s": source_code(name)}).scalar_one())
        session.add(AgencyListImport(source=name, file_sha256=sha, rows_read=read,
                                     rows_stored=stored, rows_invalid=invalid))
    logger.info("list %s imported: %s rows read, %s stored", name, read, stored)
    return ImportReport(name, read, stored, invalid, False, time.perf_counter() - started)


def _load_postgres(connection: Connection, code: int, path: Path,
                   progress: Progress) -> tuple[int, int]:
    connection.execute(text("CREATE TEMP TABLE list_staging (nik bigint) ON COMMIT DROP"))
    read = invalid = 0
    for batch, lines, bad, size in _parsed_batches(path, code):
        read, invalid = read + lines, invalid + bad
        niks = np.fromiter((nik for nik, _source in batch), dtype=np.int64, count=len(batch))
        copy_in_binary(connection, "list_staging", {"nik": niks})
        progress(size)
    # Sorted and deduplicated, so the primary key is filled in key order rather than at random.
    connection.execute(text("INSERT INTO agencylistentry (nik, source) "
                            "SELECT DISTINCT nik, :code FROM list_staging ORDER BY nik"),
                       {"code": code})
    connection.execute(text("DROP TABLE list_staging"))
    return read, invalid


def _load_sqlite(connection: Connection, code: int, path: Path,
                 progress: Progress) -> tuple[int, int]:
    read = invalid = 0
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    for batch, lines, bad, size in _parsed_batches(path, code):
        read, invalid = read + lines, invalid + bad
        cursor.executemany("INSERT OR IGNORE INTO agencylistentry (nik, source) VALUES (?, ?)",
                           batch)
        progress(size)
    cursor.close()
    return read, invalid


def _parsed_batches(path: Path, code: int) -> Iterator[tuple[list[tuple[int, int]], int, int, int]]:
    """Yields (rows, lines read, invalid lines, bytes) per batch of lines."""
    with path.open("rb") as handle:
        while lines := handle.readlines(BLOCK * 8):
            fields = [line.split(b",", 1)[0].strip(b"\" \r\n\t") for line in lines]
            good = [field for field in fields if len(field) == 16 and field.isdigit()
                    and field[:1] != b"0"]
            rows = [(int(field), code) for field in good]
            yield rows, len(lines), len(lines) - len(good), sum(map(len, lines))
