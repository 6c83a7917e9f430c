"""action_human_handoff: opens a staff ticket for the sender, or gives the Contact Center."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.server.database import chat_id_of, engine
from actions.server.replies import say
from actions.server.texts import faq_text
from actions.tickets import handoff_text
from storage.db import session_scope


class ActionHumanHandoff(Action):  # type: ignore[misc]  # rasa_sdk ships no type hints
    """Queues a ticket the staff desk answers in the sender's Telegram chat."""

    def name(self) -> str:
        """Returns the action name."""
        return "action_human_handoff"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Opens (or finds) the sender's ticket and tells its place in the queue."""
        chat_id = chat_id_of(tracker.sender_id)
        if chat_id is None:
            # Staff answer in a Telegram chat; a sender without one gets the phone lines instead.
            say(dispatcher, faq_text("human_handoff"))
            return []
        with session_scope(engine()) as session:
            message = handoff_text(session=session, chat_id=chat_id, reason="asked_for_person")
        say(dispatcher, message)
        return []
