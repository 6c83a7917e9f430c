"""Wires settings, database and conversation together for the CLI commands."""

from __future__ import annotations

import logging

from sqlalchemy.engine import Engine

from bot.turns import TurnRunner
from flows.conversation import Conversation
from storage.db import make_engine
from storage.migrate import upgrade
from storage.settings import Settings


def configure_logging(level: str) -> None:
    """Sets up plain logging; httpx is kept quiet because it logs every URL (with the token)."""
    logging.basicConfig(
        level=level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)


def prepare_database(settings: Settings) -> Engine:
    """Migrates the database to the newest schema and returns an engine for it."""
    upgrade(settings.database_url)
    return make_engine(settings.database_url)


def build_runner(engine: Engine, *, channel: str) -> TurnRunner:
    """Returns a turn runner over a conversation for the given channel."""
    return TurnRunner(Conversation(engine, channel=channel))
