"""action_check_nik: checks the NIK in slot `nik` and says what its digits mean."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.server.replies import say
from actions.wave_messages import wave_text
from flows.validators import Invalid, validate_nik
from flows.validators.masking import mask_nik


class ActionCheckNik(Action):  # type: ignore[misc]  # rasa_sdk ships no type hints
    """Validates slot nik; sets nik_valid and utters the problem or the decoded region."""

    def name(self) -> str:
        """Returns the action name."""
        return "action_check_nik"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Checks the NIK the user gave."""
        given = str(tracker.get_slot("nik") or "")
        result = validate_nik(given)
        if isinstance(result, Invalid):
            say(dispatcher, result.message, next_intents=["nik_not_registered"])
            return [SlotSet("nik_valid", False)]
        info = result.value
        message = wave_text("nik_ok", nik=mask_nik(info.nik), regency=info.regency_name,
                            province=info.province_name)
        say(dispatcher, message, next_intents=["dukcapil_contact"])
        return [SlotSet("nik_valid", True)]
