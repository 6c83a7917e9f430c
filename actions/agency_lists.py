"""Imports agency NIK lists (CSV, NIK in the first column) as a new version per source.

The file is parsed in blocks with numpy (first field, optional quotes, 16 digits, no leading
zero), each NIK becomes its blind index (storage.nik_keys, vectorised), and the distinct sorted
keys are written as a new import: PostgreSQL binary COPY, SQLite executemany. The previous
version of the source is deleted in the same transaction; waves already closed keep their
frozen snapshot. A file identical to the source's last import is skipped. A file that is mostly
invalid, or much smaller than the version in force, is refused unless `replace` is given; a file
without one valid NIK is always refused, so a list is never replaced by an empty one.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
from numpy.lib.stride_tricks import sliding_window_view
from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session, col, select

from actions.pg_copy import analyze, copy_in_binary
from storage.models_waves import LIST_SOURCES, AgencyListEntry, AgencyListImport
from storage.nik_keys import nik_keys

logger = logging.getLogger(__name__)

BLOCK = 1 << 23
STORE_CHUNK = 1_000_000
MAX_INVALID_SHARE = 0.10  # above this the file is probably not a NIK list (wrong column, …)
MIN_SIZE_SHARE = 0.50  # below this share of the list in force, a partial export is likely
DIGITS = 16
# Callback per step: (stage "read" or "store", amount done since the last call, stage total).
Progress = Callable[[str, int, int], None]


class ImportRefused(ValueError):
    """A list file that would wrongly replace the list in force."""


@dataclass(frozen=True, slots=True)
class ImportReport:
    """What one import did."""

    source: str
    rows_read: int
    rows_stored: int
    rows_invalid: int
    skipped: bool
    seconds: float
    rows_before: int = 0

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


def _blocks(path: Path) -> Iterator[bytes]:
    """Yields the file in blocks that end at a line end."""
    rest = b""
    with path.open("rb") as handle:
        while block := handle.read(BLOCK):
            cut = block.rfind(b"\n") + 1
            if cut == 0:
                rest += block
                continue
            yield rest + block[:cut]
            rest = block[cut:]
    if rest:
        yield rest + b"\n"


def parse_block(block: bytes) -> tuple[npt.NDArray[np.int64], int]:
    """Returns the valid NIKs of a block of whole lines and the number of non-empty lines."""
    data = np.frombuffer(block, dtype=np.uint8)
    ends = np.flatnonzero(data == ord("\n"))
    if not len(ends):
        return np.zeros(0, dtype=np.int64), 0
    starts = np.r_[0, ends[:-1] + 1]
    ends = ends - (data[np.maximum(ends - 1, 0)] == ord("\r")) * (ends > starts)
    lines = ends > starts
    starts, ends = starts[lines], ends[lines]
    commas = np.flatnonzero(data == ord(","))
    first = np.searchsorted(commas, starts)
    comma = np.append(commas, len(data))[first]
    stops = np.where(comma < ends, comma, ends)
    quoted = (data[starts] == ord('"')) & (data[np.maximum(stops - 1, 0)] == ord('"')) & (
        stops - starts >= 2)
    starts, stops = starts + quoted, stops - quoted
    candidate = np.flatnonzero(stops - starts == DIGITS)
    if not len(candidate):
        return np.zeros(0, dtype=np.int64), int(lines.sum())
    # Rows of a sliding 16-byte window: one index per field instead of sixteen.
    fields = sliding_window_view(data, DIGITS)[starts[candidate]]  # (n, 16), contiguous
    words = fields.view("<u8")  # two 8-character words per field, first character lowest
    valid = _all_digits(words[:, 0]) & _all_digits(words[:, 1]) & (fields[:, 0] != ord("0"))
    high, low = _eight_digits(words[valid, 0]), _eight_digits(words[valid, 1])
    return (high * np.uint64(10**8) + low).view(np.int64), int(lines.sum())


def _all_digits(words: npt.NDArray[np.uint64]) -> npt.NDArray[np.bool_]:
    """Tells which 8-byte words are eight ASCII digits (SWAR test, as in simdjson)."""
    high = np.uint64(0xF0F0F0F0F0F0F0F0)
    shifted = ((words + np.uint64(0x0606060606060606)) & high) >> np.uint64(4)
    result: npt.NDArray[np.bool_] = ((words & high) | shifted) == np.uint64(0x3333333333333333)
    return result


def _eight_digits(words: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    """Returns the value of eight ASCII digits per word (SWAR multiply-shift, as in simdjson)."""
    value = ((words & np.uint64(0x0F0F0F0F0F0F0F0F)) * np.uint64(2561)) >> np.uint64(8)
    value = ((value & np.uint64(0x00FF00FF00FF00FF)) * np.uint64(6553601)) >> np.uint64(16)
    result: npt.NDArray[np.uint64] = (
        (value & np.uint64(0x0000FFFF0000FFFF)) * np.uint64(42949672960001)) >> np.uint64(32)
    return result


def _read(path: Path, progress: Progress) -> tuple[npt.NDArray[np.int64], int, int]:
    """Returns the sorted distinct blind indexes of the file's NIKs, lines read, invalid lines."""
    parts, read, valid = [], 0, 0
    total = path.stat().st_size
    for block in _blocks(path):
        niks, lines = parse_block(block)
        parts.append(nik_keys(niks))
        read, valid = read + lines, valid + len(niks)
        progress("read", len(block), total)
    keys = np.sort(np.concatenate(parts)) if parts else np.zeros(0, dtype=np.int64)
    keys = keys[np.r_[True, keys[1:] != keys[:-1]]] if len(keys) else keys  # distinct
    return keys, read, read - valid


def _check(name: str, read: int, invalid: int, stored: int, before: int, replace: bool) -> None:
    """Raises ImportRefused for a file that would empty or silently shrink the list."""
    if stored == 0:
        raise ImportRefused(f"{name}: tidak ada satu pun NIK valid; daftar lama tetap berlaku")
    if replace:
        return
    if invalid - 1 > read * MAX_INVALID_SHARE:  # one invalid line: the header
        raise ImportRefused(f"{name}: {invalid} dari {read} baris tidak valid; periksa berkasnya "
                            "atau pakai --replace bila memang benar")
    if stored < before * MIN_SIZE_SHARE:
        raise ImportRefused(f"{name}: {stored} NIK, padahal daftar yang berlaku {before} NIK; "
                            "pakai --replace bila daftar memang menyusut")


def import_list(
    engine: Engine, *, source: str, path: Path, progress: Progress | None = None,
    replace: bool = False,
) -> ImportReport:
    """Makes the NIKs of `path` the version in force of `source`, or refuses (ImportRefused)."""
    name = source.upper()
    if name not in LIST_SOURCES:
        raise ValueError(f"sumber tidak dikenal: {source} (pilihan: {', '.join(LIST_SOURCES)})")
    started, sha, report = time.perf_counter(), file_sha256(path), progress or _quiet
    with Session(engine) as session, session.begin():
        last = session.exec(select(AgencyListImport).where(col(AgencyListImport.source) == name)
                            .order_by(col(AgencyListImport.id).desc())).first()
        if last is not None and last.file_sha256 == sha:
            return ImportReport(name, last.rows_read, last.rows_stored, last.rows_invalid,
                                True, time.perf_counter() - started, last.rows_stored)
        keys, read, invalid = _read(path, report)
        before = last.rows_stored if last is not None else 0
        _check(name, read, invalid, len(keys), before, replace)
        record = AgencyListImport(source=name, file_sha256=sha, rows_read=read,
                                  rows_stored=len(keys), rows_invalid=invalid)
        session.add(record)
        session.flush()
        _store(session.connection(), record.id or 0, keys, report)
        if last is not None:
            session.connection().execute(text(
                "DELETE FROM agencylistentry WHERE import_id = :old"), {"old": last.id})
        analyze(session.connection(), "agencylistentry")
    logger.info("list %s imported: %s rows read, %s stored", name, read, len(keys))
    return ImportReport(name, read, len(keys), invalid, False, time.perf_counter() - started,
                        before)


def _quiet(_stage: str, _done: int, _total: int) -> None:
    """Ignores progress."""


def _store(connection: Connection, import_id: int, keys: npt.NDArray[np.int64],
           progress: Progress) -> None:
    """Writes the keys of one import in chunks (sorted, so the primary key grows at its end)."""
    cursor = None
    if connection.dialect.name != "postgresql":
        cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    for start in range(0, len(keys), STORE_CHUNK):
        chunk = keys[start : start + STORE_CHUNK]
        if cursor is None:
            copy_in_binary(connection, AgencyListEntry.__table__,  # type: ignore[attr-defined]
                           {"import_id": np.full(len(chunk), import_id, dtype=np.int64),
                            "nik_key": chunk})
        else:
            cursor.executemany("INSERT INTO agencylistentry (import_id, nik_key) VALUES (?, ?)",
                               [(import_id, key) for key in chunk.tolist()])
        progress("store", len(chunk), len(keys))
    if cursor is not None:
        cursor.close()
