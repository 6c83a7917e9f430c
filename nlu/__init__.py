"""Natural-language understanding: intents and entities of applicants' free-text messages.

One interface, `NluParser.parse(text) -> ParseResult`, with two backends: the embedded
scikit-learn classifier (default, in-process) and a Rasa server (`NLU_BACKEND=rasa`) that falls
back to the embedded one when it is unreachable.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nlu.embedded import EmbeddedParser, embedded_parser
from nlu.intents import ENTITY_NIK, ENTITY_WAVE_NUMBER, INTENTS, OUT_OF_SCOPE
from nlu.rasa_client import RasaParser, rasa_parser
from nlu.result import Entity, IntentScore, NluParser, ParseResult, fallback_choices

if TYPE_CHECKING:
    from storage.settings import Settings

__all__ = [
    "ENTITY_NIK",
    "ENTITY_WAVE_NUMBER",
    "INTENTS",
    "OUT_OF_SCOPE",
    "EmbeddedParser",
    "Entity",
    "IntentScore",
    "NluParser",
    "ParseResult",
    "RasaParser",
    "build_parser",
    "embedded_parser",
    "fallback_choices",
]


def build_parser(settings: Settings | None = None) -> NluParser:
    """Returns the parser chosen by settings: embedded, or Rasa with embedded fallback."""
    if settings is None:
        from storage.settings import get_settings

        settings = get_settings()
    if settings.nlu_backend == "rasa":
        return rasa_parser(settings)
    return embedded_parser()
