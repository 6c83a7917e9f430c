"""Personal data end to end: register, rotate the data key, erase, then read everything stored.

A whole registration runs through real python-telegram-bot (long polling, and webhook), the
data key is rotated with `prakerja keys rotate` and the old key removed, the one-NIK rule and
staff /cari are checked with the new key alone, the applicant erases their data, and then every
table and every file the process wrote is read raw: none of the NIK, password, email, phone,
one-time code, address or KTP bytes may be found in clear text.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet
from fakes.bot_api import FakeBotApi
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel
from support.applicant_data import ANSWERS, NIK, good_ktp_jpeg, latest_code
from support.keys import STAFF_ID, Keys
from support.keys import keys as keys_fixture
from support.telegram_bot import running_bot
from support.telegram_user import TelegramUser, texts
from test_telegram_registration import register_first_half, register_second_half
from test_webhook import deliver, webhook_server
from typer.testing import CliRunner

from actions.outbox.setup import build_worker
from bot.cli import app
from storage.settings import get_settings

OTHER_CHAT = 1902
DOMICILE = "Jl. Kenanga 5, Depok, Jawa Barat"
keys = keys_fixture


class WebhookUser(TelegramUser):
    """A user whose updates reach the bot through the webhook instead of getUpdates."""

    def __init__(self, api: FakeBotApi, chat_id: int, base: str) -> None:
        super().__init__(api, chat_id)
        self.base = base

    async def replies(self, update: dict[str, Any] | None = None,
                      timeout: float = 15.0) -> list:  # type: ignore[type-arg]  # noqa: ASYNC109
        """Posts the update to the webhook, then waits until the bot's answers stop coming."""
        if update is not None:
            assert await deliver(self.api, self.base, update) == 200
        deadline, count, quiet_since = time.monotonic() + timeout, -1, time.monotonic()
        while time.monotonic() < deadline:
            now_count = len(self.api.sent_messages(self.chat_id))
            if now_count != count:
                count, quiet_since = now_count, time.monotonic()
            elif count > self.seen and time.monotonic() - quiet_since > 0.3:
                break
            await asyncio.sleep(0.01)
        messages = self.api.sent_messages(self.chat_id)
        assert len(messages) > self.seen, f"no reply in chat {self.chat_id} within {timeout}s"
        new, self.seen = messages[self.seen:], len(messages)
        return new


Mode = Callable[[FakeBotApi, Engine], AbstractAsyncContextManager[Callable[[int], TelegramUser]]]


@asynccontextmanager
async def polling(api: FakeBotApi, engine: Engine) -> AsyncIterator[Callable[[int], TelegramUser]]:
    """Runs the bot by long polling; yields a factory of users."""
    async with running_bot(api, engine):
        yield lambda chat_id: TelegramUser(api, chat_id)


@asynccontextmanager
async def webhook(api: FakeBotApi, engine: Engine) -> AsyncIterator[Callable[[int], TelegramUser]]:
    """Runs the bot by webhook (with its in-process outbox worker); yields a factory of users."""
    async with webhook_server(api, engine) as base:
        yield lambda chat_id: WebhookUser(api, chat_id, base)


async def drain_outbox(engine: Engine) -> None:
    """Delivers every due outbox row with the current keys (local sinks under OUTBOX_DIR)."""
    async with httpx.AsyncClient() as client:
        await build_worker(engine, get_settings(), client).drain()


def rotate_keys(engine: Engine) -> str:
    """Runs `prakerja keys rotate` and `keys status` against the engine's database."""
    env = {"DATABASE_URL": engine.url.render_as_string(hide_password=False)}
    rotated = CliRunner().invoke(app, ["keys", "rotate", "--batch-size", "3"], env=env)
    assert rotated.exit_code == 0, rotated.output
    status = CliRunner().invoke(app, ["keys", "status"], env=env)
    assert status.exit_code == 0, status.output
    return rotated.output


INBOX = "inbox_update"


def dump_tables(engine: Engine, keep: Callable[[str], bool]) -> tuple[str, bytes]:
    """Returns every stored value of the kept tables, raw (as text, and bytes values joined)."""
    words: list[str] = []
    blobs: list[bytes] = []
    with engine.connect() as connection:
        for table in SQLModel.metadata.sorted_tables:
            if not keep(table.name):
                continue
            for row in connection.execute(text(f'SELECT * FROM "{table.name}"')):
                for value in row:
                    if isinstance(value, bytes | memoryview):
                        blobs.append(bytes(value))
                    words.append(str(value))
    return "\n".join(words), b"".join(blobs)


def dump_files(directory: Path) -> bytes:
    """Returns the bytes of every file under the directory."""
    return b"".join(path.read_bytes() for path in sorted(directory.rglob("*")) if path.is_file())


def sqlite_files(engine: Engine) -> bytes:
    """Returns the SQLite database file and its journal (erased rows must not linger in them)."""
    if engine.dialect.name != "sqlite" or not engine.url.database:
        return b""
    return dump_files(Path(engine.url.database).parent)


def secrets_of(engine: Engine, chat_id: int) -> dict[str, str]:
    """Returns what must not survive in clear text, the email code read before erasure."""
    return {
        "NIK": NIK, "password": ANSWERS["password"], "email": ANSWERS["email"],
        "phone": "81234567890", "email code": latest_code(engine, chat_id=chat_id, kind="email"),
        "address": ANSWERS["address"].split(",")[0], "domicile": DOMICILE.split(",")[0],
        "name": ANSWERS["full_name"],
    }


@pytest.mark.parametrize("mode", [polling, webhook], ids=["polling", "webhook"])
async def test_registration_rotation_and_erasure_leave_nothing_readable(
    mode: Mode, fake_bot_api: FakeBotApi, engine: Engine, keys: Keys, tmp_path: Path,
) -> None:
    async with mode(fake_bot_api, engine) as user_of:
        applicant = user_of(1901)
        await register_first_half(applicant, engine)
        await register_second_half(applicant)
    secrets = secrets_of(engine, 1901)

    keys.use(f"{keys.new},{keys.old}")
    assert "dienkripsi ulang" in rotate_keys(engine)
    keys.use(keys.new)  # the old key is gone: everything must open with the new one alone

    async with mode(fake_bot_api, engine) as user_of:
        other = user_of(OTHER_CHAT)
        await other.says("/daftar")
        await other.says("Budi Santoso")
        await other.says("budi@example.com")
        await other.says(latest_code(engine, chat_id=OTHER_CHAT, kind="email"))
        await other.says("RahasiaBudi2024")
        assert "Satu NIK hanya untuk satu akun" in texts(await other.says(NIK))
        found = await user_of(STAFF_ID).says(f"/cari {NIK}")
        assert "3273********0001" in texts(found) and NIK not in texts(found)
        await drain_outbox(engine)
        with engine.connect() as connection:
            statuses = connection.execute(text(
                "select status from outbox where chat_id = 1901 and kind = 'registration'"
            )).scalars().all()
        assert statuses == ["delivered"]  # the KTP image opened with the new key alone
        assert NIK.encode() in dump_files(tmp_path / "outbox")  # the dev sink writes clear text
        for person in (applicant.chat_id, OTHER_CHAT):
            user = user_of(person)
            user.seen = len(fake_bot_api.sent_messages(person))
            await user.says("/hapusdata")
            done = await user.presses("Ya, hapus data saya")
            assert "sudah dihapus" in texts(done)

    tables, blobs = dump_tables(engine, lambda name: name != INBOX)
    files = dump_files(tmp_path / "outbox")
    for label, secret in secrets.items():
        assert secret not in tables, f"{label} readable in a table after erasure"
        assert secret.encode() not in blobs + files, f"{label} readable in a file or blob"
    assert good_ktp_jpeg()[200:264] not in blobs + files
    with engine.connect() as connection:
        left = connection.execute(text("select count(*) from outbox where chat_id in (1901, 1902)"))
        assert left.scalar_one() == 0
    inbox, _ = dump_tables(engine, lambda name: name == INBOX)
    readable = [label for label, secret in secrets.items() if secret in inbox]
    # Processed payloads are dropped, the staff chat's "/cari <NIK>" update included.
    assert readable == [], f"readable in inbox_update: {readable}"
    database_files = sqlite_files(engine)
    for label, secret in secrets.items():
        assert secret.encode() not in database_files, f"{label} left in the SQLite file"


async def test_rows_are_sealed_with_the_newest_key_only_after_rotation(
    fake_bot_api: FakeBotApi, sqlite_engine: Engine, keys: Keys,
) -> None:
    async with polling(fake_bot_api, sqlite_engine) as user_of:
        await register_first_half(user_of(1903), sqlite_engine)
    keys.use(f"{keys.new},{keys.old}")
    rotate_keys(sqlite_engine)
    newest = Fernet(keys.new.encode())
    with sqlite_engine.connect() as connection:
        nik = connection.execute(text("select nik from applicant")).scalar_one()
        payloads = connection.execute(text("select payload from outbox")).scalars().all()
    assert newest.decrypt(nik.encode()).decode() == NIK
    assert payloads and all(newest.decrypt(p.strip('"').encode()) for p in payloads)


async def test_erasure_removes_the_chats_lines_from_local_sink_files(
    fake_bot_api: FakeBotApi, sqlite_engine: Engine, keys: Keys, tmp_path: Path,
) -> None:
    async with polling(fake_bot_api, sqlite_engine) as user_of:
        first, second = user_of(1904), user_of(1905)
        for user in (first, second):
            await user.says("/daftar")
            await user.says(ANSWERS["full_name"])
            await user.says(f"orang{user.chat_id}@example.com")
        await drain_outbox(sqlite_engine)
        sink = (tmp_path / "outbox" / "email.jsonl").read_text()
        assert "orang1904@" in sink and "orang1905@" in sink
        await first.says("/hapusdata")
        await first.presses("Ya, hapus data saya")
    sink = (tmp_path / "outbox" / "email.jsonl").read_text()
    assert "orang1904@" not in sink and "orang1905@" in sink
    with sqlite_engine.connect() as connection:
        kinds = connection.execute(text("select count(*) from outbox where chat_id = 1905"))
        assert kinds.scalar_one() >= 1
