"""Value objects returned by every NLU backend, and the parser protocol they share."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from nlu.intents import OUT_OF_SCOPE


@dataclass(frozen=True)
class Entity:
    """One extracted entity; start/end index the original text."""

    entity: str
    value: str
    start: int
    end: int


@dataclass(frozen=True)
class IntentScore:
    """One intent with its confidence in [0, 1]."""

    name: str
    confidence: float


@dataclass(frozen=True)
class ParseResult:
    """The interpretation of one user message."""

    text: str
    intent: str
    confidence: float
    ranking: tuple[IntentScore, ...]
    entities: tuple[Entity, ...]

    def is_confident(self, threshold: float) -> bool:
        """Returns True when the top intent reaches the threshold."""
        return self.confidence >= threshold

    def entity_value(self, name: str) -> str | None:
        """Returns the value of the first entity called name, if any."""
        return next((e.value for e in self.entities if e.entity == name), None)


class NluParser(Protocol):
    """Anything that turns a text into a ParseResult."""

    async def parse(self, text: str) -> ParseResult:
        """Returns the interpretation of text."""
        ...


def fallback_choices(result: ParseResult, k: int = 3) -> list[IntentScore]:
    """Returns the k best in-scope intents, for a "Maksud Anda: …?" menu."""
    return [score for score in result.ranking if score.name != OUT_OF_SCOPE][:k]
