"""FAQ answers per NLU intent, loaded from flows/faq.yml."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

FAQ_PATH = Path(__file__).with_name("faq.yml")

# YAML lines are wrapped for editing; a new line in the message starts only at list items.
_LINE_START = re.compile(r"^(?:•|-|\d+\.)\s")
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class FaqButton:
    """A button under an answer: opens a URL or asks about another intent."""

    label: str
    url: str | None = None
    intent: str | None = None
    command: str | None = None  # a bot button value, e.g. "menu:register": the answer acts


@dataclass(frozen=True)
class DirectAnswer:
    """A short yes/no said first when the question names one of its words ("sy pns boleh?")."""

    words: tuple[str, ...]
    text: str


@dataclass(frozen=True)
class FaqAnswer:
    """The answer to one intent; when action is set the bot runs it and text is the fallback."""

    intent: str
    text: str
    buttons: tuple[FaqButton, ...] = ()
    action: str | None = None
    label: str = ""
    direct: tuple[DirectAnswer, ...] = ()

    def direct_for(self, question: str) -> DirectAnswer | None:
        """Returns the first direct answer whose word appears in the question, if any."""
        words = f" {' '.join(_WORD.findall(question.casefold()))} "
        return next((d for d in self.direct if any(f" {w} " in words for w in d.words)), None)


class FaqError(ValueError):
    """Raised when faq.yml is malformed."""


def _button(raw: dict[str, Any], intent: str) -> FaqButton:
    """Returns one button, checking that it has exactly one target."""
    button = FaqButton(label=str(raw["label"]), url=raw.get("url"), intent=raw.get("intent"),
                       command=raw.get("command"))
    targets = [t for t in (button.url, button.intent, button.command) if t is not None]
    if len(targets) != 1:
        raise FaqError(
            f"button {button.label!r} of {intent!r} needs exactly one of url/intent/command")
    return button


def _direct(raw: dict[str, Any]) -> DirectAnswer:
    return DirectAnswer(words=tuple(str(w).casefold() for w in raw["words"]),
                        text=unwrap(str(raw["text"])))


def unwrap(text: str) -> str:
    """Returns text with editing line breaks joined, keeping list items and blank lines."""
    lines: list[str] = []
    for raw in text.strip().splitlines():
        line = raw.strip()
        starts_new = not lines or not line or not lines[-1] or lines[-1].endswith(":")
        if starts_new or _LINE_START.match(line):
            lines.append(line)
        else:
            lines[-1] = f"{lines[-1]} {line}"
    return "\n".join(lines)


def parse_faq(data: dict[str, Any]) -> dict[str, FaqAnswer]:
    """Returns the answers described by a parsed faq.yml document."""
    answers: dict[str, FaqAnswer] = {}
    for intent, raw in (data.get("answers") or {}).items():
        answers[intent] = FaqAnswer(
            intent=intent,
            text=unwrap(str(raw["text"])),
            buttons=tuple(_button(b, intent) for b in raw.get("buttons") or ()),
            action=raw.get("action"),
            label=str(raw.get("label") or intent),
            direct=tuple(_direct(d) for d in raw.get("direct") or ()),
        )
    return answers


@lru_cache(maxsize=4)
def load_faq(path: Path = FAQ_PATH) -> dict[str, FaqAnswer]:
    """Returns the FAQ answers keyed by intent name (read once per path)."""
    return parse_faq(yaml.safe_load(path.read_text(encoding="utf-8")) or {})


def intent_labels(path: Path = FAQ_PATH) -> dict[str, str]:
    """Returns the short Indonesian label of each intent, for "Maksud Anda: …?" buttons."""
    return {intent: answer.label for intent, answer in load_faq(path).items()}
