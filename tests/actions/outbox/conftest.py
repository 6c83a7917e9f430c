"""Fixtures of the outbox tests: the reference platform on loopback and a vault with a test key."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest
from cryptography.fernet import Fernet
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from actions.ktp_vault import KtpVault
from actions.outbox import Worker
from actions.platform_server import Faults, PlatformStore, start_server
from storage.models import Applicant, Outbox


@dataclass
class Platform:
    """A running reference server: its URL, its fault knobs and its store (to count rows)."""

    url: str
    faults: Faults
    store: PlatformStore


@pytest.fixture
def vault() -> KtpVault:
    """Returns a vault with a fresh key."""
    return KtpVault([Fernet.generate_key().decode()])


@pytest.fixture
async def platform(tmp_path: Path) -> AsyncIterator[Platform]:
    """Yields the reference platform on 127.0.0.1 with no faults (tests turn them on)."""
    store = PlatformStore(f"sqlite:///{tmp_path / 'platform.db'}")
    faults = Faults(seed=7)
    runner, url = await start_server(store, faults)
    yield Platform(url=url, faults=faults, store=store)
    await runner.cleanup()
    store.close()


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    """Yields a client with a short timeout, as the worker uses."""
    async with httpx.AsyncClient(timeout=httpx.Timeout(2.0)) as client:
        yield client


@pytest.fixture
def no_settings_cache() -> Iterator[None]:
    """Clears the settings cache around a test that sets environment variables."""
    from storage.settings import get_settings

    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def applicant(chat_id: int, *, nik: str | None = None) -> Applicant:
    """Returns a completed (unsaved) applicant with a distinct valid-looking NIK."""
    return Applicant(
        chat_id=chat_id, full_name="Siti Nurhaliza", email=f"siti{chat_id}@example.com",
        nik=nik or f"32730145089{chat_id % 100000:05d}", birth_date=date(1990, 8, 5),
        gender="P", address="Jl. Merdeka No. 10, Kota Bandung", education="SMA",
        employment_status="Pencari kerja", phone="+6281234567890",
    )


async def settle(worker: Worker, engine: Engine, *, seconds: float = 10.0) -> None:
    """Runs the worker until none of its rows is pending or sending (retries fall due)."""
    deadline = asyncio.get_running_loop().time() + seconds
    while asyncio.get_running_loop().time() < deadline:
        await worker.run_once()
        with Session(engine) as session:
            open_rows = session.exec(
                select(Outbox).where(col(Outbox.status).in_(["pending", "sending"]),
                                    col(Outbox.kind).in_(worker.kinds))
            ).first()
        if open_rows is None:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("outbox did not settle in time")


@pytest.fixture
def helpers() -> SimpleNamespace:
    """Returns the shared helpers (test files are plain modules and cannot import each other)."""
    return SimpleNamespace(applicant=applicant, settle=settle)
