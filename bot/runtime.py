"""Wires settings, database and conversation together for the CLI commands."""

from __future__ import annotations

import logging

from sqlalchemy.engine import Engine

from bot.turns import TurnRunner
from flows.conversation import Conversation
from flows.faq_responder import FaqResponder
from nlu import build_parser, embedded_parser
from storage.db import make_engine
from storage.migrate import upgrade
from storage.settings import Settings, get_settings

LIBRARY_LOG_FLOORS = {
    "httpx": logging.WARNING,
    "httpcore": logging.WARNING,
    "telegram": logging.INFO,
    "sqlalchemy": logging.WARNING,
    "uvicorn.access": logging.WARNING,
}


def configure_logging(level: str) -> None:
    """Sets up plain logging with the chatty libraries capped, so no personal data gets out."""
    logging.basicConfig(
        level=level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger().setLevel(level.upper())  # basicConfig leaves it alone if set up before
    # httpx logs every URL (with the bot token); PTB logs whole updates at DEBUG (NIKs, phone
    # numbers); SQLAlchemy logs statement parameters at INFO. None of them may go below these.
    for name, floor in LIBRARY_LOG_FLOORS.items():
        logger = logging.getLogger(name)
        logger.setLevel(max(floor, logging.getLogger().level))


def prepare_database(settings: Settings) -> Engine:
    """Migrates the database to the newest schema and returns an engine for it."""
    upgrade(settings.database_url)
    return make_engine(settings.database_url, pool_recycle=settings.db_pool_recycle_seconds)


def build_runner(
    engine: Engine, *, channel: str, settings: Settings | None = None
) -> TurnRunner:
    """Returns a turn runner: the conversation for the channel, with NLU for free text."""
    settings = settings or get_settings()
    responder = FaqResponder(threshold=settings.nlu_confidence_threshold)
    conversation = Conversation(engine, channel=channel, free_text=responder,
                                max_message_length=settings.max_message_length)
    embedded_parser().parse_sync("halo")  # train or load the model now, not on the first message
    return TurnRunner(conversation, nlu=build_parser(settings),
                      photos_per_10min=settings.rate_limit_photos_per_10min)
