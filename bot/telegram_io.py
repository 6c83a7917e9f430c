"""Translates between Telegram objects and the channel-independent messages of flows/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    LinkPreviewOptions,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.constants import ParseMode

from flows.messages import Incoming, Reply

PHOTO_CAPTION = "Contoh foto KTP yang baik (kartu contoh, bukan data asli)"


def incoming_from_update(update: Update) -> Incoming | None:
    """Returns what the user did, or None for updates the assistant ignores."""
    query = update.callback_query
    if query is not None:
        return Incoming(kind="button", text=query.data or "", first_name=query.from_user.first_name)
    message = update.message
    if message is None or update.effective_chat is None:
        return None
    return _incoming_from_message(message)


def _incoming_from_message(message: Message) -> Incoming:
    base: dict[str, Any] = {
        "message_id": message.message_id,
        "first_name": message.from_user.first_name if message.from_user else "",
    }
    if message.contact is not None:
        sender = message.from_user.id if message.from_user else None
        own = message.contact.user_id is not None and message.contact.user_id == sender
        return Incoming(kind="contact", phone=message.contact.phone_number, contact_is_own=own,
                        **base)
    if message.photo:
        largest = message.photo[-1]
        return Incoming(kind="photo", file_id=largest.file_id, file_size=largest.file_size,
                        mime_type="image/jpeg", **base)
    if message.document is not None:
        doc = message.document
        return Incoming(kind="document", file_id=doc.file_id, file_size=doc.file_size,
                        mime_type=doc.mime_type, **base)
    if message.text is not None:
        if message.text.startswith("/"):
            return Incoming(kind="command", text=message.text, **base)
        return Incoming(kind="text", text=message.text, **base)
    return Incoming(kind="other", **base)


def reply_markup(reply: Reply) -> Any:
    """Returns the Telegram keyboard for a reply, if it has one."""
    if reply.request_contact:
        button = KeyboardButton(reply.request_contact, request_contact=True)
        return ReplyKeyboardMarkup([[button]], resize_keyboard=True, one_time_keyboard=True)
    if reply.buttons:
        rows = [
            [InlineKeyboardButton(b.label, url=b.url) if b.url
             else InlineKeyboardButton(b.label, callback_data=b.value) for b in row]
            for row in reply.buttons
        ]
        return InlineKeyboardMarkup(rows)
    if reply.remove_keyboard:
        return ReplyKeyboardRemove()
    return None


def send_kwargs(reply: Reply) -> dict[str, Any]:
    """Returns the keyword arguments of send_message for a reply."""
    return {
        "text": reply.text,
        "parse_mode": ParseMode.HTML,
        "reply_markup": reply_markup(reply),
        "link_preview_options": LinkPreviewOptions(is_disabled=True),
    }


async def send_reply(bot: Bot, chat_id: int, reply: Reply) -> None:
    """Sends a reply, followed by its example picture when it has one."""
    await bot.send_message(chat_id=chat_id, **send_kwargs(reply))
    if reply.photo is not None:
        await bot.send_photo(chat_id=chat_id, photo=Path(reply.photo), caption=PHOTO_CAPTION)
