"""Engine and sessions for SQLite (default) or PostgreSQL (DATABASE_URL)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, create_engine


def normalise_url(url: str) -> str:
    """Returns the URL with the psycopg 3 driver named, so plain postgresql:// URLs work."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url.removeprefix("postgres://")
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


def is_sqlite(url: str) -> bool:
    """Tells whether the URL points at SQLite."""
    return url.startswith("sqlite")


def make_engine(url: str, *, pool_recycle: int = 300) -> Engine:
    """Builds an engine; SQLite gets WAL and a busy timeout so threads can share the file."""
    url = normalise_url(url)
    if is_sqlite(url):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    # No ping per checkout (a round trip on every transaction): connections are replaced after
    # pool_recycle seconds instead, and a dead one fails its transaction, which is retried.
    return create_engine(url, pool_size=10, max_overflow=10, pool_recycle=pool_recycle,
                         pool_use_lifo=True)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers proceed while one writer commits; the bot reads on every update.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    # Erased rows are overwritten with zeros, not left readable in free pages of the file.
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """Yields a session that commits on success and rolls back on any error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
