"""/dasbor through a real PTB Application against the fake Bot API, and the CLI link."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from fakes.bot_api import FakeBotApi
from sqlalchemy.engine import Engine
from support.dashboard_scenario import CITIZEN, PMO, dashboard_settings
from telegram import Update
from telegram.ext import Application, ContextTypes, TypeHandler
from typer.testing import CliRunner

from bot.cli_dashboard import dashboard_app
from bot.dashboard.auth import Signer, redeem_link_token
from bot.dashboard.pages import labels
from bot.dashboard.telegram_command import register_dashboard_handler
from storage.settings import get_settings

LINK = re.compile(r"(http://\S+/masuk\?t=(\S+))")


@pytest_asyncio.fixture
async def running_bot() -> AsyncIterator[tuple[FakeBotApi, list[Update]]]:
    """Yields the fake and the updates that reached the conversation's catch-all handler."""
    reached: list[Update] = []

    async def conversation(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        reached.append(update)

    async with FakeBotApi() as api:
        app = (Application.builder().token(api.token).base_url(api.api_base_url)
               .base_file_url(api.file_base_url).build())
        app.add_handler(TypeHandler(Update, conversation))
        register_dashboard_handler(app, settings=dashboard_settings())
        async with app:
            await app.updater.start_polling(poll_interval=0, timeout=1)  # type: ignore[union-attr]
            await app.start()
            yield api, reached
            await app.updater.stop()  # type: ignore[union-attr]
            await app.stop()


async def test_pmo_gets_a_working_single_use_link(
    running_bot: tuple[FakeBotApi, list[Update]], sqlite_engine: Engine
) -> None:
    api, reached = running_bot

    api.user_sends_text(PMO, "/dasbor")
    [answer] = await api.wait_for_bot_messages(PMO, 1)

    match = LINK.search(answer.text or "")
    assert match is not None, answer.text
    signer, pmo = Signer(b"test-dashboard-secret"), frozenset({PMO})
    assert redeem_link_token(signer, sqlite_engine, match.group(2), pmo_ids=pmo) == PMO
    assert reached == []  # the conversation never saw /dasbor


async def test_anyone_else_is_refused_without_a_link(
    running_bot: tuple[FakeBotApi, list[Update]],
) -> None:
    api, reached = running_bot

    api.user_sends_text(CITIZEN, "/dasbor")
    [answer] = await api.wait_for_bot_messages(CITIZEN, 1)

    assert answer.text == labels()["telegram"]["not_pmo"]
    assert reached == []


def test_cli_prints_a_link_only_for_pmo_ids(
    monkeypatch: pytest.MonkeyPatch, sqlite_engine: Engine
) -> None:
    monkeypatch.setenv("PMO_TELEGRAM_IDS", str(PMO))
    monkeypatch.setenv("DASHBOARD_SECRET", "cli-secret")
    monkeypatch.setenv("DASHBOARD_PORT", "8123")
    get_settings.cache_clear()
    try:
        granted = CliRunner().invoke(dashboard_app, ["link", "--user", str(PMO)])
        denied = CliRunner().invoke(dashboard_app, ["link", "--user", str(CITIZEN)])
    finally:
        get_settings.cache_clear()

    assert granted.exit_code == 0, granted.output
    match = LINK.search(granted.output)
    assert match is not None and match.group(1).startswith("http://127.0.0.1:8123/masuk?t=")
    token = match.group(2)
    assert redeem_link_token(Signer(b"cli-secret"), sqlite_engine, token,
                             pmo_ids=frozenset({PMO})) == PMO
    assert denied.exit_code == 1 and "not in PMO_TELEGRAM_IDS" in denied.output
