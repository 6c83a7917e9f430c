"""Matches a typed answer to one of the buttons a step offers (label, number or synonym)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

_NON_WORD = re.compile(r"[^\w]+")


@dataclass(frozen=True, slots=True)
class Choice:
    """Something a typed answer can pick: its value and every phrase that names it."""

    value: str
    phrases: tuple[str, ...]


def normalise(typed: str) -> str:
    """Returns the text folded to lower-case words: no accents, emoji or punctuation."""
    decomposed = unicodedata.normalize("NFKD", typed.casefold())
    ascii_only = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(_NON_WORD.sub(" ", ascii_only).split())


def match_choice(typed: str, choices: Sequence[Choice]) -> str | None:
    """Returns the value the typed text names, or None when it names none or several."""
    words = normalise(typed)
    if not words:
        return None
    if words.isdigit() and 1 <= int(words) <= len(choices):
        return choices[int(words) - 1].value
    exact = {c.value for c in choices if words in {normalise(p) for p in c.phrases}}
    if len(exact) == 1:
        return exact.pop()
    return _best_contained(f" {words} ", choices)


def _best_contained(padded: str, choices: Sequence[Choice]) -> str | None:
    """Picks the choice with the longest phrase found inside the text, if no other ties it."""
    best: dict[str, int] = {}
    for choice in choices:
        for phrase in choice.phrases:
            words = normalise(phrase)
            if words and f" {words} " in padded:
                best[choice.value] = max(best.get(choice.value, 0), len(words.split()))
    if not best:
        return None
    top = max(best.values())
    winners = [value for value, size in best.items() if size == top]
    return winners[0] if len(winners) == 1 else None
