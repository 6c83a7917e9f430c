"""PostgreSQL binary COPY to and from numpy arrays, for the millions-of-rows paths.

Every field is fixed-width and NOT NULL, so a whole COPY stream is one numpy structured array:
per row an int16 field count, then per field an int32 length and the big-endian value.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import numpy.typing as npt
import psycopg
from sqlalchemy import BigInteger, Boolean, Integer, SmallInteger, Table, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

SIGNATURE = b"PGCOPY\n\xff\r\n\x00"
HEADER = SIGNATURE + b"\x00\x00\x00\x00" + b"\x00\x00\x00\x00"
TRAILER = b"\xff\xff"
WIRE_TYPES = {BigInteger: ">i8", SmallInteger: ">i2", Integer: ">i4", Boolean: "u1"}
COPY_CHUNK = 1_000_000


def _driver(connection: Connection) -> Any:
    return connection.connection.driver_connection


def _wire_dtype(fields: list[tuple[str, str]]) -> np.dtype[Any]:
    layout: list[tuple[str, str]] = [("_count", ">i2")]
    for name, wire in fields:
        layout += [(f"_len_{name}", ">i4"), (name, wire)]
    return np.dtype(layout)


def copy_out_binary(
    connection: Connection, sql: str, params: Mapping[str, Any], dtype: np.dtype[Any]
) -> npt.NDArray[Any]:
    """Runs `sql` (all columns cast to bigint) through COPY TO and returns a structured array."""
    names = dtype.names or ()
    casts = ", ".join(f"q.{index}::int8" for index in range(len(names)))
    aliased = ", ".join(f"c{index}" for index in range(len(names)))
    bound = text(sql).bindparams(**params).compile(
        dialect=connection.dialect, compile_kwargs={"literal_binds": True})
    statement = (f"COPY (SELECT {casts.replace('q.', 'q.c')} FROM ({bound}) AS q({aliased})) "
                 "TO STDOUT (FORMAT binary)")
    buffer = bytearray()
    with _driver(connection).cursor() as cursor, cursor.copy(statement) as copy:
        for block in copy:
            buffer += block
    wire = _wire_dtype([(name, ">i8") for name in names])
    count = (len(buffer) - len(HEADER) - len(TRAILER)) // wire.itemsize
    body = np.frombuffer(buffer, dtype=wire, count=count, offset=len(HEADER))  # no copy
    result = np.empty(len(body), dtype=dtype)
    for name in names:
        result[name] = body[name]
    return result


def copy_in_binary(
    connection: Connection, table: str | Table, columns: Mapping[str, npt.NDArray[Any]]
) -> None:
    """Writes equal-length arrays into `table` through COPY FROM in binary format."""
    target = table if isinstance(table, Table) else None
    name = table.name if isinstance(table, Table) else table
    fields = [(column, _wire_of(target, column, array)) for column, array in columns.items()]
    wire = _wire_dtype(fields)
    total = len(next(iter(columns.values())))
    statement = f"COPY {name} ({', '.join(columns)}) FROM STDIN (FORMAT binary)"
    try:
        with _driver(connection).cursor() as cursor, cursor.copy(statement) as copy:
            copy.write(HEADER)
            for start in range(0, total, COPY_CHUNK):
                copy.write(_wire_rows(columns, fields, wire, start, total).tobytes())
            copy.write(TRAILER)
    except psycopg.IntegrityError as error:  # same exception as the SQLAlchemy paths raise
        raise IntegrityError(statement, None, error) from error


def _wire_rows(
    columns: Mapping[str, npt.NDArray[Any]], fields: list[tuple[str, str]],
    wire: np.dtype[Any], start: int, total: int,
) -> npt.NDArray[Any]:
    stop = min(start + COPY_CHUNK, total)
    rows = np.empty(stop - start, dtype=wire)
    rows["_count"] = len(fields)
    for column, wire_type in fields:
        rows[f"_len_{column}"] = np.dtype(wire_type).itemsize
        rows[column] = columns[column][start:stop]
    return rows


def _wire_of(table: Table | None, column: str, array: npt.NDArray[Any]) -> str:
    if table is not None:
        kind = type(table.c[column].type)
        for sql_type, wire in WIRE_TYPES.items():
            if issubclass(kind, sql_type):
                return wire
    return "u1" if array.dtype == np.bool_ else ">i8"


def query_array(
    connection: Connection, sql: str, params: Mapping[str, Any], dtype: np.dtype[Any]
) -> npt.NDArray[Any]:
    """Returns the integer rows of `sql` as a structured array: COPY on PostgreSQL, else fetch."""
    if connection.dialect.name == "postgresql":
        return copy_out_binary(connection, sql, params, dtype)
    rows = connection.execute(text(sql), params).fetchall()
    return np.array([tuple(row) for row in rows], dtype=dtype)


def analyze(connection: Connection, *tables: str) -> None:
    """Refreshes PostgreSQL's statistics after a bulk load, so the next plan fits the new size."""
    if connection.dialect.name == "postgresql":
        for table in tables:
            connection.execute(text(f"ANALYZE {table}"))


def insert_arrays(connection: Connection, table: Table, columns: Mapping[str, npt.NDArray[Any]]
                  ) -> None:
    """Inserts equal-length arrays as rows: binary COPY on PostgreSQL, executemany elsewhere."""
    if connection.dialect.name == "postgresql":
        copy_in_binary(connection, table, columns)
        return
    names = list(columns)
    values = zip(*(array.tolist() for array in columns.values()), strict=True)
    rows = [dict(zip(names, row, strict=True)) for row in values]
    if rows:
        connection.execute(table.insert(), rows)
