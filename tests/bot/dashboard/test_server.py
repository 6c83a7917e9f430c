"""The dashboard beside the bot: its own uvicorn thread, the URL printed, off when disabled."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy.engine import Engine
from support.dashboard_scenario import dashboard_settings

from bot.dashboard.server import start_beside_bot


def test_starts_on_its_own_thread_and_prints_where(
    sqlite_engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    server = start_beside_bot(sqlite_engine, dashboard_settings())
    assert server is not None
    try:
        url = f"http://127.0.0.1:{server.port}"
        health = httpx.get(f"{url}/healthz")
        locked = httpx.get(f"{url}/funnel")
    finally:
        server.stop()

    assert capsys.readouterr().out.startswith(f"Dasbor PMO: {url}/ ")
    assert (health.status_code, locked.status_code) == (200, 403)
    assert not server._thread.is_alive()


def test_stays_off_when_disabled(sqlite_engine: Engine) -> None:
    settings = dashboard_settings().model_copy(update={"dashboard_enabled": False})

    assert start_beside_bot(sqlite_engine, settings) is None


def test_a_taken_port_does_not_stop_the_bot(sqlite_engine: Engine) -> None:
    first = start_beside_bot(sqlite_engine, dashboard_settings())
    assert first is not None
    try:
        settings = dashboard_settings().model_copy(update={"dashboard_port": first.port})
        assert start_beside_bot(sqlite_engine, settings) is None
    finally:
        first.stop()
