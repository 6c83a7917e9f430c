"""action_join_wave: joins the sender to the open wave, or says which rule stops them."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.server.database import chat_id_of, engine
from actions.server.replies import say
from actions.wave_messages import join_message
from actions.waves import join_wave
from storage.db import session_scope
from storage.models import utcnow
from storage.repositories import get_applicant

# The question that usually follows each outcome (see flows/texts/waves.yml "join").
NEXT_INTENTS = {"joined": ["check_result"], "already_joined": ["check_result"],
                "no_open_wave": ["wave_schedule"], "test_not_passed": ["basic_test"],
                "nik_missing": ["register_account"]}


class ActionJoinWave(Action):  # type: ignore[misc]  # rasa_sdk ships no type hints
    """Joins the open wave; sets slot join_outcome to the outcome code."""

    def name(self) -> str:
        """Returns the action name."""
        return "action_join_wave"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Tries to join and tells the outcome."""
        chat_id = chat_id_of(tracker.sender_id)
        with session_scope(engine()) as session:
            applicant = get_applicant(session=session, chat_id=chat_id) if chat_id else None
            if applicant is None:
                say(dispatcher, join_message("not_registered", None),
                    next_intents=["register_account"])
                return [SlotSet("join_outcome", "not_registered")]
            outcome = join_wave(session=session, applicant=applicant, now=utcnow())
            say(dispatcher, join_message(outcome.code, outcome.wave),
                next_intents=NEXT_INTENTS.get(outcome.code, []))
        return [SlotSet("join_outcome", outcome.code)]
