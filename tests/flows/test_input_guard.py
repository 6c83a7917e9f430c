"""Any text at any step gets a reply, never a database error, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine
from support.applicant_data import ANSWERS
from support.conversation_driver import Clock, applicant, register_until, said, step_of, text

from flows.conversation import Conversation
from flows.input_guard import clean, field_limit
from flows.messages import Incoming
from storage.db import session_scope
from storage.models import ConversationState

CHAT = 77
HOSTILE = st.one_of(
    st.text(max_size=40),
    st.text(min_size=100, max_size=420),
    st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x9F), max_size=60),
    st.builds(lambda head, tail: f"{head}\x00{tail}", st.text(max_size=20), st.text(max_size=20)),
    st.sampled_from(["/cari " + "9" * 200, "/start\x00", "3273014508900001\x00",
                     "\ud800", "a" * 1001, " " * 301]),
)


def test_clean_removes_controls_and_keeps_lines() -> None:
    assert clean("Jl. Merdeka\x00 1\x07\nRT 2\ud800") == "Jl. Merdeka 1\nRT 2"
    assert field_limit("address") == 300 and field_limit("full_name") == 100
    assert field_limit("summary") is None


def test_nul_in_an_address_gives_the_same_answer_on_every_database(engine: Engine) -> None:
    conversation = Conversation(engine, channel="console", clock=Clock())
    register_until(conversation, engine, "kk_number", chat=CHAT)
    reply = said(text(conversation, ANSWERS["address"].replace(" No.", "\x00 No."), chat=CHAT))
    assert "domisili" in reply
    assert applicant(engine, CHAT).address == ANSWERS["address"]
    assert step_of(engine, CHAT) == "domicile_same"


def test_an_answer_longer_than_its_column_is_refused_clearly(engine: Engine) -> None:
    conversation = Conversation(engine, channel="console", clock=Clock())
    register_until(conversation, engine, "full_name", chat=CHAT)
    turn = text(conversation, "a" * 250 + "@example.com", chat=CHAT)
    assert "paling banyak 254 karakter" in said(turn)
    assert step_of(engine, CHAT) == "email"


@pytest.mark.timeout(600)  # each example is a real transaction; the shared machine is slow
@settings(max_examples=50, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_text_at_any_step_gets_a_reply(engine: Engine, data: st.DataObject) -> None:
    conversation = Conversation(engine, channel="console", clock=Clock())
    if step_of(engine, CHAT) is None:
        register_until(conversation, engine, "phone", chat=CHAT)
    step = data.draw(st.sampled_from(sorted(conversation.flow.steps)), label="step")
    value = data.draw(HOSTILE, label="text")
    with session_scope(engine) as session:
        session.merge(ConversationState(chat_id=CHAT, flow="registration", step=step))
    kind = data.draw(st.sampled_from(["text", "button"]), label="kind")
    if kind == "button":
        value = data.draw(st.sampled_from(["s:", f"s:{step}", f"s:{step}:", "menu:", ""]),
                          label="button") + value
    elif value.startswith("/"):
        kind = "command"
    turn = conversation.handle(CHAT, Incoming(kind=kind, text=value))
    assert turn.replies and all(reply.text.strip() for reply in turn.replies)
