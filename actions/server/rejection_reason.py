"""action_rejection_reason: explains why the applicant was not selected and what to do."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlmodel import Session

from actions.results import applicant_result, explain, result_text
from actions.server.database import chat_id_of, engine
from actions.server.replies import say
from actions.server.texts import unknown_sender_text


class ActionRejectionReason(Action):  # type: ignore[misc]  # rasa_sdk ships no type hints
    """Utters the reasons and sets slot rejection_reasons (list of reason codes)."""

    def name(self) -> str:
        """Returns the action name."""
        return "action_rejection_reason"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Explains the sender's reasons, or says there are none to explain."""
        chat_id = chat_id_of(tracker.sender_id)
        if chat_id is None:
            say(dispatcher, unknown_sender_text(), next_intents=["register_account"])
            return [SlotSet("rejection_reasons", [])]
        with Session(engine()) as session:
            view = applicant_result(session=session, chat_id=chat_id)
        if view.state != "not_selected":
            say(dispatcher, view.text)
            return [SlotSet("rejection_reasons", [])]
        body = result_text("not_selected", wave=view.wave) + "\n\n" + explain(list(view.reasons))
        say(dispatcher, body, next_intents=["join_wave"])
        return [SlotSet("rejection_reasons", list(view.reasons))]
