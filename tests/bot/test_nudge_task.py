"""The bot process queues due reminders on its own, beside the outbox worker."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from support.conversation_driver import CHAT, register_until

from bot.outbox_task import OutboxWorkerTask
from flows.conversation import Conversation
from storage.db import session_scope
from storage.models import ConversationState, Outbox
from storage.settings import Settings

MORNING = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)  # 10.00 WIB: outside the quiet hours


async def test_reminders_are_queued_by_the_running_bot(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    register_until(Conversation(sqlite_engine, channel="console"), sqlite_engine, "birth_date")
    with session_scope(sqlite_engine) as session:
        state = session.get(ConversationState, CHAT)
        assert state is not None
        state.updated_at = MORNING - timedelta(hours=100)
        session.add(state)
    settings = Settings(outbox_dir=str(tmp_path / "outbox"), nudge_interval_seconds=0.05,
                        outbox_poll_seconds=0.05)
    task = OutboxWorkerTask(sqlite_engine, settings, clock=lambda: MORNING)
    task.start()
    try:
        for _ in range(100):
            with Session(sqlite_engine) as session:
                texts = [str(r.payload.get("text")) for r in session.exec(
                    select(Outbox).where(Outbox.kind == "telegram_message")).all()]
            if any("/daftar" in t for t in texts):
                break
            await asyncio.sleep(0.05)
    finally:
        await task.stop()
    assert any("Pendaftaran Kartu Prakerja Anda berhenti" in t for t in texts), texts
