"""action_check_result: tells the applicant their latest selection result."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlmodel import Session

from actions.results import applicant_result
from actions.server.database import chat_id_of, engine
from actions.server.replies import say
from actions.server.texts import unknown_sender_text

# What a user in each state most likely asks next.
NEXT_INTENTS = {"none": ["join_wave"], "pending": ["selection_process"], "selected": [],
                "not_selected": ["rejection_reason"]}


class ActionCheckResult(Action):  # type: ignore[misc]  # rasa_sdk ships no type hints
    """Utters the result and sets slot result_status (none/pending/selected/not_selected)."""

    def name(self) -> str:
        """Returns the action name."""
        return "action_check_result"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Looks up the sender's result and tells it."""
        chat_id = chat_id_of(tracker.sender_id)
        if chat_id is None:
            say(dispatcher, unknown_sender_text(), next_intents=["register_account"])
            return [SlotSet("result_status", "none")]
        with Session(engine()) as session:
            view = applicant_result(session=session, chat_id=chat_id)
        say(dispatcher, view.text, next_intents=NEXT_INTENTS[view.state])
        return [SlotSet("result_status", view.state), SlotSet("wave_number", view.wave)]
