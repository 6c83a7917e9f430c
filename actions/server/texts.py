"""Texts of the action server itself, from actions/server/texts.yml."""

from __future__ import annotations

from pathlib import Path

from flows.faq import load_faq
from flows.texts import TextBook

_BOOK = TextBook(Path(__file__).with_name("texts.yml"))


def unknown_sender_text() -> str:
    """Returns the reply for a sender id that is no Telegram chat of a known applicant."""
    return _BOOK.text("unknown_sender")


def faq_text(intent: str) -> str:
    """Returns the FAQ answer of an intent (plain text, as in flows/faq.yml)."""
    return load_faq()[intent].text
