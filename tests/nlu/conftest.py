"""Shared fixtures: one embedded parser trained from the real data, and a hung Rasa server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from rasa_fakes import HungServer

from nlu.embedded import EmbeddedParser, load_or_train


@pytest.fixture(scope="session")
def model_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Returns a per-session cache directory for the embedded model."""
    return tmp_path_factory.mktemp("nlu-cache")


@pytest.fixture(scope="session")
def parser(model_cache_dir: Path) -> EmbeddedParser:
    """Returns a parser trained on nlu/nlu.yml (once per session)."""
    return EmbeddedParser(load_or_train(model_cache_dir))


@pytest.fixture
async def hung_server() -> AsyncIterator[tuple[HungServer, str]]:
    """Yields a running hung server and its URL."""
    server = HungServer()
    url = await server.start()
    yield server, url
    await server.stop()
