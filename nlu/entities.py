"""Rule-based entity extraction: NIK (16 digits) and wave number ("gel 13", "gelombang ke-8")."""

from __future__ import annotations

import re
from collections.abc import Mapping

from nlu.intents import ENTITY_NIK, ENTITY_WAVE_NUMBER
from nlu.result import Entity

_NIK = re.compile(r"(?<!\d)\d{16}(?!\d)")
_WAVE_PREFIX = r"\b(?:gelombang|gelb|gel|glmbng|batch|wave)\.?\s*(?:ke\s*-?\s*)?"


class EntityExtractor:
    """Finds entities in raw text; number words come from normalization.yml."""

    def __init__(self, numbers: Mapping[str, int]) -> None:
        self._numbers = {k.lower(): v for k, v in numbers.items()}
        words = sorted(self._numbers, key=len, reverse=True)
        alternatives = "|".join([r"\d{1,2}(?!\d)", *(re.escape(w) + r"\b" for w in words)])
        self._wave = re.compile(_WAVE_PREFIX + f"(?P<n>{alternatives})", re.IGNORECASE)

    def extract(self, text: str) -> tuple[Entity, ...]:
        """Returns the entities in text, ordered by position."""
        found = [Entity(ENTITY_NIK, m.group(), m.start(), m.end()) for m in _NIK.finditer(text)]
        for match in self._wave.finditer(text):
            found.append(self._wave_entity(match))
        return tuple(sorted(found, key=lambda e: e.start))

    def _wave_entity(self, match: re.Match[str]) -> Entity:
        """Returns the wave_number entity for one regex match, value as digits."""
        raw = match.group("n")
        value = raw if raw.isdigit() else str(self._numbers[raw.lower()])
        return Entity(ENTITY_WAVE_NUMBER, str(int(value)), match.start("n"), match.end("n"))
