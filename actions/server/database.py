"""The database the actions use: DATABASE_URL by default, or an engine bound in-process."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from storage.db import make_engine
from storage.settings import get_settings

_bound: list[Engine] = []


def bind(engine: Engine) -> None:
    """Makes the actions use `engine` (the in-process bot and the tests share theirs)."""
    _bound[:] = [engine]


def engine() -> Engine:
    """Returns the bound engine, creating one from settings on first use."""
    if not _bound:
        _bound.append(make_engine(get_settings().database_url))
    return _bound[0]


def chat_id_of(sender_id: str | None) -> int | None:
    """Returns the chat id a Rasa sender id stands for ("telegram:42" or "42"), if any."""
    tail = (sender_id or "").rpartition(":")[2]
    return int(tail) if tail.lstrip("-").isdigit() else None
