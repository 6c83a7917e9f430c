"""action_registration_status: account, basic test and wave status in one message."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlmodel import Session

from actions.server.database import chat_id_of, engine
from actions.server.replies import say
from actions.wave_messages import status_lines
from storage.repositories import get_applicant


class ActionRegistrationStatus(Action):  # type: ignore[misc]  # rasa_sdk ships no type hints
    """Utters the status lines and sets slot registration_complete."""

    def name(self) -> str:
        """Returns the action name."""
        return "action_registration_status"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Tells the sender where their registration stands."""
        chat_id = chat_id_of(tracker.sender_id)
        with Session(engine()) as session:
            applicant = get_applicant(session=session, chat_id=chat_id) if chat_id else None
            lines = status_lines(session, applicant, chat_id or 0)
            complete = bool(applicant and applicant.registration_completed_at)
        say(dispatcher, "\n".join(lines),
            next_intents=["check_result"] if complete else ["register_account"])
        return [SlotSet("registration_complete", complete)]
