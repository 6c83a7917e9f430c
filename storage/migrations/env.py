"""Alembic environment: runs migrations against the URL set by storage.migrate."""

from __future__ import annotations

from alembic import context
from sqlalchemy import engine_from_config, pool
from sqlmodel import SQLModel

from storage import (
    models,
    models_broadcast,
    models_inbox,
    models_nudges,
    models_outbox,
    models_staff,
    models_waves,
)

# Importing the model modules registers their tables on SQLModel.metadata.
REGISTERED = (models, models_broadcast, models_inbox, models_nudges, models_outbox, models_staff,
              models_waves)

target_metadata = SQLModel.metadata


def run_migrations_online() -> None:
    """Runs migrations on a live connection."""
    connectable = context.config.attributes.get("connection")
    if connectable is None:
        engine = engine_from_config(
            context.config.get_section(context.config.config_ini_section, {}),
            prefix="sqlalchemy.",
            poolclass=pool.NullPool,
        )
        with engine.connect() as connection:
            _run(connection)
    else:
        _run(connectable)


def _run(connection: object) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite needs batch mode to alter tables
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
