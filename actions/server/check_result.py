"""action_check_result: tells the applicant their latest selection result."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlmodel import Session

from actions.results import applicant_result
from actions.server.database import chat_id_of, engine


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
            dispatcher.utter_message(response="utter_unknown_sender")
            return [SlotSet("result_status", "none")]
        with Session(engine()) as session:
            view = applicant_result(session=session, chat_id=chat_id)
        dispatcher.utter_message(text=view.text)
        return [SlotSet("result_status", view.state), SlotSet("wave_number", view.wave)]
