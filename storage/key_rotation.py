"""Re-encrypting every sealed column with the newest data key, in committed batches.

Each batch is its own transaction, so a stopped run loses at most one batch and a rerun skips
what is already under the newest key. A value is only replaced if it is still the one read
(compare-and-set), so a concurrent writer is never overwritten. Lookups keep working throughout:
every configured key still decrypts, and the blind index has a key of its own.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import JSON, LargeBinary, String, Text, cast, column, func, select, table, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.sql.elements import ColumnClause, ColumnElement
from sqlalchemy.types import TypeEngine

from storage.crypto import PersonalDataCipher, seal_json

Form = Literal["text", "json", "bytes"]
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True, kw_only=True)
class SealedColumn:
    """A column holding Fernet tokens: as text, as a JSON string (SealedJSON), or as bytes."""

    table: str
    key: str
    column: str
    form: Form

    @property
    def label(self) -> str:
        """Returns "table.column", the name shown in the progress bar."""
        return f"{self.table}.{self.column}"


# Every sealed column of the schema; a new sealed column is added here so rotation covers it.
SEALED_COLUMNS = (
    SealedColumn(table="applicant", key="id", column="nik", form="text"),
    SealedColumn(table="applicant", key="id", column="kk_number", form="text"),
    SealedColumn(table="inbox_update", key="update_id", column="sealed", form="text"),
    SealedColumn(table="inbox_update", key="update_id", column="replies", form="text"),
    SealedColumn(table="outbox", key="id", column="payload", form="json"),
    SealedColumn(table="ktpblob", key="idempotency_key", column="ciphertext", form="bytes"),
)
_TYPES: dict[str, TypeEngine[Any]] = {"text": String(), "json": JSON(), "bytes": LargeBinary()}


@dataclass
class RotationTally:
    """How many values one run rewrote, found current already, or lost to a concurrent write."""

    rotated: int = 0
    current: int = 0
    raced: int = 0


def rotate_all(engine: Engine, cipher: PersonalDataCipher, *, batch_size: int = 500,
               progress: Progress | None = None) -> RotationTally:
    """Re-encrypts every sealed column with the cipher's newest key; returns the tally."""
    tally = RotationTally()
    for target in SEALED_COLUMNS:
        total = count_values(engine, target)
        done = 0
        for batch in _batches(engine, target, batch_size):
            with engine.begin() as connection:
                for key, raw in batch:
                    _rotate_one(connection, target, key, raw, cipher, tally)
            done += len(batch)
            if progress is not None:
                progress(target.label, done, total)
    return tally


def stale_counts(engine: Engine, cipher: PersonalDataCipher, *,
                 batch_size: int = 1000) -> dict[str, int]:
    """Returns, per sealed column, how many values are not yet under the newest key."""
    counts: dict[str, int] = {}
    for target in SEALED_COLUMNS:
        counts[target.label] = sum(
            1 for batch in _batches(engine, target, batch_size) for _key, raw in batch
            if _rotated(target, raw, cipher) is not None)
    return counts


def count_values(engine: Engine, target: SealedColumn) -> int:
    """Returns how many rows of the target have a value."""
    value: ColumnClause[Any] = column(target.column)
    with engine.connect() as connection:
        return int(connection.execute(
            select(func.count()).select_from(table(target.table, value))
            .where(value.is_not(None))).scalar_one())


def _batches(engine: Engine, target: SealedColumn,
             size: int) -> Iterator[list[tuple[Any, Any]]]:
    """Yields (key, raw value) rows in key order, one short read transaction per batch."""
    key: ColumnClause[Any] = column(target.key)
    value = _raw(target)
    clause = table(target.table, key, column(target.column))
    last: Any = None
    while True:
        query = select(key, value).select_from(clause).where(column(target.column).is_not(None))
        if last is not None:
            query = query.where(key > last)
        with engine.connect() as connection:
            rows = [(row[0], row[1]) for row in
                    connection.execute(query.order_by(key).limit(size)).all()]
        if not rows:
            return
        yield rows
        last = rows[-1][0]


def _raw(target: SealedColumn) -> ColumnElement[Any]:
    """Returns the column as stored: JSON read as its text so it can be compared back."""
    if target.form == "json":
        return cast(column(target.column, JSON()), Text())
    return column(target.column, _TYPES[target.form])


def _rotate_one(connection: Connection, target: SealedColumn, key: Any, raw: Any,
                cipher: PersonalDataCipher, tally: RotationTally) -> None:
    fresh = _rotated(target, raw, cipher)
    if fresh is None:
        tally.current += 1
        return
    stored: ColumnClause[Any] = column(target.column, _TYPES[target.form])
    result = connection.execute(
        update(table(target.table, column(target.key), stored))
        .where(column(target.key) == key, _raw(target) == raw)
        .values({target.column: fresh})
    )
    if result.rowcount == 1:
        tally.rotated += 1
    else:  # rewritten meanwhile, by a writer that already uses the newest key
        tally.raced += 1


def _rotated(target: SealedColumn, raw: Any, cipher: PersonalDataCipher) -> Any:
    """Returns the new stored value, or None when the value is already under the newest key."""
    if target.form == "bytes":
        token = bytes(raw)
        return None if cipher.is_current(token) else cipher.rotate(token)
    if target.form == "text":
        token = str(raw).encode()
        return None if cipher.is_current(token) else cipher.rotate(token).decode()
    value = json.loads(raw)
    if not isinstance(value, str):  # a payload written before payloads were sealed
        return seal_json(value, cipher)
    token = value.encode()
    return None if cipher.is_current(token) else cipher.rotate(token).decode()


def reindex_niks(connection: Connection, cipher: PersonalDataCipher) -> int:
    """Recomputes every applicant's NIK blind index with the cipher's index key; returns count."""
    applicant = table("applicant", column("id"), column("nik"), column("nik_index"))
    rows = connection.execute(select(applicant.c.id, applicant.c.nik)
                              .where(applicant.c.nik.is_not(None))).all()
    for row in rows:
        connection.execute(update(applicant).where(applicant.c.id == row.id)
                           .values(nik_index=cipher.blind_index(cipher.decrypt(row.nik))))
    return len(rows)
