"""Email and SMS rows: sealed whole in the database, the address only masked beside it."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from support.keys import Keys
from support.keys import keys as keys_fixture

from actions.destinations import HttpEmailApi, HttpSmsGateway, JsonlSink, Message, Outcome
from actions.outbox import Worker
from actions.outbox.claim import claim_due
from actions.outbox.setup import build_destinations
from actions.senders import OutboxEmailSender, OutboxSmsSender
from storage.db import session_scope
from storage.models import utcnow
from storage.repositories import delete_personal_data
from storage.settings import Settings

keys = keys_fixture
EMAIL, PHONE, CODE = "siti.nur@example.com", "+6281234567890", "482913"


async def test_rows_are_sealed_and_the_clients_still_reach_the_address(engine: Engine) -> None:
    with session_scope(engine) as session:
        OutboxEmailSender().send_email(session, chat_id=5, to=EMAIL, subject="Kode",
                                       body=f"Kode Anda {CODE}")
        OutboxSmsSender().send_sms(session, chat_id=5, to=PHONE, body=f"Kode {CODE}")
    with engine.connect() as connection:
        stored = connection.execute(text("select destination, payload from outbox")).all()
    for destination, payload in stored:
        for clear in (EMAIL, PHONE, "81234567890", CODE, "Kode"):
            assert clear not in f"{destination} {payload}"
    assert sorted(d for d, _ in stored) == ["+62812****7890", "si******@example.com"]
    now = utcnow()
    with session_scope(engine) as session:
        rows = claim_due(session, kinds=["email", "sms"], limit=5, now=now, lease_until=now)
    seen: list[dict] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(json.loads(request.content))
        return httpx.Response(202)

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
        for row in sorted(rows, key=lambda r: r.kind):
            client = (HttpEmailApi(http, base_url="http://mail") if row.kind == "email"
                      else HttpSmsGateway(http, base_url="http://sms"))
            await client.deliver(Message(
                outbox_id=row.outbox_id, idempotency_key=row.idempotency_key, kind=row.kind,
                chat_id=row.chat_id, destination=row.destination, payload=row.payload,
                attempt=row.attempts))
    assert seen == [{"to": EMAIL, "subject": "Kode", "text": f"Kode Anda {CODE}"},
                    {"to": PHONE, "text": f"Kode {CODE}"}]


async def test_local_sinks_warn_at_start_up_that_they_write_clear_text(
    caplog: pytest.LogCaptureFixture, tmp_path: Path,
) -> None:
    caplog.set_level(logging.WARNING)
    async with httpx.AsyncClient() as http:
        build_destinations(Settings(outbox_dir=str(tmp_path), email_api_url="http://mail"), http)
    warned = [r.getMessage() for r in caplog.records if "CLEAR TEXT" in r.getMessage()]
    assert any("sms.jsonl" in line and "development" in line for line in warned)
    assert not any("email.jsonl" in line for line in warned)  # a real email API is configured


ERASING_CHAT = 6


class EraseWhileSending:
    """A local sink during whose delivery the person erases their data (a /hapusdata race)."""

    def __init__(self, engine: Engine, sink: JsonlSink) -> None:
        self.engine, self.sink = engine, sink

    async def deliver(self, message: Message) -> Outcome:
        """Lets chat 6 erase its data just before its line is written (another process)."""
        if message.chat_id == ERASING_CHAT:
            with session_scope(self.engine) as session:
                delete_personal_data(session=session, chat_id=ERASING_CHAT)
        return await self.sink.deliver(message)


async def test_a_line_written_while_the_person_erased_is_removed_again(
    sqlite_engine: Engine, keys: Keys, tmp_path: Path,
) -> None:
    sink = JsonlSink(tmp_path / "outbox" / "email.jsonl", fields=("body",))
    with session_scope(sqlite_engine) as session:
        OutboxEmailSender().send_email(session, chat_id=ERASING_CHAT, to=EMAIL, subject="Kode",
                                       body=f"Kode Anda {CODE}")
        OutboxEmailSender().send_email(session, chat_id=7, to="lain@example.com",
                                       subject="Kode", body="Kode Anda 111111")
    worker = Worker(sqlite_engine, {"email": EraseWhileSending(sqlite_engine, sink)})
    assert await worker.drain() == 2
    lines = sink.path.read_text()
    assert CODE not in lines and EMAIL not in lines
    assert "lain@example.com" in lines  # another chat's line stays
