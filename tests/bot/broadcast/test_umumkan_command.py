"""/umumkan driven through a real PTB Application against the fake Bot API."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio
from fakes.bot_api import FakeBotApi
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session
from telegram import Update
from telegram.ext import Application, ContextTypes, TypeHandler

from actions.subscriptions import subscribe
from bot.broadcast_commands import register_broadcast_handlers
from storage.db import session_scope
from storage.models_broadcast import Broadcast, BroadcastRecipient

PMO = 900001
CITIZEN = 900002
COMMAND = '/umumkan gelombang_dibuka all wave=13 "dates=3 Maret 2025"'


@pytest_asyncio.fixture
async def running_bot(
    sqlite_engine: Engine,
) -> AsyncIterator[tuple[FakeBotApi, list[Update]]]:
    """Yields the fake and the updates that reached the conversation's catch-all handler."""
    reached: list[Update] = []

    async def conversation(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        reached.append(update)

    with session_scope(sqlite_engine) as session:
        for chat_id in (1, 2, 3):
            subscribe(session=session, chat_id=chat_id)
    async with FakeBotApi() as api:
        app = (Application.builder().token(api.token).base_url(api.api_base_url)
               .base_file_url(api.file_base_url).build())
        app.add_handler(TypeHandler(Update, conversation))
        register_broadcast_handlers(app, engine=sqlite_engine, pmo_ids=frozenset({PMO}))
        async with app:
            await app.updater.start_polling(poll_interval=0, timeout=1)  # type: ignore[union-attr]
            await app.start()
            yield api, reached
            await app.updater.stop()  # type: ignore[union-attr]
            await app.stop()


async def test_pmo_sees_a_preview_and_only_the_confirm_button_starts_sending(
    running_bot: tuple[FakeBotApi, list[Update]], sqlite_engine: Engine
) -> None:
    api, reached = running_bot

    api.user_sends_text(PMO, COMMAND)
    [preview] = await api.wait_for_bot_messages(PMO, 1)
    with Session(sqlite_engine) as session:
        [draft] = session.scalars(select(Broadcast)).all()
        listed_before = session.scalars(select(BroadcastRecipient)).all()
    api.user_presses_button(PMO, f"bc:ok:{draft.id}", message_id=preview.message_id)
    [started] = await api.wait_for_bot_messages(PMO, 1)
    await api.wait_until_idle(quiet_for=0.05)

    assert "Pratinjau" in (preview.text or "")
    assert "Gelombang 13</b> dibuka 3 Maret 2025" in (preview.text or "")
    assert "3 penerima" in (preview.text or "")
    assert preview.reply_markup is not None
    assert (draft.status, listed_before) == ("draft", [])
    assert "mulai dikirim ke 3 penerima" in (started.text or "")
    with Session(sqlite_engine) as session:
        broadcast = session.get(Broadcast, draft.id)
        assert broadcast is not None
        assert (broadcast.status, broadcast.total, broadcast.created_by) == (
            "running", 3, f"telegram:{PMO}")
    assert reached == []  # the conversation never saw /umumkan or the button
    assert api.chat_log(PMO)[0].reply_markup is None  # buttons removed after the press


async def test_cancel_drops_the_draft(
    running_bot: tuple[FakeBotApi, list[Update]], sqlite_engine: Engine
) -> None:
    api, _ = running_bot

    api.user_sends_text(PMO, COMMAND)
    [preview] = await api.wait_for_bot_messages(PMO, 1)
    with Session(sqlite_engine) as session:
        [draft] = session.scalars(select(Broadcast)).all()
    api.user_presses_button(PMO, f"bc:no:{draft.id}", message_id=preview.message_id)
    [answer] = await api.wait_for_bot_messages(PMO, 1)

    assert "dibatalkan" in (answer.text or "")
    with Session(sqlite_engine) as session:
        assert session.scalars(select(Broadcast)).all() == []


async def test_non_pmo_user_is_refused_and_nothing_is_created(
    running_bot: tuple[FakeBotApi, list[Update]], sqlite_engine: Engine
) -> None:
    api, reached = running_bot

    api.user_sends_text(CITIZEN, COMMAND)
    [answer] = await api.wait_for_bot_messages(CITIZEN, 1)

    assert "hanya untuk petugas pengelola program" in (answer.text or "")
    assert reached == []
    with Session(sqlite_engine) as session:
        assert session.scalars(select(Broadcast)).all() == []


async def test_bad_request_is_explained_without_creating_anything(
    running_bot: tuple[FakeBotApi, list[Update]], sqlite_engine: Engine
) -> None:
    api, _ = running_bot

    api.user_sends_text(PMO, "/umumkan gelombang_dibuka all wave=13")
    [answer] = await api.wait_for_bot_messages(PMO, 1)

    assert "dates" in (answer.text or "")
    with Session(sqlite_engine) as session:
        assert session.scalars(select(Broadcast)).all() == []
