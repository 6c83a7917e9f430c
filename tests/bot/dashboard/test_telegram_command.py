"""/dasbor through a real PTB Application against the fake Bot API, and the CLI link."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from fakes.bot_api import FakeBotApi
from sqlalchemy.engine import Engine
from support.dashboard_scenario import CITIZEN, PMO
from support.telegram_bot import running_bot
from typer.testing import CliRunner

from bot.cli_dashboard import dashboard_app
from bot.dashboard.auth import Signer, redeem_link_token
from bot.dashboard.pages import labels
from storage.settings import get_settings

LINK = re.compile(r"(http://\S+/masuk\?t=(\S+))")


@pytest_asyncio.fixture
async def api(sqlite_engine: Engine) -> AsyncIterator[FakeBotApi]:
    """Yields the fake Bot API with the bot polling it, built as `prakerja run` builds it."""
    async with FakeBotApi() as fake, running_bot(
        fake, sqlite_engine, pmo_telegram_ids=str(PMO), dashboard_secret="test-dashboard-secret",
    ):
        yield fake


async def test_pmo_gets_a_working_single_use_link(api: FakeBotApi, sqlite_engine: Engine) -> None:
    api.user_sends_text(PMO, "/dasbor")
    [answer] = await api.wait_for_bot_messages(PMO, 1)
    await api.wait_until_idle(quiet_for=0.2)

    match = LINK.search(answer.text or "")
    assert match is not None, answer.text
    signer, pmo = Signer(b"test-dashboard-secret"), frozenset({PMO})
    assert redeem_link_token(signer, sqlite_engine, match.group(2), pmo_ids=pmo) == PMO
    assert len(api.chat_log(PMO)) == 1  # the conversation never answered /dasbor itself


async def test_anyone_else_is_refused_without_a_link(api: FakeBotApi) -> None:
    api.user_sends_text(CITIZEN, "/dasbor")
    [answer] = await api.wait_for_bot_messages(CITIZEN, 1)
    await api.wait_until_idle(quiet_for=0.2)

    assert answer.text == labels()["telegram"]["not_pmo"]
    assert len(api.chat_log(CITIZEN)) == 1


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
