"""Pytest fixtures for the fake Bot API; enable with `pytest_plugins = ["fakes.fixtures"]`."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio

from fakes.bot_api import FakeBotApi


@pytest_asyncio.fixture
async def fake_bot_api() -> AsyncIterator[FakeBotApi]:
    """Returns a running FakeBotApi on a free 127.0.0.1 port, stopped after the test."""
    async with FakeBotApi() as api:
        yield api
