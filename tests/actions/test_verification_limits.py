"""Code limits per address (from any chat) and for everyone, keyed by a blind index."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

from sqlalchemy import text
from sqlalchemy.engine import Engine
from support.conversation_driver import Clock, said
from support.conversation_driver import text as type_text

from actions.verification import CodeCheck, CodeLimits, check_code, issue_code
from flows.conversation import Conversation
from flows.messages import Incoming
from storage.db import session_scope
from storage.models import VerificationCode

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
EMAIL = "korban@example.com"


def issue(engine: Engine, chat_id: int, target: str, limits: CodeLimits, at: datetime) -> str:
    with session_scope(engine) as session:
        issued = issue_code(session, chat_id=chat_id, purpose="email", target=target, now=at,
                            limits=limits)
    return "sent" if issued.code else issued.limit or "cooldown"


def test_many_chats_cannot_flood_one_address(engine: Engine) -> None:
    limits = CodeLimits(per_address=3, per_purpose=100)
    outcomes = [issue(engine, chat, EMAIL, limits, NOW + timedelta(minutes=chat))
                for chat in range(1, 6)]
    assert outcomes == ["sent", "sent", "sent", "address", "address"]
    assert issue(engine, 9, " Korban@Example.COM ", limits, NOW + timedelta(minutes=9)) == "address"
    assert issue(engine, 9, "lain@example.com", limits, NOW + timedelta(minutes=9)) == "sent"
    assert issue(engine, 10, EMAIL, limits, NOW + timedelta(minutes=61)) == "sent"  # hour later


def test_global_cap_stops_every_address(engine: Engine) -> None:
    limits = CodeLimits(per_address=5, per_purpose=2)
    outcomes = [issue(engine, chat, f"orang{chat}@example.com", limits, NOW)
                for chat in range(1, 4)]
    assert outcomes == ["sent", "sent", "global"]


def test_the_address_is_stored_only_as_a_blind_index(engine: Engine) -> None:
    issue(engine, 1, EMAIL, CodeLimits(per_address=3, per_purpose=100), NOW)
    with engine.connect() as connection:
        target = connection.execute(text("select target from verificationcode")).scalar_one()
    assert "korban" not in target and len(target) == 64


def test_the_applicant_is_told_clearly_in_indonesian(engine: Engine, monkeypatch) -> None:
    from storage.settings import get_settings

    monkeypatch.setenv("CODES_PER_ADDRESS_PER_HOUR", "1")
    get_settings.cache_clear()
    try:
        conversation = Conversation(engine, channel="console", clock=Clock())
        replies = []
        for chat in (31, 32):
            type_text(conversation, "/daftar", chat)
            type_text(conversation, "Siti Nurhaliza", chat)
            replies.append(said(conversation.handle(chat, Incoming(kind="text", text=EMAIL))))
    finally:
        get_settings.cache_clear()
    assert "kode 6 angka" in replies[0]
    assert "sudah menerima banyak kode" in replies[1] and "tetap tersimpan" in replies[1]


def test_code_digest_is_keyed_and_older_digests_still_match(engine: Engine) -> None:
    with session_scope(engine) as session:
        issued = issue_code(session, chat_id=1, purpose="email", target=EMAIL, now=NOW)
    with engine.connect() as connection:
        stored = connection.execute(text("select code_hash from verificationcode")).scalar_one()
    assert issued.code is not None
    salt = stored.removeprefix("k1$").split("$", 1)[0]
    assert hashlib.sha256((salt + issued.code).encode()).hexdigest() not in stored
    with session_scope(engine) as session:
        assert check_code(session, chat_id=1, purpose="email", typed=issued.code,
                          now=NOW) == CodeCheck.OK
        legacy = "ab12$" + hashlib.sha256(b"ab12" + b"135790").hexdigest()
        session.add(VerificationCode(chat_id=2, purpose="email", target="t", code_hash=legacy,
                                     created_at=NOW, expires_at=NOW + timedelta(minutes=10)))
    with session_scope(engine) as session:
        assert check_code(session, chat_id=2, purpose="email", typed="135790",
                          now=NOW) == CodeCheck.OK
