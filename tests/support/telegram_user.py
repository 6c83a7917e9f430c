"""A simulated Telegram user talking to the bot through the fake Bot API server."""

from __future__ import annotations

import asyncio
import time
from typing import Any
from weakref import WeakKeyDictionary

from fakes.bot_api import FakeBotApi, SentMessage

from bot.inbox_processor import InboxProcessor

_PROCESSED: WeakKeyDictionary[FakeBotApi, set[int]] = WeakKeyDictionary()


def track_delivered_updates(processor: InboxProcessor, api: FakeBotApi) -> None:
    """Notes each update_id once the inbox processor has made all of its Bot API calls."""
    processor.listeners.append(_PROCESSED.setdefault(api, set()).add)


class TelegramUser:
    """Sends updates as one user and collects the bot's answers to each of them."""

    def __init__(self, api: FakeBotApi, chat_id: int, first_name: str = "Siti") -> None:
        self.api = api
        self.chat_id = chat_id
        self.first_name = first_name
        self.seen = 0

    async def says(self, text: str) -> list[SentMessage]:
        """Types a message and returns the bot's replies."""
        update = self.api.user_sends_text(self.chat_id, text, first_name=self.first_name)
        return await self.replies(update)

    async def presses(self, label: str) -> list[SentMessage]:
        """Presses the newest inline button with this label and returns the replies."""
        for message in reversed(self.api.chat_log(self.chat_id)):
            for row in (message.reply_markup or {}).get("inline_keyboard", []):
                for button in row:
                    if button["text"] == label:
                        update = self.api.user_presses_button(
                            self.chat_id, button["callback_data"], message_id=message.message_id
                        )
                        return await self.replies(update)
        raise AssertionError(f"no button {label!r} in chat {self.chat_id}")

    async def shares_contact(self, phone: str, *, own: bool = True) -> list[SentMessage]:
        """Shares a contact (their own by default) and returns the replies."""
        other = None if own else self.chat_id + 1
        update = self.api.user_shares_contact(self.chat_id, phone, contact_user_id=other)
        return await self.replies(update)

    async def sends_photo(self, image: bytes, width: int, height: int) -> list[SentMessage]:
        """Sends a compressed photo and returns the replies."""
        update = self.api.user_sends_photo(self.chat_id, image, width=width, height=height)
        return await self.replies(update)

    async def replies(
        self, update: dict[str, Any] | None = None, timeout: float = 15.0  # noqa: ASYNC109
    ) -> list[SentMessage]:
        """Waits for the answers to an update: until it was fully handled, when that is tracked
        by the inbox processor), else until the bot went quiet."""
        deadline = time.monotonic() + timeout
        while len(self.api.sent_messages(self.chat_id)) <= self.seen:
            if time.monotonic() > deadline:
                raise AssertionError(f"no reply in chat {self.chat_id} within {timeout}s")
            await asyncio.sleep(0.01)
        done = _PROCESSED.get(self.api)
        tracked = update is not None and done is not None
        quiet_for = 0.3
        for _ in range(int(quiet_for / 0.01)):
            if tracked and update is not None and done is not None and update["update_id"] in done:
                quiet_for = 0.05
                break
            await asyncio.sleep(0.01)
        await self.api.wait_until_idle(quiet_for=quiet_for, timeout=timeout)
        messages = self.api.sent_messages(self.chat_id)
        new, self.seen = messages[self.seen :], len(messages)
        return new


def texts(messages: list[SentMessage]) -> str:
    """Returns the texts of the messages joined, for assertions."""
    return "\n".join(m.text or "" for m in messages)
