"""Channel-neutral replies: plain text and Rasa buttons, never Telegram HTML.

The texts in flows/texts/*.yml are written for Telegram's HTML parse mode (the bot sends them
as they are). An action server answers any Rasa channel, so its replies drop the markup here.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable

from rasa_sdk.executor import CollectingDispatcher

from flows.faq import intent_labels

_LINK = re.compile(r'<a\s+href="(?P<url>[^"]*)"\s*>(?P<label>.*?)</a>', re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"</?[a-zA-Z][^<>]*>")


def plain(text: str) -> str:
    """Returns Telegram-HTML text as plain text: links keep their address, entities decoded."""
    linked = _LINK.sub(_link_text, text)
    return html.unescape(_TAG.sub("", linked))


def _link_text(match: re.Match[str]) -> str:
    label, url = match.group("label"), html.unescape(match.group("url"))
    return label if html.unescape(label) == url else f"{label} ({url})"


def intent_buttons(intents: Iterable[str]) -> list[dict[str, str]]:
    """Returns Rasa buttons that ask about each intent, titled with its FAQ label."""
    labels = intent_labels()
    return [{"title": labels[intent], "payload": f"/{intent}"} for intent in intents]


def say(dispatcher: CollectingDispatcher, text: str, *, next_intents: Iterable[str] = ()) -> None:
    """Utters text as plain text, with buttons for the intents a user likely asks next."""
    buttons = intent_buttons(next_intents)
    if buttons:
        dispatcher.utter_message(text=plain(text), buttons=buttons)
    else:
        dispatcher.utter_message(text=plain(text))
