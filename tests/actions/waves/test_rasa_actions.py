"""The actions as a rasa_sdk server sees them: webhook JSON through rasa_sdk's ActionExecutor."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

import pytest
from rasa_sdk.executor import ActionExecutor
from sqlalchemy import select
from sqlalchemy.engine import Engine
from waves_builders import CLOSES, OPENS

from actions.lottery import commitment, run_lottery
from actions.server import ACTION_NAMES, database
from actions.waves import announce_wave, close_wave, create_wave, open_wave
from storage.db import session_scope
from storage.models import Applicant
from storage.models_staff import HANDOFF
from storage.models_waves import AgencyListEntry, BasicTestAttempt

NOW = datetime(2021, 2, 25, 9, 0, tzinfo=UTC)
TAG = re.compile(r"</?[a-z]+[^>]*>")


def webhook(action: str, sender: str, slots: dict[str, Any] | None = None) -> dict[str, Any]:
    """Returns the JSON Rasa posts to an action server's /webhook."""
    return {
        "next_action": action, "sender_id": sender, "version": "3.21.0",
        "domain": {"version": "3.1", "slots": {}, "responses": {}, "actions": [action]},
        "tracker": {
            "sender_id": sender, "slots": slots or {}, "latest_message": {
                "text": "hasil saya?", "intent": {"name": "check_result", "confidence": 0.9},
                "entities": []},
            "events": [], "paused": False, "followup_action": None, "active_loop": {},
            "latest_action_name": "action_listen",
        },
    }


@pytest.fixture
def executor(engine: Engine) -> ActionExecutor:
    database.bind(engine)
    found = ActionExecutor()
    found.register_package("actions.server")
    return found


async def call(executor: ActionExecutor, action: str, sender: str,
               slots: dict[str, Any] | None = None) -> dict[str, Any]:
    result = await executor.run(webhook(action, sender, slots))
    assert result is not None
    dumped: dict[str, Any] = result.model_dump()
    return dumped


def slots_of(response: dict[str, Any]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in response["events"] if e["event"] == "slot"}


def populate(engine: Engine) -> None:
    with session_scope(engine) as session:
        wave = create_wave(session=session, number=13, quota=1, opens_at=OPENS, closes_at=CLOSES)
        open_wave(session=session, number=13, seed_commitment=commitment("s"))
        for chat, nik in ((10, "3273014508900001"), (11, "3273014508900002")):
            session.add(Applicant(chat_id=chat, nik=nik, birth_date=date(1990, 8, 5),
                                  registration_completed_at=NOW))
            session.add(BasicTestAttempt(chat_id=chat, started_at=NOW, deadline_at=NOW,
                                         passed=True, score=9, max_score=10))
        session.add(AgencyListEntry(nik=3273014508900002, source=1))  # DIKTI
        assert wave.id is not None


async def test_lists_the_declared_actions(executor: ActionExecutor) -> None:
    names = {action.name for action in executor.list_actions()}
    assert names == ACTION_NAMES
    assert names == {"action_check_result", "action_rejection_reason",
                     "action_registration_status", "action_check_nik", "action_join_wave",
                     "action_human_handoff"}


def assert_channel_neutral(response: dict[str, Any]) -> None:
    """Checks a reply is plain text with Rasa buttons: no Telegram HTML, no escaped entities."""
    for message in response["responses"]:
        assert message["text"]
        assert not TAG.search(message["text"]), message["text"]
        assert "&amp;" not in message["text"] and "&lt;" not in message["text"]
        for button in message["buttons"]:
            assert set(button) == {"title", "payload"} and button["payload"].startswith("/")


async def test_join_then_result_and_reason(executor: ActionExecutor, engine: Engine) -> None:
    populate(engine)
    joined = await call(executor, "action_join_wave", "10")
    assert slots_of(joined) == {"join_outcome": "joined"}
    assert "Gelombang 13" in joined["responses"][0]["text"]
    assert_channel_neutral(joined)
    assert [b["payload"] for b in joined["responses"][0]["buttons"]] == ["/check_result"]
    assert slots_of(await call(executor, "action_join_wave", "telegram:11")) == {
        "join_outcome": "joined"}
    pending = await call(executor, "action_check_result", "10")
    assert slots_of(pending)["result_status"] == "pending"
    with session_scope(engine) as session:
        close_wave(session=session, number=13)
    run_lottery(engine, wave_number=13, seed="s")
    with session_scope(engine) as session:
        announce_wave(session=session, number=13)
    assert slots_of(await call(executor, "action_check_result", "10")) == {
        "result_status": "selected", "wave_number": 13}
    reason = await call(executor, "action_rejection_reason", "11")
    assert slots_of(reason) == {"rejection_reasons": ["DIKTI"]}
    assert "PDDikti" in reason["responses"][0]["text"]
    assert_channel_neutral(reason)
    not_selected = await call(executor, "action_check_result", "11")
    assert not_selected["responses"][0]["buttons"] == [
        {"title": "Alasan tidak lolos", "payload": "/rejection_reason"}]
    status = await call(executor, "action_registration_status", "11")
    assert slots_of(status) == {"registration_complete": True}
    assert "lulus" in status["responses"][0]["text"]
    assert_channel_neutral(status)


async def test_check_nik_from_slot(executor: ActionExecutor) -> None:
    good = await call(executor, "action_check_nik", "5", {"nik": "3273014508900001"})
    assert slots_of(good) == {"nik_valid": True} and "Bandung" in good["responses"][0]["text"]
    assert_channel_neutral(good)
    bad = await call(executor, "action_check_nik", "5", {"nik": "12345"})
    assert slots_of(bad) == {"nik_valid": False} and bad["responses"][0]["text"]


async def test_unknown_sender_is_told_to_register(executor: ActionExecutor) -> None:
    response = await call(executor, "action_join_wave", "77")
    assert slots_of(response) == {"join_outcome": "not_registered"}


async def test_unknown_sender_gets_plain_text_for_result_and_reason(
    executor: ActionExecutor,
) -> None:
    for action in ("action_check_result", "action_rejection_reason"):
        response = await call(executor, action, "user-3f2a")  # e.g. `rasa shell`'s sender id
        assert_channel_neutral(response)
        assert "belum kami temukan" in response["responses"][0]["text"]


async def test_handoff_opens_a_ticket_for_a_telegram_sender(
    executor: ActionExecutor, engine: Engine,
) -> None:
    first = await call(executor, "action_human_handoff", "telegram:12")
    again = await call(executor, "action_human_handoff", "telegram:12")
    assert_channel_neutral(first)
    with session_scope(engine) as session:
        tickets = session.execute(select(HANDOFF).where(HANDOFF.c.chat_id == 12)).all()
    assert len(tickets) == 1  # asking twice keeps one open ticket
    assert f"#{tickets[0].id}" in first["responses"][0]["text"]
    assert f"#{tickets[0].id}" in again["responses"][0]["text"]


async def test_handoff_without_a_chat_gives_the_contact_center(executor: ActionExecutor) -> None:
    response = await call(executor, "action_human_handoff", "web-visitor")
    assert "0800 1503 001" in response["responses"][0]["text"]
